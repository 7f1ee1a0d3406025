"""A stand-in for StreamPool: accounts added to it receive what a shared fake exchange emits.

Like Binance with its one listen key per account, every pool streaming an account receives
each of its events; ``add()`` is synchronous and the account connects at once, unless the
exchange is told to ``hold`` new connections (a pool slowed down by its weight budget): they
connect, and receive events, only from :meth:`FakePool.connect_held` on.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from binance.derivatives.cmfutures import events as ev


class FakeExchange:
    def __init__(self) -> None:
        self.pools: list[FakePool] = []
        self.emitted: dict[str, list[ev.StreamMessage]] = {}
        self.now = 1_700_000_000.0
        self._seq = itertools.count(1)
        self.hold = False

    def pool(self) -> FakePool:
        pool = FakePool(self)
        self.pools.append(pool)
        return pool

    def emit(self, account: str) -> ev.StreamMessage:
        n = next(self._seq)
        self.now += 0.001
        event = ev.decode_event(
            b'{"e":"ACCOUNT_CONFIG_UPDATE","E":%d,"T":%d,"ac":{"s":"BTCUSD_PERP","l":%d}}'
            % (int(self.now * 1000), int(self.now * 1000), n)
        )
        self.emitted.setdefault(account, []).append(event)
        for pool in self.pools:
            if account in pool.accounts and not pool.closed:
                pool.queue.put_nowait((account, event))
        return event


class FakePool:
    def __init__(self, exchange: FakeExchange) -> None:
        self.exchange = exchange
        self.accounts: set[str] = set()  # connected
        self.held: set[str] = set()  # added, not connected yet
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.closed = False
        self.connections = itertools.count(1)

    async def __aenter__(self) -> FakePool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.closed = True

    def add(self, account: str, auth: Any) -> None:
        if account in self.accounts or account in self.held:
            return
        if self.exchange.hold:
            self.held.add(account)
        else:
            self._connect(account)

    def _connect(self, account: str) -> None:
        self.accounts.add(account)
        self.exchange.now += 0.001
        self.queue.put_nowait(
            (account, ev.StreamConnected(at=self.exchange.now, url="ws://fake", connection_id=0))
        )

    def connect_held(self) -> None:
        """The streams added while the exchange held connections connect now."""
        held, self.held = self.held, set()
        for account in sorted(held):
            self._connect(account)

    async def remove(self, account: str) -> None:
        self.accounts.discard(account)
        self.held.discard(account)

    def __aiter__(self) -> FakePool:
        return self

    async def __anext__(self) -> tuple[str, Any]:
        return await self.queue.get()
