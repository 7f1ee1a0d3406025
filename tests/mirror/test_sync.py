"""SyncAccountMirror: the blocking facade, its background thread, reading views across threads."""

from __future__ import annotations

import pytest
from mirror_factories import order_event, rest_order
from test_aio import FakeStream

from binance.derivatives.cmfutures.events import StreamConnected
from binance.derivatives.cmfutures.mirror import AccountMirror, Snapshot, SyncAccountMirror


def test_sync_facade_end_to_end() -> None:
    stream = FakeStream()

    async def source() -> Snapshot:
        return Snapshot(orders=(rest_order(1),))

    mirror = AccountMirror.sync(stream=stream, snapshot_source=source)
    assert isinstance(mirror, SyncAccountMirror)
    with pytest.raises(RuntimeError, match="not started"):
        _ = mirror.balances
    with mirror:
        loop = mirror._thread.loop
        assert loop is not None and loop.is_running()  # in its own thread, not this one
        changes = mirror.changes()

        def push(*items: object) -> None:
            loop.call_soon_threadsafe(stream.push, *items)

        push(StreamConnected(at=0, url="ws://x", connection_id=1))
        view = mirror.wait_for(lambda m: not m.stale, timeout=5)
        assert set(view.open_orders) == {1}
        assert next(changes).kind == "resync"
        assert next(changes).kind == "stale"
        push(order_event(2, T=5000))
        mirror.wait_for(lambda m: 2 in m.open_orders, timeout=5)
        assert next(changes).key == 2
        assert set(mirror.open_orders) == {1, 2} and not mirror.stale
        report = mirror.resync()
        assert report.reason == "manual" and mirror.last_resync is report
        # the resync saw no order 2 (our fake REST is frozen): corrected and reported
        assert set(mirror.open_orders) == {1}
        assert [e.op for e in report.diff.orders] == ["removed"]
        with pytest.raises(TimeoutError):
            mirror.wait_for(lambda m: 3 in m.open_orders, timeout=0.05)
    assert stream.exited
    rest = list(changes)  # what was queued before close, then the end
    assert [c.kind for c in rest] == ["order", "resync"]
    mirror.close()  # idempotent
