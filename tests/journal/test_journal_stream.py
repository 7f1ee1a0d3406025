"""UserDataStream(journal=...): what is handed out is on disk, in order, exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from binance.derivatives.cmfutures import Journal
from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.events import StreamConnected, StreamGap
from binance.derivatives.cmfutures.journal import JournalLockedError, JournalWriteError

from .conftest import T0, JournaledStream, collect

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")


@pytest.fixture
async def sim() -> Any:
    from binance.derivatives.cmfutures.simulator import Simulator

    async with Simulator(clock=ManualClock(start=T0), seed=3) as sim:
        yield sim


async def test_every_handed_out_message_is_journaled_first(sim: Any, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.db", clock=sim.clock)
    h = JournaledStream(sim, journal)
    handed: list[tuple[Any, int]] = []

    def check(message: Any) -> None:  # runs at hand-out: the journal must already hold it
        handed.append((message, journal.last_offset))

    await h.open()
    h.stream.on(object, check)
    h.emit(20)
    await h.settle()
    sim.faults.drop_connections()
    await h.settle()
    await sim.advance(5)
    await h.settle()
    h.emit(5)
    await h.settle()
    await h.close()
    await journal.close()
    assert h.error is None
    entries = await collect(journal.read())
    assert [e.message for e in entries] == h.messages  # same messages, same order
    assert {e.account for e in entries} == {"default"}
    assert len([m for m in h.messages if isinstance(m, StreamGap)]) == 1
    # at each hand-out, the message was already on disk
    assert len(handed) == len(entries) - 1  # all but StreamConnected (handed out before on())
    for (message, last), entry in zip(handed, entries[1:], strict=True):
        assert entry.message == message and last >= entry.offset


async def test_account_id_is_recorded(sim: Any, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.db", clock=sim.clock)
    h = JournaledStream(sim, journal)
    await h.open(account="acct-7")
    h.emit(2)
    await h.settle()
    await h.close()
    await journal.close()
    assert {e.account for e in await collect(journal.read())} == {"acct-7"}


async def test_restart_adds_a_gap_and_never_duplicates(sim: Any, tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    first = Journal(path, clock=sim.clock)
    h = JournaledStream(sim, first)
    await h.open(delete_listen_key_on_close=False)
    h.emit(3)
    await h.settle()
    last_e = h.messages[-1].event_time
    await h.close()
    await first.close()
    await sim.advance(60)
    lost = h.emit(2)  # nobody is listening
    await sim.advance(1)

    second = Journal(path, clock=sim.clock)
    h2 = JournaledStream(sim, second)
    await h2.open()
    h2._n = 5
    h2.emit(1)
    await h2.settle()
    await h2.close()
    await second.close()
    entries = await collect(second.read())
    gaps = [e.message for e in entries if isinstance(e.message, StreamGap)]
    assert len(gaps) == 1
    gap = gaps[0]
    connected = [e.message for e in entries if isinstance(e.message, StreamConnected)][-1]
    assert gap.since == last_e / 1000 and gap.until == connected.at
    for e in lost:
        assert gap.since <= e.at <= gap.until
    ids = [e.message.order.order_id for e in entries if e.type == "ORDER_TRADE_UPDATE"]
    assert ids == [1, 2, 3, 6]


async def test_full_disk_is_an_error_on_the_stream(sim: Any, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.db", clock=sim.clock)
    h = JournaledStream(sim, journal)
    await h.open()
    h.emit(1)
    await h.settle()
    conn = journal._writer._conn  # type: ignore[union-attr]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count={pages}")  # SQLITE_FULL, as on a full disk
    h.emit(50)
    await h.settle()
    assert isinstance(h.error, JournalWriteError)
    assert "full" in str(h.error)
    delivered = [m for m in h.messages if not isinstance(m, StreamConnected)]
    await h.close()
    await journal.close()
    journaled = [e.message for e in await collect(journal.read())]
    assert journaled[: len(h.messages)] == h.messages  # nothing handed out that is not on disk
    assert len(delivered) < 51


async def test_second_writer_fails_the_stream_with_a_clear_error(sim: Any, tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    holder = Journal(path)
    holder.open_writer()
    h = JournaledStream(sim, Journal(path, clock=sim.clock))
    await h.open()
    await h.settle()
    assert isinstance(h.error, JournalLockedError) and "pid" in str(h.error)
    assert h.messages == []
    await h.close()
    await holder.close()


class HeldSink:
    """A MessageSink whose commits the test releases by hand."""

    def __init__(self) -> None:
        self.appended: list[tuple[str, Any, float, asyncio.Future[int | None]]] = []

    def append(self, account: str, message: Any, received_at: float) -> asyncio.Future[int | None]:
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self.appended.append((account, message, received_at, future))
        return future


async def test_any_message_sink_works_and_cancellation_loses_nothing(sim: Any) -> None:
    from binance.derivatives.cmfutures import UserDataStream
    from binance.derivatives.cmfutures.journal import MessageSink

    sink = HeldSink()
    assert isinstance(sink, MessageSink)
    async with UserDataStream(sim.configuration(), clock=sim.clock, journal=sink) as stream:
        await sim.advance(0)
        assert [type(m) for _, m, _, _ in sink.appended] == [StreamConnected]
        assert sink.appended[0][2] == T0  # received_at: the stream's clock at arrival
        waiter = asyncio.ensure_future(stream.__anext__())
        for _ in range(5):
            await asyncio.sleep(0)
        assert not waiter.done()  # held until the sink says it is durable
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        sink.appended[0][3].set_result(1)
        first = await asyncio.wait_for(stream.__anext__(), 5)
        assert isinstance(first, StreamConnected)  # not lost by the cancellation
