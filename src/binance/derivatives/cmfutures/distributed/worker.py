"""A worker: streams its share of the accounts in a StreamPool and publishes into JetStream.

Several workers (on several machines or IPs) share one accounts file and one NATS server or
cluster. :class:`~.ownership.OwnershipCore` decides who streams what; this module carries its
actions out against the KV buckets, the pool and the publisher. See ``docs/distributed.md``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .. import events as ev
from ..accounts import check_account_id
from .cluster_view import WatchedCluster
from .codec import MessageDecodeError, decode_message
from .options import JetStreamOptions, WorkerOptions
from .ownership import (
    AnnounceShadow,
    Claim,
    OwnershipAction,
    OwnershipCore,
    Release,
    Renew,
    RequestHandover,
    StartStream,
    StopStream,
    Transfer,
    WithdrawRequest,
    handover_value,
    parse_handover,
)
from .publisher import JetStreamPublisher, message_time
from .setup import Buckets, ensure_buckets, ensure_stream

if TYPE_CHECKING:
    from nats.js.client import JetStreamContext

    from ..configuration import Configuration
    from ..signing import BinanceAuth

__all__ = ["Worker", "default_worker_id"]

_log = logging.getLogger("binance.derivatives.cmfutures.distributed")


_CLOSE_TIMEOUT = 5.0


async def _bounded(step: Any, what: str) -> None:
    """Await ``step`` for at most ``_CLOSE_TIMEOUT`` seconds; log (not raise) if it hangs."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait([task], timeout=_CLOSE_TIMEOUT)
    if not done:
        task.cancel()
        _log.warning("%s took over %g s; abandoned", what, _CLOSE_TIMEOUT)
    elif not task.cancelled() and task.exception() is not None:
        _log.warning("%s failed: %s", what, type(task.exception()).__name__)


def default_worker_id() -> str:
    """``<host>-<pid>``, reduced to the account-id alphabet."""
    raw = f"{socket.gethostname()}-{os.getpid()}"
    return "".join(c if c.isalnum() or c in "_-" else "-" for c in raw)[:64]


class Worker:
    """Streams a fair share of ``accounts`` and publishes every message to JetStream.

    :param configuration: the exchange hosts (``host``, ``stream_host``), as for a stream.
    :param accounts: account id -> its :class:`~binance.derivatives.cmfutures.BinanceAuth`;
        every worker of a cluster must be given the same accounts.
    :param nats_url: ``nats://HOST:PORT`` (a comma-separated list for a cluster).
    :param worker_id: this worker's id (default :func:`default_worker_id`); ids must be
        unique among the live workers.
    :param pool_factory: builds the pool (tests pass a stand-in); default: a
        :class:`~binance.derivatives.cmfutures.StreamPool` on ``configuration``.
    :param journal: a :class:`~binance.derivatives.cmfutures.Journal` the pool also appends
        every message to (a local record that survives NATS and the worker).

    Guarantees, per account: every event is stored once in ``<subject_prefix>.<account>`` or
    falls inside a published ``StreamGap``. A killed worker's accounts are claimed by others
    after ``lease_ttl`` and each starts with a gap from its last stored message to the new
    connection; a graceful join or leave hands accounts over make-before-break (no gap; the
    overlap is de-duplicated by ``Nats-Msg-Id``). During a NATS outage messages wait in the
    publisher's buffer (``buffer_size``) and only what overflows it becomes a gap.
    """

    def __init__(
        self,
        configuration: Configuration,
        accounts: Mapping[str, BinanceAuth],
        nats_url: str,
        *,
        worker_id: str | None = None,
        options: WorkerOptions | None = None,
        jetstream: JetStreamOptions | None = None,
        pool_factory: Callable[[], Any] | None = None,
        journal: Any = None,
    ) -> None:
        for account in accounts:
            check_account_id(account)
        self.worker_id = check_account_id(worker_id or default_worker_id())
        self.configuration = configuration
        self.accounts = dict(accounts)
        self.nats_url = nats_url
        self.options = options or WorkerOptions()
        self.jetstream = jetstream or JetStreamOptions()
        self._pool_factory = pool_factory or self._default_pool
        self.journal = journal
        # a vanished lease's holder gets one renewal interval to take it back
        self.core = OwnershipCore(
            self.worker_id,
            sorted(self.accounts),
            claim_grace=self.options.renew_interval,
            renew_every=self.options.renew_interval,
            handover_timeout=self.options.handover_timeout,
            handover_max=self.options.handover_max,
        )
        self._stop = asyncio.Event()
        self._failover_since: dict[str, float | None] = {}
        #: accounts this worker handed over (to a live new owner) and released (to nobody)
        self.handovers = {"handed": 0, "released": 0}
        self._claim_since: dict[str, float | None] = {}
        self._pool: Any = None
        self._js: JetStreamContext | None = None
        self._buckets: Buckets | None = None
        self._cluster: WatchedCluster | None = None
        self.publisher: JetStreamPublisher | None = None
        self.started = asyncio.Event()
        self._rewatch: asyncio.Future[None] | None = None

    def _default_pool(self) -> Any:
        from ..pool import PoolOptions, StreamPool
        from ..stream.options import StreamOptions

        # Never delete a listen key on remove: Binance gives every client of an account the
        # same key, and during a handover the new owner is already streaming on it.
        options = PoolOptions(stream=StreamOptions(delete_listen_key_on_close=False))
        return StreamPool(self.configuration, options=options, journal=self.journal)

    def stop(self) -> None:
        """Ask the worker to leave gracefully (hand its accounts over, then return)."""
        self._stop.set()

    @property
    def owned(self) -> set[str]:
        """The accounts this worker streams as owner."""
        return {a for a, mode in self.core.running.items() if mode.value == "owned"}

    async def run(self) -> None:
        """Join the cluster and stream until :meth:`stop`; then leave gracefully."""
        import nats

        async def reconnected() -> None:
            if self._cluster is not None:
                self._rewatch = asyncio.ensure_future(self._cluster.restart())

        nc = await nats.connect(
            self.nats_url,
            name=f"cmfutures-worker-{self.worker_id}",
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            reconnected_cb=reconnected,
        )
        try:
            self._js = nc.jetstream()
            await ensure_stream(self._js, self.jetstream)
            self._buckets = await ensure_buckets(self._js, self.jetstream, self.options)
            self._cluster = WatchedCluster(self._buckets)
            await self._cluster.start()
            async with (
                JetStreamPublisher(
                    self._js, self.jetstream, buffer_size=self.options.buffer_size
                ) as publisher,
                self._pool_factory() as pool,
            ):
                self.publisher, self._pool = publisher, pool
                pump = asyncio.create_task(self._pump(pool, publisher), name="worker-pump")
                try:
                    await self._heartbeat("live")
                    self.started.set()
                    await self._until(self._stop.is_set)
                    await self._leave()
                    await self._flush(publisher)
                finally:
                    pump.cancel()
                    await asyncio.wait([pump])
        finally:
            # bounded: a stuck NATS call must not keep a stopping worker alive
            if self._cluster is not None:
                await _bounded(self._cluster.stop(), "stopping the KV watchers")
            await _bounded(nc.close(), "closing the NATS connection")

    # ----------------------------------------------------------------- the control loop

    async def _until(self, done: Callable[[], bool], deadline: float | None = None) -> None:
        """Run decide/apply rounds every renewal interval (sooner on a bucket change)."""
        assert self._cluster is not None
        loop = asyncio.get_running_loop()
        last_heartbeat = loop.time()
        while not done() and (deadline is None or loop.time() < deadline):
            await self._apply(self.core.decide(self._cluster.view(), loop.time()))
            if loop.time() - last_heartbeat >= self.options.renew_interval:
                await self._heartbeat("leaving" if self.core.leaving else "live")
                last_heartbeat = loop.time()
            changed = [
                w.changed
                for w in (self._cluster.owners, self._cluster.requests, self._cluster.workers)
            ]
            for event in changed:
                event.clear()
            wake_on = (*changed,) if self._stop.is_set() else (*changed, self._stop)
            waiters = [asyncio.ensure_future(e.wait()) for e in wake_on]
            try:
                await asyncio.wait(
                    waiters,
                    timeout=self.options.renew_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                for waiter in waiters:
                    waiter.cancel()

    async def _leave(self) -> None:
        """Hand every account over (the core releases those nobody is taking, see
        :class:`~.ownership.OwnershipCore`), then say goodbye."""
        assert self._cluster is not None
        loop = asyncio.get_running_loop()
        began, before = loop.time(), dict(self.handovers)
        self.core.leave(began)
        await self._heartbeat("leaving")
        view = self._cluster.view()
        if view.workers - view.leaving - {self.worker_id}:  # someone can take the accounts
            await self._until(lambda: self.core.done_leaving, self.core.leave_deadline + 1.0)
        if not self.core.done_leaving:
            await self._apply(self.core.release_all(self._cluster.view()))
        _log.info(
            "left in %.1f s: %d accounts handed over, %d released",
            loop.time() - began,
            self.handovers["handed"] - before["handed"],
            self.handovers["released"] - before["released"],
        )
        await self._kv_call(self._buckets.workers.delete, self.worker_id)  # type: ignore[union-attr]

    async def _flush(self, publisher: JetStreamPublisher) -> None:
        try:
            await asyncio.wait_for(publisher.flush(), timeout=self.options.handover_timeout)
        except asyncio.TimeoutError:
            _log.warning("leaving with %d messages unpublished", publisher.pending)

    async def _heartbeat(self, state: str) -> None:
        assert self._buckets is not None
        await self._kv_call(self._buckets.workers.put, self.worker_id, state.encode())

    async def _kv_call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A KV call; connection trouble is logged and answers None (state unknown)."""
        try:
            return await method(*args, **kwargs)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if type(exc).__name__ == "KeyWrongLastSequenceError":
                raise
            _log.warning("NATS KV call failed: %s", type(exc).__name__)
            return None

    async def _apply(self, actions: list[OwnershipAction]) -> None:
        queue = list(actions)
        while queue:
            queue += await self._apply_one(queue.pop(0))

    async def _apply_one(self, action: OwnershipAction) -> list[OwnershipAction]:
        from nats.js.errors import KeyWrongLastSequenceError

        assert self._buckets is not None and self._cluster is not None
        owners, watch, me = self._buckets.owners, self._cluster.owners, self.worker_id
        account = action.account
        try:
            match action:
                case Claim():
                    # read before claiming: once the lease is ours, other workers may start
                    # shadows that publish, and the gap must end where coverage stopped
                    if self.core.needs_gap_on_claim(account):
                        self._claim_since[account] = await self._last_stored_time(account)
                    new = await self._claim(account)
                    if new is None:
                        return []
                    watch.wrote(account, me, new)
                    _log.info("claimed %s", account)
                    return self.core.claimed(account)
                case Renew(revision=rev):
                    try:
                        new = await self._kv_call(owners.update, account, me.encode(), last=rev)
                    except KeyWrongLastSequenceError:
                        # a stale revision: the lease may have expired (NATS was away) rather
                        # than passed to another worker; _claim takes a free key back and
                        # raises only if another worker holds it
                        new = await self._claim(account)
                    if new is not None:
                        watch.wrote(account, me, new)
                    return []
                case Transfer(to=to, revision=rev):
                    new = await self._kv_call(owners.update, account, to.encode(), last=rev)
                    if new is None:
                        return []
                    watch.wrote(account, to, new)
                    _log.info("handed %s over to %s", account, to)
                    self.handovers["handed"] += 1
                    return self.core.transferred(account)
                case Release(revision=rev):
                    _log.warning("releasing %s: no worker took it over in time", account)
                    self.handovers["released"] += 1
                    await self._kv_call(owners.delete, account, last=rev)
                    return []
                case RequestHandover() | AnnounceShadow():
                    value = handover_value(me, live=isinstance(action, RequestHandover))
                    new = await self._kv_call(self._buckets.handover.put, account, value.encode())
                    if new is not None:
                        self._cluster.requests.wrote(account, value, new)
                    return []
                case WithdrawRequest():
                    request = self._cluster.requests.entries.get(account)
                    if request is not None and parse_handover(request.worker)[0] == me:
                        await self._kv_call(
                            self._buckets.handover.delete, account, last=request.revision
                        )
                    return []
                case StartStream(failover=failover):
                    if failover:
                        if account in self._claim_since:
                            since = self._claim_since.pop(account)
                        else:  # adopting a lease this worker id held before a restart
                            since = await self._last_stored_time(account)
                        self._failover_since[account] = since
                    self._pool.add(account, self.accounts[account])
                    return []
                case StopStream():
                    self._failover_since.pop(account, None)
                    await self._pool.remove(account)
                    return []
        except KeyWrongLastSequenceError:
            _log.info("%s: %s refused (the lease changed hands)", account, type(action).__name__)
            return self.core.lease_lost(account)
        return []  # pragma: no cover - every action is matched above

    async def _claim(self, account: str) -> int | None:
        """Create the lease if nobody holds it: compare-and-set on the key's last revision.

        An absent key, a deleted one and an expiry marker all count as free, and so does
        this worker's own lease at a revision it had not seen.

        :returns: the new revision, or None if NATS could not be reached.
        :raises KeyWrongLastSequenceError: another worker holds the lease.
        """
        from nats.js.errors import KeyDeletedError, KeyNotFoundError, KeyWrongLastSequenceError

        assert self._buckets is not None and self._cluster is not None
        owners, me = self._buckets.owners, self.worker_id.encode()
        last = self._cluster.owners.tombstones.get(account, 0)
        try:
            return await self._kv_call(owners.update, account, me, last=last)  # type: ignore[no-any-return]
        except KeyWrongLastSequenceError:
            pass
        try:  # our idea of the key's revision was stale: read it
            entry = await owners.get(account)
        except (KeyNotFoundError, KeyDeletedError) as exc:
            entry = exc.entry
        if entry is not None and entry.value and entry.value != me:
            raise KeyWrongLastSequenceError()  # a live lease: someone else's
        revision = entry.revision if entry is not None and entry.revision else 0
        return await self._kv_call(owners.update, account, me, last=revision)  # type: ignore[no-any-return]

    async def _last_stored_time(self, account: str) -> float | None:
        """The time of the last message stored for ``account`` (None: none, or unknown)."""
        from nats.js.errors import NotFoundError

        assert self._js is not None
        try:
            raw = await self._js.get_last_msg(
                self.jetstream.stream, self.jetstream.subject(account)
            )
        except NotFoundError:
            return None
        except Exception as exc:
            _log.warning("cannot read %s's last stored message: %s", account, type(exc).__name__)
            return None
        try:
            _, message = decode_message(raw.data or b"")
        except MessageDecodeError:
            return None
        return message_time(message)

    # ----------------------------------------------------------------- messages

    async def _pump(self, pool: Any, publisher: JetStreamPublisher) -> None:
        async for account, message in pool:
            if account not in self.core.running:
                continue  # a stream being stopped: its goodbye is not the account's news
            if isinstance(message, ev.StreamConnected):
                self.core.stream_live(account)
                if account in self._failover_since:
                    since = self._failover_since.pop(account)
                    if since is not None and since < message.at:
                        publisher.publish(
                            account,
                            ev.StreamGap(
                                since=since,
                                until=message.at,
                                reason=f"failover: stream resumed by worker {self.worker_id}",
                            ),
                        )
            publisher.publish(account, message)
