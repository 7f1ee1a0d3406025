"""The stream harness shared by the stream and journal tests: a simulator, a stream on it, a
background consumer recording every message, and the "every emitted event is accounted for"
check."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from binance.derivatives.cmfutures.events import (
    StreamConnected,
    StreamGap,
    StreamMessage,
    UnknownEvent,
    decode_event,
    encode_event,
    event_identity,
)

from .factories import order_event


async def advance(sim: Any, seconds: float, step: float | None = None) -> None:
    """Let what was just triggered happen now, then move ``sim``'s time (in steps, if given:
    every timer due within a step runs before the next one)."""
    await sim.advance(0)
    if step is None:
        await sim.advance(seconds)
        return
    left = seconds
    while left > 1e-9:  # not a last sliver left by float rounding
        await sim.advance(min(step, left))
        left -= step


class StreamHarness:
    """A simulator, a stream on it, and a background consumer recording every message."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.stream: Any = None
        self.messages: list[StreamMessage] = []
        self.error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._n = 0

    async def open(self, config: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        from binance.derivatives.cmfutures import UserDataStream

        kwargs.setdefault("clock", self.sim.clock)
        self.stream = UserDataStream(self.sim.configuration(**(config or {})), **kwargs)
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
        await self.sim.advance(0)

    async def advance(self, seconds: float, step: float | None = None) -> None:
        await advance(self.sim, seconds, step)

    def emit(self, count: int = 1) -> list[Any]:
        """Emit ``count`` order events for the default account, now."""
        out = []
        for _ in range(count):
            self._n += 1
            event = order_event(self._n, self.sim.now_ms(), alias=self.sim.account.alias or None)
            out.append(self.sim.emit(self.sim.account.api_key, event, encode_event(event)))
        return out

    async def close(self) -> None:
        if self.stream is not None:
            await self.stream.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # ------------------------------------------------------------------ checks

    def of(self, kind: type) -> list[Any]:
        return [m for m in self.messages if isinstance(m, kind)]

    def data(self) -> list[Any]:
        from binance.derivatives.cmfutures.events import ControlEvent

        controls = ControlEvent.__args__  # type: ignore[attr-defined]
        return [m for m in self.messages if not isinstance(m, controls)]

    def check_accounted(self, *, tolerance: float = 0.002) -> None:
        """Every emitted frame was delivered exactly once, or lies inside an announced gap.

        Frames the simulator deliberately never sent (``drop_next_events``: delivered=False)
        are not required: no client can detect them (Binance has no sequence numbers).
        Frames emitted before the first connection are not covered either.
        """
        first = self.of(StreamConnected)
        assert first, "the stream never connected"
        start = first[0].at
        gaps = self.of(StreamGap)
        counts: dict[Any, int] = {}
        for m in self.data():
            ident = event_identity(m)
            counts[ident] = counts.get(ident, 0) + 1
        dupes = {k: v for k, v in counts.items() if v > 1}
        assert not dupes, f"delivered more than once: {dupes}"
        for e in self.sim.emitted():
            if e.at < start or not e.delivered:
                continue
            in_gap = any(g.since - tolerance <= e.at <= g.until + tolerance for g in gaps)
            if e.event is None:  # malformed frame: must be reported as a gap
                assert in_gap, f"malformed frame #{e.seq} at {e.at} not inside a gap {gaps}"
                continue
            event = decode_event(e.raw)
            n = counts.get(event_identity(event), 0)
            if isinstance(event, UnknownEvent) and n == 0:
                n = sum(
                    1
                    for m in self.data()
                    if isinstance(m, UnknownEvent) and m.payload == event.payload
                )
            assert n == 1 or in_gap, (
                f"emitted #{e.seq} at {e.at} ({type(event).__name__}) delivered {n} times and "
                f"not inside any gap {gaps}"
            )
