"""AccountMirror in long outages (issue 9, items 13, 15, 16, 20): scripted stream, ManualClock."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest
from mirror_factories import SYM, account_event, rest_position
from test_aio import FakeStream, connected, make, settle, unavailable

from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.mirror import AccountMirror, MirrorOptions, Snapshot

# ---------------------------------------------------------------- item 13: backoff, surfacing


async def test_mirror_keeps_retrying_after_thousands_of_failed_snapshots() -> None:
    # retry_factor ** n overflowed at n ~ 1025 and killed the resync task silently.
    options = MirrorOptions(retry_initial=1.0, retry_factor=2.0, retry_max=30.0, retry_jitter=0)
    mirror, stream, source, clock = make(options=options)
    async with mirror:
        stream.push(connected())
        await settle()
        for attempt in range(1, 1_101):
            assert source.calls == attempt
            source.reply(unavailable())
            await settle()
            await clock.advance(30, settle=False)
            await settle()
        assert not mirror.closed and mirror.stale
        source.reply(Snapshot())
        await settle()
        assert not mirror.stale and mirror.last_resync is not None
        assert mirror.last_resync.attempts == 1_101


async def test_an_unexpected_error_in_the_resync_task_fails_the_mirror(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from binance.derivatives.cmfutures.mirror import aio

    def broken(*args: Any) -> float:
        raise ZeroDivisionError("bug in the retry policy")

    monkeypatch.setattr(aio, "retry_delay", broken)
    mirror, stream, source, _ = make()
    async with mirror:
        sub = mirror.changes()
        stream.push(connected())
        await settle()
        source.reply(unavailable())
        await settle()
        assert mirror.closed  # before: the task died, the mirror stayed stale forever
        with pytest.raises(ZeroDivisionError):
            await mirror.wait_for(lambda m: False)
        with pytest.raises(ZeroDivisionError):
            async for _ in sub:
                pass


# ---------------------------------------------------------------- item 15: changes() unsubscribe


async def test_breaking_out_of_changes_and_dropping_it_unsubscribes() -> None:
    mirror, stream, source, _ = make()
    async with mirror:
        stream.push(connected())
        await settle()
        source.reply(Snapshot())
        await settle()
        sub = mirror.changes()
        gone = weakref.ref(sub)
        stream.push(account_event(T=2_000_000, positions=[(SYM, "BOTH", "1", "100")]))
        async for _change in sub:
            break
        del sub, _change
        gc.collect()
        assert gone() is None  # the mirror kept no strong reference
        assert len(mirror._subscribers) == 0
        for t in range(3_000_000, 3_000_100):  # nothing queues up for the dropped one
            stream.push(account_event(T=t, positions=[(SYM, "BOTH", str(t), "100")]))
        await settle()
        assert len(mirror._subscribers) == 0


async def test_closing_changes_unsubscribes() -> None:
    mirror, _, _, _ = make()
    async with mirror:
        async with mirror.changes():
            assert len(mirror._subscribers) == 1
        assert len(mirror._subscribers) == 0
        sub2 = mirror.changes()
        await sub2.aclose()
        assert len(mirror._subscribers) == 0
        assert [c async for c in sub2] == []


# ---------------------------------------------------------------- item 16: cancellation


async def test_a_cancelled_close_stays_cancelled_and_still_releases_everything() -> None:
    cleanup_may_finish = asyncio.Event()

    async def slow_to_cancel_source() -> Snapshot:
        try:
            await asyncio.Event().wait()
        finally:  # a snapshot source with a slow cleanup
            await cleanup_may_finish.wait()
        raise AssertionError("unreachable")

    stream = FakeStream()
    mirror = AccountMirror(
        stream=stream, snapshot_source=slow_to_cancel_source, clock=ManualClock(start=1000.0)
    )
    await mirror.start()
    stream.push(connected())
    await settle()
    closer = asyncio.ensure_future(mirror.close())
    await settle()
    assert not closer.done()  # waiting for the resync task to finish its cleanup
    closer.cancel()
    await settle()
    # Before: contextlib.suppress(BaseException) swallowed the cancellation, close() went on.
    assert closer.cancelled()
    cleanup_may_finish.set()
    await settle()
    await mirror.close()  # waits for the closing that went on in the background
    assert stream.exited and mirror.closed


# ---------------------------------------------------------------- item 20: hedge mode resync


def _view(state: Any) -> Any:
    return state.publish(0.0)


def test_a_resync_is_final_for_rows_its_snapshot_no_longer_has() -> None:
    from binance.derivatives.cmfutures.mirror import MirrorState

    long_key, both_key = (SYM, "LONG"), (SYM, "BOTH")
    state = MirrorState()
    state.begin_resync("initial", 1.0, stale=False)
    state.begin_attempt(1.0)
    hedge = Snapshot(positions=(rest_position(SYM, "LONG", "1", "100", update_time=500),))
    state.finish_resync(hedge, 1.1)
    assert long_key in _view(state).positions
    # The LONG position is closed at T=2000 ms, but delivery of that update is delayed; the
    # account switches to one-way mode; a gap; the resync snapshot (taken at 5 s) has BOTH only.
    closed = account_event(T=2000, positions=[(SYM, "LONG", "0", "0")])
    state.begin_resync("gap", 5.0, stale=True)
    state.begin_attempt(5.0)
    state.apply(closed, 5.1)  # arrives during the snapshot: buffered and replayed
    one_way = Snapshot(positions=(rest_position(SYM, "BOTH", "0", "0", update_time=3000),))
    state.finish_resync(one_way, 5.2)
    assert set(_view(state).positions) == {both_key}  # before: a flat LONG row came back
    state.apply(closed, 5.3)  # delivered again, later still
    state.apply(account_event(T=2500, positions=[(SYM, "LONG", "0", "0")]), 5.4)
    assert set(_view(state).positions) == {both_key}
    # What happens after the snapshot is applied as usual.
    state.apply(account_event(T=6000, positions=[(SYM, "BOTH", "2", "101")]), 6.1)
    assert _view(state).positions[both_key].position_amount == 2
    state.apply(account_event(T=6100, balances={"BTC": ("1", "1")}), 6.2)
    assert "BTC" in _view(state).balances


def test_a_late_balance_for_an_asset_the_snapshot_lacks_is_dropped_too() -> None:
    from binance.derivatives.cmfutures.mirror import MirrorState

    state = MirrorState()
    state.begin_resync("initial", 10.0, stale=False)
    state.begin_attempt(10.0)
    state.apply(account_event(T=9000, balances={"ETH": ("0", "0")}), 10.1)
    state.finish_resync(Snapshot(), 10.2)
    assert "ETH" not in _view(state).balances
