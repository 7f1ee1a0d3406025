"""The asyncio driver of the stream pool: :class:`StreamPool`.

Thin by design: every decision is taken by :class:`~.core.PoolCore`. This module moves bytes
(one aiohttp session for every WebSocket and every listen-key call), reads the
:class:`~binance.derivatives.cmfutures.clock.Clock`, sleeps on it until the core's next
deadline, and hands ``(account, message)`` pairs to the consumer through one bounded buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from .._tasks import race, reap
from ..accounts import ACCOUNT_ID_PATTERN, InvalidAccountId, check_account_id
from ..clock import Clock, SystemClock
from ..events import StreamConnected, StreamMessage
from ..stream.actions import Close, Connect, RestError, SendPing, SendPong, mask_key
from ..stream.connection import Send
from ..stream.stats import StreamStats
from ..stream.ws_io import abort as abort_socket
from ..stream.ws_io import quietly
from .actions import AccountGone, Deliver, PoolAction, RestCall
from .core import PoolCore, PoolTotals
from .events import AccountFailed
from .options import PoolOptions

if TYPE_CHECKING:
    from ..configuration import Configuration
    from ..journal.sink import MessageSink
    from ..mirror.aio import AccountMirror
    from ..signing import BinanceAuth
    from .sync import SyncStreamPool

__all__ = ["ACCOUNT_ID_PATTERN", "InvalidAccountId", "PoolStats", "StreamPool", "check_account_id"]

logger = logging.getLogger("binance.derivatives.cmfutures.pool")

PoolMessage = StreamMessage | AccountFailed


@dataclass(frozen=True)
class PoolStats:
    """A snapshot of a pool: totals (see :class:`~.core.PoolTotals`) and per-account
    :class:`~binance.derivatives.cmfutures.StreamStats` (``queued`` is pool-wide)."""

    totals: PoolTotals
    accounts: dict[str, StreamStats] = field(default_factory=dict)
    queued: int = 0


class _Conn:
    __slots__ = ("id", "task", "ws")

    def __init__(self, conn_id: int) -> None:
        self.id = conn_id
        self.task: asyncio.Task[None] | None = None
        self.ws: aiohttp.ClientWebSocketResponse[bool] | None = None


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


class StreamPool:
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
        self._configuration = configuration
        self.options = opts = options if options is not None else PoolOptions()
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._core = PoolCore(configuration.stream_host, opts, rng=rng)
        self._host = configuration.host.rstrip("/")
        self._auth: dict[str, BinanceAuth] = {}
        self._session: aiohttp.ClientSession | None = None
        self._conns: dict[int, _Conn] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._buffer: deque[tuple[str, PoolMessage]] = deque()
        self._journal = journal
        # the journal append of each buffered message (None: not journaled), in buffer order
        self._sunk: deque[asyncio.Future[int | None] | None] = deque()
        self._journal_error: BaseException | None = None
        self._readable = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()
        self._wake = asyncio.Event()
        self._timer_task: asyncio.Task[None] | None = None
        self._timer_target: float | None = None
        self._gone: dict[str, asyncio.Event] = {}
        self._feeds: dict[str, _AccountFeed] = {}
        self._mirrors: dict[str, AccountMirror] = {}
        self._mirror_clients: dict[str, Any] = {}
        self._iterating = False
        self._started = False
        self._closing = False
        self._closed = asyncio.Event()
        self._failure: BaseException | None = None
        connect, read = configuration.timeout
        self._rest_timeout = aiohttp.ClientTimeout(sock_connect=connect, sock_read=read)
        ws_timeout_cls = getattr(aiohttp, "ClientWSTimeout", None)
        self._ws_timeout: dict[str, Any] = (
            {"timeout": ws_timeout_cls(ws_close=opts.stream.close_timeout)}
            if ws_timeout_cls is not None
            else {"timeout": opts.stream.close_timeout}
        )

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
        cfg = self._configuration
        connector = aiohttp.TCPConnector(
            limit=max(1, self.options.rest_concurrency + 4),
            ssl=bool(cfg.verify_ssl),
        )
        self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        self._timer_task = asyncio.create_task(self._run_timers(), name="pool-timers")
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
        client = self._mirror_clients.pop(account, None)
        if client is not None:
            await client.close()
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
        pool (no connection of its own), created and started on the first call; its REST
        snapshots wait for the pool's weight budget. Closed by :meth:`remove` and
        :meth:`close`.

        :raises KeyError: unknown account.
        """
        existing = self._mirrors.get(account)
        if existing is not None:
            return existing
        if account not in self._core:
            raise KeyError(f"no account {account!r} in this pool: add() it first")
        from ..async_api_client import AsyncApiClient
        from ..configuration import Configuration
        from ..mirror.aio import AccountMirror

        cfg = self._configuration
        client = AsyncApiClient(
            Configuration(host=cfg.host, stream_host=cfg.stream_host, auth=self._auth[account],
                          timeout=cfg.timeout),
            clock=self._clock,
        )
        feed = _AccountFeed(self, account)
        now = self._clock.time()
        for conn_id in self._core.live_connections(account):
            feed.push(StreamConnected(now, f"{cfg.stream_host}/stream", conn_id))

        async def snapshot() -> Any:
            await self._spend(self.options.snapshot_weight)
            from ..api.account_api import AccountApi
            from ..mirror.snapshot import build_snapshot

            api: AccountApi[AsyncApiClient] = AccountApi(client)
            account_info = await api.cmfutures_get_account_v1()
            positions = await api.cmfutures_get_position_risk_v1()
            orders = await api.cmfutures_get_open_orders_v1()
            self._core.observe(self._clock.time(), used_weight=client.used_weight.get("1M"))
            return build_snapshot(account_info, positions, orders)

        mirror = AccountMirror(
            stream=feed, snapshot_source=snapshot, clock=self._clock, api_client=client
        )
        self._feeds[account] = feed
        self._mirrors[account] = mirror
        self._mirror_clients[account] = client
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
        await self._cancel_all()
        conns = list(self._conns.values())
        self._conns.clear()
        waits: list[Awaitable[Any]] = [self._dispose(c, abort=False) for c in conns]
        deletes = [a for a in actions if isinstance(a, RestCall)]
        if deletes and self._session is not None:
            batch = asyncio.gather(*(self._rest(a.account, a.kind) for a in deletes),
                                   return_exceptions=True)
            waits.append(race(batch, self._clock.sleep(self.options.stream.close_timeout)))
        await asyncio.gather(*waits, return_exceptions=True)
        await self._cancel_all()
        for client in self._mirror_clients.values():
            with contextlib.suppress(Exception):
                await client.close()
        for append in self._sunk:  # journal appends never handed out: retrieve their outcome
            if append is not None:
                append.add_done_callback(_retrieve)
        if self._session is not None:
            await self._session.close()
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
            if isinstance(action, Deliver):
                self._deliver(action.account, action.message)
            elif isinstance(action, Send):
                conn = self._conns.get(action.conn_id)
                if conn is not None and conn.ws is not None:
                    self._spawn(quietly(conn.ws.send_str(action.text)), "pool-send")
            elif isinstance(action, RestCall):
                self._spawn(self._rest(action.account, action.kind), "pool-rest")
            elif isinstance(action, Connect):
                conn = _Conn(action.conn_id)
                self._conns[action.conn_id] = conn
                conn.task = self._spawn(self._run_connection(conn, action.url),
                                        f"pool-conn{conn.id}")
            elif isinstance(action, Close):
                closing = self._conns.pop(action.conn_id, None)
                if closing is not None:
                    self._spawn(self._dispose(closing, abort=action.abort), "pool-close")
            elif isinstance(action, (SendPing, SendPong)):
                target = self._conns.get(action.conn_id)
                if target is not None and target.ws is not None:
                    ws = target.ws
                    send = ws.ping if isinstance(action, SendPing) else ws.pong
                    self._spawn(quietly(send(action.payload)), "pool-ping")
            elif isinstance(action, AccountGone):
                self._auth.pop(action.account, None)
                event = self._gone.get(action.account)
                if event is not None:
                    event.set()
        deadline = self._core.deadline_hint
        if deadline is not None and (self._timer_target is None or deadline < self._timer_target):
            self._wake.set()

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _cancel_all(self) -> None:
        current = asyncio.current_task()
        pending = [
            t for t in (*self._tasks, self._timer_task) if t is not None and t is not current
        ]
        for task in pending:
            task.cancel()
        await reap(pending)

    async def _spend(self, weight: int) -> None:
        """Wait (clock time) until the pool's budget grants ``weight``."""
        while True:
            now = self._clock.time()
            at = self._core.spend(weight, now)
            if at <= 0.0:
                return
            await self._clock.sleep(max(at - now, 0.001))

    # ------------------------------------------------------------------ timers

    async def _run_timers(self) -> None:
        try:
            core, clock = self._core, self._clock
            while not self._closing:
                self._wake.clear()
                deadline = self._timer_target = core.deadline_hint
                if deadline is None:
                    await self._wake.wait()
                else:
                    delay = deadline - clock.time()
                    if delay > 0:
                        await race(clock.sleep(delay), self._wake.wait())
                self._timer_target = None
                self._execute(core.tick(clock.time()))
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # without timers the pool cannot keep its promises
            logger.exception("stream pool timers failed")
            self._failure = exc
            self._readable.set()

    # ------------------------------------------------------------------ REST

    async def _rest(self, account: str, kind: str) -> None:
        """One listen-key call for ``account``: only its API key header is needed."""
        auth = self._auth.get(account)
        core, clock = self._core, self._clock
        if auth is None or self._session is None:
            self._execute(core.rest_failed(account, kind, RestError(0, message="removed"),
                                           clock.time()))
            return
        method = {"create": "POST", "keepalive": "PUT", "delete": "DELETE"}[kind]
        used: int | None = None
        try:
            async with self._session.request(
                method,
                f"{self._host}/dapi/v1/listenKey",
                headers={"X-MBX-APIKEY": auth.api_key},
                timeout=self._rest_timeout,
                allow_redirects=False,
                proxy=self._configuration.proxy or None,
            ) as response:
                body = await response.read()
                status = response.status
                used = _int_header(response.headers.get("X-MBX-USED-WEIGHT-1M"))
                retry_after = _int_header(response.headers.get("Retry-After"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = RestError(0, message=f"{type(exc).__name__}")
            self._execute(core.rest_failed(account, kind, error, clock.time()))
            return
        payload = _json_object(body)
        if 200 <= status < 300:
            key = payload.get("listenKey")
            self._execute(core.rest_ok(account, kind, clock.time(),
                                       listen_key=key if isinstance(key, str) else None,
                                       used_weight=used))
            return
        code = payload.get("code")
        msg = payload.get("msg")
        error = RestError(
            status,
            code if isinstance(code, int) else None,
            float(retry_after) if retry_after is not None else None,
            str(msg)[:200] if msg else "",
        )
        self._execute(core.rest_failed(account, kind, error, clock.time(), used_weight=used))

    # ------------------------------------------------------------------ connections

    async def _run_connection(self, conn: _Conn, url: str) -> None:
        core, clock = self._core, self._clock
        assert self._session is not None
        try:
            ws = await self._session.ws_connect(
                url, autoping=False, heartbeat=None, autoclose=True, max_msg_size=1 << 22,
                proxy=self._configuration.proxy or None, **self._ws_timeout,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._execute(core.connection_closed(
                conn.id, clock.time(), f"connect failed: {type(exc).__name__}: {exc}"))
            return
        conn.ws = ws
        if self._conns.get(conn.id) is not conn:
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
                    self._execute(core.ping_received(conn.id, msg.data, clock.time()))
                elif kind is pong:
                    self._execute(core.pong_received(conn.id, clock.time()))
                else:
                    reason = _close_reason(msg, ws)
                    break
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.exception("connection %d: unexpected error", conn.id)
            reason = f"internal error: {type(exc).__name__}"
            await abort_socket(ws)
        self._execute(core.connection_closed(conn.id, clock.time(), reason))

    async def _dispose(self, conn: _Conn, *, abort: bool) -> None:
        task = conn.task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await reap([task])
        ws = conn.ws
        if ws is None or ws.closed:
            return
        if abort:
            await abort_socket(ws)
            return
        closing = asyncio.ensure_future(ws.close())
        try:
            await race(closing, self._clock.sleep(self.options.stream.close_timeout))
        finally:
            if not closing.done():
                closing.cancel()
                await reap([closing])
            await abort_socket(ws)


# ---------------------------------------------------------------------- helpers


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()




def _close_reason(msg: Any, ws: aiohttp.ClientWebSocketResponse[bool]) -> str:
    if msg.type is aiohttp.WSMsgType.ERROR:
        return f"connection error: {type(msg.data).__name__}"
    if msg.type is aiohttp.WSMsgType.CLOSE:
        extra = f": {msg.extra}" if msg.extra else ""
        return f"server closed the connection (code {msg.data}{extra})"
    code = ws.close_code
    if code is not None and code != 1000:
        return f"connection lost (code {code})"
    return "connection closed by the server"


def _int_header(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _json_object(body: bytes) -> dict[str, Any]:
    import json

    try:
        value = json.loads(body[:65536]) if body else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def masked(key: str | None) -> str:
    return mask_key(key)
