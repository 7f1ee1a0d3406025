"""StreamPool against the simulator: delivery per account, shared connections, isolation."""

from __future__ import annotations

from typing import Any

import pytest

from binance.derivatives.cmfutures.events import (
    ListenKeyRenewed,
    OrderTradeUpdate,
    StreamConnected,
    StreamDisconnected,
    StreamGap,
)
from binance.derivatives.cmfutures.simulator import SimulatorOptions

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")


async def test_accounts_share_connections_and_get_their_own_events(pool_harness: Any) -> None:
    h = pool_harness
    ids = h.make_accounts(5)
    pool = await h.open(keys_per_connection=2)
    h.add_all()
    await h.advance(3, step=0.5)
    for account in ids:
        assert len(h.of(account, StreamConnected)) == 1, account
    totals = pool.stats.totals
    assert totals.live_accounts == 5
    assert totals.connections == 3
    assert sorted(totals.keys_per_connection) == [1, 2, 2]
    assert h.sim.hub.count() == 3
    for account in ids:
        h.emit(account, 2)
    await h.advance(0.5)
    for account in ids:
        events = h.of(account, OrderTradeUpdate)
        assert len(events) == 2
        assert all(e.account_alias == account for e in events)
        h.check_accounted(account)
    assert h.sim.hub.violations == []



async def test_dropped_connections_reconnect_every_account_with_a_gap(pool_harness: Any) -> None:
    h = pool_harness
    ids = h.make_accounts(4)
    await h.open(keys_per_connection=3)
    h.add_all()
    await h.advance(3, step=0.5)
    for account in ids:
        h.emit(account)
    await h.advance(0.2)
    h.sim.faults.drop_connections()
    for account in ids:
        h.emit(account)  # sent while nobody listens: must fall inside a gap
    await h.advance(90, step=1)
    for account in ids:
        h.emit(account)
    await h.advance(0.5)
    for account in ids:
        assert len(h.of(account, StreamDisconnected)) == 1, account
        (_gap,) = h.of(account, StreamGap)
        assert len(h.of(account, StreamConnected)) == 2
        kinds = [type(m).__name__ for a, m in h.messages if a == account]
        assert kinds.index("StreamGap") == kinds.index("StreamConnected", 2) + 1
        h.check_accounted(account)
    assert h.sim.hub.violations == []


async def test_one_expired_key_renews_that_account_only(pool_harness: Any) -> None:
    h = pool_harness
    a, b = h.make_accounts(2)
    await h.open(keys_per_connection=10)
    h.add_all()
    await h.advance(3, step=0.5)
    old_key = h.sim.listen_key(h.accounts[a])
    h.sim.faults.expire_listen_key(h.accounts[a])
    await h.advance(10, step=0.5)
    h.emit(a)
    h.emit(b)
    await h.advance(0.5)
    assert len(h.of(a, ListenKeyRenewed)) == 1
    assert h.sim.listen_key(h.accounts[a]) not in (None, old_key)
    assert len(h.of(a, StreamGap)) == 1
    assert h.of(b, (ListenKeyRenewed, StreamGap, StreamDisconnected)) == []
    assert len(h.of(b, StreamConnected)) == 1
    for account in (a, b):
        assert len(h.of(account, OrderTradeUpdate)) == 1
        h.check_accounted(account)
    # the other account's connection was never touched: one connection throughout
    assert h.pool.stats.totals.connections_opened == 1


async def test_a_rejected_api_key_fails_that_account_only(pool_harness: Any) -> None:
    from binance.derivatives.cmfutures import AccountFailed, BinanceAuth

    h = pool_harness
    (good,) = h.make_accounts(1)
    pool = await h.open()
    pool.add(good, h.auth(good))
    pool.add("mallory", BinanceAuth(api_key="X" * 64, secret_key="nope"))
    await h.advance(3, step=0.5)
    (failed,) = h.of("mallory", AccountFailed)
    assert failed.status == 401 and "rejected" in failed.reason
    assert h.of("mallory", StreamConnected) == []
    h.emit(good)
    await h.advance(0.5)
    assert len(h.of(good, OrderTradeUpdate)) == 1
    assert pool.stats.totals.failed_accounts == 1
    assert pool.stats.accounts[good].connected
    assert "X" * 64 not in repr(h.messages)


@pytest.mark.parametrize(
    "sim_options", [SimulatorOptions(max_connection_age=900.0)], indirect=False
)
async def test_rotation_before_the_server_cut_has_no_gap(pool_harness: Any) -> None:
    """The server cuts connections at 15 minutes here (Binance: 24 h); the pool rotates at
    10 minutes (Binance default: 23 h): same rule, less simulated time."""
    h = pool_harness
    ids = h.make_accounts(3)
    await h.open(keys_per_connection=2, stream={"rotate_after": 600.0})
    h.add_all()
    await h.advance(3, step=0.5)
    await h.advance(600, step=60)
    for account in ids:
        h.emit(account)
    await h.advance(30, step=1)
    await h.advance(600, step=60)  # past the server's cut of the original connections
    for account in ids:
        h.emit(account)
    await h.advance(1)
    for account in ids:
        assert h.of(account, StreamGap) == [], account
        assert pool_stats_rotations(h, account) >= 1
        assert len(h.of(account, OrderTradeUpdate)) == 2
        h.check_accounted(account)
    assert h.sim.hub.violations == []


def pool_stats_rotations(h: Any, account: str) -> int:
    return int(h.pool.stats.accounts[account].rotations)


async def test_a_slow_consumer_pauses_reading_and_loses_nothing(pool_harness: Any) -> None:
    import random

    from binance.derivatives.cmfutures import PoolOptions, StreamPool

    h = pool_harness
    a, b = h.make_accounts(2)
    pool = StreamPool(h.sim.configuration(), options=PoolOptions(max_queue=6),
                      clock=h.sim.clock, rng=random.Random(1))
    async with pool:
        pool.add(a, h.auth(a))
        pool.add(b, h.auth(b))
        await h.advance(2, step=0.25)  # nobody reads yet: the StreamConnected wait queued
        h.emit(a, 10)
        h.emit(b, 10)
        await h.advance(1, step=0.1)
        assert pool.core.paused
        assert pool.stats.queued <= 6 + 2
        await h.advance(300, step=10)  # paused: no half-open verdict on the silent sockets
        got: list[tuple[str, Any]] = []
        async for item in pool:
            got.append(item)
            if sum(isinstance(m, OrderTradeUpdate) for _, m in got) == 20:
                break
            if not pool.stats.queued:
                await h.advance(0.1)
        assert not pool.core.paused
        assert pool.stats.totals.backpressure_pauses >= 1
        h.messages = got
        for account in (a, b):
            assert h.of(account, (StreamDisconnected, StreamGap)) == []
            h.check_accounted(account)
