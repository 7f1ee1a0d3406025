"""100 random fault schedules against the simulator: nothing is ever lost silently."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.events import OrderTradeUpdate

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")

FAULT = st.one_of(
    st.tuples(st.just("emit"), st.integers(1, 3)),
    st.tuples(st.just("advance"), st.sampled_from([0.5, 3.0, 20.0, 95.0])),
    st.tuples(st.just("drop"), st.none()),
    st.tuples(st.just("close"), st.sampled_from([1000, 1001, 1011])),
    st.tuples(st.just("half_open"), st.none()),
    st.tuples(st.just("delay"), st.sampled_from([0.0, 1.0, 5.0])),
    st.tuples(st.just("duplicate"), st.integers(1, 2)),
    st.tuples(st.just("malformed"), st.none()),
    st.tuples(st.just("unknown"), st.none()),
    st.tuples(st.just("drop_events"), st.integers(1, 2)),
    st.tuples(st.just("rest_fail"), st.integers(1, 3)),
    st.tuples(st.just("expire"), st.none()),
)


@settings(
    max_examples=int(os.environ.get("STREAM_FAULT_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(schedule=st.lists(FAULT, min_size=1, max_size=8), seed=st.integers(0, 1000))
async def test_random_fault_schedule(
    schedule: list[tuple[str, Any]], seed: int, stream_harness_factory: Any
) -> None:
    h = await stream_harness_factory(ManualClock(start=1_767_225_600.0), seed)
    try:
        await h.open(
            config={"retries": 0},
            ping_interval=30,
            ping_timeout=10,
            keepalive_interval=120,
            keepalive_retry_delays=(2, 5),
            listen_key_lifetime=3600,
        )
        faults = h.sim.faults
        for kind, arg in schedule:
            if kind == "emit":
                h.emit(arg)
            elif kind == "advance":
                await h.advance(arg)
            elif kind == "drop":
                faults.drop_connections()
            elif kind == "close":
                faults.close_connections(code=arg)
            elif kind == "half_open":
                faults.half_open()
            elif kind == "delay":
                faults.delay(arg)
            elif kind == "duplicate":
                faults.duplicate_next_event(arg)
            elif kind == "malformed":
                faults.send_malformed_frame()
            elif kind == "unknown":
                faults.send_unknown_event()
            elif kind == "drop_events":
                faults.drop_next_events(arg)
            elif kind == "rest_fail":
                faults.fail_next_rest(arg, status=503, code=-1001, path="/dapi/v1/listenKey")
            elif kind == "expire":
                faults.expire_listen_key()
            await h.settle()
        # Heal: no more delay, give the stream time to notice and recover.
        faults.delay(0)
        while faults.take_event_fault() is not None:
            pass
        faults.rest_failures.clear()
        await h.advance(120)
        h.emit(1)
        await h.advance(1)
        assert h.error is None
        assert h.stream.stats.connected
        assert isinstance(h.messages[-1], OrderTradeUpdate), h.messages[-3:]
        h.check_accounted(tolerance=0.01)
    finally:
        await h.close()
        await h.sim.stop()
