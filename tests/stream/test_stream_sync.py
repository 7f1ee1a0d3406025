"""The blocking facade: ``for message in UserDataStream.sync(configuration)``.

The simulator runs in its own thread on the real clock (a ManualClock cannot be shared across
event loops); nothing here waits on wall-clock timing except loopback I/O.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from binance.derivatives.cmfutures.clock import SystemClock
from binance.derivatives.cmfutures.events import (
    OrderTradeUpdate,
    StreamConnected,
    encode_event,
)

from ..factories import order_event

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")


class ThreadedSimulator:
    def __init__(self) -> None:
        from binance.derivatives.cmfutures.simulator import Simulator

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sim = Simulator(clock=SystemClock(), seed=5)
        self.call(self.sim.start())

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def emit(self, n: int) -> None:
        sim = self.sim

        async def emit() -> None:
            event = order_event(
                n, sim.now_ms(), client_order_id=f"s{n}", side="SELL", quantity="2", price="1"
            )
            sim.emit(sim.account.api_key, event, encode_event(event))

        self.call(emit())

    def stop(self) -> None:
        self.call(self.sim.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


@pytest.fixture
def threaded_sim() -> Iterator[ThreadedSimulator]:
    ts = ThreadedSimulator()
    try:
        yield ts
    finally:
        ts.stop()


def test_sync_iteration_callbacks_stats_and_close(threaded_sim: ThreadedSimulator) -> None:
    from binance.derivatives.cmfutures import UserDataStream

    sim = threaded_sim.sim
    seen: list[Any] = []
    threads: set[str] = set()

    def handler(event: OrderTradeUpdate) -> None:
        seen.append(event.order.order_id)
        threads.add(threading.current_thread().name)

    before = threading.active_count()
    with UserDataStream.sync(sim.configuration()) as stream:
        unsubscribe = stream.on(OrderTradeUpdate, handler)
        it = iter(stream)
        first = next(it)
        assert isinstance(first, StreamConnected)
        for n in (1, 2, 3):
            threaded_sim.emit(n)
        got = [next(it) for _ in range(3)]
        assert [m.order.order_id for m in got] == [1, 2, 3]
        assert seen == [1, 2, 3] and threads == {"udstream-sync"}
        unsubscribe()
        threaded_sim.emit(4)
        assert next(it).order.order_id == 4
        assert seen == [1, 2, 3]
        assert stream.stats.events == 4
        assert threaded_sim.call(_key(sim)) is not None
    # close(): the key is deleted, the thread is gone, iteration ends.
    assert threaded_sim.call(_key(sim)) is None
    assert threading.active_count() == before
    assert list(stream) == []
    stream.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        stream.start()
    with pytest.raises(RuntimeError, match="not running"):
        _ = stream.stats


async def _key(sim: Any) -> Any:
    return sim.listen_key()


def test_close_from_another_thread_ends_iteration(threaded_sim: ThreadedSimulator) -> None:
    from binance.derivatives.cmfutures import UserDataStream

    stream = UserDataStream.sync(threaded_sim.sim.configuration())
    messages = []
    it = iter(stream)
    messages.append(next(it))  # connected

    closer = threading.Timer(0.05, stream.close)
    closer.start()
    for m in it:  # blocks until close() in the other thread ends it
        messages.append(m)
    closer.join()
    assert [type(m) for m in messages] == [StreamConnected]


def test_sync_rejects_bad_arguments_in_the_callers_thread() -> None:
    from binance.derivatives.cmfutures import Configuration, UserDataStream

    with pytest.raises(TypeError, match="valid options"):
        UserDataStream.sync(Configuration(), not_an_option=1)
