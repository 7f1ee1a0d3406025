"""What is in a journal: :class:`JournalStats` (``cmfutures journal stats``)."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field

from .retention import used_bytes

__all__ = ["JournalStats", "collect_stats"]


@dataclass(frozen=True)
class JournalStats:
    """Counts and bounds of a journal at one moment.

    :ivar entries: how many entries it holds.
    :ivar by_account: account -> entry type (``ORDER_TRADE_UPDATE``, ``StreamGap``...) -> count.
    :ivar gaps: account -> number of ``StreamGap`` entries (events possibly missed).
    :ivar oldest_offset, newest_offset: None for an empty journal.
    :ivar oldest_received_at, newest_received_at: epoch seconds, None for an empty journal.
    :ivar file_bytes, wal_bytes: sizes of the database file and its WAL file.
    :ivar data_bytes: bytes of pages in use (what retention's ``max_bytes`` bounds).
    :ivar consumers: consumer name -> committed offset.
    :ivar writer: the current writer's description, or None.
    """

    path: str
    entries: int
    by_account: dict[str, dict[str, int]]
    gaps: dict[str, int]
    oldest_offset: int | None
    newest_offset: int | None
    oldest_received_at: float | None
    newest_received_at: float | None
    file_bytes: int
    wal_bytes: int
    data_bytes: int
    consumers: dict[str, int] = field(default_factory=dict)
    writer: str | None = None


def collect_stats(conn: sqlite3.Connection, path: str) -> JournalStats:
    by_account: dict[str, dict[str, int]] = {}
    for account, type_name, count in conn.execute(
        "SELECT account, type, count(*) FROM entries GROUP BY account, type ORDER BY account, type"
    ):
        by_account.setdefault(account, {})[type_name] = count
    first = conn.execute("SELECT seq, received_at FROM entries ORDER BY seq LIMIT 1").fetchone()
    last = conn.execute("SELECT seq, received_at FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
    consumers = {name: seq for name, seq in conn.execute("SELECT name, seq FROM consumers")}
    row = conn.execute("SELECT value FROM meta WHERE key = 'writer'").fetchone()
    writer = None
    if row:
        try:
            holder = json.loads(row[0])
            writer = f"pid {holder['pid']} on host {holder['host']} since {holder['since']}"
        except (ValueError, KeyError, TypeError):
            writer = row[0]
    wal = path + "-wal"
    return JournalStats(
        path=path,
        entries=sum(sum(types.values()) for types in by_account.values()),
        by_account=by_account,
        gaps={a: types.get("StreamGap", 0) for a, types in by_account.items()},
        oldest_offset=first[0] if first else None,
        newest_offset=last[0] if last else None,
        oldest_received_at=first[1] if first else None,
        newest_received_at=last[1] if last else None,
        file_bytes=os.path.getsize(path),
        wal_bytes=os.path.getsize(wal) if os.path.exists(wal) else 0,
        data_bytes=used_bytes(conn),
        consumers=consumers,
        writer=writer,
    )
