"""Retention: the oldest entries go once they are too old or the journal is too big."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

__all__ = ["Retention", "retain_chunk"]


@dataclass(frozen=True)
class Retention:
    """How long entries are kept. Both limits may be set; either alone; None keeps everything.

    Entries are removed oldest first, ``chunk`` at a time, each chunk its own short
    transaction between the writer's batches, so appends never wait behind a long delete.
    Removal is absolute: a consumer whose position was removed resumes at the oldest entry.

    :param max_age: seconds an entry is kept after it was received.
    :param max_bytes: bytes the entries may occupy in the database file (pages in use; the
        WAL file comes on top, bounded by SQLite's auto-checkpoint).
    :param interval: seconds (writer's clock) between retention checks.
    :param chunk: entries removed per transaction.
    :raises ValueError: a limit or the chunk is not positive.
    """

    max_age: float | None = None
    max_bytes: int | None = None
    interval: float = 1.0
    chunk: int = 2000

    def __post_init__(self) -> None:
        for name in ("max_age", "max_bytes"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"Retention({name}=...) must be positive, got {value!r}")
        if self.chunk < 1 or self.interval <= 0:
            raise ValueError("Retention chunk and interval must be positive")

    @property
    def active(self) -> bool:
        return self.max_age is not None or self.max_bytes is not None


def used_bytes(conn: sqlite3.Connection) -> int:
    """Bytes of the database file holding data (pages in use times the page size)."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    size: int = conn.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def retain_chunk(conn: sqlite3.Connection, retention: Retention, now: float) -> int:
    """Remove at most ``retention.chunk`` of the oldest entries that are over a limit.

    :returns: how many were removed (0: nothing is over a limit).
    """
    limit = None
    if retention.max_age is not None:
        # the oldest entries (by offset) that are too old; stops at the first young one, so
        # the cost is one chunk whatever the journal's size
        cutoff = now - retention.max_age
        for seq, received_at in conn.execute(
            "SELECT seq, received_at FROM entries ORDER BY seq LIMIT ?", (retention.chunk,)
        ):
            if received_at >= cutoff:
                break
            limit = seq
    if limit is None and retention.max_bytes is not None:
        used = used_bytes(conn)
        if used > retention.max_bytes:
            count = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
            # remove about what the excess holds (at least one entry, at most a chunk)
            excess = (used - retention.max_bytes) * count // max(used, 1) + 1
            row = conn.execute(
                "SELECT max(seq) FROM (SELECT seq FROM entries ORDER BY seq LIMIT ?)",
                (min(excess, retention.chunk),),
            ).fetchone()
            limit = row[0]
    if limit is None:
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        removed = conn.execute("DELETE FROM entries WHERE seq <= ?", (limit,)).rowcount
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('retained_through', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(limit),),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("PRAGMA incremental_vacuum")
    return int(removed)
