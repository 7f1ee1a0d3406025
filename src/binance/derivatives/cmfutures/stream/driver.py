"""The asyncio I/O shared by :class:`~.aio.UserDataStream` and
:class:`~binance.derivatives.cmfutures.StreamPool`: one implementation of sockets, timers and
listen-key calls, driving a sans-I/O core.

:class:`CoreDriver` owns the one aiohttp session every WebSocket of a client uses (with the
configuration's TLS settings and proxy, like REST), runs each connection the core asks for
(``Connect``), hands it every frame, ping and pong with the clock's time, sends what the core
says (``Send``, ``SendPing``, ``SendPong``), closes what it drops (``Close``), sleeps on the
clock until the core's next deadline, and runs listen-key calls through an
:class:`~binance.derivatives.cmfutures.AsyncApiClient` (the hardened REST path: deadlines,
body caps, error mapping, ``Retry-After``). Subclasses execute the rest of their core's actions
(delivery, key calls, failure, close) in :meth:`CoreDriver._execute` and say whether the
timers still run (:meth:`CoreDriver._running`).

Both cores take the same connection inputs (``connection_opened``, ``connection_closed``,
``connection_failed_permanently``, ``frame_received``, ``ping_received``, ``pong_received``,
``tick``) and expose ``deadline_hint``: the stream's core is the pool's with one account.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import aiohttp

from .._tasks import race, reap
from .._tls import ssl_argument
from ..exceptions import NetworkException, is_certificate_error
from .actions import Close, Connect, RestError, SendPing, SendPong, mask_key
from .connection import Send
from .ws_io import abort as abort_socket
from .ws_io import quietly

if TYPE_CHECKING:
    from ..clock import Clock
    from ..configuration import Configuration
    from ..signing import BinanceAuth

__all__ = ["CoreDriver", "rest_error"]

logger = logging.getLogger("binance.derivatives.cmfutures.stream")

# Largest frame accepted from the server (aiohttp's default, stated): a user-data event is a
# few KiB; a bigger frame is a protocol error and closes the connection.
MAX_FRAME_BYTES = 4 * 1024 * 1024

_METHODS = {
    "create": "cmfutures_create_listen_key_v1",
    "keepalive": "cmfutures_update_listen_key_v1",
    "delete": "cmfutures_delete_listen_key_v1",
}


class _Conn:
    __slots__ = ("id", "task", "url", "ws")

    def __init__(self, conn_id: int, url: str) -> None:
        self.id = conn_id
        self.url = url
        self.task: asyncio.Task[None] | None = None
        self.ws: aiohttp.ClientWebSocketResponse[bool] | None = None


class CoreDriver:
    """Sockets, timers and listen-key calls for a sans-I/O core (see the module docs).

    :param configuration: hosts, TLS settings (``ssl_ca_cert``, ``verify_ssl``...) and proxy.
    :param clock: the time every timer sleeps on.
    :param close_timeout: the longest a socket's closing handshake is waited for (clock time
        and real time).
    :param name: the prefix of the tasks' names (``udstream``, ``pool``).
    """

    _core: Any

    def __init__(
        self, configuration: Configuration, clock: Clock, close_timeout: float, name: str
    ) -> None:
        self._configuration = configuration
        self._clock = clock
        self._close_timeout = close_timeout
        self._name = name
        self._session: aiohttp.ClientSession | None = None
        self._conns: dict[int, _Conn] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._wake = asyncio.Event()
        self._space = asyncio.Event()  # cleared: the consumer is behind, stop reading
        self._space.set()
        self._timer_task: asyncio.Task[None] | None = None
        self._timer_target: float | None = None
        self._ws_options: dict[str, Any] = {}
        # aiohttp < 3.11 takes a float; the close wait is housekeeping, not protocol timing.
        ws_timeout_cls = getattr(aiohttp, "ClientWSTimeout", None)
        self._ws_timeout: dict[str, Any] = (
            {"timeout": ws_timeout_cls(ws_close=close_timeout)}
            if ws_timeout_cls is not None
            else {"timeout": close_timeout}
        )

    # ------------------------------------------------------------------ subclass hooks

    def _execute(self, actions: list[Any]) -> None:
        """Carry out the core's ``actions`` in order (connection actions: :meth:`_io`)."""
        raise NotImplementedError

    def _running(self) -> bool:
        """The timers keep running."""
        raise NotImplementedError

    def _background_failed(self, name: str, error: BaseException) -> None:
        """A background task raised: a bug, not a network event (the subclass fails)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ life cycle

    def _open(self) -> None:
        """Open the WebSocket session and start the timers (inside the running loop)."""
        cfg = self._configuration
        # The WebSocket verifies and routes like REST does: same CA, verify_ssl and proxy.
        # No connection limit here: the core bounds the connections by construction.
        connector = aiohttp.TCPConnector(limit=0, ssl=ssl_argument(cfg))
        self._ws_options = {"proxy": cfg.proxy or None, "proxy_headers": cfg.proxy_headers}
        self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        self._timer_task = asyncio.get_running_loop().create_task(
            self._run_timers(), name=f"{self._name}-timers"
        )

    async def _close_sockets(
        self, after_cancel: Callable[[], list[Awaitable[Any]]] | None = None
    ) -> None:
        """Stop the timers, readers and calls in flight; then close every socket (bounded)
        beside what ``after_cancel()`` starts and returns (the key deletions)."""
        conns = list(self._conns.values())  # before their tasks end and forget them
        self._conns.clear()
        await self._cancel_all()
        waits: list[Awaitable[Any]] = [self._dispose(c, abort=False) for c in conns]
        if after_cancel is not None:
            waits += after_cancel()
        await asyncio.gather(*waits, return_exceptions=True)

    async def _release(self) -> None:
        """Cancel what is left and close the session (always, even if cancelled)."""
        try:
            await self._cancel_all()
        finally:
            if self._session is not None:
                await self._session.close()

    async def _bounded(self, waited: Awaitable[Any]) -> None:
        """Wait for ``waited``, at most ``close_timeout`` of clock time and of real time."""
        timeout = self._close_timeout
        await race(waited, self._clock.sleep(timeout), asyncio.sleep(timeout),
                   name=f"{self._name}-wait")

    # ------------------------------------------------------------------ actions

    def _io(self, action: Any) -> bool:
        """Carry out a connection action; False if ``action`` is not one."""
        if isinstance(action, Connect):
            conn = _Conn(action.conn_id, action.url)
            self._conns[action.conn_id] = conn
            conn.task = self._spawn(self._run_connection(conn, action), f"{self._name}-conn")
        elif isinstance(action, Close):
            closing = self._conns.pop(action.conn_id, None)
            if closing is not None:
                self._spawn(self._dispose(closing, abort=action.abort), f"{self._name}-close")
        elif isinstance(action, Send):
            target = self._conns.get(action.conn_id)
            if target is not None and target.ws is not None:
                self._spawn(quietly(target.ws.send_str(action.text)), f"{self._name}-send")
        elif isinstance(action, (SendPing, SendPong)):
            target = self._conns.get(action.conn_id)
            if target is not None and target.ws is not None:
                ws = target.ws
                send = ws.ping if isinstance(action, SendPing) else ws.pong
                self._spawn(quietly(send(action.payload)), f"{self._name}-ping")
        else:
            return False
        return True

    def _rewake(self) -> None:
        """Wake the timers if the core now wants them earlier than they sleep."""
        deadline = self._core.deadline_hint
        if deadline is not None and (self._timer_target is None or deadline < self._timer_target):
            self._wake.set()

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._background_failed(task.get_name(), task.exception())  # type: ignore[arg-type]

    async def _cancel_all(self) -> None:
        current = asyncio.current_task()
        pending = [
            t for t in (*self._tasks, self._timer_task) if t is not None and t is not current
        ]
        for task in pending:
            task.cancel()
        await reap(pending)

    # ------------------------------------------------------------------ timers

    async def _run_timers(self) -> None:
        try:
            core, clock = self._core, self._clock
            while self._running():
                self._wake.clear()
                deadline = self._timer_target = core.deadline_hint
                if deadline is None:
                    await self._wake.wait()
                else:
                    delay = deadline - clock.time()
                    if delay > 0:
                        await race(clock.sleep(delay), self._wake.wait(),
                                   name=f"{self._name}-wait")
                self._timer_target = None
                self._execute(core.tick(clock.time()))
                await asyncio.sleep(0)  # let a burst of inputs in between two ticks
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # without timers the core cannot keep its promises
            self._background_failed("timers", exc)

    # ------------------------------------------------------------------ REST

    async def _listen_key_call(
        self, api: Any, kind: str, auth: BinanceAuth | None = None
    ) -> tuple[str | None, RestError | None]:
        """Run listen-key call ``kind`` (``create``, ``keepalive``, ``delete``) through
        ``api`` (a ``UserDataStreamsApi``), as ``auth``'s account if given: the new key (for
        a create) or the failure, never an exception."""
        method = getattr(api, _METHODS[kind])
        try:
            response = await (method(_request_auth=auth) if auth is not None else method())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return None, rest_error(exc)
        if kind != "create":
            return None, None
        key = getattr(response, "listen_key", None)
        return (key if isinstance(key, str) else ""), None

    # ------------------------------------------------------------------ connections

    async def _run_connection(self, conn: _Conn, connect: Connect) -> None:
        try:
            await self._connection(conn, connect)
        finally:
            self._forget(conn)
            conn.task = None

    def _forget(self, conn: _Conn) -> None:
        """Drop ``conn`` from the table however it ended (server close, failed handshake,
        error): the table holds live connections only, so days of reconnects cost nothing."""
        if self._conns.get(conn.id) is conn:
            del self._conns[conn.id]

    async def _connection(self, conn: _Conn, connect: Connect) -> None:
        core, clock = self._core, self._clock
        assert self._session is not None
        try:
            ws = await self._session.ws_connect(
                connect.url,
                autoping=False,
                heartbeat=None,
                autoclose=True,
                max_msg_size=MAX_FRAME_BYTES,
                **self._ws_timeout,
                **self._ws_options,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            reason = _mask(
                f"connect failed: {type(exc).__name__}: {exc}", connect.url, connect.masked_url
            )
            self._forget(conn)
            if is_certificate_error(exc):  # permanent: reconnecting cannot fix it
                error = NetworkException("tls", f"certificate rejected: {reason}", permanent=True)
                failure = RestError(status=0, message=str(error.reason), error=error)
                self._execute(core.connection_failed_permanently(conn.id, failure, clock.time()))
                return
            self._execute(core.connection_closed(conn.id, clock.time(), reason))
            return
        conn.ws = ws
        if self._conns.get(conn.id) is not conn:  # abandoned while the handshake finished
            await abort_socket(ws)
            return
        self._execute(core.connection_opened(conn.id, clock.time()))
        text, binary = aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY
        ping, pong = aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG
        space = self._space
        reason = "connection closed"
        try:
            while True:
                if not space.is_set():
                    await space.wait()
                msg = await ws.receive()
                kind = msg.type
                if kind is text or kind is binary:
                    self._execute(core.frame_received(conn.id, msg.data, clock.time()))
                elif kind is ping:
                    # answered inline (not one task per ping): a ping flood is throttled by
                    # our own socket's backpressure instead of piling up tasks
                    await self._answer_ping(ws, core.ping_received(conn.id, msg.data, clock.time()))
                elif kind is pong:
                    self._execute(core.pong_received(conn.id, clock.time()))
                else:
                    reason = _mask(_close_reason(msg, ws), connect.url, connect.masked_url)
                    break
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug, not a network event: say so, and reconnect
            logger.exception("connection %d: unexpected error", conn.id)
            reason = _mask(
                f"internal error: {type(exc).__name__}: {exc}", connect.url, connect.masked_url
            )
        await abort_socket(ws)  # also releases the TCP connection of a cleanly closed socket
        self._forget(conn)
        self._execute(core.connection_closed(conn.id, clock.time(), reason))

    async def _answer_ping(
        self, ws: aiohttp.ClientWebSocketResponse[bool], actions: list[Any]
    ) -> None:
        pongs = [a for a in actions if isinstance(a, SendPong)]
        if len(pongs) < len(actions):
            self._execute([a for a in actions if not isinstance(a, SendPong)])
        for pong in pongs:
            with contextlib.suppress(ConnectionError, RuntimeError, aiohttp.ClientError):
                await ws.pong(pong.payload)

    async def _dispose(self, conn: _Conn, *, abort: bool) -> None:
        task = conn.task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await reap([task])
        ws, conn.ws = conn.ws, None
        if ws is None:
            return
        if abort or ws.closed:
            await abort_socket(ws)
            return
        try:
            await self._bounded(ws.close())
        finally:
            await abort_socket(ws)


# ---------------------------------------------------------------------- helpers


def _close_reason(msg: Any, ws: aiohttp.ClientWebSocketResponse[bool]) -> str:
    if msg.type is aiohttp.WSMsgType.ERROR:
        return f"connection error: {type(msg.data).__name__}: {msg.data}"
    code = ws.close_code
    if msg.type is aiohttp.WSMsgType.CLOSE:
        code = msg.data
        extra = f": {msg.extra}" if msg.extra else ""
        return f"server closed the connection (code {code}{extra})"
    if code is not None and code != 1000:
        return f"connection lost (code {code})"
    return "connection closed by the server"


def _mask(text: str, url: str, masked_url: str) -> str:
    """``text`` with the listen key in ``url`` masked (error messages may quote the URL)."""
    if url == masked_url:
        return text  # /stream: no key in the URL
    key = url.rsplit("/", 1)[-1]
    return text.replace(url, masked_url).replace(key, mask_key(key)) if key else text


def rest_error(exc: BaseException) -> RestError:
    """A listen-key call's exception as the cores take it (the exception kept in ``error``)."""
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    retry_after = getattr(exc, "retry_after", None)
    msg = getattr(exc, "msg", None) or getattr(exc, "reason", None) or ""
    return RestError(
        status=status if isinstance(status, int) else 0,
        code=code if isinstance(code, int) else None,
        retry_after=float(retry_after) if isinstance(retry_after, (int, float)) else None,
        message=f"{type(exc).__name__}" + (f": {msg}" if msg else ""),
        error=exc,
    )
