"""ccxt's ``binancecoinm`` (ccxt.pro included), unchanged and with default options, against
the simulator on 127.0.0.1.

Issue 10 item 13: a second real client nobody here wrote. Only ``exchange.urls["api"]`` is
changed: every REST URL (``dapi*`` and, so that nothing can ever reach Binance, every other
one) is pointed at the simulator's REST base and every WebSocket URL at its stream base. The
tests check that ccxt's own parsing of each response equals the engine's state:

* ``load_markets`` (``/sapi/v1/capital/config/getall``, ``/sapi/v1/margin/allPairs``,
  ``/dapi/v1/exchangeInfo``), ``fetch_balance`` (``/dapi/v1/account``), ``fetch_positions``
  (``/dapi/v2/leverageBracket`` then ``/dapi/v1/positionRisk``: before the simulator served
  brackets, this call failed with 404 ``-1000``), ``create_order`` (``POST /dapi/v1/order``),
  ``fetch_my_trades`` (``/dapi/v1/userTrades``) and ``fetch_ledger`` (``/dapi/v1/income``);
* ``watch_orders``, ``watch_balance`` and ``watch_positions`` over the user data stream
  (``POST /dapi/v1/listenKey``, then ``/ws/<listenKey>``).

Every URL ccxt requested is recorded and must start with the simulator's base.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from binance.derivatives.cmfutures.clock import SystemClock
from binance.derivatives.cmfutures.simulator import Simulator

from .helpers import until

ccxtpro = pytest.importorskip("ccxt.pro")

SYMBOL = "BTCUSD_PERP"
MARKET = "BTC/USD:BTC"
MARK = Decimal("65000")
WAIT_S = 10.0  # bound for waiting on a condition or a watch; never a timing assumption


def _point(urls: Any, rest: str, ws: str) -> Any:
    """``urls`` with every https host replaced by ``rest`` and every wss host by ``ws``."""
    if isinstance(urls, dict):
        return {k: _point(v, rest, ws) for k, v in urls.items()}
    if isinstance(urls, str):
        if urls.startswith("wss://"):
            return re.sub(r"^wss://[^/]+", ws, urls)
        return re.sub(r"^https?://[^/]+", rest, urls)
    return urls


class Recorded:
    """A ccxt ``binancecoinm`` pointed at ``sim``, recording every REST URL it fetches."""

    def __init__(self, sim: Simulator) -> None:
        account = sim.account
        self.ex = ccxtpro.binancecoinm({"apiKey": account.api_key,
                                        "secret": account.secret_key})
        self.ex.urls["api"] = _point(self.ex.urls["api"], sim.rest_url, sim.stream_url)
        self.urls: list[str] = []
        original = self.ex.fetch

        async def fetch(url: str, method: str = "GET", headers: Any = None,
                        body: Any = None) -> Any:
            self.urls.append(f"{method} {url.split('?')[0]}")
            return await original(url, method, headers, body)

        self.ex.fetch = fetch

    def paths(self) -> list[str]:
        return [re.sub(r"^(\w+) http://[^/]+", r"\1 ", u) for u in self.urls]


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(clock=SystemClock(), seed=13) as s:
        s.exchange.set_mark_price(SYMBOL, MARK)
        yield s


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[Recorded]:
    rec = Recorded(sim)
    try:
        yield rec
    finally:
        await rec.ex.close()
        assert all(u.split(" ", 1)[1].startswith(sim.rest_url) for u in rec.urls), rec.urls


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


async def test_ccxt_rest_calls_parse_and_match_engine_state(
    sim: Simulator, client: Recorded
) -> None:
    ex = client.ex
    await ex.load_markets()
    assert {MARKET, "ETH/USD:ETH"} <= set(ex.markets)
    market = ex.market(MARKET)
    assert (market["id"], market["inverse"], market["contractSize"]) == (SYMBOL, True, 100)

    state = sim.state(sim.account)
    balance = await ex.fetch_balance()
    for asset, b in state.balances.items():
        assert _d(balance[asset]["total"]) == b.margin_balance
        assert _d(balance[asset]["free"]) == b.available_balance

    assert await ex.fetch_positions() == []  # every row flat: ccxt drops them

    order = await ex.create_order(MARKET, "market", "buy", 3)
    assert order["status"] == "closed" and order["filled"] == 3
    assert order["symbol"] == MARKET and order["average"] == float(MARK)
    resting = await ex.create_order(MARKET, "limit", "buy", 2, 60000)
    assert resting["status"] == "open" and resting["price"] == 60000
    state = sim.state(sim.account)
    assert int(resting["id"]) in state.open_orders

    (position,) = await ex.fetch_positions([MARKET])
    p = state.positions[(SYMBOL, "BOTH")]
    assert position["contracts"] == float(p.position_amount) == 3
    assert position["side"] == "long" and position["marginMode"] == "cross"
    # ccxt computes inverse notional from notionalValue and maintenance from the brackets
    assert _d(position["notional"]) == p.notional_value
    # (ccxt keeps the unrounded notional × rate; the engine rounds to 8 places)
    assert _d(position["maintenanceMargin"]).quantize(Decimal("1E-8")) == p.maint_margin
    assert _d(position["maintenanceMarginPercentage"]) == Decimal("0.004")
    assert _d(position["entryPrice"]) == p.entry_price
    assert _d(position["unrealizedPnl"]) == p.unrealized_profit

    trades = await ex.fetch_my_trades(MARKET)
    assert [t["order"] for t in trades] == [order["id"]]
    (trade,) = trades
    assert trade["amount"] == 3 and trade["price"] == float(MARK)
    assert trade["side"] == "buy" and trade["takerOrMaker"] == "taker"
    assert _d(trade["fee"]["cost"]) == Decimal("0.00000231")  # 3*100/65000*0.0005

    ledger = await ex.fetch_ledger("BTC")
    assert [(e["type"], _d(e["amount"])) for e in ledger] == [
        ("commission", Decimal("0.00000231"))]
    assert ledger[0]["direction"] == "out" and ledger[0]["referenceId"] == trade["id"]

    called = client.paths()
    assert "GET /dapi/v2/leverageBracket" in called
    assert "GET /dapi/v1/positionRisk" in called
    assert "GET /dapi/v1/userTrades" in called and "GET /dapi/v1/income" in called


async def test_ccxt_pro_watches_orders_balance_and_positions(
    sim: Simulator, client: Recorded
) -> None:
    ex = client.ex
    await ex.load_markets()

    orders = asyncio.create_task(ex.watch_orders(MARKET))
    await until(lambda: sim.connections(sim.account) == 1, "ccxt's user data stream", WAIT_S)
    placed = await ex.create_order(MARKET, "limit", "buy", 1, 60000)
    (seen,) = await asyncio.wait_for(orders, WAIT_S)
    assert (seen["id"], seen["status"], seen["price"]) == (placed["id"], "open", 60000)

    # watch_positions first answers with its REST snapshot (leverageBracket, then
    # positionRisk: no position yet), then with each ACCOUNT_UPDATE.
    snapshot = await asyncio.wait_for(ex.watch_positions([MARKET]), WAIT_S)
    assert all(p["contracts"] == 0 for p in snapshot)
    balances = asyncio.create_task(ex.watch_balance())
    positions = asyncio.create_task(ex.watch_positions([MARKET]))
    await ex.create_order(MARKET, "market", "buy", 2)

    balance = await asyncio.wait_for(balances, WAIT_S)
    state = sim.state(sim.account)
    assert _d(balance["BTC"]["total"]) == state.balances["BTC"].wallet_balance
    (position,) = await asyncio.wait_for(positions, WAIT_S)
    p = state.positions[(SYMBOL, "BOTH")]
    assert (position["symbol"], position["side"], position["contracts"]) == (MARKET, "long", 2)
    assert _d(position["entryPrice"]) == p.entry_price
    assert _d(position["unrealizedPnl"]) == p.unrealized_profit

    positions = asyncio.create_task(ex.watch_positions([MARKET]))
    await ex.create_order(MARKET, "market", "sell", 2)
    (closed,) = await asyncio.wait_for(positions, WAIT_S)
    assert closed["contracts"] == 0
    assert "GET /dapi/v2/leverageBracket" in client.paths()
