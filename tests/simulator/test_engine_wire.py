"""Account engine: event payloads key by key against spec §4, REST shapes against spec §5.3."""

from __future__ import annotations

import json
import random
from decimal import Decimal as D
from typing import Any

import pytest

from binance.derivatives.cmfutures.events import UserDataEvent, decode_event, encode_event
from binance.derivatives.cmfutures.simulator.engine import EngineOptions, Exchange

T0 = 1767225600000
BTC = "BTCUSD_PERP"

DEC, INT, STR, BOOL = "STR-DEC", "INT", "STR", "BOOL"

# spec §4.4: always-present keys of ORDER_TRADE_UPDATE.o and their JSON types
OTU_O = {
    "s": STR, "c": STR, "S": STR, "o": STR, "f": STR, "q": DEC, "p": DEC, "ap": DEC, "sp": DEC,
    "x": STR, "X": STR, "i": INT, "l": DEC, "z": DEC, "L": DEC, "ma": STR, "T": INT, "t": INT,
    "rp": DEC, "b": DEC, "a": DEC, "m": BOOL, "R": BOOL, "wt": STR, "ot": STR, "ps": STR,
    "cp": BOOL, "pP": BOOL, "V": STR, "pm": STR, "er": STR, "si": INT, "ss": INT,
}
OTU_FEE = {"N": STR, "n": DEC}
AU_B = {"a": STR, "wb": DEC, "cw": DEC, "bc": DEC}
AU_P = {"s": STR, "pa": DEC, "ep": DEC, "bep": DEC, "cr": DEC, "up": DEC, "mt": STR, "iw": DEC,
        "ps": STR, "ma": STR}
MC_P = {"s": STR, "ps": STR, "pa": DEC, "mt": STR, "iw": DEC, "mp": DEC, "up": DEC, "mm": DEC}


def check_type(value: Any, tag: str, where: str) -> None:
    if tag == DEC:
        assert isinstance(value, str), f"{where}: decimal must be a JSON string, got {value!r}"
        assert "E" not in value and "e" not in value, f"{where}: exponent in {value!r}"
        D(value)
    elif tag == INT:
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r}"
    elif tag == BOOL:
        assert isinstance(value, bool), f"{where}: {value!r}"
    else:
        assert isinstance(value, str), f"{where}: {value!r}"


def check_obj(obj: dict[str, Any], table: dict[str, str], where: str,
              optional: dict[str, str] | None = None) -> None:
    optional = optional or {}
    missing = set(table) - set(obj)
    extra = set(obj) - set(table) - set(optional)
    assert not missing, f"{where}: missing {missing}"
    assert not extra, f"{where}: unexpected {extra}"
    for key, value in obj.items():
        check_type(value, table.get(key) or optional[key], f"{where}.{key}")


class Recorder:
    def __init__(self, **options: Any) -> None:
        self.now = T0
        self.wire: list[dict[str, Any]] = []
        self.ex = Exchange(lambda: self.now, random.Random(3), EngineOptions(**options))
        self.ex.on_event = self.record

    def record(self, key: str, event: UserDataEvent) -> None:
        raw = encode_event(event)
        assert decode_event(raw) == event          # the client decodes exactly what was sent
        self.wire.append(json.loads(raw))

    def of(self, e: str) -> list[dict[str, Any]]:
        return [w for w in self.wire if w["e"] == e]


@pytest.fixture
def rec() -> Recorder:
    r = Recorder(partial_fill_contracts=2)
    r.ex.add_account("k", alias="oPfT")
    return r


def check_otu(w: dict[str, Any]) -> None:
    assert set(w) == {"e", "E", "T", "i", "o"}
    check_type(w["E"], INT, "E")
    check_type(w["T"], INT, "T")
    assert w["i"] == "oPfT"
    assert w["E"] >= w["T"] >= w["o"]["T"]
    has_fee = "N" in w["o"]
    check_obj(w["o"], OTU_O, "o", OTU_FEE if has_fee else None)
    if has_fee:
        assert w["o"]["x"] == "TRADE" and D(w["o"]["n"]) > 0 and w["o"]["N"] == "BTC"
    if w["o"]["x"] != "TRADE":
        assert w["o"]["t"] == 0 and not has_fee
    else:
        assert w["o"]["t"] > 0


def check_au(w: dict[str, Any]) -> None:
    assert set(w) == {"e", "E", "T", "i", "a"}
    check_type(w["E"], INT, "E")
    check_type(w["T"], INT, "T")
    assert w["i"] == "oPfT" and w["E"] >= w["T"]
    assert set(w["a"]) <= {"m", "B", "P", "S"}
    check_type(w["a"]["m"], STR, "a.m")
    for b in w["a"].get("B", []):
        check_obj(b, AU_B, "a.B[]")
    for p in w["a"].get("P", []):
        check_obj(p, AU_P, "a.P[]")
        assert p["mt"] in ("cross", "isolated")


def test_order_trade_update_fields_and_types(rec: Recorder) -> None:
    rec.ex.new_order("k", {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "5",
                           "price": "65100", "timeInForce": "IOC", "newClientOrderId": "c-1"})
    rec.ex.new_order("k", {"symbol": BTC, "side": "SELL", "type": "LIMIT", "quantity": "1",
                           "price": "70000", "timeInForce": "GTC"})
    rec.ex.cancel_order("k", {"symbol": BTC, "origClientOrderId": rec.wire[-1]["o"]["c"]})
    otu = rec.of("ORDER_TRADE_UPDATE")
    assert [(w["o"]["x"], w["o"]["X"], w["o"]["er"]) for w in otu] == [
        ("NEW", "NEW", "0"), ("TRADE", "PARTIALLY_FILLED", "0"), ("EXPIRED", "EXPIRED", "2"),
        ("NEW", "NEW", "0"), ("CANCELED", "CANCELED", "0")]
    for w in otu:
        check_otu(w)
    assert otu[1]["o"]["N"] == "BTC" and otu[1]["o"]["l"] == "2" and otu[1]["o"]["z"] == "2"
    assert otu[0]["o"]["c"] == "c-1" and otu[0]["o"]["ap"] == "0"
    # a fill: ORDER_TRADE_UPDATE then ACCOUNT_UPDATE
    order = [w["e"] for w in rec.wire[:4]]
    assert order == ["ORDER_TRADE_UPDATE", "ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE",
                     "ORDER_TRADE_UPDATE"]


def test_zero_commission_omits_n_and_N() -> None:
    rec = Recorder(maker_fee_rate=D(0))
    rec.ex.add_account("k", alias="oPfT")
    rec.ex.new_order("k", {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "1",
                           "price": "64000", "timeInForce": "GTC"})
    rec.ex.set_mark_price(BTC, D("63999"))
    (trade,) = [w for w in rec.of("ORDER_TRADE_UPDATE") if w["o"]["x"] == "TRADE"]
    check_otu(trade)
    assert "N" not in trade["o"] and "n" not in trade["o"] and trade["o"]["m"] is True


def test_account_update_fields_and_types(rec: Recorder) -> None:
    rec.ex.new_order("k", {"symbol": BTC, "side": "SELL", "type": "MARKET", "quantity": "3"})
    rec.ex.apply_funding(BTC, D("0.0003"))
    rec.ex.deposit("k", "BTC", D("0.25"))
    rec.ex.change_margin_type("k", "ETHUSD_PERP", True)
    aus = rec.of("ACCOUNT_UPDATE")
    assert [w["a"]["m"] for w in aus] == ["ORDER", "ORDER", "FUNDING_FEE", "DEPOSIT",
                                          "MARGIN_TYPE_CHANGE"]
    for w in aus:
        check_au(w)
    assert aus[0]["a"]["B"][0]["bc"] == "0"
    assert aus[1]["a"]["P"][0]["pa"] == "-3"
    assert aus[2]["a"]["S"] == BTC and D(aus[2]["a"]["B"][0]["bc"]) > 0   # short receives
    assert aus[3]["a"]["B"] == [{"a": "BTC", "wb": aus[3]["a"]["B"][0]["wb"],
                                 "cw": aus[3]["a"]["B"][0]["cw"], "bc": "0.25"}]
    assert {p["mt"] for p in aus[4]["a"]["P"]} == {"isolated"}


def test_cross_funding_has_empty_P_array(rec: Recorder) -> None:
    rec.ex.new_order("k", {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "1"})
    rec.ex.apply_funding(BTC, D("0.0001"))
    (funding,) = [w for w in rec.of("ACCOUNT_UPDATE") if w["a"]["m"] == "FUNDING_FEE"]
    assert funding["a"]["P"] == []


def test_account_update_all_positions_option() -> None:
    rec = Recorder(account_update_positions="all")
    rec.ex.add_account("k", alias="oPfT", hedge_mode=True)
    rec.ex.new_order("k", {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "1",
                           "positionSide": "LONG"})
    (au,) = rec.of("ACCOUNT_UPDATE")
    check_au(au)
    assert len(au["a"]["P"]) == 3 * len(rec.ex.symbols())


def test_margin_call_fields_and_types() -> None:
    rec = Recorder()
    rec.ex.add_account("k", alias="oPfT", balances={"BTC": D("0.001")})
    rec.ex.new_order("k", {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "10"})
    rec.ex.set_mark_price(BTC, D("60000"))
    (mc,) = rec.of("MARGIN_CALL")
    assert set(mc) == {"e", "E", "i", "cw", "p"}
    check_type(mc["E"], INT, "E")
    check_type(mc["cw"], DEC, "cw")
    assert mc["i"] == "oPfT"
    for p in mc["p"]:
        check_obj(p, MC_P, "p[]")
        assert p["mt"] == "CROSSED"


def test_account_config_update_fields_and_types(rec: Recorder) -> None:
    rec.ex.change_leverage("k", {"symbol": BTC, "leverage": "7"})
    (w,) = rec.of("ACCOUNT_CONFIG_UPDATE")
    assert set(w) == {"e", "E", "T", "ac"}
    assert w["ac"] == {"s": BTC, "l": 7}
    check_type(w["E"], INT, "E")


def test_event_time_follows_latency_option() -> None:
    rec = Recorder(event_latency_ms=5)
    rec.ex.add_account("k", alias="oPfT")
    rec.ex.new_order("k", {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "1"})
    assert all(w["E"] == w["T"] + 5 for w in rec.wire)


# ---------------------------------------------------------------------------- REST shapes

ACCOUNT_ASSET_KEYS = {
    "asset", "walletBalance", "unrealizedProfit", "marginBalance", "maintMargin",
    "initialMargin", "positionInitialMargin", "openOrderInitialMargin", "maxWithdrawAmount",
    "crossWalletBalance", "crossUnPnl", "availableBalance", "updateTime"}
ACCOUNT_POSITION_KEYS = {
    "symbol", "positionAmt", "initialMargin", "maintMargin", "unrealizedProfit",
    "positionInitialMargin", "openOrderInitialMargin", "leverage", "isolated", "positionSide",
    "entryPrice", "breakEvenPrice", "maxQty", "notionalValue", "isolatedWallet", "updateTime"}
BALANCE_KEYS = {"accountAlias", "asset", "balance", "withdrawAvailable", "crossWalletBalance",
                "crossUnPnl", "availableBalance", "updateTime"}
POSITION_RISK_KEYS = {
    "symbol", "positionAmt", "entryPrice", "breakEvenPrice", "markPrice", "unRealizedProfit",
    "liquidationPrice", "leverage", "maxQty", "marginType", "isolatedMargin", "isAutoAddMargin",
    "positionSide", "notionalValue", "isolatedWallet", "updateTime"}
ORDER_KEYS = {
    "avgPrice", "clientOrderId", "cumBase", "cumQty", "executedQty", "orderId", "origQty",
    "origType", "price", "reduceOnly", "side", "positionSide", "status", "stopPrice",
    "closePosition", "symbol", "pair", "timeInForce", "type", "updateTime", "workingType",
    "priceProtect", "priceMatch", "selfTradePreventionMode"}
INT_KEYS = {"updateTime", "orderId", "time", "feeTier"}
BOOL_KEYS = {"isolated", "reduceOnly", "closePosition", "priceProtect", "canDeposit",
             "canTrade", "canWithdraw"}
PLAIN_STR_KEYS = {"asset", "symbol", "positionSide", "accountAlias", "marginType", "side",
                  "status", "clientOrderId", "origType", "timeInForce", "type", "workingType",
                  "priceMatch", "selfTradePreventionMode", "pair", "isAutoAddMargin",
                  "leverage", "maxQty"}


def check_row(row: dict[str, Any], keys: set[str], where: str) -> None:
    assert set(row) == keys, f"{where}: {set(row) ^ keys}"
    for key, value in row.items():
        if key in INT_KEYS:
            check_type(value, INT, f"{where}.{key}")
        elif key in BOOL_KEYS:
            check_type(value, BOOL, f"{where}.{key}")
        elif key in PLAIN_STR_KEYS:
            check_type(value, STR, f"{where}.{key}")
        else:
            check_type(value, DEC, f"{where}.{key}")


def test_rest_shapes(rec: Recorder) -> None:
    resp = rec.ex.new_order("k", {"symbol": BTC, "side": "BUY", "type": "MARKET",
                                  "quantity": "1"})
    check_row(resp, ORDER_KEYS, "new_order")
    resting = rec.ex.new_order("k", {"symbol": BTC, "side": "BUY", "type": "LIMIT",
                                     "quantity": "4", "price": "60000", "timeInForce": "GTC"})
    (row,) = rec.ex.open_orders("k", {})
    check_row(row, ORDER_KEYS - {"cumQty"} | {"time"}, "openOrders")
    assert row["pair"] == "BTCUSD"
    assert rec.ex.open_orders("k", {"symbol": "ETHUSD_PERP"}) == []
    assert rec.ex.open_orders("k", {"pair": "BTCUSD"}) == [row]
    cancelled = rec.ex.cancel_order("k", {"symbol": BTC, "orderId": str(resting["orderId"])})
    check_row(cancelled, ORDER_KEYS, "cancel")

    acc = rec.ex.account("k")
    assert set(acc) == {"assets", "positions", "canDeposit", "canTrade", "canWithdraw",
                        "feeTier", "updateTime"}
    for a in acc["assets"]:
        check_row(a, ACCOUNT_ASSET_KEYS, "account.assets[]")
    for p in acc["positions"]:
        check_row(p, ACCOUNT_POSITION_KEYS, "account.positions[]")
    assert {p["positionSide"] for p in acc["positions"]} == {"BOTH"}
    assert {p["symbol"] for p in acc["positions"]} == set(rec.ex.symbols())
    for b in rec.ex.balance("k"):
        check_row(b, BALANCE_KEYS, "balance[]")
        assert b["accountAlias"] == "oPfT"
    rows = rec.ex.position_risk("k", {})
    for r in rows:
        check_row(r, POSITION_RISK_KEYS, "positionRisk[]")
        assert r["isAutoAddMargin"] == "false" and r["marginType"] in ("cross", "isolated")
    assert len(rec.ex.position_risk("k", {"marginAsset": "ETH"})) == 1
    assert len(rec.ex.position_risk("k", {"pair": "BTCUSD"})) == 2


def test_exchange_info(rec: Recorder) -> None:
    info = rec.ex.exchange_info()
    assert info["serverTime"] == T0
    assert {r["rateLimitType"] for r in info["rateLimits"]} == {"REQUEST_WEIGHT", "ORDERS"}
    by_symbol = {s["symbol"]: s for s in info["symbols"]}
    assert list(by_symbol) == rec.ex.symbols()
    assert by_symbol[BTC]["contractSize"] == 100 and by_symbol[BTC]["marginAsset"] == "BTC"
    assert by_symbol["ETHUSD_PERP"]["contractSize"] == 10
    (quarterly,) = [s for s in by_symbol.values() if s["contractType"] == "CURRENT_QUARTER"]
    assert quarterly["symbol"].startswith("BTCUSD_") and quarterly["deliveryDate"] > T0
    assert {f["filterType"] for f in by_symbol[BTC]["filters"]} >= {"PRICE_FILTER", "LOT_SIZE"}
    json.dumps(info)
