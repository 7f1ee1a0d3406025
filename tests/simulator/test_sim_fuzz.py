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
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from binance.derivatives.cmfutures.simulator import Simulator
from binance.derivatives.cmfutures.simulator.app import WEIGHTS

ROUTES = sorted(WEIGHTS) + [("GET", "/dapi/v1/openOrders")]
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
values = st.one_of(st.sampled_from(NASTY), st.text(max_size=30),
                   st.decimals(allow_nan=True, allow_infinity=True).map(str),
                   st.integers().map(str))
params = st.dictionaries(st.one_of(st.sampled_from(PARAM_NAMES), st.text(max_size=10)),
                         values, max_size=8)

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

FUZZ = settings(max_examples=150, deadline=None,
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
@given(route=st.sampled_from(ROUTES), fields=params, sign=st.booleans(),
       raw_signature=st.one_of(st.none(), st.text(max_size=70)))
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
    if r.status >= 400:
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
    async with aiohttp.ClientSession(headers=sim.control_headers) as http:
        async with http.post(sim.rest_url + "/_sim/advance", data=body) as r:
            assert r.status == 400 and "nested" in (await r.json())["error"]
