"""Issue 10 item 12 against the simulator: fills made while the stream is down are reported
after the gap, marked recovered, and every fill the simulator made is reported exactly once
under random fault schedules.

The trades come from one of two sources: ``"emitted"``, built from every TRADE event the
simulator emitted (delivered or not: the simulator's own record of its fills, filtered like
``/dapi/v1/userTrades``), and ``"rest"``, the simulator's ``GET /dapi/v1/userTrades`` through
the mirror's REST client (skipped while the simulator does not serve it).
"""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mirror_sim import limit_order, market_order, settle

from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.events import OrderTradeUpdate
from binance.derivatives.cmfutures.mirror import AccountMirror, ChangeKind, MirrorOptions
from binance.derivatives.cmfutures.mirror.recovery import TradeQuery
from binance.derivatives.cmfutures.models import UserTrade
from binance.derivatives.cmfutures.simulator import Simulator

BTC = "BTCUSD_PERP"
T0 = 1_767_225_600.0


def sim_fills(sim: Any) -> list[OrderTradeUpdate]:
    """Every fill the simulator made for the default account (its TRADE events)."""
    return [e.event for e in sim.emitted()
            if isinstance(e.event, OrderTradeUpdate) and e.event.order.trade_id != 0]


def emitted_trades(sim: Any) -> Any:
    """A trades source answering like /dapi/v1/userTrades from the simulator's own record."""

    async def source(q: TradeQuery) -> list[UserTrade]:
        rows = []
        for ev in sim_fills(sim):
            o = ev.order
            if o.symbol != q.symbol or o.trade_time > q.end_time:
                continue
            if q.from_id is not None and o.trade_id < q.from_id:
                continue
            if q.start_time is not None and o.trade_time < q.start_time:
                continue
            rows.append(UserTrade(
                symbol=o.symbol, id=o.trade_id, order_id=o.order_id, side=o.side,
                price=o.last_filled_price, qty=o.last_filled_quantity,
                realized_pnl=o.realized_profit or Decimal(0),
                commission=o.commission or Decimal(0), commission_asset=o.commission_asset,
                time=o.trade_time, position_side=o.position_side or "BOTH",
                maker=bool(o.is_maker), buyer=o.side == "BUY"))
        rows.sort(key=lambda r: r.id)
        return rows[: q.limit]

    return source


async def serves_user_trades(sim: Any) -> bool:
    from binance.derivatives.cmfutures import AsyncApiClient, TradeApi
    from binance.derivatives.cmfutures.exceptions import ApiException

    async with AsyncApiClient(sim.configuration(), clock=sim.clock) as client:
        try:
            await TradeApi(client).cmfutures_get_user_trades_v1(symbol=BTC)
        except ApiException:
            return False
    return True


async def open_mirror(sim: Any, source: str) -> AccountMirror:
    from binance.derivatives.cmfutures.stream import UserDataStream

    cfg = sim.configuration()
    if source == "rest" and not await serves_user_trades(sim):
        pytest.skip("the simulator does not serve GET /dapi/v1/userTrades yet (h5-simrest)")
    mirror = AccountMirror(
        cfg, clock=sim.clock, rng=random.Random(0),
        stream=UserDataStream(cfg, clock=sim.clock, rng=random.Random(0)),
        options=MirrorOptions(retry_initial=0.25, retry_max=2),
        trades_source=emitted_trades(sim) if source == "emitted" else None,
    )
    await mirror.start()
    await settle(sim, mirror)
    return mirror


async def close(sim: Any, mirror: AccountMirror) -> None:
    closing = asyncio.ensure_future(mirror.close())
    while not closing.done():
        await sim.advance(1)
    await closing


def reported(changes: list[Any]) -> list[tuple[int, int]]:
    return [c.key for c in changes if c.kind == ChangeKind.FILL]


async def drain(sub: Any, sim: Any) -> list[Any]:
    await sim.advance(0.5)
    out = []
    while sub._queue:
        out.append(await sub.__anext__())
    return out


@pytest.mark.parametrize("source", ["emitted", "rest"])
async def test_fills_during_a_disconnection_are_recovered_once(source: str) -> None:
    async with Simulator(clock=ManualClock(start=T0)) as sim:
        mirror = await open_mirror(sim, source)
        sub = mirror.changes()
        acct = sim.account
        limit_order(sim, acct, "BUY", 3, "60000")
        market_order(sim, acct, "BUY", 1)  # a live fill
        await sim.advance(0.5)
        sim.faults.drop_connections()
        await sim.advance(0.01)
        sim.exchange.set_mark_price(BTC, Decimal("59000"))  # the limit buy fills in the gap
        market_order(sim, acct, "SELL", 2)
        await settle(sim, mirror)
        changes = await drain(sub, sim)
        truth = [(e.order.order_id, e.order.trade_id) for e in sim_fills(sim)]
        keys = reported(changes)
        assert sorted(keys) == sorted(truth) and len(set(keys)) == len(keys)
        recovered = [c for c in changes if c.kind == ChangeKind.FILL and c.after.recovered]
        live = [c for c in changes if c.kind == ChangeKind.FILL and not c.after.recovered]
        assert len(live) == 1 and len(recovered) == len(truth) - 1 >= 2
        by_key = {(e.order.order_id, e.order.trade_id): e.order for e in sim_fills(sim)}
        for c in recovered:
            o = by_key[c.key]
            assert (c.after.price, c.after.quantity, c.after.side) == (
                o.last_filled_price, o.last_filled_quantity, o.side)
        await close(sim, mirror)


FAULTS = ("drop", "close", "expire")
STEP = st.one_of(
    st.tuples(st.just("limit"), st.sampled_from(["BUY", "SELL"]), st.integers(1, 4),
              st.integers(-3, 3)),
    st.tuples(st.just("market"), st.sampled_from(["BUY", "SELL"]), st.integers(1, 4)),
    st.tuples(st.just("price"), st.integers(-4, 4)),
    st.tuples(st.just("fault"), st.sampled_from(FAULTS)),
    st.tuples(st.just("wait"), st.sampled_from([0.01, 0.5, 3.0])),
)


async def run_schedule(steps: list[tuple[Any, ...]], source: str) -> None:
    async with Simulator(clock=ManualClock(start=T0)) as sim:
        mirror = await open_mirror(sim, source)
        sub = mirror.changes()
        acct = sim.account
        mark = Decimal(65000)
        for step in steps:
            kind = step[0]
            if kind == "limit":
                _, side, qty, offset = step
                limit_order(sim, acct, side, qty, str(mark + 100 * offset))
            elif kind == "market":
                market_order(sim, acct, step[1], step[2])
            elif kind == "price":
                mark += 100 * step[1]
                sim.exchange.set_mark_price(BTC, mark)
            elif kind == "fault":
                {"drop": sim.faults.drop_connections,
                 "close": lambda: sim.faults.close_connections(code=1011),
                 "expire": sim.faults.expire_listen_key}[step[1]]()
            else:
                await sim.advance(step[1])
        await settle(sim, mirror, limit=600)
        changes = await drain(sub, sim)
        truth = sorted((e.order.order_id, e.order.trade_id) for e in sim_fills(sim))
        keys = reported(changes)
        assert len(set(keys)) == len(keys), "a fill was reported twice"
        assert sorted(keys) == truth
        await close(sim, mirror)


@pytest.mark.parametrize("source", ["emitted", "rest"])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(STEP, min_size=1, max_size=14))
def test_random_fault_schedules_report_every_fill_exactly_once(
    source: str, steps: list[tuple[Any, ...]],
) -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(run_schedule(steps, source))
    finally:
        loop.close()
