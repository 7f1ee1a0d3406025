"""One writer per journal file, enforced by SQLite's own locking.

The writer holds a write transaction open, for its whole life, on a companion database
``PATH-writer`` (it never writes to it). SQLite's file locks are kernel locks: they vanish
with the process, ``kill -9`` included, so a crashed writer never leaves a stale lock. Who
holds it (pid, host, since) is recorded in the journal's ``meta`` table, which only the lock
holder writes, so a refused writer can name the other.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import time

from .errors import JournalLockedError

__all__ = ["WriterLock", "describe_holder"]


class WriterLock:
    """The held lock; :meth:`release` (or process exit) frees it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    def acquire(self, journal: sqlite3.Connection) -> None:
        """Take the lock and record this process as the writer in ``journal``'s meta table.

        :raises JournalLockedError: another writer holds it (the message names it).
        """
        conn = sqlite3.connect(
            self.path + "-writer", timeout=0, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            raise JournalLockedError(self.path, describe_holder(journal)) from None
        self._conn = conn
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        journal.execute(
            "INSERT INTO meta (key, value) VALUES ('writer', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (json.dumps(holder),),
        )

    def release(self, journal: sqlite3.Connection | None = None) -> None:
        """Free the lock (idempotent); clears the writer record if ``journal`` is given."""
        if self._conn is None:
            return
        if journal is not None:
            with contextlib.suppress(sqlite3.Error):
                journal.execute("DELETE FROM meta WHERE key = 'writer'")
        self._conn.close()
        self._conn = None


def describe_holder(journal: sqlite3.Connection) -> str:
    """``"pid 1234 on host box since ..."`` from the meta table, or ``"another process"``."""
    try:
        row = journal.execute("SELECT value FROM meta WHERE key = 'writer'").fetchone()
        holder = json.loads(row[0]) if row else None
    except (sqlite3.Error, ValueError):
        holder = None
    if not isinstance(holder, dict):
        return "another process"
    return f"pid {holder.get('pid')} on host {holder.get('host')} since {holder.get('since')}"
