"""Account engine: fills, PnL, fees, order lifecycles, hedge mode, margin calls, errors."""

from __future__ import annotations

import random
from decimal import Decimal as D
from typing import Any

import pytest

from binance.derivatives.cmfutures.events import (
    AccountConfigUpdate,
    AccountUpdate,
    MarginCall,
    OrderTradeUpdate,
    UserDataEvent,
)
from binance.derivatives.cmfutures.simulator.engine import (
    EngineOptions,
    Exchange,
    SimError,
)

T0 = 1767225600000
BTC = "BTCUSD_PERP"
ETH = "ETHUSD_PERP"


class Harness:
    def __init__(self, **options: Any) -> None:
        self.now = T0
        self.events: list[tuple[str, UserDataEvent]] = []
        self.ex = Exchange(lambda: self.now, random.Random(7), EngineOptions(**options))
        self.ex.on_event = lambda key, ev: self.events.append((key, ev))

    def take(self) -> list[UserDataEvent]:
        out = [ev for _, ev in self.events]
        self.events.clear()
        return out

    def order(self, key: str = "k", **params: str) -> dict[str, Any]:
        return self.ex.new_order(key, params)


def market(side: str, qty: int, symbol: str = BTC, **extra: str) -> dict[str, str]:
    return {"symbol": symbol, "side": side, "type": "MARKET", "quantity": str(qty), **extra}


def limit(side: str, qty: int, price: str, tif: str = "GTC", symbol: str = BTC,
          **extra: str) -> dict[str, str]:
    return {"symbol": symbol, "side": side, "type": "LIMIT", "quantity": str(qty),
            "price": price, "timeInForce": tif, **extra}


def otus(events: list[UserDataEvent]) -> list[OrderTradeUpdate]:
    return [e for e in events if isinstance(e, OrderTradeUpdate)]


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    harness.ex.add_account("k", balances={"BTC": D("1"), "ETH": D("10")}, alias="oPfT")
    return harness


# ---------------------------------------------------------------------------- math


def test_market_buy_then_maker_sell_hand_computed(h: Harness) -> None:
    h.ex.new_order("k", market("BUY", 3))
    ev = h.take()
    assert [type(e).__name__ for e in ev] == [
        "OrderTradeUpdate", "OrderTradeUpdate", "AccountUpdate"]
    trade = ev[1]
    assert isinstance(trade, OrderTradeUpdate)
    o = trade.order
    # 3 * 100 / 65000 = 0.004615384615... coin; taker 0.0005 -> 0.00000230769 -> 0.00000231
    assert (o.execution_type, o.order_status, o.last_filled_price) == ("TRADE", "FILLED", D(65000))
    assert o.commission == D("0.00000231") and o.commission_asset == "BTC"
    assert o.is_maker is False and o.realized_profit == 0 and o.trade_id > 0
    au = ev[2]
    assert isinstance(au, AccountUpdate)
    assert au.data.reason == "ORDER"
    assert au.data.balances[0].wallet_balance == D("0.99999769")
    assert au.data.balances[0].balance_change == 0
    p = au.data.positions[0]
    assert (p.position_amount, p.entry_price) == (D(3), D(65000))
    # 65000 * 1.0005 / 0.9995
    assert p.break_even_price == D("65065.03251626")

    h.ex.new_order("k", limit("SELL", 2, "66000"))
    assert [e.order.execution_type for e in otus(h.take())] == ["NEW"]
    h.ex.set_mark_price(BTC, D("66100"))
    ev = h.take()
    o = otus(ev)[0].order
    # realized: 200 * (1/65000 - 1/66000) = 0.0000466200466 -> 0.00004662
    # maker fee: 200 / 66000 * 0.0002 = 0.000000606 -> 0.00000061
    assert (o.last_filled_price, o.is_maker, o.order_status) == (D(66000), True, "FILLED")
    assert o.realized_profit == D("0.00004662") and o.commission == D("0.00000061")
    au = ev[1]
    assert isinstance(au, AccountUpdate)
    assert au.data.balances[0].wallet_balance == D("1.0000437")
    p = au.data.positions[0]
    assert (p.position_amount, p.entry_price, p.accumulated_realized) == (
        D(1), D(65000), D("0.00004662"))
    # up at 66100: 100 * (1/65000 - 1/66100) = 0.0000256022 -> 0.0000256
    assert p.unrealized_pnl == D("0.0000256")

    st = h.ex.state("k")
    assert st.balances["BTC"].wallet_balance == D("1.0000437")
    assert st.positions[(BTC, "BOTH")].unrealized_profit == D("0.0000256")
    assert st.open_orders == {}


def test_entry_price_is_harmonic_mean(h: Harness) -> None:
    h.ex.set_mark_price(BTC, D("60000"))
    h.ex.new_order("k", market("BUY", 1))
    h.ex.set_mark_price(BTC, D("40000"))
    h.ex.new_order("k", market("BUY", 1))
    # 2 / (1/60000 + 1/40000) = 48000
    assert h.ex.state("k").positions[(BTC, "BOTH")].entry_price == D(48000)


def test_short_pnl_and_flip_in_one_way_mode(h: Harness) -> None:
    h.ex.new_order("k", market("SELL", 2, ETH))           # short 2 @ 3000
    h.ex.set_mark_price(ETH, D("2500"))
    h.take()
    h.ex.new_order("k", market("BUY", 5, ETH))            # close 2, open long 3 @ 2500
    o = otus(h.take())[1].order
    # short realized: 2 * 10 * (1/2500 - 1/3000) = 0.00133333.. -> 0.00133333
    assert o.realized_profit == D("0.00133333")
    pos = h.ex.state("k").positions[(ETH, "BOTH")]
    assert (pos.position_amount, pos.entry_price) == (D(3), D(2500))
    assert pos.accumulated_realized == D("0.00133333")
    # fees: 20/3000*0.0005 = 0.00000333; 50/2500*0.0005 = 0.00001
    assert h.ex.state("k").balances["ETH"].wallet_balance == (
        D(10) - D("0.00000333") + D("0.00133333") - D("0.00001"))


def test_short_break_even_below_entry(h: Harness) -> None:
    h.ex.new_order("k", market("SELL", 1))
    bep = h.ex.state("k").positions[(BTC, "BOTH")].break_even_price
    assert bep == D("64935.03248376")   # 65000 * 0.9995 / 1.0005 = 64967.5 / 1.0005


def test_funding_cross_and_withdraw(h: Harness) -> None:
    h.ex.new_order("k", market("BUY", 10))
    h.take()
    h.ex.apply_funding(BTC, D("0.0001"))
    (au,) = h.take()
    assert isinstance(au, AccountUpdate)
    assert au.data.reason == "FUNDING_FEE" and au.data.symbol == BTC
    assert au.data.positions == ()
    # -0.0001 * 10 * 100 / 65000 = -0.0000015384 -> -0.00000154
    assert au.data.balances[0].balance_change == D("-0.00000154")
    h.ex.deposit("k", "BTC", D("-0.5"))
    (au,) = h.take()
    assert isinstance(au, AccountUpdate)
    assert au.data.reason == "WITHDRAW" and au.data.balances[0].balance_change == D("-0.5")
    with pytest.raises(ValueError, match="max withdraw"):
        h.ex.deposit("k", "BTC", D("-5"))


def test_funding_symbol_field_switch() -> None:
    h = Harness(funding_symbol_field=False)
    h.ex.add_account("k")
    h.ex.new_order("k", market("SELL", 1))
    h.take()
    h.ex.apply_funding(BTC, D("0.0001"))
    (au,) = h.take()
    assert isinstance(au, AccountUpdate)
    change = au.data.balances[0].balance_change
    assert au.data.symbol is None and change is not None and change > 0


def test_isolated_margin_wallet_and_funding(h: Harness) -> None:
    h.ex.change_margin_type("k", BTC, True)
    (au,) = h.take()
    assert isinstance(au, AccountUpdate) and au.data.reason == "MARGIN_TYPE_CHANGE"
    assert {p.margin_type for p in au.data.positions} == {"isolated"}
    h.ex.change_leverage("k", {"symbol": BTC, "leverage": "10"})
    h.ex.new_order("k", market("BUY", 10))
    au = h.take()[-1]
    assert isinstance(au, AccountUpdate)
    p = au.data.positions[0]
    # 10 * 100 / 65000 / 10 = 0.00153846
    assert p.margin_type == "isolated" and p.isolated_wallet == D("0.00153846")
    b = au.data.balances[0]
    assert b.cross_wallet_balance == b.wallet_balance - D("0.00153846")
    h.ex.apply_funding(BTC, D("0.0001"))
    (au,) = h.take()
    assert isinstance(au, AccountUpdate)
    assert au.data.positions[0].isolated_wallet == D("0.00153846") - D("0.00000154")
    h.ex.new_order("k", market("SELL", 10))
    au = h.take()[-1]
    assert isinstance(au, AccountUpdate)
    assert au.data.positions[0].isolated_wallet == 0
    assert au.data.balances[0].cross_wallet_balance == au.data.balances[0].wallet_balance
    with pytest.raises(SimError) as err:
        h.ex.change_margin_type("k", BTC, True)
    assert err.value.code == -4046


def test_leverage_change_event_and_response(h: Harness) -> None:
    resp = h.ex.change_leverage("k", {"symbol": BTC, "leverage": "50"})
    assert resp["leverage"] == 50 and resp["symbol"] == BTC and isinstance(resp["maxQty"], str)
    (ev,) = h.take()
    assert isinstance(ev, AccountConfigUpdate)
    assert ev.leverage is not None and (ev.leverage.symbol, ev.leverage.leverage) == (BTC, 50)
    assert h.ex.state("k").leverage[BTC] == 50
    assert h.ex.position_risk("k", {})[0]["leverage"] == "50"


# ---------------------------------------------------------------------------- lifecycles


def test_partial_fills_gtc_taker_then_maker() -> None:
    h = Harness(partial_fill_contracts=2)
    h.ex.add_account("k")
    h.ex.new_order("k", limit("BUY", 5, "65100"))          # crosses mark 65000
    ev = otus(h.take())
    assert [(e.order.execution_type, e.order.order_status) for e in ev] == [
        ("NEW", "NEW"), ("TRADE", "PARTIALLY_FILLED")]
    assert ev[1].order.last_filled_price == D(65000) and ev[1].order.is_maker is False
    h.ex.set_mark_price(BTC, D("65050"))
    h.ex.set_mark_price(BTC, D("65040"))
    ev = otus(h.take())
    assert [(e.order.order_status, e.order.cumulative_filled_quantity) for e in ev] == [
        ("PARTIALLY_FILLED", D(4)), ("FILLED", D(5))]
    assert all(e.order.is_maker and e.order.last_filled_price == D(65100) for e in ev)
    # harmonic average of 2 @ 65000 and 3 @ 65100
    assert ev[-1].order.average_price == D(
        (D(5) / (D(2) / 65000 + D(3) / 65100)).quantize(D("1E-8")))
    assert h.ex.state("k").open_orders == {}


def test_ioc_remainder_expires_with_reason_2() -> None:
    h = Harness(partial_fill_contracts=2)
    h.ex.add_account("k")
    resp = h.ex.new_order("k", limit("SELL", 5, "64000", "IOC", newOrderRespType="RESULT"))
    assert resp["status"] == "EXPIRED" and resp["executedQty"] == "2"
    ev = otus(h.take())
    assert [(e.order.execution_type, e.order.expiry_reason) for e in ev] == [
        ("NEW", "0"), ("TRADE", "0"), ("EXPIRED", "2")]
    assert ev[-1].order.trade_id == 0 and ev[-1].order.commission is None


def test_fok_not_fillable_expires_with_reason_10() -> None:
    h = Harness(partial_fill_contracts=2)
    h.ex.add_account("k")
    h.ex.new_order("k", limit("BUY", 5, "66000", "FOK"))
    ev = otus(h.take())
    assert [(e.order.execution_type, e.order.order_status, e.order.expiry_reason)
            for e in ev] == [("NEW", "NEW", "0"), ("EXPIRED", "EXPIRED", "10")]
    assert h.ex.state("k").positions[(BTC, "BOTH")].position_amount == 0


def test_non_crossing_ioc_expires_and_gtc_rests(h: Harness) -> None:
    h.ex.new_order("k", limit("BUY", 1, "60000", "IOC"))
    assert [e.order.execution_type for e in otus(h.take())] == ["NEW", "EXPIRED"]
    resp = h.ex.new_order("k", limit("BUY", 1, "60000", "GTC", newClientOrderId="mine-1"))
    assert resp["status"] == "NEW" and resp["clientOrderId"] == "mine-1"
    st = h.ex.state("k")
    (order,) = st.open_orders.values()
    assert (order.client_order_id, order.price, order.status) == ("mine-1", D(60000), "NEW")
    assert st.balances["BTC"].open_order_initial_margin == D("0.00008333")  # 100/60000/20


def test_gtx_that_would_cross_is_rejected(h: Harness) -> None:
    with pytest.raises(SimError) as err:
        h.ex.new_order("k", limit("BUY", 1, "65000", "GTX"))
    assert err.value.code == -5022
    assert h.take() == []
    h.ex.new_order("k", limit("BUY", 1, "64000", "GTX"))
    assert len(h.ex.state("k").open_orders) == 1


def test_ack_vs_result_response(h: Harness) -> None:
    ack = h.ex.new_order("k", market("BUY", 1))
    # a zero avgPrice at the symbol's price precision, as Binance writes it
    assert (ack["status"], ack["executedQty"], ack["avgPrice"]) == ("NEW", "0", "0.0")
    assert ack["cumBase"] == "0"
    res = h.ex.new_order("k", market("BUY", 1, newOrderRespType="RESULT"))
    assert (res["status"], res["executedQty"], res["avgPrice"]) == ("FILLED", "1", "65000")
    assert res["cumBase"] == "0.00153846"


def test_cancel_by_id_and_client_id(h: Harness) -> None:
    a = h.ex.new_order("k", limit("BUY", 1, "60000", newClientOrderId="a"))
    h.ex.new_order("k", limit("BUY", 1, "60000", newClientOrderId="b"))
    h.take()
    r = h.ex.cancel_order("k", {"symbol": BTC, "orderId": str(a["orderId"])})
    assert r["status"] == "CANCELED"
    r = h.ex.cancel_order("k", {"symbol": BTC, "origClientOrderId": "b"})
    assert r["clientOrderId"] == "b"
    ev = otus(h.take())
    assert [(e.order.execution_type, e.order.order_status) for e in ev] == [
        ("CANCELED", "CANCELED")] * 2
    with pytest.raises(SimError) as err:
        h.ex.cancel_order("k", {"symbol": BTC, "orderId": str(a["orderId"])})
    assert err.value.code == -2011


def test_reduce_only_market_caps_at_position_and_expires_rest(h: Harness) -> None:
    h.ex.new_order("k", market("BUY", 2))
    h.take()
    with pytest.raises(SimError) as err:
        h.ex.new_order("k", market("BUY", 1, reduceOnly="true"))
    assert err.value.code == -2022
    h.ex.new_order("k", market("SELL", 5, reduceOnly="true"))
    ev = otus(h.take())
    assert [(e.order.execution_type, e.order.last_filled_quantity) for e in ev] == [
        ("NEW", D(0)), ("TRADE", D(2)), ("EXPIRED", D(0))]
    assert ev[-1].order.expiry_reason == "9" and ev[0].order.is_reduce_only is True
    assert h.ex.state("k").positions[(BTC, "BOTH")].position_amount == 0


# ---------------------------------------------------------------------------- hedge mode


def test_hedge_mode_long_and_short_legs() -> None:
    h = Harness()
    h.ex.add_account("k", hedge_mode=True)
    with pytest.raises(SimError) as err:
        h.ex.new_order("k", market("BUY", 1))
    assert err.value.code == -4061
    with pytest.raises(SimError) as err:
        h.ex.new_order("k", market("SELL", 1, positionSide="LONG", reduceOnly="true"))
    assert err.value.code == -1106
    h.ex.new_order("k", market("BUY", 2, positionSide="LONG"))
    h.ex.new_order("k", market("SELL", 3, positionSide="SHORT"))
    with pytest.raises(SimError) as err:
        h.ex.new_order("k", market("SELL", 5, positionSide="LONG"))
    assert err.value.code == -2022
    h.take()
    h.ex.new_order("k", market("SELL", 1, positionSide="LONG"))
    ev = h.take()
    trade = otus(ev)[1].order
    assert trade.position_side == "LONG" and trade.is_reduce_only is False
    st = h.ex.state("k")
    assert st.positions[(BTC, "LONG")].position_amount == 1
    assert st.positions[(BTC, "SHORT")].position_amount == -3
    assert st.positions[(BTC, "BOTH")].position_amount == 0
    sides = {(r["symbol"], r["positionSide"]) for r in h.ex.account("k")["positions"]}
    assert {s for _, s in sides} == {"BOTH", "LONG", "SHORT"}
    with pytest.raises(SimError) as err:
        h.ex.change_position_mode("k", False)
    assert err.value.code == -4068


def test_position_mode_switch(h: Harness) -> None:
    with pytest.raises(SimError) as err:
        h.ex.change_position_mode("k", False)
    assert err.value.code == -4059
    h.ex.change_position_mode("k", True)
    assert (BTC, "LONG") in h.ex.state("k").positions and h.ex.state("k").hedge_mode


# ---------------------------------------------------------------------------- margin call


def test_margin_call_once_per_crossing() -> None:
    h = Harness()
    h.ex.add_account("k", balances={"BTC": D("0.001")})
    h.ex.new_order("k", market("BUY", 10))
    h.take()
    h.ex.set_mark_price(BTC, D("60000"))
    (mc,) = h.take()
    assert isinstance(mc, MarginCall)
    assert mc.cross_wallet_balance == h.ex.state("k").balances["BTC"].cross_wallet_balance
    (row,) = mc.positions
    assert (row.symbol, row.position_side, row.position_amount, row.margin_type) == (
        BTC, "BOTH", D(10), "CROSSED")
    assert row.mark_price == D(60000)
    # 10 * 100 / 60000 * 0.004 = 0.0000666.. -> 0.00006667
    assert row.maintenance_margin == D("0.00006667")
    assert row.unrealized_pnl == h.ex.state("k").positions[(BTC, "BOTH")].unrealized_profit
    h.ex.set_mark_price(BTC, D("59000"))
    assert h.take() == []                      # still beyond: no second call
    h.ex.set_mark_price(BTC, D("65000"))
    assert h.take() == []                      # recovered: re-armed
    h.ex.set_mark_price(BTC, D("60000"))
    assert [type(e) for e in h.take()] == [MarginCall]


def test_isolated_margin_call_has_no_cw() -> None:
    h = Harness()
    h.ex.add_account("k", balances={"BTC": D("1")})
    h.ex.change_margin_type("k", BTC, True)
    h.ex.change_leverage("k", {"symbol": BTC, "leverage": "100"})
    h.ex.new_order("k", market("BUY", 10))
    h.take()
    h.ex.set_mark_price(BTC, D("64500"))
    (mc,) = h.take()
    assert isinstance(mc, MarginCall)
    assert mc.cross_wallet_balance is None
    assert mc.positions[0].margin_type == "ISOLATED"
    assert mc.positions[0].isolated_wallet == D("0.00015385")


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"side": "BUY", "type": "MARKET", "quantity": "1"}, -1102),
        ({"symbol": "XRPUSD_PERP", "side": "BUY", "type": "MARKET", "quantity": "1"}, -1121),
        (market("HOLD", 1), -1117),
        ({**market("BUY", 1), "type": "ICEBERG"}, -1116),
        ({**market("BUY", 1), "type": "STOP_MARKET"}, -4120),
        ({"symbol": BTC, "side": "BUY", "type": "MARKET"}, -1102),
        (market("BUY", 0), -4003),
        ({**market("BUY", 1), "quantity": "1.5"}, -1111),
        ({**market("BUY", 1), "quantity": "abc"}, -1100),
        ({**market("BUY", 1), "price": "65000"}, -1106),
        ({k: v for k, v in limit("BUY", 1, "60000").items() if k != "timeInForce"}, -1102),
        (limit("BUY", 1, "60000", "GTD"), -1115),
        (limit("BUY", 1, "60000.05"), -4014),
        (limit("BUY", 1, "-1"), -4001),
        ({**market("BUY", 1), "positionSide": "UP"}, -4060),
        ({**market("BUY", 1), "positionSide": "LONG"}, -4061),
        ({**market("BUY", 1), "reduceOnly": "maybe"}, -1130),
        ({**market("BUY", 1), "newClientOrderId": "bad id!"}, -4015),
        (market("BUY", 30000), -2019),  # 46 BTC: under maxQty (50 at 20x), over margin
        (market("BUY", 40000), -2027),  # 61.5 BTC > maxQty 50 at 20x
    ],
)
def test_new_order_errors(h: Harness, params: dict[str, str], code: int) -> None:
    with pytest.raises(SimError) as err:
        h.ex.new_order("k", params)
    assert err.value.code == code
    assert err.value.status == 400
    assert err.value.body() == {"code": code, "msg": err.value.msg}
    assert h.take() == []


def test_other_errors(h: Harness) -> None:
    with pytest.raises(SimError) as err:
        h.ex.account("nobody")
    assert (err.value.status, err.value.code) == (401, -2015)
    h.ex.new_order("k", limit("BUY", 1, "60000", newClientOrderId="dup"))
    with pytest.raises(SimError) as err:
        h.ex.new_order("k", limit("BUY", 1, "60000", newClientOrderId="dup"))
    assert err.value.code == -4116
    cases: list[tuple[dict[str, str], int]] = [
        ({"symbol": BTC}, -1102),
        ({"symbol": BTC, "orderId": "x"}, -1100),
        ({"symbol": BTC, "orderId": "1"}, -2011),
        ({"symbol": ETH, "origClientOrderId": "dup"}, -2011),
    ]
    for params, code in cases:
        with pytest.raises(SimError) as err:
            h.ex.cancel_order("k", params)
        assert err.value.code == code, params
    for params, code in [({"symbol": BTC, "leverage": "0"}, -4028),
                         ({"symbol": BTC, "leverage": "200"}, -4028),
                         ({"symbol": BTC}, -1102), ({"symbol": "NOPE", "leverage": "2"}, -1121)]:
        with pytest.raises(SimError) as err:
            h.ex.change_leverage("k", params)
        assert err.value.code == code, params
    with pytest.raises(SimError) as err:
        h.ex.open_orders("k", {"symbol": "NOPE"})
    assert err.value.code == -1121
    with pytest.raises(SimError) as err:
        h.ex.change_margin_type("k", BTC, True)
    assert err.value.code == -4047


def test_control_api_errors(h: Harness) -> None:
    with pytest.raises(ValueError, match="unknown symbol"):
        h.ex.set_mark_price("NOPE", D(1))
    with pytest.raises(ValueError, match="positive"):
        h.ex.set_mark_price(BTC, D(0))
    with pytest.raises(ValueError, match="must be a Decimal"):
        h.ex.set_mark_price(BTC, 65000.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be a Decimal"):
        h.ex.apply_funding(BTC, 0.0001)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="already exists"):
        h.ex.add_account("k")
    with pytest.raises(ValueError, match="4 letters"):
        h.ex.add_account("k2", alias="ab1")
    with pytest.raises(ValueError, match="Decimal"):
        h.ex.add_account("k3", balances={"BTC": 1.5})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        EngineOptions(account_update_positions="some")  # type: ignore[arg-type]
    assert "secret-key-value" not in repr(h.ex.add_account("secret-key-value"))
    assert h.ex.has_account("k") and not h.ex.has_account("zz")


def test_determinism_same_seed_same_events() -> None:
    def run() -> list[bytes]:
        from binance.derivatives.cmfutures.events import encode_event

        h = Harness(partial_fill_contracts=1)
        h.ex.add_account("k")
        h.ex.new_order("k", limit("BUY", 3, "64900"))
        for _ in range(30):
            h.ex.random_walk()
        h.ex.new_order("k", market("SELL", 2))
        return [encode_event(e) for e in h.take()]

    first = run()
    assert first == run()
    assert len(first) >= 3


def test_modify_order_amendment_and_requeue(h: Harness) -> None:
    first = h.ex.new_order("k", limit("BUY", 2, "60000", newClientOrderId="first"))
    second = h.ex.new_order("k", limit("BUY", 2, "60000", newClientOrderId="second"))
    h.take()
    r = h.ex.modify_order("k", {"symbol": BTC, "side": "BUY", "orderId": str(first["orderId"]),
                                "quantity": "3"})
    assert (r["origQty"], r["price"], r["status"]) == ("3", "60000", "NEW")
    (ev,) = otus(h.take())
    assert (ev.order.execution_type, ev.order.order_status, ev.order.original_quantity) == (
        "AMENDMENT", "NEW", D(3))
    # the amended order lost its queue position: the other one fills first
    h.ex.set_mark_price(BTC, D("59000"))
    fills = [e.order.order_id for e in otus(h.take()) if e.order.execution_type == "TRADE"]
    assert fills == [second["orderId"], first["orderId"]]
    with pytest.raises(SimError) as err:
        h.ex.modify_order("k", {"symbol": BTC, "side": "BUY",
                                "orderId": str(first["orderId"]), "price": "59000"})
    assert err.value.code == -2011          # filled: no longer open


def test_modify_order_crossing_fills_and_errors(h: Harness) -> None:
    o = h.ex.new_order("k", limit("SELL", 2, "70000"))
    h.take()
    base = {"symbol": BTC, "side": "SELL", "orderId": str(o["orderId"])}
    for extra, code in [({}, -1102), ({"price": "70000"}, -4197), ({"price": "70000.01"}, -4014),
                        ({"quantity": "0"}, -4003)]:
        with pytest.raises(SimError) as err:
            h.ex.modify_order("k", {**base, **extra})
        assert err.value.code == code, extra
    with pytest.raises(SimError) as err:
        h.ex.modify_order("k", {**base, "side": "BUY", "price": "69000"})
    assert err.value.code == -1117
    h.ex.modify_order("k", {**base, "price": "64000"})       # now crosses mark 65000
    ev = otus(h.take())
    assert [(e.order.execution_type, e.order.order_status) for e in ev] == [
        ("AMENDMENT", "NEW"), ("TRADE", "FILLED")]
    assert ev[1].order.last_filled_price == D(65000) and ev[1].order.is_maker is False


def test_modify_gtx_that_would_cross_expires(h: Harness) -> None:
    o = h.ex.new_order("k", limit("BUY", 1, "60000", "GTX"))
    h.take()
    r = h.ex.modify_order("k", {"symbol": BTC, "side": "BUY", "orderId": str(o["orderId"]),
                                "price": "66000"})
    assert r["status"] == "EXPIRED"
    (ev,) = otus(h.take())
    assert (ev.order.execution_type, ev.order.expiry_reason) == ("EXPIRED", "11")


def test_modify_quantity_below_executed_cancels() -> None:
    h = Harness(partial_fill_contracts=2)
    h.ex.add_account("k")
    o = h.ex.new_order("k", limit("BUY", 5, "64000"))
    h.ex.set_mark_price(BTC, D("63000"))
    h.take()
    r = h.ex.modify_order("k", {"symbol": BTC, "side": "BUY", "orderId": str(o["orderId"]),
                                "quantity": "2"})
    assert (r["status"], r["executedQty"]) == ("CANCELED", "2")
    assert [e.order.execution_type for e in otus(h.take())] == ["CANCELED"]


def test_query_order_cancel_all_and_position_mode(h: Harness) -> None:
    a = h.ex.new_order("k", limit("BUY", 1, "60000", newClientOrderId="qa"))
    h.ex.new_order("k", limit("BUY", 1, "60000"))
    h.ex.new_order("k", limit("BUY", 1, "2000", symbol=ETH))
    h.take()
    q = h.ex.query_order("k", {"symbol": BTC, "origClientOrderId": "qa"})
    assert q["orderId"] == a["orderId"] and q["status"] == "NEW"
    assert "time" in q and "pair" in q and "cumQty" not in q
    resp = h.ex.cancel_all_orders("k", {"symbol": BTC})
    assert resp == {"code": 200, "msg": "The operation of cancel all open order is done."}
    assert [e.order.execution_type for e in otus(h.take())] == ["CANCELED", "CANCELED"]
    assert [o.symbol for o in h.ex.state("k").open_orders.values()] == [ETH]
    q = h.ex.query_order("k", {"symbol": BTC, "orderId": str(a["orderId"])})
    assert q["status"] == "CANCELED"
    with pytest.raises(SimError) as err:
        h.ex.query_order("k", {"symbol": BTC, "orderId": "1"})
    assert err.value.code == -2013
    assert h.ex.position_mode("k") == {"dualSidePosition": False}


def test_isolated_liquidation_price_hand_computed(h: Harness) -> None:
    h.ex.change_margin_type("k", BTC, True)
    h.ex.change_leverage("k", {"symbol": BTC, "leverage": "10"})
    h.ex.new_order("k", market("BUY", 10))
    # long: q*cs*(1+mmr) / (iw + q*cs/ep) = 1004 / (0.00153846 + 1000/65000)
    (row,) = h.ex.position_risk("k", {"pair": "BTCUSD", "marginAsset": "BTC"})[:1]
    assert row["liquidationPrice"] == "59327.27812066"
    assert row["isolatedMargin"] == "0.00153846" and row["marginType"] == "isolated"
    h.ex.new_order("k", market("SELL", 20))
    # short: q*cs*(1-mmr) / (q*cs/ep - iw) = 996 / (1000/65000 - 0.00153846)
    assert h.ex.position_risk("k", {})[0]["liquidationPrice"] == "71933.32534074"


def test_random_walk_is_seeded_and_on_tick() -> None:
    def walk(seed: int) -> list[D]:
        ex = Exchange(lambda: T0, random.Random(seed))
        for _ in range(50):
            ex.random_walk()
        return [ex.mark_price(s) for s in ex.symbols()]

    prices = walk(1)
    assert prices == walk(1) and prices != walk(2)
    ex = Exchange(lambda: T0, random.Random(1))
    for symbol, price in zip(ex.symbols(), prices, strict=True):
        assert price % ex.contracts[symbol].tick_size == 0
        assert price != ex.mark_price(symbol)


def test_params_variants_of_mode_and_margin_type(h: Harness) -> None:
    ok = {"code": 200, "msg": "success"}
    assert h.ex.change_margin_type_request(
        "k", {"symbol": ETH, "marginType": "ISOLATED"}) == ok
    assert h.ex.state("k").margin_types[ETH] == "isolated"
    for params, code in [({"symbol": ETH, "marginType": "ISOLATED"}, -4046),
                         ({"symbol": ETH, "marginType": "BOTH"}, -1130),
                         ({"symbol": ETH}, -1102), ({"symbol": "X", "marginType": "CROSSED"},
                                                    -1121)]:
        with pytest.raises(SimError) as err:
            h.ex.change_margin_type_request("k", params)
        assert err.value.code == code, params
    assert h.ex.change_position_mode_request("k", {"dualSidePosition": "true"}) == ok
    assert h.ex.position_mode("k") == {"dualSidePosition": True}
    with pytest.raises(SimError) as err:
        h.ex.change_position_mode_request("k", {"dualSidePosition": "yes"})
    assert err.value.code == -1130


def test_closing_an_underwater_position_needs_no_margin() -> None:
    h = Harness()
    h.ex.add_account("k", balances={"ETH": D("0.2")}, alias="uNdr")
    h.ex.change_leverage("k", {"symbol": ETH, "leverage": "50"})
    h.ex.new_order("k", market("BUY", 2500, ETH))
    h.ex.set_mark_price(ETH, h.ex.mark_price(ETH) * D("0.97"))
    assert h.ex.state("k").balances["ETH"].available_balance < 0
    h.ex.new_order("k", market("SELL", 2500, ETH))
    assert h.ex.state("k").positions[(ETH, "BOTH")].position_amount == 0
    with pytest.raises(SimError) as info:  # opening anything is still refused
        h.ex.new_order("k", market("BUY", 1, ETH))
    assert info.value.code == -2019
