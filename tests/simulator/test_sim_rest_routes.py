"""Signed trading/account routes over raw HTTP: engine results and errors pass through."""

from __future__ import annotations

import aiohttp

from binance.derivatives.cmfutures.simulator import Simulator

from .helpers import SignedRest


async def test_order_lifecycle_routes(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        rest = SignedRest(sim, http)
        status, order, headers = await rest.call(
            "POST", "/dapi/v1/order", symbol="BTCUSD_PERP", side="BUY", type="LIMIT",
            timeInForce="GTC", quantity="2", price="50000",
        )
        assert status == 200 and headers["X-MBX-ORDER-COUNT-1M"] == "1"
        oid = str(order["orderId"])
        status, got, _ = await rest.call("GET", "/dapi/v1/order", symbol="BTCUSD_PERP", orderId=oid)
        assert status == 200 and got["orderId"] == order["orderId"]
        status, amended, headers = await rest.call(
            "PUT", "/dapi/v1/order", symbol="BTCUSD_PERP", side="BUY", orderId=oid,
            quantity="2", price="50100",
        )
        assert status == 200, amended
        assert headers["X-MBX-ORDER-COUNT-1M"] == "2"
        status, listed, _ = await rest.call("GET", "/dapi/v1/openOrders", symbol="BTCUSD_PERP")
        assert [o["orderId"] for o in listed] == [order["orderId"]]
        status, body, _ = await rest.call("DELETE", "/dapi/v1/allOpenOrders", symbol="BTCUSD_PERP")
        assert status == 200 and body["code"] == 200
        status, body, _ = await rest.call("DELETE", "/dapi/v1/order", symbol="BTCUSD_PERP",
                                          orderId=oid)
        assert status == 400 and body["code"] == -2011
        kinds = [e.event.order.execution_type for e in sim.emitted()]
        assert kinds == ["NEW", "AMENDMENT", "CANCELED"]


async def test_mode_and_margin_routes(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        rest = SignedRest(sim, http)
        status, body, headers = await rest.call("GET", "/dapi/v1/positionSide/dual")
        assert (status, body) == (200, {"dualSidePosition": False})
        assert headers["X-MBX-USED-WEIGHT-1M"] == "30"
        status, body, _ = await rest.call("POST", "/dapi/v1/positionSide/dual",
                                          dualSidePosition="true")
        assert (status, body) == (200, {"code": 200, "msg": "success"})
        assert sim.state().hedge_mode is True
        status, body, _ = await rest.call("POST", "/dapi/v1/positionSide/dual",
                                          dualSidePosition="true")
        assert status == 400 and body["code"] == -4059
        status, body, _ = await rest.call("POST", "/dapi/v1/positionSide/dual")
        assert status == 400 and body["code"] == -1102
        status, body, _ = await rest.call("POST", "/dapi/v1/marginType", symbol="BTCUSD_PERP",
                                          marginType="ISOLATED")
        assert (status, body) == (200, {"code": 200, "msg": "success"})
        assert sim.state().margin_types["BTCUSD_PERP"] == "isolated"
        status, body, _ = await rest.call("POST", "/dapi/v1/marginType", symbol="BTCUSD_PERP",
                                          marginType="SIDEWAYS")
        assert status == 400 and body["code"] == -1102


async def test_unknown_path_is_json_404_with_weight(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        r = await http.get(sim.rest_url + "/dapi/v1/nothing")
        assert r.status == 404 and (await r.json())["code"] == -1000
        assert "X-MBX-USED-WEIGHT-1M" in r.headers
