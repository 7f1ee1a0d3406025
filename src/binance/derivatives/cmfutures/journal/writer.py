"""The single writer: group commits, restart gaps, duplicate suppression, retention.

Appends are queued on the event loop and written by one thread, in one transaction per
batch: everything appended while the previous batch was being committed goes into the next.
A lone message is committed at once (no timer); under load batches grow by themselves.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..clock import Clock
from ..events import StreamConnected, StreamGap
from .codec import EVENT, Encoded, encode_message
from .durability import Durability
from .errors import JournalWriteError
from .lock import WriterLock
from .retention import Retention, retain_chunk
from .schema import connect

__all__ = ["JournalWriter"]

_INSERT = "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_CHECKPOINT_EVERY = 2000  # entries written between background checkpoints


class _Account:
    """What the writer knows of one account's history."""

    __slots__ = ("first_received_at", "idents", "last_event_time", "size", "started")

    def __init__(self, size: int) -> None:
        self.idents: OrderedDict[bytes, None] = OrderedDict()
        self.size = size
        self.started = False
        self.last_event_time: int | None = None
        self.first_received_at: float | None = None

    def remember(self, ident: bytes) -> None:
        self.idents[ident] = None
        if len(self.idents) > self.size:
            self.idents.popitem(last=False)


class JournalWriter:
    """Owns the write connection and the writer lock. Created by :class:`~.journal.Journal`.

    :raises JournalLockedError: another process (or ``Journal``) writes this file.
    """

    def __init__(
        self,
        path: str,
        *,
        durability: Durability,
        clock: Clock,
        dedup_size: int,
        retention: Retention,
        on_written: Callable[[], None],
    ) -> None:
        self.path = path
        self._clock = clock
        self._dedup_size = dedup_size
        self._retention = retention
        self._on_written = on_written
        conn = connect(path, create=True)
        self._lock = WriterLock(path)
        try:
            conn.execute(f"PRAGMA synchronous={durability.synchronous}")
            conn.execute("PRAGMA cache_size=-32768")  # 32 MiB: index pages stay cached
            # checkpoints run beside the writer (see _checkpoint), not inside its commits
            conn.execute("PRAGMA wal_autocheckpoint=0")
            if durability.fullfsync:
                conn.execute("PRAGMA fullfsync=ON")
            self._lock.acquire(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        last = conn.execute("SELECT max(seq) FROM entries").fetchone()[0]
        self._next = (last or 0) + 1
        self._accounts: dict[str, _Account] = {}
        self._pending: list[tuple[str, Any, float, asyncio.Future[int | None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="cmfutures-journal")
        self._checkpointer = ThreadPoolExecutor(1, thread_name_prefix="cmfutures-checkpoint")
        self._checkpointing: Any = None
        self._unchecked = 0
        self._retain_at = clock.time() + retention.interval
        self._closed = False

    @property
    def last_offset(self) -> int:
        """The highest offset written (0 for an empty journal)."""
        return self._next - 1

    # ------------------------------------------------------------------ appending

    def append(self, account: str, message: Any, received_at: float) -> asyncio.Future[int | None]:
        """Queue ``message``; the future resolves to its offset once committed, or None for
        an event already in the journal. Errors (:class:`JournalWriteError`) arrive through
        the future."""
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        if self._closed:
            future.set_exception(JournalWriteError(f"journal {self.path} is closed"))
            future.exception()
            return future
        self._pending.append((account, message, received_at, future))
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(
                self._flush_loop(), name="cmfutures-journal-flush"
            )
        return future

    async def flush(self) -> None:
        """Return once everything appended so far is committed (or failed)."""
        while self._flusher is not None:
            await asyncio.shield(self._flusher)

    async def _flush_loop(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    results = await self._offload(self._write, batch)
                except Exception as exc:
                    error = exc if isinstance(exc, JournalWriteError) else JournalWriteError(
                        f"journal {self.path}: could not append {len(batch)} message(s): "
                        f"{type(exc).__name__}: {exc}. Nothing of this batch was written. "
                        "Fix: free disk space / check the file's permissions"
                    )
                    for *_, future in batch:
                        if not future.done():
                            future.set_exception(error)
                            future.exception()  # whoever awaits it raises; no "never retrieved"
                    continue
                for (*_, future), offset in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(offset)
                self._unchecked += len(batch)
                if self._unchecked >= _CHECKPOINT_EVERY and (
                    self._checkpointing is None or self._checkpointing.done()
                ):
                    self._unchecked = 0
                    self._checkpointing = self._checkpointer.submit(self._checkpoint)
                self._on_written()
                if self._retention.active and self._clock.time() >= self._retain_at:
                    await self.retain()
        finally:
            self._flusher = None

    def _offload(self, fn: Any, *args: Any) -> asyncio.Future[Any]:
        """``fn(*args)`` in the writer thread; a ManualClock's ``settle()`` waits for it."""
        work = asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        track = getattr(self._clock, "track", None)
        if track is not None:
            track(work)
        return work

    def _state(self, account: str) -> _Account:
        state = self._accounts.get(account)
        if state is None:
            state = self._accounts[account] = _Account(self._dedup_size)
            conn = self._conn
            for (ident,) in reversed(
                conn.execute(
                    "SELECT ident FROM entries WHERE account = ? AND ident IS NOT NULL "
                    "ORDER BY seq DESC LIMIT ?",
                    (account, self._dedup_size),
                ).fetchall()
            ):
                state.remember(ident)
            row = conn.execute(
                "SELECT event_time FROM entries WHERE account = ? AND kind = ? AND "
                "event_time IS NOT NULL ORDER BY seq DESC LIMIT 1",
                (account, EVENT),
            ).fetchone()
            state.last_event_time = row[0] if row else None
            row = conn.execute(
                "SELECT received_at FROM entries WHERE account = ? ORDER BY seq LIMIT 1",
                (account,),
            ).fetchone()
            state.first_received_at = row[0] if row else None
        return state

    def _write(self, batch: list[tuple[str, Any, float, Any]]) -> list[int | None]:
        """Runs in the writer thread: one transaction for the whole batch."""
        rows: list[tuple[Any, ...]] = []
        results: list[int | None] = []
        seen: dict[str, set[bytes]] = {}
        started: list[_Account] = []
        seq = self._next

        def add(account: str, received_at: float, enc: Encoded) -> int:
            nonlocal seq
            rows.append((seq, account, received_at, enc.kind, enc.type, enc.event_time,
                         enc.identity, enc.payload))
            seq += 1
            return seq - 1

        for account, message, received_at, _ in batch:
            state = self._state(account)
            enc = encode_message(message)
            gap = None
            if not state.started and state not in started:
                started.append(state)
                if state.first_received_at is not None:
                    gap = self._restart_gap(state, message, received_at)
            if enc.identity is not None:
                batch_seen = seen.setdefault(account, set())
                if enc.identity in state.idents or enc.identity in batch_seen:
                    results.append(None)
                    if gap is not None:
                        add(account, received_at, encode_message(gap))
                    continue
                batch_seen.add(enc.identity)
            if gap is not None and not isinstance(message, StreamConnected):
                add(account, received_at, encode_message(gap))
                gap = None
            results.append(add(account, received_at, enc))
            if gap is not None:
                add(account, received_at, encode_message(gap))
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(_INSERT, rows)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._next = seq
        for state in started:
            state.started = True
        for row in rows:
            state = self._accounts[row[1]]
            if row[6] is not None:
                state.remember(row[6])
            if row[3] == EVENT and row[5] is not None:
                state.last_event_time = row[5]
            if state.first_received_at is None:
                state.first_received_at = row[2]
        return results

    @staticmethod
    def _restart_gap(state: _Account, message: Any, received_at: float) -> StreamGap:
        """The writer's own downtime: from the last journaled event's ``E`` (so events in
        flight when the previous writer died fall inside) to this session's connection."""
        if state.last_event_time is not None:
            since = state.last_event_time / 1000
        else:
            since = state.first_received_at or received_at
        until = message.at if isinstance(message, StreamConnected) else received_at
        return StreamGap(
            since=min(since, until),
            until=until,
            reason="journal writer restarted: events between the last journaled event and "
            "this connection may be missed",
        )

    # ------------------------------------------------------------------ retention, closing

    async def retain(self) -> int:
        """Apply retention now, chunk by chunk (appends interleave). Returns rows removed."""
        total = 0
        while True:
            removed: int = await self._offload(
                retain_chunk, self._conn, self._retention, self._clock.time()
            )
            total += removed
            if not removed or self._pending:
                break
        self._retain_at = self._clock.time() + (0 if removed else self._retention.interval)
        return total

    async def close(self) -> None:
        """Commit what is queued, release the lock, close the file. Idempotent."""
        if self._closed:
            return
        await self.flush()
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_sync)
        self._executor.shutdown(wait=False)
        self._checkpointer.shutdown(wait=True)

    def _checkpoint(self) -> None:
        """Copy the WAL back into the database on a connection of its own (PASSIVE: never
        waits for readers, never blocks the writer), so the WAL stays small."""
        try:
            conn = connect(self.path, create=False)
        except Exception:  # the next checkpoint will try again
            return
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            pass
        finally:
            conn.close()

    def _close_sync(self) -> None:
        self._lock.release(self._conn)
        self._conn.close()


