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
    await clock.settle()
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
    await clock.settle()
    await clock.advance(3600)
    assert ticks == [60, 120, 180, 240, 300]
    await task


async def test_cancelled_sleeper_is_forgotten() -> None:
    clock = ManualClock(start=0)
    task = asyncio.create_task(clock.sleep(10))
    await clock.settle()
    assert clock.next_deadline() == 10
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert clock.next_deadline() is None


async def test_negative_advance_is_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        await ManualClock(start=0).advance(-1)


async def test_settle_runs_every_loopback_round_trip_a_wakeup_sets_off() -> None:
    """Issue 9 item 26: settling waits for an idle loop, not a fixed number of yields, so a
    chain of 3,000 request/reply round trips over loopback TCP completes within one settle."""
    clock = ManualClock(start=0)
    replies: list[bytes] = []

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(line)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def client() -> None:
        await clock.sleep(10)
        for n in range(3000):
            writer.write(b"%d\n" % n)
            await writer.drain()
            replies.append(await reader.readline())

    task = asyncio.create_task(client())
    await clock.settle()
    assert replies == []
    await clock.advance(10)  # wakes the client; one settle must see all 3,000 round trips
    assert len(replies) == 3000 and task.done()
    writer.close()
    server.close()
    await server.wait_closed()


async def test_settle_does_not_wait_for_real_timers_or_forever_sleepers() -> None:
    clock = ManualClock(start=0)
    fired: list[str] = []
    loop = asyncio.get_running_loop()
    timer = loop.call_later(3600, fired.append, "real timer")
    sleeper = asyncio.create_task(asyncio.sleep(3600))
    due = loop.call_soon(fired.append, "due now")
    assert due is not None
    await asyncio.wait_for(clock.settle(), timeout=30)  # a guard: a hang fails, not blocks
    assert fired == ["due now"]
    timer.cancel()
    sleeper.cancel()


async def test_loop_is_idle_sees_queued_callbacks_ready_sockets_and_due_timers() -> None:
    import socket

    from binance.derivatives.cmfutures.clock import loop_is_idle

    loop = asyncio.get_running_loop()
    await ManualClock(start=0).settle()
    assert loop_is_idle(loop) is True
    handle = loop.call_soon(lambda: None)
    assert loop_is_idle(loop) is False
    handle.cancel()
    await ManualClock(start=0).settle()
    a, b = socket.socketpair()
    got: list[bytes] = []
    loop.add_reader(a.fileno(), lambda: got.append(a.recv(10)))
    b.send(b"x")  # readable, not yet read: the loop is not idle
    assert loop_is_idle(loop) is False
    await ManualClock(start=0).settle()
    assert got == [b"x"] and loop_is_idle(loop) is True
    loop.remove_reader(a.fileno())
    a.close()
    b.close()


async def test_settle_waits_for_tracked_work_in_another_thread() -> None:
    import threading

    clock = ManualClock(start=0)
    release = threading.Event()
    loop = asyncio.get_running_loop()
    work = loop.run_in_executor(None, release.wait, 10)
    clock.track(work)
    # the work finishes only when another thread says so, well after the loop went idle
    threading.Timer(0.05, release.set).start()
    await clock.settle()
    assert work.done() and work.result() is True
    untracked = loop.run_in_executor(None, threading.Event().wait, 0.05)
    await clock.settle()
    assert not untracked.done()  # settle cannot see untracked thread work (documented)
    await untracked
