"""Reading the journal: :class:`JournalReader`, what ``Journal.read()`` returns."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from typing import TYPE_CHECKING

from .entry import JournalEntry
from .schema import connect, wrap_database_error

if TYPE_CHECKING:
    from .journal import Journal

__all__ = ["JournalReader"]

_BATCH = 2000


class JournalReader:
    """An async iterator over the entries with offset > ``after`` (of one account, or all).

    Without ``follow`` it stops at the end of the journal as it is when reached; with
    ``follow`` it then waits for new entries until cancelled or :meth:`aclose` d. New entries
    are noticed at once when the writer is in the same ``Journal``; from another process,
    within the journal's ``poll_interval``. Each reader has its own connection: readers never
    block the writer, nor each other. Entries removed by retention are skipped.
    """

    def __init__(
        self, journal: Journal, *, after: int, account: str | None, follow: bool
    ) -> None:
        if after < 0:
            raise ValueError(f"read(after=...) takes an offset >= 0, got {after}")
        self._journal = journal
        self._after = after
        self._account = account
        self._follow = follow
        self._rows: deque[JournalEntry] = deque()
        self._conn: sqlite3.Connection | None = None
        self._closed = False

    @property
    def position(self) -> int:
        """The offset of the last entry fetched (``after`` before the first)."""
        return self._after

    def __aiter__(self) -> JournalReader:
        return self

    async def __anext__(self) -> JournalEntry:
        while True:
            if self._rows:
                return self._rows.popleft()
            if self._closed:
                raise StopAsyncIteration
            rows = await asyncio.get_running_loop().run_in_executor(None, self._fetch)
            if rows:
                self._rows.extend(rows)
                continue
            if not self._follow:
                await self.aclose()
                raise StopAsyncIteration
            await self._journal._wait_for_entries()

    def _fetch(self) -> list[JournalEntry]:
        if self._conn is None:
            self._conn = connect(self._journal.path, create=False)
        try:
            if self._account is None:
                cursor = self._conn.execute(
                    "SELECT seq, account, received_at, kind, type, payload FROM entries "
                    "WHERE seq > ? ORDER BY seq LIMIT ?",
                    (self._after, _BATCH),
                )
            else:
                cursor = self._conn.execute(
                    "SELECT seq, account, received_at, kind, type, payload FROM entries "
                    "WHERE account = ? AND seq > ? ORDER BY seq LIMIT ?",
                    (self._account, self._after, _BATCH),
                )
            rows = [JournalEntry(*row) for row in cursor]
        except sqlite3.DatabaseError as exc:
            raise wrap_database_error(self._journal.path, exc) from exc
        if rows:
            self._after = rows[-1].offset
        return rows

    async def aclose(self) -> None:
        """Stop; release the connection. Idempotent."""
        self._closed = True
        self._rows.clear()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
