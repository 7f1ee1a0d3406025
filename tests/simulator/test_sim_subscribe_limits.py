"""Issue 9 item 23: SUBSCRIBE with made-up listen keys costs the simulator no memory.

Before, every unknown key a client subscribed to stayed in the connection's subscription table
and in the emitted record (135k keys: +118 MB, never freed). Now a connection holds at most
``max_streams_per_connection`` (200) keys, a SUBSCRIBE that would exceed it is refused whole,
and a dead or unknown key is answered with ``listenKeyExpired`` and forgotten.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from binance.derivatives.cmfutures.simulator import Simulator, SimulatorOptions


async def _text(ws: aiohttp.ClientWebSocketResponse) -> Any:
    msg = await asyncio.wait_for(ws.receive(), 5)  # a bound against hangs, not a timing check
    assert msg.type is WSMsgType.TEXT, msg
    return json.loads(msg.data)


def _keys(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:060d}" for i in range(n)]


async def test_unknown_keys_are_answered_and_forgotten(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{sim.stream_url}/stream")
        for round_ in range(30):  # 6,000 made-up keys, 200 per SUBSCRIBE, 1 SUBSCRIBE/second
            keys = _keys(f"R{round_:03d}", 200)
            await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": keys, "id": round_}))
            assert await _text(ws) == {"result": None, "id": round_}
            for key in keys:
                frame = await _text(ws)
                assert frame["stream"] == key and frame["data"]["e"] == "listenKeyExpired"
            await sim.advance(1)
        (conn,) = sim.hub.connections
        assert conn.subscriptions == {}
        assert sim.all_emitted() == []
        await ws.send_str('{"method": "LIST_SUBSCRIPTIONS", "id": 99}')
        assert await _text(ws) == {"result": [], "id": 99}
        await ws.close()


async def test_a_subscribe_over_the_limit_is_refused_whole(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{sim.stream_url}/stream")
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": _keys("B", 201), "id": 1}))
        reply = await _text(ws)
        assert reply["code"] == 2 and reply["id"] == 1 and "200" in reply["msg"]
        await ws.send_str('{"method": "LIST_SUBSCRIPTIONS", "id": 2}')
        assert await _text(ws) == {"result": [], "id": 2}
        assert sim.hub.connections[0].subscriptions == {}
        await ws.close()


@pytest.mark.cmfutures_simulator(options=SimulatorOptions(max_streams_per_connection=2))
async def test_live_keys_per_connection_are_capped(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    accounts = [sim.account, sim.add_account(), sim.add_account()]
    keys = [sim.create_listen_key(a.api_key) for a in accounts]
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{sim.stream_url}/stream?streams={keys[0]}")
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": [keys[1]], "id": 1}))
        assert await _text(ws) == {"result": None, "id": 1}
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": [keys[2]], "id": 2}))
        reply = await _text(ws)
        assert reply["code"] == 2 and "at most 2 streams" in reply["msg"]
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": [keys[0]], "id": 3}))
        assert await _text(ws) == {"result": None, "id": 3}  # already held: not a new stream
        await ws.send_str('{"method": "LIST_SUBSCRIPTIONS", "id": 4}')
        assert sorted((await _text(ws))["result"]) == sorted(keys[:2])
        await ws.close()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{sim.stream_url}/stream?streams={'/'.join(keys)}")
        assert refused.value.status == 400
