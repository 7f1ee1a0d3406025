"""Named, durable read positions: :class:`JournalConsumer`."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import TYPE_CHECKING

from .entry import JournalEntry
from .reader import JournalReader
from .schema import connect

if TYPE_CHECKING:
    from .journal import Journal

__all__ = ["JournalConsumer"]


class JournalConsumer:
    """A reader whose position survives restarts: ``journal.consumer("booking")``.

    ::

        consumer = journal.consumer("booking")
        async for entry in consumer:           # entries after the last committed offset
            book(entry.message)
            await consumer.commit(entry.offset)

    Iteration starts after the committed offset (0 if never committed) and then follows the
    journal, waiting for new entries until cancelled. With commit-after-process, a consumer
    killed between processing an entry and committing it sees that one entry again on
    restart, and nothing else twice. Positions are stored in the journal file itself, so a
    consumer may run in any process; two consumers with the same name share one position.

    :param name: the position's name.
    :param account: only this account's entries (None: all).
    """

    def __init__(self, journal: Journal, name: str, *, account: str | None = None) -> None:
        if not name:
            raise ValueError("a consumer needs a non-empty name")
        self.name = name
        self.account = account
        self._journal = journal
        self._reader: JournalReader | None = None
        self._conn: sqlite3.Connection | None = None

    def __aiter__(self) -> JournalConsumer:
        return self

    async def __anext__(self) -> JournalEntry:
        if self._reader is None:
            after = await self.committed()
            self._reader = self._journal.read(after=after, account=self.account, follow=True)
        return await self._reader.__anext__()

    async def committed(self) -> int:
        """The last committed offset (0 if none)."""
        return await asyncio.get_running_loop().run_in_executor(None, self._committed)

    def _committed(self) -> int:
        row = self._connection().execute(
            "SELECT seq FROM consumers WHERE name = ?", (self.name,)
        ).fetchone()
        return int(row[0]) if row else 0

    async def commit(self, offset: int) -> None:
        """Record that everything up to ``offset`` is processed. Durable when it returns (to
        the journal's :class:`~.durability.Durability`).

        :raises ValueError: for a negative offset.
        """
        if offset < 0:
            raise ValueError(f"commit() takes an offset >= 0, got {offset}")
        await asyncio.get_running_loop().run_in_executor(None, self._commit, offset)

    def _commit(self, offset: int) -> None:
        self._connection().execute(
            "INSERT INTO consumers (name, seq, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at",
            (self.name, offset, self._journal.clock.time()),
        )

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = connect(self._journal.path, create=False)
            conn.execute(f"PRAGMA synchronous={self._journal.durability.synchronous}")
            self._conn = conn
        return self._conn

    async def aclose(self) -> None:
        """Stop iterating and release the connections (the committed position stays)."""
        if self._reader is not None:
            await self._reader.aclose()
            self._reader = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
