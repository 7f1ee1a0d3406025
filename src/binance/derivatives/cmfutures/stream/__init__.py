"""The managed user data stream.

``UserDataStream`` (asyncio, :mod:`.aio`), its blocking facade (:mod:`.sync`), the sans-I/O
decisions behind both (:mod:`.core`), :class:`StreamOptions` and :class:`StreamStats`.
Importing this package is light: aiohttp is loaded only when ``UserDataStream`` is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .options import StreamOptions
from .stats import KeepaliveStats, LagStats, StreamStats

__all__ = [
    "KeepaliveStats",
    "LagStats",
    "StreamOptions",
    "StreamStats",
    "SyncUserDataStream",
    "UserDataStream",
]


def __getattr__(name: str) -> Any:
    if name == "UserDataStream":
        from .aio import UserDataStream

        return UserDataStream
    if name == "SyncUserDataStream":
        from .sync import SyncUserDataStream

        return SyncUserDataStream
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from .aio import UserDataStream
    from .sync import SyncUserDataStream
