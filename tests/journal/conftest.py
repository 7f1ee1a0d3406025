"""Shared helpers of the journal tests."""

from __future__ import annotations

from typing import Any

from ..factories import order_event

__all__ = ["T0", "JournaledStream", "collect", "order_event"]

T0 = 1_767_225_600.0


async def collect(reader: Any) -> list[Any]:
    return [entry async for entry in reader]


class JournaledStream:
    """A stream with a journal on a simulator (ManualClock), consumed in the background."""

    def __init__(self, sim: Any, journal: Any) -> None:
        self.sim = sim
        self.journal = journal
        self.stream: Any = None
        self.messages: list[Any] = []
        self.error: BaseException | None = None
        self._task: Any = None
        self._n = 0

    async def open(self, **kwargs: Any) -> Any:
        import asyncio

        from binance.derivatives.cmfutures import UserDataStream

        kwargs.setdefault("clock", self.sim.clock)
        self.stream = UserDataStream(self.sim.configuration(), journal=self.journal, **kwargs)
        await self.stream.start()
        self._task = asyncio.create_task(self._consume())
        await self.settle()
        return self.stream

    async def _consume(self) -> None:
        try:
            async for message in self.stream:
                self.messages.append(message)
        except Exception as exc:
            self.error = exc

    async def settle(self) -> None:
        """Let everything triggered so far happen: deliveries, journal commits, hand-outs."""
        for _ in range(3):
            await self.sim.advance(0)
            await self.journal.flush()
        await self.sim.advance(0)

    def emit(self, count: int = 1) -> list[Any]:
        from binance.derivatives.cmfutures.events import encode_event

        out = []
        for _ in range(count):
            self._n += 1
            event = order_event(self._n, self.sim.now_ms())
            out.append(self.sim.emit(self.sim.account.api_key, event, encode_event(event)))
        return out

    async def close(self) -> None:
        import asyncio
        import contextlib

        if self.stream is not None:
            await self.stream.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
