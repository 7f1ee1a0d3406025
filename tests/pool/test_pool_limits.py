"""The pool stays inside Binance's limits by construction: the simulator enforces them (and
records any breach in ``hub.violations``), with budgets shrunk so tests run fast."""

from __future__ import annotations

from typing import Any

import pytest

from binance.derivatives.cmfutures.events import OrderTradeUpdate, StreamConnected
from binance.derivatives.cmfutures.simulator import SimulatorOptions

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")


@pytest.mark.parametrize(
    "sim_options", [SimulatorOptions(connections_per_window=8, connection_window=60.0)]
)
async def test_connection_rate_is_never_exceeded(pool_harness: Any) -> None:
    h = pool_harness
    ids = h.make_accounts(12)
    pool = await h.open(keys_per_connection=1, connections_per_window=8, connection_window=60.0,
                        connections_per_second=3)
    h.add_all()
    await h.advance(5, step=0.25)
    assert pool.stats.totals.live_accounts == 8  # the 9th must wait for the window
    await h.advance(70, step=1)
    assert pool.stats.totals.live_accounts == 12
    for account in ids:
        h.emit(account)
    await h.advance(0.5)
    for account in ids:
        assert len(h.of(account, OrderTradeUpdate)) == 1
    assert h.sim.hub.violations == []
    first = sorted(m.at for _, m in h.messages if isinstance(m, StreamConnected))
    for i in range(len(first) - 3):
        assert first[i + 3] - first[i] >= 1.0 - 1e-6, "more than 3 connections in a second"


@pytest.mark.parametrize("sim_options", [SimulatorOptions(weight_limit=30, ban_seconds=60.0)])
async def test_weight_budget_spreads_key_creation(pool_harness: Any) -> None:
    h = pool_harness
    ids = h.make_accounts(40)
    pool = await h.open(keys_per_connection=50, weight_per_minute=20, snapshot_weight=10)
    h.add_all()
    await h.advance(5, step=0.5)
    assert pool.stats.totals.live_accounts == 20
    await h.advance(130, step=2)
    assert pool.stats.totals.live_accounts == 40
    assert h.sim.hub.violations == []
    for account in ids:
        assert len(h.of(account, StreamConnected)) == 1


@pytest.mark.parametrize("sim_options", [SimulatorOptions(weight_limit=2400)])
async def test_retry_after_pauses_every_account(pool_harness: Any) -> None:
    h = pool_harness
    ids = h.make_accounts(6)
    pool = await h.open()
    h.sim.faults.fail_next_rest(1, status=429, code=-1003, path="/dapi/v1/listenKey")
    # one 429 with Retry-After: the simulator's fault carries none, so use the budget directly
    h.add_all()
    await h.advance(3, step=0.5)
    assert pool.stats.totals.live_accounts == 6
    pool.core.observe(h.sim.clock.time(), retry_after=60.0)
    h.sim.faults.expire_listen_key(h.accounts[ids[0]])
    await h.advance(30, step=1)
    assert not pool.stats.accounts[ids[0]].connected  # its new key waits for the pause
    await h.advance(40, step=1)
    assert pool.stats.accounts[ids[0]].connected


async def test_server_reported_weight_slows_the_pool(pool_harness: Any) -> None:
    h = pool_harness
    h.make_accounts(5)
    pool = await h.open(weight_per_minute=100)
    now = h.sim.clock.time()
    pool.core.observe(now, used_weight=98)  # other clients on this IP used almost everything
    h.add_all()
    await h.advance(1, step=0.25)
    assert pool.stats.totals.live_accounts <= 2
    await h.advance(65, step=1)
    assert pool.stats.totals.live_accounts == 5


@pytest.mark.parametrize("sim_options", [SimulatorOptions(max_inbound_per_second=10)])
async def test_subscriptions_are_paced_under_ten_messages_a_second(pool_harness: Any) -> None:
    h = pool_harness
    ids = h.make_accounts(120)
    pool = await h.open(keys_per_connection=200, keys_per_subscribe=1, messages_per_second=9,
                        weight_per_minute=1200)
    h.add_all()
    await h.advance(20, step=0.1)
    assert pool.stats.totals.connections == 1
    assert pool.stats.totals.live_accounts == 120
    assert h.sim.hub.violations == []
    assert len(ids) == 120


@pytest.mark.parametrize("sim_options", [SimulatorOptions(max_streams_per_connection=5)])
async def test_simulator_refuses_too_many_streams_per_connection(pool_harness: Any) -> None:
    """The simulator's cap works (the pool never asks for more than keys_per_connection)."""
    h = pool_harness
    h.make_accounts(7)
    pool = await h.open(keys_per_connection=5)
    h.add_all()
    await h.advance(5, step=0.5)
    assert pool.stats.totals.live_accounts == 7
    assert sorted(pool.stats.totals.keys_per_connection) == [2, 5]
    assert h.sim.hub.violations == []


@pytest.mark.parametrize(
    "sim_options", [SimulatorOptions(connections_per_window=30, connection_window=300.0)]
)
async def test_reconnect_storm_waits_for_the_connection_window(pool_harness: Any) -> None:
    h = pool_harness
    ids = h.make_accounts(20)
    pool = await h.open(keys_per_connection=1, connections_per_window=30,
                        connection_window=300.0)
    h.add_all()
    await h.advance(10, step=0.5)
    assert pool.stats.totals.live_accounts == 20
    h.sim.faults.drop_connections()
    await h.advance(120, step=1)
    assert pool.stats.totals.live_accounts == 10  # the window has room for 10 more only
    await h.advance(200, step=2)
    assert pool.stats.totals.live_accounts == 20  # the first 20 handshakes left the window
    assert pool.stats.totals.connections_opened == 40
    assert h.sim.hub.violations == []
    for account in ids:
        h.emit(account)
    await h.advance(0.5)
    for account in ids:
        h.check_accounted(account)
