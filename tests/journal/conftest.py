"""Shared helpers of the journal tests."""

from __future__ import annotations

from typing import Any

from ..factories import order_event
from ..stream_harness import StreamHarness

__all__ = ["T0", "JournaledStream", "collect", "order_event"]

T0 = 1_767_225_600.0


async def collect(reader: Any) -> list[Any]:
    return [entry async for entry in reader]


class JournaledStream(StreamHarness):
    """A stream with a journal on a simulator (ManualClock), consumed in the background."""

    def __init__(self, sim: Any, journal: Any) -> None:
        super().__init__(sim)
        self.journal = journal

    async def open(self, config: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("journal", self.journal)
        return await super().open(config, **kwargs)

    async def settle(self) -> None:
        """Let everything triggered so far happen: deliveries, journal commits, hand-outs."""
        for _ in range(3):
            await self.sim.advance(0)
            await self.journal.flush()
        await self.sim.advance(0)
