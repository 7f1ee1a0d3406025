"""Every fault, shown to happen, seen from a raw aiohttp client (and over the control path)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from binance.derivatives.cmfutures.events import MalformedEvent, UnknownEvent, decode_event
from binance.derivatives.cmfutures.simulator import Simulator


async def _connect(sim: Simulator, http: aiohttp.ClientSession, **kw: Any) -> Any:
    r = await http.post(
        sim.rest_url + "/dapi/v1/listenKey", headers={"X-MBX-APIKEY": sim.account.api_key}
    )
    key = (await r.json())["listenKey"]
    ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}", **kw)
    await sim.advance(0)
    return key, ws


async def _next(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    # A real-time bound only so a broken test fails instead of hanging.
    return await asyncio.wait_for(ws.receive(), 5)


async def _nothing_pending(ws: aiohttp.ClientWebSocketResponse) -> None:
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(ws.receive(), 0.05)


def _deposit(sim: Simulator, amount: str = "0.25") -> None:
    sim.exchange.deposit(sim.account.api_key, "BTC", Decimal(amount))


async def test_drop_connections_without_close_frame(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        _, ws = await _connect(sim, http)
        assert sim.faults.drop_connections() == 1
        msg = await _next(ws)
        assert msg.type in (WSMsgType.CLOSED, WSMsgType.ERROR)  # no CLOSE frame
        await sim.advance(0)
        assert sim.connections() == 0
        assert sim.fault_log[-1].name == "drop_connections"
        assert sim.fault_log[-1].affected == 1


async def test_close_connections_with_code(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        _, ws = await _connect(sim, http)
        sim.faults.close_connections(code=1011, reason="maintenance")
        msg = await _next(ws)
        assert msg.type is WSMsgType.CLOSE and msg.data == 1011 and msg.extra == "maintenance"
        with pytest.raises(ValueError):
            sim.faults.close_connections(code=1006)


async def test_half_open_stops_events_pings_and_pongs(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        _, ws = await _connect(sim, http, autoping=False)
        received: list[aiohttp.WSMessage] = []

        async def read() -> None:
            while True:
                msg = await ws.receive()
                received.append(msg)
                if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
                    return

        reader = asyncio.ensure_future(read())
        assert sim.faults.half_open() == 1
        _deposit(sim)
        await ws.ping(b"anyone?")
        await sim.advance(1000)  # no pings, and no close for the missing pongs either
        assert received == []
        assert not ws.closed and sim.connections() == 1
        last = sim.emitted()[-1]  # emitted, but the half-open connection swallowed it
        assert not last.delivered and last.received_by == [] and not last.dropped
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await ws.close()
        await sim.advance(0)
        assert sim.connections() == 0


async def test_delay_holds_messages_in_clock_time(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        _, ws = await _connect(sim, http)
        sim.faults.delay(30)
        _deposit(sim, "0.1")
        await sim.advance(10)
        _deposit(sim, "0.2")
        await sim.advance(19)
        await _nothing_pending(ws)
        await sim.advance(1)
        first = json.loads((await _next(ws)).data)
        assert first["a"]["B"][0]["bc"] == "0.1"
        await _nothing_pending(ws)
        await sim.advance(10)
        second = json.loads((await _next(ws)).data)
        assert second["a"]["B"][0]["bc"] == "0.2"
        sim.faults.delay(0)
        _deposit(sim, "0.3")
        assert json.loads((await _next(ws)).data)["a"]["B"][0]["bc"] == "0.3"
        await ws.close()


async def test_duplicate_next_event(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        _, ws = await _connect(sim, http)
        sim.faults.duplicate_next_event()
        _deposit(sim)
        _deposit(sim)
        frames = [(await _next(ws)).data for _ in range(3)]
        assert frames[0] == frames[1] != frames[2]
        log = sim.emitted()
        assert [e.duplicated for e in log] == [True, False]
        await ws.close()


async def test_drop_next_events_makes_a_real_gap(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        _, ws = await _connect(sim, http)
        sim.faults.drop_next_events(2)
        for amount in ("0.1", "0.2", "0.3"):
            _deposit(sim, amount)
        received = json.loads((await _next(ws)).data)
        await _nothing_pending(ws)
        log = sim.emitted()
        assert [e.delivered for e in log] == [False, False, True]
        assert json.loads(log[2].raw) == received
        await ws.close()


async def test_malformed_frame_and_unknown_event(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        _, ws = await _connect(sim, http)
        assert sim.faults.send_malformed_frame() == 1
        assert sim.faults.send_unknown_event(event_type="NEW_THING") == 1
        bad = (await _next(ws)).data
        with pytest.raises(MalformedEvent):
            decode_event(bad)
        unknown = decode_event((await _next(ws)).data)
        assert isinstance(unknown, UnknownEvent) and unknown.event_type == "NEW_THING"
        log = sim.emitted()
        assert [e.injected for e in log] == [True, True]
        assert log[0].event is None and log[0].raw.decode() == bad
        await ws.close()


async def test_fail_next_rest_calls(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    headers = {"X-MBX-APIKEY": sim.account.api_key}
    async with aiohttp.ClientSession(sim.rest_url, headers=headers) as http:
        sim.faults.fail_next_rest(2, status=503, code=-1001)
        for _ in range(2):
            r = await http.get("/dapi/v1/time")
            assert r.status == 503
            assert (await r.json())["code"] == -1001
            assert "X-MBX-USED-WEIGHT-1M" in r.headers
        assert (await http.get("/dapi/v1/time")).status == 200
        sim.faults.fail_next_rest(1, status=500, code=-1000, path="/dapi/v1/listenKey")
        assert (await http.get("/dapi/v1/time")).status == 200
        r = await http.post("/dapi/v1/listenKey")
        assert r.status == 500 and (await r.json())["code"] == -1000
        assert "Retry-After" not in r.headers
        assert (await http.post("/dapi/v1/listenKey")).status == 200
        sim.faults.fail_next_rest(1, status=429, code=-1003)
        r = await http.get("/dapi/v1/time")
        assert r.status == 429 and r.headers["Retry-After"] == "1"


async def test_expire_listen_key_now(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key, ws = await _connect(sim, http)
        assert sim.faults.expire_listen_key() == key
        frame = json.loads((await _next(ws)).data)
        assert frame["e"] == "listenKeyExpired" and frame["listenKey"] == key
        assert sim.listen_key() is None
        assert sim.faults.expire_listen_key() is None
        await ws.close()


async def test_faults_over_the_control_path(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    ctl = sim.control_headers
    async with aiohttp.ClientSession() as http:
        _, ws = await _connect(sim, http)
        base = f"{sim.rest_url}/_sim"
        r = await http.post(f"{base}/faults/send_unknown_event", json={}, headers=ctl)
        assert r.status == 200 and (await r.json())["result"] == 1
        assert json.loads((await _next(ws)).data)["e"] == "SIM_UNKNOWN_EVENT"
        r = await http.post(
            f"{base}/faults/close_connections", json={"code": 4000}, headers=ctl
        )
        assert r.status == 200
        msg = await _next(ws)
        assert msg.type is WSMsgType.CLOSE and msg.data == 4000
        r = await http.post(f"{base}/faults/no_such_fault", json={}, headers=ctl)
        assert r.status == 404
        r = await http.post(f"{base}/faults/delay", json={"seconds": -1}, headers=ctl)
        assert r.status == 400
        log = await (await http.get(f"{base}/faults", headers=ctl)).json()
        assert [f["name"] for f in log] == ["send_unknown_event", "close_connections"]


async def test_half_open_without_reading_then_drop(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        _, ws = await _connect(sim, http, autoping=False)
        sim.faults.half_open(answer_close=False)
        await ws.send_str('{"method":"LIST_SUBSCRIPTIONS","id":1}')  # swallowed
        await sim.advance(700)
        await _nothing_pending(ws)
        assert sim.connections() == 1
        sim.faults.drop_connections()
        msg = await _next(ws)
        assert msg.type in (WSMsgType.CLOSED, WSMsgType.ERROR)
        await sim.advance(0)
        assert sim.connections() == 0


async def test_clear_cancels_pending_faults(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        _, ws = await _connect(sim, http)
        sim.faults.drop_next_events(3)
        sim.faults.duplicate_next_event(2)
        sim.faults.delay(50)
        sim.faults.fail_next_rest(5)
        assert sim.faults.pending_event_faults == {"drop": 3, "duplicate": 2}
        sim.faults.clear()
        assert sim.faults.pending_event_faults == {"drop": 0, "duplicate": 0}
        _deposit(sim)
        assert json.loads((await _next(ws)).data)["e"] == "ACCOUNT_UPDATE"
        r = await http.get(sim.rest_url + "/dapi/v1/time")
        assert r.status == 200
        assert sim.fault_log[-1].name == "clear"
        await ws.close()
