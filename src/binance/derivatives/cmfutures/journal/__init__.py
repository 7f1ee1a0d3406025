"""The durable journal: every message a stream delivered, on disk, readable by anyone.

:class:`Journal` (SQLite in WAL mode, stdlib ``sqlite3``) records what
:class:`~binance.derivatives.cmfutures.UserDataStream` delivers before handing it out;
:meth:`Journal.read` and named :class:`JournalConsumer` positions read it back, from any
process. See ``docs/journal.md``. Importing this package loads nothing but this file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Journal": "journal",
    "JournalEntry": "entry",
    "JournalReader": "reader",
    "JournalConsumer": "consumer",
    "JournalStats": "stats",
    "Durability": "durability",
    "Retention": "retention",
    "AccountSnapshot": "records",
    "MessageSink": "sink",
    "rebuild_account": "rebuild",
    "JournalError": "errors",
    "JournalCorruptError": "errors",
    "JournalLockedError": "errors",
    "JournalNotFoundError": "errors",
    "JournalWriteError": "errors",
    "NotAJournalError": "errors",
}

__all__ = [
    "AccountSnapshot",
    "Durability",
    "Journal",
    "JournalConsumer",
    "JournalCorruptError",
    "JournalEntry",
    "JournalError",
    "JournalLockedError",
    "JournalNotFoundError",
    "JournalReader",
    "JournalStats",
    "JournalWriteError",
    "MessageSink",
    "NotAJournalError",
    "Retention",
    "rebuild_account",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)

if TYPE_CHECKING:
    from .consumer import JournalConsumer
    from .durability import Durability
    from .entry import JournalEntry
    from .errors import (
        JournalCorruptError,
        JournalError,
        JournalLockedError,
        JournalNotFoundError,
        JournalWriteError,
        NotAJournalError,
    )
    from .journal import Journal
    from .reader import JournalReader
    from .rebuild import rebuild_account
    from .records import AccountSnapshot
    from .sink import MessageSink
    from .stats import JournalStats
