"""Fixtures for the stream's simulator-backed tests: a Simulator on a ManualClock, a stream
consuming it in the background, and the "every emitted event is accounted for" check."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from binance.derivatives.cmfutures.clock import ManualClock

from ..stream_harness import StreamHarness

T0 = 1_767_225_600.0


@pytest.fixture
def sim_options() -> Any:
    """SimulatorOptions for the harness; override with @pytest.mark.parametrize."""
    return None


@pytest.fixture
async def harness(sim_options: Any) -> AsyncIterator[StreamHarness]:
    from binance.derivatives.cmfutures.simulator import Simulator

    async with Simulator(clock=ManualClock(start=T0), seed=11, options=sim_options) as sim:
        h = StreamHarness(sim)
        try:
            yield h
        finally:
            await h.close()


@pytest.fixture
def stream_harness_factory() -> Any:
    """An async factory ``(clock, seed) -> StreamHarness`` on a fresh, started simulator
    (for hypothesis tests, where function-scoped fixtures are shared across examples).
    The caller stops ``harness.sim``."""
    from binance.derivatives.cmfutures.simulator import Simulator

    async def make(clock: Any, seed: int) -> StreamHarness:
        sim = Simulator(clock=clock, seed=seed)
        await sim.start()
        return StreamHarness(sim)

    return make


@contextlib.asynccontextmanager
async def serve_listen_key(
    handler: Callable[[Any], Awaitable[Any]], **runner_options: Any
) -> AsyncIterator[str]:
    """A local aiohttp server answering every method on ``/dapi/v1/listenKey`` with
    ``handler``; yields its ``127.0.0.1:PORT``. ``runner_options`` go to ``web.AppRunner``."""
    from aiohttp import web

    app = web.Application()
    app.router.add_route("*", "/dapi/v1/listenKey", handler)
    runner = web.AppRunner(app, access_log=None, **runner_options)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await runner.cleanup()
