"""Random fault schedules across many accounts: per account, every event is delivered once
or inside one of its announced gaps; the simulator's limits are never exceeded."""

from __future__ import annotations

import os
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.events import OrderTradeUpdate

from .conftest import T0, PoolHarness

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")

FAULT = st.one_of(
    st.tuples(st.just("emit"), st.integers(1, 3)),
    st.tuples(st.just("advance"), st.sampled_from([0.5, 3.0, 20.0, 95.0])),
    st.tuples(st.just("drop"), st.none()),
    st.tuples(st.just("drop_one"), st.integers(0, 11)),
    st.tuples(st.just("close"), st.sampled_from([1000, 1001, 1011])),
    st.tuples(st.just("half_open"), st.none()),
    st.tuples(st.just("delay"), st.sampled_from([0.0, 1.0, 5.0])),
    st.tuples(st.just("duplicate"), st.integers(1, 2)),
    st.tuples(st.just("malformed"), st.none()),
    st.tuples(st.just("unknown"), st.none()),
    st.tuples(st.just("drop_events"), st.integers(1, 2)),
    st.tuples(st.just("rest_fail"), st.integers(1, 3)),
    st.tuples(st.just("expire"), st.integers(0, 11)),
)


@settings(
    max_examples=int(os.environ.get("POOL_FAULT_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(schedule=st.lists(FAULT, min_size=1, max_size=8), seed=st.integers(0, 1000))
async def test_random_faults_across_accounts(schedule: list[tuple[str, Any]], seed: int) -> None:
    from binance.derivatives.cmfutures.simulator import Simulator

    sim = Simulator(clock=ManualClock(start=T0), seed=seed)
    await sim.start()
    h = PoolHarness(sim)
    rng = random.Random(seed)
    try:
        ids = h.make_accounts(12)
        await h.open(
            keys_per_connection=5,
            stream={
                "ping_interval": 30,
                "ping_timeout": 10,
                "keepalive_interval": 120,
                "keepalive_retry_delays": (2, 5),
                "listen_key_lifetime": 3600,
            },
        )
        h.add_all()
        await h.advance(3, step=0.5)
        faults = sim.faults
        for kind, arg in schedule:
            if kind == "emit":
                for account in rng.sample(ids, 4):
                    h.emit(account, arg)
            elif kind == "advance":
                await h.advance(arg, step=1.0)
            elif kind == "drop":
                faults.drop_connections()
            elif kind == "drop_one":
                faults.drop_connections(h.accounts[ids[arg]])
            elif kind == "close":
                faults.close_connections(code=arg)
            elif kind == "half_open":
                faults.half_open()
            elif kind == "delay":
                faults.delay(arg)
            elif kind == "duplicate":
                faults.duplicate_next_event(arg)
            elif kind == "malformed":
                faults.send_malformed_frame(h.accounts[rng.choice(ids)])
            elif kind == "unknown":
                faults.send_unknown_event(h.accounts[rng.choice(ids)])
            elif kind == "drop_events":
                faults.drop_next_events(arg)
            elif kind == "rest_fail":
                faults.fail_next_rest(arg, status=503, code=-1001, path="/dapi/v1/listenKey")
            elif kind == "expire":
                faults.expire_listen_key(h.accounts[ids[arg]])
            await h.settle()
        faults.delay(0)
        while faults.take_event_fault() is not None:
            pass
        faults.rest_failures.clear()
        await h.advance(150, step=1.0)
        for account in ids:
            h.emit(account)
        await h.advance(1)
        assert h.error is None
        stats = h.pool.stats
        for account in ids:
            assert stats.accounts[account].connected, account
            last = [m for a, m in h.messages if a == account][-1]
            assert isinstance(last, OrderTradeUpdate), (account, last)
            h.check_accounted(account)
        assert sim.hub.violations == []
    finally:
        await h.close()
        await sim.stop()
