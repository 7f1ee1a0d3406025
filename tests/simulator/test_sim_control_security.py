"""Issue 9 items 21-22: the ``/_sim`` control path refuses strangers, browsers and bad numbers.

Anyone who could reach the port (or a web page in the user's browser) could move money, read
the accounts' secrets or break the server for good. Now: a per-run token, JSON only, loopback
``Host`` only, no cross-origin callers, and every number finite and in range.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.simulator import Simulator


async def _call(sim: Simulator, method: str, path: str, *, body: bytes | None = None,
                **headers: str) -> tuple[int, Any]:
    sent = dict(sim.control_headers)
    for name, value in headers.items():
        name = name.replace("_", "-")
        if value is None:
            sent.pop(name, None)
        else:
            sent[name] = value
    async with (
        aiohttp.ClientSession(skip_auto_headers={"Content-Type"}) as http,
        http.request(method, sim.rest_url + path, data=body, headers=sent) as r,
    ):
        text = await r.text()
        try:
            import json

            return r.status, json.loads(text)
        except ValueError:
            return r.status, text


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/_sim/accounts?keys=true"), ("GET", "/_sim/state"), ("GET", "/_sim/time"),
     ("POST", "/_sim/mark-price"), ("POST", "/_sim/deposit"), ("POST", "/_sim/advance"),
     ("POST", "/_sim/faults/drop_connections"), ("POST", "/_sim/accounts")],
)
@pytest.mark.parametrize("authorization", [None, "", "Bearer ", "Bearer wrong-token-123456",
                                           "Basic dXNlcjpwYXNz"])
async def test_every_control_route_needs_the_token(
    cmfutures_simulator: Simulator, method: str, path: str, authorization: str | None
) -> None:
    sim = cmfutures_simulator
    body = b'{"symbol": "BTCUSD_PERP", "price": "1", "asset": "BTC", "amount": "5"}'
    status, answer = await _call(sim, method, path, body=body if method == "POST" else None,
                                 Authorization=authorization)  # type: ignore[arg-type]
    assert status == 401, answer
    assert sim.account.secret_key is not None and sim.account.secret_key not in str(answer)
    assert sim.exchange.mark_price("BTCUSD_PERP") != Decimal(1)
    assert len(sim.accounts) == 1


async def test_the_token_opens_the_control_path(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    status, accounts = await _call(sim, "GET", "/_sim/accounts?keys=true")
    assert status == 200 and accounts[0]["secretKey"] == sim.account.secret_key
    assert len(sim.control_token) >= 32
    with pytest.raises(ValueError, match="control_token"):
        Simulator(control_token="short")
    fixed = Simulator(control_token="a-fixed-token-for-tests")
    assert fixed.control_token == "a-fixed-token-for-tests"


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
     "application/jsonp", "text/json"],
)
async def test_posts_must_be_json(cmfutures_simulator: Simulator, content_type: str | None) -> None:
    """A browser sends text/plain, forms and multipart cross-site without asking first."""
    sim = cmfutures_simulator
    before = sim.exchange.mark_price("BTCUSD_PERP")
    status, answer = await _call(
        sim, "POST", "/_sim/mark-price", body=b'{"symbol": "BTCUSD_PERP", "price": "12345"}',
        Content_Type=content_type,  # type: ignore[arg-type]
    )
    assert status == 415, answer
    assert sim.exchange.mark_price("BTCUSD_PERP") == before


@pytest.mark.parametrize(
    ("host", "allowed"),
    [("127.0.0.1", True), ("localhost", True), ("127.1.2.3:80", True), ("[::1]:8080", True),
     ("LOCALHOST:1", True), ("attacker.example", False), ("attacker.example:80", False),
     ("10.0.0.5", False), ("127.0.0.1.attacker.example", False), ("", False)],
)
async def test_host_must_be_loopback(
    cmfutures_simulator: Simulator, host: str, allowed: bool
) -> None:
    """DNS rebinding: a page on attacker.example resolves its name to 127.0.0.1."""
    status, _ = await _call(cmfutures_simulator, "GET", "/_sim/time", Host=host)
    assert (status == 200) is allowed, status


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://attacker.example"}, {"Origin": "null"},
     {"Origin": "http://127.0.0.1:1"}, {"Sec-Fetch-Site": "cross-site"},
     {"Sec-Fetch-Site": "same-site"}],
)
async def test_browsers_are_refused(
    cmfutures_simulator: Simulator, headers: dict[str, str]
) -> None:
    sim = cmfutures_simulator
    status, answer = await _call(
        sim, "POST", "/_sim/deposit", body=b'{"asset": "BTC", "amount": "100"}',
        **{k.replace("-", "_"): v for k, v in headers.items()},
    )
    assert status == 403, answer
    assert "BTC" not in str([e.raw for e in sim.emitted()])


async def test_rest_and_websocket_routes_need_no_token(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with (
        aiohttp.ClientSession() as http,
        http.post(sim.rest_url + "/dapi/v1/listenKey",
                  headers={"X-MBX-APIKEY": sim.account.api_key}) as r,
    ):
        assert r.status == 200


# ---------------------------------------------------------------- item 22: numbers


@pytest.mark.parametrize(
    "body",
    [b'{"seconds": Infinity}', b'{"seconds": NaN}', b'{"seconds": -Infinity}',
     b'{"seconds": 1e999999999}', b'{"seconds": 1e12}', b'{"seconds": -1}',
     b'{"seconds": "10"}', b'{"seconds": true}', b'{"seconds": ' + b"9" * 5000 + b"}"],
)
async def test_advance_refuses_non_finite_and_out_of_range(body: bytes) -> None:
    async with Simulator(clock=ManualClock(start=1_000_000.0)) as sim:
        status, answer = await _call(sim, "POST", "/_sim/advance", body=body)
        assert status == 400, answer
        assert sim.clock.time() == 1_000_000.0
        status, answer = await _call(sim, "POST", "/_sim/advance", body=b'{"seconds": 1.5}')
        assert status == 200 and answer["time"] == 1_000_001.5  # still healthy


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_sim/mark-price", {"symbol": "BTCUSD_PERP", "price": "1e999999999"}),
        ("/_sim/mark-price", {"symbol": "BTCUSD_PERP", "price": "NaN"}),
        ("/_sim/mark-price", {"symbol": "BTCUSD_PERP", "price": "Infinity"}),
        ("/_sim/mark-price", {"symbol": "BTCUSD_PERP", "price": "0"}),
        ("/_sim/mark-price", {"symbol": "BTCUSD_PERP", "price": "1e-40"}),
        ("/_sim/mark-price", {"symbol": "BTCUSD_PERP", "price": True}),
        ("/_sim/funding", {"symbol": "BTCUSD_PERP", "rate": "sNaN"}),
        ("/_sim/funding", {"symbol": "BTCUSD_PERP", "rate": "1e999999999"}),
        ("/_sim/deposit", {"asset": "BTC", "amount": "-Infinity"}),
        ("/_sim/deposit", {"asset": "BTC", "amount": "1e16"}),
        ("/_sim/accounts", {"balances": {"BTC": "NaN"}}),
        ("/_sim/accounts", {"balances": {"BTC": "1e999999999"}}),
        ("/_sim/accounts", {"balances": ["BTC"]}),
        ("/_sim/faults/delay", {"seconds": 1e300}),
        ("/_sim/faults/drop_next_events", {"n": 10**12}),
        ("/_sim/faults/fail_next_rest", {"n": 1, "retry_after": 10**30}),
    ],
)
async def test_amounts_must_be_finite_and_in_range(
    cmfutures_simulator: Simulator, path: str, body: dict[str, Any]
) -> None:
    import json

    sim = cmfutures_simulator
    mark = sim.exchange.mark_price("BTCUSD_PERP")
    status, answer = await _call(sim, "POST", path, body=json.dumps(body).encode())
    assert status == 400, answer
    assert set(answer) == {"error"}
    assert sim.exchange.mark_price("BTCUSD_PERP") == mark and len(sim.accounts) == 1
    assert sim.emitted() == [] and sim.fault_log == []
    # the server still works
    status, state = await _call(sim, "GET", "/_sim/state")
    assert status == 200 and state["alias"] == sim.account.alias


async def test_an_oversized_body_is_a_413(cmfutures_simulator: Simulator) -> None:
    body = b'{"symbol": "' + b"X" * 70_000 + b'"}'
    status, _ = await _call(cmfutures_simulator, "POST", "/_sim/mark-price", body=body)
    assert status == 413


async def test_manual_clock_refuses_a_non_finite_advance() -> None:
    clock = ManualClock(start=0)
    for bad in (float("inf"), float("nan")):
        with pytest.raises(ValueError, match="finite"):
            await clock.advance(bad)
    assert clock.time() == 0
