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

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..configuration import Configuration
    from ..signing import BinanceAuth
    from .aio import PoolMessage, PoolStats, StreamPool

__all__ = ["SyncStreamPool"]

T = TypeVar("T")


class SyncStreamPool:
    """``StreamPool`` as a plain iterator of ``(account, message)``. Create it with
    ``StreamPool.sync(...)``; it takes the same arguments. Starts on ``with`` (or the first
    call); :meth:`close` (from any thread) stops the pool and its thread."""

    def __init__(self, configuration: Configuration, **kwargs: Any) -> None:
        from .aio import StreamPool

        StreamPool(configuration, **kwargs)  # validate now, in the caller's thread
        self._configuration = configuration
        self._kwargs = kwargs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pool: StreamPool | None = None
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> None:
        """Start the background thread and the pool. Idempotent.

        :raises RuntimeError: after :meth:`close`.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("this pool is closed; create a new one")
            if self._pool is not None:
                return
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            thread = threading.Thread(target=run, name="streampool-sync", daemon=True)
            thread.start()
            ready.wait()
            self._loop, self._thread = loop, thread
            self._pool = self._call(self._create())
        self._call(self._pool.start())

    async def _create(self) -> StreamPool:
        from .aio import StreamPool

        return StreamPool(self._configuration, **self._kwargs)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def _running(self) -> StreamPool:
        if self._pool is None:
            self.start()
        assert self._pool is not None
        return self._pool

    def add(self, account: str, auth: BinanceAuth) -> None:
        """See :meth:`StreamPool.add` (same errors, raised here)."""
        pool = self._running()

        async def add() -> None:
            pool.add(account, auth)

        self._call(add())

    def remove(self, account: str) -> None:
        """See :meth:`StreamPool.remove`; blocks until done."""
        self._call(self._running().remove(account))

    @property
    def stats(self) -> PoolStats:
        pool = self._running()

        async def snapshot() -> PoolStats:
            return pool.stats

        return self._call(snapshot())

    def __iter__(self) -> Iterator[tuple[str, PoolMessage]]:
        return self

    def __next__(self) -> tuple[str, PoolMessage]:
        pool = self._running()
        if self._closed:
            raise StopIteration
        try:
            return self._call(pool.__anext__())
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        """Close the pool and stop the thread. Idempotent; callable from any thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread, pool = self._loop, self._thread, self._pool
        if loop is None or thread is None or pool is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(pool.close(), loop).result()
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

    def __enter__(self) -> SyncStreamPool:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
