from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from binance.derivatives.cmfutures import events as ev
from binance.derivatives.cmfutures.accounts import InvalidAccountId
from binance.derivatives.cmfutures.cli.render import to_json_line
from binance.derivatives.cmfutures.distributed.codec import (
    MessageDecodeError,
    decode_message,
    encode_message,
    message_id,
)

ORDER = (
    b'{"e":"ORDER_TRADE_UPDATE","E":1591274595442,"T":1591274595453,"i":"SfsR",'
    b'"o":{"s":"BTCUSD_200925","c":"TEST","S":"SELL","o":"TRAILING_STOP_MARKET","f":"GTC",'
    b'"q":"2","p":"0","ap":"0","sp":"9103.1","x":"NEW","X":"NEW","i":8888888,"l":"0","z":"0",'
    b'"L":"0","ma":"BTC","N":"BTC","n":"0","T":1591274595442,"t":0,"rp":"0","b":"0","a":"0",'
    b'"m":false,"R":false,"wt":"CONTRACT_PRICE","ot":"TRAILING_STOP_MARKET","ps":"LONG",'
    b'"cp":false,"AP":"9476.8","cr":"5.0","pP":false}}'
)


def test_event_payload_is_the_cli_json_line_plus_account() -> None:
    event = ev.decode_event(ORDER)
    payload = encode_message("alice", event)
    expected = msgspec.json.decode(to_json_line(event))
    expected["account"] = "alice"
    assert msgspec.json.decode(payload) == expected
    account, back = decode_message(payload)
    assert account == "alice"
    assert back == event
    assert isinstance(back, ev.OrderTradeUpdate)
    assert back.order.stop_price == Decimal("9103.1")


@pytest.mark.parametrize(
    "message",
    [
        ev.StreamGap(since=1.5, until=9.25, reason="failover"),
        ev.StreamConnected(at=3.0, url="ws://x/ws/...abcd", connection_id=2),
        ev.StreamDisconnected(at=4.0, reason="closed 1006", connection_id=2),
        ev.ListenKeyRenewed(at=5.0, old_key_tail="abcd", new_key_tail="wxyz", reason="expired"),
    ],
)
def test_control_events_round_trip(message: ev.StreamMessage) -> None:
    payload = encode_message("b-2", message)
    body = msgspec.json.decode(payload)
    assert body["e"] == type(message).__name__
    assert body["account"] == "b-2"
    assert decode_message(payload) == ("b-2", message)


def test_unknown_events_keep_their_payload() -> None:
    event = ev.decode_event(b'{"e":"NEW_THING","E":5,"x":{"y":"1.10"}}')
    _account, back = decode_message(encode_message("a", event))
    assert isinstance(back, ev.UnknownEvent)
    assert back.payload["x"] == {"y": "1.10"}


def test_message_id_is_stable_and_distinguishes_events() -> None:
    event = ev.decode_event(ORDER)
    again = ev.decode_event(ORDER)
    filled = ev.decode_event(ORDER.replace(b'"x":"NEW","X":"NEW"', b'"x":"TRADE","X":"FILLED"'))
    assert message_id("alice", event) == message_id("alice", again)
    assert message_id("alice", event) != message_id("bob", event)
    assert message_id("alice", event) != message_id("alice", filled)
    gap = ev.StreamGap(since=1.0, until=2.0, reason="x")
    assert message_id("a", gap) == message_id("a", ev.StreamGap(since=1.0, until=2.0, reason="x"))
    assert message_id("a", gap) != message_id("a", ev.StreamGap(since=1.0, until=3.0, reason="x"))
    assert len(message_id("a" * 64, event)) <= 64 + 1 + 24 + 1 + 32


@pytest.mark.parametrize("bad", ["", "a.b", "a b", "a*", "x" * 65, "é"])
def test_message_id_rejects_ids_that_are_not_subject_tokens(bad: str) -> None:
    with pytest.raises(InvalidAccountId, match="A-Z a-z 0-9"):
        message_id(bad, ev.StreamGap(since=1.0, until=2.0, reason="x"))


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[1]", b'{"e":"StreamGap"}', b'{"e":"StreamGap","account":"a","since":"x"}'],
)
def test_foreign_payloads_are_a_typed_error(payload: bytes) -> None:
    with pytest.raises(MessageDecodeError):
        decode_message(payload)
