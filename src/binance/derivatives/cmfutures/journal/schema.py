"""The journal file: creating it, recognising it, refusing anything else.

A journal is an SQLite database in WAL mode (readers never block the writer, nor it them)
whose ``application_id`` is ``0x434D464A`` ("CMFJ"); ``user_version`` is the schema version.
Offsets are the ``entries.seq`` primary key: assigned by the single writer, increasing by one.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Final

from .errors import JournalCorruptError, JournalError, JournalNotFoundError, NotAJournalError

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "connect", "wrap_database_error"]

APPLICATION_ID: Final = 0x434D464A
SCHEMA_VERSION: Final = 1
_HEADER: Final = b"SQLite format 3\x00"

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS entries (
    seq         INTEGER PRIMARY KEY,
    account     TEXT    NOT NULL,
    received_at REAL    NOT NULL,
    kind        INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    event_time  INTEGER,
    ident       BLOB,
    payload     BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_account ON entries (account, seq);
CREATE TABLE IF NOT EXISTS consumers (
    name       TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    updated_at REAL    NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def connect(path: str, *, create: bool, busy_timeout: float = 5.0) -> sqlite3.Connection:
    """An autocommit connection to the journal at ``path``, checked (and created if allowed).

    :raises JournalNotFoundError: no file and ``create`` is false.
    :raises NotAJournalError: the file is not SQLite, or is another program's database.
    :raises JournalCorruptError: the file is damaged.
    """
    exists = os.path.exists(path)
    if not exists and not create:
        raise JournalNotFoundError(
            f"no journal at {path}: check the path (a journal is created by the writer, e.g. "
            "`cmfutures stream --journal PATH`)"
        )
    if exists:
        _check_header(path)
    try:
        conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise JournalError(
            f"cannot open journal {path}: {exc}. Fix: check that its directory exists and "
            "is writable"
        ) from exc
    try:
        _prepare(conn, path, create)
    except BaseException:
        conn.close()
        raise
    return conn


def _check_header(path: str) -> None:
    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except OSError as exc:
        raise JournalCorruptError(f"cannot read journal {path}: {exc.strerror}") from None
    if not header:
        return  # an empty file: a journal not yet initialised
    if not header.startswith(_HEADER[: len(header)]) or len(header) < 100:
        raise NotAJournalError(
            f"{path} is not a cmfutures journal (not an SQLite database). Fix: point "
            "--journal at the journal file, or move this file away"
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid = header[24:28] == header[92:96] and pages > 0
    wal = path + "-wal"
    wal_holds_data = os.path.exists(wal) and os.path.getsize(wal) > 0
    if valid and not wal_holds_data and os.path.getsize(path) < pages * page_size:
        raise JournalCorruptError(
            f"journal {path} is truncated ({os.path.getsize(path)} of {pages * page_size} "
            "bytes). Fix: restore it from a backup, or start a new journal (move this one away)"
        )


def _prepare(conn: sqlite3.Connection, path: str, create: bool) -> None:
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id != APPLICATION_ID:
            if app_id != 0 or tables:
                raise NotAJournalError(
                    f"{path} is an SQLite database but not a cmfutures journal "
                    f"(application_id {app_id:#x}, {tables} schema objects). Fix: choose "
                    "another path; this file belongs to another program"
                )
            if not create:
                raise JournalNotFoundError(f"{path} is an empty database, not yet a journal")
            _initialise(conn)
        elif version > SCHEMA_VERSION:
            raise NotAJournalError(
                f"journal {path} has schema version {version}, newer than this library's "
                f"{SCHEMA_VERSION}. Fix: upgrade binance-cmfutures"
            )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("SELECT max(seq) FROM entries").fetchone()
    except sqlite3.DatabaseError as exc:
        raise wrap_database_error(path, exc) from exc


def _initialise(conn: sqlite3.Connection) -> None:
    # auto_vacuum must be chosen before the first table: retention hands pages back to the OS
    conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN IMMEDIATE")  # two processes creating the same file: one does it
    try:
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def wrap_database_error(path: str, exc: sqlite3.Error) -> Exception:
    """An SQLite error as the journal error a user can act on."""
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and (
        "malformed" in text or "not a database" in text or "corrupt" in text
    ):
        return JournalCorruptError(
            f"journal {path} is damaged ({text}). Fix: restore it from a backup, or start a "
            "new journal (move this one away)"
        )
    return exc
