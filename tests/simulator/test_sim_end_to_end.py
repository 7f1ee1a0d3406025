"""End to end: our own REST client trades on the simulator; a raw WebSocket client receives
exactly what the simulator recorded as emitted; REST snapshots agree with the engine."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from binance.derivatives.cmfutures import (
    AccountApi,
    AsyncApiClient,
    MarketDataApi,
    TradeApi,
    UserDataStreamsApi,
)
from binance.derivatives.cmfutures.clock import ManualClock, SystemClock
from binance.derivatives.cmfutures.events import OrderTradeUpdate, decode_event
from binance.derivatives.cmfutures.simulator import Simulator, SimulatorOptions


class Collector:
    """Reads a WebSocket continuously (answering pings) and keeps every text frame."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[str] = []
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        async for msg in self.ws:
            if msg.type is WSMsgType.TEXT:
                self.frames.append(msg.data)

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.wait_for(self.task, 5)


async def test_trading_with_our_client_sent_equals_received(
    cmfutures_simulator: Simulator,
) -> None:
    sim = cmfutures_simulator
    async with AsyncApiClient(sim.configuration(), clock=sim.clock) as client, \
            aiohttp.ClientSession() as http:
        streams = UserDataStreamsApi(client)
        key = (await streams.cmfutures_create_listen_key_v1()).listen_key
        raw = Collector(await http.ws_connect(f"{sim.stream_url}/ws/{key}"))
        combined = Collector(await http.ws_connect(f"{sim.stream_url}/stream?streams={key}"))
        await sim.advance(0)

        server_time = (await MarketDataApi(client).cmfutures_get_time_v1()).server_time
        assert server_time == sim.now_ms()

        trade = TradeApi(client)
        await trade.cmfutures_create_leverage_v1(symbol="BTCUSD_PERP", leverage=10)
        limit = await trade.cmfutures_create_order_v1(
            symbol="BTCUSD_PERP", side="BUY", type="LIMIT", quantity="2", price="60000",
            time_in_force="GTC",
        )
        await trade.cmfutures_create_order_v1(
            symbol="ETHUSD_PERP", side="SELL", type="MARKET", quantity="3"
        )
        await sim.advance(60)
        sim.exchange.set_mark_price("BTCUSD_PERP", Decimal("59000"))  # fills the limit buy
        await sim.advance(60)
        await streams.cmfutures_update_listen_key_v1()
        open_orders = await AccountApi(client).cmfutures_get_open_orders_v1()
        assert open_orders == []
        await sim.advance(1)

        emitted = sim.emitted()
        assert len(emitted) >= 6
        assert raw.frames == [e.raw.decode() for e in emitted]
        assert [json.loads(f) for f in combined.frames] == [
            {"stream": key, "data": json.loads(e.raw)} for e in emitted
        ]
        for item in emitted:
            assert decode_event(item.raw) == item.event
        fills = [
            e.event for e in emitted
            if isinstance(e.event, OrderTradeUpdate)
            and e.event.order.order_id == limit.order_id
            and e.event.order.execution_type == "TRADE"
        ]
        assert fills and fills[-1].order.order_status == "FILLED"

        account = await AccountApi(client).cmfutures_get_account_v1()
        state = sim.state()
        rest_positions = {
            (p.symbol, p.position_side): Decimal(str(p.position_amt))
            for p in account.positions if Decimal(str(p.position_amt)) != 0
        }
        assert rest_positions == {
            ("BTCUSD_PERP", "BOTH"): Decimal("2"),
            ("ETHUSD_PERP", "BOTH"): Decimal("-3"),
        }
        assert {
            side: p.position_amount for side, p in state.positions.items() if p.position_amount
        } == rest_positions
        await raw.close()
        await combined.close()


async def test_random_walk_moves_mark_prices_on_the_clock() -> None:
    options = SimulatorOptions(random_walk_interval=5)
    async with Simulator(clock=ManualClock(), options=options, seed=3) as sim:
        before = sim.exchange.mark_price("BTCUSD_PERP")
        await sim.advance(4)
        assert sim.exchange.mark_price("BTCUSD_PERP") == before
        await sim.advance(1)
        assert sim.exchange.mark_price("BTCUSD_PERP") != before


async def test_control_path_drives_the_engine(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    base = sim.rest_url + "/_sim"
    async with aiohttp.ClientSession(headers=sim.control_headers) as http:
        r = await http.post(base + "/mark-price", json={"symbol": "BTCUSD_PERP", "price": "61000"})
        assert r.status == 200
        assert sim.exchange.mark_price("BTCUSD_PERP") == Decimal("61000")
        r = await http.post(base + "/deposit", json={"asset": "BTC", "amount": "0.5"})
        assert r.status == 200
        r = await http.post(base + "/funding", json={"symbol": "BTCUSD_PERP", "rate": "0.0001"})
        assert r.status == 200
        emitted = await (await http.get(base + "/emitted")).json()
        assert emitted[0]["raw"] == sim.emitted()[0].raw.decode()
        assert json.loads(emitted[0]["raw"])["a"]["m"] == "DEPOSIT"
        r = await http.get(base + "/state", params={"account": sim.account.alias})
        state = await r.json()
        assert r.status == 200, state
        assert state["alias"] == sim.account.alias
        assert Decimal(state["balances"]["BTC"]["wallet_balance"]) == (
            sim.state().balances["BTC"].wallet_balance
        )
        assert "BTCUSD_PERP:BOTH" in state["positions"]
        r = await http.post(base + "/accounts", json={"balances": {"BTC": "2"}})
        new = await r.json()
        assert sim.resolve(new["apiKey"]).alias == new["alias"]
        listed = await (await http.get(base + "/accounts")).json()
        assert len(listed) == 2 and "apiKey" not in listed[0]
        before = sim.clock.time()
        r = await http.post(base + "/advance", json={"seconds": 30})
        assert (await r.json())["time"] == pytest.approx(before + 30)
        r = await http.get(base + "/state", params={"account": "nobody"})
        assert r.status == 404
        r = await http.post(base + "/mark-price", json={"symbol": "BTCUSD_PERP", "price": "x"})
        assert r.status == 400


async def test_real_clock_simulator_refuses_advance() -> None:
    async with Simulator(clock=SystemClock()) as sim:
        with pytest.raises(TypeError, match="ManualClock"):
            await sim.advance(1)
        async with aiohttp.ClientSession(headers=sim.control_headers) as http:
            r = await http.post(sim.rest_url + "/_sim/advance", json={"seconds": 1})
            assert r.status == 409


async def test_configuration_needs_private_key_for_asymmetric_accounts(
    cmfutures_simulator: Simulator,
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    account = cmfutures_simulator.add_account(ed25519_public_key=pem)
    with pytest.raises(ValueError, match="private_key_pem"):
        cmfutures_simulator.configuration(account)


async def test_shutdown_closes_connections_with_1001() -> None:
    sim = Simulator()
    async with sim, aiohttp.ClientSession() as http:
        r = await http.post(
            sim.rest_url + "/dapi/v1/listenKey", headers={"X-MBX-APIKEY": sim.account.api_key}
        )
        key = (await r.json())["listenKey"]
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}")
        reader: Any = asyncio.ensure_future(ws.receive())
        await sim.stop()
        msg = await asyncio.wait_for(reader, 5)
        assert msg.type is WSMsgType.CLOSE and msg.data == 1001
        await ws.close()


async def test_seed_compatible_sync_client_in_a_thread(cmfutures_simulator: Simulator) -> None:
    from binance.derivatives.cmfutures import ApiClient

    sim = cmfutures_simulator
    cfg = sim.configuration()

    def seed_style() -> tuple[str, str]:
        api = UserDataStreamsApi(ApiClient(cfg))
        first = api.cmfutures_create_listen_key_v1().listen_key
        api.cmfutures_update_listen_key_v1()
        again = api.cmfutures_create_listen_key_v1().listen_key
        api.cmfutures_delete_listen_key_v1()
        return first, again

    first, again = await asyncio.to_thread(seed_style)
    assert first == again
    assert sim.listen_key() is None


async def test_engine_options_pass_through() -> None:
    from binance.derivatives.cmfutures.simulator.options import EngineOptions

    options = SimulatorOptions(engine_options=EngineOptions(default_balances={"BTC": Decimal("5")}))
    async with Simulator(options=options) as sim:
        assert sim.state().balances["BTC"].wallet_balance == Decimal("5")


async def test_server_time_is_the_nearest_millisecond_of_simulated_time() -> None:
    """A ManualClock's float sums fall just short of the intended instant (two advances of
    0.1 s from a whole second read ...199.9998 ms): the server time must still say 200."""
    start = 1_700_000_000.0
    async with Simulator(clock=ManualClock(start), seed=0) as sim:
        await sim.advance(0.1)
        await sim.advance(0.1)
        assert sim.clock.time() * 1000 < start * 1000 + 200  # the float sum is short
        async with AsyncApiClient(sim.configuration(), clock=sim.clock) as client:
            server_time = (await MarketDataApi(client).cmfutures_get_time_v1()).server_time
        assert server_time == sim.now_ms() == int(start * 1000) + 200
