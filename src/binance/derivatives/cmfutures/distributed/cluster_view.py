"""The three KV buckets, watched: a local, always-current :class:`~.ownership.ClusterView`.

KV watchers deliver every change in order, including the markers the server writes when an
entry's ``max_age`` runs out (buckets are created with ``limit_marker_ttl``; nats-server 2.11 or
newer), so an expired lease disappears from the view without anyone polling.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from .ownership import ClusterView, Lease, parse_handover

if TYPE_CHECKING:
    from .setup import Buckets

__all__ = ["BucketWatch", "WatchedCluster"]

_REMOVED = ("DEL", "PURGE")


class BucketWatch:
    """Key -> :class:`Lease` of one bucket, kept current by a watcher.

    :attr:`tombstones` remembers the revision of a removed key: re-creating it is a
    compare-and-set on that revision (or on 0 once the marker itself has aged out).
    """

    def __init__(self) -> None:
        self.entries: dict[str, Lease] = {}
        self.tombstones: dict[str, int] = {}
        self.previous: dict[str, str] = {}  # key -> the value it held when it vanished
        self.changed = asyncio.Event()

    def apply(self, key: str, value: bytes | None, revision: int, operation: str | None) -> None:
        """Record one watched change; stale changes (lower revision) are ignored."""
        known = self.entries.get(key)
        known_revision = known.revision if known else self.tombstones.get(key, 0)
        if revision <= known_revision:
            return
        if operation in _REMOVED or not value:
            gone = self.entries.pop(key, None)
            if gone is not None:
                self.previous[key] = gone.worker
            self.tombstones[key] = revision
        else:
            self.entries[key] = Lease(value.decode(), revision)
            self.tombstones.pop(key, None)
        self.changed.set()

    def wrote(self, key: str, value: str, revision: int) -> None:
        """This process wrote ``key`` (so the view does not lag behind its own writes)."""
        self.apply(key, value.encode(), revision, None)

    def removed(self, key: str, revision: int) -> None:
        """This process deleted ``key``."""
        self.apply(key, None, revision, "DEL")


class WatchedCluster:
    """Watchers on the owners, workers and handover buckets."""

    def __init__(self, buckets: Buckets) -> None:
        self.buckets = buckets
        self.owners = BucketWatch()
        self.workers = BucketWatch()
        self.requests = BucketWatch()
        self._tasks: list[asyncio.Task[None]] = []

    async def restart(self) -> None:
        """Watch afresh (after a reconnect: the server may have lost the watchers' consumers).

        The new maps are the buckets' current content; removals missed meanwhile are thereby
        applied too.
        """
        await self.stop()
        before = self.owners.entries
        self.owners, self.workers, self.requests = BucketWatch(), BucketWatch(), BucketWatch()
        # leases that vanished while we were away: their holders get the grace period
        self.owners.previous.update({k: lease.worker for k, lease in before.items()})
        await self.start()

    async def start(self) -> None:
        """Start watching; returns once each bucket's current content has been read."""
        pairs = (
            (self.buckets.owners, self.owners),
            (self.buckets.workers, self.workers),
            (self.buckets.handover, self.requests),
        )
        for kv, watch in pairs:
            watcher = await kv.watchall()
            ready = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._follow(watcher, watch, ready)))
            await ready.wait()

    async def _follow(self, watcher: Any, watch: BucketWatch, ready: asyncio.Event) -> None:
        try:
            async for entry in watcher:
                if entry is None:  # the initial values have all been delivered
                    ready.set()
                    continue
                watch.apply(entry.key, entry.value, entry.revision or 0, entry.operation)
                if entry.delta == 0:
                    ready.set()
        finally:
            ready.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(watcher.stop(), 2.0)

    async def stop(self) -> None:
        """Stop the watchers."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)  # never swallows the caller's own cancellation

    def view(self) -> ClusterView:
        """The buckets as last seen."""
        live = self.workers.entries
        requests: dict[str, Lease] = {}
        pending: dict[str, Lease] = {}
        for account, entry in self.requests.entries.items():
            worker, is_live = parse_handover(entry.worker)
            (requests if is_live else pending)[account] = Lease(worker, entry.revision)
        return ClusterView(
            workers=frozenset(live),
            leaving=frozenset(w for w, lease in live.items() if lease.worker == "leaving"),
            owners=dict(self.owners.entries),
            requests=requests,
            pending=pending,
            previous=dict(self.owners.previous),
        )
