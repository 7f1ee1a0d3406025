"""decode_event / encode_event against the spec's payloads and every tolerated variant."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from binance.derivatives.cmfutures import events as ev

OTU_TRADE = (
    '{"e":"ORDER_TRADE_UPDATE","E":1767225912010,"T":1767225912004,"i":"oPfT",'
    '"o":{"s":"BTCUSD_PERP","c":"sim-7f3a1c","S":"BUY","o":"LIMIT","f":"GTC","q":"3","p":"64250.0",'
    '"ap":"64250.0","sp":"0","x":"TRADE","X":"PARTIALLY_FILLED","i":48712300561,"l":"1","z":"1",'
    '"L":"64250.0","ma":"BTC","N":"BTC","n":"0.00000031","T":1767225912004,"t":913377001,"rp":"0",'
    '"b":"0","a":"0","m":true,"R":false,"wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"BOTH","cp":false,'
    '"pP":false,"V":"EXPIRE_MAKER","pm":"NONE","er":"0"}}'
)
ACCOUNT_UPDATE = (
    '{"e":"ACCOUNT_UPDATE","E":1767225912011,"T":1767225912004,"i":"oPfT","a":{"m":"ORDER",'
    '"B":[{"a":"BTC","wb":"0.52003769","cw":"0.52003769","bc":"0"}],'
    '"P":[{"s":"BTCUSD_PERP","pa":"1","ep":"64250.0","bep":"64262.85","cr":"0.00121458",'
    '"up":"0.00000012","mt":"cross","iw":"0","ps":"BOTH"}]}}'
)
MARGIN_CALL = (
    '{"e":"MARGIN_CALL","E":1767230000456,"i":"oPfT","cw":"0.05120034","p":[{"s":"ETHUSD_PERP",'
    '"ps":"LONG","pa":"250","mt":"CROSSED","iw":"0","mp":"2310.45","up":"-0.01833021",'
    '"mm":"0.00541161"}]}'
)
CONFIG_UPDATE = (
    '{"e":"ACCOUNT_CONFIG_UPDATE","E":1767231000789,"T":1767231000785,'
    '"ac":{"s":"BTCUSD_PERP","l":20}}'
)
STRATEGY_UPDATE = (
    '{"e":"STRATEGY_UPDATE","T":1767232000100,"E":1767232000104,"su":{"si":190233417,"st":"GRID",'
    '"ss":"WORKING","s":"BTCUSD_PERP","ut":1767232000100,"c":8007}}'
)
GRID_UPDATE = (
    '{"e":"GRID_UPDATE","T":1767232500210,"E":1767232500213,"gu":{"si":190233417,"st":"GRID",'
    '"ss":"WORKING","s":"BTCUSD_PERP","r":"0.00000412","up":"64180.5","uq":"-2","uf":"-0.00000062",'
    '"mp":"0.00001187","ut":1767232500198}}'
)
EXPIRED_STR = '{"e":"listenKeyExpired","E":"1767236400002","listenKey":"FLri0Y"}'

ALL = [
    OTU_TRADE,
    ACCOUNT_UPDATE,
    MARGIN_CALL,
    CONFIG_UPDATE,
    STRATEGY_UPDATE,
    GRID_UPDATE,
    EXPIRED_STR,
]


def test_order_trade_update_decodes_money_as_decimal() -> None:
    event = ev.decode_event(OTU_TRADE)
    assert isinstance(event, ev.OrderTradeUpdate)
    order = event.order
    assert order.commission == Decimal("0.00000031")
    assert order.last_filled_price == Decimal("64250.0")
    assert order.order_status == ev.OrderStatus.PARTIALLY_FILLED
    assert order.execution_type == ev.ExecutionType.TRADE
    assert order.trade_id == 913377001 and order.is_maker is True
    assert order.expiry_reason == "0"
    assert event.account_alias == "oPfT"


def test_every_documented_type_decodes_to_its_class() -> None:
    classes = [type(ev.decode_event(raw)) for raw in ALL]
    assert classes == [
        ev.OrderTradeUpdate,
        ev.AccountUpdate,
        ev.MarginCall,
        ev.AccountConfigUpdate,
        ev.StrategyUpdate,
        ev.GridUpdate,
        ev.ListenKeyExpired,
    ]


@pytest.mark.parametrize("raw", ALL)
def test_encode_then_decode_round_trips_and_keeps_wire_types(raw: str) -> None:
    event = ev.decode_event(raw)
    encoded = ev.encode_event(event)  # type: ignore[arg-type]
    assert ev.decode_event(encoded) == event
    original, again = json.loads(raw), json.loads(encoded)
    if "E" in original and isinstance(original["E"], str):
        original["E"] = int(original["E"])
    assert again == original


def test_listen_key_expired_accepts_number_or_string_time_and_no_key() -> None:
    as_str = ev.decode_event(EXPIRED_STR)
    as_num = ev.decode_event('{"e":"listenKeyExpired","E":1767236400002}')
    assert isinstance(as_str, ev.ListenKeyExpired) and isinstance(as_num, ev.ListenKeyExpired)
    assert as_str.event_time == as_num.event_time == 1767236400002
    assert as_num.listen_key is None


def test_combined_stream_envelope_is_unwrapped() -> None:
    wrapped = '{"stream":"FLri0Y","data":' + CONFIG_UPDATE + "}"
    event = ev.decode_event(wrapped)
    assert isinstance(event, ev.AccountConfigUpdate)
    assert event.leverage == ev.LeverageUpdate(symbol="BTCUSD_PERP", leverage=20)


def test_extra_keys_and_missing_optional_keys_are_tolerated() -> None:
    payload = json.loads(OTU_TRADE)
    for optional in ("N", "n", "cp", "pP", "AP", "cr", "M", "ma"):
        payload["o"].pop(optional, None)
    payload["o"]["gtd"] = 0
    payload["brand_new"] = {"x": 1}
    event = ev.decode_event(json.dumps(payload))
    assert isinstance(event, ev.OrderTradeUpdate)
    assert event.order.commission is None and event.order.commission_asset is None


def test_fixed_point_encoding_never_uses_exponents() -> None:
    encoded = ev.encode_event(ev.decode_event(OTU_TRADE))  # type: ignore[arg-type]
    assert b'"n":"0.00000031"' in encoded
    assert b"E-" not in encoded


def test_unknown_type_is_passed_on_with_its_payload() -> None:
    event = ev.decode_event('{"e":"TRADE_LITE","E":"17","q":"1"}')
    assert event == ev.UnknownEvent(
        event_type="TRADE_LITE", event_time=17, payload={"e": "TRADE_LITE", "E": "17", "q": "1"}
    )
    assert ev.encode_event(event) == b'{"e":"TRADE_LITE","E":"17","q":"1"}'


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not json", "not JSON"),
        ("[1,2]", "not a JSON object"),
        ('{"e":"MARGIN_CALL"}', "invalid MARGIN_CALL"),
        ('{"e":"ORDER_TRADE_UPDATE","E":1,"T":1,"o":{"s":1}}', "invalid ORDER_TRADE_UPDATE"),
    ],
)
def test_malformed_frames_raise_a_typed_error_naming_the_problem(raw: str, reason: str) -> None:
    with pytest.raises(ev.MalformedEvent) as info:
        ev.decode_event(raw)
    assert reason in info.value.reason
    assert info.value.raw == raw


def test_identity_separates_fills_and_matches_redeliveries() -> None:
    first = ev.decode_event(OTU_TRADE)
    again = ev.decode_event(OTU_TRADE.encode())
    payload = json.loads(OTU_TRADE)
    payload["o"]["t"] = 913377002
    payload["o"]["z"] = "2"
    second_fill = ev.decode_event(json.dumps(payload))
    assert ev.event_identity(first) == ev.event_identity(again)
    assert ev.event_identity(first) != ev.event_identity(second_fill)


@given(st.binary(max_size=64))
def test_arbitrary_bytes_never_escape_as_anything_but_malformed(data: bytes) -> None:
    try:
        result = ev.decode_event(data)
    except ev.MalformedEvent:
        return
    assert isinstance(result, ev.UnknownEvent | ev.UserDataEvent)
