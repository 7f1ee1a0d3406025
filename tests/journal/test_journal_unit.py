"""Journal on its own: appends, reads, consumers, restart gaps, locking, damaged files."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from binance.derivatives.cmfutures import Journal
from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.events import (
    StreamConnected,
    StreamDisconnected,
    StreamGap,
    UnknownEvent,
)
from binance.derivatives.cmfutures.journal import (
    JournalCorruptError,
    JournalError,
    JournalLockedError,
    JournalNotFoundError,
    JournalWriteError,
    NotAJournalError,
    Retention,
)

from .conftest import T0, collect, order_event

MS = int(T0 * 1000)


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "events.db")


async def test_appends_get_increasing_offsets_and_read_back_typed(path: str) -> None:
    async with Journal(path) as journal:
        connected = StreamConnected(at=T0, url="ws://x/ws/***abcd", connection_id=1)
        events = [order_event(n, MS + n) for n in range(1, 6)]
        payload = {"e": "NEW_THING", "E": MS + 9}
        unknown = UnknownEvent(event_type="NEW_THING", event_time=MS + 9, payload=payload)
        futures = [journal.append("default", connected, T0)]
        futures += [journal.append("default", e, T0 + i) for i, e in enumerate(events)]
        futures.append(journal.append("other", unknown, T0 + 9))
        offsets = await asyncio.gather(*futures)
        assert offsets == [1, 2, 3, 4, 5, 6, 7]
        entries = await collect(journal.read())
    assert [e.offset for e in entries] == offsets
    assert entries[0].message == connected
    assert [e.message for e in entries[1:6]] == events
    assert entries[6].message == unknown and entries[6].account == "other"
    assert entries[3].received_at == T0 + 2
    assert entries[1].type == "ORDER_TRADE_UPDATE" and entries[0].type == "StreamConnected"


async def test_read_after_is_exclusive_and_account_filters(path: str) -> None:
    async with Journal(path) as journal:
        for n in range(1, 11):
            journal.append("a" if n % 2 else "b", order_event(n, MS + n), T0)
        await journal.flush()
        assert [e.offset for e in await collect(journal.read(after=7))] == [8, 9, 10]
        assert [e.offset for e in await collect(journal.read(account="b"))] == [2, 4, 6, 8, 10]
        assert [e.offset for e in await collect(journal.read(after=4, account="a"))] == [5, 7, 9]
        assert await collect(journal.read(after=10)) == []
        with pytest.raises(ValueError):
            journal.read(after=-1)


async def test_follow_waits_for_new_entries(path: str) -> None:
    journal = Journal(path, clock=ManualClock(start=T0))
    try:
        await journal.append("default", order_event(1, MS), T0)
        seen: list[int] = []
        first = asyncio.Event()

        async def follow() -> None:
            async for entry in journal.read(follow=True):
                seen.append(entry.offset)
                first.set()
                if len(seen) == 3:
                    return

        task = asyncio.create_task(follow())
        await asyncio.wait_for(first.wait(), 5)
        assert seen == [1] and not task.done()
        await asyncio.gather(
            journal.append("default", order_event(2, MS + 1), T0),
            journal.append("default", order_event(3, MS + 2), T0),
        )
        await asyncio.wait_for(task, 5)
        assert seen == [1, 2, 3]
    finally:
        await journal.close()


async def test_consumer_resumes_after_the_last_commit(path: str) -> None:
    async with Journal(path) as journal:
        for n in range(1, 6):
            journal.append("default", order_event(n, MS + n), T0)
        await journal.flush()
        consumer = journal.consumer("booking")
        got = []
        async for entry in consumer:
            got.append(entry.offset)
            if entry.offset == 3:
                await consumer.commit(entry.offset)
                break
        await consumer.aclose()
        again = journal.consumer("booking")
        assert await again.committed() == 3
        nxt = await asyncio.wait_for(again.__anext__(), 5)
        assert nxt.offset == 4
        await again.aclose()
        assert (await journal.stats()).consumers == {"booking": 3}


async def test_restarted_writer_records_its_downtime_and_drops_known_events(path: str) -> None:
    first = Journal(path)
    await first.append("default", StreamConnected(at=T0, url="u", connection_id=1), T0)
    await first.append("default", order_event(1, MS + 500), T0 + 0.6)
    await first.append("default", order_event(2, MS + 800), T0 + 0.9)
    await first.close()

    second = Journal(path)
    connected = StreamConnected(at=T0 + 30, url="u", connection_id=1)
    offsets = await asyncio.gather(
        second.append("default", connected, T0 + 30),
        second.append("default", order_event(2, MS + 800), T0 + 30),  # already journaled
        second.append("default", order_event(3, MS + 31_000), T0 + 31),
    )
    await second.close()
    assert offsets == [4, None, 6]
    entries = await collect(Journal(path).read())
    assert [e.type for e in entries] == [
        "StreamConnected", "ORDER_TRADE_UPDATE", "ORDER_TRADE_UPDATE",
        "StreamConnected", "StreamGap", "ORDER_TRADE_UPDATE",
    ]
    gap = entries[4].message
    assert isinstance(gap, StreamGap)
    assert gap.since == (MS + 800) / 1000  # the last journaled event's E, not a receive time
    assert gap.until == T0 + 30  # the new connection's time
    assert "restarted" in gap.reason


async def test_each_account_gets_its_own_restart_gap(path: str) -> None:
    async with Journal(path) as journal:
        await journal.append("a", order_event(1, MS), T0)
    async with Journal(path) as journal:
        await journal.append("b", order_event(2, MS + 1), T0 + 5)  # b is new: no gap
        lost = StreamDisconnected(at=T0 + 6, reason="x", connection_id=1)
        await journal.append("a", lost, T0 + 6)
    types = [(e.account, e.type) for e in await collect(Journal(path).read())]
    assert types == [
        ("a", "ORDER_TRADE_UPDATE"), ("b", "ORDER_TRADE_UPDATE"),
        ("a", "StreamGap"), ("a", "StreamDisconnected"),
    ]


async def test_a_second_writer_is_refused_naming_the_first(path: str) -> None:
    first = Journal(path)
    await first.append("default", order_event(1, MS), T0)
    second = Journal(path)
    with pytest.raises(JournalLockedError) as info:
        second.open_writer()
    assert f"pid {os.getpid()}" in str(info.value) and "only one writer" in str(info.value).lower()
    with pytest.raises(JournalLockedError):
        await second.append("default", order_event(2, MS), T0)
    assert [e.offset for e in await collect(second.read())] == [1]  # reading is fine
    await first.close()
    assert await second.append("default", order_event(2, MS + 1), T0) is not None
    await second.close()


def test_foreign_files_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a database at all" * 10)
    with pytest.raises(NotAJournalError, match="not an SQLite database"):
        Journal(text)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(NotAJournalError, match="not a cmfutures journal"):
        Journal(other)
    with pytest.raises(JournalNotFoundError):
        Journal(tmp_path / "missing.db", create=False)
    with pytest.raises(JournalError, match="directory exists"):
        Journal(tmp_path / "no-such-dir" / "events.db")


def _checkpoint_and(path: str, damage: Any) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        damage(f, size)


async def test_truncated_file_is_refused(path: str) -> None:
    async with Journal(path) as journal:
        for n in range(3000):
            journal.append("default", order_event(n, MS + n), T0)
        await journal.flush()
    _checkpoint_and(path, lambda f, size: f.truncate(size // 2))
    with pytest.raises(JournalCorruptError, match="truncated"):
        Journal(path)


async def test_damaged_pages_are_reported_as_corruption(path: str) -> None:
    async with Journal(path) as journal:
        for n in range(3000):
            journal.append("default", order_event(n, MS + n), T0)
        await journal.flush()
    def scribble(f: Any, size: int) -> None:  # garbage over the middle, header intact
        f.seek(size // 4)
        f.write(b"\xff" * (size // 2))

    _checkpoint_and(path, scribble)
    with pytest.raises(JournalCorruptError, match="damaged"):
        await collect(Journal(path).read())


async def test_full_disk_fails_the_append_and_writes_nothing(path: str) -> None:
    journal = Journal(path)
    await journal.append("default", order_event(0, MS), T0)
    assert journal._writer is not None
    conn = journal._writer._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count={pages}")  # SQLITE_FULL, as on a full disk
    futures = [journal.append("default", order_event(n, MS + n), T0) for n in range(1, 200)]
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert all(isinstance(r, JournalWriteError) for r in results)
    assert "full" in str(results[0]) and "free disk space" in str(results[0])
    conn.execute("PRAGMA max_page_count=1073741823")
    assert await journal.append("default", order_event(1, MS + 1), T0) == 2  # nothing lost
    await journal.close()


async def test_retention_by_age_and_size(path: str) -> None:
    clock = ManualClock(start=T0)
    journal = Journal(path, clock=clock, retention=Retention(max_age=60, chunk=100))
    for n in range(500):
        journal.append("default", order_event(n, MS + n), T0 + n * 0.1)  # T0 .. T0+49.9
    for n in range(500, 1000):
        journal.append("default", order_event(n, MS + n), T0 + 100)
    await journal.flush()
    await clock.advance(120)
    assert await journal.apply_retention() == 500
    entries = await collect(journal.read())
    assert entries[0].offset == 501 and len(entries) == 500
    await journal.close()

    sized = Journal(path, max_bytes=200_000)
    big = (await sized.stats()).data_bytes
    assert big > 200_000
    removed = await sized.apply_retention()
    stats = await sized.stats()
    assert removed > 0 and stats.data_bytes <= 200_000 and stats.newest_offset == 1000
    assert stats.file_bytes < big or stats.wal_bytes > 0
    await sized.close()


async def test_appends_interleave_with_retention(path: str) -> None:
    clock = ManualClock(start=T0)
    journal = Journal(path, clock=clock, retention=Retention(max_age=1, chunk=50, interval=0.5))
    for n in range(1000):
        journal.append("default", order_event(n, MS + n), T0)
    await journal.flush()
    await clock.advance(10)
    # the next batches trigger retention chunks; appends keep completing meanwhile
    offsets = []
    for n in range(1000, 1010):
        offsets.append(await journal.append("default", order_event(n, MS + n), T0 + 10))
    assert offsets == list(range(1001, 1011))
    await journal.apply_retention()
    entries = await collect(journal.read())
    assert [e.offset for e in entries] == offsets
    await journal.close()


def test_durability_options(path: str) -> None:
    assert Journal(path).durability.synchronous == "NORMAL"
    assert Journal(path, durability="power").durability.synchronous == "FULL"
    with pytest.raises(ValueError, match="process"):
        Journal(path, durability="maybe")


async def test_tail_json_is_stream_json_plus_position(path: str) -> None:
    import json

    from binance.derivatives.cmfutures.cli.render import to_json_line

    event = order_event(7, MS + 7)
    gap = StreamGap(since=T0, until=T0 + 1, reason="r")
    async with Journal(path) as journal:
        await journal.append("acct-1", event, T0 + 0.25)
        await journal.append("acct-1", gap, T0 + 1)
        entries: list[Any] = await collect(journal.read())
    for entry, message in zip(entries, (event, gap), strict=True):
        line = json.loads(entry.to_json())
        expected = json.loads(to_json_line(message))
        assert line == {**expected, "offset": entry.offset, "account": "acct-1",
                        "received_at": entry.received_at}
