"""The asyncio driver of the managed user data stream: :class:`UserDataStream`.

Thin by design: every decision is taken by :class:`~.core.StreamCore`. This module moves
bytes (aiohttp WebSocket, REST through ``UserDataStreamsApi(AsyncApiClient)``), reads the
:class:`~binance.derivatives.cmfutures.clock.Clock`, sleeps on it until the core's next
deadline, and hands messages to the consumer through a bounded buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp

from .._tasks import race, reap
from .._tls import ssl_argument
from ..clock import Clock, SystemClock
from ..events import StreamMessage
from ..exceptions import NetworkException, is_certificate_error
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
from .core import Phase, StreamCore
from .options import StreamOptions
from .stats import StreamStats
from .ws_io import abort as abort_socket
from .ws_io import quietly

if TYPE_CHECKING:
    from ..async_api_client import AsyncApiClient
    from ..configuration import Configuration
    from ..journal.sink import MessageSink
    from .sync import SyncUserDataStream

__all__ = ["UserDataStream"]

logger = logging.getLogger("binance.derivatives.cmfutures.stream")

M = TypeVar("M")
Handler = Callable[[Any], "Awaitable[None] | None"]


class _Conn:
    __slots__ = ("id", "task", "url", "ws")

    def __init__(self, conn_id: int, url: str) -> None:
        self.id = conn_id
        self.url = url
        self.task: asyncio.Task[None] | None = None
        self.ws: aiohttp.ClientWebSocketResponse[bool] | None = None


class UserDataStream:
    """A COIN-M user data stream that keeps itself alive and is honest about every gap.

    ::

        async with UserDataStream(configuration) as stream:
            async for message in stream:
                ...   # typed events, and StreamConnected / StreamDisconnected / StreamGap /
                      # ListenKeyRenewed control events, in order

    It creates the listen key, connects to ``{configuration.stream_host}/ws/{listenKey}``, keeps
    the key alive, answers pings, detects dead connections, reconnects with backoff, renews an
    expired key, rotates the connection before Binance's 24-hour cut without losing events,
    and drops duplicates. Whenever events may have been missed it delivers a
    :class:`~binance.derivatives.cmfutures.events.StreamGap`: take a REST snapshot then.

    :param configuration: hosts and API key. Either this or ``api_client``.
    :param api_client: an :class:`~binance.derivatives.cmfutures.AsyncApiClient` to use for the
        listen-key calls (it is not closed by the stream). Its configuration is used.
    :param clock: time source for every timer (default :class:`SystemClock`); also given to
        the ``AsyncApiClient`` the stream creates.
    :param options: a :class:`StreamOptions`; keyword arguments override single fields, e.g.
        ``UserDataStream(cfg, ping_interval=30)``.
    :param rng: random source for the reconnect jitter (seed it for reproducible tests).
    :param journal: a :class:`~binance.derivatives.cmfutures.Journal` (any
        :class:`~binance.derivatives.cmfutures.journal.MessageSink`): every message is
        appended to it as it arrives and handed out only once it is durable; an event the
        journal already holds (from before a restart) is dropped. If appending fails the
        error (``JournalWriteError``, ``JournalLockedError``) is raised from iteration and
        the stream stops delivering.
    :param account: the account id messages are journaled under (default ``"default"``).
    :raises TypeError: for an unknown option name, or neither configuration nor api_client.
    :raises ~binance.derivatives.cmfutures.exceptions.MissingAuthError: (a ``ValueError``)
        if the configuration has no ``auth``.
    :raises ValueError: for an out-of-range option.

    Iteration ends after :meth:`close`. If the stream stops for good (the API key is rejected),
    iteration delivers what was buffered, then raises that error (an ``ApiException``).
    """

    def __init__(
        self,
        configuration: Configuration | None = None,
        *,
        api_client: AsyncApiClient | None = None,
        clock: Clock | None = None,
        options: StreamOptions | None = None,
        rng: random.Random | None = None,
        journal: MessageSink | None = None,
        account: str = "default",
        **option_overrides: Any,
    ) -> None:
        if api_client is not None:
            configuration = api_client.configuration
        if configuration is None:
            raise TypeError(
                "UserDataStream needs a Configuration (UserDataStream(configuration)) "
                "or an AsyncApiClient (UserDataStream(api_client=client))"
            )
        opts = options if options is not None else StreamOptions()
        if option_overrides:
            opts = opts.replace(**option_overrides)
        if configuration.auth is None:
            # every listen-key call needs the API key: fail now, not in an endless retry loop
            from ..exceptions import MissingAuthError

            raise MissingAuthError(
                "UserDataStream needs an API key but Configuration.auth is None. Fix: "
                "Configuration(auth=BinanceAuth(api_key=..., secret_key=... or "
                "private_key_path=...)), or Configuration.from_env()"
            )
        self._configuration = configuration
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._api_client = api_client
        self._owns_client = api_client is None
        self.options = opts
        self._core = StreamCore(configuration.stream_host, opts, rng=rng)
        self._api: Any = None
        self._session: aiohttp.ClientSession | None = None
        self._conns: dict[int, _Conn] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._buffer: deque[StreamMessage] = deque()
        self._sink = journal
        self._account = account
        self._sunk: deque[asyncio.Future[int | None]] = deque()  # the buffer's journal appends
        self._readable = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()
        self._wake = asyncio.Event()
        self._timer_task: asyncio.Task[None] | None = None
        self._timer_target: float | None = None
        self._handlers: list[tuple[type, Handler]] = []
        self._failure: BaseException | None = None
        self._failure_raised = False
        self._closed = asyncio.Event()
        self._started = False
        self._closing = False
        self._close_task: asyncio.Task[None] | None = None
        self._delete_done = asyncio.Event()
        self._ws_options: dict[str, Any] = {}
        # aiohttp < 3.11 takes a float; the close wait is housekeeping, not protocol timing.
        ws_timeout_cls = getattr(aiohttp, "ClientWSTimeout", None)
        self._ws_timeout: dict[str, Any] = (
            {"timeout": ws_timeout_cls(ws_close=opts.close_timeout)}
            if ws_timeout_cls is not None
            else {"timeout": opts.close_timeout}
        )

    # ------------------------------------------------------------------ public API

    @classmethod
    def sync(cls, configuration: Configuration | None = None, **kwargs: Any) -> SyncUserDataStream:
        """A blocking iterator over the same stream, run in a background thread.

        ``for message in UserDataStream.sync(configuration): ...``; see
        :class:`~.sync.SyncUserDataStream`. Takes the same arguments as the constructor.
        """
        from .sync import SyncUserDataStream

        return SyncUserDataStream(configuration, **kwargs)

    async def start(self) -> None:
        """Begin: create the key and connect. Called by ``async with`` and by iteration.

        :raises RuntimeError: if the stream was already closed.
        """
        if self._closing:
            raise RuntimeError("this UserDataStream is closed; create a new one")
        if self._started:
            return
        from ..api.user_data_streams_api import UserDataStreamsApi

        cfg = self._configuration
        # The WebSocket verifies and routes like REST does: same CA, verify_ssl and proxy.
        connector = aiohttp.TCPConnector(ssl=ssl_argument(cfg))
        self._ws_options = {"proxy": cfg.proxy or None, "proxy_headers": cfg.proxy_headers}
        self._started = True
        if self._api_client is None:
            from ..async_api_client import AsyncApiClient

            self._api_client = AsyncApiClient(cfg, clock=self._clock)
        self._api = UserDataStreamsApi(self._api_client)
        self._session = aiohttp.ClientSession(connector=connector)
        self._timer_task = asyncio.create_task(self._run_timers(), name="udstream-timers")
        self._execute(self._core.start(self._clock.time()))

    async def close(self) -> None:
        """Stop: close the connections, delete the listen key if
        ``delete_listen_key_on_close=True`` (off by default: the key is shared by every client
        of the account), release every task and socket. Idempotent.

        Bounded: the key deletion and each socket's closing handshake are waited for at most
        ``close_timeout``, in clock time *and* in real time (a ``ManualClock`` nobody advances
        cannot hold it). The sessions are always released: if the caller is cancelled, it
        stays cancelled and the closing finishes in the background (a later ``close()``
        waits for it).
        """
        if self._close_task is None:
            self._closing = True
            self._readable.set()
            self._space.set()
            self._close_task = asyncio.get_running_loop().create_task(
                self._close(), name="udstream-closing"
            )
        await asyncio.shield(self._close_task)

    async def _close(self) -> None:
        try:
            actions = self._core.close(self._clock.time())
            # Stop timers, readers and in-flight REST calls first; then close the sockets and
            # delete the key concurrently.
            conns = list(self._conns.values())  # before their tasks end and forget them
            self._conns.clear()
            await self._cancel_all()
            self._execute([a for a in actions if not isinstance(a, Close)])
            waits: list[Awaitable[Any]] = [self._dispose(c, abort=False) for c in conns]
            if any(isinstance(a, DeleteKey) for a in actions):
                waits.append(self._bounded(self._delete_done.wait()))
            await asyncio.gather(*waits, return_exceptions=True)
        finally:
            try:
                await self._cancel_all()
            finally:
                if self._session is not None:
                    await self._session.close()
                if self._owns_client and self._api_client is not None:
                    await self._api_client.close()
                self._closed.set()
                logger.info("user data stream closed")

    async def _bounded(self, waited: Awaitable[Any]) -> None:
        """Wait for ``waited``, at most ``close_timeout`` of clock time and of real time."""
        timeout = self.options.close_timeout
        await race(waited, self._clock.sleep(timeout), asyncio.sleep(timeout), name="udstream-wait")

    async def __aenter__(self) -> UserDataStream:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __aiter__(self) -> UserDataStream:
        return self

    async def __anext__(self) -> StreamMessage:
        if not self._started and not self._closing:
            await self.start()
        while True:
            if self._closing or self._failure_raised:
                raise StopAsyncIteration
            if self._buffer:
                message = self._take()
                if self._sink is not None and not await self._journaled(message):
                    continue
                await self._dispatch(message)
                return message
            if self._failure is not None:
                self._failure_raised = True
                raise self._failure
            self._readable.clear()
            await self._readable.wait()

    async def run(self) -> None:
        """Consume the stream, calling the :meth:`on` handlers, until it is closed."""
        async for _ in self:
            pass

    def on(
        self, message_type: type[M], handler: Callable[[M], Awaitable[None] | None]
    ) -> Callable[[], None]:
        """Call ``handler(message)`` for every message that is an instance of ``message_type``.

        Handlers run, in registration order, when the message is consumed (by ``async for``
        just before it is yielded, or by :meth:`run`); async handlers are awaited, which slows
        consumption and thereby applies backpressure. A handler that raises is logged and
        does not stop the stream. Control classes (``StreamGap``...) work too; ``object``
        matches everything.

        :returns: a function that removes this handler.
        """
        if not isinstance(message_type, type):
            raise TypeError(f"on() takes a message class, got {message_type!r}")
        if not callable(handler):
            raise TypeError(f"on() takes a callable handler, got {handler!r}")
        entry: tuple[type, Handler] = (message_type, handler)
        self._handlers.append(entry)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._handlers.remove(entry)

        return unsubscribe

    @property
    def stats(self) -> StreamStats:
        """A :class:`StreamStats` snapshot now (counters, keepalive state, lag, queue)."""
        return replace(self._core.stats(self._clock.time()), queued=len(self._buffer))

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def closed(self) -> bool:
        """``close()`` was called (or the stream failed and the failure was raised)."""
        return self._closing

    def __repr__(self) -> str:
        key = self._core.listen_key
        return (
            f"UserDataStream(phase={self._core.phase.value}, key={mask_key(key)}, "
            f"connected={self._core.connected}, queued={len(self._buffer)})"
        )

    # ------------------------------------------------------------------ consumer side

    def _take(self) -> StreamMessage:
        message = self._buffer.popleft()
        if self._core.paused and len(self._buffer) <= self.options.max_queue // 2:
            self._space.set()
            self._execute(self._core.resume(self._clock.time()))
        return message

    async def _journaled(self, message: StreamMessage) -> bool:
        """Wait until ``message`` is durable in the journal; False: a journaled duplicate."""
        append = self._sunk.popleft()
        try:
            offset = await asyncio.shield(append)
        except asyncio.CancelledError:
            self._buffer.appendleft(message)
            self._sunk.appendleft(append)
            raise
        except Exception as exc:
            logger.error("journal append failed: %s", exc)
            self._failure = exc
            self._failure_raised = True
            raise
        return offset is not None

    async def _dispatch(self, message: StreamMessage) -> None:
        for message_type, handler in list(self._handlers):
            if not isinstance(message, message_type):
                continue
            try:
                result = handler(message)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("handler %r raised on %s", handler, type(message).__name__)

    # ------------------------------------------------------------------ action execution

    def _execute(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Deliver):
                self._buffer.append(action.message)
                if self._sink is not None:
                    appended = self._sink.append(self._account, action.message, self._clock.time())
                    self._sunk.append(asyncio.ensure_future(appended))
                self._readable.set()
                if len(self._buffer) >= self.options.max_queue and not self._core.paused:
                    self._space.clear()
                    # pause() only suspends timers: it returns no action worth running now.
                    self._core.pause(self._clock.time())
                    logger.warning(
                        "consumer is %d messages behind: pausing reads (backpressure)",
                        len(self._buffer),
                    )
            elif isinstance(action, Connect):
                conn = _Conn(action.conn_id, action.url)
                self._conns[action.conn_id] = conn
                conn.task = self._spawn(
                    self._run_connection(conn, action), f"udstream-conn{conn.id}"
                )
            elif isinstance(action, Close):
                closing = self._conns.pop(action.conn_id, None)
                if closing is not None:
                    self._spawn(self._dispose(closing, abort=action.abort), "udstream-close")
            elif isinstance(action, (SendPing, SendPong)):
                target = self._conns.get(action.conn_id)
                if target is not None and target.ws is not None:
                    ws = target.ws
                    send = ws.ping if isinstance(action, SendPing) else ws.pong
                    self._spawn(quietly(send(action.payload)), "udstream-ping")
            elif isinstance(action, CreateKey):
                self._spawn(self._create_key(), "udstream-create-key")
            elif isinstance(action, Keepalive):
                self._spawn(self._keepalive(), "udstream-keepalive")
            elif isinstance(action, DeleteKey):
                self._spawn(self._delete_key(), "udstream-delete-key")
            elif isinstance(action, Fail):
                self._failure = action.error
                self._readable.set()
            elif isinstance(action, Closed):
                self._delete_done.set()
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

    def _background_failed(self, name: str, error: BaseException) -> None:
        """A background task raised: a bug, not a network event. Fail the stream with it
        (iteration raises it after the buffered messages) rather than lose it."""
        logger.error("user data stream: %s failed", name, exc_info=error)
        if self._failure is None:
            self._failure = error
        self._readable.set()

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
            await self._timer_loop()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # without timers the stream cannot keep its promises
            self._background_failed("timers", exc)

    async def _timer_loop(self) -> None:
        core, clock = self._core, self._clock
        while core.phase is Phase.RUNNING:
            self._wake.clear()
            deadline = self._timer_target = core.next_deadline()
            if deadline is None:
                await self._wake.wait()
            else:
                delay = deadline - clock.time()
                if delay > 0:
                    await race(clock.sleep(delay), self._wake.wait(), name="udstream-wait")
            self._timer_target = None
            self._execute(core.tick(clock.time()))

    # ------------------------------------------------------------------ REST

    async def _create_key(self) -> None:
        try:
            response = await self._api.cmfutures_create_listen_key_v1()
            key = response.listen_key
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._execute(self._core.create_key_failed(_rest_error(exc), self._clock.time()))
            return
        self._execute(self._core.create_key_ok(key, self._clock.time()))

    async def _keepalive(self) -> None:
        try:
            await self._api.cmfutures_update_listen_key_v1()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._execute(self._core.keepalive_failed(_rest_error(exc), self._clock.time()))
            return
        self._execute(self._core.keepalive_ok(self._clock.time()))

    async def _delete_key(self) -> None:
        error = None
        try:
            await self._api.cmfutures_delete_listen_key_v1()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = _rest_error(exc)
        self._execute(self._core.delete_key_done(self._clock.time(), error))

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
            await abort_socket(ws)
        await abort_socket(ws)  # also releases the TCP connection of a cleanly closed socket
        self._forget(conn)
        self._execute(core.connection_closed(conn.id, clock.time(), reason))

    async def _answer_ping(
        self, ws: aiohttp.ClientWebSocketResponse[bool], actions: list[Action]
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
    key = url.rsplit("/", 1)[-1]
    return text.replace(url, masked_url).replace(key, mask_key(key)) if key else text


def _rest_error(exc: BaseException) -> RestError:
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
