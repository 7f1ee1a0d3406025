"""A server that floods pings (issue 9, item 10): answered without one task per ping (before:
one task each, +76 MB in 20 s), counted in tasks, not RSS. Since the stream runs on the pool's
connection machine (issue 11), pongs count against Binance's 10 incoming messages per second
like every frame we send: pings that arrive faster are answered once, with the latest payload
(RFC 6455, 5.5.3), instead of 3,000 pongs that would get the connection closed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Coroutine, Generator
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from binance.derivatives.cmfutures import BinanceAuth, Configuration
from binance.derivatives.cmfutures.events import OrderTradeUpdate
from binance.derivatives.cmfutures.stream import UserDataStream

PINGS = 3000
EVENT = {
    "e": "ORDER_TRADE_UPDATE",
    "E": 1767225600000,
    "T": 1767225600000,
    "o": {
        "s": "BTCUSD_PERP", "c": "abc", "S": "BUY", "o": "LIMIT", "f": "GTC", "q": "1",
        "p": "64250.0", "ap": "0", "sp": "0", "x": "NEW", "X": "NEW", "i": 7, "l": "0",
        "z": "0", "L": "0", "T": 1767225600000, "t": 0,
    },
}


class FloodServer:
    def __init__(self) -> None:
        self.pongs: list[bytes] = []
        self.last_answered = asyncio.Event()
        self.url = ""

    async def listen_key(self, request: web.Request) -> web.Response:
        return web.json_response({"listenKey": "k" * 60} if request.method == "POST" else {})

    async def ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        for i in range(PINGS):
            await ws.ping(str(i).encode())
        await ws.send_str(json.dumps(EVENT))
        async for msg in ws:
            if msg.type is WSMsgType.PONG:
                self.pongs.append(msg.data)
                if msg.data == str(PINGS - 1).encode():
                    self.last_answered.set()
        return ws


@pytest.fixture
async def flood() -> AsyncIterator[FloodServer]:
    server = FloodServer()
    app = web.Application()
    app.router.add_route("*", "/dapi/v1/listenKey", server.listen_key)
    app.router.add_get("/ws/{key}", server.ws)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"127.0.0.1:{port}"
    yield server
    await runner.cleanup()


async def test_a_ping_flood_is_answered_within_the_message_rate_with_bounded_tasks(
    flood: FloodServer,
) -> None:
    loop = asyncio.get_running_loop()
    created: list[str] = []
    previous = loop.get_task_factory()

    def counting(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
        **kwargs: Any,
    ) -> asyncio.Future[Any]:
        created.append(getattr(coro, "__qualname__", "?"))
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(counting)  # type: ignore[arg-type]
    try:
        cfg = Configuration(
            host=f"http://{flood.url}",
            stream_host=f"ws://{flood.url}",
            auth=BinanceAuth(api_key="k", secret_key="s"),
        )
        async with UserDataStream(cfg) as stream:
            async for message in stream:
                if isinstance(message, OrderTradeUpdate):
                    break
            await asyncio.wait_for(flood.last_answered.wait(), 10)
        # the latest ping is answered; pongs stay within the per-connection message rate
        # (5 a second by default, the flood lasted well under 2 s)
        assert 1 <= len(flood.pongs) <= 15, len(flood.pongs)
        assert flood.pongs[-1] == str(PINGS - 1).encode()
        # the stream's own tasks (timers, key calls, the connection, close) and the test
        # server's, but nothing per ping
        assert len(created) < 100, sorted(set(created))
    finally:
        loop.set_task_factory(previous)
