"""ManualClock: sleepers wake in deadline order, at their deadline, and only when advanced."""

from __future__ import annotations

import asyncio

import pytest

from binance.derivatives.cmfutures.clock import Clock, ManualClock, SystemClock


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(ManualClock(start=0), Clock)


async def test_sleepers_wake_in_order_at_their_deadline() -> None:
    clock = ManualClock(start=1000.0)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, delay: float) -> None:
        await clock.sleep(delay)
        woke.append((name, clock.time()))

    tasks = [asyncio.create_task(sleeper(n, d)) for n, d in (("c", 30), ("a", 10), ("b", 20))]
    await clock.settle(rounds=1)
    assert woke == []
    await clock.advance(15)
    assert woke == [("a", 1010.0)]
    await clock.advance(100)
    assert woke == [("a", 1010.0), ("b", 1020.0), ("c", 1030.0)]
    assert clock.time() == 1115.0
    await asyncio.gather(*tasks)


async def test_chained_sleeps_within_one_advance_all_fire() -> None:
    clock = ManualClock(start=0)
    ticks: list[float] = []

    async def ticker() -> None:
        for _ in range(5):
            await clock.sleep(60)
            ticks.append(clock.time())

    task = asyncio.create_task(ticker())
    await clock.settle(rounds=1)
    await clock.advance(3600)
    assert ticks == [60, 120, 180, 240, 300]
    await task


async def test_cancelled_sleeper_is_forgotten() -> None:
    clock = ManualClock(start=0)
    task = asyncio.create_task(clock.sleep(10))
    await clock.settle(rounds=1)
    assert clock.next_deadline() == 10
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert clock.next_deadline() is None


async def test_negative_advance_is_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        await ManualClock(start=0).advance(-1)
