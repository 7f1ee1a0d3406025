"""WebSocket rules of the simulator, observed with a raw aiohttp client (spec §3, §4.1, §4.8)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from binance.derivatives.cmfutures.events import AccountUpdate, decode_event
from binance.derivatives.cmfutures.simulator import Simulator, SimulatorOptions


async def _new_key(sim: Simulator, http: aiohttp.ClientSession, account: Any = None) -> str:
    api_key = (account or sim.account).api_key
    r = await http.post(sim.rest_url + "/dapi/v1/listenKey", headers={"X-MBX-APIKEY": api_key})
    return str((await r.json())["listenKey"])


async def _next(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    # A real-time bound only so a broken test fails instead of hanging; never a timing check.
    return await asyncio.wait_for(ws.receive(), 5)


async def _text(ws: aiohttp.ClientWebSocketResponse) -> Any:
    msg = await _next(ws)
    assert msg.type is WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def _nothing_pending(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Assert that no frame is waiting (the simulator's loop has been settled before)."""
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(ws.receive(), 0.05)


class Reader:
    """Reads a connection continuously (answering pings, as a live client does)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[aiohttp.WSMessage] = asyncio.Queue()
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            msg = await self.ws.receive()
            await self.queue.put(msg)
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
                return

    async def next(self) -> aiohttp.WSMessage:
        return await asyncio.wait_for(self.queue.get(), 5)

    async def text(self) -> Any:
        msg = await self.next()
        assert msg.type is WSMsgType.TEXT, msg
        return json.loads(msg.data)

    def pending(self) -> list[Any]:
        items = []
        while not self.queue.empty():
            items.append(self.queue.get_nowait())
        return items

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.wait_for(self.task, 5)


async def _reader(http: aiohttp.ClientSession, url: str) -> Reader:
    return Reader(await http.ws_connect(url))


def _deposit(sim: Simulator, amount: str = "0.5", account: Any = None) -> None:
    sim.exchange.deposit((account or sim.account).api_key, "BTC", Decimal(amount))


async def test_events_reach_a_raw_connection_in_order(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}")
        await sim.advance(0)
        assert sim.connections() == 1 and sim.connections(sim.account) == 1
        _deposit(sim, "0.1")
        _deposit(sim, "0.2")
        first, second = await _text(ws), await _text(ws)
        assert first["e"] == second["e"] == "ACCOUNT_UPDATE"
        assert first["a"]["m"] == "DEPOSIT"
        emitted = sim.emitted()
        assert [json.loads(e.raw) for e in emitted] == [first, second]
        assert [e.seq for e in emitted] == sorted(e.seq for e in emitted)
        assert all(e.listen_key == key and e.delivered for e in emitted)
        assert isinstance(emitted[0].event, AccountUpdate)
        await ws.close()


async def test_events_are_recorded_without_a_listen_key(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    _deposit(sim)
    [emitted] = sim.emitted()
    assert emitted.listen_key is None and emitted.account_alias == sim.account.alias
    assert decode_event(emitted.raw) == emitted.event


async def test_server_pings_every_180_s_and_accepts_pongs(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}", autoping=False)
        await sim.advance(179)
        await _nothing_pending(ws)
        await sim.advance(1)
        ping = await _next(ws)
        assert ping.type is WSMsgType.PING
        await ws.pong(ping.data)
        for _ in range(5):  # ponging keeps it alive well past 600 s
            await sim.advance(180)
            ping = await _next(ws)
            assert ping.type is WSMsgType.PING
            await ws.pong(ping.data)
        assert not ws.closed
        await ws.close()


async def test_close_after_600_s_without_pong(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}", autoping=False)
        await sim.advance(540)
        kinds = [(await _next(ws)).type for _ in range(3)]
        assert kinds == [WSMsgType.PING] * 3
        await _nothing_pending(ws)
        await sim.advance(60)
        msg = await _next(ws)
        assert msg.type is WSMsgType.CLOSE and msg.data == 1008
        await ws.close()
        await sim.advance(0)
        assert sim.connections() == 0


async def test_client_ping_gets_pong_with_same_payload(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}", autoping=False)
        await ws.ping(b"hello")
        msg = await _next(ws)
        assert msg.type is WSMsgType.PONG and msg.data == b"hello"
        await ws.close()


@pytest.mark.cmfutures_simulator(
    options=SimulatorOptions(ping_interval=3600, pong_timeout=7200, listen_key_lifetime=1e6)
)
async def test_connection_cut_at_24_hours(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}")  # autoping answers pings
        received: list[aiohttp.WSMessage] = []

        async def read() -> None:
            async for msg in ws:
                received.append(msg)

        reader = asyncio.ensure_future(read())
        await sim.advance(86399)
        assert not ws.closed and sim.connections() == 1
        await sim.advance(1)
        await asyncio.wait_for(reader, 5)
        assert ws.closed and ws.close_code == 1000
        assert sim.connections() == 0


async def test_listen_key_expired_then_silence(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        client = await _reader(http, f"{sim.stream_url}/ws/{key}")
        await sim.advance(3600)
        expired = await client.text()
        assert expired == {"e": "listenKeyExpired", "E": str(sim.now_ms()), "listenKey": key}
        _deposit(sim)  # no active key: recorded, delivered nowhere
        new_key = await _new_key(sim, http)
        assert new_key != key
        _deposit(sim)  # on the new key; the old connection stays silent
        await sim.advance(600)
        assert client.pending() == []
        assert not client.ws.closed
        log = sim.emitted()
        assert [e.listen_key for e in log] == [key, None, new_key]
        assert log[0].event.listen_key == key
        await client.close()


@pytest.mark.cmfutures_simulator(
    options=SimulatorOptions(
        expired_event_time="number", expired_include_listen_key=False, close_after_expired=True
    )
)
async def test_listen_key_expired_numeric_variant_and_close(
    cmfutures_simulator: Simulator,
) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        client = await _reader(http, f"{sim.stream_url}/ws/{key}")
        await sim.advance(3600)
        assert await client.text() == {"e": "listenKeyExpired", "E": sim.now_ms()}
        msg = await client.next()
        assert msg.type is WSMsgType.CLOSE and msg.data == 1000


async def test_connect_with_expired_or_unknown_key_gets_listen_key_expired(
    cmfutures_simulator: Simulator,
) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        await sim.advance(3600)
        for bad in (key, "X" * 64):
            ws = await http.ws_connect(f"{sim.stream_url}/ws/{bad}")
            assert (await _text(ws))["e"] == "listenKeyExpired"
            await ws.close()


@pytest.mark.cmfutures_simulator(options=SimulatorOptions(unknown_key_on_connect="reject"))
async def test_connect_with_unknown_key_rejected_option(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await http.ws_connect(f"{sim.stream_url}/ws/{'X' * 64}")
        assert info.value.status == 400


async def test_delete_while_connected_pushes_expired(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}")
        await http.delete(
            sim.rest_url + "/dapi/v1/listenKey", headers={"X-MBX-APIKEY": sim.account.api_key}
        )
        assert (await _text(ws))["e"] == "listenKeyExpired"
        await ws.close()


@pytest.mark.cmfutures_simulator(options=SimulatorOptions(on_delete="close"))
async def test_delete_while_connected_close_option(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}")
        await http.delete(
            sim.rest_url + "/dapi/v1/listenKey", headers={"X-MBX-APIKEY": sim.account.api_key}
        )
        msg = await _next(ws)
        assert msg.type is WSMsgType.CLOSE and msg.data == 1000


async def test_combined_stream_url_wraps_events(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/stream?streams={key}")
        await sim.advance(0)
        _deposit(sim)
        frame = await _text(ws)
        assert frame["stream"] == key
        assert frame["data"] == json.loads(sim.emitted()[-1].raw)
        await ws.close()


async def test_subscribe_on_stream_and_ws(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        combined = await http.ws_connect(f"{sim.stream_url}/stream")
        raw = await http.ws_connect(f"{sim.stream_url}/ws")
        for ws in (combined, raw):
            await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": [key], "id": 1}))
            assert await _text(ws) == {"result": None, "id": 1}
        await combined.send_str('{"method":"LIST_SUBSCRIPTIONS","id":2}')
        assert await _text(combined) == {"result": [key], "id": 2}
        _deposit(sim)
        assert (await _text(combined))["stream"] == key
        assert (await _text(raw))["e"] == "ACCOUNT_UPDATE"
        await raw.send_str('{"method":"SET_PROPERTY","params":["combined",true],"id":3}')
        assert await _text(raw) == {"result": None, "id": 3}
        _deposit(sim)
        assert (await _text(raw))["stream"] == key
        await raw.send_str("not json")
        assert (await _text(raw))["code"] == 3
        await raw.send_str('{"method":"NOPE","params":[],"id":4}')
        assert (await _text(raw))["code"] == 2
        for ws in (combined, raw):
            await ws.close()


async def test_fan_out_to_every_connection_on_a_key(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        one = await http.ws_connect(f"{sim.stream_url}/ws/{key}")
        two = await http.ws_connect(f"{sim.stream_url}/stream?streams={key}")
        await sim.advance(0)
        assert sim.connections(sim.account) == 2
        _deposit(sim)
        a, b = await _text(one), await _text(two)
        assert b["data"] == a
        await one.close()
        await two.close()


async def test_events_of_other_accounts_do_not_leak(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    other = sim.add_account()
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        await _new_key(sim, http, other)
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}")
        await sim.advance(0)
        _deposit(sim, account=other)
        await sim.advance(0)
        await _nothing_pending(ws)
        assert len(sim.emitted(other)) == 1 and sim.emitted() == []
        await ws.close()


async def test_more_than_10_inbound_messages_per_second_closes(
    cmfutures_simulator: Simulator,
) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}", autoping=False)
        for i in range(10):
            await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
        for _ in range(10):
            assert "result" in await _text(ws)
        await sim.advance(1)  # a new second: 10 more are fine
        for i in range(10):
            await ws.ping(b"%d" % i)
        for _ in range(10):
            assert (await _next(ws)).type is WSMsgType.PONG
        await ws.send_str('{"method":"LIST_SUBSCRIPTIONS","id":99}')
        msg = await _next(ws)
        assert msg.type is WSMsgType.CLOSE and msg.data == 1008


async def test_subscribe_dead_key_and_unsubscribe(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/stream")
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": ["D" * 64], "id": 1}))
        assert await _text(ws) == {"result": None, "id": 1}
        expired = await _text(ws)
        assert expired["stream"] == "D" * 64 and expired["data"]["e"] == "listenKeyExpired"
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": [key], "id": 2}))
        assert await _text(ws) == {"result": None, "id": 2}
        await ws.send_str(json.dumps({"method": "UNSUBSCRIBE", "params": [key], "id": 3}))
        assert await _text(ws) == {"result": None, "id": 3}
        _deposit(sim)
        await sim.advance(0)
        await _nothing_pending(ws)
        assert sim.emitted()[-1].listen_key == key  # emitted on the key, nobody subscribed
        await ws.close()


@pytest.mark.cmfutures_simulator(options=SimulatorOptions(unknown_key_on_connect="reject"))
async def test_subscribe_dead_key_rejected_option(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{sim.stream_url}/stream")
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": ["D" * 64], "id": 7}))
        reply = await _text(ws)
        assert reply["code"] == 2 and reply["id"] == 7
        await ws.close()


@pytest.mark.cmfutures_simulator(options=SimulatorOptions(fan_out=False))
async def test_no_fan_out_option_delivers_to_newest_only(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        old = await http.ws_connect(f"{sim.stream_url}/ws/{key}")
        await sim.advance(0)
        new = await http.ws_connect(f"{sim.stream_url}/ws/{key}")
        await sim.advance(0)
        _deposit(sim)
        assert (await _text(new))["e"] == "ACCOUNT_UPDATE"
        await _nothing_pending(old)
        await old.close()
        await new.close()


@pytest.mark.cmfutures_simulator(options=SimulatorOptions(on_delete="silence"))
async def test_delete_while_connected_silence_option(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}")
        await http.delete(
            sim.rest_url + "/dapi/v1/listenKey", headers={"X-MBX-APIKEY": sim.account.api_key}
        )
        await _new_key(sim, http)
        _deposit(sim)  # goes to the new key only
        await sim.advance(0)
        await _nothing_pending(ws)
        assert sim.emitted()[-1].listen_key not in (None, key)
        assert [e.event.__class__.__name__ for e in sim.emitted()] == ["AccountUpdate"]
        await ws.close()


@pytest.mark.cmfutures_simulator(options=SimulatorOptions(count_control_frames=False))
async def test_pings_not_counted_option(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}", autoping=False)
        for i in range(15):
            await ws.ping(b"%d" % i)
        for _ in range(15):
            assert (await _next(ws)).type is WSMsgType.PONG
        assert not ws.closed
        await ws.close()
