"""Fixtures for the pool's simulator-backed tests: a Simulator with many accounts on a
ManualClock, a StreamPool consuming it in the background, and the per-account "every emitted
event is delivered once or inside an announced gap" check."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.events import (
    ControlEvent,
    StreamConnected,
    StreamGap,
    UnknownEvent,
    decode_event,
    encode_event,
    event_identity,
)

from ..factories import order_event
from ..stream_harness import advance

T0 = 1_767_225_600.0


_CONTROLS = ControlEvent.__args__  # type: ignore[attr-defined]


class PoolHarness:
    """A simulator with accounts, a pool on it, and a consumer recording every message."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.pool: Any = None
        self.messages: list[tuple[str, Any]] = []
        self.error: BaseException | None = None
        self.accounts: dict[str, Any] = {}  # id -> SimAccount
        self._task: asyncio.Task[None] | None = None
        self._n = 0

    def make_accounts(self, n: int) -> list[str]:
        ids = []
        for _ in range(n):
            acct = self.sim.add_account()
            self.accounts[acct.alias] = acct
            ids.append(acct.alias)
        return ids

    def auth(self, account: str) -> Any:
        from binance.derivatives.cmfutures import BinanceAuth

        acct = self.accounts[account]
        return BinanceAuth(api_key=acct.api_key, secret_key=acct.secret_key)

    async def open(self, **options: Any) -> Any:
        from binance.derivatives.cmfutures import PoolOptions, StreamPool
        from binance.derivatives.cmfutures.stream import StreamOptions

        stream_opts = options.pop("stream", {})
        opts = PoolOptions(stream=StreamOptions(**stream_opts), **options)
        import random

        self.pool = StreamPool(
            self.sim.configuration(), options=opts, clock=self.sim.clock, rng=random.Random(5)
        )
        await self.pool.start()
        self._task = asyncio.create_task(self._consume())
        return self.pool

    def add_all(self) -> None:
        for account in self.accounts:
            self.pool.add(account, self.auth(account))

    async def _consume(self) -> None:
        try:
            async for item in self.pool:
                self.messages.append(item)
        except Exception as exc:
            self.error = exc

    async def settle(self) -> None:
        await self.sim.advance(0)

    async def advance(self, seconds: float, step: float | None = None) -> None:
        await advance(self.sim, seconds, step)

    def emit(self, account: str, count: int = 1) -> None:
        acct = self.accounts[account]
        for _ in range(count):
            self._n += 1
            event = order_event(self._n, self.sim.now_ms(), client_order_id=f"pool-{self._n}",
                                alias=acct.alias)
            self.sim.emit(acct.api_key, event, encode_event(event))

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # ------------------------------------------------------------------ checks

    def of(self, account: str, kind: type | tuple[type, ...]) -> list[Any]:
        return [m for a, m in self.messages if a == account and isinstance(m, kind)]

    def data(self, account: str) -> list[Any]:
        return [m for a, m in self.messages if a == account and not isinstance(m, _CONTROLS)
                and type(m).__name__ != "AccountFailed"]

    def check_accounted(self, account: str, *, tolerance: float = 0.01) -> None:
        """Every frame emitted for ``account`` after its first connection was delivered to it
        exactly once, or lies inside one of its announced gaps."""
        first = self.of(account, StreamConnected)
        assert first, f"{account} never connected"
        start = first[0].at
        gaps = self.of(account, StreamGap)
        counts: dict[Any, int] = {}
        for m in self.data(account):
            ident = event_identity(m)
            counts[ident] = counts.get(ident, 0) + 1
        dupes = {k: v for k, v in counts.items() if v > 1}
        assert not dupes, f"{account}: delivered more than once: {dupes}"
        for e in self.sim.emitted(self.accounts[account]):
            if e.at < start or not e.delivered:
                continue
            in_gap = any(g.since - tolerance <= e.at <= g.until + tolerance for g in gaps)
            if e.event is None:
                assert in_gap, f"{account}: malformed frame #{e.seq} not inside a gap {gaps}"
                continue
            event = decode_event(e.raw)
            n = counts.get(event_identity(event), 0)
            if isinstance(event, UnknownEvent) and n == 0:
                n = sum(1 for m in self.data(account)
                        if isinstance(m, UnknownEvent) and m.payload == event.payload)
            assert n == 1 or in_gap, (
                f"{account}: emitted #{e.seq} at {e.at} ({type(event).__name__}) delivered "
                f"{n} times and not inside any gap {gaps}"
            )


@pytest.fixture
def sim_options() -> Any:
    return None


@pytest.fixture
async def pool_harness(sim_options: Any) -> AsyncIterator[PoolHarness]:
    from binance.derivatives.cmfutures.simulator import Simulator

    async with Simulator(clock=ManualClock(start=T0), seed=7, options=sim_options) as sim:
        h = PoolHarness(sim)
        try:
            yield h
        finally:
            await h.close()
