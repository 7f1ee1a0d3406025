"""Issue 10 items 6-9: ORDER_TRADE_UPDATE b/a, si/ss, ACCOUNT_UPDATE ma, E latency, and the
per-connection delivery record of ``sim.emitted()`` / ``/_sim/emitted``."""

from __future__ import annotations

import asyncio
import json
import random
from decimal import Decimal as D
from typing import Any

import aiohttp

from binance.derivatives.cmfutures.events import UserDataEvent, decode_event, encode_event
from binance.derivatives.cmfutures.simulator import Simulator, SimulatorOptions
from binance.derivatives.cmfutures.simulator.control import _emitted_json
from binance.derivatives.cmfutures.simulator.engine import EngineOptions, Exchange

T0 = 1767225600000
ETH = "ETHUSD_PERP"


class Recorder:
    def __init__(self, **options: Any) -> None:
        self.now = T0
        self.wire: list[dict[str, Any]] = []
        self.ex = Exchange(lambda: self.now, random.Random(3), EngineOptions(**options))
        self.ex.on_event = self.record
        self.ex.add_account("k", alias="oPfT")

    def record(self, key: str, event: UserDataEvent) -> None:
        raw = encode_event(event)
        assert decode_event(raw) == event
        self.wire.append(json.loads(raw))

    def orders(self) -> list[dict[str, Any]]:
        return [w["o"] for w in self.wire if w["e"] == "ORDER_TRADE_UPDATE"]

    def limit(self, side: str, qty: str, price: str) -> int:
        placed = self.ex.new_order("k", {"symbol": ETH, "side": side, "type": "LIMIT",
                                         "timeInForce": "GTC", "quantity": qty, "price": price})
        return int(placed["orderId"])


def test_bid_notional_matches_the_live_capture() -> None:
    """pybotters-wrapper's live COIN-M capture: 1000 ETHUSD contracts at 2099.21 -> b
    4.76369681 (10-USD contracts, truncated to 8 places), a 0."""
    rec = Recorder()
    rec.limit("BUY", "1000", "2099.21")
    (new,) = rec.orders()
    assert (new["x"], new["b"], new["a"]) == ("NEW", "4.76369681", "0")


def test_bid_and_ask_follow_the_open_orders_of_the_symbol() -> None:
    rec = Recorder()
    buy = rec.limit("BUY", "1000", "2099.21")
    rec.limit("SELL", "30", "4000")  # 30 x 10 / 4000 = 0.075 ETH
    assert (rec.orders()[-1]["b"], rec.orders()[-1]["a"]) == ("4.76369681", "0.075")
    rec.limit("BUY", "10", "2000")  # + 0.05
    assert rec.orders()[-1]["b"] == "4.81369681"
    rec.ex.cancel_order("k", {"symbol": ETH, "orderId": str(buy)})
    cancel = rec.orders()[-1]
    assert (cancel["x"], cancel["b"], cancel["a"]) == ("CANCELED", "0.05", "0.075")


def test_bid_drops_by_the_filled_part() -> None:
    rec = Recorder()
    rec.limit("BUY", "100", "2500")
    rec.ex.set_mark_price(ETH, D("2400"))  # crosses: fills
    trade = [o for o in rec.orders() if o["x"] == "TRADE"][-1]
    assert trade["X"] == "FILLED" and trade["b"] == "0" and trade["a"] == "0"


def test_si_ss_and_position_margin_asset_are_emitted() -> None:
    rec = Recorder()
    rec.ex.new_order("k", {"symbol": ETH, "side": "BUY", "type": "MARKET", "quantity": "3"})
    for o in rec.orders():
        assert o["si"] == 0 and o["ss"] == 0
    rows = [p for w in rec.wire if w["e"] == "ACCOUNT_UPDATE" for p in w["a"]["P"]]
    assert rows and all(p["ma"] == "ETH" for p in rows)


def test_event_time_is_a_few_ms_after_transaction_time_by_default() -> None:
    rec = Recorder()
    rec.ex.new_order("k", {"symbol": ETH, "side": "BUY", "type": "MARKET", "quantity": "1"})
    assert rec.wire and all(w["E"] == w["T"] + 3 for w in rec.wire)


def test_zero_latency_keeps_event_time_equal_to_transaction_time() -> None:
    rec = Recorder(event_latency_ms=0)
    rec.ex.new_order("k", {"symbol": ETH, "side": "BUY", "type": "MARKET", "quantity": "1"})
    assert rec.wire and all(w["E"] == w["T"] for w in rec.wire)


# ---------------------------------------------------------------------------- item 9


def _deposit(sim: Simulator) -> None:
    sim.exchange.deposit(sim.account.api_key, "BTC", D("0.25"))


async def _new_key(sim: Simulator, http: aiohttp.ClientSession) -> str:
    r = await http.post(sim.rest_url + "/dapi/v1/listenKey",
                        headers={"X-MBX-APIKEY": sim.account.api_key})
    return str((await r.json())["listenKey"])


async def test_emitted_records_which_connections_received_each_event() -> None:
    async with Simulator() as sim, aiohttp.ClientSession() as http:
        _deposit(sim)  # no listen key: nobody could receive it
        key = await _new_key(sim, http)
        _deposit(sim)  # a key, but no connection
        ws1 = await http.ws_connect(f"{sim.stream_url}/ws/{key}")
        ws2 = await http.ws_connect(f"{sim.stream_url}/ws/{key}")
        await sim.advance(0)
        _deposit(sim)  # both connections
        await sim.advance(0)
        got = [json.loads((await asyncio.wait_for(ws.receive(), 5)).data) for ws in (ws1, ws2)]
        assert got[0] == got[1] and got[0]["e"] == "ACCOUNT_UPDATE"
        sim.faults.drop_next_events(1)
        _deposit(sim)  # dropped by a fault
        await sim.advance(0)
        log = sim.emitted()
        assert [e.delivered for e in log] == [False, False, True, False]
        assert [len(e.received_by) for e in log] == [0, 0, 2, 0]
        assert len(set(log[2].received_by)) == 2
        assert [e.dropped for e in log] == [False, False, False, True]
        body = [_emitted_json(e) for e in log]  # what GET /_sim/emitted returns per frame
        assert [e["delivered"] for e in body] == [False, False, True, False]
        assert body[2]["receivedBy"] == log[2].received_by and body[3]["dropped"] is True
        await ws1.close()
        await ws2.close()


async def test_frames_lost_in_a_closing_connection_are_not_delivered() -> None:
    async with Simulator(options=SimulatorOptions()) as sim, aiohttp.ClientSession() as http:
        key = await _new_key(sim, http)
        ws = await http.ws_connect(f"{sim.stream_url}/ws/{key}")
        await sim.advance(0)
        sim.faults.drop_connections()
        _deposit(sim)
        await sim.advance(0)
        assert not sim.emitted()[-1].delivered
        await ws.close()
