"""Immutable views of the mirrored account, and the change notices the mirror publishes.

Every object here is frozen. The mappings the mirror hands out are read-only
(:class:`types.MappingProxyType`) over dictionaries that are never modified once published: an
update builds new dictionaries and swaps them in with one attribute assignment. A reader on any
thread therefore always sees one consistent state, never a half-applied event.

Only what the user data stream keeps exact is mirrored: wallet and cross-wallet balances,
position amount, entry and break-even price, margin type, isolated wallet, leverage, and the
open orders. Figures that move with the mark price without any event (unrealized PnL, margin
ratios, liquidation price, available balance) are *not* mirrored: fetch them over REST.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

import msgspec

__all__ = [
    "AccountView",
    "BalanceView",
    "ChangeKind",
    "DiffEntry",
    "FillView",
    "MirrorChange",
    "OrderView",
    "PositionKey",
    "PositionView",
    "ResyncDiff",
    "ResyncReport",
]

PositionKey = tuple[str, str]
"""``(symbol, position_side)``, e.g. ``("BTCUSD_PERP", "BOTH")``."""


class BalanceView(msgspec.Struct, frozen=True, kw_only=True):
    """One coin balance.

    :ivar asset: the coin, e.g. ``"BTC"``.
    :ivar wallet_balance: ``ACCOUNT_UPDATE a.B[].wb`` / REST ``walletBalance``.
    :ivar cross_wallet_balance: ``a.B[].cw`` / REST ``crossWalletBalance`` (wallet balance
        excluding isolated margin).
    :ivar update_time: transaction time (ms) of the change that set these values; REST
        ``updateTime`` when they came from a snapshot.
    :ivar event_time: ``E`` (ms) of the event that set them, 0 if they came from a snapshot.
    """

    asset: str
    wallet_balance: Decimal
    cross_wallet_balance: Decimal
    update_time: int = 0
    event_time: int = 0


class PositionView(msgspec.Struct, frozen=True, kw_only=True):
    """One position row, keyed by ``(symbol, position_side)``. Flat rows (amount 0) are kept.

    :ivar position_amount: signed, in contracts (negative = short).
    :ivar break_even_price: None when neither the event nor the snapshot carried it.
    :ivar margin_type: ``"cross"`` or ``"isolated"`` (lower case, as in ACCOUNT_UPDATE).
    :ivar isolated_wallet: isolated margin wallet, 0 for cross positions.
    :ivar leverage: the symbol's leverage (from the snapshot or ACCOUNT_CONFIG_UPDATE), None if
        not known yet.
    :ivar update_time: ``ACCOUNT_UPDATE.T`` or REST ``updateTime`` (ms) of the last change.
    :ivar event_time: ``E`` of the event that last set the row, 0 if it came from a snapshot.
    """

    symbol: str
    position_side: str
    position_amount: Decimal
    entry_price: Decimal
    break_even_price: Decimal | None = None
    margin_type: str = "cross"
    isolated_wallet: Decimal = Decimal(0)
    leverage: int | None = None
    update_time: int = 0
    event_time: int = 0

    @property
    def key(self) -> PositionKey:
        return (self.symbol, self.position_side)


class OrderView(msgspec.Struct, frozen=True, kw_only=True):
    """One open order.

    :ivar executed_quantity: cumulative filled quantity (``z`` / REST ``executedQty``); it never
        decreases.
    :ivar status: ``NEW``, ``PARTIALLY_FILLED`` (or a legacy non-terminal value). Orders in a
        terminal status are removed from ``open_orders``.
    :ivar update_time: order trade time ``o.T`` or REST ``updateTime`` (ms).
    :ivar event_time: ``E`` of the event that last set it, 0 if it came from a snapshot.
    """

    order_id: int
    symbol: str
    client_order_id: str
    side: str
    order_type: str
    time_in_force: str
    original_quantity: Decimal
    price: Decimal
    average_price: Decimal
    stop_price: Decimal
    executed_quantity: Decimal
    status: str
    position_side: str = "BOTH"
    reduce_only: bool = False
    close_position: bool = False
    original_order_type: str | None = None
    working_type: str | None = None
    update_time: int = 0
    event_time: int = 0


class FillView(msgspec.Struct, frozen=True, kw_only=True):
    """One trade of one of the account's orders, reported once per ``(order_id, trade_id)``.

    :ivar recovered: True when the stream missed the trade (it happened during a gap) and the
        mirror found it afterwards in ``GET /dapi/v1/userTrades``; then ``cumulative_quantity``
        and ``order_status`` are None (the trade list does not carry them) and ``event_time``
        is 0.
    """

    order_id: int
    trade_id: int
    symbol: str
    side: str
    position_side: str
    price: Decimal
    quantity: Decimal
    cumulative_quantity: Decimal | None
    order_status: str | None
    commission: Decimal | None
    commission_asset: str | None
    realized_profit: Decimal | None
    is_maker: bool | None
    trade_time: int
    event_time: int
    recovered: bool = False


class AccountView(msgspec.Struct, frozen=True, kw_only=True):
    """The whole mirrored account at one instant. Replaced, never modified.

    :ivar balances: asset -> :class:`BalanceView`.
    :ivar positions: ``(symbol, position_side)`` -> :class:`PositionView`.
    :ivar open_orders: order id -> :class:`OrderView`.
    :ivar leverage: symbol -> leverage, for every symbol whose leverage is known.
    :ivar stale: True until the first snapshot, after a stream gap until the resync that
        follows succeeds, and while a resync is failing.
    :ivar sequence: increases by one with every published state.
    :ivar updated_at: clock time (epoch seconds) of the publication.
    """

    balances: Mapping[str, BalanceView]
    positions: Mapping[PositionKey, PositionView]
    open_orders: Mapping[int, OrderView]
    leverage: Mapping[str, int]
    stale: bool
    sequence: int
    updated_at: float


class ChangeKind:
    """The values of :attr:`MirrorChange.kind` (plain strings)."""

    BALANCE: Final = "balance"
    """A balance was added or changed. ``key`` = asset."""
    POSITION: Final = "position"
    """A position row was added or changed. ``key`` = ``(symbol, position_side)``."""
    ORDER: Final = "order"
    """An order was added, changed, or (``after`` None) closed. ``key`` = order id."""
    LEVERAGE: Final = "leverage"
    """A symbol's leverage changed. ``key`` = symbol, before/after are ints (or None)."""
    FILL: Final = "fill"
    """A trade, reported once. ``key`` = ``(order_id, trade_id)``, ``after`` a FillView."""
    MARGIN_CALL: Final = "margin_call"
    """A MARGIN_CALL arrived; ``cause`` is the event. Nothing in the views changes."""
    RESYNC: Final = "resync"
    """A resync completed; ``after`` and ``cause`` are its :class:`ResyncReport`."""
    RESYNC_FAILED: Final = "resync_failed"
    """One resync attempt failed; ``cause`` is the exception. The mirror retries."""
    STALE: Final = "stale"
    """:attr:`AccountView.stale` flipped; before/after are the booleans."""
    LAGGED: Final = "lagged"
    """This subscriber fell behind and ``key`` (an int) changes were dropped for it."""


class MirrorChange(msgspec.Struct, frozen=True, kw_only=True):
    """One change to the mirror, and what caused it.

    :ivar kind: a :class:`ChangeKind` value.
    :ivar key: what changed (see :class:`ChangeKind`), or None.
    :ivar before: the view before (None if it was added).
    :ivar after: the view after (None if it was removed).
    :ivar cause: the stream event that caused it, or the :class:`ResyncReport` of the resync
        that corrected it (then the stream had missed it), or an exception for
        ``resync_failed``.
    :ivar at: clock time (epoch seconds) when the mirror applied it.
    """

    kind: str
    key: Any = None
    before: Any = None
    after: Any = None
    cause: Any = None
    at: float = 0.0

    @property
    def from_resync(self) -> bool:
        """True if a resync (not a stream event) made this change: the stream had missed it."""
        return isinstance(self.cause, ResyncReport) and self.kind in _STATE_KINDS


_STATE_KINDS = frozenset(
    {ChangeKind.BALANCE, ChangeKind.POSITION, ChangeKind.ORDER, ChangeKind.LEVERAGE}
)


class DiffEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One difference found by a resync between the stream-maintained state and the snapshot.

    :ivar section: ``"balance"``, ``"position"``, ``"order"`` or ``"leverage"``.
    """

    section: str
    key: Any
    before: Any
    after: Any

    @property
    def op(self) -> str:
        """``"added"``, ``"removed"`` or ``"changed"``."""
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


class ResyncDiff(msgspec.Struct, frozen=True):
    """What a resync corrected. Empty when the stream had missed nothing."""

    entries: tuple[DiffEntry, ...] = ()

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def section(self, name: str) -> tuple[DiffEntry, ...]:
        return tuple(e for e in self.entries if e.section == name)

    @property
    def balances(self) -> tuple[DiffEntry, ...]:
        return self.section("balance")

    @property
    def positions(self) -> tuple[DiffEntry, ...]:
        return self.section("position")

    @property
    def orders(self) -> tuple[DiffEntry, ...]:
        return self.section("order")

    def summary(self) -> dict[str, dict[str, int]]:
        """Counts: ``{section: {"added": n, "removed": n, "changed": n}}`` (non-zero only)."""
        out: dict[str, dict[str, int]] = {}
        for e in self.entries:
            counts = out.setdefault(e.section, {})
            counts[e.op] = counts.get(e.op, 0) + 1
        return out


class ResyncReport(msgspec.Struct, frozen=True, kw_only=True):
    """One completed resync.

    :ivar reason: why it ran (``"initial"``, the StreamGap's reason, ``"manual"``, ...).
    :ivar initial: True for the first snapshot (its diff lists everything as added).
    :ivar started_at: clock time the resync was requested.
    :ivar snapshot_started_at: clock time the successful snapshot attempt began.
    :ivar finished_at: clock time the new state was published.
    :ivar attempts: snapshot attempts made, including failed ones.
    :ivar buffered_events: stream events received during the successful attempt and replayed
        on top of the snapshot.
    :ivar diff: what the stream-maintained state got wrong (see :class:`ResyncDiff`).
    """

    reason: str
    initial: bool
    started_at: float
    snapshot_started_at: float
    finished_at: float
    attempts: int
    buffered_events: int
    diff: ResyncDiff

    @property
    def duration(self) -> float:
        """Seconds from request to publication, on the mirror's clock."""
        return self.finished_at - self.started_at
