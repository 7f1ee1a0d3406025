"""The README's journal example, run against the simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from binance.derivatives.cmfutures import Journal, UserDataStream
from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.events import OrderTradeUpdate, StreamConnected

from .conftest import T0

README = Path(__file__).resolve().parents[2] / "README.md"


async def test_readme_journal_example(tmp_path: Path) -> None:
    from binance.derivatives.cmfutures.simulator import Simulator

    assert "## The journal: what survives what" in README.read_text()
    assert (README.parent / "docs" / "journal.md").is_file()
    booked: list[Any] = []

    def book(message: Any) -> None:
        booked.append(message)

    async with Simulator(clock=ManualClock(start=T0)) as sim:
        cfg = sim.configuration()
        journal = Journal(tmp_path / "events.db", clock=sim.clock)
        async with UserDataStream(cfg, journal=journal, clock=sim.clock) as stream:
            messages = aiter(stream)
            assert isinstance(await anext(messages), StreamConnected)
            sim.exchange.new_order(sim.account.api_key, {
                "symbol": "BTCUSD_PERP", "side": "BUY", "type": "MARKET", "quantity": "1"})
            assert isinstance(await anext(messages), OrderTradeUpdate)
        entries = [e async for e in journal.read(after=0, account=None, follow=False)]
        assert [e.offset for e in entries][:2] == [1, 2] and entries[0].account == "default"
        consumer = journal.consumer("booking")
        async for entry in consumer:
            book(entry.message)
            await consumer.commit(entry.offset)
            if entry.offset == entries[-1].offset:
                break
        await consumer.aclose()
        await journal.close()
    assert booked == [e.message for e in entries]
