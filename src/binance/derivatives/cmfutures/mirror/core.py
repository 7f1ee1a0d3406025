"""The mirror's state machine: snapshot + event journal merge, resync, diffs. No I/O.

:class:`MirrorState` is told everything: each stream event (with the current time), when a
resync is needed, when a snapshot attempt starts, and its result. It answers with the
:class:`~.views.MirrorChange` notices to publish. The asyncio layer (:mod:`.aio`) only moves
bytes and time.

Merge rules (``shared/spec/coinm-user-data-stream.md`` §5.3):

* Orders: an update is applied unless its ``(o.T, E)`` is older than what is held (a REST
  row counts as ``(updateTime, 0)``) or its cumulative filled quantity ``z`` is lower. Updates
  with equal ``(T, E)`` (several changes in one millisecond, which Binance does produce) are
  taken in arrival order, the stream's order; an exact duplicate changes nothing. A terminal
  status (FILLED, CANCELED, EXPIRED, EXPIRED_IN_MATCH) is final: it removes the order, and
  the order id is remembered so a late or duplicated event cannot bring the order back (nor
  can a lagging snapshot).
* Fills: reported once per ``(order id, trade id)`` with trade id != 0, even when the order
  update that carries them is stale.
* Positions and balances: upserted from ``ACCOUNT_UPDATE`` unless its ``(T, E)`` is older
  than the row's (REST ``updateTime`` for a snapshot row; equal times: arrival order); a row
  an update leaves out is kept.
* Leverage: from ``ACCOUNT_CONFIG_UPDATE``, newest ``(T, E)`` per symbol (equal: arrival
  order), applied to the symbol's position rows.

Resync: after :meth:`MirrorState.begin_resync`, each snapshot attempt starts a fresh event
buffer (:meth:`~MirrorState.begin_attempt`). Events keep being applied to the live state. When
the snapshot arrives (:meth:`~MirrorState.finish_resync`) a new state is built from it, the
buffered events are replayed onto it under the same rules, and the difference between the live
state and the new one is what the stream missed: it is reported, then the new state replaces
the live one. Only events received after the attempt began can postdate the snapshot (the
stream is ordered), so the buffer never holds more than one attempt's worth of events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import msgspec

from ..events import (
    AccountConfigUpdate,
    AccountUpdate,
    Event,
    MarginCall,
    OrderStatus,
    OrderTradeUpdate,
    PositionSide,
)
from .merge import (
    BoundedSet,
    balance_from_event,
    content,
    fill_from_event,
    order_from_event,
    position_from_event,
)
from .recovery import (
    FillRecoveryPlan,
    RecoveryOptions,
    TradeQuery,
    fill_from_trade,
    symbols_to_recover,
)
from .views import (
    AccountView,
    BalanceView,
    ChangeKind,
    DiffEntry,
    MirrorChange,
    OrderView,
    PositionKey,
    PositionView,
    ResyncDiff,
    ResyncReport,
)

__all__ = ["MirrorState", "ResyncStateError", "Snapshot"]

_TERMINAL = OrderStatus.TERMINAL
_SIDES = (PositionSide.BOTH, PositionSide.LONG, PositionSide.SHORT)
_NOT_STATE = frozenset({ChangeKind.FILL, ChangeKind.MARGIN_CALL})


class ResyncStateError(RuntimeError):
    """A resync step was called out of order (a bug in the caller, not a network problem)."""


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """The account as REST reported it: the full set of balances, position rows and open orders.

    :ivar leverage: symbol -> leverage; if None it is taken from the position rows.
    """

    balances: tuple[BalanceView, ...] = ()
    positions: tuple[PositionView, ...] = ()
    orders: tuple[OrderView, ...] = ()
    leverage: Mapping[str, int] | None = None


class _Book:
    """Working dictionaries, copied on write once published (they are then shared)."""

    __slots__ = (
        "_shared",
        "balances",
        "lev_versions",
        "leverage",
        "orders",
        "positions",
    )

    def __init__(self) -> None:
        self.balances: dict[str, BalanceView] = {}
        self.positions: dict[PositionKey, PositionView] = {}
        self.orders: dict[int, OrderView] = {}
        self.leverage: dict[str, int] = {}
        self.lev_versions: dict[str, tuple[int, int]] = {}
        self._shared: set[str] = set()

    def publish(self) -> tuple[
        Mapping[str, BalanceView],
        Mapping[PositionKey, PositionView],
        Mapping[int, OrderView],
        Mapping[str, int],
    ]:
        self._shared = {"balances", "positions", "orders", "leverage"}
        return (
            MappingProxyType(self.balances),
            MappingProxyType(self.positions),
            MappingProxyType(self.orders),
            MappingProxyType(self.leverage),
        )

    def w_balances(self) -> dict[str, BalanceView]:
        if "balances" in self._shared:
            self.balances = dict(self.balances)
            self._shared.discard("balances")
        return self.balances

    def w_positions(self) -> dict[PositionKey, PositionView]:
        if "positions" in self._shared:
            self.positions = dict(self.positions)
            self._shared.discard("positions")
        return self.positions

    def w_orders(self) -> dict[int, OrderView]:
        if "orders" in self._shared:
            self.orders = dict(self.orders)
            self._shared.discard("orders")
        return self.orders

    def w_leverage(self) -> dict[str, int]:
        if "leverage" in self._shared:
            self.leverage = dict(self.leverage)
            self._shared.discard("leverage")
        return self.leverage


class _Resync:
    __slots__ = ("attempts", "reason", "snapshot_started_at", "started_at")

    def __init__(self, reason: str, started_at: float) -> None:
        self.reason = reason
        self.started_at = started_at
        self.snapshot_started_at = started_at
        self.attempts = 0


_EMPTY: Mapping[Any, Any] = MappingProxyType({})
_DEFAULT_RECOVERY = RecoveryOptions()


class MirrorState:
    """The mirrored account and the rules that keep it right. Not thread-safe: one owner
    mutates it; readers use the immutable :attr:`view`.

    :param memory: how many terminal order ids and fill ids to remember for de-duplication
        (oldest forgotten first). An event older than that many orders/fills could slip through.
    :param recovery: bounds of the fill recovery after gaps (:mod:`.recovery`); None disables
        it.
    """

    def __init__(self, *, memory: int = 100_000,
                 recovery: RecoveryOptions | None = _DEFAULT_RECOVERY) -> None:
        self._book = _Book()
        self._tombstones = BoundedSet(memory)
        self._fills = BoundedSet(memory)
        self._initialized = False
        self._stale = True
        self._resync: _Resync | None = None
        self._buffer: list[Event] | None = None
        self._sequence = 0
        self._dirty = False
        self._view = AccountView(
            balances=_EMPTY,
            positions=_EMPTY,
            open_orders=_EMPTY,
            leverage=_EMPTY,
            stale=True,
            sequence=0,
            updated_at=0.0,
        )
        self.last_resync: ResyncReport | None = None
        self.events_applied = 0
        self._recovery_options = recovery
        self._gap_start_ms: int | None = None
        self._recovery: FillRecoveryPlan | None = None
        self.last_recovery: FillRecoveryPlan | None = None

    # ------------------------------------------------------------------ state

    @property
    def initialized(self) -> bool:
        """True once the first snapshot has been merged."""
        return self._initialized

    @property
    def stale(self) -> bool:
        return self._stale

    @property
    def resync_pending(self) -> bool:
        """True between :meth:`begin_resync` and :meth:`finish_resync`."""
        return self._resync is not None

    @property
    def attempt_started_at(self) -> float | None:
        """When the active snapshot attempt began, or None."""
        if self._resync is None or self._buffer is None:
            return None
        return self._resync.snapshot_started_at

    @property
    def attempt_active(self) -> bool:
        """True while a snapshot attempt is buffering events."""
        return self._buffer is not None

    @property
    def view(self) -> AccountView:
        """The last published :class:`AccountView` (see :meth:`publish`)."""
        return self._view

    def publish(self, at: float) -> AccountView:
        """Make everything applied so far visible as a new :attr:`view` (if anything changed)."""
        if self._dirty:
            balances, positions, orders, leverage = self._book.publish()
            self._sequence += 1
            self._view = AccountView(
                balances=balances,
                positions=positions,
                open_orders=orders,
                leverage=leverage,
                stale=self._stale,
                sequence=self._sequence,
                updated_at=at,
            )
            self._dirty = False
        return self._view

    # ------------------------------------------------------------------ events

    def apply(self, event: Event, at: float) -> list[MirrorChange]:
        """Apply one stream event. Returns the changes it made (possibly none).

        Before the first snapshot nothing is applied (the event is only buffered if an attempt
        is running). Control events are not accepted here: see :meth:`begin_resync`.
        """
        if self._buffer is not None:
            self._buffer.append(event)
        if not self._initialized:
            return []
        out: list[MirrorChange] = []
        self._apply(self._book, event, at, out)
        self.events_applied += 1
        if not self._dirty:
            self._dirty = any(c.kind not in _NOT_STATE for c in out)
        return out

    def _apply(
        self, book: _Book, event: Event, at: float, out: list[MirrorChange] | None
    ) -> None:
        if isinstance(event, OrderTradeUpdate):
            self._apply_order(book, event, at, out)
        elif isinstance(event, AccountUpdate):
            self._apply_account(book, event, at, out)
        elif isinstance(event, AccountConfigUpdate):
            self._apply_config(book, event, at, out)
        elif isinstance(event, MarginCall) and out is not None:
            out.append(MirrorChange(kind=ChangeKind.MARGIN_CALL, cause=event, at=at))
        # listenKeyExpired, STRATEGY_UPDATE, GRID_UPDATE, unknown events: nothing to mirror.

    def _apply_order(
        self, book: _Book, event: OrderTradeUpdate, at: float, out: list[MirrorChange] | None
    ) -> None:
        o = event.order
        oid = o.order_id
        if o.trade_id != 0:
            fill_key = (oid, o.trade_id)
            if fill_key not in self._fills:
                self._fills.add(fill_key)
                if out is not None:
                    out.append(
                        MirrorChange(
                            kind=ChangeKind.FILL,
                            key=fill_key,
                            after=fill_from_event(event),
                            cause=event,
                            at=at,
                        )
                    )
        current = book.orders.get(oid)
        if o.order_status in _TERMINAL:
            self._tombstones.add(oid)
            if current is not None:
                del book.w_orders()[oid]
                if out is not None:
                    out.append(
                        MirrorChange(
                            kind=ChangeKind.ORDER, key=oid, before=current, cause=event, at=at
                        )
                    )
            return
        if oid in self._tombstones:
            return
        if current is not None:
            if (o.trade_time, event.event_time) < (current.update_time, current.event_time):
                return
            if o.cumulative_filled_quantity < current.executed_quantity:
                return
        new = order_from_event(event)
        book.w_orders()[oid] = new
        if out is not None and (current is None or content(current) != content(new)):
            out.append(
                MirrorChange(
                    kind=ChangeKind.ORDER, key=oid, before=current, after=new, cause=event, at=at
                )
            )

    def _apply_account(
        self, book: _Book, event: AccountUpdate, at: float, out: list[MirrorChange] | None
    ) -> None:
        version = (event.transaction_time, event.event_time)
        for b in event.data.balances:
            current_b = book.balances.get(b.asset)
            if current_b is not None and version < (current_b.update_time, current_b.event_time):
                continue
            new_b = balance_from_event(event, b)
            book.w_balances()[b.asset] = new_b
            if out is not None and (current_b is None or content(current_b) != content(new_b)):
                out.append(
                    MirrorChange(
                        kind=ChangeKind.BALANCE,
                        key=b.asset,
                        before=current_b,
                        after=new_b,
                        cause=event,
                        at=at,
                    )
                )
        for p in event.data.positions:
            key = (p.symbol, p.position_side)
            current_p = book.positions.get(key)
            if current_p is not None and version < (current_p.update_time, current_p.event_time):
                continue
            leverage = book.leverage.get(p.symbol)
            if leverage is None and current_p is not None:
                leverage = current_p.leverage
            new_p = position_from_event(event, p, leverage, current_p)
            book.w_positions()[key] = new_p
            if out is not None and (current_p is None or content(current_p) != content(new_p)):
                out.append(
                    MirrorChange(
                        kind=ChangeKind.POSITION,
                        key=key,
                        before=current_p,
                        after=new_p,
                        cause=event,
                        at=at,
                    )
                )

    def _apply_config(
        self, book: _Book, event: AccountConfigUpdate, at: float, out: list[MirrorChange] | None
    ) -> None:
        update = event.leverage
        if update is None:
            return
        symbol = update.symbol
        version = (event.transaction_time, event.event_time)
        if version < book.lev_versions.get(symbol, (0, 0)):
            return
        book.lev_versions[symbol] = version
        before = book.leverage.get(symbol)
        if before != update.leverage:
            book.w_leverage()[symbol] = update.leverage
            if out is not None:
                out.append(
                    MirrorChange(
                        kind=ChangeKind.LEVERAGE,
                        key=symbol,
                        before=before,
                        after=update.leverage,
                        cause=event,
                        at=at,
                    )
                )
        for side in _SIDES:
            key = (symbol, side)
            row = book.positions.get(key)
            if row is None or row.leverage == update.leverage:
                continue
            new_row = msgspec.structs.replace(row, leverage=update.leverage)
            book.w_positions()[key] = new_row
            if out is not None:
                out.append(
                    MirrorChange(
                        kind=ChangeKind.POSITION,
                        key=key,
                        before=row,
                        after=new_row,
                        cause=event,
                        at=at,
                    )
                )

    # ------------------------------------------------------------------ resync

    def begin_resync(
        self,
        reason: str,
        at: float,
        *,
        stale: bool = True,
        cause: Any = None,
        missed_until: float | None = None,
    ) -> list[MirrorChange]:
        """A resync is needed (first snapshot, a stream gap, a manual or periodic audit).

        Voids any snapshot attempt in flight (its buffer may lack missed events), unless
        ``missed_until`` is given and the attempt began at or after it: then its buffer holds
        everything after the gap and it stays valid. If a resync is already pending it
        continues (its start time and reason are kept).

        :param stale: mark the mirror stale now (True for gaps: events may have been missed).
        :param missed_until: the end of the period in which events may have been missed.
        """
        if self._resync is None:
            self._resync = _Resync(reason, at)
            self._buffer = None
        elif not (
            missed_until is not None
            and self._buffer is not None
            and self._resync.snapshot_started_at >= missed_until
        ):
            self._buffer = None
        if stale:
            self._note_gap(cause, at)
            return self._set_stale(True, cause if cause is not None else reason, at)
        return []

    def begin_attempt(self, at: float) -> None:
        """A snapshot attempt starts now: buffer the events received from here on.

        :raises ResyncStateError: if no resync is pending.
        """
        if self._resync is None:
            raise ResyncStateError("begin_attempt() without begin_resync()")
        self._resync.attempts += 1
        self._resync.snapshot_started_at = at
        self._buffer = []

    def fail_attempt(self, error: BaseException, at: float) -> list[MirrorChange]:
        """The snapshot attempt failed; the mirror is stale until one succeeds."""
        if self._resync is None:
            raise ResyncStateError("fail_attempt() without begin_resync()")
        self._buffer = None
        changes = [MirrorChange(kind=ChangeKind.RESYNC_FAILED, cause=error, at=at)]
        changes += self._set_stale(True, error, at)
        return changes

    def finish_resync(self, snapshot: Snapshot, at: float) -> list[MirrorChange]:
        """Merge a successful snapshot with the events buffered during its attempt.

        Returns the corrections (changes whose ``cause`` is the :class:`ResyncReport`; none for
        the first snapshot), then one ``resync`` change, then the ``stale`` change if the flag
        flips. The report is also kept as :attr:`last_resync`.

        :raises ResyncStateError: if no attempt is active.
        """
        if self._resync is None or self._buffer is None:
            raise ResyncStateError("finish_resync() without an active attempt")
        resync, buffer = self._resync, self._buffer
        new = self._book_from_snapshot(snapshot)
        for event in buffer:
            self._apply(new, event, at, None)
        initial = not self._initialized
        diff = _diff(_Book() if initial else self._book, new)
        report = ResyncReport(
            reason=resync.reason,
            initial=initial,
            started_at=resync.started_at,
            snapshot_started_at=resync.snapshot_started_at,
            finished_at=at,
            attempts=resync.attempts,
            buffered_events=len(buffer),
            diff=diff,
        )
        changes: list[MirrorChange] = []
        if not initial:
            kinds = {
                "balance": ChangeKind.BALANCE,
                "position": ChangeKind.POSITION,
                "order": ChangeKind.ORDER,
                "leverage": ChangeKind.LEVERAGE,
            }
            changes = [
                MirrorChange(
                    kind=kinds[e.section],
                    key=e.key,
                    before=e.before,
                    after=e.after,
                    cause=report,
                    at=at,
                )
                for e in diff.entries
            ]
        changes.append(MirrorChange(kind=ChangeKind.RESYNC, after=report, cause=report, at=at))
        if not initial:
            self._plan_recovery(self._book, new, diff, at)
        self._book = new
        self._initialized = True
        self._resync = None
        self._buffer = None
        self._dirty = True
        self.last_resync = report
        changes += self._set_stale(False, report, at)
        return changes

    # ------------------------------------------------------------------ fill recovery

    def _note_gap(self, cause: Any, at: float) -> None:
        if self._recovery_options is None or not self._initialized:
            return
        since = min(at, getattr(cause, "since", at))
        start = int(since * 1000) - self._recovery_options.margin_ms
        if self._gap_start_ms is None or start < self._gap_start_ms:
            self._gap_start_ms = start

    def _plan_recovery(self, old: _Book, new: _Book, diff: ResyncDiff, at: float) -> None:
        if self._gap_start_ms is None or self._recovery_options is None:
            return
        symbols = symbols_to_recover(old.orders, new.orders, new.positions, diff.entries)
        if self._recovery is not None:  # cut short by this gap: redo it over both windows
            symbols |= set(self._recovery.symbols)
        self._recovery = FillRecoveryPlan(symbols, self._gap_start_ms, int(at * 1000),
                                          self._recovery_options)

    def set_recovery_options(self, options: RecoveryOptions | None) -> None:
        """Change the bounds of future fill recoveries (None disables them)."""
        self._recovery_options = options

    @property
    def recovery_pending(self) -> bool:
        """True when trades of a gap window remain to be fetched (:meth:`next_trade_query`)."""
        return self._recovery is not None

    def next_trade_query(self) -> TradeQuery | None:
        """The next ``GET /dapi/v1/userTrades`` call the pending recovery needs, or None when
        it is finished (then it is recorded as :attr:`last_recovery`; ``truncated`` says if
        the request bound stopped it early)."""
        plan = self._recovery
        if plan is None:
            return None
        query = plan.next_query()
        if query is None:
            self.last_recovery = plan
            self._recovery = None
            if self._resync is None:
                self._gap_start_ms = None
        return query

    def abandon_recovery(self) -> None:
        """Give the pending recovery up (its query was refused for good); it is recorded as
        :attr:`last_recovery` with ``truncated`` set."""
        if self._recovery is not None:
            self._recovery.truncated = True
            self.next_trade_query()

    def recover_fills(self, query: TradeQuery, rows: Any, at: float) -> list[MirrorChange]:
        """Feed the rows a :meth:`next_trade_query` call returned. Returns one ``fill`` change
        (``after.recovered`` True) per trade not seen before, oldest first."""
        plan = self._recovery
        if plan is None:
            return []
        out: list[MirrorChange] = []
        for row in sorted(plan.answer(query, rows), key=lambda r: (r.time, r.id)):
            key = (row.order_id, row.id)
            if key in self._fills:
                continue
            self._fills.add(key)
            fill = fill_from_trade(row)
            out.append(MirrorChange(kind=ChangeKind.FILL, key=key, after=fill, cause=fill,
                                    at=at))
        return out

    def _book_from_snapshot(self, snapshot: Snapshot) -> _Book:
        book = _Book()
        book.balances = {b.asset: b for b in snapshot.balances}
        book.positions = {p.key: p for p in snapshot.positions}
        if snapshot.leverage is not None:
            book.leverage = dict(snapshot.leverage)
        else:
            book.leverage = {
                p.symbol: p.leverage for p in snapshot.positions if p.leverage is not None
            }
        tombstones = self._tombstones
        book.orders = {
            o.order_id: o
            for o in snapshot.orders
            if o.status not in _TERMINAL and o.order_id not in tombstones
        }
        return book

    def _set_stale(self, stale: bool, cause: Any, at: float) -> list[MirrorChange]:
        if self._stale == stale:
            return []
        self._stale = stale
        self._dirty = True
        return [
            MirrorChange(kind=ChangeKind.STALE, before=not stale, after=stale, cause=cause, at=at)
        ]


def _diff(old: _Book, new: _Book) -> ResyncDiff:
    entries: list[DiffEntry] = []
    sections: Iterable[tuple[str, Mapping[Any, Any], Mapping[Any, Any]]] = (
        ("balance", old.balances, new.balances),
        ("position", old.positions, new.positions),
        ("order", old.orders, new.orders),
        ("leverage", old.leverage, new.leverage),
    )
    for section, before, after in sections:
        for key, new_value in after.items():
            old_value = before.get(key)
            if old_value is None:
                entries.append(DiffEntry(section=section, key=key, before=None, after=new_value))
            elif content(old_value) != content(new_value):
                entries.append(
                    DiffEntry(section=section, key=key, before=old_value, after=new_value)
                )
        for key, old_value in before.items():
            if key not in after:
                entries.append(DiffEntry(section=section, key=key, before=old_value, after=None))
    return ResyncDiff(tuple(entries))
