"""The sans-I/O state machine of a managed user data stream.

:class:`StreamCore` makes every decision of :class:`~binance.derivatives.cmfutures.UserDataStream`
and performs no I/O: the driver tells it what happened (a REST answer, a connection opened or
closed, a frame, a ping, the passing of time), always with the current time, and executes the
:mod:`~binance.derivatives.cmfutures.stream.actions` it returns, in order. The core never reads a
clock; :meth:`StreamCore.next_deadline` says when it next wants :meth:`StreamCore.tick`.

Rules it implements (``docs/stream.md`` has the user-facing version):

* Create a key, connect ``{stream_host}/ws/{key}``, deliver events.
* The listen-key rules below are :class:`~.keys.ListenKeyMachine`'s, the per-account machine
  the pool uses (unphased here: ``phase=None``); this core executes its outputs.
* Keep the key alive every ``keepalive_interval``; a final answer (:func:`~.fatal.is_fatal`)
  stops the stream, as on create; retry other failures after
  ``keepalive_retry_delays``; on -1125 create a new key and reconnect. The keepalive doubles
  as the probe that finds a key another client of the account deleted (one key per account),
  which is why its default interval (5 min) is far below the key's 60-minute lifetime. When
  keepalives have failed for ``listen_key_lifetime`` the key is presumed expired and a
  ``POST`` decides: the same key back means nothing was lost, a new key means a reconnect
  with a gap.
* ``listenKeyExpired`` on the current key: new key, reconnect, gap.
* Half-open detection: ``ping_interval`` of silence sends a ping, ``ping_timeout`` more of
  silence declares the connection dead.
* Reconnect with exponential backoff and full jitter; the backoff resets after a connection
  stayed open ``stable_after``.
* At ``rotate_after`` open a second connection on the same key; once it is open it becomes the
  primary, and the old one keeps delivering for ``rotation_overlap`` before being closed.
  Duplicates (both connections, or Binance repeating itself) are dropped by
  :func:`~binance.derivatives.cmfutures.events.event_identity`.
* Gaps: when the last open connection is lost, events sent after the last event received on
  it may be lost. A :class:`~binance.derivatives.cmfutures.events.StreamGap` with ``since`` =
  the lower of that event's ``E`` and its receive time (the connection's opening if it
  delivered nothing; for an invalidated key, the last time the key was known good)
  and ``until`` = the time the next connection opened is delivered right after that
  connection's ``StreamConnected`` and before any of its events. A malformed frame may have
  been an event: it is a gap from the connection's last event (as above) to its receipt.
"""

from __future__ import annotations

import enum
import itertools
import logging
import random
from dataclasses import dataclass

from ..events import (
    AccountConfigUpdate,
    AccountUpdate,
    GridUpdate,
    ListenKeyExpired,
    ListenKeyRenewed,
    MalformedEvent,
    MarginCall,
    OrderTradeUpdate,
    StrategyUpdate,
    StreamConnected,
    StreamDisconnected,
    StreamGap,
    StreamMessage,
    UnknownEvent,
    decode_event,
    event_identity,
)
from .actions import (
    Action,
    Close,
    Closed,
    Connect,
    CreateKey,
    DeleteKey,
    Deliver,
    Fail,
    Keepalive,
    RestError,
    SendPing,
    SendPong,
    mask_key,
)
from .backoff import Backoff
from .dedup import RecentIdentities
from .fatal import is_fatal as _is_fatal
from .keys import (
    INVALID_LISTEN_KEY,
    KeyFailed,
    KeyLost,
    KeyOutput,
    KeyRequest,
    KeyState,
    ListenKeyMachine,
)
from .keys import describe as _describe
from .options import StreamOptions
from .stats import KeepaliveStats, StatsRecorder, StreamStats

__all__ = ["INVALID_LISTEN_KEY", "Phase", "StreamCore", "StreamFailed"]

logger = logging.getLogger("binance.derivatives.cmfutures.stream")

# Consecutive failed handshakes after which the key is verified with an early keepalive.
_VERIFY_KEY_AFTER = 3

_EVENT_TYPES: dict[type, str] = {
    ListenKeyExpired: "listenKeyExpired",
    AccountUpdate: "ACCOUNT_UPDATE",
    MarginCall: "MARGIN_CALL",
    OrderTradeUpdate: "ORDER_TRADE_UPDATE",
    AccountConfigUpdate: "ACCOUNT_CONFIG_UPDATE",
    StrategyUpdate: "STRATEGY_UPDATE",
    GridUpdate: "GRID_UPDATE",
}


class StreamFailed(Exception):
    """The stream stopped for good; ``__cause__`` holds the underlying error, if any."""


class Phase(enum.Enum):
    """Lifecycle of a :class:`StreamCore`."""

    NEW = "new"
    RUNNING = "running"
    CLOSING = "closing"
    CLOSED = "closed"
    FAILED = "failed"


class _ConnState(enum.Enum):
    CONNECTING = "connecting"
    OPEN = "open"
    DRAINING = "draining"


_LIVE = (_ConnState.OPEN, _ConnState.DRAINING)


@dataclass(eq=False)
class _Conn:
    id: int
    key: str
    purpose: str
    state: _ConnState
    started_at: float
    opened_at: float | None = None
    # Events sent before this time have been received: the start of a gap if we lose it.
    # The lower of the receive time and ``E`` of the last event (delays, clock offsets).
    last_rx: float = 0.0
    # Liveness reference for half-open detection (reset by resume() too).
    activity: float = 0.0
    ping_sent_at: float | None = None
    drain_until: float | None = None


def is_fatal(error: RestError) -> bool:
    """A REST failure retrying cannot fix: the shared rule of :mod:`.fatal` (the API key is
    missing, malformed or rejected), or the server's TLS certificate is rejected
    (``NetworkException.permanent``)."""
    return _is_fatal(error.status, error.code) or getattr(error.error, "permanent", False) is True


class StreamCore:
    """Decisions of a managed user data stream, with no I/O and no clock.

    Every input method takes ``now`` (epoch seconds, non-decreasing) and returns the actions
    to execute, in order. Inputs about a connection the core has already forgotten (it asked
    to close it) are ignored, so the driver never has to guard against races.

    :param stream_host: WebSocket base URL, e.g. ``wss://dstream.binance.com`` (a trailing
        slash is fine).
    :param options: timings and bounds; defaults to :class:`StreamOptions()`.
    :param rng: random source for the backoff jitter (seed it in tests).
    """

    def __init__(
        self,
        stream_host: str,
        options: StreamOptions | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not isinstance(stream_host, str) or not stream_host:
            raise ValueError(
                f"stream_host must be a WebSocket base URL such as 'wss://dstream.binance.com', "
                f"got {stream_host!r}"
            )
        self._host = stream_host.rstrip("/")
        self.options = opts = options if options is not None else StreamOptions()
        rng = rng if rng is not None else random.Random()
        self._backoff = Backoff(opts.backoff_initial, opts.backoff_factor, opts.backoff_max, rng)
        # The listen-key lifecycle (create, keepalive, expiry, -1125, fatal answers) is the
        # pool's per-account machine; one stream needs no keepalive spreading (phase None).
        self._keys = ListenKeyMachine(opts, phase=None, rng=rng)
        self._dedup = RecentIdentities(opts.dedup_size)
        self._stats = StatsRecorder()
        self._out: list[Action] = []
        self._phase = Phase.NEW
        self._ids = itertools.count(1)

        self._conns: dict[int, _Conn] = {}
        self._primary: int | None = None
        self._reconnect_at: float | None = None
        self._rotate_not_before = 0.0
        self._connected_once = False
        self._paused = False
        self._gap_since: float | None = None
        self._gap_reasons: list[str] = []
        self._deleting = False
        self._hint: float | None = None
        self._connect_failures = 0

    # ------------------------------------------------------------------ observers

    @property
    def phase(self) -> Phase:
        return self._phase

    @property
    def listen_key(self) -> str | None:
        """The current key (unmasked: never log it), or None."""
        return self._keys.key

    @property
    def _key(self) -> str | None:
        return self._keys.key

    @property
    def _creating(self) -> bool:
        return self._keys.state is KeyState.CREATING

    @property
    def connected(self) -> bool:
        """A connection is open and delivering."""
        return self._primary is not None

    @property
    def paused(self) -> bool:
        return self._paused

    def connections(self) -> dict[int, tuple[str, str]]:
        """Live connections: id -> (state, listen key). For tests and debugging."""
        return {c.id: (c.state.value, c.key) for c in self._conns.values()}

    @property
    def gap_pending(self) -> bool:
        """Events may currently be missed; a StreamGap will be delivered on reconnect."""
        return self._gap_since is not None

    def stats(self, now: float) -> StreamStats:
        """A snapshot of the counters at ``now`` (``queued`` is left for the driver)."""
        s = self._stats
        keepalive_due = None
        keys = self._keys
        if self._phase is Phase.RUNNING and not keys.keepalive_in_flight and self._key_usable():
            keepalive_due = keys.keepalive_due
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
            connected=self.connected,
            listen_key=None if self._key is None else mask_key(self._key),
            keepalive=KeepaliveStats(
                last_ok=keys.last_ok,
                failures=keys.failures,
                total_failures=keys.total_failures,
                next_due=keepalive_due,
            ),
            lag=s.lag(),
            backpressure_pauses=s.backpressure_pauses,
        )

    @property
    def deadline_hint(self) -> float | None:
        """A cheap lower bound of :meth:`next_deadline` (exact after most inputs): the driver
        may wake at it early, never late. None: nothing is scheduled."""
        return self._hint

    def next_deadline(self) -> float | None:
        """When :meth:`tick` must next be called, or None if nothing is scheduled."""
        if self._phase is not Phase.RUNNING:
            return None
        opts = self.options
        candidates: list[float] = []
        key_deadline = self._keys.next_deadline()
        if key_deadline is not None:
            candidates.append(key_deadline)
        if self._reconnect_at is not None:
            candidates.append(self._reconnect_at)
        rotate_at = self._rotate_at()
        if rotate_at is not None:
            candidates.append(rotate_at)
        for c in self._conns.values():
            if c.state is _ConnState.CONNECTING:
                candidates.append(c.started_at + opts.open_timeout)
            elif c.state is _ConnState.DRAINING:
                if c.drain_until is not None:
                    candidates.append(c.drain_until)
            elif not self._paused:
                if c.ping_sent_at is None:
                    candidates.append(c.activity + opts.ping_interval)
                else:
                    candidates.append(c.ping_sent_at + opts.ping_timeout)
        return min(candidates) if candidates else None

    # ------------------------------------------------------------------ inputs

    def start(self, now: float) -> list[Action]:
        """Begin: ask for a listen key."""
        if self._phase is not Phase.NEW:
            raise RuntimeError(f"StreamCore.start() called in phase {self._phase.value}")
        self._phase = Phase.RUNNING
        self._key_outputs(self._keys.start(now), now)
        return self._flush(now)

    def tick(self, now: float) -> list[Action]:
        """Time passed: run every timer that is due at ``now``."""
        return self._flush(now)

    def create_key_ok(self, key: str, now: float) -> list[Action]:
        """``POST /dapi/v1/listenKey`` returned ``key``."""
        keys = self._keys
        if self._phase is not Phase.RUNNING or keys.state is not KeyState.CREATING:
            return self._flush(now)
        if not isinstance(key, str) or not key:
            return self.create_key_failed(
                RestError(status=200, message=f"no listen key in the answer: {key!r}"), now
            )
        old, old_confirmed, create_reason = keys.key, keys.confirmed_at, self._create_reason
        self._key_outputs(keys.create_ok(key, now), now)
        if old is not None and old != key:
            self._stats.key_renewals += 1
            self._deliver(ListenKeyRenewed(now, mask_key(old), mask_key(key), create_reason))
            reason = f"listen key replaced ({create_reason})"
            for c in [c for c in self._conns.values() if c.key != key]:
                self._drop(c, now, reason, gap_since=old_confirmed)
        elif old is None:
            logger.info("listen key %s created", mask_key(key))
        if not self._conns:
            self._reconnect_at = None
            if not self._connected_once:
                purpose = "initial"
            else:
                purpose = "renewal" if old is not None and old != key else "reconnect"
            self._connect(now, purpose)
        return self._flush(now)

    def create_key_failed(self, error: RestError, now: float) -> list[Action]:
        """``POST /dapi/v1/listenKey`` failed."""
        if self._phase is not Phase.RUNNING or self._keys.state is not KeyState.CREATING:
            return self._flush(now)
        if is_fatal(error):  # the shared rule, or the server's TLS certificate is rejected
            self._fail(error, f"listen key creation rejected: {_describe(error)}")
            return self._flush(now)
        self._key_outputs(self._keys.create_failed(error, now), now)
        return self._flush(now)

    def connection_failed_permanently(
        self, conn_id: int, error: RestError, now: float
    ) -> list[Action]:
        """Connection ``conn_id`` failed in a way no retry can fix (the server's TLS
        certificate was rejected): stop the stream with ``error`` instead of reconnecting."""
        if self._phase is Phase.RUNNING and conn_id in self._conns:
            self._fail(error, f"cannot connect: {_describe(error)}")
        return self._flush(now)

    def keepalive_ok(self, now: float) -> list[Action]:
        """``PUT /dapi/v1/listenKey`` succeeded."""
        if self._phase is Phase.RUNNING:
            self._key_outputs(self._keys.keepalive_ok(now), now)
        return self._flush(now)

    def keepalive_failed(self, error: RestError, now: float) -> list[Action]:
        """``PUT /dapi/v1/listenKey`` failed: -1125 loses the key (a new one, a gap); a final
        answer (:func:`~.fatal.is_fatal`: the API key is revoked) stops the stream; anything
        else is retried after ``keepalive_retry_delays``."""
        if self._phase is Phase.RUNNING:
            self._key_outputs(self._keys.keepalive_failed(error, now), now)
        return self._flush(now)

    def delete_key_done(self, now: float, error: RestError | None = None) -> list[Action]:
        """``DELETE /dapi/v1/listenKey`` finished (``error`` if it failed: nothing to retry)."""
        if error is not None:
            logger.info("listen key deletion failed on close: %s", _describe(error))
        if self._phase is Phase.CLOSING and self._deleting:
            self._deleting = False
            self._phase = Phase.CLOSED
            self._out.append(Closed())
        return self._flush(now)

    def connection_opened(self, conn_id: int, now: float) -> list[Action]:
        """The WebSocket handshake of connection ``conn_id`` completed."""
        c = self._conns.get(conn_id)
        if c is None or c.state is not _ConnState.CONNECTING or self._phase is not Phase.RUNNING:
            return self._flush(now)
        c.state = _ConnState.OPEN
        c.opened_at = c.last_rx = c.activity = now
        self._connect_failures = 0
        self._stats.connects += 1
        old = self._conns.get(self._primary) if self._primary is not None else None
        if c.purpose == "rotation" and old is not None:
            old.state = _ConnState.DRAINING
            old.drain_until = now + self.options.rotation_overlap
            old.ping_sent_at = None
            self._stats.rotations += 1
        elif self._connected_once:
            self._stats.reconnects += 1
        self._primary = c.id
        self._reconnect_at = None
        self._connected_once = True
        logger.info("connection %d open (%s)", c.id, c.purpose)
        self._deliver(StreamConnected(now, self._masked_url(c.key), c.id))
        if self._gap_since is not None:
            reason = "; ".join(self._gap_reasons)
            self._stats.gaps += 1
            logger.warning(
                "events between %.3f and %.3f may have been missed: %s",
                self._gap_since,
                now,
                reason,
            )
            self._deliver(StreamGap(self._gap_since, now, reason))
            self._gap_since = None
            self._gap_reasons = []
        return self._flush(now)

    def connection_closed(self, conn_id: int, now: float, reason: str) -> list[Action]:
        """Connection ``conn_id`` closed or failed (also: the handshake failed)."""
        c = self._conns.get(conn_id)
        if c is not None and self._phase is Phase.RUNNING:
            self._drop(c, now, reason, send_close=False)
        return self._flush(now)

    def frame_received(self, conn_id: int, data: bytes | str, now: float) -> list[Action]:
        """A text or binary message arrived on connection ``conn_id``."""
        c = self._conns.get(conn_id)
        if c is None or c.state not in _LIVE or self._phase is not Phase.RUNNING:
            return self._flush(now)
        c.activity = now
        c.ping_sent_at = None
        try:
            event = decode_event(data)
        except MalformedEvent as exc:
            self._stats.malformed_frames += 1
            self._stats.gaps += 1
            raw = exc.raw[:200]
            shown = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
            if self._key:
                shown = shown.replace(self._key, mask_key(self._key))
            logger.warning("malformed frame on connection %d (%s): %r", c.id, exc.reason, shown)
            # It may have been an event, sent after the last one we decoded on this connection.
            self._deliver(StreamGap(min(c.last_rx, now), now, f"malformed frame: {exc.reason}"))
            return self._flush(now)
        event_time = event.event_time
        caught_up = now if event_time is None else min(now, event_time / 1000.0)
        c.last_rx = max(c.last_rx, caught_up)
        if self._dedup.seen(event_identity(event)):
            self._stats.duplicates_dropped += 1
            return self._flush_postponing(now)
        if isinstance(event, UnknownEvent):
            self._stats.record_event(event.event_type or "?", now, event_time)
        else:
            self._stats.record_event(_EVENT_TYPES[type(event)], now, event_time)
        self._deliver(event)
        if isinstance(event, ListenKeyExpired):
            if c.key == self._key and event.listen_key in (None, self._key):
                self._kill_key(now, "listen key expired (listenKeyExpired event)", caught_up)
            return self._flush(now)
        if c.key == self._key:
            self._keys.note_alive(caught_up)
        return self._flush_postponing(now)

    def ping_received(self, conn_id: int, payload: bytes, now: float) -> list[Action]:
        """The server pinged connection ``conn_id``: answer with the same payload."""
        c = self._conns.get(conn_id)
        if c is not None and c.state in _LIVE and self._phase is Phase.RUNNING:
            c.activity = now
            c.ping_sent_at = None
            self._out.append(SendPong(conn_id, payload))
        return self._flush_postponing(now)

    def pong_received(self, conn_id: int, now: float) -> list[Action]:
        """A pong (solicited or not) arrived on connection ``conn_id``."""
        c = self._conns.get(conn_id)
        if c is not None and c.state in _LIVE and self._phase is Phase.RUNNING:
            c.activity = now
            c.ping_sent_at = None
        return self._flush_postponing(now)

    def pause(self, now: float) -> list[Action]:
        """The consumer's queue is full: the driver stops reading; suspend half-open checks."""
        if not self._paused:
            self._paused = True
            self._stats.backpressure_pauses += 1
        return self._flush(now)

    def resume(self, now: float) -> list[Action]:
        """The driver reads again: restart half-open checks from ``now``."""
        if self._paused:
            self._paused = False
            for c in self._conns.values():
                if c.state is _ConnState.OPEN:
                    c.activity = now
                    c.ping_sent_at = None
        return self._flush(now)

    def close(self, now: float) -> list[Action]:
        """Stop: close every connection, delete the key if configured, then :class:`Closed`.

        Nothing is delivered after this call. Idempotent.
        """
        if self._phase in (Phase.CLOSING, Phase.CLOSED):
            return []
        was_running = self._phase is Phase.RUNNING
        had_key = (self._key is not None and not self._keys.dead) or self._creating
        self._phase = Phase.CLOSING
        self._hint = None
        self._keys.close(now, delete=False)
        for c in list(self._conns.values()):
            self._out.append(Close(c.id, "closed by the user"))
        self._conns.clear()
        self._primary = None
        self._clear_timers()
        if was_running and had_key and self.options.delete_listen_key_on_close:
            self._deleting = True
            self._out.append(DeleteKey())
        else:
            self._phase = Phase.CLOSED
            self._out.append(Closed())
        out, self._out = self._out, []
        return out

    # ------------------------------------------------------------------ internals

    def _flush(self, now: float) -> list[Action]:
        self._hint = self._run_timers(now)
        out, self._out = self._out, []
        return out

    def _flush_postponing(self, now: float) -> list[Action]:
        """``_flush`` for inputs that can only postpone deadlines (the hot path: a frame)."""
        if self._hint is None or now < self._hint:
            out, self._out = self._out, []
            return out
        return self._flush(now)

    def _run_timers(self, now: float) -> float | None:
        # Each round fires at most the timers due; actions may schedule more (a zero delay).
        for _ in range(64):
            if self._phase is not Phase.RUNNING:
                return None
            deadline = self.next_deadline()
            if deadline is None or deadline > now:
                return deadline
            self._fire(now)
        raise AssertionError("StreamCore timers did not settle")  # pragma: no cover

    def _fire(self, now: float) -> None:
        opts = self.options
        self._key_outputs(self._keys.tick(now), now)
        if self._phase is not Phase.RUNNING:
            return
        for c in list(self._conns.values()):
            if c.id not in self._conns:
                continue
            if c.state is _ConnState.CONNECTING:
                if now >= c.started_at + opts.open_timeout:
                    self._drop(
                        c,
                        now,
                        f"opening handshake timed out after {opts.open_timeout}s",
                        abort=True,
                    )
            elif c.state is _ConnState.DRAINING:
                if c.drain_until is not None and now >= c.drain_until:
                    self._drop(c, now, f"rotated: replaced by connection {self._primary}")
            elif not self._paused:
                if c.ping_sent_at is None:
                    if now >= c.activity + opts.ping_interval:
                        c.ping_sent_at = now
                        self._out.append(SendPing(c.id))
                elif now >= c.ping_sent_at + opts.ping_timeout:
                    silent = now - c.activity
                    self._drop(
                        c,
                        now,
                        f"no frame for {silent:.0f}s: connection presumed dead (half-open)",
                        abort=True,
                    )
        if self._reconnect_at is not None and self._reconnect_at <= now:
            self._reconnect_at = None
            if self._key_usable() and not self._conns:
                self._connect(now, "reconnect")
        rotate_at = self._rotate_at()
        if rotate_at is not None and rotate_at <= now:
            self._connect(now, "rotation")

    def _rotate_at(self) -> float | None:
        if self._primary is None or len(self._conns) != 1 or not self._key_usable():
            return None
        p = self._conns[self._primary]
        if p.state is not _ConnState.OPEN or p.opened_at is None or p.key != self._key:
            return None
        return max(p.opened_at + self.options.rotate_after, self._rotate_not_before)

    def _key_usable(self) -> bool:
        return self._key is not None and not self._keys.dead

    def _key_outputs(self, outputs: list[KeyOutput], now: float) -> None:
        """Carry out what the listen-key machine decided."""
        for o in outputs:
            if isinstance(o, KeyRequest):
                if o.kind == "create":
                    self._create_reason = o.reason
                    self._out.append(CreateKey(o.reason))
                elif o.kind == "keepalive":
                    self._out.append(Keepalive())
                # "delete" is decided by close() itself (it also deletes a key being created)
            elif isinstance(o, KeyLost):
                self._reconnect_at = None
                for c in list(self._conns.values()):
                    self._drop(c, now, o.reason, gap_since=o.since)
            elif isinstance(o, KeyFailed):
                self._fail(o.error, o.reason)
            # KeyReady: create_key_ok() handles the new key

    def _kill_key(self, now: float, reason: str, since: float) -> None:
        """The current key is known invalid: drop its connections, ask for a new one."""
        if self._creating:
            self._create_reason = reason
        self._key_outputs(self._keys.invalidate(reason, since, now), now)

    def _connect(self, now: float, purpose: str) -> None:
        key = self._key
        assert key is not None
        conn_id = next(self._ids)
        self._conns[conn_id] = _Conn(
            id=conn_id,
            key=key,
            purpose=purpose,
            state=_ConnState.CONNECTING,
            started_at=now,
            last_rx=now,
            activity=now,
        )
        logger.info("opening connection %d (%s) to %s", conn_id, purpose, self._masked_url(key))
        self._out.append(Connect(conn_id, f"{self._host}/ws/{key}", self._masked_url(key), purpose))

    def _drop(
        self,
        c: _Conn,
        now: float,
        reason: str,
        *,
        gap_since: float | None = None,
        send_close: bool = True,
        abort: bool = False,
    ) -> None:
        """Forget connection ``c``; announce what that means; plan what comes next."""
        del self._conns[c.id]
        if send_close:
            self._out.append(Close(c.id, reason, abort))
        was_live = c.state in _LIVE
        if was_live:
            self._stats.disconnects += 1
            logger.info("connection %d closed: %s", c.id, reason)
            self._deliver(StreamDisconnected(now, reason, c.id))
            if c.opened_at is not None and now - c.opened_at >= self.options.stable_after:
                self._backoff.reset()
        else:
            logger.info("connection %d failed to open: %s", c.id, reason)
            self._connect_failures += 1
            if (
                self._connect_failures % _VERIFY_KEY_AFTER == 0
                and self._key_usable()
                and c.key == self._key
            ):
                # Handshakes keep failing: maybe the key is gone. A keepalive now finds out
                # (-1125) instead of at the next scheduled one, up to 30 minutes away.
                self._keys.check_now(now)
        if c.id == self._primary:
            self._primary = None
            survivors = [o for o in self._conns.values() if o.state in _LIVE]
            if survivors:
                # The new connection of a rotation died: the old one carries on.
                heir = max(survivors, key=lambda o: o.opened_at or 0.0)
                heir.state = _ConnState.OPEN
                heir.drain_until = None
                heir.activity = now
                self._primary = heir.id
        if was_live and self._primary is None:
            self._open_gap(c.last_rx if gap_since is None else gap_since, reason)
        if c.purpose == "rotation" and self._primary is not None:
            # A replacement failed (to open, or during the overlap): retry it later.
            self._rotate_not_before = now + self._backoff.next_delay()
        self._schedule_reconnect(now)

    def _schedule_reconnect(self, now: float) -> None:
        if (
            self._phase is Phase.RUNNING
            and self._key_usable()
            and not self._creating
            and not self._conns
            and self._reconnect_at is None
        ):
            delay = self._backoff.next_delay()
            self._reconnect_at = now + delay
            logger.info("reconnecting in %.2fs", delay)

    def _open_gap(self, since: float, reason: str) -> None:
        if self._gap_since is None or since < self._gap_since:
            self._gap_since = since
        if reason not in self._gap_reasons:
            self._gap_reasons.append(reason)

    def _fail(self, error: RestError, reason: str) -> None:
        logger.error("user data stream stopped: %s", reason)
        self._phase = Phase.FAILED
        self._keys.close(0.0, delete=False)
        for c in list(self._conns.values()):
            self._out.append(Close(c.id, reason))
        self._conns.clear()
        self._primary = None
        self._clear_timers()
        exc = error.error if error.error is not None else StreamFailed(reason)
        self._out.append(Fail(exc, reason))

    def _clear_timers(self) -> None:
        self._reconnect_at = None

    def _deliver(self, message: StreamMessage) -> None:
        self._out.append(Deliver(message))

    def _masked_url(self, key: str) -> str:
        return f"{self._host}/ws/{mask_key(key)}"
