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

from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from .._loop_thread import SyncFacade
from ..events import StreamMessage
from .stats import StreamStats

if TYPE_CHECKING:
    from ..configuration import Configuration
    from .aio import UserDataStream  # noqa: F401 (the base's argument)

__all__ = ["SyncUserDataStream"]

M = TypeVar("M")


class SyncUserDataStream(SyncFacade["UserDataStream"]):
    """``UserDataStream`` as a plain iterator. Create it with ``UserDataStream.sync(...)``.

    Takes the same arguments as :class:`~.aio.UserDataStream`. The thread and its loop start
    on ``with`` (or the first ``next()``) and stop in :meth:`close`, which also deletes the
    listen key if ``delete_listen_key_on_close``. Handlers registered with :meth:`on` run in
    the stream's thread.

    Iteration ends after :meth:`close` (which may be called from any thread); it raises the
    stream's error if it stopped for good (the API key is rejected).
    """

    def __init__(self, configuration: Configuration | None = None, **kwargs: Any) -> None:
        from .aio import UserDataStream

        # Validate the arguments now, in the caller's thread, with a clear error.
        UserDataStream(configuration, **kwargs)
        super().__init__(
            lambda: UserDataStream(configuration, **kwargs), "stream", "udstream-sync"
        )

    def __iter__(self) -> Iterator[StreamMessage]:
        return self

    def __next__(self) -> StreamMessage:
        message: StreamMessage = self._next()
        return message

    def on(
        self, message_type: type[M], handler: Callable[[M], Awaitable[None] | None]
    ) -> Callable[[], None]:
        """Register a handler (see :meth:`UserDataStream.on`); it runs in the stream's thread."""
        unsubscribe: Callable[[], None] = self._running().on(message_type, handler)
        return unsubscribe

    @property
    def stats(self) -> StreamStats:
        """A :class:`StreamStats` snapshot (see :attr:`UserDataStream.stats`).

        :raises RuntimeError: the stream is not running (not started, or closed).
        """
        if self._target is None or self._closed:
            raise RuntimeError("the stream is not running")
        stats: StreamStats = self._in_loop(lambda stream: stream.stats)
        return stats
