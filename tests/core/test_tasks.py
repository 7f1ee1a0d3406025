"""reap() and race(): waiting for tasks never swallows the caller's own cancellation."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from binance.derivatives.cmfutures._tasks import race, reap


async def _slow_to_cancel(release: asyncio.Event) -> None:
    try:
        await asyncio.Event().wait()
    finally:
        await release.wait()


@pytest.mark.parametrize("how", ["reap", "race"])
async def test_a_cancelled_caller_stays_cancelled(how: str) -> None:
    release = asyncio.Event()
    worker = asyncio.ensure_future(_slow_to_cancel(release))
    await asyncio.sleep(0)
    worker.cancel()

    async def caller() -> str:
        if how == "reap":
            await reap([worker])
        else:
            await race(worker)
        return "carried on"

    task = asyncio.ensure_future(caller())
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert worker.cancelled()


async def test_the_old_idiom_swallowed_it() -> None:
    """Documents the bug reap() replaces (this test passing shows why it was wrong)."""
    release = asyncio.Event()
    worker = asyncio.ensure_future(_slow_to_cancel(release))
    await asyncio.sleep(0)
    worker.cancel()

    async def caller() -> str:
        with contextlib.suppress(BaseException):
            await worker
        return "carried on"

    task = asyncio.ensure_future(caller())
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.sleep(0)
    release.set()
    assert await task == "carried on"


async def test_reap_retrieves_errors_and_race_returns_on_the_first() -> None:
    async def boom() -> None:
        raise ValueError("x")

    failing = asyncio.ensure_future(boom())
    await reap([failing])  # does not raise, and no "never retrieved" warning later
    assert isinstance(failing.exception(), ValueError)
    never = asyncio.Event()
    await race(asyncio.sleep(0), never.wait())  # returns: the first finished
