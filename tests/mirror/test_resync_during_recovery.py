"""A resync asked for while the fill recovery runs is taken after it (found moving the resync
policy into mirror/policy.py): before, the loop ended after the recovery and left the resync
pending with no loop to take it: ``resync()`` hung and every later audit was skipped."""

from __future__ import annotations

import asyncio
from typing import Any

from mirror_factories import rest_order
from test_aio import connected, make, settle

from binance.derivatives.cmfutures.events import StreamDisconnected, StreamGap
from binance.derivatives.cmfutures.mirror import MirrorOptions, Snapshot
from binance.derivatives.cmfutures.mirror.recovery import TradeQuery


class Trades:
    def __init__(self) -> None:
        self.pending: list[asyncio.Future[Any]] = []

    async def __call__(self, query: TradeQuery) -> Any:
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending.append(fut)
        return await fut


async def recovering(mirror: Any, stream: Any, source: Any, trades: Trades) -> None:
    stream.push(connected())
    await settle()
    source.reply(Snapshot(orders=(rest_order(1),)))
    await settle()
    stream.push(StreamDisconnected(at=1, reason="1006", connection_id=1))
    stream.push(connected(2), StreamGap(since=1001, until=1010, reason="reconnected"))
    await settle()
    source.reply(Snapshot(orders=(rest_order(1),)))
    await settle()
    assert len(trades.pending) == 1  # the fill recovery is waiting for userTrades


async def test_a_manual_resync_during_the_fill_recovery_is_taken_after_it() -> None:
    trades = Trades()
    mirror, stream, source, _ = make(trades_source=trades)
    async with mirror:
        await recovering(mirror, stream, source, trades)
        manual = asyncio.ensure_future(mirror.resync())
        await settle()
        assert source.calls == 2
        trades.pending[0].set_result([])
        await settle()
        assert source.calls == 3  # before: 2, and resync() never returned
        source.reply(Snapshot(orders=(rest_order(1),)))
        await settle()
        report = await asyncio.wait_for(manual, 1)
        assert report.reason == "manual"


async def test_an_audit_during_the_fill_recovery_does_not_stop_the_audits() -> None:
    trades = Trades()
    options = MirrorOptions(retry_jitter=0, resync_interval=60.0)
    mirror, stream, source, clock = make(trades_source=trades, options=options)
    async with mirror:
        await recovering(mirror, stream, source, trades)
        await clock.advance(60, settle=False)
        await settle()
        trades.pending[0].set_result([])
        await settle()
        assert source.calls == 3  # the audit begun during the recovery runs now
        source.reply(Snapshot(orders=(rest_order(1),)))
        await settle()
        assert mirror.last_resync is not None and mirror.last_resync.reason == "audit"
        assert not mirror._state.resync_pending
