"""How hard a commit tries: :class:`Durability`."""

from __future__ import annotations

import enum
import sys

__all__ = ["Durability"]


class Durability(str, enum.Enum):
    """What a committed entry survives.

    * ``PROCESS`` (default): a killed or crashed process (``kill -9``, OOM, an exception).
      SQLite ``synchronous=NORMAL`` in WAL mode: a commit is a ``write()`` to the WAL file, in
      the OS page cache at once; ``fsync`` only at checkpoints. A power cut or OS crash may
      lose the last commits (never corrupts the file).
    * ``POWER``: power loss and OS crashes too. ``synchronous=FULL``: every commit waits for
      ``fsync`` of the WAL (``F_FULLFSYNC`` on macOS), which costs the disk's flush latency
      per batch; batching keeps throughput, single-message latency pays it in full.
    """

    PROCESS = "process"
    POWER = "power"

    @property
    def synchronous(self) -> str:
        return "FULL" if self is Durability.POWER else "NORMAL"

    @property
    def fullfsync(self) -> bool:
        return self is Durability.POWER and sys.platform == "darwin"
