"""AccountMirror against the simulator: after trading and injected faults, once the stream is
healthy again, the mirror equals the exchange's own state exactly (Decimal equality)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from mirror_sim import assert_matches, limit_order, market_order, matches, settle

from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.mirror import AccountMirror, MirrorOptions

START = 1_767_225_600.0
SYM = "BTCUSD_PERP"


def new_sim(**kw: Any) -> Any:
    from binance.derivatives.cmfutures.simulator import Simulator

    return Simulator(clock=ManualClock(start=START), **kw)


def mirror_for(sim: Any, account: Any = None, **kw: Any) -> AccountMirror:
    kw.setdefault("options", MirrorOptions(retry_initial=0.5, retry_max=4))
    return AccountMirror(sim.configuration(account), clock=sim.clock, rng=random.Random(1), **kw)


def trade_a_little(sim: Any, account: Any) -> list[int]:
    """Orders resting and filled, a position, funding, a deposit, a leverage change."""
    ids = [limit_order(sim, account, "BUY", 3, "60000")["orderId"],
           limit_order(sim, account, "SELL", 2, "90000")["orderId"],
           limit_order(sim, account, "BUY", 1, "100", symbol="ETHUSD_PERP")["orderId"]]
    market_order(sim, account, "BUY", 2)
    sim.exchange.set_mark_price(SYM, Decimal("59000"))  # fills (part of) the 60000 buy
    sim.exchange.apply_funding(SYM, Decimal("0.0001"))
    sim.exchange.deposit(account.api_key, "BTC", Decimal("0.25"))
    sim.exchange.change_leverage(account.api_key, {"symbol": SYM, "leverage": "7"})
    return ids


async def test_stream_alone_keeps_the_mirror_exact() -> None:
    async with new_sim() as sim, mirror_for(sim) as mirror:
        await settle(sim, mirror)
        assert mirror.last_resync is not None and mirror.last_resync.initial
        assert_matches(mirror, sim)
        changes = mirror.changes()
        trade_a_little(sim, sim.account)
        await sim.advance(0.5)
        assert not mirror.stale
        assert_matches(mirror, sim)
        # a fresh snapshot finds nothing the stream missed
        report = await mirror.resync()
        assert not report.diff, report.diff
        kinds = set()
        while changes._queue:
            kinds.add(changes._queue.popleft().kind)
        assert {"order", "fill", "position", "balance", "leverage", "resync"} <= kinds


async def test_disconnect_with_trading_meanwhile_is_repaired_by_one_resync() -> None:
    async with new_sim() as sim, mirror_for(sim) as mirror:
        await settle(sim, mirror)
        limit_order(sim, sim.account, "BUY", 3, "60000")
        await sim.advance(0.1)
        sim.faults.drop_connections()
        # while disconnected: a fill, a new order, a cancel, a deposit
        sim.exchange.set_mark_price(SYM, Decimal("59000"))
        new_id = limit_order(sim, sim.account, "SELL", 1, "95000")["orderId"]
        sim.exchange.deposit(sim.account.api_key, "ETH", Decimal("1"))
        await settle(sim, mirror)
        assert_matches(mirror, sim)
        report = mirror.last_resync
        assert report is not None and report.reason.startswith(("gap", "disconnected"))
        missed = {(e.section, e.key, e.op) for e in report.diff.entries}
        assert ("order", new_id, "added") in missed
        assert ("balance", "ETH", "changed") in missed
        assert ("position", (SYM, "BOTH"), "changed") in missed


async def test_expired_listen_key() -> None:
    async with new_sim() as sim, mirror_for(sim) as mirror:
        await settle(sim, mirror)
        sim.faults.expire_listen_key()
        limit_order(sim, sim.account, "BUY", 2, "61000")
        market_order(sim, sim.account, "SELL", 1)
        await settle(sim, mirror)
        assert_matches(mirror, sim)


async def test_dropped_events_are_repaired_by_the_next_resync() -> None:
    async with new_sim() as sim, mirror_for(sim) as mirror:
        await settle(sim, mirror)
        sim.faults.drop_next_events(3)
        oid = limit_order(sim, sim.account, "BUY", 1, "60000")["orderId"]  # NEW: dropped
        market_order(sim, sim.account, "BUY", 1)  # its NEW and TRADE dropped, the rest kept
        await sim.advance(0.5)
        assert not matches(mirror, sim)  # the stream cannot know: no gap was announced
        report = await mirror.resync()
        assert_matches(mirror, sim)
        assert ("order", oid, "added") in {(e.section, e.key, e.op) for e in report.diff.entries}


async def test_periodic_audit_repairs_silently_dropped_events() -> None:
    options = MirrorOptions(resync_interval=30, retry_initial=0.5)
    async with new_sim() as sim, mirror_for(sim, options=options) as mirror:
        await settle(sim, mirror)
        sim.faults.drop_next_events(1)
        limit_order(sim, sim.account, "BUY", 1, "60000")
        await sim.advance(1)
        assert not matches(mirror, sim)
        await sim.advance(30)
        await settle(sim, mirror)
        assert_matches(mirror, sim)
        assert mirror.last_resync is not None and mirror.last_resync.reason == "audit"


async def test_duplicated_events_change_nothing_twice() -> None:
    async with new_sim() as sim, mirror_for(sim) as mirror:
        await settle(sim, mirror)
        changes = mirror.changes()
        sim.faults.duplicate_next_event(10)
        limit_order(sim, sim.account, "BUY", 3, "60000")
        sim.exchange.set_mark_price(SYM, Decimal("59000"))
        market_order(sim, sim.account, "SELL", 1)
        await sim.advance(0.5)
        assert_matches(mirror, sim)
        fills = []
        while changes._queue:
            c = changes._queue.popleft()
            if c.kind == "fill":
                fills.append(c.key)
        trades = {(e.event.order.order_id, e.event.order.trade_id)
                  for e in sim.emitted() if getattr(e.event, "order", None) is not None
                  and e.event.order.trade_id}
        assert sorted(fills) == sorted(trades) and len(fills) == len(set(fills))


async def test_rest_failures_during_resync_keep_it_stale_then_recover() -> None:
    async with new_sim() as sim, mirror_for(sim) as mirror:
        await settle(sim, mirror)
        changes = mirror.changes()
        # the REST client retries a 503 itself (2 retries by default): 9 failures make at
        # least 3 of the mirror's snapshot attempts fail
        sim.faults.fail_next_rest(9, status=503, code=-1001, path="/dapi/v1/account")
        sim.faults.drop_connections()
        limit_order(sim, sim.account, "BUY", 1, "60000")
        took = await settle(sim, mirror)
        assert took > 0
        assert_matches(mirror, sim)
        seen = []
        while changes._queue:
            seen.append(changes._queue.popleft())
        kinds = [c.kind for c in seen]
        report = mirror.last_resync
        assert report is not None and report.attempts >= 4
        assert kinds.count("resync_failed") == report.attempts - 1
        assert not sim.faults.rest_failures  # all consumed
        assert kinds.index("stale") < kinds.index("resync_failed")
        assert kinds[-1] == "stale" and seen[-1].after is False


async def test_rate_limited_resync_honours_retry_after() -> None:
    async with new_sim() as sim, mirror_for(sim) as mirror:
        await settle(sim, mirror)
        sim.faults.fail_next_rest(1, status=429, code=-1003, path="/dapi/v1/positionRisk")
        await sim.advance(0)
        report_task = mirror.resync()
        report = await _drive(sim, report_task)
        assert report.attempts == 2
        assert report.finished_at - report.started_at >= 0.5
        assert_matches(mirror, sim)


async def _drive(sim: Any, coro: Any) -> Any:
    import asyncio

    task = asyncio.ensure_future(coro)
    for _ in range(400):
        if task.done():
            break
        await sim.advance(0.25)
    return await task


async def test_malformed_frame_and_unknown_event() -> None:
    async with new_sim() as sim, mirror_for(sim) as mirror:
        await settle(sim, mirror)
        sim.faults.send_unknown_event()
        sim.faults.send_malformed_frame()
        limit_order(sim, sim.account, "BUY", 1, "60000")
        await settle(sim, mirror)
        assert_matches(mirror, sim)
        assert not mirror.closed


async def test_isolated_margin_and_hedge_mode_rows() -> None:
    async with new_sim() as sim:
        sim.exchange.change_margin_type(sim.account.api_key, SYM, True)
        async with mirror_for(sim) as mirror:
            await settle(sim, mirror)
            market_order(sim, sim.account, "BUY", 5)
            sim.exchange.apply_funding(SYM, Decimal("0.0003"))
            await sim.advance(0.5)
            row = mirror.positions[(SYM, "BOTH")]
            assert row.margin_type == "isolated" and row.isolated_wallet > 0
            assert_matches(mirror, sim)
            assert not (await mirror.resync()).diff


@pytest.mark.parametrize("when", ["after the answers", "before the answers"])
async def test_trading_during_the_snapshot_is_merged_from_the_buffer(when: str) -> None:
    """Trading while a snapshot is taken: its events arrive during the attempt and are
    buffered. If the snapshot predates the trades they must be replayed onto it; if it already
    includes them, replaying them must not regress anything. Either way: exact."""
    mirror: AccountMirror

    def trade(sim: Any) -> None:
        oid = limit_order(sim, sim.account, "BUY", 2, "60000")["orderId"]
        market_order(sim, sim.account, "BUY", 1)
        sim.exchange.cancel_order(sim.account.api_key, {"symbol": SYM, "orderId": str(oid)})
        limit_order(sim, sim.account, "SELL", 1, "90000")
        sim.exchange.deposit(sim.account.api_key, "BTC", Decimal("0.01"))
        sim.exchange.change_leverage(sim.account.api_key, {"symbol": SYM, "leverage": "9"})

    async with new_sim() as sim:
        async def source() -> Any:
            if when == "before the answers":
                trade(sim)
            snapshot = await mirror._rest_snapshot()
            if when == "after the answers":
                trade(sim)
            await sim.clock.settle()  # the trades' events arrive while the attempt is open
            return snapshot

        async with mirror_for(sim, snapshot_source=source) as mirror:
            await settle(sim, mirror)  # the initial snapshot: trades during it too
            assert mirror.last_resync is not None and mirror.last_resync.buffered_events >= 8
            assert_matches(mirror, sim)
            report = await _drive(sim, mirror.resync())
            assert report.buffered_events >= 8
            assert not report.diff  # nothing was missed, nothing looks missed
            assert_matches(mirror, sim)
