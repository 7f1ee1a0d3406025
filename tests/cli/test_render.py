"""The CLI's line formats: JSON lines keep Binance's wire form; text lines say what happened."""

from __future__ import annotations

import json

from binance.derivatives.cmfutures import events as ev
from binance.derivatives.cmfutures.cli.render import event_type, to_json_line, to_text_line

FILL = (
    '{"e":"ORDER_TRADE_UPDATE","E":1767225912010,"T":1767225912004,"i":"oPfT",'
    '"o":{"s":"BTCUSD_PERP","c":"c1","S":"BUY","o":"LIMIT","f":"GTC","q":"3","p":"64250.0",'
    '"ap":"64250.0","sp":"0","x":"TRADE","X":"PARTIALLY_FILLED","i":48712300561,"l":"1","z":"1",'
    '"L":"64250.0","ma":"BTC","N":"BTC","n":"0.00000031","T":1767225912004,"t":913377001,'
    '"rp":"0","b":"0","a":"0","m":true,"R":false,"wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"BOTH",'
    '"cp":false,"pP":false,"V":"EXPIRE_MAKER","pm":"NONE","er":"0"}}'
)


def test_json_line_of_a_binance_event_is_its_wire_form() -> None:
    event = ev.decode_event(FILL)
    assert json.loads(to_json_line(event)) == json.loads(FILL)


def test_json_line_of_a_control_event_carries_its_class_as_e() -> None:
    gap = ev.StreamGap(since=10.0, until=12.5, reason="connection dropped")
    assert json.loads(to_json_line(gap)) == {
        "e": "StreamGap",
        "since": 10.0,
        "until": 12.5,
        "reason": "connection dropped",
    }


def test_text_line_names_type_and_fill() -> None:
    line = to_text_line(ev.decode_event(FILL), now=0)
    assert "ORDER_TRADE_UPDATE" in line
    assert "BTCUSD_PERP BUY LIMIT 3 @ 64250.0" in line
    assert "TRADE/PARTIALLY_FILLED" in line and "last 1 @ 64250.0" in line


def test_gap_and_unknown_events_are_visible_in_text() -> None:
    gap = to_text_line(ev.StreamGap(since=10.0, until=12.5, reason="dropped"), now=0)
    assert "StreamGap" in gap and "GAP" in gap and "dropped" in gap
    unknown = ev.decode_event('{"e":"TRADE_LITE","E":1,"q":"2"}')
    assert event_type(unknown) == "TRADE_LITE"
    assert "passed on raw" in to_text_line(unknown, now=0)
