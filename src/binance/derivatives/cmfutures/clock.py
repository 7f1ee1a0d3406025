"""Time sources shared by the client, the stream, the mirror and the simulator.

Everything in this library that waits or stamps a time asks a :class:`Clock`, never
``time.time()`` or ``asyncio.sleep()`` directly. In production that is :class:`SystemClock`.
In tests it is :class:`ManualClock`, which the simulator advances on demand, so a 24-hour
connection cut or a 60-minute listen-key expiry is exercised in milliseconds of real time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import selectors
import time
from typing import Any, Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """A source of wall-clock time and of sleeps measured against it."""

    def time(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    async def sleep(self, delay: float) -> None:
        """Return once ``delay`` seconds of this clock's time have passed."""
        ...


class SystemClock:
    """The real clock: :func:`time.time` and :func:`asyncio.sleep`."""

    def time(self) -> float:
        return time.time()

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(max(0.0, delay))

    def __repr__(self) -> str:
        return "SystemClock()"


SETTLE_MAX_STEPS = 10_000
"""The most event-loop passes :meth:`ManualClock.settle` waits for the loop to go idle."""


def loop_is_idle(loop: asyncio.AbstractEventLoop) -> bool | None:
    """Whether ``loop`` would block if it ran now: no queued callback, no ready file
    descriptor, no due timer. None if the loop does not expose its internals
    (only asyncio's selector event loops do)."""
    ready = getattr(loop, "_ready", None)
    selector = getattr(loop, "_selector", None)
    scheduled = getattr(loop, "_scheduled", None)
    if ready is None or scheduled is None or not isinstance(selector, selectors.BaseSelector):
        return None
    if ready:
        return False
    if selector.select(0):  # level-triggered: polling does not consume the readiness
        return False
    now = loop.time()
    return not any(not timer.cancelled() and timer.when() <= now for timer in scheduled)


async def _settle_blind() -> None:
    for _ in range(3):
        for _ in range(50):
            await asyncio.sleep(0)
        await asyncio.sleep(0.002)


class ManualClock:
    """A clock that only moves when :meth:`advance` is called.

    Sleepers are woken in deadline order. Between two deadlines :meth:`advance` yields to
    the event loop until it is idle (see :meth:`settle`), so that everything a woken task
    does (socket writes, REST calls on loopback) happens *at* that simulated instant before
    time moves on.

    :param start: the initial time in seconds since the epoch. Defaults to the real time
        now, so that timestamps look plausible.
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else float(start)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()
        self._off_loop: set[asyncio.Future[Any]] = set()

    def time(self) -> float:
        return self._now

    async def sleep(self, delay: float) -> None:
        if delay <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + delay, next(self._counter), future))
        try:
            await future
        finally:
            if not future.done():
                future.cancel()

    def next_deadline(self) -> float | None:
        """The earliest pending sleeper's wake-up time, or None."""
        self._drop_cancelled()
        return self._sleepers[0][0] if self._sleepers else None

    def _drop_cancelled(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)

    def _wake_due(self) -> int:
        woken = 0
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)
                woken += 1
        return woken

    async def advance(self, seconds: float, *, settle: bool = True) -> None:
        """Move time forward by ``seconds``, waking every sleeper whose deadline passes.

        Sleepers are woken one deadline at a time, in order, with the clock set to that
        deadline, and (if ``settle``) the event loop is allowed to go idle after each one.
        """
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(
                f"ManualClock.advance() takes a finite non-negative duration, got {seconds}"
            )
        target = self._now + seconds
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > target:
                break
            self._now = max(self._now, deadline)
            self._wake_due()
            if settle:
                await self.settle()
        self._now = target
        if settle:
            await self.settle()

    async def settle(self, max_steps: int = SETTLE_MAX_STEPS) -> None:
        """Let the event loop run until nothing is ready to run, then return.

        The loop is idle when, all at once: no callback is queued (``loop._ready``), no
        registered file descriptor is readable or writable (the loop's selector, polled
        with a zero timeout), and no ``call_later``/``call_at`` timer is due. Nothing can
        then happen without an outside input, so everything a woken task set off has
        happened: loopback writes have been read by their peer (on Linux the kernel queues
        loopback data on the peer's socket before ``send`` returns), replies have been
        written and read, and so on, however many round trips that takes. No real time is
        waited for: a timer due later is not waited for.

        Work in other threads is not visible to the loop: a component that hands work to a
        thread and awaits it (the journal's SQLite commits) registers that future with
        :meth:`track`, and settling waits for tracked work to finish before it calls the loop
        idle. Untracked work in other threads is not seen until it hands a result back to
        this loop. A task that only ever yields (``while True:
        await asyncio.sleep(0)``) never lets the loop go idle, so settling gives up after
        ``max_steps`` passes of the loop. An event loop that does not expose its ready
        queue and selector (asyncio's proactor loop on Windows, uvloop) cannot be asked:
        there settling yields 150 times and waits 6 ms of real time, the best it can do.
        """
        loop = asyncio.get_running_loop()
        for _ in range(max_steps):
            await asyncio.sleep(0)
            idle = loop_is_idle(loop)
            if idle is None:
                await _settle_blind()
                return
            if idle:
                if not self._off_loop:
                    return
                await asyncio.wait(set(self._off_loop))

    def track(self, work: asyncio.Future[Any]) -> None:
        """Have :meth:`settle` wait for ``work``, a future completed by another thread.

        Components that offload to a thread call this when their clock has it (a
        :class:`SystemClock` has nothing to settle and no such method).
        """
        if not work.done():
            self._off_loop.add(work)
            work.add_done_callback(self._off_loop.discard)

    def __repr__(self) -> str:
        return f"ManualClock(now={self._now:.3f}, sleepers={len(self._sleepers)})"
