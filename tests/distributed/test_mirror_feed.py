"""An AccountMirror fed from the workers' JetStream log equals the simulator's books, through
trading and a dropped connection (the worker's gap makes the mirror resync)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from binance.derivatives.cmfutures.clock import SystemClock
from binance.derivatives.cmfutures.distributed import Worker, WorkerOptions, mirror_from_jetstream
from binance.derivatives.cmfutures.signing import BinanceAuth
from binance.derivatives.cmfutures.simulator import Simulator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mirror"))
from mirror_sim import matches


async def eventually(check: Any, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_a_mirror_fed_from_jetstream_follows_the_account(nats_server: Any) -> None:
    async with Simulator(clock=SystemClock()) as sim:
        account = sim.account
        assert account.secret_key is not None
        worker = Worker(
            sim.configuration(),
            {account.alias: BinanceAuth(api_key=account.api_key, secret_key=account.secret_key)},
            nats_server.url,
            worker_id="w1",
            options=WorkerOptions(lease_ttl=2),
        )
        running = asyncio.create_task(worker.run())
        try:
            await asyncio.wait_for(worker.started.wait(), 10)
            await eventually(lambda: account.alias in worker.owned)
            async with mirror_from_jetstream(
                sim.configuration(account), nats_server.url, account.alias, clock=sim.clock
            ) as mirror:
                await mirror.wait_for(lambda m: not m.stale, timeout=20)
                new_order = sim.exchange.new_order
                new_order(account.api_key, {"symbol": "BTCUSD_PERP", "side": "BUY",
                                            "type": "MARKET", "quantity": "3"})
                await eventually(lambda: matches(mirror, sim, account))
                first = mirror.last_resync
                assert first is not None and first.initial
                sim.faults.drop_connections()  # the worker reconnects and publishes a gap
                new_order(account.api_key, {"symbol": "BTCUSD_PERP", "side": "SELL",
                                            "type": "LIMIT", "quantity": "1",
                                            "price": "90000", "timeInForce": "GTC"})
                # the worker's reconnect gap, read from the log, made the mirror resync
                await eventually(lambda: mirror.last_resync is not first)
                await eventually(lambda: matches(mirror, sim, account) and not mirror.stale)
                assert mirror.last_resync is not None and not mirror.last_resync.initial
        finally:
            worker.stop()
            await asyncio.wait_for(running, 30)


async def test_a_worker_with_a_journal_journals_every_message_it_publishes(
    nats_server: Any, tmp_path: Path
) -> None:
    from binance.derivatives.cmfutures import Journal

    async with Simulator(clock=SystemClock()) as sim:
        account = sim.account
        assert account.secret_key is not None
        journal = Journal(tmp_path / "worker.db")
        worker = Worker(
            sim.configuration(),
            {account.alias: BinanceAuth(api_key=account.api_key, secret_key=account.secret_key)},
            nats_server.url,
            worker_id="w1",
            options=WorkerOptions(lease_ttl=2),
            journal=journal,
        )
        running = asyncio.create_task(worker.run())
        try:
            await asyncio.wait_for(worker.started.wait(), 10)
            await eventually(lambda: account.alias in worker.owned)
            sim.exchange.new_order(account.api_key, {"symbol": "BTCUSD_PERP", "side": "BUY",
                                                     "type": "MARKET", "quantity": "1"})
            assert worker.publisher is not None

            async def journaled() -> list[str]:
                return [e.type async for e in journal.read(account=account.alias)]

            for _ in range(200):
                types = await journaled()
                if "ORDER_TRADE_UPDATE" in types:
                    break
                await asyncio.sleep(0.05)
            assert types[0] == "StreamConnected" and "ORDER_TRADE_UPDATE" in types
        finally:
            worker.stop()
            await asyncio.wait_for(running, 30)
            await journal.close()
