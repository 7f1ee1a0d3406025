"""The durable journal: :class:`Journal`."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from .._tasks import race
from ..clock import Clock, SystemClock
from .consumer import JournalConsumer
from .durability import Durability
from .errors import JournalWriteError
from .reader import JournalReader
from .retention import Retention
from .schema import connect
from .stats import JournalStats, collect_stats
from .writer import JournalWriter

__all__ = ["Journal"]


class Journal:
    """An embedded, durable record of everything a stream delivered (SQLite, WAL mode).

    ::

        journal = Journal("events.db")
        async with UserDataStream(cfg, journal=journal) as stream:
            async for message in stream:      # each message is on disk before you get it
                ...
        async for entry in journal.read(after=0):            # from any process
            entry.offset, entry.account, entry.received_at, entry.message
        consumer = journal.consumer("booking")               # a durable position
        async for entry in consumer:
            ...; await consumer.commit(entry.offset)

    A ``Journal`` is a :class:`~.sink.MessageSink`: a stream given ``journal=`` appends each
    message, under its account id, before handing it out. The first append makes this object
    the file's only writer (see :meth:`open_writer`); any number of other processes may read
    and run consumers meanwhile.

    A restarted writer appends, for each account, a ``StreamGap`` from the last journaled
    event's ``E`` to its first connection, and drops events it already journaled (the last
    ``dedup_size`` identities per account are reloaded), so the journal alone holds every
    event once or inside a recorded gap.

    :param path: the database file (created with its parent's permissions if missing).
    :param durability: :class:`Durability` (``"process"``, default, or ``"power"``).
    :param retention: a :class:`Retention`; or give ``max_age`` / ``max_bytes`` directly.
    :param clock: time source for ``received_at``-based retention and follow polling.
    :param poll_interval: seconds between checks for new entries written by another process.
    :param dedup_size: event identities remembered per account across restarts.
    :param create: create the file if missing (False: :class:`JournalNotFoundError`).
    :raises NotAJournalError: the file is not a journal (not SQLite, or another program's).
    :raises JournalCorruptError: the file is truncated or damaged.
    :raises JournalNotFoundError: no file and ``create=False``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durability: Durability | str = Durability.PROCESS,
        retention: Retention | None = None,
        max_age: float | None = None,
        max_bytes: int | None = None,
        clock: Clock | None = None,
        poll_interval: float = 0.05,
        dedup_size: int = 10_000,
        create: bool = True,
    ) -> None:
        self.path = os.fspath(path)
        try:
            self.durability = Durability(durability)
        except ValueError:
            raise ValueError(
                f"durability must be 'process' or 'power', got {durability!r}"
            ) from None
        if retention is None:
            retention = Retention(max_age=max_age, max_bytes=max_bytes)
        elif max_age is not None or max_bytes is not None:
            raise TypeError("give retention= or max_age=/max_bytes=, not both")
        if poll_interval <= 0 or dedup_size < 1:
            raise ValueError("poll_interval and dedup_size must be positive")
        self.retention = retention
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.poll_interval = poll_interval
        self._dedup_size = dedup_size
        connect(self.path, create=create).close()  # refuse a foreign or damaged file now
        self._writer: JournalWriter | None = None
        self._written: asyncio.Event | None = None
        self._closed = False

    # ------------------------------------------------------------------ writing (MessageSink)

    def open_writer(self) -> None:
        """Become the file's writer now (the first :meth:`append` does it otherwise).

        :raises JournalLockedError: another process or ``Journal`` writes this file; the
            message names it (pid, host, since when).
        :raises JournalWriteError: this ``Journal`` was closed.
        """
        if self._closed:
            raise JournalWriteError(f"journal {self.path} was closed: no more appends")
        if self._writer is None:
            self._writer = JournalWriter(
                self.path,
                durability=self.durability,
                clock=self.clock,
                dedup_size=self._dedup_size,
                retention=self.retention,
                on_written=self._notify,
            )

    def append(self, account: str, message: Any, received_at: float) -> asyncio.Future[int | None]:
        """Append one message (:class:`~.sink.MessageSink`). Returns at once; the future
        resolves to the entry's offset when committed, or None if the journal already holds
        this event. Errors (:class:`JournalLockedError`, :class:`JournalWriteError`) arrive
        through the future. Must be called from the event loop's thread."""
        try:
            self.open_writer()
        except Exception as exc:
            future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
            future.set_exception(exc)
            future.exception()  # whoever awaits it raises; no "never retrieved" log
            return future
        assert self._writer is not None
        return self._writer.append(account, message, received_at)

    @property
    def last_offset(self) -> int:
        """The highest offset in the journal (0 if empty): this writer's, or read from disk."""
        if self._writer is not None:
            return self._writer.last_offset
        conn = connect(self.path, create=False)
        try:
            return int(conn.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()[0])
        finally:
            conn.close()

    async def flush(self) -> None:
        """Return once everything appended so far is committed."""
        if self._writer is not None:
            await self._writer.flush()

    async def apply_retention(self) -> int:
        """Remove what retention says is too old or too much, now. Returns entries removed.
        (The writer also does this by itself every ``retention.interval``.)"""
        self.open_writer()
        assert self._writer is not None
        return await self._writer.retain()

    async def close(self) -> None:
        """Commit what is queued and release the writer lock; later appends fail with
        :class:`JournalWriteError`. Reading (``read``, ``consumer``, ``stats``) still works."""
        self._closed = True
        writer, self._writer = self._writer, None
        if writer is not None:
            await writer.close()

    async def __aenter__(self) -> Journal:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ reading

    def read(
        self, after: int = 0, account: str | None = None, follow: bool = False
    ) -> JournalReader:
        """Entries with offset > ``after``, in order, optionally of one ``account``.

        ``follow=False`` stops at the end; ``follow=True`` waits for new entries until
        cancelled. See :class:`~.reader.JournalReader`.
        """
        return JournalReader(self, after=after, account=account, follow=follow)

    def consumer(self, name: str, account: str | None = None) -> JournalConsumer:
        """A named, durable position (see :class:`~.consumer.JournalConsumer`)."""
        return JournalConsumer(self, name, account=account)

    async def stats(self) -> JournalStats:
        """Counts by account and type, gaps, sizes, oldest/newest, consumers, writer."""

        def collect() -> JournalStats:
            conn = connect(self.path, create=False)
            try:
                return collect_stats(conn, self.path)
            finally:
                conn.close()

        return await asyncio.get_running_loop().run_in_executor(None, collect)

    def _notify(self) -> None:
        written, self._written = self._written, None
        if written is not None:
            written.set()

    async def _wait_for_entries(self) -> None:
        """Wait until this process's writer commits, or ``poll_interval`` passes."""
        if self._written is None:
            self._written = asyncio.Event()
        await race(self._written.wait(), self.clock.sleep(self.poll_interval),
                   name="journal-wait")

    def __repr__(self) -> str:
        role = "writer" if self._writer is not None else "reader"
        return f"Journal({self.path!r}, durability={self.durability.value}, {role})"
