"""Issue 9 item 22: hostile input never makes the simulator answer 5xx.

Hypothesis throws malformed parameters at every REST route (correctly signed most of the time,
so they reach the handlers) and arbitrary JSON (non-finite numbers, huge exponents, deep
nesting, wrong types) at every ``/_sim`` control route. Every answer must be below 500 and
errors must keep their documented shape: ``{"code", "msg"}`` on REST, ``{"error"}`` on the
control path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from binance.derivatives.cmfutures.simulator import Simulator
from binance.derivatives.cmfutures.simulator.app import WEIGHTS

ROUTES = [*sorted(WEIGHTS), ("GET", "/dapi/v1/openOrders")]
CONTROL_POSTS = [
    "/_sim/mark-price", "/_sim/funding", "/_sim/deposit", "/_sim/random-walk",
    "/_sim/advance", "/_sim/accounts",
    "/_sim/faults/delay", "/_sim/faults/close_connections", "/_sim/faults/drop_next_events",
    "/_sim/faults/duplicate_next_event", "/_sim/faults/expire_listen_key",
    "/_sim/faults/half_open", "/_sim/faults/send_unknown_event",
]
CONTROL_GETS = ["/_sim/state", "/_sim/emitted", "/_sim/accounts", "/_sim/time", "/_sim/faults"]

PARAM_NAMES = [
    "symbol", "side", "type", "quantity", "price", "timeInForce", "orderId",
    "origClientOrderId", "newClientOrderId", "positionSide", "reduceOnly", "leverage",
    "dualSidePosition", "marginType", "recvWindow", "stopPrice", "closePosition",
    "workingType", "priceProtect", "activationPrice", "callbackRate",
]
NASTY = [
    "", "0", "-1", "1", "1.5", "NaN", "sNaN", "-Infinity", "Infinity", "1e999999999",
    "1e-999999999", "9" * 5000, "²", "٣", "１", "0x10", " 1", "1 ", "true", "TRUE", "BOTH",
    "BTCUSD_PERP", "ETHUSD_PERP", "BUY", "SELL", "LIMIT", "MARKET", "GTC", "ÿ", "\x00",
    "a" * 300, "{}", "[[[[[[[[[[]]]]]]]]]]", "%", "&", "=",
]
values = st.one_of(st.sampled_from(NASTY), st.sampled_from(NASTY), st.text(max_size=30),
                   st.decimals(allow_nan=True, allow_infinity=True).map(str),
                   st.integers().map(str))
# a valid request with one to three of its fields replaced, so that most examples get past
# the first check and reach deep into the engine
TEMPLATES = [
    {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "LIMIT", "quantity": "1",
     "price": "60000", "timeInForce": "GTC"},
    {"symbol": "BTCUSD_PERP", "side": "SELL", "type": "MARKET", "quantity": "1"},
    {"symbol": "BTCUSD_PERP", "orderId": "1"},
    {"symbol": "BTCUSD_PERP", "leverage": "10"},
    {"symbol": "BTCUSD_PERP", "marginType": "ISOLATED"},
    {"dualSidePosition": "true"},
    {"symbol": "BTCUSD_PERP", "side": "BUY", "orderId": "1", "quantity": "1", "price": "1"},
]
mutated = st.builds(
    lambda template, changes: {**template, **changes},
    st.sampled_from(TEMPLATES),
    st.dictionaries(st.sampled_from(PARAM_NAMES), values, min_size=1, max_size=3),
)
params = st.one_of(
    mutated,
    st.dictionaries(st.one_of(st.sampled_from(PARAM_NAMES), st.text(max_size=10)), values,
                    max_size=8),
)

JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.sampled_from(NASTY), st.sampled_from(["BTCUSD_PERP", "BTC", "ETH"]),
)
json_values = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)
CONTROL_FIELDS = ["symbol", "price", "rate", "asset", "amount", "account", "seconds",
                  "balances", "api_key", "secret_key", "hedge_mode", "code", "reason", "n",
                  "answer_close", "event_type"]
control_bodies = st.one_of(
    st.dictionaries(st.sampled_from(CONTROL_FIELDS), json_values, max_size=4).map(json.dumps),
    json_values.map(json.dumps),
    st.sampled_from([
        '{"seconds": Infinity}', '{"seconds": NaN}', '{"seconds": 1e999999999}',
        '{"symbol": "BTCUSD_PERP", "price": 1e999999999}',
        '{"symbol": "BTCUSD_PERP", "price": "1e999999999"}', '{"seconds": -Infinity}',
        "[" * 5000 + "]" * 5000, '{"a":' * 100 + "1" + "}" * 100, "\xff\xfe", "",
        '{"n": 99999999999999999999999}', '{"seconds": ' + "9" * 5000 + "}",
    ]),
    st.text(max_size=50),
)

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _query(sim: Simulator, fields: dict[str, str], *, sign: bool) -> str:
    parts = [f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in fields.items()]
    if sign:
        parts.append(f"timestamp={sim.now_ms()}")
    text = "&".join(parts)
    if sign:
        assert sim.account.secret_key is not None
        signature = hmac.new(sim.account.secret_key.encode(), text.encode(),
                             hashlib.sha256).hexdigest()
        text += f"&signature={signature}"
    return text


@FUZZ
@given(route=st.sampled_from(ROUTES), fields=params, sign=st.sampled_from([True] * 3 + [False]),
       raw_signature=st.one_of(st.none(), st.none(), st.none(), st.text(max_size=70)))
async def test_rest_never_answers_5xx(
    cmfutures_simulator: Simulator, route: tuple[str, str], fields: dict[str, str],
    sign: bool, raw_signature: str | None,
) -> None:
    sim = cmfutures_simulator
    method, path = route
    query = _query(sim, fields, sign=sign)
    if raw_signature is not None:  # a non-ASCII or otherwise mangled signature
        query += ("&" if query else "") + f"timestamp={sim.now_ms()}&signature=" + quote(
            raw_signature, safe="")
    url = URL(sim.rest_url + path + ("?" + query if query else ""), encoded=True)
    async with aiohttp.ClientSession() as http:
        headers = {"X-MBX-APIKEY": sim.account.api_key}
        async with http.request(method, url, headers=headers) as r:
            body = await r.read()
    assert r.status < 500, (r.status, body[:300])
    if r.status >= 400 and len(str(url)) < 8000:  # longer: aiohttp's HTTP parser answers 400
        error = json.loads(body)
        assert set(error) == {"code", "msg"} and isinstance(error["code"], int), error


@FUZZ
@given(path=st.sampled_from(CONTROL_POSTS), body=control_bodies)
async def test_control_path_never_answers_5xx(
    cmfutures_simulator: Simulator, path: str, body: str
) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession(headers=sim.control_headers) as http:
        async with http.post(sim.rest_url + path, data=body.encode("utf-8", "surrogatepass"))\
                as r:
            answer = await r.read()
        assert r.status < 500, (path, body[:200], r.status, answer[:300])
        if r.status >= 400:
            assert set(json.loads(answer)) == {"error"}
        for get in CONTROL_GETS:  # the server is still healthy
            async with http.get(sim.rest_url + get) as r:
                assert r.status == 200, (get, await r.text())


@pytest.mark.parametrize("depth", [40, 3000])
async def test_deep_json_is_a_400(cmfutures_simulator: Simulator, depth: int) -> None:
    sim = cmfutures_simulator
    body = '{"seconds":' + "[" * depth + "]" * depth + "}"
    async with (
        aiohttp.ClientSession(headers=sim.control_headers) as http,
        http.post(sim.rest_url + "/_sim/advance", data=body) as r,
    ):
        assert r.status == 400 and "nested" in (await r.json())["error"]


def _signed_url(sim: Simulator, path: str, fields: dict[str, str], tail: str = "") -> URL:
    return URL(sim.rest_url + path + "?" + _query(sim, fields, sign=True) + tail, encoded=True)


@pytest.mark.parametrize(
    ("method", "path", "fields", "code"),
    [
        ("POST", "/dapi/v1/order", {**TEMPLATES[0], "price": "1e999999999"}, -1100),
        ("POST", "/dapi/v1/order", {**TEMPLATES[0], "price": "1E+30"}, -1100),
        ("POST", "/dapi/v1/order", {**TEMPLATES[0], "price": "1e-999999999"}, -1100),
        ("POST", "/dapi/v1/order", {**TEMPLATES[0], "price": "9" * 5000}, -1100),
        ("GET", "/dapi/v1/order", {"symbol": "BTCUSD_PERP", "orderId": "²"}, -1100),
        ("GET", "/dapi/v1/order", {"symbol": "BTCUSD_PERP", "orderId": "9" * 5000}, -1100),
        ("POST", "/dapi/v1/leverage", {"symbol": "BTCUSD_PERP", "leverage": "9" * 5000}, -1100),
        ("GET", "/dapi/v1/balance", {"recvWindow": "²"}, -1130),
        ("GET", "/dapi/v1/balance", {"recvWindow": "9" * 5000}, -1130),
    ],
)
async def test_malformed_fields_are_binance_style_4xx(
    cmfutures_simulator: Simulator, method: str, path: str, fields: dict[str, str], code: int
) -> None:
    sim = cmfutures_simulator
    async with (
        aiohttp.ClientSession(headers={"X-MBX-APIKEY": sim.account.api_key}) as http,
        http.request(method, _signed_url(sim, path, fields)) as r,
    ):
        assert r.status == 400
        assert (await r.json())["code"] == code


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("timestamp=²&signature=00", -1102),  # "²" is a digit to str.isdigit()
        ("timestamp=" + "9" * 5000 + "&signature=00", -1102),
        ("timestamp={now}&signature=éé", -1022),  # a non-ASCII signature
        ("timestamp={now}&signature=" + "💥" * 16, -1022),
    ],
)
async def test_malformed_timestamps_and_signatures_are_4xx(
    cmfutures_simulator: Simulator, body: str, code: int
) -> None:
    sim = cmfutures_simulator
    form = f"symbol=BTCUSD_PERP&leverage=5&{body.format(now=sim.now_ms())}".encode()
    headers = {"X-MBX-APIKEY": sim.account.api_key,
               "Content-Type": "application/x-www-form-urlencoded"}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.post(sim.rest_url + "/dapi/v1/leverage", data=form) as r,
    ):
        assert r.status == 400
        assert (await r.json())["code"] == code
