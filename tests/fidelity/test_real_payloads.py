"""Issue 10 item 11: every real payload kept in ``tests/fixtures/real`` (each with its source)
decodes, and every field it carries has a typed attribute; unknown future fields never fail
and stay reachable."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import msgspec
import pytest

from binance.derivatives.cmfutures.events import (
    AccountUpdate,
    OrderTradeUpdate,
    UnknownEvent,
    decode_event,
    decode_with_payload,
    encode_event,
    unmodelled_fields,
)
from binance.derivatives.cmfutures.models import (
    AccountInformation,
    AccountPosition,
    Balance,
    Income,
    Order,
    PositionRisk,
    UserTrade,
)

REAL = Path(__file__).parent.parent / "fixtures" / "real"
FIXTURES = sorted(REAL.glob("*.json"))
# endpoint (as the fixture names it) -> the client's model of one row / of the body
REST_MODELS: dict[str, Any] = {
    "GET /dapi/v1/positionRisk": PositionRisk,
    "WS-API account.position result[]": PositionRisk,
    "GET /dapi/v1/account": AccountInformation,
    "GET /dapi/v1/account positions[]": AccountPosition,
    "GET /dapi/v1/balance": Balance,
    "GET /dapi/v1/openOrders": Order,
    "GET /dapi/v1/openOrder(s) row": Order,
    "GET /dapi/v1/order": Order,
    "GET /dapi/v1/userTrades": UserTrade,
    "GET /papi/v1/cm/userTrades": UserTrade,
    "GET /dapi/v1/income": Income,
}
NO_CLIENT_MODEL = {"GET /dapi/v2/leverageBracket"}  # the client has no bracket call


def _load(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text())
    assert doc["source"].startswith("https://"), f"{path.name}: no source URL"
    return doc


def _as_event(doc: dict[str, Any]) -> dict[str, Any]:
    payload = doc["payload"]
    if doc["endpoint"] == "WS ORDER_TRADE_UPDATE o":
        return {"e": "ORDER_TRADE_UPDATE", "E": payload["T"], "T": payload["T"], "o": payload}
    if doc["endpoint"] == "WS ACCOUNT_UPDATE a.P[]":
        return {"e": "ACCOUNT_UPDATE", "E": 1, "T": 1, "a": {"m": "ORDER", "B": [], "P": [payload]}}
    assert doc["endpoint"].startswith("WS "), doc["endpoint"]
    return dict(payload)


def _decode_rest(doc: dict[str, Any]) -> tuple[Any, Any]:
    model = REST_MODELS[doc["endpoint"]]
    payload = doc["payload"]
    kind = list[model] if isinstance(payload, list) else model
    return msgspec.json.decode(json.dumps(payload), type=kind, strict=False), payload


def test_fixtures_exist() -> None:
    assert len(FIXTURES) >= 20


def _client_decodes(path: Path) -> bool:
    endpoint = _load(path).get("endpoint")
    return endpoint is not None and not any(endpoint.startswith(e) for e in NO_CLIENT_MODEL)


DECODED = [p for p in FIXTURES if _client_decodes(p)]  # brackets: the client has no call


@pytest.mark.parametrize("path", DECODED, ids=[p.stem for p in DECODED])
def test_every_real_payload_decodes_with_every_field_modelled(path: Path) -> None:
    doc = _load(path)
    endpoint = doc["endpoint"]
    if endpoint in REST_MODELS:
        decoded, payload = _decode_rest(doc)
        if isinstance(payload, list):
            assert len(decoded) == len(payload)
        assert unmodelled_fields(decoded, payload) == {}, path.name
        return
    raw = json.dumps(_as_event(doc))
    event, payload = decode_with_payload(raw)
    assert not isinstance(event, UnknownEvent)
    assert unmodelled_fields(event, payload) == {}, path.name
    assert decode_event(encode_event(event)) == event  # what we model survives a round trip


def _rest_unmodelled(model: type[msgspec.Struct], row: dict[str, Any]) -> set[str]:
    return set(row) - set(model.__struct_encode_fields__)


def test_live_coinm_order_values() -> None:
    doc = _load(REAL / "coinm_order_update_o_ethusd_230630.json")
    event = decode_event(json.dumps(_as_event(doc)))
    assert isinstance(event, OrderTradeUpdate)
    o = event.order
    assert o.bid_quantity == D("4.76369681") and o.ask_quantity == 0
    assert (o.strategy_id, o.strategy_sub_id, o.margin_asset) == (0, 0, "ETH")
    assert o.self_trade_prevention_mode is None and o.expiry_reason is None  # older traffic


def test_live_position_row_margin_asset() -> None:
    doc = _load(REAL / "coinm_account_update_position_ethusd_perp.json")
    event = decode_event(json.dumps(_as_event(doc)))
    assert isinstance(event, AccountUpdate)
    (row,) = event.data.positions
    assert row.margin_asset == "ETH" and row.break_even_price is None


def test_usdm_gtd_is_modelled() -> None:
    event = decode_event(json.dumps(_load(REAL / "usdm_order_trade_update_unicorn_445.json")
                                    ["payload"]))
    assert isinstance(event, OrderTradeUpdate) and event.order.good_till_date == 0
    assert event.event_time - event.transaction_time == 1


def test_live_rest_rows_values() -> None:
    (risk,) = msgspec.json.decode(
        json.dumps(_load(REAL / "coinm_position_risk_btcusd_perp.json")["payload"]),
        type=list[PositionRisk], strict=False)
    assert risk.notional_value == D("0.28024100") and risk.isolated_wallet == 0
    assert risk.leverage == 50 and risk.max_qty == 20 and risk.is_auto_add_margin is False
    (order,) = msgspec.json.decode(
        json.dumps(_load(REAL / "coinm_open_orders_btcusd_perp.json")["payload"]),
        type=list[Order], strict=False)
    assert order.pair == "BTCUSD"
    transfer, commission = msgspec.json.decode(
        json.dumps(_load(REAL / "dapi_v1_income.doc.json")["payload"]),
        type=list[Income], strict=False)
    assert transfer.tran_id == 9689322392 and transfer.trade_id == ""
    assert commission.trade_id == "2059192" and commission.income == D("-0.01")
    (trade,) = msgspec.json.decode(
        json.dumps(_load(REAL / "dapi_v1_userTrades.doc.json")["payload"]),
        type=list[UserTrade], strict=False)
    assert (trade.order_id, trade.id, trade.base_qty) == (28, 6, D("0.01136364"))


def test_unknown_future_fields_decode_and_stay_reachable() -> None:
    doc = _load(REAL / "usdm_order_trade_update_unicorn_445.json")
    payload = json.loads(json.dumps(doc["payload"]))
    payload["zz"] = {"new": 1}
    payload["o"]["xx"] = "2"
    event, raw = decode_with_payload(json.dumps({"stream": "k", "data": payload}))
    assert isinstance(event, OrderTradeUpdate)
    assert unmodelled_fields(event, raw) == {"zz": {"new": 1}, "o.xx": "2"}
    row = dict(_load(REAL / "coinm_position_risk_btcusd_perp.json")["payload"][0])
    row["brandNew"] = "1"
    (risk,) = msgspec.json.decode(json.dumps([row]), type=list[PositionRisk], strict=False)
    assert risk.symbol == "BTCUSD_PERP" and _rest_unmodelled(PositionRisk, row) == {"brandNew"}
