"""The asyncio driver of the stream pool: :class:`StreamPool`.

Thin by design: every decision is taken by :class:`~.core.PoolCore`. Sockets, timers and
listen-key calls are :class:`~..stream.driver.CoreDriver`'s (the same code as a single
stream's): one aiohttp session for every WebSocket, one
:class:`~binance.derivatives.cmfutures.AsyncApiClient` (one connection pool) for every
listen-key call, each made with its account's API key. This module adds the accounts, their
mirrors, and the consumer side: ``(account, message)`` pairs through one bounded buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .._tasks import race
from ..accounts import ACCOUNT_ID_PATTERN, InvalidAccountId, check_account_id
from ..clock import Clock, SystemClock
from ..events import StreamConnected, StreamMessage
from ..stream.actions import RestError
from ..stream.driver import CoreDriver
from ..stream.stats import StreamStats
from .actions import AccountGone, Deliver, PoolAction, RestCall
from .core import PoolCore, PoolTotals
from .events import AccountFailed
from .options import PoolOptions

if TYPE_CHECKING:
    from ..async_api_client import AsyncApiClient
    from ..configuration import Configuration
    from ..journal.sink import MessageSink
    from ..mirror.aio import AccountMirror
    from ..signing import BinanceAuth
    from .sync import SyncStreamPool

__all__ = ["ACCOUNT_ID_PATTERN", "InvalidAccountId", "PoolStats", "StreamPool", "check_account_id"]

logger = logging.getLogger("binance.derivatives.cmfutures.pool")

PoolMessage = StreamMessage | AccountFailed
T = TypeVar("T")


@dataclass(frozen=True)
class PoolStats:
    """A snapshot of a pool: totals (see :class:`~.core.PoolTotals`) and per-account
    :class:`~binance.derivatives.cmfutures.StreamStats` (``queued`` is pool-wide)."""

    totals: PoolTotals
    accounts: dict[str, StreamStats] = field(default_factory=dict)
    queued: int = 0


class _AccountFeed:
    """What an :class:`AccountMirror` consumes: one account's messages, as a stream."""

    def __init__(self, pool: StreamPool, account: str) -> None:
        self._pool = pool
        self.account = account
        self._items: deque[StreamMessage] = deque()
        self._ready = asyncio.Event()
        self._closed = False

    async def __aenter__(self) -> _AccountFeed:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def push(self, message: StreamMessage) -> None:
        self._items.append(message)
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    def __aiter__(self) -> _AccountFeed:
        return self

    async def __anext__(self) -> StreamMessage:
        while True:
            if self._items:
                return self._items.popleft()
            if self._closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()


class StreamPool(CoreDriver):
    """Many accounts' user data streams over a few shared connections, within Binance's limits.

    ::

        async with StreamPool(Configuration(host=..., stream_host=...)) as pool:
            pool.add("alice", BinanceAuth(api_key=..., secret_key=...))
            async for account, message in pool:
                ...

    Per account, messages are exactly what a
    :class:`~binance.derivatives.cmfutures.UserDataStream` yields (typed events and
    ``StreamConnected`` / ``StreamDisconnected`` / ``StreamGap`` / ``ListenKeyRenewed``), plus
    :class:`~.events.AccountFailed` if its API key is rejected (that account stops; the others
    do not notice). Accounts share WebSocket connections (``keys_per_connection`` keys each,
    via ``/stream`` + ``SUBSCRIBE``), one aiohttp session, a connection-rate limiter and a REST
    weight budget: see :class:`PoolOptions` and ``docs/pool.md``.

    :param configuration: hosts (``host``, ``stream_host``) and timeouts; its ``auth`` is not
        used (each account brings its own).
    :param options: a :class:`PoolOptions`.
    :param clock: time source for every timer (default :class:`SystemClock`).
    :param rng: random source of backoff jitter (seed it in tests).
    :param journal: a :class:`~binance.derivatives.cmfutures.Journal` (any
        :class:`~binance.derivatives.cmfutures.journal.MessageSink`): every message is
        appended under its account id at the pool's one delivery point, and handed out only
        once it is durable; an event the journal already holds (from before a restart) is
        dropped. If appending fails, iteration raises the error. ``AccountFailed`` notices are
        not journaled.
    :raises TypeError: if ``configuration`` is not a Configuration.
    """

    def __init__(
        self,
        configuration: Configuration,
        *,
        options: PoolOptions | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        journal: MessageSink | None = None,
    ) -> None:
        from ..configuration import Configuration as _Configuration

        if not isinstance(configuration, _Configuration):
            raise TypeError(
                "StreamPool needs a Configuration(host=..., stream_host=...), "
                f"got {type(configuration).__name__}"
            )
        self.options = opts = options if options is not None else PoolOptions()
        super().__init__(
            configuration,
            clock if clock is not None else SystemClock(),
            opts.stream.close_timeout,
            "pool",
        )
        self._core: PoolCore = PoolCore(configuration.stream_host, opts, rng=rng)
        self._auth: dict[str, BinanceAuth] = {}
        self._api_client: AsyncApiClient | None = None
        self._api: Any = None
        self._buffer: deque[tuple[str, PoolMessage]] = deque()
        self._journal = journal
        # the journal append of each buffered message (None: not journaled), in buffer order
        self._sunk: deque[asyncio.Future[int | None] | None] = deque()
        self._journal_error: BaseException | None = None
        self._readable = asyncio.Event()
        self._gone: dict[str, asyncio.Event] = {}
        self._feeds: dict[str, _AccountFeed] = {}
        self._mirrors: dict[str, AccountMirror] = {}
        self._iterating = False
        self._started = False
        self._closing = False
        self._closed = asyncio.Event()
        self._failure: BaseException | None = None

    # ------------------------------------------------------------------ public API

    @classmethod
    def sync(cls, configuration: Configuration, **kwargs: Any) -> SyncStreamPool:
        """A blocking facade over the same pool, run in a background thread; see
        :class:`~.sync.SyncStreamPool`. Takes the same arguments as the constructor."""
        from .sync import SyncStreamPool

        return SyncStreamPool(configuration, **kwargs)

    async def start(self) -> None:
        """Open the shared session and start the timers. Called by ``async with``.

        :raises RuntimeError: if the pool was closed.
        """
        if self._closing:
            raise RuntimeError("this StreamPool is closed; create a new one")
        if self._started:
            return
        self._started = True
        from ..api.user_data_streams_api import UserDataStreamsApi
        from ..async_api_client import AsyncApiClient

        # One REST connection pool for every account's listen-key calls (each call carries
        # its account's API key): the hardened client, with the configuration's TLS and proxy.
        self._api_client = AsyncApiClient(self._configuration, clock=self._clock)
        self._api = UserDataStreamsApi(self._api_client)
        self._open()
        self._execute(self._core.tick(self._clock.time()))

    def add(self, account: str, auth: BinanceAuth) -> None:
        """Add ``account`` with its credentials; returns at once (the key is created and
        subscribed in the background). Adding an id already present does nothing.

        :raises InvalidAccountId: ``account`` does not match ``[A-Za-z0-9_-]{1,64}``.
        :raises TypeError: ``auth`` is not a :class:`~binance.derivatives.cmfutures.BinanceAuth`.
        :raises RuntimeError: the pool is not started (use ``async with``) or is closed, or
            the account is being removed.
        """
        from ..signing import BinanceAuth as _BinanceAuth

        check_account_id(account)
        if not isinstance(auth, _BinanceAuth):
            raise TypeError(
                f"add({account!r}, auth): auth must be a BinanceAuth(api_key=..., secret_key=... "
                f"or private_key_path=...), got {type(auth).__name__}"
            )
        if self._closing:
            raise RuntimeError("this StreamPool is closed")
        if not self._started:
            raise RuntimeError("start the pool first: async with StreamPool(...) as pool")
        if account in self._core:
            return
        self._auth[account] = auth
        self._gone.pop(account, None)
        self._execute(self._core.add(account, self._clock.time()))

    async def remove(self, account: str) -> None:
        """Stop ``account``: unsubscribe it, close its mirror, and delete its listen key only
        with ``options.stream.delete_listen_key_on_close`` (off by default: other clients of
        the account share the key). Nothing
        more is delivered for it (messages already queued stay). Unknown ids are ignored.
        Waits at most ``stream.close_timeout`` (clock time) for the key deletion."""
        if account not in self._core:
            return
        gone = self._gone.setdefault(account, asyncio.Event())
        self._execute(self._core.remove(account, self._clock.time()))
        feed = self._feeds.pop(account, None)
        if feed is not None:
            feed.close()
        mirror = self._mirrors.pop(account, None)
        if mirror is not None:
            await mirror.close()
        if not gone.is_set():
            await race(gone.wait(), self._clock.sleep(self.options.stream.close_timeout))
        self._gone.pop(account, None)

    def accounts(self) -> list[str]:
        """The ids of the accounts in the pool."""
        return self._core.accounts()

    def __contains__(self, account: object) -> bool:
        return isinstance(account, str) and account in self._core

    def __len__(self) -> int:
        return len(self._core.accounts())

    @property
    def stats(self) -> PoolStats:
        """Totals (accounts, connections, keys per connection, weight used...) and every
        account's :class:`StreamStats`."""
        now = self._clock.time()
        core = self._core
        return PoolStats(
            totals=core.totals(now),
            accounts={a: core.account_stats(a, now) for a in core.accounts()},
            queued=len(self._buffer),
        )

    def account_stats(self, account: str) -> StreamStats:
        """One account's :class:`StreamStats`.

        :raises KeyError: unknown account.
        """
        if account not in self._core:
            raise KeyError(f"no account {account!r} in this pool")
        return self._core.account_stats(account, self._clock.time())

    def mirror(self, account: str) -> AccountMirror:
        """An :class:`~binance.derivatives.cmfutures.AccountMirror` of ``account`` fed by the
        pool (no connection and no REST client of its own), created and started on the
        first call; its REST snapshots and fill recoveries go through the pool's one REST
        client as that account, once the pool's weight budget grants their weight
        (``snapshot_weight``, ``trades_weight``). Closed by :meth:`remove` and :meth:`close`.

        :raises KeyError: unknown account.
        """
        existing = self._mirrors.get(account)
        if existing is not None:
            return existing
        if account not in self._core:
            raise KeyError(f"no account {account!r} in this pool: add() it first")
        from ..mirror.aio import AccountMirror, rest_snapshot, rest_trades

        client = self._api_client
        if client is None:
            raise RuntimeError("start the pool first: async with StreamPool(...) as pool")
        auth = self._auth[account]
        feed = _AccountFeed(self, account)
        now = self._clock.time()
        for conn_id in self._core.live_connections(account):
            feed.push(StreamConnected(now, f"{self._configuration.stream_host}/stream", conn_id))

        # Every REST call of a mirror goes through the pool's one client, as its account,
        # after its weight was taken from the pool's budget.
        async def snapshot() -> Any:
            return await self._charged(self.options.snapshot_weight,
                                       lambda: rest_snapshot(client, auth))

        async def trades(query: Any) -> Any:
            return await self._charged(self.options.trades_weight,
                                       lambda: rest_trades(client, query, auth))

        mirror = AccountMirror(
            stream=feed, snapshot_source=snapshot, trades_source=trades, clock=self._clock
        )
        self._feeds[account] = feed
        self._mirrors[account] = mirror
        self._spawn(mirror.start(), f"pool-mirror-{account}")
        return mirror

    async def close(self) -> None:
        """Stop: close every connection and mirror, delete the listen keys the weight budget
        allows right now (the rest expire on their own within the key lifetime), release
        every task and socket. Idempotent. Waits at most ``stream.close_timeout``."""
        if self._closing:
            await self._closed.wait()
            return
        self._closing = True
        self._readable.set()
        self._space.set()
        for mirror in list(self._mirrors.values()):
            with contextlib.suppress(Exception):
                await mirror.close()
        for feed in self._feeds.values():
            feed.close()
        actions = self._core.close(self._clock.time())

        def delete_keys() -> list[Awaitable[Any]]:
            deletes = [a for a in actions if isinstance(a, RestCall)]
            if not deletes or self._api is None:
                return []
            batch = asyncio.gather(*(self._rest(a.account, a.kind) for a in deletes),
                                   return_exceptions=True)
            return [self._bounded(batch)]

        try:
            await self._close_sockets(delete_keys)
        finally:
            await self._release()
            if self._api_client is not None:
                with contextlib.suppress(Exception):
                    await self._api_client.close()
            for append in self._sunk:  # journal appends never handed out: their outcome
                if append is not None:
                    append.add_done_callback(_retrieve)
            self._closed.set()
        logger.info("stream pool closed")

    async def __aenter__(self) -> StreamPool:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __aiter__(self) -> StreamPool:
        return self

    async def __anext__(self) -> tuple[str, PoolMessage]:
        if not self._started and not self._closing:
            await self.start()
        self._iterating = True
        while True:
            if self._journal_error is not None:
                raise self._journal_error  # nothing is handed out that is not on disk
            if self._closing:
                raise StopAsyncIteration
            if self._buffer:
                account, message = self._take()
                append = self._sunk.popleft()
                if append is not None and not await self._journaled(append, account, message):
                    continue  # the journal already held this event
                return account, message
            if self._failure is not None:
                failure, self._failure = self._failure, None
                raise failure
            self._readable.clear()
            await self._readable.wait()

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def closed(self) -> bool:
        return self._closing

    @property
    def core(self) -> PoolCore:
        """The sans-I/O core (read-only use: tests and diagnostics)."""
        return self._core

    def __repr__(self) -> str:
        totals = self._core.totals(self._clock.time())
        return (
            f"StreamPool(accounts={totals.accounts}, connections={totals.connections}, "
            f"queued={len(self._buffer)})"
        )

    # ------------------------------------------------------------------ delivery

    def _deliver(self, account: str, message: PoolMessage) -> None:
        """The one delivery point: every message of every account passes here, in order."""
        feed = self._feeds.get(account)
        if feed is not None and not isinstance(message, AccountFailed):
            feed.push(message)
            if not self._iterating:
                return  # only the mirror consumes this account until someone iterates
        append: asyncio.Future[int | None] | None = None
        if self._journal is not None and not isinstance(message, AccountFailed):
            append = asyncio.ensure_future(
                self._journal.append(account, message, self._clock.time())
            )
        self._sunk.append(append)
        self._buffer.append((account, message))
        self._readable.set()
        if len(self._buffer) >= self.options.max_queue and not self._core.paused:
            self._space.clear()
            self._core.pause(self._clock.time())
            logger.warning("consumer is %d messages behind: pausing reads", len(self._buffer))

    async def _journaled(
        self, append: asyncio.Future[int | None], account: str, message: PoolMessage
    ) -> bool:
        """Wait until ``message`` is durable; False: the journal already held it."""
        try:
            offset = await asyncio.shield(append)
        except asyncio.CancelledError:
            self._buffer.appendleft((account, message))
            self._sunk.appendleft(append)
            raise
        except Exception as exc:
            logger.error("journal append failed: %s", exc)
            self._journal_error = exc
            raise
        return offset is not None

    def _take(self) -> tuple[str, PoolMessage]:
        item = self._buffer.popleft()
        if self._core.paused and len(self._buffer) <= self.options.max_queue // 2:
            self._space.set()
            self._execute(self._core.resume(self._clock.time()))
        return item

    # ------------------------------------------------------------------ actions

    def _execute(self, actions: list[PoolAction]) -> None:
        for action in actions:
            if self._io(action):
                continue
            if isinstance(action, Deliver):
                self._deliver(action.account, action.message)
            elif isinstance(action, RestCall):
                self._spawn(self._rest(action.account, action.kind), "pool-rest")
            elif isinstance(action, AccountGone):
                self._auth.pop(action.account, None)
                event = self._gone.get(action.account)
                if event is not None:
                    event.set()
        self._rewake()

    def _running(self) -> bool:
        return not self._closing

    def _background_failed(self, name: str, error: BaseException) -> None:
        """A background task raised: a bug, not a network event. Iteration raises it."""
        logger.error("stream pool: %s failed", name, exc_info=error)
        if self._failure is None:
            self._failure = error
        self._readable.set()

    async def _charged(self, weight: int, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call()`` once the pool's budget grants ``weight`` (waiting in clock time),
        then report the weight the server says the IP has used."""
        while True:
            now = self._clock.time()
            at = self._core.spend(weight, now)
            if at <= 0.0:
                break
            await self._clock.sleep(max(at - now, 0.001))
        try:
            return await call()
        finally:
            self._core.observe(self._clock.time(), used_weight=self._used_weight())

    def _used_weight(self) -> int | None:
        """The IP's weight this minute as the server last reported it (None: not yet)."""
        return self._api_client.used_weight.get("1M") if self._api_client is not None else None

    # ------------------------------------------------------------------ REST

    async def _rest(self, account: str, kind: str) -> None:
        """One listen-key call for ``account``, made with its API key."""
        auth = self._auth.get(account)
        core = self._core
        if auth is None or self._api is None:
            self._execute(core.rest_failed(account, kind, RestError(0, message="removed"),
                                           self._clock.time()))
            return
        key, error = await self._listen_key_call(self._api, kind, auth)
        used = self._used_weight()
        now = self._clock.time()
        if error is None:
            self._execute(core.rest_ok(account, kind, now, listen_key=key, used_weight=used))
        else:
            self._execute(core.rest_failed(account, kind, error, now, used_weight=used))


# ---------------------------------------------------------------------- helpers


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
