"""User data stream connections: subscription, delivery, heartbeat, limits, fault hooks.

Every timing rule runs off the simulator's :class:`~..clock.Clock` (never aiohttp's heartbeat
or loop timers), so a :class:`~..clock.ManualClock` drives 24 hours in milliseconds:

* a ping frame (payload: the clock time in ms, ASCII) every ``ping_interval`` (180 s);
* close (code 1008) when no pong arrived for ``pong_timeout`` (600 s) — measured from the
  last pong, or from the connection's start;
* close (code 1000) at ``max_connection_age`` (24 h);
* close (code 1008) when more than ``max_inbound_per_second`` frames (text, binary, and
  unless ``count_control_frames`` is False ping and pong) arrive within one second of clock
  time;
* client pings are answered with a pong carrying the same payload.

A connection is *raw* (``/ws/...``: bare event objects) or *combined* (``/stream...``:
``{"stream": key, "data": event}``); ``SET_PROPERTY ["combined", bool]`` switches it. Control
requests: ``SUBSCRIBE``, ``UNSUBSCRIBE``, ``LIST_SUBSCRIPTIONS``, ``SET_PROPERTY``,
``GET_PROPERTY``; replies ``{"result": ..., "id": ...}``; errors ``{"code": n, "msg": ...}``.

Outbound messages go through one queue per connection, in order; the ``delay`` fault holds
each message until ``delay`` seconds of clock time after it was queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from ..clock import Clock
from .sim_options import SimulatorOptions

__all__ = ["Connection", "ConnectionHub"]

log = logging.getLogger("binance.derivatives.cmfutures.simulator")

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008


OnSent = Callable[[int], None]
"""Called with the connection id once a frame was really written to that connection."""


@dataclass
class _Outgoing:
    deliver_at: float
    text: str
    close_after: int | None = None
    on_sent: OnSent | None = None


class Connection:
    """One accepted WebSocket connection.

    :ivar id: a counter, unique within the simulator.
    :ivar subscriptions: listen key -> True while live, False after ``listenKeyExpired``
        (or DELETE): no further events for that key are sent on this connection.
    :ivar combined: wrap events in the combined-stream envelope.
    :ivar half_open: a fault stopped this connection reading, answering and pinging.
    """

    _ids = itertools.count(1)

    def __init__(
        self,
        hub: ConnectionHub,
        ws: web.WebSocketResponse,
        request: web.Request,
        *,
        combined: bool,
    ) -> None:
        self.id = next(self._ids)
        self.hub = hub
        self.ws = ws
        self.request = request
        self.combined = combined
        self.clock: Clock = hub.clock
        self.options = hub.options
        now = self.clock.time()
        self.connected_at = now
        self.last_pong_at = now
        self.next_ping_at = now + self.options.ping_interval
        self.subscriptions: dict[str, bool] = {}
        self.half_open = False
        self.half_open_reads = True
        self.closed = False
        self.close_reason: str | None = None
        self._inbound: deque[float] = deque()
        self._outbox: asyncio.Queue[_Outgoing] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing_task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self.pings_sent = 0
        self.pongs_received = 0

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("half-open" if self.half_open else "open")
        return f"Connection(id={self.id}, {state}, subscriptions={len(self.subscriptions)})"

    # ------------------------------------------------------------------ outbound

    def enqueue(
        self, text: str, *, close_after: int | None = None, on_sent: OnSent | None = None
    ) -> None:
        """Queue ``text`` for sending after the current ``delay`` fault (if any);
        ``on_sent(self.id)`` runs once it was really written to the socket."""
        if self.closed:
            return
        deliver_at = self.clock.time() + self.hub.delay
        self._outbox.put_nowait(_Outgoing(deliver_at, text, close_after, on_sent))

    def frame_for(self, key: str, raw: bytes) -> str:
        """``raw`` as this connection sends it (wrapped if combined)."""
        body = raw.decode()
        if self.combined:
            return '{"stream":' + json.dumps(key) + ',"data":' + body + "}"
        return body

    async def _writer(self) -> None:
        while True:
            item = await self._outbox.get()
            wait = item.deliver_at - self.clock.time()
            if wait > 0:
                await self.clock.sleep(wait)
            if self.closed:
                return
            if self.half_open:
                continue
            try:
                await self.ws.send_str(item.text)
            except (ConnectionError, RuntimeError):
                return
            if item.on_sent is not None:
                item.on_sent(self.id)
            if item.close_after is not None:
                self.start_close(item.close_after, "after listenKeyExpired")
                return

    # ------------------------------------------------------------------ timers

    async def _timer(self) -> None:
        opts = self.options
        while not self.closed and not self.half_open:
            now = self.clock.time()
            if now >= self.connected_at + opts.max_connection_age:
                self.start_close(CLOSE_NORMAL, "24 hour connection limit")
                return
            if now - self.last_pong_at >= opts.pong_timeout:
                self.start_close(CLOSE_POLICY, "no pong")
                return
            if now >= self.next_ping_at:
                try:
                    await self.ws.ping(str(int(now * 1000)).encode())
                    self.pings_sent += 1
                except (ConnectionError, RuntimeError):
                    return
                while self.next_ping_at <= now:
                    self.next_ping_at += opts.ping_interval
            deadline = min(
                self.next_ping_at,
                self.last_pong_at + opts.pong_timeout,
                self.connected_at + opts.max_connection_age,
            )
            await self.clock.sleep(max(0.0, deadline - now))

    # ------------------------------------------------------------------ inbound

    def _over_rate(self, now: float) -> bool:
        self._inbound.append(now)
        while self._inbound and self._inbound[0] <= now - 1.0:
            self._inbound.popleft()
        return len(self._inbound) > self.options.max_inbound_per_second

    async def _reader(self) -> None:
        ws = self.ws
        while not self.closed:
            if self.half_open and not self.half_open_reads:
                await self._stopped.wait()  # "stop reading" until dropped or shut down
                return
            try:
                msg = await ws.receive()
            except RuntimeError:
                return
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return
            if self.half_open:
                continue
            now = self.clock.time()
            counted = self.options.count_control_frames or msg.type not in (
                WSMsgType.PING,
                WSMsgType.PONG,
            )
            if counted and self._over_rate(now):
                self.hub.violation(f"connection {self.id}: more than "
                                   f"{self.options.max_inbound_per_second} messages/s")
                self.start_close(CLOSE_POLICY, "too many messages")
                return
            if msg.type is WSMsgType.PING:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.pong(msg.data)
            elif msg.type is WSMsgType.PONG:
                self.last_pong_at = now
                self.pongs_received += 1
            elif msg.type is WSMsgType.TEXT:
                self._control(msg.data)
            elif msg.type is WSMsgType.BINARY:
                self.enqueue(json.dumps({"code": 3, "msg": "Invalid JSON: binary frame"}))

    def _control(self, text: str) -> None:
        try:
            request = json.loads(text)
        except ValueError as exc:
            self.enqueue(json.dumps({"code": 3, "msg": f"Invalid JSON: {exc}"}))
            return
        if not isinstance(request, dict):
            self.enqueue(json.dumps({"code": 3, "msg": "Invalid JSON: expected an object"}))
            return
        req_id = request.get("id")
        method = request.get("method")
        params = request.get("params", [])
        if not isinstance(method, str) or not isinstance(params, list):
            self._error(
                2, "Invalid request: 'method' (string) and 'params' (array) required", req_id
            )
            return
        if method == "SUBSCRIBE":
            keys = [p for p in params if isinstance(p, str)]
            if len(keys) != len(params):
                self._error(2, "Invalid request: params must be strings", req_id)
                return
            limit = self.options.max_streams_per_connection
            if len(set(keys) | set(self.subscriptions)) > limit:
                self.hub.violation(f"connection {self.id}: more than {limit} streams")
                self._error(
                    2, f"Invalid request: a connection can subscribe to at most {limit} "
                    "streams", req_id,
                )
                return
            rejected = [k for k in keys if not self.hub.key_is_live(k)]
            if rejected and self.options.unknown_key_on_connect == "reject":
                self._error(2, "Invalid request: invalid listen key", req_id)
                return
            self._reply(None, req_id)
            for key in keys:
                self.subscribe(key)
        elif method == "UNSUBSCRIBE":
            for key in params:
                if isinstance(key, str):
                    self.subscriptions.pop(key, None)
            self._reply(None, req_id)
        elif method == "LIST_SUBSCRIPTIONS":
            self._reply(list(self.subscriptions), req_id)
        elif method == "SET_PROPERTY":
            if len(params) == 2 and params[0] == "combined" and isinstance(params[1], bool):
                self.combined = params[1]
                self._reply(None, req_id)
            elif len(params) == 2 and params[0] == "combined":
                self._error(1, "Invalid value type: expected Boolean", req_id)
            else:
                self._error(0, "Unknown property", req_id)
        elif method == "GET_PROPERTY":
            if params == ["combined"]:
                self._reply(self.combined, req_id)
            else:
                self._error(0, "Unknown property", req_id)
        else:
            self._error(2, f"Invalid request: unknown method {method!r}", req_id)

    def _reply(self, result: Any, req_id: Any) -> None:
        self.enqueue(json.dumps({"result": result, "id": req_id}, separators=(",", ":")))

    def _error(self, code: int, msg: str, req_id: Any) -> None:
        body: dict[str, Any] = {"code": code, "msg": msg}
        if req_id is not None:
            body["id"] = req_id
        self.enqueue(json.dumps(body, separators=(",", ":")))

    # ------------------------------------------------------------------ subscriptions

    def subscribe(self, key: str) -> None:
        """Subscribe to ``key``; a dead or unknown key gets ``listenKeyExpired`` right away
        and is not kept (so subscribing to made-up keys costs no memory)."""
        if self.hub.key_is_live(key):
            self.subscriptions[key] = True
            self.hub.subscribed(self, key)
        else:
            raw = self.hub.dead_key_frame(key)
            self.enqueue(
                self.frame_for(key, raw),
                close_after=CLOSE_NORMAL if self.options.close_after_expired else None,
            )

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        """Serve the connection until it closes; always cleans up its tasks."""
        self._tasks = [
            asyncio.ensure_future(self._writer()),
            asyncio.ensure_future(self._timer()),
        ]
        try:
            await self._reader()
        finally:
            if self._closing_task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.shield(self._closing_task)
            self.closed = True
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def start_close(self, code: int, reason: str) -> None:
        """Close from a callback (fault, expiry): schedules :meth:`close`."""
        if self.closed or self._closing_task is not None:
            return
        self._closing_task = asyncio.ensure_future(self.close(code, reason))
        self.hub.keep(self._closing_task)

    async def close(self, code: int, reason: str) -> None:
        """Send a close frame with ``code`` and wait (briefly) for the client's reply."""
        if self.closed:
            return
        if self.half_open and not self.half_open_reads:
            self.abort(reason)  # it no longer reads: no close handshake possible
            return
        self.closed = True
        self.close_reason = reason
        try:
            closing = asyncio.ensure_future(self.ws.close(code=code, message=reason.encode()))
            done, _ = await asyncio.wait({closing}, timeout=self.options.close_timeout)
            if not done:
                closing.cancel()
                self.abort("close timeout")
        except (ConnectionError, RuntimeError):
            pass

    def abort(self, reason: str) -> None:
        """Drop the TCP connection with no close frame."""
        self.closed = True
        self.close_reason = self.close_reason or reason
        self._stopped.set()
        transport = self.request.transport
        if transport is not None:
            transport.abort()
        for task in self._tasks:
            task.cancel()


class ConnectionHub:
    """All open connections, and delivery of frames to those subscribed to a key.

    :param key_is_live: whether a listen key is currently active.
    :param dead_key_frame: build the ``listenKeyExpired`` frame (not recorded) for a client
        connecting/subscribing with a dead key.
    """

    def __init__(
        self,
        clock: Clock,
        options: SimulatorOptions,
        *,
        key_is_live: Callable[[str], bool],
        dead_key_frame: Callable[[str], bytes],
    ) -> None:
        self.clock = clock
        self.options = options
        self.key_is_live = key_is_live
        self.dead_key_frame = dead_key_frame
        self.connections: list[Connection] = []
        # key -> connections that ever subscribed it live (filtered on use): O(1) fan-out
        self._by_key: dict[str, set[Connection]] = {}
        self.delay = 0.0
        self.violations: list[tuple[float, str]] = []
        self._background: set[asyncio.Task[Any]] = set()

    def violation(self, what: str) -> None:
        """Record a client exceeding a limit (tests assert there are none)."""
        log.warning("limit exceeded: %s", what)
        self.violations.append((self.clock.time(), what))

    def keep(self, task: asyncio.Task[Any]) -> None:
        """Hold a reference to a background task until it finishes."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def add(self, conn: Connection) -> None:
        self.connections.append(conn)

    def remove(self, conn: Connection) -> None:
        with contextlib.suppress(ValueError):
            self.connections.remove(conn)
        for key in conn.subscriptions:
            holders = self._by_key.get(key)
            if holders is not None:
                holders.discard(conn)
                if not holders:
                    del self._by_key[key]

    def subscribed(self, conn: Connection, key: str) -> None:
        """Hook: ``conn`` subscribed to live ``key`` (indexed; fan-out=False applied)."""
        self._by_key.setdefault(key, set()).add(conn)
        if not self.options.fan_out:
            for other in self.on_key(key):
                if other is not conn:
                    other.subscriptions[key] = False

    def on_key(self, key: str) -> list[Connection]:
        """Open connections with a live subscription to ``key`` (oldest first)."""
        holders = self._by_key.get(key)
        if not holders:
            return []
        return sorted(
            (c for c in holders if not c.closed and c.subscriptions.get(key) is True),
            key=lambda c: c.id,
        )

    def count(self, key: str | None = None) -> int:
        """Open connections (on ``key``, or in total)."""
        if key is None:
            return sum(1 for c in self.connections if not c.closed)
        return len(self.on_key(key))

    def deliver(
        self, key: str, raw: bytes, *, copies: int = 1, on_sent: OnSent | None = None
    ) -> int:
        """Queue ``raw`` (``copies`` times) on every live subscription to ``key``; ``on_sent``
        is called per copy really written (with the connection id)."""
        targets = self.on_key(key)
        for conn in targets:
            text = conn.frame_for(key, raw)
            for _ in range(copies):
                conn.enqueue(text, on_sent=on_sent)
        return len(targets)

    def end_key(
        self, key: str, raw: bytes | None, *, close: bool, on_sent: OnSent | None = None
    ) -> None:
        """The key expired or was deleted: optionally push ``raw``, then silence or close."""
        for conn in self.on_key(key):
            conn.subscriptions[key] = False
            close_code = CLOSE_NORMAL if close else None
            if raw is not None:
                conn.enqueue(conn.frame_for(key, raw), close_after=close_code, on_sent=on_sent)
            elif close_code is not None:
                conn.start_close(close_code, "listen key ended")

    def select(self, keys: set[str] | None) -> list[Connection]:
        """Open connections, or those with a subscription to one of ``keys``."""
        return [
            c
            for c in self.connections
            if not c.closed and (keys is None or keys & set(c.subscriptions))
        ]

    async def shutdown(self, grace: float = 0.2) -> None:
        """Close every connection with 1001 (going away); after ``grace`` real seconds abort
        the ones whose client has not answered (a client that is not reading never does)."""
        closing = [asyncio.ensure_future(c.close(CLOSE_GOING_AWAY, "shutdown"))
                   for c in list(self.connections)]
        if closing:
            _, pending = await asyncio.wait(closing, timeout=grace)
            for task in pending:
                task.cancel()
        for conn in list(self.connections):
            conn.abort("shutdown")
        for task in list(self._background):
            task.cancel()
