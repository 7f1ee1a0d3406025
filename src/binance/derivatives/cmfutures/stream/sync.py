"""A blocking facade over :class:`~.aio.UserDataStream`, for code without asyncio.

::

    with UserDataStream.sync(configuration) as stream:
        for message in stream:
            ...

The asyncio stream runs in a background thread with its own event loop; each ``next()`` asks
that loop for the next message, so backpressure, ordering and every guarantee are those of
the asyncio stream.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ..events import StreamMessage
from .stats import StreamStats

if TYPE_CHECKING:
    from ..configuration import Configuration
    from .aio import UserDataStream

__all__ = ["SyncUserDataStream"]

T = TypeVar("T")
M = TypeVar("M")


class SyncUserDataStream:
    """``UserDataStream`` as a plain iterator. Create it with ``UserDataStream.sync(...)``.

    Takes the same arguments as :class:`~.aio.UserDataStream`. The thread and its loop start
    on ``with`` (or the first ``next()``) and stop in :meth:`close`, which also deletes the
    listen key. Handlers registered with :meth:`on` run in the stream's thread.

    Iteration ends after :meth:`close` (which may be called from any thread); it raises the
    stream's error if it stopped for good (the API key is rejected).
    """

    def __init__(self, configuration: Configuration | None = None, **kwargs: Any) -> None:
        self._configuration = configuration
        self._kwargs = kwargs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stream: UserDataStream | None = None
        self._lock = threading.Lock()
        self._closed = False
        # Validate the arguments now, in the caller's thread, with a clear error.
        from .aio import UserDataStream

        UserDataStream(configuration, **kwargs)

    def start(self) -> None:
        """Start the background thread, create the key and connect. Idempotent.

        :raises RuntimeError: after :meth:`close`.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("this stream is closed; create a new one")
            if self._stream is not None:
                return
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            thread = threading.Thread(target=run, name="udstream-sync", daemon=True)
            thread.start()
            ready.wait()
            self._loop, self._thread = loop, thread
            self._stream = self._call(self._create())
        try:
            self._call(self._stream.start())
        except BaseException:
            self.close()
            raise

    async def _create(self) -> UserDataStream:
        from .aio import UserDataStream

        return UserDataStream(self._configuration, **self._kwargs)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def __iter__(self) -> Iterator[StreamMessage]:
        return self

    def __next__(self) -> StreamMessage:
        if self._stream is None:
            self.start()
        assert self._stream is not None
        if self._closed:
            raise StopIteration
        try:
            return self._call(self._stream.__anext__())
        except StopAsyncIteration:
            raise StopIteration from None

    def on(
        self, message_type: type[M], handler: Callable[[M], Awaitable[None] | None]
    ) -> Callable[[], None]:
        """Register a handler (see :meth:`UserDataStream.on`); it runs in the stream's thread."""
        if self._stream is None:
            self.start()
        assert self._stream is not None
        return self._stream.on(message_type, handler)

    @property
    def stats(self) -> StreamStats:
        """A :class:`StreamStats` snapshot (see :attr:`UserDataStream.stats`)."""
        if self._stream is None or self._loop is None or self._closed:
            raise RuntimeError("the stream is not running")
        stream = self._stream

        async def snapshot() -> StreamStats:
            return stream.stats

        return self._call(snapshot())

    def close(self) -> None:
        """Close the stream (deleting the key, see ``UserDataStream.close``) and stop the
        thread. Idempotent; callable from any thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread, stream = self._loop, self._thread, self._stream
        if loop is None or thread is None or stream is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(stream.close(), loop).result()
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

    def __enter__(self) -> SyncUserDataStream:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
