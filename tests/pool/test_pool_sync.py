"""The blocking facade: ``for account, message in StreamPool.sync(configuration)``.

The simulator runs in its own thread on the real clock (a ManualClock cannot be shared across
event loops); nothing waits on wall-clock timing except loopback I/O.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from binance.derivatives.cmfutures import BinanceAuth, StreamPool
from binance.derivatives.cmfutures.clock import SystemClock
from binance.derivatives.cmfutures.events import StreamConnected

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")


def test_sync_pool_yields_each_accounts_messages() -> None:
    from binance.derivatives.cmfutures.simulator import Simulator

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def call(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=30)

    async def make() -> Any:
        sim = Simulator(clock=SystemClock(), seed=5, accounts=[{}, {}])
        await sim.start()
        return sim

    sim = call(make())
    try:
        a, b = sim.accounts
        with StreamPool.sync(sim.configuration()) as pool:
            pool.add("a", BinanceAuth(api_key=a.api_key, secret_key=a.secret_key))
            pool.add("b", BinanceAuth(api_key=b.api_key, secret_key=b.secret_key))
            with pytest.raises(ValueError, match="invalid account id"):
                pool.add("no spaces", BinanceAuth(api_key=a.api_key, secret_key="x"))
            seen: dict[str, Any] = {}
            for account, message in pool:
                seen.setdefault(account, message)
                if len(seen) == 2:
                    break
            assert set(seen) == {"a", "b"}
            assert all(isinstance(m, StreamConnected) for m in seen.values())
            assert pool.stats.totals.live_accounts == 2
            pool.remove("a")
            assert pool.stats.totals.accounts == 1
        assert list(pool) == []  # closed: iteration ends
    finally:
        call(sim.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
