"""Request weights, X-MBX-USED-WEIGHT-1M, 429 then 418, order counts (spec §1.5, §5.3)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

import aiohttp
import pytest

from binance.derivatives.cmfutures.simulator import Simulator, SimulatorOptions
from binance.derivatives.cmfutures.simulator.rate_limit import OrderCounter, WeightLimiter


def test_limiter_429_then_418_then_recovery() -> None:
    limiter = WeightLimiter(limit=10, interval=60.0, ban_seconds=120.0)
    assert limiter.charge(5, 0.0).used == 5
    assert limiter.charge(5, 1.0).allowed
    refused = limiter.charge(1, 2.0)
    assert (refused.allowed, refused.status, refused.code, refused.retry_after) == (
        False, 429, -1003, 58,
    )
    banned = limiter.charge(1, 3.0)
    assert (banned.status, banned.retry_after) == (418, 120)
    assert limiter.charge(1, 100.0).status == 418  # new window, still banned
    assert limiter.charge(1, 123.0).allowed  # ban over
    # a second ban is twice as long
    limiter.charge(10, 180.0)
    assert limiter.charge(1, 181.0).status == 429
    assert limiter.charge(1, 182.0).retry_after == 240


def test_limiter_window_resets_at_minute_boundary() -> None:
    limiter = WeightLimiter(limit=10)
    limiter.charge(10, 59.9)
    assert limiter.used(59.9) == 10
    assert limiter.used(60.0) == 0
    assert limiter.charge(10, 60.0).allowed


def test_order_counter() -> None:
    counter = OrderCounter(per_10s=2, per_minute=3)
    assert counter.charge(0.0) and counter.charge(1.0)
    assert not counter.charge(2.0)
    assert counter.headers(2.0) == {"X-MBX-ORDER-COUNT-10S": "2", "X-MBX-ORDER-COUNT-1M": "2"}
    assert counter.charge(10.0)
    assert not counter.charge(11.0)  # 3 per minute reached


def _signed(sim: Simulator, params: dict[str, str]) -> str:
    query = urlencode({**params, "timestamp": str(sim.now_ms())})
    secret = (sim.account.secret_key or "").encode()
    return query + "&signature=" + hmac.new(secret, query.encode(), hashlib.sha256).hexdigest()


async def test_weight_header_on_every_response(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    headers = {"X-MBX-APIKEY": sim.account.api_key}
    async with aiohttp.ClientSession(sim.rest_url, headers=headers) as http:
        expected = 0
        for method, path, weight in [
            ("GET", "/dapi/v1/time", 1),
            ("POST", "/dapi/v1/listenKey", 1),
            ("GET", f"/dapi/v1/account?{_signed(sim, {})}", 5),
            ("GET", f"/dapi/v1/openOrders?{_signed(sim, {})}", 40),
            ("GET", f"/dapi/v1/openOrders?{_signed(sim, {'symbol': 'BTCUSD_PERP'})}", 1),
            ("GET", f"/dapi/v1/positionRisk?{_signed(sim, {})}", 1),
            ("GET", "/dapi/v1/exchangeInfo", 1),
            ("GET", "/dapi/v1/balance", 1),  # an error (-1102) costs weight too
        ]:
            r = await http.request(method, path)
            expected += weight
            assert r.headers["X-MBX-USED-WEIGHT-1M"] == str(expected), (path, await r.text())
        await sim.advance(60)
        r = await http.get("/dapi/v1/time")
        assert r.headers["X-MBX-USED-WEIGHT-1M"] == "1"


@pytest.mark.cmfutures_simulator(options=SimulatorOptions(weight_limit=10, ban_seconds=120))
async def test_429_then_418_over_http(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    headers = {"X-MBX-APIKEY": sim.account.api_key}
    await sim.advance(60 - sim.clock.time() % 60)  # start of a minute window
    async with aiohttp.ClientSession(sim.rest_url, headers=headers) as http:
        for _ in range(2):
            r = await http.get(f"/dapi/v1/account?{_signed(sim, {})}")
            assert r.status == 200
        r = await http.get("/dapi/v1/time")
        assert r.status == 429 and r.headers["Retry-After"] == "60"
        assert (await r.json())["code"] == -1003
        assert r.headers["X-MBX-USED-WEIGHT-1M"] == "10"
        r = await http.get("/dapi/v1/time")
        assert r.status == 418 and r.headers["Retry-After"] == "120"
        await sim.advance(119)
        assert (await http.get("/dapi/v1/time")).status == 418
        await sim.advance(1)
        assert (await http.get("/dapi/v1/time")).status == 200


async def test_exchange_info_reports_the_limits(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession(sim.rest_url) as http:
        info = await (await http.get("/dapi/v1/exchangeInfo")).json()
    weight = [x for x in info["rateLimits"] if x["rateLimitType"] == "REQUEST_WEIGHT"]
    assert weight[0]["limit"] == 2400
    symbols = {s["symbol"] for s in info["symbols"]}
    assert {"BTCUSD_PERP", "ETHUSD_PERP"} <= symbols


@pytest.mark.cmfutures_simulator(options=SimulatorOptions(orders_per_10s=2))
async def test_order_count_headers_and_limit(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    headers = {"X-MBX-APIKEY": sim.account.api_key}
    order = {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
             "quantity": "1", "price": "30000"}
    await sim.advance(10 - sim.clock.time() % 10)
    async with aiohttp.ClientSession(sim.rest_url, headers=headers) as http:
        for n in (1, 2):
            r = await http.post(f"/dapi/v1/order?{_signed(sim, order)}")
            assert r.status == 200, await r.text()
            assert r.headers["X-MBX-ORDER-COUNT-10S"] == str(n)
            assert r.headers["X-MBX-ORDER-COUNT-1M"] == str(n)
        r = await http.post(f"/dapi/v1/order?{_signed(sim, order)}")
        assert r.status == 429 and (await r.json())["code"] == -1015
