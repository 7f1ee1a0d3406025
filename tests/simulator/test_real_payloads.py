"""The simulator's REST payloads against real Binance COIN-M payloads nobody here wrote.

``tests/fixtures/real/*.json`` hold documentation examples and live ``dapi`` captures (each
with its source URL, see that folder's README). Over raw HTTP, these tests check that

* every key a real row carries is in the simulator's row (and, for positionRisk/account
  positions, nothing else is), with the same JSON types;
* each number is written as Binance writes it: the formats below are first checked against
  the real payloads (so each rule is grounded in a real sample), then against the simulator;
* no REST response of a whole trading scenario contains a number with an exponent;
* the request weights of the new endpoints are the documented ones.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from binance.derivatives.cmfutures.simulator import Simulator

from .helpers import SignedRest

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
BTC = "BTCUSD_PERP"

F8 = r"-?\d+\.\d{8}"
ZERO_OR_F8 = rf"0|{F8}"
PRICE = rf"0\.0{{1,8}}|{F8}"  # zero at the price precision (or 8 places), else 8 places
PLAIN = r"-?\d+(\.\d+)?"
INT = r"-?\d+"
FORMATS: dict[str, dict[str, str]] = {
    "positionRisk": {
        "positionAmt": INT, "entryPrice": PRICE, "breakEvenPrice": PRICE, "markPrice": F8,
        "unRealizedProfit": F8, "liquidationPrice": ZERO_OR_F8, "leverage": INT,
        "maxQty": INT, "isolatedMargin": F8, "notionalValue": ZERO_OR_F8,
        "isolatedWallet": ZERO_OR_F8,
    },
    "account.positions": {
        "positionAmt": INT, "initialMargin": ZERO_OR_F8, "maintMargin": ZERO_OR_F8,
        "unrealizedProfit": F8, "positionInitialMargin": ZERO_OR_F8,
        "openOrderInitialMargin": ZERO_OR_F8, "leverage": INT, "entryPrice": PRICE,
        "breakEvenPrice": PRICE, "maxQty": INT, "notionalValue": ZERO_OR_F8,
        "isolatedWallet": ZERO_OR_F8,
    },
    "account.assets": {k: F8 for k in (
        "walletBalance", "unrealizedProfit", "marginBalance", "maintMargin", "initialMargin",
        "positionInitialMargin", "openOrderInitialMargin", "maxWithdrawAmount",
        "crossWalletBalance", "crossUnPnl", "availableBalance")},
    "balance": {k: F8 for k in (
        "balance", "withdrawAvailable", "crossWalletBalance", "crossUnPnl",
        "availableBalance")},
    "order": {"price": PLAIN, "avgPrice": PLAIN, "cumBase": ZERO_OR_F8, "stopPrice": PLAIN,
              "executedQty": PLAIN, "origQty": PLAIN},
    "userTrades": {"price": PLAIN, "qty": INT, "realizedPnl": ZERO_OR_F8,
                   "baseQty": ZERO_OR_F8, "commission": ZERO_OR_F8},
    "income": {"income": F8, "tranId": r"\d+", "tradeId": r"\d*"},
}
REAL_SOURCES: dict[str, list[tuple[str, str | None]]] = {
    # format group -> (fixture file, path into its payload: None = rows, "positions"/"assets")
    "positionRisk": [("dapi_v1_positionRisk.doc.json", None),
                     ("dapi_v1_positionRisk.live_isolated.json", None),
                     ("dapi_v1_positionRisk.live_2021.json", None)],
    "account.positions": [("dapi_v1_account.doc.json", "positions"),
                          ("dapi_v1_account.positions.live_2021.json", None),
                          ("dapi_v1_account.positions.live_open.json", None)],
    "account.assets": [("dapi_v1_account.doc.json", "assets")],
    "balance": [("dapi_v1_balance.doc.json", None)],
    "order": [("dapi_v1_order.doc.json", None), ("dapi_v1_openOrders.live.json", None),
              ("dapi_v1_order.live_filled.json", None)],
    "userTrades": [("dapi_v1_userTrades.doc.json", None), ("dapi_userTrades.live_pm.json", None)],
    "income": [("dapi_v1_income.doc.json", None)],
}
EXPONENT = re.compile(r"\d[eE][+-]?\d")


def real_rows(group: str) -> list[tuple[str, dict[str, Any]]]:
    """(fixture name, row) for every real row of ``group``."""
    out = []
    for name, path in REAL_SOURCES[group]:
        payload = json.loads((REAL / name).read_text())["payload"]
        if path is not None:
            payload = payload[path]
        for row in payload if isinstance(payload, list) else [payload]:
            out.append((name, row))
    return out


def check_formats(group: str, row: dict[str, Any], where: str) -> None:
    for key, pattern in FORMATS[group].items():
        if key in row:
            value = row[key]
            assert isinstance(value, str), f"{where}.{key} is {value!r}, not a string"
            assert re.fullmatch(pattern, value), f"{where}.{key} = {value!r} !~ {pattern}"


def json_types(row: dict[str, Any]) -> dict[str, str]:
    return {k: type(v).__name__ for k, v in row.items()}


# ---------------------------------------------------------------------------- the fixtures


@pytest.mark.parametrize("group", sorted(REAL_SOURCES))
def test_format_rules_hold_for_the_real_payloads(group: str) -> None:
    rows = real_rows(group)
    assert rows
    for name, row in rows:
        check_formats(group, row, name)


def test_every_fixture_names_its_source() -> None:
    names = {p.name for p in REAL.glob("*.json")}
    assert len(names) >= 12
    for name in names:
        body = json.loads((REAL / name).read_text())
        assert body["source"].startswith("https://"), name
        assert body["kind"] and "payload" in body, name
    readme = (REAL / "README.md").read_text()
    assert all(name in readme for name in names)


# ---------------------------------------------------------------------------- the simulator


async def _scenario(sim: Simulator, rest: SignedRest) -> None:
    """Positions on both coins (one isolated), an open order, a tiny deposit and funding."""
    sim.exchange.set_mark_price(BTC, Decimal("30424.3"))
    sim.exchange.set_mark_price("ETHUSD_PERP", Decimal("2099.21"))
    await rest.call("POST", "/dapi/v1/marginType", symbol="ETHUSD_PERP", marginType="ISOLATED")
    await rest.call("POST", "/dapi/v1/leverage", symbol=BTC, leverage="50")
    await rest.call("POST", "/dapi/v1/order", symbol=BTC, side="BUY", type="MARKET",
                    quantity="3")
    await rest.call("POST", "/dapi/v1/order", symbol="ETHUSD_PERP", side="SELL",
                    type="MARKET", quantity="7")
    await rest.call("POST", "/dapi/v1/order", symbol=BTC, side="BUY", type="LIMIT",
                    quantity="1", price="30000", timeInForce="GTC")
    sim.exchange.deposit(sim.account.api_key, "BTC", Decimal("0.00000001"))
    sim.exchange.apply_funding(BTC, Decimal("0.0001"))
    sim.exchange.set_mark_price(BTC, Decimal("30431.7"))


async def test_simulator_rows_match_real_keys_types_and_formats(
    cmfutures_simulator: Simulator,
) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        rest = SignedRest(sim, http)
        await _scenario(sim, rest)
        risk = await rest.get("/dapi/v1/positionRisk")
        account = await rest.get("/dapi/v1/account")
        balance = await rest.get("/dapi/v1/balance")
        (open_order,) = await rest.get("/dapi/v1/openOrders")
        queried = await rest.get("/dapi/v1/order", symbol=BTC,
                                 orderId=str(open_order["orderId"]))
        trades = await rest.get("/dapi/v1/userTrades", symbol=BTC)
        income = await rest.get("/dapi/v1/income")

    sim_rows = {
        "positionRisk": risk, "account.positions": account["positions"],
        "account.assets": account["assets"], "balance": balance,
        "order": [open_order, queried], "userTrades": trades, "income": income,
    }
    # keys a real row has and the simulator deliberately lacks
    not_simulated = {"order": {"activatePrice", "priceRate"}}  # no trailing-stop orders
    for group, rows in sim_rows.items():
        assert rows, group
        sim_keys = set(rows[0])
        for row in rows:
            check_formats(group, row, f"simulator {group}")
            assert set(row) == sim_keys
        for name, real in real_rows(group):
            missing = set(real) - sim_keys - not_simulated.get(group, set())
            assert not missing, f"{group}: {name} has {missing}"
            types = json_types(rows[0])
            for key, kind in json_types(real).items():
                if key in types and key not in ("orderId", "time", "updateTime"):
                    assert types[key] == kind, f"{group}.{key}: {types[key]} vs {kind} ({name})"
    # every key of the simulator's position rows is in some real row (nothing invented)
    for group in ("positionRisk", "account.positions"):
        real_keys = set().union(*(set(r) for _, r in real_rows(group)))
        assert set(sim_rows[group][0]) == real_keys, group

    by_symbol = {(r["symbol"], r["positionSide"]): r for r in risk}
    btc, eth = by_symbol[(BTC, "BOTH")], by_symbol[("ETHUSD_PERP", "BOTH")]
    assert btc["markPrice"] == "30431.70000000"
    assert btc["maxQty"] == "20"  # 50x: bracket 3's cap, base asset (BTC)
    assert eth["notionalValue"].startswith("-") and eth["marginType"] == "isolated"
    assert eth["isolatedWallet"] != "0"
    assert Decimal(eth["isolatedMargin"]) == (
        Decimal(eth["isolatedWallet"]) + Decimal(eth["unRealizedProfit"]))
    flat = by_symbol[next(s for s, _ in by_symbol if s.startswith("BTCUSD_2")), "BOTH"]
    assert (flat["markPrice"], flat["entryPrice"], flat["notionalValue"]) == (
        "0.00000000", "0.0", "0")
    assert open_order["pair"] == queried["pair"] == "BTCUSD"
    assert open_order["avgPrice"] == "0.0" and open_order["cumBase"] == "0"


async def test_no_rest_response_has_an_exponent(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        rest = SignedRest(sim, http)
        await _scenario(sim, rest)
        sim.exchange.set_mark_price(BTC, Decimal("1000000"))  # tiny coin values
        for path, params in [
            ("/dapi/v1/exchangeInfo", {}), ("/dapi/v1/time", {}),
            ("/dapi/v1/account", {}), ("/dapi/v1/balance", {}),
            ("/dapi/v1/positionRisk", {}), ("/dapi/v1/openOrders", {}),
            ("/dapi/v2/leverageBracket", {}), ("/dapi/v1/leverageBracket", {}),
            ("/dapi/v1/userTrades", {"pair": "BTCUSD"}), ("/dapi/v1/income", {}),
            ("/dapi/v1/positionSide/dual", {}),
        ]:
            await rest.get(path, **params)
        await rest.call("POST", "/dapi/v1/order", symbol=BTC, side="SELL", type="MARKET",
                        quantity="1", newOrderRespType="RESULT")
    assert len(rest.bodies) >= 17
    for body in rest.bodies:
        assert not EXPONENT.search(body), body


@pytest.mark.parametrize(("path", "params", "weight"), [
    ("/dapi/v1/userTrades", {"symbol": BTC}, 20),
    ("/dapi/v1/userTrades", {"pair": "BTCUSD"}, 40),
    ("/dapi/v1/income", {}, 20),
    ("/dapi/v2/leverageBracket", {}, 1),
    ("/dapi/v1/leverageBracket", {"pair": "BTCUSD"}, 1),
])
async def test_documented_weights(cmfutures_simulator: Simulator, path: str,
                                  params: dict[str, str], weight: int) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, headers = await SignedRest(cmfutures_simulator, http).call("GET", path, **params)
    assert status == 200
    assert headers["X-MBX-USED-WEIGHT-1M"] == str(weight)


async def test_leverage_brackets_have_the_live_shape(cmfutures_simulator: Simulator) -> None:
    live = json.loads((REAL / "dapi_v2_leverageBracket.live_2021.json").read_text())["payload"]
    async with aiohttp.ClientSession() as http:
        rest = SignedRest(cmfutures_simulator, http)
        v2 = await rest.get("/dapi/v2/leverageBracket")
        one = await rest.get("/dapi/v2/leverageBracket", symbol=BTC)
        v1 = await rest.get("/dapi/v1/leverageBracket", pair="ETHUSD")
        status, err, _ = await rest.call("GET", "/dapi/v2/leverageBracket", symbol="NOPE")
    assert (status, err["code"]) == (400, -1121)
    assert [e["symbol"] for e in one] == [BTC]
    assert [e["pair"] for e in v1] == ["ETHUSD"] and set(v1[0]) == {"pair", "brackets"}
    assert set(v2[0]) == set(live[0])
    real = live[0]["brackets"]
    for entry in v2:
        assert json_types(entry["brackets"][0]) == json_types(real[0])
        assert entry["brackets"][-1]["qtyCap"] == real[-1]["qtyCap"] == 9223372036854775807
        assert [b["bracket"] for b in entry["brackets"]] == list(
            range(1, len(entry["brackets"]) + 1))
    ccxt = json.loads((REAL / "ccxt_leverage_brackets_BTCUSD.json").read_text())["payload"]
    (btc,) = one
    assert [[str(b["qtyFloor"]), str(b["maintMarginRatio"])] for b in btc["brackets"]] == ccxt
    eth = v1[0]["brackets"]
    for mine, theirs in zip(eth[:3], live[1]["brackets"], strict=True):
        assert {k: mine[k] for k in theirs if k != "bracket"} == {
            k: v for k, v in theirs.items() if k != "bracket"}


async def test_sapi_reads_for_ccxt_load_markets(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        rest = SignedRest(sim, http)
        coins = await rest.get("/sapi/v1/capital/config/getall")
        pairs = await rest.get("/sapi/v1/margin/allPairs")
        r = await http.get(f"{sim.rest_url}/sapi/v1/capital/config/getall")
        assert r.status == 401 and (await r.json())["code"] == -2014
    assert [c["coin"] for c in coins] == ["BTC", "ETH"]
    assert {"coin", "name", "networkList", "isLegalMoney", "free"} <= set(coins[0])
    assert coins[0]["networkList"][0]["coin"] == "BTC"
    assert pairs == []
