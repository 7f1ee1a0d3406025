"""``AccountMirror``: the asyncio driver of :class:`~.core.MirrorState`.

It owns a :class:`~binance.derivatives.cmfutures.UserDataStream` and (unless one is given) an
:class:`~binance.derivatives.cmfutures.AsyncApiClient`. One task consumes the stream and feeds
the state; another takes REST snapshots when the state needs one. Both run on one event loop,
so the state is only ever touched by one of them at a time; readers get immutable views.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, cast

from .._tasks import reap
from ..clock import Clock, SystemClock
from ..events import StreamGap
from .core import MirrorState, Snapshot
from .options import MirrorOptions, retry_delay
from .policy import (
    CONTROL_EVENTS,
    AbandonRecovery,
    Action,
    Fail,
    Publish,
    ResyncPhase,
    ResyncPolicy,
    StartResync,
)
from .recovery import RecoveryOptions, TradeQuery
from .views import (
    AccountView,
    BalanceView,
    ChangeKind,
    MirrorChange,
    OrderView,
    PositionKey,
    PositionView,
    ResyncReport,
)

if TYPE_CHECKING:
    from ..async_api_client import AsyncApiClient
    from ..configuration import Configuration
    from ..journal import Journal
    from ..signing import BinanceAuth
    from ..stream import StreamOptions
    from .sync import SyncAccountMirror

__all__ = ["AccountMirror", "ChangeSubscription", "MirrorClosed"]

logger = logging.getLogger("binance.derivatives.cmfutures.mirror")

SnapshotSource = Callable[[], Awaitable[Snapshot]]
TradesSource = Callable[[TradeQuery], Awaitable[Any]]


class MirrorClosed(RuntimeError):
    """The mirror was closed: no more changes will come."""


class ChangeSubscription:
    """An async iterator over the changes published after it was created.

    Bounded: when more than ``MirrorOptions.max_change_queue`` changes wait undelivered, the
    newest are dropped and one ``lagged`` change (``key`` = how many were dropped) takes their
    place. Ends when the mirror closes; raises the mirror's error if the mirror failed.

    The mirror holds it only weakly: breaking out of ``async for`` and dropping it
    unsubscribes (nothing more is queued for it), as do :meth:`close`, :meth:`aclose` and
    leaving ``async with mirror.changes() as changes:``.
    """

    def __init__(self, mirror: AccountMirror, maxsize: int) -> None:
        self._mirror = mirror
        self._queue: deque[MirrorChange] = deque()
        self._maxsize = maxsize
        self._dropped = 0
        self._wakeup = asyncio.Event()
        self._closed = False

    def _push(self, change: MirrorChange) -> None:
        if len(self._queue) >= self._maxsize:
            self._dropped += 1
        else:
            if self._dropped:
                self._queue.append(self._lagged(change.at))
            self._queue.append(change)
        self._wakeup.set()

    def _lagged(self, at: float) -> MirrorChange:
        dropped, self._dropped = self._dropped, 0
        return MirrorChange(kind=ChangeKind.LAGGED, key=dropped, at=at)

    def _end(self) -> None:
        self._closed = True
        self._wakeup.set()

    def close(self) -> None:
        """Stop receiving changes (idempotent)."""
        self._mirror._subscribers.discard(self)
        self._end()

    def __aiter__(self) -> ChangeSubscription:
        return self

    async def __anext__(self) -> MirrorChange:
        while True:
            if self._queue:
                return self._queue.popleft()
            if self._dropped:
                return self._lagged(self._mirror._clock.time())
            if self._closed:
                if self._mirror._failure is not None:
                    raise self._mirror._failure
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    async def aclose(self) -> None:
        """Stop receiving changes (idempotent)."""
        self.close()

    async def __aenter__(self) -> ChangeSubscription:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class AccountMirror:
    """An always-correct, immutable view of a COIN-M account: balances, positions, open orders.

    ::

        async with AccountMirror(configuration) as mirror:
            await mirror.wait_for(lambda m: not m.stale, timeout=10)
            print(mirror.balances["BTC"].wallet_balance)
            async for change in mirror.changes():
                ...

    On entry the mirror opens its :class:`~binance.derivatives.cmfutures.UserDataStream`. Once
    the stream is connected it takes a REST snapshot (``/dapi/v1/account``,
    ``/dapi/v1/positionRisk``, ``/dapi/v1/openOrders``), with the events received meanwhile
    buffered and then merged on top of it. After every ``StreamGap`` it does the same again and
    reports what the stream had missed (:attr:`last_resync`, and ``resync`` changes). A failing
    snapshot is retried with backoff on the mirror's clock, honouring ``Retry-After``; the
    mirror says it is :attr:`stale` meanwhile. ``401``/``403`` answers are not retried: the
    mirror fails and :meth:`changes` / :meth:`wait_for` raise the error.

    :param configuration: used to build the REST client and the stream when they are not given.
    :param api_client: an :class:`~binance.derivatives.cmfutures.AsyncApiClient` to use (not
        closed by the mirror). By default one is created from ``configuration`` and closed on exit.
    :param clock: the time source for retries, timeouts and timestamps (default: system clock).
    :param options: :class:`~.options.MirrorOptions` (retry pace, audit interval, bounds).
    :param stream: a ready-made stream to consume instead of creating one (the mirror enters
        and exits it). It must yield control events (StreamConnected, StreamGap...) in band.
    :param stream_options: passed to the created ``UserDataStream`` as ``options``.
    :param snapshot_source: an async callable returning a :class:`~.core.Snapshot`, replacing
        the REST snapshot (for tests and custom sources).
    :param rng: the random source of retry jitter (seedable for reproducible tests).
    :param trades_source: an async callable answering a :class:`~.recovery.TradeQuery` with
        ``userTrades`` rows, replacing the REST call of the fill recovery (for tests and
        custom sources). Without it and without a REST client, fills are not recovered.
    :param journal: a :class:`~binance.derivatives.cmfutures.Journal`. The mirror starts from
        it (the last journaled snapshot plus later events, :attr:`stale` until its first
        resync), gives it to the stream it creates, and journals every resync snapshot, so
        the account can be rebuilt at any offset (``journal.rebuild_account``).
    :param account: the account id in the journal (default ``"default"``).
    """

    def __init__(
        self,
        configuration: Configuration | None = None,
        *,
        api_client: AsyncApiClient | None = None,
        clock: Clock | None = None,
        options: MirrorOptions | None = None,
        stream: Any = None,
        stream_options: StreamOptions | None = None,
        snapshot_source: SnapshotSource | None = None,
        rng: random.Random | None = None,
        trades_source: TradesSource | None = None,
        journal: Journal | None = None,
        account: str = "default",
    ) -> None:
        if configuration is None and api_client is None and (
            stream is None or snapshot_source is None
        ):
            raise TypeError(
                "AccountMirror needs a Configuration (AccountMirror(configuration)) or an "
                "api_client=AsyncApiClient(...)"
            )
        self._configuration = configuration
        self._api_client = api_client
        self._owns_client = False
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._options = options if options is not None else MirrorOptions()
        self._stream = stream
        self._stream_options = stream_options
        self._snapshot_source = snapshot_source
        self._rng = rng if rng is not None else random.Random()
        self._trades_source = trades_source
        recovery = (
            RecoveryOptions(max_requests=self._options.fill_recovery_max_requests)
            if self._options.fill_recovery
            and (trades_source is not None or configuration is not None or api_client is not None)
            else None
        )
        # Every resync decision is the policy's (sans-I/O, mirror/policy.py); this class
        # only carries its actions out.
        self._policy = ResyncPolicy(
            MirrorState(memory=self._options.memory, recovery=recovery), self._options, self._rng,
            delay_rule=_retry_delay,
        )
        # Weak: a subscription its consumer dropped unsubscribes itself.
        self._subscribers: weakref.WeakSet[ChangeSubscription] = weakref.WeakSet()
        self._changed: asyncio.Event | None = None
        self._connected: asyncio.Event | None = None
        self._consume_task: asyncio.Task[None] | None = None
        self._resync_task: asyncio.Task[None] | None = None
        self._audit_task: asyncio.Task[None] | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._failure: BaseException | None = None
        self._closed = False
        self._close_task: asyncio.Task[None] | None = None
        self._started = False
        self._resync_waiters: list[asyncio.Future[ResyncReport]] = []
        self._journal = journal
        self._account = account

    @property
    def _state(self) -> MirrorState:
        return self._policy.state

    @_state.setter
    def _state(self, state: MirrorState) -> None:
        self._policy.state = state

    # ------------------------------------------------------------------ views

    @property
    def view(self) -> AccountView:
        """The whole account at one instant (balances, positions, orders, leverage, stale)."""
        return self._state.view

    @property
    def balances(self) -> Mapping[str, BalanceView]:
        """asset -> :class:`BalanceView` (read-only; replaced, never modified)."""
        return self._state.view.balances

    @property
    def positions(self) -> Mapping[PositionKey, PositionView]:
        """``(symbol, position_side)`` -> :class:`PositionView`, flat rows included."""
        return self._state.view.positions

    @property
    def open_orders(self) -> Mapping[int, OrderView]:
        """order id -> :class:`OrderView`, for orders not in a terminal status."""
        return self._state.view.open_orders

    @property
    def leverage(self) -> Mapping[str, int]:
        """symbol -> leverage, for every symbol whose leverage is known."""
        return self._state.view.leverage

    @property
    def stale(self) -> bool:
        """True until the first snapshot, after a stream gap until the next resync succeeds,
        and while a resync is failing."""
        return self._state.view.stale

    @property
    def last_resync(self) -> ResyncReport | None:
        """The report of the last successful resync (the first snapshot included)."""
        return self._state.last_resync

    @property
    def stream(self) -> Any:
        """The underlying :class:`~binance.derivatives.cmfutures.UserDataStream` (its
        ``stats``...), or None before :meth:`start`."""
        return self._stream

    @property
    def closed(self) -> bool:
        """True once the mirror was closed or failed."""
        return self._closed or self._failure is not None

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> AccountMirror:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Open the stream and start mirroring. Returns at once: the mirror is :attr:`stale`
        until the first snapshot is merged (see :meth:`wait_for`)."""
        if self._started:
            raise RuntimeError("AccountMirror.start() called twice")
        self._started = True
        self._changed = asyncio.Event()
        self._connected = asyncio.Event()
        self._stack = contextlib.AsyncExitStack()
        try:
            if self._api_client is None and (self._snapshot_source is None or self._stream is None):
                from ..async_api_client import AsyncApiClient as _Client

                self._api_client = _Client(self._configuration, clock=self._clock)
                self._owns_client = True
                self._stack.push_async_callback(self._api_client.close)
            if self._snapshot_source is None:
                self._snapshot_source = self._rest_snapshot
            if self._trades_source is None:
                self._trades_source = self._rest_trades
            if self._stream is None:
                from ..stream import UserDataStream

                kwargs: dict[str, Any] = {"api_client": self._api_client, "clock": self._clock}
                if self._stream_options is not None:
                    kwargs["options"] = self._stream_options
                if self._journal is not None:
                    kwargs.update(journal=self._journal, account=self._account)
                self._stream = UserDataStream(**kwargs)
            resumed = await self._resume_from_journal()
            await self._stack.enter_async_context(self._stream)
        except BaseException:
            await self._stack.aclose()
            self._closed = True
            raise
        actions = self._policy.start(self._clock.time(), resumed=resumed)
        self._consume_task = self._background(self._consume, "AccountMirror.consume")
        self._carry_out(actions)
        if self._policy.audit_interval is not None:
            self._audit_task = self._background(self._audit, "AccountMirror.audit")

    def _background(
        self, run: Callable[[], Coroutine[Any, Any, None]], name: str
    ) -> asyncio.Task[None]:
        """Run ``run()`` as a task whose unexpected error fails the mirror (never vanishes)."""
        return asyncio.create_task(self._guarded(run, name), name=name)

    async def _guarded(self, run: Callable[[], Coroutine[Any, Any, None]], name: str) -> None:
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.exception("account mirror: %s failed unexpectedly", name)
            self._fail(exc)

    async def close(self) -> None:
        """Stop mirroring: close the stream (and the REST client if the mirror created it).
        Change subscriptions end; pending :meth:`wait_for` calls raise :class:`MirrorClosed`.
        Idempotent. If the caller is cancelled it stays cancelled, and the closing finishes
        in the background (a later ``close()`` waits for it)."""
        if self._close_task is None:
            if self._closed:  # start() failed: nothing to release
                return
            self._closed = True
            self._close_task = asyncio.get_running_loop().create_task(
                self._close(), name="AccountMirror.close"
            )
        await asyncio.shield(self._close_task)

    async def _close(self) -> None:
        try:
            tasks = [t for t in (self._consume_task, self._resync_task, self._audit_task) if t]
            for task in tasks:
                task.cancel()
            await reap(tasks)
        finally:
            try:
                if self._stack is not None:
                    await self._stack.aclose()
            finally:
                self._finish()

    def _finish(self) -> None:
        for sub in list(self._subscribers):
            sub._end()
        self._subscribers.clear()
        error = self._failure or MirrorClosed("the mirror was closed")
        for fut in self._resync_waiters:
            if not fut.done():
                fut.set_exception(error)
        self._resync_waiters.clear()
        if self._changed is not None:
            self._changed.set()

    def _fail(self, error: BaseException) -> None:
        if self._failure is None:
            self._failure = error
        self._policy.fail(error)
        logger.error("account mirror failed: %s", type(error).__name__)
        for task in (self._resync_task, self._audit_task, self._consume_task):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self._finish()

    # ------------------------------------------------------------------ stream

    async def _consume(self) -> None:
        assert self._stream is not None
        try:
            async for message in self._stream:
                self._on_message(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._fail(exc)
            return
        if not self._closed:
            self._fail(MirrorClosed("the user data stream ended"))

    def _on_message(self, message: Any) -> None:
        now = self._clock.time()
        assert self._connected is not None
        if not isinstance(message, CONTROL_EVENTS):
            self._emit(self._state.apply(message, now))
            return
        if isinstance(message, StreamGap):
            logger.info("stream gap (%s): resyncing", message.reason)
        actions = self._policy.on_control(message, now)
        if self._policy.connected:
            self._connected.set()
        else:
            self._connected.clear()
        self._carry_out(actions)

    def _carry_out(self, actions: list[Action]) -> None:
        """Do what the policy decided (publish, start or restart the snapshot loop, fail)."""
        for action in actions:
            if isinstance(action, Publish):
                self._emit(action.changes)
            elif isinstance(action, StartResync):
                self._start_resync_task(restart=action.restart)
            elif isinstance(action, Fail):
                self._fail(action.error)

    # ------------------------------------------------------------------ resync

    async def resync(self) -> ResyncReport:
        """Take a snapshot now and merge it (an audit: the mirror is not marked stale unless the
        snapshot fails). Returns its report; if a resync is already pending, waits for it.

        :raises MirrorClosed: if the mirror closes first (or its error, if it failed).
        """
        if self.closed:
            raise self._failure or MirrorClosed("the mirror is closed")
        if not self._started:
            raise RuntimeError("AccountMirror.resync() before start()")
        future: asyncio.Future[ResyncReport] = asyncio.get_running_loop().create_future()
        self._resync_waiters.append(future)
        self._carry_out(self._policy.on_manual(self._clock.time()))
        return await future

    def _start_resync_task(self, *, restart: bool = False) -> None:
        task = self._resync_task
        if task is not None and not task.done():
            if not restart:
                return
            task.cancel()
        self._resync_task = self._background(self._resync_loop, "AccountMirror.resync")

    async def _resync_loop(self) -> None:
        assert self._connected is not None and self._snapshot_source is not None
        policy = self._policy
        while True:
            await self._connected.wait()
            policy.snapshot_started(self._clock.time())
            journaled_through = self._journal.last_offset if self._journal is not None else 0
            try:
                snapshot = await self._fetch(self._snapshot_source)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                retry = policy.snapshot_failed(exc, self._clock.time())
                if isinstance(retry, Fail):
                    self._fail(retry.error)
                    return
                logger.warning(
                    "account snapshot failed (%s, attempt %d); retrying in %.1fs",
                    type(exc).__name__,
                    retry.attempt,
                    retry.delay,
                )
                self._emit(retry.changes)
                await self._clock.sleep(retry.delay)
                policy.retry_due()
                continue
            merged = policy.snapshot_succeeded(snapshot, self._clock.time())
            if merged is None:  # voided by a gap (which also cancels us)
                continue
            report = merged.report
            self._emit(merged.changes)
            if self._journal is not None and report is not None:
                try:
                    await self._journal_snapshot(snapshot, report, journaled_through)
                except Exception as exc:  # the journal is the record: do not go on without it
                    self._fail(exc)
                    return
            waiters, self._resync_waiters = self._resync_waiters, []
            for fut in waiters:
                if not fut.done() and report is not None:
                    fut.set_result(report)
            await self._recover_fills()
            if policy.phase is not ResyncPhase.WAITING:
                return
            # A resync was asked for during the recovery: take it now.

    async def _recover_fills(self) -> None:
        """Run the fill recovery the policy plans (if any): each query it asks for, retried
        as it decides on failure (every try counts towards its request bound)."""
        assert self._trades_source is not None
        policy = self._policy
        while (query := policy.next_trade_query()) is not None:
            try:
                rows = await self._trades_source(query)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                decision = policy.trades_failed(exc, self._clock.time())
                if isinstance(decision, Fail):
                    self._fail(decision.error)
                    return
                if isinstance(decision, AbandonRecovery):
                    logger.warning("userTrades for %s refused (HTTP %d): fill recovery "
                                   "abandoned", query.symbol, decision.status)
                    return
                logger.warning("userTrades for %s failed (%s); retrying in %.1fs",
                               query.symbol, type(exc).__name__, decision.delay)
                await self._clock.sleep(decision.delay)
                continue
            self._emit(policy.trades_answered(query, rows, self._clock.time()).changes)
        plan = policy.recovery_finished()
        if plan is not None and plan.truncated:
            logger.warning("fill recovery stopped after %d userTrades calls (bound); trades of "
                           "%s may be unreported", plan.requests, ", ".join(plan.symbols))

    async def _resume_from_journal(self) -> bool:
        """Start from the journal's last snapshot plus later events; True if there was one."""
        if self._journal is None:
            return False
        from ..journal.rebuild import rebuild_account

        state = await rebuild_account(self._journal, self._account, memory=self._options.memory)
        if state is None:
            return False
        state.set_recovery_options(self._state._recovery_options)
        self._state = state
        return True

    async def _journal_snapshot(
        self, snapshot: Snapshot, report: ResyncReport, after_offset: int
    ) -> None:
        from ..journal.records import AccountSnapshot

        assert self._journal is not None
        record = AccountSnapshot(
            at=report.finished_at, reason=report.reason, after_offset=after_offset,
            snapshot=snapshot,
        )
        await self._journal.append(self._account, record, self._clock.time())

    @staticmethod
    async def _fetch(source: SnapshotSource) -> Snapshot:
        return await source()

    async def _rest_snapshot(self) -> Snapshot:
        return await rest_snapshot(cast("AsyncApiClient", self._api_client))

    async def _rest_trades(self, query: TradeQuery) -> Any:
        return await rest_trades(cast("AsyncApiClient", self._api_client), query)

    async def _audit(self) -> None:
        interval = self._policy.audit_interval
        assert interval is not None
        while True:
            await self._clock.sleep(interval)
            self._carry_out(self._policy.on_audit_tick(self._clock.time()))

    # ------------------------------------------------------------------ publication

    def _emit(self, changes: list[MirrorChange]) -> None:
        before = self._state.view
        view = self._state.publish(self._clock.time())
        for change in changes:
            for sub in self._subscribers:
                sub._push(change)
        if (changes or view is not before) and self._changed is not None:
            changed, self._changed = self._changed, asyncio.Event()
            changed.set()

    def changes(self) -> ChangeSubscription:
        """Subscribe to changes, from now on, as an async iterator of :class:`MirrorChange`.

        Each change carries what changed (``kind``, ``key``, ``before``, ``after``) and its
        ``cause``: the stream event, or the :class:`ResyncReport` of the resync that corrected
        it. Call ``.close()`` (or break out of ``async for`` and drop it) to unsubscribe.
        """
        sub = ChangeSubscription(self, self._options.max_change_queue)
        if self.closed:
            sub._end()
        else:
            self._subscribers.add(sub)
        return sub

    async def wait_for(
        self, predicate: Callable[[AccountMirror], bool], timeout: float | None = None
    ) -> AccountView:
        """Return once ``predicate(mirror)`` is true, re-checking after every update.

        :param timeout: seconds of the mirror's clock; None waits forever.
        :returns: the :attr:`view` for which the predicate held.
        :raises TimeoutError: if it does not become true in time.
        :raises MirrorClosed: if the mirror closes first (or its error, if it failed).
        """
        timer: asyncio.Task[None] | None = None
        try:
            while True:
                if predicate(self):
                    return self.view
                if self.closed or self._changed is None:
                    raise self._failure or MirrorClosed("the mirror is closed")
                if timeout is not None and timer is None:
                    timer = asyncio.ensure_future(self._clock.sleep(timeout))
                changed = asyncio.ensure_future(self._changed.wait())
                waiting: set[asyncio.Future[Any]] = {changed}
                if timer is not None:
                    waiting.add(timer)
                try:
                    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    changed.cancel()
                if timer is not None and timer.done() and not changed.done():
                    if predicate(self):
                        return self.view
                    raise TimeoutError(f"wait_for(): predicate still false after {timeout} s")
        finally:
            if timer is not None:
                timer.cancel()

    # ------------------------------------------------------------------ sync facade

    @classmethod
    def sync(cls, configuration: Configuration | None = None, **kwargs: Any) -> SyncAccountMirror:
        """A :class:`~.sync.SyncAccountMirror` running this mirror in a background thread."""
        from .sync import SyncAccountMirror

        return SyncAccountMirror(configuration, **kwargs)

    def __repr__(self) -> str:
        v = self._state.view
        return (
            f"<AccountMirror balances={len(v.balances)} positions={len(v.positions)} "
            f"open_orders={len(v.open_orders)} stale={v.stale} closed={self._closed}>"
        )


async def rest_snapshot(client: AsyncApiClient, auth: BinanceAuth | None = None) -> Snapshot:
    """The account's REST snapshot (account, positionRisk, openOrders, concurrently), made
    with ``auth`` (the client's own credentials if None)."""
    from ..api.account_api import AccountApi
    from .snapshot import build_snapshot

    api: AccountApi[AsyncApiClient] = AccountApi(client)
    account, positions, orders = await _gather_or_cancel(
        api.cmfutures_get_account_v1(_request_auth=auth),
        api.cmfutures_get_position_risk_v1(_request_auth=auth),
        api.cmfutures_get_open_orders_v1(_request_auth=auth),
    )
    return build_snapshot(account, positions, orders)


async def rest_trades(
    client: AsyncApiClient, query: TradeQuery, auth: BinanceAuth | None = None
) -> Any:
    """One ``userTrades`` page of the fill recovery, made with ``auth`` (as above)."""
    from ..api.trade_api import TradeApi

    api: TradeApi[AsyncApiClient] = TradeApi(client)
    if query.from_id is not None:
        return await api.cmfutures_get_user_trades_v1(
            symbol=query.symbol, from_id=query.from_id, limit=query.limit, _request_auth=auth)
    return await api.cmfutures_get_user_trades_v1(
        symbol=query.symbol, start_time=query.start_time, end_time=query.end_time,
        limit=query.limit, _request_auth=auth)


async def _gather_or_cancel(*aws: Awaitable[Any]) -> list[Any]:
    """Run concurrently; on the first failure cancel the rest and raise it."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        return [task.result() for task in tasks]
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await reap(tasks)  # a second failure is retrieved, not "never retrieved"


def _retry_delay(
    options: MirrorOptions, failures: int, retry_after: float | None, rng: random.Random
) -> float:
    """:func:`~.options.retry_delay`, looked up at call time (tests replace it)."""
    return retry_delay(options, failures, retry_after, rng)
