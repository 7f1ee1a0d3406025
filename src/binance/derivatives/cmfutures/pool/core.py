"""The sans-I/O core of :class:`~binance.derivatives.cmfutures.StreamPool`.

:class:`PoolCore` takes every decision for many accounts and performs no I/O: one
:class:`~..stream.keys.ListenKeyMachine` per account, one
:class:`~..stream.connection.ConnectionMachine` per connection slot (many keys each), one
:class:`~..stream.limits.ConnectionRateLimiter` and one :class:`~..stream.limits.WeightBudget`
for all. The driver feeds it what happened, with the time, and executes the actions it returns
(:mod:`.actions` and the stream's ``Connect`` / ``Close`` / ``Send`` / ``SendPing`` /
``SendPong``), in order.

Per account it keeps the promises of a single ``UserDataStream``: ``StreamConnected`` when
its key is first subscribed on a connection; ``StreamDisconnected`` for every connection that
stops carrying it; a ``StreamGap`` (``since``: the last event received, ``until``: the
resubscription) right after the ``StreamConnected`` that ends a period without any live
subscription; ``ListenKeyRenewed`` when its key is replaced; duplicates dropped by
:func:`~..events.event_identity`. A connection's 24 h rotation opens a successor carrying all
of its keys and closes the old one only once every key is live on the successor: no gap; if
the successor dies during the overlap, the old connection carries on (no gap either).

The single :class:`~binance.derivatives.cmfutures.UserDataStream` is this core with one
account, ``direct=True`` (its connection is ``/ws/{key}``, see
:class:`~..stream.connection.ConnectionMachine`) and unspread keepalives:
:class:`~..stream.core.StreamCore` only translates.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
from collections import deque
from dataclasses import dataclass

import msgspec

from ..events import (
    ListenKeyExpired,
    ListenKeyRenewed,
    MalformedEvent,
    StreamConnected,
    StreamDisconnected,
    StreamGap,
    UnknownEvent,
    decode_event,
    event_identity,
)
from ..stream.actions import Action, RestError, mask_key
from ..stream.backoff import Backoff
from ..stream.connection import (
    ConnectionMachine,
    ConnState,
    KeyRefused,
    KeysLost,
    Live,
    Notice,
    Send,
)
from ..stream.dedup import RecentIdentities
from ..stream.keys import (
    KeepaliveInterval,
    KeyFailed,
    KeyLost,
    KeyOutput,
    KeyReady,
    KeyRequest,
    KeyState,
    ListenKeyMachine,
    describe,
)
from ..stream.limits import ConnectionRateLimiter, WeightBudget
from ..stream.stats import EVENT_TYPE_NAMES, KeepaliveStats, StatsRecorder, StreamStats
from .actions import AccountGone, Deliver, PoolAction, RestCall
from .events import AccountFailed
from .options import PoolOptions

__all__ = ["PoolCore", "PoolPhase", "PoolTotals"]

logger = logging.getLogger("binance.derivatives.cmfutures.pool")

_GOLDEN = 0.6180339887498949
# Consecutive failed handshakes on a direct (/ws/{key}) connection after which the key is
# verified with an early keepalive: Binance refuses the handshake of a deleted key.
_VERIFY_KEY_AFTER = 3
_LIVE_CONN = (ConnState.OPEN, ConnState.DRAINING)


class PoolPhase:
    RUNNING = "running"
    CLOSED = "closed"


class _Envelope(msgspec.Struct):
    stream: str | None = None
    data: msgspec.Raw = msgspec.Raw()
    result: msgspec.Raw = msgspec.Raw()
    id: int | None = None
    code: int | None = None
    msg: str | None = None


_decode_envelope = msgspec.json.Decoder(_Envelope).decode


class AccountRecord:
    """One account's state in the core: its key machine, subscriptions, dedup, gap, stats."""

    __slots__ = (
        "connected_once",
        "dedup",
        "error",
        "failed",
        "gap_reasons",
        "gap_since",
        "id",
        "key",
        "last_rx",
        "live",
        "machine",
        "removing",
        "sched",
        "slots",
        "stats",
    )

    def __init__(self, account_id: str, machine: ListenKeyMachine, dedup_size: int) -> None:
        self.id = account_id
        self.machine = machine
        self.key: str | None = None
        self.live: set[int] = set()
        self.slots: set[int] = set()
        self.dedup = RecentIdentities(dedup_size)
        self.stats = StatsRecorder()
        self.gap_since: float | None = None
        self.gap_reasons: list[str] = []
        self.last_rx = 0.0
        self.connected_once = False
        self.failed = False
        self.error: RestError | None = None
        self.removing = False
        self.sched: float | None = None


@dataclass(frozen=True)
class PoolTotals:
    """Pool-wide counters (per-account ones are in each account's StreamStats)."""

    accounts: int
    live_accounts: int
    failed_accounts: int
    connections: int
    keys_per_connection: tuple[int, ...]
    connections_opened: int
    connections_last_window: int
    weight_used: int
    rest_queued: int
    unrouted_frames: int
    backpressure_pauses: int = 0


class PoolCore:
    """Decisions of a stream pool, with no I/O and no clock.

    :param stream_host: WebSocket base URL, e.g. ``wss://dstream.binance.com``.
    :param options: bounds and timings (:class:`PoolOptions`).
    :param rng: random source of backoff jitter.
    :param direct: one key per connection on ``/ws/{key}`` instead of ``/stream`` +
        ``SUBSCRIBE`` (the single stream's mode; ``keys_per_connection`` is then 1).
    :param spread_keepalives: give accounts evenly spread keepalive phases (off: each
        keepalive ``keepalive_interval`` after the last confirmation, as for one stream).
    """

    def __init__(
        self,
        stream_host: str,
        options: PoolOptions | None = None,
        rng: random.Random | None = None,
        *,
        direct: bool = False,
        spread_keepalives: bool = True,
    ) -> None:
        if not isinstance(stream_host, str) or not stream_host:
            raise ValueError(f"stream_host must be a WebSocket base URL, got {stream_host!r}")
        self._host = stream_host.rstrip("/")
        self.options = opts = options if options is not None else PoolOptions()
        self._sopts = opts.stream
        self._direct = direct
        self._spread = spread_keepalives
        self._rng = rng if rng is not None else random.Random()
        self.limiter = ConnectionRateLimiter(
            opts.connections_per_window, opts.connection_window, opts.connections_per_second
        )
        self.budget = WeightBudget(opts.weight_per_minute, 60.0)
        self._accounts: dict[str, AccountRecord] = {}
        self._by_key: dict[str, AccountRecord] = {}
        self._slots: dict[int, ConnectionMachine] = {}
        self._by_conn: dict[int, ConnectionMachine] = {}
        self._successor: dict[int, int] = {}
        # A finished rotation's new slot -> the old slot, while the old one drains.
        self._predecessor: dict[int, int] = {}
        self._rotate_not_before: dict[int, float] = {}
        self._fill: ConnectionMachine | None = None
        self._conn_ids = itertools.count(1)
        self._slot_ids = itertools.count(1)
        self._account_index = itertools.count()
        self._heap: list[tuple[float, int, str]] = []
        self._heap_seq = itertools.count()
        self._rest: deque[tuple[str, str, str]] = deque()
        self._rest_in_flight = 0
        self._conn_out: list[Action | Send] = []
        self._out: list[PoolAction] = []
        self._paused = False
        self._closed = False
        self._hint: float | None = None
        # The earliest deadline of any connection slot, valid while no slot was touched
        # (``_slots_dirty``): inputs that touch no slot (a keepalive answer) skip the scan.
        self._slot_min: float | None = None
        self._slots_dirty = True
        # Slots an account change touched (a key added or removed): only their deadlines can
        # have moved earlier, so they are merged into ``_slot_min`` without a full scan.
        self._touched: set[ConnectionMachine] = set()
        # One keepalive interval shared by every account's key machine (stretched with their
        # number: _fit_keepalives).
        self._interval = KeepaliveInterval(self._sopts.keepalive_interval)
        self._interval_logged = self._interval.seconds
        self._active = 0  # accounts added and not being removed
        self._connections_opened = 0
        self._unrouted = 0
        self._pauses = 0

    # ------------------------------------------------------------------ observers

    def __contains__(self, account: str) -> bool:
        acc = self._accounts.get(account)
        return acc is not None and not acc.removing

    def accounts(self) -> list[str]:
        return [a.id for a in self._accounts.values() if not a.removing]

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def deadline_hint(self) -> float | None:
        """When :meth:`tick` must next run (exact after every input but a frame, for which
        it can only be early). None: nothing scheduled."""
        return self._hint

    def live_connections(self, account: str) -> list[int]:
        """Connection ids on which ``account``'s key is live now."""
        acc = self._accounts.get(account)
        return sorted(acc.live) if acc is not None else []

    def connections(self) -> dict[int, tuple[str, int]]:
        """Slot -> (state, number of keys). For tests, stats and debugging."""
        return {s.slot: (s.state.value, len(s.keys)) for s in self._slots.values()}

    def open_connections(self) -> dict[int, tuple[str, tuple[str, ...]]]:
        """Connection id -> (state, keys) of every connection opening, open or draining."""
        return {
            s.conn_id: (s.state.value, tuple(s.keys))
            for s in self._slots.values()
            if s.conn_id is not None and s.state in (ConnState.CONNECTING, *_LIVE_CONN)
        }

    def listen_key(self, account: str) -> str | None:
        """``account``'s current key (unmasked: never log it), or None."""
        acc = self._accounts.get(account)
        return None if acc is None else acc.machine.key

    def gap_pending(self, account: str) -> bool:
        """``account`` may be missing events now; a StreamGap follows its next StreamConnected."""
        acc = self._accounts.get(account)
        return acc is not None and acc.gap_since is not None

    def failure(self, account: str) -> RestError | None:
        """Why ``account`` failed (its :class:`AccountFailed`), or None."""
        acc = self._accounts.get(account)
        return None if acc is None else acc.error

    def next_deadline(self, now: float) -> float | None:
        """The exact time :meth:`tick` must next run (a full scan; :attr:`deadline_hint` is
        the cheap bound the drivers use)."""
        if self._closed:
            return None
        self._slots_dirty = True
        return self._next_deadline(now)

    def account_stats(self, account: str, now: float) -> StreamStats:
        """``account``'s :class:`StreamStats` at ``now``.

        :raises KeyError: unknown account.
        """
        return account_stats(self._accounts[account], now)

    def account_record(self, account: str) -> AccountRecord:
        """``account``'s record (kept by the one-account StreamCore past the account's end,
        for its stats). :raises KeyError: unknown account."""
        return self._accounts[account]

    def totals(self, now: float) -> PoolTotals:
        accounts = [a for a in self._accounts.values() if not a.removing]
        live = [s for s in self._slots.values() if s.state in _LIVE_CONN]
        return PoolTotals(
            accounts=len(accounts),
            live_accounts=sum(1 for a in accounts if a.live),
            failed_accounts=sum(1 for a in accounts if a.failed),
            connections=len(live),
            keys_per_connection=tuple(len(s.keys) for s in live),
            connections_opened=self._connections_opened,
            connections_last_window=self.limiter.used(now),
            weight_used=self.budget.used(now),
            rest_queued=len(self._rest),
            unrouted_frames=self._unrouted,
            backpressure_pauses=self._pauses,
        )

    # ------------------------------------------------------------------ account inputs

    def add(self, account: str, now: float) -> list[PoolAction]:
        """Start ``account``: create its key, then subscribe it. Idempotent. The work is done
        by the next :meth:`tick` (:attr:`deadline_hint` becomes ``now``).

        :raises RuntimeError: after :meth:`close`, or while the account is being removed.
        """
        if self._closed:
            raise RuntimeError("this pool is closed")
        existing = self._accounts.get(account)
        if existing is not None:
            if existing.removing:
                raise RuntimeError(f"account {account!r} is being removed; await remove() first")
            return self._flush(now)
        interval = self._sopts.keepalive_interval
        phase: float | None = None
        if self._spread:
            phase = ((next(self._account_index) * _GOLDEN) % 1.0) * interval
        machine = ListenKeyMachine(self._sopts, phase, self._rng, self._interval)
        acc = AccountRecord(account, machine, self.options.dedup_size)
        acc.last_rx = now
        self._accounts[account] = acc
        self._active += 1
        self._fit_keepalives()
        self._key_outputs(acc, machine.start(now), now)
        return self._flush_later(now)

    def remove(self, account: str, now: float) -> list[PoolAction]:
        """Stop ``account``: unsubscribe it, delete its key (if configured and the budget
        allows now), then :class:`~.actions.AccountGone`. Nothing more is delivered for it."""
        acc = self._accounts.get(account)
        if acc is None or acc.removing:
            return self._flush(now)
        acc.removing = True
        self._active -= 1
        self._fit_keepalives()
        self._slots_dirty = True
        self._unsubscribe(acc)
        requests = acc.machine.close(now, self._sopts.delete_listen_key_on_close)
        self._rest = deque(r for r in self._rest if r[0] != account)
        if requests and self.budget.try_acquire(1, now):
            self._rest_in_flight += 1
            self._out.append(RestCall(account, "delete", "removed"))
        else:
            self._forget(acc)
        return self._flush(now)

    def rest_ok(
        self,
        account: str,
        kind: str,
        now: float,
        *,
        listen_key: str | None = None,
        used_weight: int | None = None,
    ) -> list[PoolAction]:
        """The ``kind`` call of a :class:`RestCall` succeeded (create: with ``listen_key``)."""
        acc = self._rest_answered(account, kind, now, used_weight)
        if acc is None:
            return self._flush(now)
        machine = acc.machine
        if kind == "create":
            self._key_outputs(acc, machine.create_ok(listen_key or "", now), now)
        else:
            self._key_outputs(acc, machine.keepalive_ok(now), now)
        return self._flush(now)

    def rest_failed(
        self,
        account: str,
        kind: str,
        error: RestError,
        now: float,
        *,
        used_weight: int | None = None,
    ) -> list[PoolAction]:
        """The ``kind`` call of a :class:`RestCall` failed."""
        if error.status in (429, 418) and error.retry_after is not None:
            logger.warning(
                "HTTP %d: every REST call of the pool waits %.0fs", error.status, error.retry_after
            )
            self.budget.retry_after(error.retry_after, now)
        acc = self._rest_answered(account, kind, now, used_weight)
        if acc is None:
            return self._flush(now)
        machine = acc.machine
        if kind == "create":
            self._key_outputs(acc, machine.create_failed(error, now), now)
        else:
            self._key_outputs(acc, machine.keepalive_failed(error, now), now)
        return self._flush(now)

    def _rest_answered(
        self, account: str, kind: str, now: float, used_weight: int | None
    ) -> AccountRecord | None:
        """Book a REST answer; the account whose key machine takes it, or None (a deletion
        finished, or the account is gone or leaving)."""
        self._rest_in_flight = max(0, self._rest_in_flight - 1)
        if used_weight is not None:
            self.budget.observe_used(used_weight, now)
        acc = self._accounts.get(account)
        if acc is None:
            return None
        if kind == "delete":
            if acc.removing:
                self._forget(acc)
            return None
        return None if acc.removing else acc

    @property
    def keepalive_interval(self) -> float:
        """The accounts' keepalive interval now (seconds), stretched with their number."""
        return self._interval.seconds

    def _fit_keepalives(self) -> None:
        """Keep N accounts' keepalives (1 weight each per interval) within
        ``keepalive_share`` of the budget: the interval is N / (that share per minute)
        minutes, at least ``stream.keepalive_interval``, at most ``max_keepalive_interval``
        (and half the key's lifetime). It applies to every account from its next keepalive."""
        opts = self.options
        base = self._sopts.keepalive_interval
        cap = max(base, min(opts.max_keepalive_interval, self._sopts.listen_key_lifetime / 2))
        accounts = self._active
        needed = accounts * 60.0 / (opts.weight_per_minute * opts.keepalive_share)
        interval = min(cap, max(base, needed))
        current = self._interval.seconds
        if interval == current:
            return
        self._interval.seconds = interval
        logged = self._interval_logged
        if interval in (base, cap) or abs(interval - logged) >= logged / 10:
            self._interval_logged = interval
            logger.info(
                "keepalive interval %.0fs for %d accounts (at most %.0f%% of %d weight/min)",
                interval, accounts, opts.keepalive_share * 100, opts.weight_per_minute,
            )

    def spend(self, weight: int, now: float) -> float:
        """Take ``weight`` from the shared budget for a call made outside the core (a mirror
        snapshot): 0.0 when granted, else the time to ask again."""
        if self.budget.try_acquire(weight, now):
            return 0.0
        return self.budget.next_free(weight, now)

    def observe(self, now: float, *, used_weight: int | None = None,
                retry_after: float | None = None) -> None:
        """Report a REST answer made outside the core (weight header, Retry-After)."""
        if used_weight is not None:
            self.budget.observe_used(used_weight, now)
        if retry_after is not None:
            self.budget.retry_after(retry_after, now)

    # ------------------------------------------------------------------ connection inputs

    def _slot_for(self, conn_id: int) -> ConnectionMachine | None:
        slot = self._by_conn.get(conn_id)
        if slot is None or slot.conn_id != conn_id:
            return None
        return slot

    def connection_opened(self, conn_id: int, now: float) -> list[PoolAction]:
        slot = self._slot_for(conn_id)
        if slot is not None:
            self._notices(slot.opened(now), now)
            self._slots_dirty = True
        return self._flush(now)

    def connection_closed(self, conn_id: int, now: float, reason: str) -> list[PoolAction]:
        slot = self._slot_for(conn_id)
        if slot is not None:
            self._slots_dirty = True
            self._by_conn.pop(conn_id, None)
            keys = list(slot.keys)
            fails = slot.failed_opens
            self._after_slot(slot, keys, slot.closed(now, reason), now, fails)
        return self._flush(now)

    def connection_failed_permanently(
        self, conn_id: int, error: RestError, now: float
    ) -> list[PoolAction]:
        """Connection ``conn_id`` failed in a way no retry can fix (the server's TLS
        certificate was rejected): every account it was opened for fails with ``error``."""
        slot = self._slot_for(conn_id)
        if slot is not None:
            self._slots_dirty = True
            self._by_conn.pop(conn_id, None)
            keys = list(slot.keys)
            self._after_slot(slot, keys, slot.closed(now, error.message), now)
            reason = f"cannot connect: {describe(error)}"
            for key in keys:
                acc = self._by_key.get(key)
                if acc is not None and acc.key == key and not acc.failed:
                    self._key_outputs(acc, [KeyFailed(error, reason)], now)
        return self._flush(now)

    def ping_received(self, conn_id: int, payload: bytes, now: float) -> list[PoolAction]:
        slot = self._slot_for(conn_id)
        if slot is not None:
            slot.ping_received(payload, now)
            self._slots_dirty = True
        return self._flush(now)

    def pong_received(self, conn_id: int, now: float) -> list[PoolAction]:
        slot = self._slot_for(conn_id)
        if slot is not None:
            slot.activity(now)
        return self._flush_postponing(now)

    def frame_received(self, conn_id: int, data: bytes | str, now: float) -> list[PoolAction]:
        """A text/binary frame arrived on connection ``conn_id`` (the hot path)."""
        slot = self._slot_for(conn_id)
        if slot is None or slot.state not in _LIVE_CONN:
            return self._flush_postponing(now)
        slot.activity(now)
        if slot.direct:
            for direct_key in slot.keys:
                account = self._by_key.get(direct_key)
                if account is not None and account.key == direct_key:
                    self._event(account, direct_key, data, now)
                    break
            return self._flush_postponing(now)
        try:
            env = _decode_envelope(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._malformed_on_slot(slot, f"malformed frame: {exc}", now)
            return self._flush(now)
        key = env.stream
        if key is None:
            if env.id is not None or env.code is not None:
                error = None if env.code is None else f"code {env.code}: {env.msg}"
                if error is not None and env.id is None:
                    logger.warning("connection %d: server error %s", conn_id, error)
                self._notices(slot.reply(env.id, error, now), now)
                self._slots_dirty = True
                return self._flush(now)
            self._malformed_on_slot(slot, "frame outside the combined-stream envelope", now)
            return self._flush(now)
        acc = self._by_key.get(key)
        if acc is None or acc.key != key:
            self._unrouted += 1
            return self._flush_postponing(now)
        self._event(acc, key, bytes(env.data), now)
        return self._flush_postponing(now)

    def _event(self, acc: AccountRecord, key: str, data: bytes | str, now: float) -> None:
        """One event frame of ``acc``'s key: decode, de-duplicate, count, deliver."""
        try:
            event = decode_event(data)
        except MalformedEvent as exc:
            acc.stats.malformed_frames += 1
            raw = exc.raw[:200]
            shown = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
            logger.warning("%s: malformed frame (%s): %r", acc.id, exc.reason,
                           shown.replace(key, mask_key(key)))
            # It may have been an event, sent after the last one we decoded.
            self._gap_now(acc, f"malformed frame: {exc.reason}", now)
            return
        event_time = event.event_time
        caught_up = now if event_time is None else min(now, event_time / 1000.0)
        if caught_up > acc.last_rx:
            acc.last_rx = caught_up
        stats = acc.stats
        if acc.dedup.seen(event_identity(event)):
            stats.duplicates_dropped += 1
            return
        if isinstance(event, UnknownEvent):
            stats.record_event(event.event_type or "?", now, event_time)
        else:
            stats.record_event(EVENT_TYPE_NAMES[type(event)], now, event_time)
        self._out.append(Deliver(acc.id, event))
        if isinstance(event, ListenKeyExpired):
            if event.listen_key in (None, key):
                self._key_outputs(
                    acc,
                    acc.machine.invalidate("listen key expired (listenKeyExpired event)",
                                           caught_up, now),
                    now,
                )
                self._hint = now  # the key's loss must be carried out at once
            return
        acc.machine.note_alive(caught_up)

    def pause(self, now: float) -> list[PoolAction]:
        """The consumer is behind: the driver stops reading; suspend half-open checks."""
        if not self._paused:
            self._pauses += 1
            for acc in self._accounts.values():
                acc.stats.backpressure_pauses += 1
        self._paused = True
        self._slots_dirty = True
        return self._flush(now)

    def resume(self, now: float) -> list[PoolAction]:
        """Reading again: half-open checks restart from ``now``."""
        if self._paused:
            self._paused = False
            self._slots_dirty = True
            for slot in self._slots.values():
                if slot.state is ConnState.OPEN:
                    slot.activity(now)
        return self._flush(now)

    def tick(self, now: float) -> list[PoolAction]:
        """Time passed: run every timer due at ``now``."""
        return self._flush(now)

    def close(self, now: float) -> list[PoolAction]:
        """Stop everything: close every connection; delete the keys the budget allows now
        (the others expire within the key lifetime); :class:`AccountGone` for each account."""
        if self._closed:
            return []
        self._closed = True
        for slot in list(self._slots.values()):
            slot.close("closed by the user")
        self._slots.clear()
        self._by_conn.clear()
        delete = self._sopts.delete_listen_key_on_close
        skipped = 0
        for acc in list(self._accounts.values()):
            if acc.removing:
                continue
            acc.removing = True
            if acc.machine.close(now, delete) and self.budget.try_acquire(1, now):
                self._rest_in_flight += 1
                self._out.append(RestCall(acc.id, "delete", "closed"))
            else:
                if delete and acc.key is not None and not acc.failed:
                    skipped += 1
                self._forget(acc)
        if skipped:
            logger.info("%d listen keys not deleted (weight budget): they expire on their own",
                        skipped)
        self._rest.clear()
        self._hint = None
        return self._drain_out()

    # ------------------------------------------------------------------ internals: keys

    def _key_outputs(self, acc: AccountRecord, outputs: list[KeyOutput], now: float) -> None:
        for o in outputs:
            if isinstance(o, KeyRequest):
                if o.kind != "delete":
                    self._rest.append((acc.id, o.kind, o.reason))
            elif isinstance(o, KeyLost):
                self._drop_key(acc, o.key, o.reason, o.since, now)
            elif isinstance(o, KeyReady):
                if o.old is not None:
                    # The renewal first: it explains the disconnection that follows.
                    acc.stats.key_renewals += 1
                    self._out.append(Deliver(acc.id, ListenKeyRenewed(
                        now, mask_key(o.old), mask_key(o.key), o.reason)))
                    if acc.key == o.old:
                        self._drop_key(acc, o.old, f"listen key replaced ({o.reason})",
                                       o.since, now)
                acc.key = o.key
                self._by_key[o.key] = acc
                self._assign(acc, now, "renewal" if o.old is not None else None)
            elif isinstance(o, KeyFailed):
                acc.failed = True
                acc.error = o.error
                self._unsubscribe(acc, o.reason)
                self._out.append(Deliver(acc.id, AccountFailed(
                    now, o.reason, o.error.status, o.error.code)))
        self._schedule(acc)

    def _schedule(self, acc: AccountRecord) -> None:
        deadline = acc.machine.next_deadline()
        if deadline is not None and deadline != acc.sched:
            acc.sched = deadline
            heapq.heappush(self._heap, (deadline, next(self._heap_seq), acc.id))
        elif deadline is None:
            acc.sched = None

    def _drop_key(
        self, acc: AccountRecord, key: str, reason: str, since: float, now: float
    ) -> None:
        """``acc`` stops using ``key``: unsubscribe it everywhere, announce the loss."""
        if self._by_key.get(key) is acc:
            del self._by_key[key]
        had_live = bool(acc.live)
        for slot_id in list(acc.slots):
            slot = self._slots.get(slot_id)
            if slot is None:
                continue
            conn_id = slot.conn_id
            self._touched.add(slot)
            if slot.remove_key(key, reason) and conn_id is not None and conn_id in acc.live:
                acc.live.discard(conn_id)
                acc.stats.disconnects += 1
                self._out.append(Deliver(acc.id, StreamDisconnected(now, reason, conn_id)))
        acc.slots.clear()
        acc.live.clear()
        if acc.key == key:
            acc.key = None
        if had_live or acc.connected_once:
            self._open_gap(acc, since, reason)

    def _unsubscribe(self, acc: AccountRecord, reason: str = "account removed") -> None:
        """Silently stop carrying ``acc`` (removal, failure): no control events."""
        if acc.key is not None:
            if self._by_key.get(acc.key) is acc:
                del self._by_key[acc.key]
            for slot_id in acc.slots:
                slot = self._slots.get(slot_id)
                if slot is not None:
                    slot.remove_key(acc.key, reason)
                    self._touched.add(slot)
        acc.slots.clear()
        acc.live.clear()

    def _forget(self, acc: AccountRecord) -> None:
        self._accounts.pop(acc.id, None)
        self._out.append(AccountGone(acc.id))

    def _open_gap(self, acc: AccountRecord, since: float, reason: str) -> None:
        if acc.gap_since is None or since < acc.gap_since:
            acc.gap_since = since
        if reason not in acc.gap_reasons:
            acc.gap_reasons.append(reason)

    def _gap_now(self, acc: AccountRecord, reason: str, now: float) -> None:
        acc.stats.gaps += 1
        self._out.append(Deliver(acc.id, StreamGap(min(acc.last_rx, now), now, reason)))

    def _malformed_on_slot(self, slot: ConnectionMachine, reason: str, now: float) -> None:
        """A frame we cannot attribute: it may have been an event of any key on the slot."""
        for key in slot.live_keys():
            acc = self._by_key.get(key)
            if acc is not None and acc.key == key:
                acc.stats.malformed_frames += 1
                self._gap_now(acc, reason, now)

    # ------------------------------------------------------------------ internals: slots

    def _assign(self, acc: AccountRecord, now: float, purpose: str | None = None) -> None:
        key = acc.key
        if key is None or acc.removing or acc.failed:
            return
        if purpose is None:
            purpose = "initial" if not acc.connected_once else "reconnect"
        slot = self._fill
        if slot is None or not slot.has_room or slot.slot not in self._slots:
            slot = next((s for s in self._slots.values() if s.has_room), None)
            if slot is None:
                slot = self._new_slot(purpose)
            self._fill = slot
        if slot.direct and slot.state is ConnState.WAITING and not slot.keys:
            slot.purpose = purpose
        slot.add_key(key)
        acc.slots.add(slot.slot)
        self._touched.add(slot)

    def _new_slot(self, purpose: str) -> ConnectionMachine:
        opts = self.options
        sopts = self._sopts
        slot = ConnectionMachine(
            next(self._slot_ids),
            self._host,
            sopts,
            self._conn_out,
            Backoff(sopts.backoff_initial, sopts.backoff_factor, sopts.backoff_max, self._rng),
            messages_per_second=opts.messages_per_second,
            keys_per_message=opts.keys_per_subscribe,
            max_keys=opts.keys_per_connection,
            purpose=purpose,
            direct=self._direct,
        )
        self._slots[slot.slot] = slot
        return slot

    def _after_slot(
        self,
        slot: ConnectionMachine,
        keys_before: list[str],
        notices: list[Notice],
        now: float,
        fails_before: int | None = None,
    ) -> None:
        """Apply what ``slot`` reported; if it closed for good, re-home its keys. A rotation's
        new connection lost during the overlap hands its keys back to the old one; direct
        handshakes failing again and again have their key verified."""
        old_id = self._predecessor.get(slot.slot)
        old = self._slots.get(old_id) if old_id is not None else None
        if (
            old is not None
            and old.state is ConnState.DRAINING
            and slot.state in (ConnState.WAITING, ConnState.CLOSED)
        ):
            del self._predecessor[slot.slot]
            old.undrain(now)
            self._rotate_not_before[old.slot] = now + old.retry_delay()
            self._notices(notices, now)
            slot.close("the connection it replaced carries on")
            self._slot_gone(slot, [], now)
            for key in keys_before:
                acc = self._by_key.get(key)
                if acc is not None:
                    acc.slots.discard(slot.slot)
            logger.info("rotation to slot %d failed: connection %s carries on", slot.slot,
                        old.conn_id)
            return
        self._notices(notices, now)
        if (
            slot.direct
            and fails_before is not None
            and slot.failed_opens > fails_before
            and slot.failed_opens % _VERIFY_KEY_AFTER == 0
        ):
            # Handshakes keep failing: maybe the key is gone. A keepalive now finds out
            # (-1125) instead of at the next scheduled one, up to an interval away.
            for key in slot.keys:
                acc = self._by_key.get(key)
                if acc is not None and acc.key == key and acc.machine.check_now(now):
                    self._schedule(acc)
        if slot.state is ConnState.CLOSED:
            self._slot_gone(slot, keys_before, now)

    def _slot_gone(self, slot: ConnectionMachine, keys: list[str], now: float) -> None:
        self._slots.pop(slot.slot, None)
        if slot.conn_id is not None:
            self._by_conn.pop(slot.conn_id, None)
        for old, new in list(self._successor.items()):
            if old == slot.slot or new == slot.slot:
                del self._successor[old]
        for new, old in list(self._predecessor.items()):
            if old == slot.slot or new == slot.slot:
                del self._predecessor[new]
        self._rotate_not_before.pop(slot.slot, None)
        if self._fill is slot:
            self._fill = None
        for key in keys:
            acc = self._by_key.get(key)
            if acc is None or acc.key != key:
                continue
            acc.slots.discard(slot.slot)
            if not acc.slots:
                self._assign(acc, now)

    def _notices(self, notices: list[Notice], now: float) -> None:
        for n in notices:
            if isinstance(n, Live):
                acc = self._by_key.get(n.key)
                if acc is None or acc.key != n.key:
                    continue
                was_live = bool(acc.live)
                acc.live.add(n.conn_id)
                stats = acc.stats
                stats.connects += 1
                if not was_live:
                    acc.last_rx = max(acc.last_rx, now)
                    if acc.connected_once:
                        stats.reconnects += 1
                acc.connected_once = True
                if self._direct:
                    url = f"{self._host}/ws/{mask_key(n.key)}"
                else:
                    url = f"{self._host}/stream?streams={mask_key(n.key)}"
                self._out.append(Deliver(acc.id, StreamConnected(now, url, n.conn_id)))
                if not was_live and acc.gap_since is not None:
                    stats.gaps += 1
                    reason = "; ".join(acc.gap_reasons)
                    self._out.append(Deliver(acc.id, StreamGap(acc.gap_since, now, reason)))
                    acc.gap_since = None
                    acc.gap_reasons = []
            elif isinstance(n, KeysLost):
                for key in n.keys:
                    acc = self._by_key.get(key)
                    if acc is None or acc.key != key or n.conn_id not in acc.live:
                        continue
                    acc.live.discard(n.conn_id)
                    acc.stats.disconnects += 1
                    self._out.append(
                        Deliver(acc.id, StreamDisconnected(now, n.reason, n.conn_id))
                    )
                    if not acc.live:
                        self._open_gap(acc, acc.last_rx, n.reason)
            elif isinstance(n, KeyRefused):
                acc = self._by_key.get(n.key)
                if acc is None or acc.key != n.key:
                    continue
                for slot_id in list(acc.slots):
                    slot = self._slots.get(slot_id)
                    if slot is not None and n.key not in slot.keys:
                        acc.slots.discard(slot_id)
                self._key_outputs(
                    acc,
                    acc.machine.invalidate(f"SUBSCRIBE refused ({n.reason})", acc.last_rx, now),
                    now,
                )

    # ------------------------------------------------------------------ internals: timers

    def _flush_later(self, now: float) -> list[PoolAction]:
        """Leave the timers to the next :meth:`tick` (due at once): adding 10,000 accounts
        costs one pass over the connections, not one per account."""
        if not self._closed:
            self._hint = now if self._hint is None else min(self._hint, now)
        return self._drain_out()

    def _flush_postponing(self, now: float) -> list[PoolAction]:
        if self._hint is None or now < self._hint:
            return self._drain_out()
        return self._flush(now)

    def _flush(self, now: float) -> list[PoolAction]:
        if not self._closed:
            for _ in range(64):
                self._run(now)
                self._hint = self._next_deadline(now)
                if self._hint is None or self._hint > now:
                    break
        return self._drain_out()

    def _drain_out(self) -> list[PoolAction]:
        if self._conn_out:
            self._out.extend(self._conn_out)  # type: ignore[arg-type]
            self._conn_out.clear()
        out, self._out = self._out, []
        return out

    def _run(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            deadline, _, account = heapq.heappop(heap)
            acc = self._accounts.get(account)
            if acc is None or acc.sched != deadline or acc.removing:
                continue
            acc.sched = None
            self._key_outputs(acc, acc.machine.tick(now), now)
        paused = self._paused
        slot_min = self._slot_min
        if not self._slots_dirty and (slot_min is None or slot_min > now):
            self._issue_rest(now)
            return
        self._slots_dirty = True  # the pass below may change any slot: recompute after
        for slot in list(self._slots.values()):
            if slot.slot not in self._slots:
                continue
            if slot.state is ConnState.WAITING:
                if not slot.keys:  # every account left while it waited: nothing to open
                    slot.close("no keys left")
                    self._slot_gone(slot, [], now)
                    continue
                due = slot.retry_at is not None and slot.retry_at <= now
                if due and self.limiter.try_acquire(now):
                    if slot.conn_id is not None:
                        self._by_conn.pop(slot.conn_id, None)
                    conn_id = next(self._conn_ids)
                    self._by_conn[conn_id] = slot
                    self._connections_opened += 1
                    slot.connect(conn_id, now)
                continue
            due_at = slot.next_deadline(paused)
            if due_at is not None and due_at <= now:
                keys = list(slot.keys)
                fails = slot.failed_opens
                self._after_slot(slot, keys, slot.tick(now, paused), now, fails)
        self._rotations(now)
        self._issue_rest(now)

    def _rotations(self, now: float) -> None:
        after = self._sopts.rotate_after
        for old_id, new_id in list(self._successor.items()):
            old, new = self._slots.get(old_id), self._slots.get(new_id)
            if old is None or new is None:
                self._successor.pop(old_id, None)
                continue
            if new.all_live():
                del self._successor[old_id]
                self._predecessor[new_id] = old_id
                old.drain(now + self._sopts.rotation_overlap,
                          f"rotated: replaced by connection {new.conn_id}")
                for key in new.keys:
                    acc = self._by_key.get(key)
                    if acc is not None and acc.key == key:
                        acc.stats.rotations += 1
        for slot in list(self._slots.values()):
            if (
                slot.state is ConnState.OPEN
                and not slot.retiring
                and slot.opened_at is not None
                and now >= max(slot.opened_at + after,
                               self._rotate_not_before.get(slot.slot, 0.0))
                and slot.keys
            ):
                self._start_rotation(slot)

    def _start_rotation(self, old: ConnectionMachine) -> None:
        new = self._new_slot("rotation")
        new.max_keys = max(new.max_keys, len(old.keys))
        old.retiring = True
        if self._fill is old:
            self._fill = None
        for key in old.keys:
            new.add_key(key)
            acc = self._by_key.get(key)
            if acc is not None and acc.key == key:
                acc.slots.add(new.slot)
        self._successor[old.slot] = new.slot
        logger.info("rotating connection %s (%d keys) to slot %d", old.conn_id, len(old.keys),
                    new.slot)

    def _issue_rest(self, now: float) -> None:
        rest = self._rest
        limit = self.options.rest_concurrency
        while rest and self._rest_in_flight < limit:
            if not self.budget.try_acquire(1, now):
                break
            account, kind, reason = rest.popleft()
            self._rest_in_flight += 1
            self._out.append(RestCall(account, kind, reason))

    def _next_deadline(self, now: float) -> float | None:
        times: list[float] = []
        heap = self._heap
        if heap:
            times.append(heap[0][0])
        if self._slots_dirty:
            self._slot_min = self._scan_slots(now)
            self._slots_dirty = False
            self._touched.clear()
        elif self._touched:
            rate_free: list[float] = []
            for slot in self._touched:
                if slot.slot not in self._slots:
                    continue
                d = self._slot_deadline(slot, now, rate_free)
                if d is not None and (self._slot_min is None or d < self._slot_min):
                    self._slot_min = d
            self._touched.clear()
        if self._slot_min is not None:
            times.append(self._slot_min)
        if self._rest and self._rest_in_flight < self.options.rest_concurrency:
            times.append(self.budget.next_free(1, now))
        return min(times) if times else None

    def _scan_slots(self, now: float) -> float | None:
        """The earliest deadline over every slot (timers, reconnects under the rate limit,
        rotations)."""
        rate_free: list[float] = []
        times = [
            d
            for d in (self._slot_deadline(slot, now, rate_free) for slot in self._slots.values())
            if d is not None
        ]
        return min(times) if times else None

    def _slot_deadline(
        self, slot: ConnectionMachine, now: float, rate_free: list[float]
    ) -> float | None:
        """When ``slot`` next needs the core: its own timers, its reconnect (no earlier than
        the connection-rate limiter allows; ``rate_free`` caches that), its rotation."""
        if slot.state is ConnState.WAITING:
            if not slot.keys:
                return now
            if slot.retry_at is None:
                return None
            if not rate_free:
                rate_free.append(self.limiter.next_free(now))
            return max(slot.retry_at, rate_free[0])
        d = slot.next_deadline(self._paused)
        if slot.state is ConnState.OPEN and not slot.retiring and slot.opened_at is not None:
            rotate = max(slot.opened_at + self._sopts.rotate_after,
                         self._rotate_not_before.get(slot.slot, 0.0))
            d = rotate if d is None else min(d, rotate)
        return d


def account_stats(acc: AccountRecord, now: float) -> StreamStats:
    """``acc``'s :class:`StreamStats` at ``now``."""
    s = acc.stats
    m = acc.machine
    return StreamStats(
        events_by_type=dict(s.events_by_type),
        events=s.events,
        duplicates_dropped=s.duplicates_dropped,
        malformed_frames=s.malformed_frames,
        connects=s.connects,
        reconnects=s.reconnects,
        rotations=s.rotations,
        disconnects=s.disconnects,
        gaps=s.gaps,
        key_renewals=s.key_renewals,
        last_event_at=s.last_event_at,
        last_event_age=None if s.last_event_at is None else now - s.last_event_at,
        connected=bool(acc.live),
        listen_key=None if acc.key is None else mask_key(acc.key),
        keepalive=KeepaliveStats(
            last_ok=m.last_ok,
            failures=m.failures,
            total_failures=m.total_failures,
            next_due=(
                m.keepalive_due
                if m.state is KeyState.ACTIVE and not m.keepalive_in_flight and not m.dead
                else None
            ),
        ),
        lag=s.lag(),
        backpressure_pauses=s.backpressure_pauses,
    )
