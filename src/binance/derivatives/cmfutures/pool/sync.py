"""A blocking facade over :class:`~.aio.StreamPool`, for code without asyncio.

::

    with StreamPool.sync(configuration) as pool:
        pool.add("alice", BinanceAuth(api_key=..., secret_key=...))
        for account, message in pool:
            ...

The asyncio pool runs in a background thread with its own event loop; every call is run in
that loop, so ordering, backpressure and every guarantee are those of the asyncio pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._loop_thread import SyncFacade

if TYPE_CHECKING:
    from ..configuration import Configuration
    from ..signing import BinanceAuth
    from .aio import PoolMessage, PoolStats, StreamPool  # noqa: F401 (the base's argument)

__all__ = ["SyncStreamPool"]


class SyncStreamPool(SyncFacade["StreamPool"]):
    """``StreamPool`` as a plain iterator of ``(account, message)``. Create it with
    ``StreamPool.sync(...)``; it takes the same arguments. Starts on ``with`` (or the first
    call); :meth:`close` (from any thread) stops the pool and its thread."""

    def __init__(self, configuration: Configuration, **kwargs: Any) -> None:
        from .aio import StreamPool

        StreamPool(configuration, **kwargs)  # validate now, in the caller's thread
        super().__init__(
            lambda: StreamPool(configuration, **kwargs), "pool", "streampool-sync"
        )

    def add(self, account: str, auth: BinanceAuth) -> None:
        """See :meth:`StreamPool.add` (same errors, raised here)."""
        self._in_loop(lambda pool: pool.add(account, auth))

    def remove(self, account: str) -> None:
        """See :meth:`StreamPool.remove`; blocks until done."""
        self._call(self._running().remove(account))

    @property
    def stats(self) -> PoolStats:
        """A :class:`PoolStats` snapshot (see :attr:`StreamPool.stats`)."""
        stats: PoolStats = self._in_loop(lambda pool: pool.stats)
        return stats

    def __iter__(self) -> Iterator[tuple[str, PoolMessage]]:
        return self

    def __next__(self) -> tuple[str, PoolMessage]:
        item: tuple[str, PoolMessage] = self._next()
        return item
