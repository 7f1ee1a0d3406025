"""Distributed tests: a real nats-server per test (JetStream, temp store, free port)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from binance.derivatives.cmfutures.distributed.local_server import LocalNatsServer

_HERE = str(Path(__file__).resolve().parent)  # the local helper module fake_pool
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[LocalNatsServer]:
    server = LocalNatsServer(tmp_path / "jetstream")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def nc(nats_server: LocalNatsServer) -> AsyncIterator[Any]:
    import nats

    client = await nats.connect(nats_server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.1)
    try:
        yield client
    finally:
        await client.close()
