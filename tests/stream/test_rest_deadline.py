"""The stream's listen-key calls are bounded by the REST deadline (issue 9, item 6): a server
that trickles its answer used to leave the stream at zero connections with no log line, for
ever. Now the call fails at its deadline, the stream logs it and retries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from binance.derivatives.cmfutures import BinanceAuth, Configuration
from binance.derivatives.cmfutures.stream import UserDataStream

from .conftest import serve_listen_key


@pytest.fixture
async def trickling_server() -> AsyncIterator[str]:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            for _ in range(40):  # at most 4 s
                await asyncio.sleep(0.1)
                await response.write(b" ")
        return response

    async with serve_listen_key(trickle, shutdown_timeout=0.1) as address:
        yield address


class _Seen(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if "listen key creation failed" in record.getMessage():
            self.event.set()


async def test_a_trickled_listen_key_answer_is_cut_at_the_deadline_and_logged(
    trickling_server: str,
) -> None:
    cfg = Configuration(
        host=f"http://{trickling_server}",
        stream_host=f"ws://{trickling_server}",
        auth=BinanceAuth(api_key="k", secret_key="s"),
        timeout=(0.3, 0.3),
        retries=0,
    )
    seen = _Seen()
    logger = logging.getLogger("binance.derivatives.cmfutures.stream")
    logger.addHandler(seen)
    start = time.monotonic()
    try:
        async with UserDataStream(cfg, delete_listen_key_on_close=False) as stream:
            await asyncio.wait_for(seen.event.wait(), 10)
            elapsed = time.monotonic() - start
            assert not stream.stats.connected
    finally:
        logger.removeHandler(seen)
    message = next(r.getMessage() for r in seen.records if "creation failed" in r.getMessage())
    assert "read_timeout" in message and "deadline" in message
    assert elapsed < 0.6 + 1.5  # the deadline (0.6 s) plus scheduling slack; not the 4 s
