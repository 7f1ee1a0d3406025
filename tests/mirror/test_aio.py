"""AccountMirror's asyncio layer, driven by a scripted stream and snapshot source.

No sockets: the stream is a queue of messages, the snapshot source a queue of replies, and time
is a ManualClock.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from typing import Any

import pytest
from mirror_factories import SYM, account_event, order_event, rest_balance, rest_order

from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.events import StreamConnected, StreamDisconnected, StreamGap
from binance.derivatives.cmfutures.exceptions import (
    ServiceException,
    TooManyRequestsException,
    UnauthorizedException,
)
from binance.derivatives.cmfutures.mirror import (
    AccountMirror,
    ChangeKind,
    MirrorChange,
    MirrorClosed,
    MirrorOptions,
    Snapshot,
)

_END = object()


class FakeStream:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.entered = self.exited = False

    async def __aenter__(self) -> FakeStream:
        self.entered = True
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.exited = True

    def __aiter__(self) -> FakeStream:
        return self

    async def __anext__(self) -> Any:
        item = await self.queue.get()
        if item is _END:
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            raise item
        return item

    def push(self, *items: Any) -> None:
        for item in items:
            self.queue.put_nowait(item)


class Source:
    """Snapshot source whose replies the test gives one by one."""

    def __init__(self) -> None:
        self.calls = 0
        self.pending: deque[asyncio.Future[Snapshot]] = deque()

    async def __call__(self) -> Snapshot:
        self.calls += 1
        fut: asyncio.Future[Snapshot] = asyncio.get_running_loop().create_future()
        self.pending.append(fut)
        return await fut

    def reply(self, result: Snapshot | BaseException) -> None:
        fut = self.pending.popleft()
        if isinstance(result, BaseException):
            fut.set_exception(result)
        else:
            fut.set_result(result)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def connected(n: int = 1) -> StreamConnected:
    return StreamConnected(at=0.0, url="ws://x/ws/***", connection_id=n)


def unavailable() -> ServiceException:
    return ServiceException(status=503, reason="Service Unavailable")


def make(**kw: Any) -> tuple[AccountMirror, FakeStream, Source, ManualClock]:
    clock = ManualClock(start=1000.0)
    stream, source = FakeStream(), Source()
    options = kw.pop("options", MirrorOptions(retry_jitter=0))
    mirror = AccountMirror(stream=stream, snapshot_source=source, clock=clock,
                           options=options, rng=random.Random(0), **kw)
    return mirror, stream, source, clock


async def collect(sub: Any, n: int) -> list[MirrorChange]:
    out = []
    for _ in range(n):
        out.append(await asyncio.wait_for(sub.__anext__(), 1))
    return out


def drain(sub: Any) -> list[MirrorChange]:
    out = []
    while sub._queue:
        out.append(sub._queue.popleft())
    return out


async def test_first_snapshot_only_after_connected_with_buffered_events_merged() -> None:
    mirror, stream, source, _ = make()
    async with mirror:
        sub = mirror.changes()
        assert stream.entered and mirror.stale
        stream.push(order_event(7, T=100))  # before connect: reflected in the snapshot anyway
        await settle()
        assert source.calls == 0
        stream.push(connected())
        await settle()
        assert source.calls == 1 and mirror.stale
        stream.push(order_event(1, T=2000), account_event(T=2000, balances={"BTC": ("2", "2")}))
        await settle()
        assert mirror.open_orders == {}  # buffered, not applied before the snapshot
        source.reply(Snapshot(balances=(rest_balance("BTC", "1", update_time=1000),),
                              orders=(rest_order(7, update_time=100),)))
        await settle()
        assert not mirror.stale
        assert set(mirror.open_orders) == {1, 7}
        assert mirror.balances["BTC"].wallet_balance == 2
        report = mirror.last_resync
        assert report is not None and report.initial and report.buffered_events == 2
        assert [c.kind for c in drain(sub)] == ["resync", "stale"]
    assert stream.exited and mirror.closed


async def test_disconnect_then_gap_triggers_one_resync_reporting_what_was_missed() -> None:
    mirror, stream, source, _ = make()
    async with mirror:
        stream.push(connected())
        await settle()
        source.reply(Snapshot(orders=(rest_order(1), rest_order(2))))
        await settle()
        sub = mirror.changes()
        stream.push(StreamDisconnected(at=1, reason="1006", connection_id=1))
        await settle()
        assert mirror.stale  # no connection: events are being missed
        assert source.calls == 1  # no snapshot before the stream is connected again
        stream.push(connected(2), StreamGap(since=1, until=1000, reason="reconnected"))
        await settle()
        assert source.calls == 2
        source.reply(Snapshot(orders=(rest_order(2), rest_order(3, update_time=1500))))
        await settle()
        assert not mirror.stale and set(mirror.open_orders) == {2, 3}
        changes = drain(sub)
        assert [(c.kind, c.key) for c in changes] == [
            ("stale", None), ("order", 3), ("order", 1), ("resync", None), ("stale", None)
        ]
        assert isinstance(changes[0].cause, StreamDisconnected)
        assert changes[1].from_resync and changes[2].after is None
        report = mirror.last_resync
        assert report is not None and report.reason == "disconnected: 1006"
        assert report.diff.summary() == {"order": {"added": 1, "removed": 1}}


async def test_gap_without_disconnect_triggers_resync() -> None:
    mirror, stream, source, _ = make()
    async with mirror:
        stream.push(connected())
        await settle()
        source.reply(Snapshot())
        await settle()
        stream.push(StreamGap(since=1000, until=1000, reason="malformed frame: not JSON"))
        await settle()
        assert mirror.stale and source.calls == 2
        source.reply(Snapshot(orders=(rest_order(4),)))
        await settle()
        assert not mirror.stale and set(mirror.open_orders) == {4}
        assert mirror.last_resync is not None
        assert mirror.last_resync.reason == "gap: malformed frame: not JSON"


async def test_gap_older_than_the_running_attempt_does_not_restart_it() -> None:
    mirror, stream, source, _ = make()
    async with mirror:
        stream.push(connected())
        await settle()
        assert source.calls == 1
        stream.push(StreamGap(since=900, until=999, reason="late notice"))
        await settle()
        assert source.calls == 1 and not source.pending[0].done()
        source.reply(Snapshot())
        await settle()
        assert not mirror.stale


async def test_rotation_overlap_is_not_a_gap() -> None:
    mirror, stream, source, _ = make()
    async with mirror:
        stream.push(connected())
        await settle()
        source.reply(Snapshot())
        await settle()
        stream.push(connected(2), StreamDisconnected(at=1, reason="rotation", connection_id=1))
        await settle()
        assert not mirror.stale and source.calls == 1


async def test_failing_snapshot_is_retried_with_backoff_on_the_clock() -> None:
    mirror, stream, source, clock = make(options=MirrorOptions(retry_initial=1, retry_jitter=0))
    async with mirror:
        sub = mirror.changes()
        stream.push(connected())
        await settle()
        source.reply(unavailable())
        await settle()
        assert [c.kind for c in drain(sub)] == ["resync_failed"]  # stale from the start
        assert mirror.stale
        await clock.advance(0.9)
        assert source.calls == 1
        await clock.advance(0.1)
        await settle()
        assert source.calls == 2
        source.reply(unavailable())
        await settle()
        await clock.advance(1.9)
        assert source.calls == 2
        await clock.advance(0.1)  # second delay: 2 s
        await settle()
        assert source.calls == 3
        source.reply(Snapshot())
        await settle()
        assert not mirror.stale
        assert mirror.last_resync is not None and mirror.last_resync.attempts == 3


async def test_retry_after_is_honoured() -> None:
    mirror, stream, source, clock = make(options=MirrorOptions(retry_initial=1, retry_jitter=0))
    async with mirror:
        stream.push(connected())
        await settle()
        source.reply(TooManyRequestsException(status=429, reason="Too Many", retry_after=30.0))
        await settle()
        await clock.advance(29)
        assert source.calls == 1
        await clock.advance(1)
        await settle()
        assert source.calls == 2


async def test_failed_audit_resync_marks_stale_then_clears() -> None:
    mirror, stream, source, clock = make(options=MirrorOptions(retry_initial=1, retry_jitter=0))
    async with mirror:
        stream.push(connected())
        await settle()
        source.reply(Snapshot())
        await settle()
        sub = mirror.changes()
        task = asyncio.ensure_future(mirror.resync())
        await settle()
        assert not mirror.stale
        source.reply(unavailable())
        await settle()
        assert mirror.stale
        assert [c.kind for c in drain(sub)] == ["resync_failed", "stale"]
        await clock.advance(1)
        await settle()
        source.reply(Snapshot())
        await settle()
        report = await task
        assert report.reason == "manual" and report.attempts == 2 and not mirror.stale
        assert [c.kind for c in drain(sub)] == ["resync", "stale"]


async def test_gap_during_snapshot_restarts_it() -> None:
    mirror, stream, source, _ = make()
    async with mirror:
        stream.push(connected())
        await settle()
        assert source.calls == 1
        stream.push(StreamGap(since=999, until=1000.5, reason="dropped"))
        await settle()
        assert source.calls == 2
        assert source.pending[0].cancelled()
        source.pending.popleft()
        source.reply(Snapshot(orders=(rest_order(5),)))
        await settle()
        assert set(mirror.open_orders) == {5} and not mirror.stale


async def test_unauthorized_is_fatal() -> None:
    mirror, stream, source, _ = make()
    async with mirror:
        sub = mirror.changes()
        stream.push(connected())
        await settle()
        source.reply(UnauthorizedException(status=401, reason="Unauthorized"))
        await settle()
        assert mirror.closed
        with pytest.raises(UnauthorizedException):
            await collect(sub, 1)
        with pytest.raises(UnauthorizedException):
            await mirror.wait_for(lambda m: False)


async def test_stream_error_fails_the_mirror() -> None:
    mirror, stream, _, _ = make()
    async with mirror:
        stream.push(RuntimeError("socket exploded"))
        await settle()
        with pytest.raises(RuntimeError, match="exploded"):
            await mirror.wait_for(lambda m: False, timeout=1)


async def test_wait_for_becomes_true_and_times_out_on_the_clock() -> None:
    mirror, stream, source, clock = make()
    async with mirror:
        stream.push(connected())
        await settle()
        source.reply(Snapshot())
        await settle()
        assert (await mirror.wait_for(lambda m: not m.stale)).stale is False
        waiter = asyncio.ensure_future(
            mirror.wait_for(lambda m: 1 in m.open_orders and
                            m.open_orders[1].executed_quantity == 1, timeout=5))
        stream.push(order_event(1, T=100))
        await settle()
        assert not waiter.done()
        stream.push(order_event(1, T=200, status="PARTIALLY_FILLED", z="1", t=1))
        await settle()
        view = await waiter
        assert view.open_orders[1].executed_quantity == 1

        timeout = asyncio.ensure_future(mirror.wait_for(lambda m: 2 in m.open_orders, timeout=5))
        await settle()
        await clock.advance(4.9)
        assert not timeout.done()
        await clock.advance(0.1)
        await settle()
        with pytest.raises(TimeoutError):
            await timeout


async def test_slow_subscriber_gets_a_lagged_notice() -> None:
    mirror, stream, source, _ = make(options=MirrorOptions(max_change_queue=2))
    async with mirror:
        stream.push(connected())
        await settle()
        source.reply(Snapshot())
        await settle()
        sub = mirror.changes()
        for oid in range(1, 6):
            stream.push(order_event(oid, T=100))
        await settle()
        got = await collect(sub, 3)
        assert [(c.kind, c.key) for c in got] == [("order", 1), ("order", 2), ("lagged", 3)]
        assert set(mirror.open_orders) == {1, 2, 3, 4, 5}  # the views lose nothing
        stream.push(order_event(6, T=100))
        await settle()
        assert [(c.kind, c.key) for c in await collect(sub, 1)] == [("order", 6)]


async def test_close_ends_subscriptions_and_waiters() -> None:
    mirror, stream, _, _ = make()
    await mirror.start()
    sub = mirror.changes()
    waiter = asyncio.ensure_future(mirror.wait_for(lambda m: False))
    await settle()
    await mirror.close()
    await settle()
    assert [c async for c in sub] == []
    with pytest.raises(MirrorClosed):
        await waiter
    with pytest.raises(MirrorClosed):
        await mirror.resync()
    await mirror.close()  # idempotent
    assert stream.exited


async def test_periodic_audit_resync() -> None:
    mirror, stream, source, clock = make(options=MirrorOptions(resync_interval=60, retry_jitter=0))
    async with mirror:
        stream.push(connected())
        await settle()
        source.reply(Snapshot())
        await settle()
        sub = mirror.changes()
        # T after the snapshot (the clock is at 1000 s): an older update could not add a row
        stream.push(account_event(T=1_000_100, positions=[(SYM, "BOTH", "1", "100")]))
        await settle()
        await clock.advance(60)
        await settle()
        assert source.calls == 2 and not mirror.stale
        source.reply(Snapshot())  # the exchange says: no position (the stream was wrong)
        await settle()
        report = mirror.last_resync
        assert report is not None and report.reason == "audit"
        changes = drain(sub)
        assert [c.kind for c in changes] == ["position", "position", "resync"]
        assert changes[1].from_resync and changes[1].after is None


async def test_margin_call_and_fills_are_published_as_changes() -> None:
    from binance.derivatives.cmfutures.events import MarginCall

    mirror, stream, source, _ = make()
    async with mirror:
        stream.push(connected())
        await settle()
        source.reply(Snapshot())
        await settle()
        sub = mirror.changes()
        mc = MarginCall(event_time=1)
        stream.push(mc, order_event(1, T=100, status="FILLED", z="3", l="3", t=11))
        await settle()
        changes = drain(sub)
        assert [c.kind for c in changes] == [ChangeKind.MARGIN_CALL, ChangeKind.FILL]
        assert changes[0].cause is mc and changes[1].after.trade_id == 11


def test_construction_errors() -> None:
    with pytest.raises(TypeError, match="Configuration"):
        AccountMirror()
    with pytest.raises(ValueError, match="retry_initial"):
        MirrorOptions(retry_initial=0)
    with pytest.raises(ValueError, match="retry_jitter"):
        MirrorOptions(retry_jitter=2)
    with pytest.raises(ValueError, match="max_change_queue"):
        MirrorOptions(max_change_queue=0)
