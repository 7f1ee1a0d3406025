"""The asyncio driver of the managed user data stream: :class:`UserDataStream`.

Thin by design: every decision is taken by :class:`~.core.StreamCore` (the pool's core with
one account). Sockets, timers and listen-key calls are :class:`~.driver.CoreDriver`'s, the
same code as the pool's; this module adds the consumer side: a bounded buffer, the journal,
``on()`` handlers, and the stream's failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from ..clock import Clock, SystemClock
from ..events import StreamMessage
from .actions import (
    Action,
    Close,
    Closed,
    CreateKey,
    DeleteKey,
    Deliver,
    Fail,
    Keepalive,
    mask_key,
)
from .core import Phase, StreamCore
from .driver import CoreDriver
from .options import StreamOptions
from .stats import StreamStats

if TYPE_CHECKING:
    from ..async_api_client import AsyncApiClient
    from ..configuration import Configuration
    from ..journal.sink import MessageSink
    from .sync import SyncUserDataStream

__all__ = ["UserDataStream"]

logger = logging.getLogger("binance.derivatives.cmfutures.stream")

M = TypeVar("M")
Handler = Callable[[Any], "Awaitable[None] | None"]


class UserDataStream(CoreDriver):
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
        super().__init__(
            configuration,
            clock if clock is not None else SystemClock(),
            opts.close_timeout,
            "udstream",
        )
        self._api_client = api_client
        self._owns_client = api_client is None
        self.options = opts
        self._core: StreamCore = StreamCore(configuration.stream_host, opts, rng=rng)
        self._api: Any = None
        self._buffer: deque[StreamMessage] = deque()
        self._sink = journal
        self._account = account
        self._sunk: deque[asyncio.Future[int | None]] = deque()  # the buffer's journal appends
        self._readable = asyncio.Event()
        self._handlers: list[tuple[type, Handler]] = []
        self._failure: BaseException | None = None
        self._failure_raised = False
        self._closed = asyncio.Event()
        self._started = False
        self._closing = False
        self._close_task: asyncio.Task[None] | None = None
        self._delete_done = asyncio.Event()

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

        self._started = True
        if self._api_client is None:
            from ..async_api_client import AsyncApiClient

            self._api_client = AsyncApiClient(self._configuration, clock=self._clock)
        self._api = UserDataStreamsApi(self._api_client)
        self._open()
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

            def delete_key() -> list[Awaitable[Any]]:
                # after the other tasks are cancelled, beside the sockets' closing
                self._execute([a for a in actions if not isinstance(a, Close)])
                if any(isinstance(a, DeleteKey) for a in actions):
                    return [self._bounded(self._delete_done.wait())]
                return []

            await self._close_sockets(delete_key)
        finally:
            try:
                await self._release()
            finally:
                if self._owns_client and self._api_client is not None:
                    await self._api_client.close()
                self._closed.set()
                logger.info("user data stream closed")

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
            if self._io(action):
                continue
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
            elif isinstance(action, (CreateKey, Keepalive, DeleteKey)):
                self._spawn(self._key_call(action), f"udstream-{_KIND[type(action)]}")
            elif isinstance(action, Fail):
                self._failure = action.error
                self._readable.set()
            elif isinstance(action, Closed):
                self._delete_done.set()
        self._rewake()

    def _running(self) -> bool:
        return self._core.phase is Phase.RUNNING

    def _background_failed(self, name: str, error: BaseException) -> None:
        """A background task raised: a bug, not a network event. Fail the stream with it
        (iteration raises it after the buffered messages) rather than lose it."""
        logger.error("user data stream: %s failed", name, exc_info=error)
        if self._failure is None:
            self._failure = error
        self._readable.set()

    async def _key_call(self, action: CreateKey | Keepalive | DeleteKey) -> None:
        kind = _KIND[type(action)]
        key, error = await self._listen_key_call(self._api, kind)
        core, now = self._core, self._clock.time()
        if kind == "create":
            if error is None:
                self._execute(core.create_key_ok(key or "", now))
            else:
                self._execute(core.create_key_failed(error, now))
        elif kind == "keepalive":
            if error is None:
                self._execute(core.keepalive_ok(now))
            else:
                self._execute(core.keepalive_failed(error, now))
        else:
            self._execute(core.delete_key_done(now, error))


_KIND: dict[type, str] = {CreateKey: "create", Keepalive: "keepalive", DeleteKey: "delete"}
