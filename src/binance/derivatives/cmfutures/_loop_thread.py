"""The blocking facades' one way of running asyncio: an event loop in a daemon thread.

:class:`LoopThread` runs an event loop of its own in a daemon thread; :meth:`LoopThread.call`
runs a coroutine in it and blocks until it is done. :class:`SyncFacade` is the shared body of
``SyncUserDataStream`` and ``SyncStreamPool``: an asyncio object created and started in that
loop, iterated one blocking ``next()`` at a time, closed from any thread.
``SyncAccountMirror`` uses :class:`LoopThread` directly.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["LoopThread", "SyncFacade"]

T = TypeVar("T")


class LoopThread:
    """An asyncio event loop running in a daemon thread named ``name``.

    :meth:`call` may be used from any thread but the loop's own (it would wait for itself).
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._loop is not None

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self._loop

    def start(self) -> None:
        """Start the loop's thread; returns once the loop runs.

        :raises RuntimeError: if it was already started.
        """
        if self._loop is not None:
            raise RuntimeError(f"{self._name}: the loop thread is already started")
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        thread = threading.Thread(target=run, name=self._name, daemon=True)
        thread.start()
        ready.wait()
        self._loop, self._thread = loop, thread

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` in the loop and return its result (or raise its exception).

        :raises RuntimeError: if the loop is not running (``coro`` is closed unawaited).
        """
        loop = self._loop
        if loop is None:
            coro.close()
            raise RuntimeError(f"{self._name} is not running: use `with` or call start()")
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def stop(self) -> None:
        """Stop the loop, join its thread and close the loop. Idempotent."""
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join()
        loop.close()


class _Async(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def __anext__(self) -> Coroutine[Any, Any, Any]: ...


A = TypeVar("A", bound=_Async)
F = TypeVar("F", bound="SyncFacade[Any]")


class SyncFacade(Generic[A]):
    """An asyncio object (``create()``, made in the loop) behind blocking calls.

    Starts on ``with``, :meth:`start` or the first use; :meth:`close` (from any thread) closes
    the object and stops the thread; iteration ends after it.

    :param create: makes the asyncio object (called in the loop's thread).
    :param what: the object's name in errors (``"stream"``, ``"pool"``).
    """

    def __init__(self, create: Callable[[], A], what: str, thread_name: str) -> None:
        self._create_object = create
        self._what = what
        self._thread = LoopThread(thread_name)
        self._target: A | None = None
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> None:
        """Start the background thread and the asyncio object. Idempotent.

        :raises RuntimeError: after :meth:`close`.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError(f"this {self._what} is closed; create a new one")
            if self._target is not None:
                return
            self._thread.start()

            async def create() -> A:
                return self._create_object()

            self._target = self._thread.call(create())
        try:
            self._thread.call(self._target.start())
        except BaseException:
            self.close()
            raise

    def _running(self) -> A:
        if self._target is None:
            self.start()
        assert self._target is not None
        return self._target

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._thread.call(coro)

    def _next(self) -> Any:
        target = self._running()
        if self._closed:
            raise StopIteration
        try:
            return self._thread.call(target.__anext__())
        except StopAsyncIteration:
            raise StopIteration from None

    def _in_loop(self, read: Callable[[A], T]) -> T:
        """``read(object)`` run in the loop's thread (a consistent snapshot, or a call that
        must happen there)."""
        target = self._running()

        async def snapshot() -> T:
            return read(target)

        return self._thread.call(snapshot())

    def __enter__(self: F) -> F:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the asyncio object and stop the thread. Idempotent; callable from any
        thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            target = self._target
        if target is None:
            self._thread.stop()
            return
        try:
            self._thread.call(target.close())
        finally:
            self._thread.stop()
