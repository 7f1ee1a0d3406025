"""The sync client's wall-clock deadline: one daemon thread that cuts overdue connections.

A blocking urllib3 call cannot be interrupted from its own thread, and a socket timeout only
bounds a single ``recv``. So each attempt of :class:`~..rest.RESTClientObject` arms a
:class:`Guard`; the connection it uses registers itself on the guard (see
``rest._GuardedConnection``), and if the attempt is still running at its deadline this
thread shuts the socket down (``shutdown(SHUT_RDWR)``, which wakes a blocked ``recv`` with
EOF). The attempt then fails and, seeing :attr:`Guard.expired`, reports a read timeout.

One thread serves every client of the process; it is started on first use and sleeps on a
condition variable while nothing is armed. Arming costs a heap push; disarming pops finished
guards off the top of the heap, and rebuilds the heap once finished guards buried under a
running one outnumber the running ones, so the heap holds at most ``2 × running + 8`` guards
whatever the request rate and the deadline (:meth:`_Watchdog.pending`).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import Any

__all__ = ["Guard", "current_guard", "watchdog"]

_local = threading.local()


def current_guard() -> Guard | None:
    """The guard of the attempt running in this thread, if any."""
    guard: Guard | None = getattr(_local, "guard", None)
    return guard


class Guard:
    """One attempt's deadline. Use as a context manager around the whole attempt (connect,
    headers and body); :attr:`expired` says whether the watchdog cut it."""

    __slots__ = ("conn", "deadline", "done", "expired", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.conn: Any = None
        self.done = False
        self.expired = False

    def __enter__(self) -> Guard:
        _local.guard = self
        watchdog.arm(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.finish()

    def finish(self) -> bool:
        """Disarm (idempotent); True if the watchdog had already cut the attempt, in which
        case whatever was read may be incomplete."""
        _local.guard = None
        with watchdog.lock:
            if not self.done:
                self.done = True
                watchdog.disarmed()
            self.conn = None
            return self.expired

    def fire(self) -> None:
        """Called by the watchdog thread, with its lock held."""
        if self.done:
            return
        self.expired = True
        sock = getattr(self.conn, "sock", None)
        if sock is not None:
            # the plain socket method, also on an SSLSocket: no TLS state is touched
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    def __init__(self) -> None:
        self.lock = threading.Condition()
        self._heap: list[tuple[float, int, Guard]] = []
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self._running = 0  # armed guards not finished yet

    def pending(self) -> int:
        """How many guards the heap holds, finished ones not yet dropped included."""
        with self.lock:
            return len(self._heap)

    def arm(self, guard: Guard) -> None:
        with self.lock:
            self._running += 1
            heapq.heappush(self._heap, (guard.deadline, next(self._ids), guard))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="cmfutures-deadline", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is guard:
                self.lock.notify()

    def disarmed(self) -> None:
        """A guard finished (called with the lock held): drop what is finished from the heap,
        at once from its top, by a rebuild when it would exceed ``2 × running + 8``."""
        self._running -= 1
        heap = self._heap
        while heap and heap[0][2].done:
            heapq.heappop(heap)
        if len(heap) > 2 * self._running + 8:
            heap[:] = [entry for entry in heap if not entry[2].done]
            heapq.heapify(heap)

    def _run(self) -> None:
        heap = self._heap
        with self.lock:
            while True:
                while heap and heap[0][2].done:
                    heapq.heappop(heap)
                if not heap:
                    self.lock.wait()
                    continue
                delay = heap[0][0] - time.monotonic()
                if delay > 0:
                    self.lock.wait(delay)
                    continue
                heapq.heappop(heap)[2].fire()


watchdog = _Watchdog()
