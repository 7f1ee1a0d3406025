"""The connection machine: one WebSocket carrying many listen keys, sans-I/O.

A :class:`ConnectionMachine` is a *slot*: a place for up to ``max_keys`` listen keys that
lives across reconnects. Each physical connection it opens gets a new connection id. It
connects to ``{stream_host}/stream``, subscribes its keys with ``SUBSCRIBE`` requests of at
most ``keys_per_message`` keys, and reports each key live when the server acknowledges it.

In *direct* mode (the single :class:`~binance.derivatives.cmfutures.UserDataStream`) a slot
holds one key and connects to ``{stream_host}/ws/{key}`` instead: the key is live as soon as
the handshake completes, nothing is subscribed, and replacing the key means a new connection.

States (:class:`ConnState`): ``WAITING`` (for its reconnect time and a connection-rate token;
the owner calls :meth:`connect`), ``CONNECTING``, ``OPEN``, ``DRAINING`` (replaced by a
rotation: still delivering until ``drain_until``), ``CLOSED``.

Rules:

* Every frame sent counts against ``messages_per_second`` in any rolling second: SUBSCRIBE,
  UNSUBSCRIBE, pings and pongs alike (Binance closes a connection receiving more than 10
  incoming messages per second). Pongs and pings go first; requests wait for a free slot.
  Pings waiting for their pong are answered once, with the latest payload (RFC 6455 5.5.3
  allows it): a ping flood cannot grow a queue.
* Half-open detection as in the single stream: ``ping_interval`` of silence sends a ping;
  ``ping_timeout`` more declares the connection dead.
* A SUBSCRIBE unanswered after ``open_timeout`` means the connection is not working: it is
  dropped and reopened.
* A lost connection goes back to ``WAITING`` for a backoff delay (full jitter, reset once a
  connection stayed up ``stable_after``), its keys pending again; with no keys left it closes.

The machine reports to its owner with :class:`Notice` values (a key became live, keys were
lost, a SUBSCRIBE was refused) and asks for I/O with the stream actions
(:class:`~.actions.Connect`, :class:`~.actions.Close`, :class:`Send`, pings, pongs).
"""

from __future__ import annotations

import enum
import itertools
import json
import logging
from collections import deque
from dataclasses import dataclass
from typing import Union

from .actions import Action, Close, Connect, SendPing, SendPong, mask_key
from .backoff import Backoff
from .options import StreamOptions

__all__ = [
    "ConnState",
    "ConnectionMachine",
    "KeyRefused",
    "KeysLost",
    "Live",
    "Notice",
    "Send",
    "SubState",
]

logger = logging.getLogger("binance.derivatives.cmfutures.stream")


class ConnState(enum.Enum):
    """Lifecycle of a :class:`ConnectionMachine`."""

    WAITING = "waiting"
    CONNECTING = "connecting"
    OPEN = "open"
    DRAINING = "draining"
    CLOSED = "closed"


class SubState(enum.Enum):
    """A key's subscription on the current connection."""

    PENDING = "pending"
    SENT = "sent"
    LIVE = "live"


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``text`` on connection ``conn_id`` (a SUBSCRIBE / UNSUBSCRIBE request)."""

    conn_id: int
    text: str


@dataclass(frozen=True, slots=True)
class Live:
    """``key`` is subscribed on connection ``conn_id`` since ``at``."""

    key: str
    conn_id: int
    at: float


@dataclass(frozen=True, slots=True)
class KeysLost:
    """Connection ``conn_id`` stopped delivering ``keys`` (they were live on it)."""

    keys: tuple[str, ...]
    conn_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class KeyRefused:
    """The server refused to subscribe ``key``."""

    key: str
    reason: str


Notice = Union[Live, KeysLost, KeyRefused]  # noqa: UP007

_LIVE_STATES = (ConnState.OPEN, ConnState.DRAINING)


class ConnectionMachine:
    """One connection slot. Inputs take ``now`` and append I/O actions to ``out``.

    :param slot: the slot's number (stable across reconnects).
    :param stream_host: WebSocket base URL.
    :param options: timings (ping, open timeout, backoff, rotation).
    :param out: the list the owner drains for I/O actions.
    :param messages_per_second: most frames this side sends in any rolling second.
    :param keys_per_message: most keys in one SUBSCRIBE.
    :param max_keys: most keys this slot holds (Binance: 200 streams per connection).
    :param purpose: why it connects (``"initial"``, ``"reconnect"``, ``"renewal"``,
        ``"rotation"``), passed on in :class:`~.actions.Connect`.
    :param direct: one key on ``/ws/{key}`` (see the module docs); ``max_keys`` is then 1.
    """

    __slots__ = (
        "_activity",
        "_backoff",
        "_drain_reason",
        "_host",
        "_next_req",
        "_opts",
        "_out",
        "_pending",
        "_ping_sent_at",
        "_pong",
        "_requests",
        "_sent",
        "_unsubscribe",
        "conn_id",
        "direct",
        "drain_until",
        "failed_opens",
        "keys",
        "keys_per_message",
        "max_keys",
        "messages_per_second",
        "opened_at",
        "purpose",
        "retiring",
        "retry_at",
        "slot",
        "started_at",
        "state",
    )

    def __init__(
        self,
        slot: int,
        stream_host: str,
        options: StreamOptions,
        out: list[Action | Send],
        backoff: Backoff,
        *,
        messages_per_second: int = 5,
        keys_per_message: int = 10,
        max_keys: int = 200,
        purpose: str = "initial",
        direct: bool = False,
    ) -> None:
        self.slot = slot
        self._host = stream_host.rstrip("/")
        self._opts = options
        self._out = out
        self._backoff = backoff
        self.messages_per_second = messages_per_second
        self.keys_per_message = keys_per_message
        self.direct = direct
        self.max_keys = 1 if direct else max_keys
        self.purpose = purpose
        self.failed_opens = 0  # consecutive handshakes that failed
        self.state = ConnState.WAITING
        self.keys: dict[str, SubState] = {}
        self._pending: dict[str, None] = {}  # keys in PENDING, in order (O(1) "anything to send?")
        self.conn_id: int | None = None
        self.retry_at: float | None = 0.0
        self.started_at = 0.0
        self.opened_at: float | None = None
        self.drain_until: float | None = None
        self._drain_reason = ""
        self.retiring = False
        self._activity = 0.0
        self._ping_sent_at: float | None = None
        self._pong: bytes | None = None  # the ping to answer (latest payload)
        self._requests: dict[int, tuple[float, tuple[str, ...]]] = {}
        self._next_req = 1
        self._sent: deque[float] = deque()
        self._unsubscribe: list[str] = []

    def __repr__(self) -> str:
        return (
            f"ConnectionMachine(slot={self.slot}, {self.state.value}, conn={self.conn_id}, "
            f"keys={len(self.keys)})"
        )

    # ------------------------------------------------------------------ observers

    @property
    def has_room(self) -> bool:
        """New keys may be added (not full, not being replaced, not closed)."""
        return (
            len(self.keys) < self.max_keys
            and not self.retiring
            and self.state is not ConnState.CLOSED
            and self.state is not ConnState.DRAINING
        )

    def live_keys(self) -> list[str]:
        return [k for k, s in self.keys.items() if s is SubState.LIVE]

    def all_live(self) -> bool:
        return self.state is ConnState.OPEN and all(
            s is SubState.LIVE for s in self.keys.values()
        )

    def next_deadline(self, paused: bool = False) -> float | None:
        """When :meth:`tick` must next run (None: nothing scheduled). ``WAITING`` slots are
        reported through :attr:`retry_at` instead (the owner gates them by rate)."""
        opts = self._opts
        state = self.state
        if state is ConnState.CONNECTING:
            return self.started_at + opts.open_timeout
        if state not in _LIVE_STATES:
            return None
        times: list[float] = []
        if state is ConnState.DRAINING and self.drain_until is not None:
            times.append(self.drain_until)
        if not paused and state is ConnState.OPEN:
            if self._ping_sent_at is None:
                times.append(self._activity + opts.ping_interval)
            else:
                times.append(self._ping_sent_at + opts.ping_timeout)
        for sent_at, _ in self._requests.values():
            times.append(sent_at + opts.open_timeout)
            break  # oldest first (dict order)
        if self._has_output():
            times.append(self._next_send_slot())
        return min(times) if times else None

    # ------------------------------------------------------------------ keys

    def add_key(self, key: str) -> None:
        """Carry ``key`` (subscribed once the connection is open)."""
        if key not in self.keys:
            self.keys[key] = SubState.PENDING
            self._pending[key] = None
            if key in self._unsubscribe:
                self._unsubscribe.remove(key)

    def remove_key(self, key: str, reason: str = "listen key removed") -> bool:
        """Stop carrying ``key`` (UNSUBSCRIBE if it was sent); True if it was live. In direct
        mode the connection is for that key alone: it is closed with ``reason`` and the slot
        waits for a new key, to connect at once."""
        state = self.keys.pop(key, None)
        if state is None:
            return False
        self._pending.pop(key, None)
        if self.direct:
            if self.conn_id is not None and self.state in (ConnState.CONNECTING, *_LIVE_STATES):
                self._out.append(Close(self.conn_id, reason))
                self._reset_connection()
                self.opened_at = None
                self.state = ConnState.WAITING
                self.retry_at = 0.0
        elif state is not SubState.PENDING and self.state in _LIVE_STATES:
            self._unsubscribe.append(key)
        return state is SubState.LIVE

    # ------------------------------------------------------------------ lifecycle inputs

    def connect(self, conn_id: int, now: float) -> None:
        """Open a connection now (the owner granted a connection-rate token)."""
        self.state = ConnState.CONNECTING
        self.conn_id = conn_id
        self.retry_at = None
        self.started_at = now
        if self.direct:
            key = next(iter(self.keys))
            url, masked = f"{self._host}/ws/{key}", f"{self._host}/ws/{mask_key(key)}"
        else:
            url = masked = f"{self._host}/stream"
        self._out.append(Connect(conn_id, url, masked, self.purpose))

    def opened(self, now: float) -> list[Notice]:
        """The handshake completed (direct mode: the key is live now)."""
        if self.state is not ConnState.CONNECTING:
            return []
        self.state = ConnState.OPEN
        self.opened_at = self._activity = now
        self._ping_sent_at = None
        self.failed_opens = 0
        if self.direct and self.conn_id is not None:
            self._pending.clear()
            for key in self.keys:
                self.keys[key] = SubState.LIVE
            return [Live(key, self.conn_id, now) for key in self.keys]
        self._flush_sends(now)
        return []

    def undrain(self, now: float) -> None:
        """The rotation's new connection died during the overlap: this one carries on."""
        if self.state is ConnState.DRAINING:
            self.state = ConnState.OPEN
            self.drain_until = None
            self.retiring = False
            self.activity(now)

    def retry_delay(self) -> float:
        """The next delay of this slot's backoff (a failed rotation is retried after it)."""
        return self._backoff.next_delay()

    def closed(self, now: float, reason: str) -> list[Notice]:
        """The connection closed or failed (or the handshake failed)."""
        if self.state in (ConnState.WAITING, ConnState.CLOSED):
            return []
        return self._lose(now, reason, send_close=False)

    def drain(self, until: float, reason: str = "rotated: replaced by a new connection") -> None:
        """Replaced by a rotation: keep delivering until ``until``, then close with ``reason``."""
        if self.state is ConnState.OPEN:
            self.state = ConnState.DRAINING
            self.drain_until = until
            self._drain_reason = reason

    def close(self, reason: str) -> list[Notice]:
        """Close for good (pool closing, slot emptied)."""
        if self.state is ConnState.CLOSED:
            return []
        notices = self._lost_notice(reason)
        if self.conn_id is not None and self.state is not ConnState.WAITING:
            self._out.append(Close(self.conn_id, reason))
        self._reset_connection()
        self.state = ConnState.CLOSED
        self.keys.clear()
        self._pending.clear()
        return notices

    # ------------------------------------------------------------------ frame inputs

    def activity(self, now: float) -> None:
        """Any frame arrived (the hot path: only liveness bookkeeping)."""
        self._activity = now
        self._ping_sent_at = None

    def ping_received(self, payload: bytes, now: float) -> None:
        self.activity(now)
        if self.state in _LIVE_STATES:
            self._pong = payload
            self._flush_sends(now)

    def reply(self, req_id: int | None, error: str | None, now: float) -> list[Notice]:
        """A ``{"result": ..., "id": n}`` (``error`` None) or ``{"code", "msg", "id"}`` reply."""
        self.activity(now)
        if req_id is None:
            return []
        request = self._requests.pop(req_id, None)
        if request is None:
            return []
        notices: list[Notice] = []
        for key in request[1]:
            if self.keys.get(key) is not SubState.SENT:
                continue
            if error is None:
                self.keys[key] = SubState.LIVE
                if self.conn_id is not None:
                    notices.append(Live(key, self.conn_id, now))
            else:
                del self.keys[key]
                notices.append(KeyRefused(key, error))
        return notices

    def tick(self, now: float, paused: bool = False) -> list[Notice]:
        """Run what is due at ``now``."""
        opts = self._opts
        if self.state is ConnState.CONNECTING:
            if now >= self.started_at + opts.open_timeout:
                return self._lose(
                    now, f"opening handshake timed out after {opts.open_timeout}s", abort=True
                )
            return []
        if self.state not in _LIVE_STATES:
            return []
        if (
            self.state is ConnState.DRAINING
            and self.drain_until is not None
            and now >= self.drain_until
        ):
            return self.close(self._drain_reason)
        for sent_at, _ in self._requests.values():
            if now >= sent_at + opts.open_timeout:
                return self._lose(
                    now, f"SUBSCRIBE not answered within {opts.open_timeout}s", abort=True
                )
            break
        if not paused and self.state is ConnState.OPEN:
            if self._ping_sent_at is None:
                if now >= self._activity + opts.ping_interval:
                    self._ping_sent_at = now
                    self._flush_sends(now, ping=True)
            elif now >= self._ping_sent_at + opts.ping_timeout:
                silent = now - self._activity
                return self._lose(
                    now,
                    f"no frame for {silent:.0f}s: connection presumed dead (half-open)",
                    abort=True,
                )
        self._flush_sends(now)
        return []

    # ------------------------------------------------------------------ internals

    def _has_output(self) -> bool:
        if self.state not in _LIVE_STATES:
            return False
        return self._pong is not None or bool(self._unsubscribe) or (
            self.state is ConnState.OPEN and bool(self._pending)
        )

    def _next_send_slot(self) -> float:
        sent = self._sent
        if len(sent) < self.messages_per_second:
            return 0.0
        return sent[len(sent) - self.messages_per_second] + 1.0

    def _may_send(self, now: float) -> bool:
        sent = self._sent
        while sent and sent[0] <= now - 1.0:
            sent.popleft()
        return len(sent) < self.messages_per_second

    def _flush_sends(self, now: float, *, ping: bool = False) -> None:
        conn_id = self.conn_id
        if conn_id is None or self.state not in _LIVE_STATES:
            return
        out = self._out
        if self._pong is not None and self._may_send(now):
            self._sent.append(now)
            out.append(SendPong(conn_id, self._pong))
            self._pong = None
        if ping:
            # A ping must go out now for half-open detection; it is counted like any frame.
            self._may_send(now)
            self._sent.append(now)
            out.append(SendPing(conn_id))
        while self._unsubscribe and self._may_send(now):
            batch = self._unsubscribe[: self.keys_per_message]
            del self._unsubscribe[: len(batch)]
            self._sent.append(now)
            out.append(Send(conn_id, self._request("UNSUBSCRIBE", batch, track=False, now=now)))
        if self.state is not ConnState.OPEN:
            return
        pending = self._pending
        while pending and self._may_send(now):
            batch = list(itertools.islice(pending, self.keys_per_message))
            for key in batch:
                del pending[key]
                self.keys[key] = SubState.SENT
            self._sent.append(now)
            out.append(Send(conn_id, self._request("SUBSCRIBE", batch, track=True, now=now)))

    def _request(self, method: str, keys: list[str], *, track: bool, now: float) -> str:
        req_id = self._next_req
        self._next_req += 1
        if track:
            self._requests[req_id] = (now, tuple(keys))
        return json.dumps({"method": method, "params": keys, "id": req_id}, separators=(",", ":"))

    def _lost_notice(self, reason: str) -> list[Notice]:
        live = tuple(self.live_keys())
        if live and self.conn_id is not None and self.state in _LIVE_STATES:
            return [KeysLost(live, self.conn_id, reason)]
        return []

    def _reset_connection(self) -> None:
        self._requests.clear()
        self._pong = None
        self._unsubscribe.clear()
        self._sent.clear()
        self._ping_sent_at = None
        self.drain_until = None

    def _lose(
        self, now: float, reason: str, *, send_close: bool = True, abort: bool = False
    ) -> list[Notice]:
        was_live = self.state in _LIVE_STATES
        if self.state is ConnState.DRAINING:
            return self.close(reason) if send_close else self._closed_draining(reason)
        notices = self._lost_notice(reason)
        if send_close and self.conn_id is not None:
            self._out.append(Close(self.conn_id, reason, abort))
        if was_live:
            logger.info("connection %s closed: %s", self.conn_id, reason)
            if self.opened_at is not None and now - self.opened_at >= self._opts.stable_after:
                self._backoff.reset()
        else:
            self.failed_opens += 1
            logger.info("connection %s failed to open: %s", self.conn_id, reason)
        if was_live or self.purpose != "rotation":
            self.purpose = "reconnect"  # a rotation not yet open stays one
        self._reset_connection()
        for key in self.keys:
            self.keys[key] = SubState.PENDING
        self._pending = dict.fromkeys(self.keys)
        self.opened_at = None
        if not self.keys or self.retiring:
            self.state = ConnState.CLOSED
            self.keys.clear()
            self._pending.clear()
            return notices
        self.state = ConnState.WAITING
        delay = self._backoff.next_delay()
        self.retry_at = now + delay
        logger.info("slot %d reconnecting in %.2fs", self.slot, delay)
        return notices

    def _closed_draining(self, reason: str) -> list[Notice]:
        notices = self._lost_notice(reason)
        self._reset_connection()
        self.state = ConnState.CLOSED
        self.keys.clear()
        self._pending.clear()
        return notices
