"""Hostile user-data frames (issue 9, items 8 and 9): JSON nested too deeply and Decimals out
of range are malformed frames, never a RecursionError, a crash in de-duplication or a 100 MB
``encode_event``."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import pytest

from binance.derivatives.cmfutures._decimals import MAX_ADJUSTED, MIN_ADJUSTED, check_decimals
from binance.derivatives.cmfutures.events import (
    AccountUpdate,
    MalformedEvent,
    OrderTradeUpdate,
    StreamGap,
    decode_event,
    encode_event,
    event_identity,
)
from binance.derivatives.cmfutures.stream.actions import Connect, Deliver
from binance.derivatives.cmfutures.stream.core import StreamCore

T0 = 1_767_225_600.0

ORDER: dict[str, Any] = {
    "e": "ORDER_TRADE_UPDATE",
    "E": 1767225600000,
    "T": 1767225600000,
    "o": {
        "s": "BTCUSD_PERP",
        "c": "abc",
        "S": "BUY",
        "o": "LIMIT",
        "f": "GTC",
        "q": "1",
        "p": "64250.0",
        "ap": "0",
        "sp": "0",
        "x": "TRADE",
        "X": "PARTIALLY_FILLED",
        "i": 7,
        "l": "0.5",
        "z": "0.5",
        "L": "64250.0",
        "T": 1767225600000,
        "t": 3,
        "n": "0.00000031",
    },
}
ACCOUNT: dict[str, Any] = {
    "e": "ACCOUNT_UPDATE",
    "E": 1767225600000,
    "T": 1767225600000,
    "a": {
        "m": "ORDER",
        "B": [{"a": "BTC", "wb": "0.00241969", "cw": "0.00241969", "bc": "0"}],
        "P": [
            {
                "s": "BTCUSD_PERP",
                "pa": "1",
                "ep": "64250.0",
                "cr": "0",
                "up": "0",
                "mt": "cross",
                "iw": "0",
                "ps": "BOTH",
            }
        ],
    },
}


def order_with(**fields: Any) -> bytes:
    return json.dumps({**ORDER, "o": {**ORDER["o"], **fields}}).encode()


def balance_with(**fields: Any) -> bytes:
    data = json.loads(json.dumps(ACCOUNT))
    data["a"]["B"][0].update(fields)
    return json.dumps(data).encode()


def position_with(**fields: Any) -> bytes:
    data = json.loads(json.dumps(ACCOUNT))
    data["a"]["P"][0].update(fields)
    return json.dumps(data).encode()


BAD = ["NaN", "nan", "sNaN", "-sNaN", "Infinity", "-inf", "1e100000000", "1E-100000000",
       "0E-31", "1E+31", "0." + "0" * 30 + "1", "1" + "0" * 31]


@pytest.mark.parametrize("value", BAD)
def test_decimals_out_of_range_are_malformed(value: str) -> None:
    for raw in (order_with(z=value), balance_with(wb=value), position_with(ep=value)):
        with pytest.raises(MalformedEvent) as info:
            decode_event(raw)
        assert "finite" in info.value.reason or "magnitude" in info.value.reason


def test_the_reason_names_the_wire_field() -> None:
    with pytest.raises(MalformedEvent) as info:
        decode_event(order_with(z="sNaN"))
    assert info.value.reason == "invalid ORDER_TRADE_UPDATE: o.z: sNaN is not a finite number"
    with pytest.raises(MalformedEvent) as info:
        decode_event(balance_with(wb="1e100000000"))
    assert "a.B[0].wb" in info.value.reason


def test_a_json_number_out_of_range_is_malformed_too() -> None:
    raw = order_with().replace(b'"z": "0.5"', b'"z": 1e999')
    with pytest.raises(MalformedEvent):
        decode_event(raw)


@pytest.mark.parametrize(
    "value", ["0", "-0", "0.00000000", "1E+30", "9" * 31, "1E-30", "-123.456", "0.00000031"]
)
def test_the_accepted_range_is_inclusive(value: str) -> None:
    event = decode_event(order_with(z=value))
    assert isinstance(event, OrderTradeUpdate)
    assert event.order.cumulative_filled_quantity == Decimal(value)
    assert hash(event_identity(event)) is not None
    assert len(encode_event(event)) < 1000  # no amplification on the way back out


def test_the_range_constants_match_the_documentation() -> None:
    assert (MIN_ADJUSTED, MAX_ADJUSTED) == (-30, 30)
    assert check_decimals(Decimal("1E+30")) is None
    assert check_decimals([Decimal("1"), Decimal("NaN")]) is not None
    assert check_decimals("not a struct") is None


def test_optional_decimals_absent_are_fine() -> None:
    event = decode_event(json.dumps(ACCOUNT).encode())
    assert isinstance(event, AccountUpdate)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
        b'{"e":"ORDER_TRADE_UPDATE","x":' + b"[" * 5_000 + b"]" * 5_000 + b"}",
        b'{"e":"WHATEVER","x":' + b"{\"a\":" * 5_000 + b"1" + b"}" * 5_001,
        b'{"stream":"k","data":' + b"[" * 5_000 + b"]" * 5_000 + b"}",
    ],
    ids=["open", "closed", "known-type", "unknown-type", "envelope"],
)
def test_deep_json_is_malformed_not_a_recursion_error(raw: bytes) -> None:
    with pytest.raises(MalformedEvent) as info:
        decode_event(raw)
    assert "nested too deeply" in info.value.reason
    with pytest.raises(MalformedEvent):
        decode_event(raw.decode())


def _connected_core() -> tuple[StreamCore, int]:
    core = StreamCore("ws://127.0.0.1:1")
    core.start(T0)
    actions = core.create_key_ok("k" * 64, T0)
    (connect,) = [a for a in actions if isinstance(a, Connect)]
    core.connection_opened(connect.conn_id, T0)
    return core, connect.conn_id


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000, order_with(z="sNaN"), balance_with(wb="1e100000000")],
    ids=["deep", "snan", "huge-exponent"],
)
def test_the_stream_reports_them_as_malformed_frames(
    raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    core, conn = _connected_core()
    with caplog.at_level(logging.WARNING):
        actions = core.frame_received(conn, raw, T0 + 1)
    delivered = [a.message for a in actions if isinstance(a, Deliver)]
    assert len(delivered) == 1 and isinstance(delivered[0], StreamGap)
    assert "malformed frame" in delivered[0].reason
    assert core.stats(T0 + 1).malformed_frames == 1 and core.connected
    # the next good frame still goes through (and de-duplication still works)
    actions = core.frame_received(conn, order_with(), T0 + 2)
    assert [type(a.message) for a in actions if isinstance(a, Deliver)] == [OrderTradeUpdate]
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)
