"""``SyncAccountMirror``: the account mirror for programs without asyncio.

The asyncio :class:`~.aio.AccountMirror` runs on an event loop in a daemon thread that this
object owns. The views are immutable, so reading them from the calling thread (or any other)
needs no lock.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._loop_thread import LoopThread
from .aio import AccountMirror, ChangeSubscription
from .views import (
    AccountView,
    BalanceView,
    MirrorChange,
    OrderView,
    PositionKey,
    PositionView,
    ResyncReport,
)

if TYPE_CHECKING:
    from ..configuration import Configuration

__all__ = ["SyncAccountMirror"]

_T = TypeVar("_T")


class SyncAccountMirror:
    """A blocking facade over :class:`~.aio.AccountMirror`::

        with AccountMirror.sync(configuration) as mirror:
            mirror.wait_for(lambda m: not m.stale, timeout=10)
            print(mirror.positions)
            for change in mirror.changes():
                ...

    Takes the same arguments as :class:`~.aio.AccountMirror`. :meth:`start` (or ``with``)
    returns once the stream is open, not once the first snapshot is in: wait for
    ``not m.stale`` as above.
    """

    def __init__(self, configuration: Configuration | None = None, **kwargs: Any) -> None:
        self._configuration = configuration
        self._kwargs = kwargs
        self._thread = LoopThread("AccountMirror")
        self._mirror: AccountMirror | None = None

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return self._thread.call(coro)

    @property
    def _m(self) -> AccountMirror:
        if self._mirror is None:
            raise RuntimeError("the mirror is not started: use `with` or call start()")
        return self._mirror

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the background loop and the mirror (see :meth:`AccountMirror.start`)."""
        if self._thread.running:
            raise RuntimeError("SyncAccountMirror.start() called twice")
        self._thread.start()

        async def create() -> AccountMirror:
            mirror = AccountMirror(self._configuration, **self._kwargs)
            await mirror.start()
            return mirror

        try:
            self._mirror = self._run(create())
        except BaseException:
            self._thread.stop()
            raise

    def close(self) -> None:
        """Close the mirror and stop its thread. Idempotent."""
        if not self._thread.running:
            return
        try:
            if self._mirror is not None:
                self._run(self._mirror.close())
        finally:
            self._thread.stop()

    def __enter__(self) -> SyncAccountMirror:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ views

    @property
    def view(self) -> AccountView:
        return self._m.view

    @property
    def balances(self) -> Mapping[str, BalanceView]:
        return self._m.balances

    @property
    def positions(self) -> Mapping[PositionKey, PositionView]:
        return self._m.positions

    @property
    def open_orders(self) -> Mapping[int, OrderView]:
        return self._m.open_orders

    @property
    def leverage(self) -> Mapping[str, int]:
        return self._m.leverage

    @property
    def stale(self) -> bool:
        return self._m.stale

    @property
    def last_resync(self) -> ResyncReport | None:
        return self._m.last_resync

    @property
    def mirror(self) -> AccountMirror:
        """The asyncio mirror (use it only from its loop's thread)."""
        return self._m

    # ------------------------------------------------------------------ blocking calls

    def wait_for(
        self, predicate: Callable[[SyncAccountMirror], bool], timeout: float | None = None
    ) -> AccountView:
        """Block until ``predicate(self)`` is true. See :meth:`AccountMirror.wait_for`; the
        predicate runs on the mirror's thread and should only read views.

        :raises TimeoutError: if it stays false for ``timeout`` seconds of the mirror's clock.
        """
        return self._run(self._m.wait_for(lambda _m: predicate(self), timeout))

    def resync(self) -> ResyncReport:
        """Resync now and return the report (see :meth:`AccountMirror.resync`)."""
        return self._run(self._m.resync())

    def changes(self) -> Iterator[MirrorChange]:
        """Iterate over changes from now on, blocking for each (see
        :meth:`AccountMirror.changes`). Ends when the mirror closes."""
        mirror = self._m

        async def subscribe() -> ChangeSubscription:
            return mirror.changes()

        sub = self._run(subscribe())
        return self._iterate(sub)

    def _iterate(self, sub: ChangeSubscription) -> Iterator[MirrorChange]:
        async def next_change() -> MirrorChange | None:
            try:
                return await sub.__anext__()
            except StopAsyncIteration:
                return None

        try:
            while True:
                if not self._thread.running:  # closed: hand out what was already queued, then end
                    while sub._queue:
                        yield sub._queue.popleft()
                    return
                change = self._run(next_change())
                if change is None:
                    return
                yield change
        finally:
            loop = self._thread.loop
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(sub.close)

    def __repr__(self) -> str:
        return f"<SyncAccountMirror {self._mirror!r}>"
