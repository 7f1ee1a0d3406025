"""The journal's errors: each names the file, what is wrong, and the fix."""

from __future__ import annotations

__all__ = [
    "JournalCorruptError",
    "JournalError",
    "JournalLockedError",
    "JournalNotFoundError",
    "JournalWriteError",
    "NotAJournalError",
]


class JournalError(Exception):
    """Base class of every journal error."""


class JournalNotFoundError(JournalError, FileNotFoundError):
    """No journal exists at the path (raised when opening with ``create=False``)."""


class JournalCorruptError(JournalError):
    """The file is damaged (truncated, malformed pages): it is refused rather than half-read."""


class NotAJournalError(JournalCorruptError):
    """The file is not a cmfutures journal: not SQLite at all, or another program's database."""


class JournalLockedError(JournalError):
    """Another writer holds the journal. Only one process (one ``Journal``) may write a file.

    :ivar holder: ``"pid 1234 on host box since 2026-11-29T15:04:05Z"``, or ``"unknown"``.
    """

    def __init__(self, path: str, holder: str) -> None:
        self.path = path
        self.holder = holder
        super().__init__(
            f"journal {path} is already being written by {holder}. Only one writer per journal "
            "file: stop that process, or give this one its own journal path (readers and "
            "consumers may open the file at any time)"
        )


class JournalWriteError(JournalError):
    """An append or commit failed (disk full, I/O error, read-only file). Nothing written in
    the failed batch is visible; the stream that appends raises this instead of handing out
    messages that are not on disk."""
