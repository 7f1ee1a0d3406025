"""Account engine: leverage brackets (maxQty, -2027, maintenance margin) and the trade and
income history behind ``GET /dapi/v1/userTrades`` and ``GET /dapi/v1/income``."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal as D
from typing import Any

import pytest

from binance.derivatives.cmfutures.simulator.brackets import (
    UNBOUNDED_QTY,
    bracket_for,
    default_brackets,
    make_brackets,
)
from binance.derivatives.cmfutures.simulator.engine import EngineOptions, Exchange, SimError

T0 = 1767225600000
DAY = 86_400_000
BTC = "BTCUSD_PERP"
ETH = "ETHUSD_PERP"


class Clocked:
    def __init__(self, **options: Any) -> None:
        self.now = T0
        self.ex = Exchange(lambda: self.now, random.Random(3), EngineOptions(**options))
        self.ex.add_account("k", balances={"BTC": D("100"), "ETH": D("1000")})
        self.ex.set_mark_price(BTC, D("65000"))

    def order(self, side: str, qty: int, symbol: str = BTC, **extra: str) -> dict[str, Any]:
        return self.ex.new_order("k", {"symbol": symbol, "side": side, "type": "MARKET",
                                       "quantity": str(qty), **extra})

    def leverage(self, lev: int, symbol: str = BTC) -> dict[str, Any]:
        return self.ex.change_leverage("k", {"symbol": symbol, "leverage": str(lev)})

    def risk(self, symbol: str = BTC) -> dict[str, Any]:
        (row,) = [r for r in self.ex.position_risk("k", {}) if r["symbol"] == symbol]
        return row


@pytest.fixture
def c() -> Clocked:
    return Clocked()


def _code(err: pytest.ExceptionInfo[SimError]) -> int:
    return err.value.code


# ---------------------------------------------------------------------------- brackets


def test_bracket_tables_follow_binances_cum_formula() -> None:
    btc = default_brackets()["BTCUSD"]
    assert [(b.initial_leverage, b.qty_floor, b.qty_cap) for b in btc[:4]] == [
        (125, 0, 5), (100, 5, 10), (50, 10, 20), (20, 20, 50)]
    assert btc[-1].qty_cap == UNBOUNDED_QTY
    for prev, b in itertools.pairwise(btc):
        assert b.cum == prev.cum + b.qty_floor * (b.maint_margin_ratio - prev.maint_margin_ratio)
        # continuity: both brackets give the same maintenance margin at the boundary
        assert b.qty_floor * prev.maint_margin_ratio - prev.cum == (
            b.qty_floor * b.maint_margin_ratio - b.cum)
    eth = default_brackets()["ETHUSD"]
    assert [str(b.cum) for b in eth[:3]] == ["0", "0.1500", "1.9000"]  # live ETHUSD: 0.15, 1.9
    assert bracket_for(btc, D("4.99")).bracket == 1 and bracket_for(btc, D(5)).bracket == 2
    with pytest.raises(ValueError):
        make_brackets([(20, 5, "0.01")])
    with pytest.raises(ValueError):
        make_brackets([(20, 0, "0.01"), (50, 10, "0.02")])
    with pytest.raises(ValueError, match="exponent"):
        make_brackets([(20, 0, "0.00001")])


@pytest.mark.parametrize(("lev", "max_qty"), [
    (125, "5"), (101, "5"), (100, "10"), (50, "20"), (21, "20"), (20, "50"), (10, "100"),
    (5, "200"), (4, "400"), (3, "1000"), (2, "1500"), (1, str(UNBOUNDED_QTY)),
])
def test_max_qty_is_base_asset_by_leverage(c: Clocked, lev: int, max_qty: str) -> None:
    # Binance's FAQ (BTCUSD perpetual: max position 5/10/20/50/100/200/400/1000 BTC) and live
    # captures: "200" at 5x (ccxt #9500), "100" at 10x, "1500" at 2x (ccxt samples)
    assert c.leverage(lev)["maxQty"] == max_qty
    assert c.risk()["maxQty"] == max_qty
    (row,) = [p for p in c.ex.account("k")["positions"] if p["symbol"] == BTC]
    assert row["maxQty"] == max_qty


def test_eth_max_qty(c: Clocked) -> None:
    # Binance's FAQ "Leverage and Margin in Coin-Margined Futures Contracts", ETHUSD table
    assert c.risk(ETH)["maxQty"] == "2000"  # default 20x
    faq = {100: "100", 75: "500", 50: "1000", 20: "2000", 10: "4000", 5: "6000",
           4: "8000", 3: "10000", 2: str(UNBOUNDED_QTY), 1: str(UNBOUNDED_QTY)}
    for lev, cap in faq.items():
        assert c.leverage(lev, ETH)["maxQty"] == cap


def test_order_above_max_qty_is_rejected_with_2027(c: Clocked) -> None:
    c.leverage(50)  # maxQty 20 BTC = 13000 contracts at 65000
    c.order("BUY", 12000)
    with pytest.raises(SimError) as err:
        c.order("BUY", 1001)
    assert _code(err) == -2027
    assert err.value.msg == "Exceeded the maximum allowable position at current leverage."
    c.order("BUY", 1000)  # exactly 20 BTC: allowed
    assert c.ex.state("k").positions[(BTC, "BOTH")].position_amount == 13000
    # a reducing order is never refused, a reversing one only for what it opens
    c.order("SELL", 26000)
    with pytest.raises(SimError) as err:
        c.order("SELL", 1)
    assert _code(err) == -2027


def test_open_orders_count_towards_max_qty(c: Clocked) -> None:
    c.leverage(50)
    c.ex.new_order("k", {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "12000",
                         "price": "60000", "timeInForce": "GTC"})
    with pytest.raises(SimError) as err:
        c.order("BUY", 1001)
    assert _code(err) == -2027
    c.order("SELL", 1001)  # the other side is not counted
    oid = next(iter(c.ex.state("k").open_orders))
    with pytest.raises(SimError) as err:
        c.ex.modify_order("k", {"symbol": BTC, "side": "BUY", "orderId": str(oid),
                                "quantity": "14000", "price": "60000"})
    assert _code(err) == -2027
    c.ex.modify_order("k", {"symbol": BTC, "side": "BUY", "orderId": str(oid),
                            "quantity": "13000", "price": "60000"})


def test_raising_leverage_above_the_positions_bracket_is_rejected(c: Clocked) -> None:
    c.order("BUY", 26000)  # 40 BTC at 20x (maxQty 50)
    with pytest.raises(SimError) as err:
        c.leverage(21)  # maxQty 20 < 40
    assert _code(err) == -2027
    assert c.ex.state("k").leverage[BTC] == 20
    c.leverage(10)  # lowering is always allowed here (cross)
    c.leverage(20)
    c.order("SELL", 26000)
    assert c.leverage(125)["leverage"] == 125


def test_maintenance_margin_uses_the_bracket(c: Clocked) -> None:
    c.order("BUY", 26000)  # 40 BTC notional: bracket 4 (0.025, cum 0.355)
    state = c.ex.state("k")
    pos = state.positions[(BTC, "BOTH")]
    assert pos.notional_value == 40
    assert pos.maint_margin == D("40") * D("0.025") - D("0.355")
    assert state.balances["BTC"].maint_margin == pos.maint_margin
    flat = Clocked(maint_margin_rate=D("0.004"))  # the old flat rate is still an option
    flat.order("BUY", 26000)
    assert flat.ex.state("k").positions[(BTC, "BOTH")].maint_margin == D("0.16")


def test_custom_bracket_table(c: Clocked) -> None:
    table = make_brackets([(125, 0, "0.01"), (10, 1, "0.1")])
    ex = Clocked(leverage_brackets={"BTCUSD": table})
    assert ex.leverage(11)["maxQty"] == "1"
    with pytest.raises(ValueError, match="must allow 125x"):
        Clocked(leverage_brackets={"BTCUSD": make_brackets([(50, 0, "0.01")])})


def test_bracket_endpoints(c: Clocked) -> None:
    v2 = c.ex.leverage_brackets("k", {})
    assert [e["symbol"] for e in v2] == c.ex.symbols()
    first = v2[0]["brackets"][0]
    assert first == {"bracket": 1, "initialLeverage": 125, "qtyCap": 5, "qtyFloor": 0,
                     "maintMarginRatio": 0.004, "cum": 0.0}
    assert [e["pair"] for e in c.ex.leverage_brackets_by_pair("k", {})] == ["BTCUSD", "ETHUSD"]
    with pytest.raises(SimError) as err:
        c.ex.leverage_brackets_by_pair("k", {"pair": "XRPUSD"})
    assert _code(err) == -4087
    doc = Clocked(bracket_floor_key="qtylFloor")
    assert "qtylFloor" in doc.ex.leverage_brackets("k", {"symbol": BTC})[0]["brackets"][0]


# ---------------------------------------------------------------------------- userTrades


def test_user_trades_rows_match_the_fills(c: Clocked) -> None:
    c.order("BUY", 3)
    c.now += 1000
    c.ex.set_mark_price(BTC, D("66000"))
    sell = c.order("SELL", 2)
    rows = c.ex.user_trades("k", {"symbol": BTC})
    assert [r["side"] for r in rows] == ["BUY", "SELL"]
    buy_row, sell_row = rows
    assert list(buy_row) == ["symbol", "id", "orderId", "pair", "side", "price", "qty",
                             "realizedPnl", "marginAsset", "baseQty", "commission",
                             "commissionAsset", "time", "positionSide", "buyer", "maker"]
    assert buy_row == {
        "symbol": BTC, "id": buy_row["id"], "orderId": buy_row["orderId"], "pair": "BTCUSD",
        "side": "BUY", "price": "65000", "qty": "3", "realizedPnl": "0",
        "marginAsset": "BTC", "baseQty": "0.00461538", "commission": "0.00000231",
        "commissionAsset": "BTC", "time": T0, "positionSide": "BOTH", "buyer": True,
        "maker": False}
    assert sell_row["id"] == buy_row["id"] + 1 and sell_row["orderId"] == sell["orderId"]
    # 2 * 100 * (1/65000 - 1/66000) = 0.0000466200...
    assert sell_row["realizedPnl"] == "0.00004662" and sell_row["buyer"] is False
    state = c.ex.state("k")
    assert state.positions[(BTC, "BOTH")].accumulated_realized == D("0.00004662")


def test_user_trades_parameters(c: Clocked) -> None:
    for i in range(5):
        c.now = T0 + i * DAY
        c.order("BUY", 1)
    c.order("BUY", 1, symbol=ETH)
    ids = [r["id"] for r in c.ex.user_trades("k", {"symbol": BTC})]
    assert len(ids) == 5
    assert len(c.ex.user_trades("k", {"pair": "BTCUSD"})) == 5
    assert [r["symbol"] for r in c.ex.user_trades("k", {"pair": "ETHUSD"})] == [ETH]
    assert [r["id"] for r in c.ex.user_trades("k", {"symbol": BTC, "fromId": str(ids[2])})] \
        == ids[2:]
    assert [r["id"] for r in c.ex.user_trades("k", {"symbol": BTC, "limit": "2"})] == ids[3:]
    assert [r["id"] for r in c.ex.user_trades(
        "k", {"symbol": BTC, "startTime": str(T0 + DAY), "limit": "2"})] == ids[1:3]
    assert [r["id"] for r in c.ex.user_trades(
        "k", {"symbol": BTC, "startTime": str(T0 + DAY), "endTime": str(T0 + 2 * DAY)})] \
        == ids[1:3]
    oid = c.ex.user_trades("k", {"symbol": BTC})[0]["orderId"]
    assert [r["orderId"] for r in c.ex.user_trades(
        "k", {"symbol": BTC, "orderId": str(oid)})] == [oid]
    c.now = T0 + 20 * DAY  # default window: the last 7 days
    assert c.ex.user_trades("k", {"symbol": BTC}) == []


@pytest.mark.parametrize(("params", "code"), [
    ({}, -1102),
    ({"symbol": BTC, "pair": "BTCUSD"}, -1128),
    ({"pair": "BTCUSD", "fromId": "1"}, -1128),
    ({"pair": "BTCUSD", "orderId": "1"}, -1128),
    ({"symbol": BTC, "fromId": "1", "startTime": "1"}, -1128),
    ({"symbol": BTC, "startTime": str(T0), "endTime": str(T0 + 8 * DAY)}, -1127),
    ({"symbol": BTC, "limit": "1001"}, -1130),
    ({"symbol": BTC, "limit": "x"}, -1100),
    ({"symbol": "NOPE"}, -1121),
    ({"pair": "NOPE"}, -4087),
])
def test_user_trades_errors(c: Clocked, params: dict[str, str], code: int) -> None:
    with pytest.raises(SimError) as err:
        c.ex.user_trades("k", params)
    assert _code(err) == code


# ---------------------------------------------------------------------------- income


def test_income_is_consistent_with_fills_funding_and_transfers(c: Clocked) -> None:
    start = c.ex.state("k").balances["BTC"].wallet_balance
    c.order("BUY", 3)
    c.now += 1
    c.ex.apply_funding(BTC, D("0.0001"))
    c.now += 1
    c.ex.set_mark_price(BTC, D("66000"))
    c.order("SELL", 3)
    c.now += 1
    c.ex.deposit("k", "BTC", D("0.5"))
    c.ex.deposit("k", "BTC", D("-0.25"))
    rows = c.ex.income("k", {})
    kinds = [(r["incomeType"], r["symbol"]) for r in rows]
    assert kinds == [("COMMISSION", BTC), ("FUNDING_FEE", BTC), ("REALIZED_PNL", BTC),
                     ("COMMISSION", BTC), ("TRANSFER", ""), ("TRANSFER", "")]
    assert [r["info"] for r in rows[-2:]] == ["DEPOSIT", "WITHDRAW"]
    assert rows[-1]["income"] == "-0.25000000" and rows[1]["income"] == "-0.00000046"
    trades = c.ex.user_trades("k", {"symbol": BTC})
    assert rows[0]["tradeId"] == str(trades[0]["id"]) and rows[1]["tradeId"] == ""
    assert rows[2]["income"] == f"{D(trades[1]['realizedPnl']):.8f}"
    assert len({r["tranId"] for r in rows}) == len(rows)
    # every wallet change is an income row
    end = c.ex.state("k").balances["BTC"].wallet_balance
    assert sum(D(r["income"]) for r in rows) == end - start
    assert [r["incomeType"] for r in c.ex.income("k", {"incomeType": "TRANSFER"})] == [
        "TRANSFER", "TRANSFER"]
    assert len(c.ex.income("k", {"limit": "2"})) == 2
    assert c.ex.income("k", {"startTime": str(T0 + 3)}) == rows[-2:]
    assert c.ex.income("k", {"symbol": ETH}) == []
    with pytest.raises(SimError) as err:
        c.ex.income("k", {"incomeType": "BONUS"})
    assert _code(err) == -1130


def test_history_is_bounded() -> None:
    c = Clocked(history_limit=3)
    for _ in range(5):
        c.order("BUY", 1)
    assert len(c.ex.user_trades("k", {"symbol": BTC, "limit": "1000"})) == 3
    assert len(c.ex.income("k", {"limit": "1000"})) == 3
