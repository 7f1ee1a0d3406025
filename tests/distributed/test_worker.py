"""Workers against a real nats-server, with a fake pool: claims, handovers, failover, leave.

Leases here are 1.5 s (the real TTL runs on the NATS server's clock, so these tests wait
for it by polling the outcome, never by fixed sleeps).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fake_pool import FakeExchange

from binance.derivatives.cmfutures import events as ev
from binance.derivatives.cmfutures.configuration import Configuration
from binance.derivatives.cmfutures.distributed.codec import decode_message
from binance.derivatives.cmfutures.distributed.options import WorkerOptions
from binance.derivatives.cmfutures.distributed.ownership import desired_owner
from binance.derivatives.cmfutures.distributed.worker import Worker
from binance.derivatives.cmfutures.signing import BinanceAuth

ACCOUNTS = [f"acct-{i}" for i in range(12)]
OPTIONS = WorkerOptions(lease_ttl=1.5, handover_timeout=10)


async def eventually(check: Callable[[], bool], timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


class Cluster:
    def __init__(self, url: str, options: WorkerOptions = OPTIONS) -> None:
        self.url = url
        self.options = options
        self.exchange = FakeExchange()
        self.workers: dict[str, tuple[Worker, asyncio.Task[None]]] = {}
        auth = BinanceAuth(api_key="k", secret_key="s")
        self.accounts = {a: auth for a in ACCOUNTS}

    async def start(self, worker_id: str) -> Worker:
        worker = Worker(
            Configuration(host="http://127.0.0.1:1", stream_host="ws://127.0.0.1:1"),
            self.accounts,
            self.url,
            worker_id=worker_id,
            options=self.options,
            pool_factory=self.exchange.pool,
        )
        task = asyncio.create_task(worker.run())
        self.workers[worker_id] = (worker, task)
        await asyncio.wait_for(worker.started.wait(), 10)
        return worker

    async def kill(self, worker_id: str) -> None:
        """Like kill -9: no handover, no goodbye; its leases and heartbeat just expire."""
        worker, task = self.workers.pop(worker_id)
        task.cancel()
        await asyncio.wait([task])
        for pool in self.exchange.pools:
            if pool is worker._pool:
                pool.closed = True

    async def leave(self, worker_id: str) -> None:
        worker, task = self.workers.pop(worker_id)
        worker.stop()
        await asyncio.wait_for(task, 60)

    def balanced(self) -> bool:
        live = set(self.workers)
        return self.owners() == {a: desired_owner(a, live) for a in ACCOUNTS}

    def owners(self) -> dict[str, str]:
        owned: dict[str, str] = {}
        for worker_id, (worker, _) in self.workers.items():
            for account in worker.owned:
                assert account not in owned, f"{account} owned twice"
                owned[account] = worker_id
        return owned

    async def stored(self) -> dict[str, list[ev.StreamMessage]]:
        import nats

        nc = await nats.connect(self.url)
        try:
            js = nc.jetstream()
            sub = await js.subscribe("cmfutures.events.*", ordered_consumer=True)
            info = await js.stream_info("CMFUTURES")
            out: dict[str, list[ev.StreamMessage]] = {}
            for _ in range(info.state.messages):
                msg = await sub.next_msg(timeout=5)
                account, message = decode_message(msg.data)
                assert msg.subject.rsplit(".", 1)[1] == account
                assert msg.headers and msg.headers.get("Nats-Msg-Id")
                out.setdefault(account, []).append(message)
            await sub.unsubscribe()
            return out
        finally:
            await nc.close()

    async def flushed(self) -> None:
        await eventually(lambda: all(p.queue.empty() for p in self.exchange.pools))
        for worker, _ in self.workers.values():
            assert worker.publisher is not None
            await asyncio.wait_for(worker.publisher.flush(), 10)


@pytest.fixture
async def cluster(nats_server: Any) -> AsyncIterator[Cluster]:
    c = Cluster(nats_server.url)
    try:
        yield c
    finally:
        for worker_id in list(c.workers):
            with contextlib.suppress(Exception):
                await c.kill(worker_id)


def events_of(messages: list[ev.StreamMessage]) -> list[ev.StreamMessage]:
    return [m for m in messages if isinstance(m, ev.AccountConfigUpdate)]


async def test_one_worker_streams_and_publishes_every_account(cluster: Cluster) -> None:
    await cluster.start("w1")
    await eventually(lambda: len(cluster.owners()) == len(ACCOUNTS))
    for account in ACCOUNTS:
        cluster.exchange.emit(account)
    await cluster.flushed()
    stored = await cluster.stored()
    for account in ACCOUNTS:
        assert isinstance(stored[account][0], ev.StreamConnected)
        assert events_of(stored[account]) == cluster.exchange.emitted[account]
        assert not any(isinstance(m, ev.StreamGap) for m in stored[account])


async def test_a_joining_worker_takes_its_share_with_no_gap_and_no_duplicate(
    cluster: Cluster,
) -> None:
    await cluster.start("w1")
    await eventually(lambda: len(cluster.owners()) == len(ACCOUNTS))
    await cluster.start("w2")
    share = {a for a in ACCOUNTS if desired_owner(a, {"w1", "w2"}) == "w2"}
    assert share
    # events keep coming during the handover
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while cluster.owners() != {a: ("w2" if a in share else "w1") for a in ACCOUNTS}:
        assert loop.time() < deadline, "the handover did not complete"
        for account in ACCOUNTS:
            cluster.exchange.emit(account)
        await asyncio.sleep(0.05)
    for account in ACCOUNTS:
        cluster.exchange.emit(account)
    await cluster.flushed()
    stored = await cluster.stored()
    for account in ACCOUNTS:
        assert events_of(stored[account]) == cluster.exchange.emitted[account]  # once, in order
        assert not any(isinstance(m, ev.StreamGap) for m in stored[account])


async def test_a_killed_workers_accounts_resume_elsewhere_after_the_lease_with_a_gap(
    cluster: Cluster,
) -> None:
    await cluster.start("w1")
    await cluster.start("w2")
    await eventually(cluster.balanced)
    for account in ACCOUNTS:
        cluster.exchange.emit(account)
    await cluster.flushed()
    lost = {a for a, w in cluster.owners().items() if w == "w2"}
    assert lost
    await cluster.kill("w2")
    missed = {a: cluster.exchange.emit(a) for a in lost}  # nobody is streaming these now
    loop = asyncio.get_running_loop()
    killed_at = loop.time()
    await eventually(lambda: set(cluster.owners()) == set(ACCOUNTS), timeout=OPTIONS.lease_ttl + 20)
    failover_seconds = loop.time() - killed_at
    assert failover_seconds >= OPTIONS.lease_ttl * 0.5
    for account in ACCOUNTS:
        cluster.exchange.emit(account)
    await cluster.flushed()
    stored = await cluster.stored()
    for account in lost:
        messages = stored[account]
        gaps = [i for i, m in enumerate(messages) if isinstance(m, ev.StreamGap)]
        assert len(gaps) == 1, "\n".join(map(repr, messages))
        gap = messages[gaps[0]]
        assert isinstance(gap, ev.StreamGap) and isinstance(
            messages[gaps[0] + 1], ev.StreamConnected
        )
        # the missed event falls inside the gap, and nothing else is missing
        assert gap.since <= missed[account].event_time / 1000 <= gap.until  # type: ignore[union-attr]
        published = events_of(messages)
        assert [
            e for e in cluster.exchange.emitted[account] if e is not missed[account]
        ] == published


async def test_a_leaving_worker_hands_everything_over(cluster: Cluster) -> None:
    await cluster.start("w1")
    await cluster.start("w2")
    await eventually(cluster.balanced)
    for account in ACCOUNTS:
        cluster.exchange.emit(account)
    leaving = asyncio.create_task(cluster.leave("w2"))
    while not leaving.done():
        for account in ACCOUNTS:
            cluster.exchange.emit(account)
        await asyncio.sleep(0.05)
    await leaving
    await eventually(lambda: set(cluster.owners()) == set(ACCOUNTS))
    for account in ACCOUNTS:
        cluster.exchange.emit(account)
    await cluster.flushed()
    stored = await cluster.stored()
    for account in ACCOUNTS:
        assert events_of(stored[account]) == cluster.exchange.emitted[account]
        assert not any(isinstance(m, ev.StreamGap) for m in stored[account])


async def _leave_while_the_new_owner_holds_its_connections(
    cluster: Cluster, hold_for: float
) -> tuple[set[str], dict[str, list[ev.StreamMessage]], bool]:
    """w1 and w2 balanced; w2 leaves while w1's new streams cannot connect for ``hold_for``
    seconds (events keep coming); then they connect. Returns w2's accounts, the stored log,
    and whether w2 was still handing over when the connections came."""
    await cluster.start("w1")
    leaver = await cluster.start("w2")
    await eventually(cluster.balanced)
    moving = set(leaver.owned)
    cluster.exchange.hold = True  # w1's pool: every new stream waits (its weight budget)
    leaving = asyncio.create_task(cluster.leave("w2"))
    loop = asyncio.get_running_loop()
    held_until = loop.time() + hold_for
    while loop.time() < held_until:  # the outcome is what is polled; the hold is the input
        for account in ACCOUNTS:
            cluster.exchange.emit(account)
        await asyncio.sleep(0.05)
    still_handing_over = not leaving.done() and leaver.owned == moving
    cluster.exchange.hold = False
    for pool in cluster.exchange.pools:
        pool.connect_held()
    while not leaving.done():
        for account in ACCOUNTS:
            cluster.exchange.emit(account)
        await asyncio.sleep(0.05)
    await leaving
    await eventually(lambda: set(cluster.owners()) == set(ACCOUNTS))
    for account in ACCOUNTS:
        cluster.exchange.emit(account)
    await cluster.flushed()
    return moving, await cluster.stored(), still_handing_over


async def test_a_leave_waits_for_a_new_owner_slower_than_the_handover_timeout(
    nats_server: Any,
) -> None:
    # the new owner needs 4 handover timeouts to connect: no release, no gap, nothing lost
    options = WorkerOptions(lease_ttl=1.5, handover_timeout=1.0, handover_max=60)
    cluster = Cluster(nats_server.url, options)
    try:
        moving, stored, waited = await _leave_while_the_new_owner_holds_its_connections(
            cluster, hold_for=4 * options.handover_timeout
        )
    finally:
        for worker_id in list(cluster.workers):
            await cluster.kill(worker_id)
    assert waited, "the leaver gave accounts up while their new owner was taking them"
    assert moving
    for account in ACCOUNTS:
        assert events_of(stored[account]) == cluster.exchange.emitted[account]
        assert not any(isinstance(m, ev.StreamGap) for m in stored[account])


async def test_past_handover_max_the_new_owner_publishes_the_gap_it_could_not_cover(
    nats_server: Any,
) -> None:
    # the leave gives up at handover_max; the new owner's streams were not yet connected:
    # what nobody received meanwhile is inside a StreamGap, everything else stored once
    options = WorkerOptions(lease_ttl=1.5, handover_timeout=1.0, handover_max=1.5)
    cluster = Cluster(nats_server.url, options)
    try:
        moving, stored, _ = await _leave_while_the_new_owner_holds_its_connections(
            cluster, hold_for=4.0
        )
    finally:
        for worker_id in list(cluster.workers):
            await cluster.kill(worker_id)
    assert moving
    for account in ACCOUNTS:
        messages = stored[account]
        gaps = [m for m in messages if isinstance(m, ev.StreamGap)]
        published = events_of(messages)
        assert len(published) == len(set(map(id, published)))
        if account not in moving:
            assert not gaps and published == cluster.exchange.emitted[account]
            continue
        assert len(gaps) == 1, "\n".join(map(repr, messages))
        missing = [e for e in cluster.exchange.emitted[account] if e not in published]
        assert missing  # events came while nobody was connected
        for event in missing:
            assert gaps[0].since <= event.event_time / 1000 <= gaps[0].until  # type: ignore[union-attr]
