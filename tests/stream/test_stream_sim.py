"""UserDataStream against the simulator, on a ManualClock: every fault it can inject.

Each test ends with ``check_accounted()``: every event the simulator emitted was delivered
exactly once or lies inside an announced StreamGap.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from binance.derivatives.cmfutures.events import (
    ListenKeyExpired,
    ListenKeyRenewed,
    OrderTradeUpdate,
    StreamConnected,
    StreamDisconnected,
    StreamGap,
    UnknownEvent,
)

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")


async def test_normal_flow_delivers_every_event_once_in_order(harness: Any) -> None:
    stream = await harness.open()
    emitted = harness.emit(20)
    await harness.settle()
    data = harness.data()
    assert [e.order.order_id for e in data] == list(range(1, 21))
    assert [type(m) for m in harness.messages[:1]] == [StreamConnected]
    assert not harness.of(StreamGap)
    stats = stream.stats
    assert stats.events == 20 and stats.events_by_type == {"ORDER_TRADE_UPDATE": 20}
    assert stats.connected and stats.gaps == 0 and stats.lag.max == pytest.approx(0, abs=0.002)
    assert len(emitted) == 20
    harness.check_accounted()


async def test_url_is_built_from_stream_host_with_trailing_slash(harness: Any) -> None:
    from binance.derivatives.cmfutures import UserDataStream

    cfg = harness.sim.configuration()
    cfg.stream_host = cfg.stream_host + "/"
    stream = UserDataStream(cfg, clock=harness.sim.clock)
    async with stream:
        await harness.settle()
        assert harness.sim.connections() == 1
        first = await stream.__anext__()
        assert isinstance(first, StreamConnected) and "//ws" not in first.url


async def test_dropped_connection_reconnects_and_announces_the_gap(harness: Any) -> None:
    stream = await harness.open()
    harness.emit(3)
    await harness.settle()
    harness.sim.faults.drop_connections()
    harness.emit(2)  # sent into the void: nobody is connected any more
    await harness.advance(0.01)
    await harness.advance(5)
    harness.emit(2)
    await harness.settle()
    gaps = harness.of(StreamGap)
    assert len(gaps) == 1
    disconnects = harness.of(StreamDisconnected)
    assert len(disconnects) == 1
    # Disconnect, then the new connection, then the gap, then events.
    i = harness.messages.index(disconnects[0])
    kinds = [type(m) for m in harness.messages[i : i + 3]]
    assert kinds == [StreamDisconnected, StreamConnected, StreamGap]
    assert stream.stats.reconnects == 1
    harness.check_accounted()


@pytest.mark.parametrize("code", [1001, 1011, 4000])
async def test_server_close_code_is_reported(harness: Any, code: int) -> None:
    await harness.open()
    harness.sim.faults.close_connections(code=code)
    await harness.advance(5)
    (disc,) = harness.of(StreamDisconnected)
    assert f"code {code}" in disc.reason
    assert len(harness.of(StreamConnected)) == 2
    harness.emit(1)
    await harness.settle()
    harness.check_accounted()


async def test_half_open_connection_is_detected_and_replaced(harness: Any) -> None:
    stream = await harness.open(ping_interval=60, ping_timeout=30)
    harness.emit(1)
    await harness.settle()
    harness.sim.faults.half_open()
    harness.emit(2)  # swallowed by the dead connection
    await harness.advance(89)
    assert not harness.of(StreamDisconnected)
    await harness.advance(2)
    (disc,) = harness.of(StreamDisconnected)
    assert "half-open" in disc.reason
    await harness.advance(5)
    assert len(harness.of(StreamConnected)) == 2
    (gap,) = harness.of(StreamGap)
    assert gap.until > gap.since
    harness.emit(1)
    await harness.settle()
    assert harness.sim.connections() == 1
    assert stream.stats.connected
    harness.check_accounted()


async def test_delayed_delivery_is_not_a_gap_and_shows_as_lag(harness: Any) -> None:
    stream = await harness.open()
    harness.sim.faults.delay(2.0)
    harness.emit(3)
    await harness.advance(1)
    assert not harness.data()
    await harness.advance(1.5)
    assert len(harness.data()) == 3
    assert stream.stats.lag.max is not None and stream.stats.lag.max >= 2.0
    assert not harness.of(StreamGap)
    harness.check_accounted()


async def test_delayed_events_lost_in_a_drop_are_inside_the_gap(harness: Any) -> None:
    await harness.open()
    harness.sim.faults.delay(10.0)
    harness.emit(1)
    await harness.advance(11)
    harness.emit(2)  # still held by the server when the connection drops
    await harness.advance(3)
    harness.sim.faults.drop_connections()
    harness.sim.faults.delay(0)
    await harness.advance(5)
    assert len(harness.of(StreamGap)) == 1
    harness.check_accounted()


async def test_duplicates_from_the_server_are_dropped(harness: Any) -> None:
    stream = await harness.open()
    harness.sim.faults.duplicate_next_event(2)
    harness.emit(3)
    await harness.settle()
    assert [e.order.order_id for e in harness.data()] == [1, 2, 3]
    assert stream.stats.duplicates_dropped == 2
    harness.check_accounted()


async def test_malformed_frame_is_reported_in_band_and_not_fatal(
    harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    stream = await harness.open()
    caplog.set_level(logging.WARNING, logger="binance.derivatives.cmfutures.stream")
    harness.sim.faults.send_malformed_frame()
    harness.emit(1)
    await harness.settle()
    gap, event = harness.messages[-2:]
    assert isinstance(gap, StreamGap) and gap.since <= gap.until and "malformed" in gap.reason
    assert isinstance(event, OrderTradeUpdate)
    assert stream.stats.malformed_frames == 1 and stream.stats.connected
    assert "malformed frame" in caplog.text
    harness.check_accounted()


async def test_unknown_event_is_delivered(harness: Any) -> None:
    stream = await harness.open()
    harness.sim.faults.send_unknown_event(event_type="BRAND_NEW")
    await harness.settle()
    (unknown,) = harness.of(UnknownEvent)
    assert unknown.event_type == "BRAND_NEW" and unknown.payload["x"]
    assert stream.stats.events_by_type == {"BRAND_NEW": 1}
    harness.check_accounted()


async def test_events_the_server_silently_drops_cannot_be_seen(harness: Any) -> None:
    """drop_next_events: a loss no client can detect (no sequence numbers on this stream)."""
    await harness.open()
    harness.sim.faults.drop_next_events(2)
    sent = harness.emit(4)
    await harness.settle()
    assert [e.order.order_id for e in harness.data()] == [3, 4]
    assert [e.delivered for e in sent] == [False, False, True, True]
    harness.check_accounted()  # the undeliverable ones are exempt, the rest exactly once


async def test_keepalive_failures_are_retried_without_a_gap(harness: Any) -> None:
    stream = await harness.open(config={"retries": 0}, keepalive_retry_delays=(5, 10))
    harness.sim.faults.fail_next_rest(3, status=503, code=-1001, path="/dapi/v1/listenKey")
    await harness.advance(1800, step=600)
    await harness.advance(30, step=5)
    ka = stream.stats.keepalive
    assert ka.total_failures == 3 and ka.failures == 0 and ka.last_ok is not None
    assert harness.sim.listen_key() is not None
    harness.emit(1)
    await harness.settle()
    assert not harness.of(StreamGap)
    harness.check_accounted()


async def test_keepalive_is_sent_every_interval(harness: Any) -> None:
    stream = await harness.open(keepalive_interval=600)
    start = stream.stats.keepalive.last_ok
    await harness.advance(3 * 600 + 1, step=300)
    assert stream.stats.keepalive.last_ok == pytest.approx(start + 1800, abs=1)
    assert stream.stats.keepalive.next_due == pytest.approx(start + 2400, abs=1)


async def test_expired_listen_key_is_renewed_with_a_gap(harness: Any) -> None:
    stream = await harness.open()
    old = harness.sim.listen_key()
    harness.emit(1)
    await harness.settle()
    harness.sim.faults.expire_listen_key()
    harness.emit(1)  # no active key: nobody can receive this
    await harness.advance(5)
    new = harness.sim.listen_key()
    assert new is not None and new != old
    assert harness.of(ListenKeyExpired)
    (renewed,) = harness.of(ListenKeyRenewed)
    assert renewed.old_key_tail == "…" + old[-4:] and renewed.new_key_tail == "…" + new[-4:]
    assert len(harness.of(StreamGap)) == 1
    harness.emit(2)
    await harness.settle()
    assert stream.stats.key_renewals == 1
    harness.check_accounted()


def _on_delete(mode: str) -> Any:
    from binance.derivatives.cmfutures.simulator import SimulatorOptions

    return SimulatorOptions(on_delete=mode)


@pytest.mark.parametrize(
    "sim_options",
    [_on_delete("expired_event"), _on_delete("close"), _on_delete("silence")],
    ids=["expired_event", "close", "silence"],
)
async def test_key_deleted_behind_the_streams_back(harness: Any) -> None:
    from binance.derivatives.cmfutures import AsyncApiClient, UserDataStreamsApi

    await harness.open(keepalive_interval=300)
    harness.emit(1)
    await harness.settle()
    async with AsyncApiClient(harness.sim.configuration(), clock=harness.sim.clock) as client:
        await UserDataStreamsApi(client).cmfutures_delete_listen_key_v1()
    harness.emit(1)  # lost: the key is gone
    await harness.advance(400, step=100)  # at worst the next keepalive finds out (-1125)
    assert harness.sim.listen_key() is not None
    # One gap, or two when the stream first reconnected on the deleted key ("close").
    assert 1 <= len(harness.of(StreamGap)) <= 2
    harness.emit(1)
    await harness.settle()
    assert isinstance(harness.messages[-1], OrderTradeUpdate)
    harness.check_accounted()


async def test_rest_failure_on_create_is_retried(harness: Any) -> None:
    harness.sim.faults.fail_next_rest(2, status=503, code=-1001, path="/dapi/v1/listenKey")
    stream = await harness.open()
    await harness.advance(10, step=1)
    assert stream.stats.connected
    harness.emit(1)
    await harness.settle()
    harness.check_accounted()


async def test_rejected_api_key_raises_from_iteration(harness: Any) -> None:
    from binance.derivatives.cmfutures import ApiException, UserDataStream

    cfg = harness.sim.configuration()
    cfg.auth.api_key = "x" * 64
    stream = UserDataStream(cfg, clock=harness.sim.clock)
    async with stream:
        with pytest.raises(ApiException) as info:
            async for _ in stream:
                pass
        assert info.value.status == 401
        async for _ in stream:  # then iteration just ends
            raise AssertionError


async def test_25_hours_with_rotation_and_no_gap(harness: Any) -> None:
    stream = await harness.open(ping_interval=600)
    for _hour in range(25):
        harness.emit(1)
        await harness.advance(3600 - 10)
        for _ in range(4):  # events around the rotation instant too
            harness.emit(1)
            await harness.advance(2.5)
    assert stream.stats.rotations == 1
    assert not harness.of(StreamGap), harness.of(StreamGap)
    assert not harness.error
    disconnects = harness.of(StreamDisconnected)
    assert len(disconnects) == 1 and "rotated" in disconnects[0].reason
    assert harness.sim.connections() == 1
    assert len(harness.data()) == 25 * 5
    harness.check_accounted()


async def test_close_deletes_the_key_and_leaves_no_task_behind(harness: Any) -> None:
    before = set(asyncio.all_tasks())
    stream = await harness.open(delete_listen_key_on_close=True)
    harness.emit(1)
    await harness.settle()
    assert harness.sim.listen_key() is not None
    await harness.close()
    await harness.settle()
    assert harness.sim.listen_key() is None
    assert harness.sim.connections() == 0
    left = asyncio.all_tasks() - before - {asyncio.current_task()}
    assert [t for t in left if t.get_name().startswith("udstream")] == []
    # Whatever else is left belongs to the simulator (its server and its timers).
    for t in left:
        assert "cmfutures/stream" not in repr(t.get_coro()), t
    assert stream.closed
    await stream.close()  # idempotent


async def test_close_keeps_the_shared_key_by_default(harness: Any) -> None:
    await harness.open()
    key = harness.sim.listen_key()
    await harness.close()
    assert harness.sim.listen_key() == key


async def test_callbacks_sync_and_async_with_unsubscribe(
    harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from binance.derivatives.cmfutures import UserDataStream

    seen: list[Any] = []
    gaps: list[Any] = []
    stream = UserDataStream(harness.sim.configuration(), clock=harness.sim.clock)

    async def on_gap(gap: StreamGap) -> None:
        await asyncio.sleep(0)
        gaps.append(gap)

    def broken(_: object) -> None:
        raise RuntimeError("handler bug")

    stream.on(OrderTradeUpdate, seen.append)
    unsubscribe = stream.on(StreamGap, on_gap)
    stream.on(StreamConnected, broken)
    runner = asyncio.create_task(stream.run())
    await stream.start()
    await harness.settle()
    harness.emit(2)
    await harness.settle()
    harness.sim.faults.drop_connections()
    await harness.advance(5)
    assert [e.order.order_id for e in seen] == [1, 2]
    assert len(gaps) == 1
    unsubscribe()
    unsubscribe()
    harness.sim.faults.drop_connections()
    await harness.advance(5)
    assert len(gaps) == 1
    assert "handler bug" in caplog.text
    await stream.close()
    await runner
    with pytest.raises(TypeError):
        stream.on("OrderTradeUpdate", print)  # type: ignore[arg-type]


async def test_slow_consumer_gets_backpressure_not_loss(harness: Any) -> None:
    from binance.derivatives.cmfutures import UserDataStream

    stream = UserDataStream(harness.sim.configuration(), clock=harness.sim.clock, max_queue=10)
    async with stream:
        await harness.settle()
        harness.emit(100)
        await harness.advance(120, step=20)  # nobody consumes: reading pauses
        stats = stream.stats
        assert 10 <= stats.queued <= 13 and stats.backpressure_pauses >= 1
        assert stats.connected  # a paused stream is not mistaken for a dead one
        got = []
        async for m in stream:
            got.append(m)
            if len([x for x in got if isinstance(x, OrderTradeUpdate)]) == 100:
                break
            if stream.stats.queued == 0:
                await harness.settle()
        orders = [m.order.order_id for m in got if isinstance(m, OrderTradeUpdate)]
        assert orders == list(range(1, 101))
        assert not any(isinstance(m, StreamGap) for m in got)


async def test_api_client_argument_is_used_and_not_closed(harness: Any) -> None:
    from binance.derivatives.cmfutures import AsyncApiClient, UserDataStream

    async with AsyncApiClient(harness.sim.configuration(), clock=harness.sim.clock) as client:
        async with UserDataStream(api_client=client, clock=harness.sim.clock) as stream:
            await harness.settle()
            assert stream.stats.connected
        # Still usable afterwards.
        from binance.derivatives.cmfutures import UserDataStreamsApi

        assert (await UserDataStreamsApi(client).cmfutures_create_listen_key_v1()).listen_key


def test_constructor_errors() -> None:
    from binance.derivatives.cmfutures import Configuration, UserDataStream

    with pytest.raises(TypeError, match="Configuration"):
        UserDataStream()
    with pytest.raises(TypeError, match="valid options"):
        UserDataStream(Configuration(), ping_intervall=1)
    with pytest.raises(ValueError, match="ping_timeout"):
        UserDataStream(Configuration(), ping_timeout=0)
    # no API key: a clear error now, not an endless "listen key creation failed" retry loop
    from binance.derivatives.cmfutures.exceptions import MissingAuthError

    with pytest.raises(MissingAuthError, match=r"Configuration\.auth is None\. Fix:"):
        UserDataStream(Configuration())
    with pytest.raises(MissingAuthError):
        UserDataStream.sync(Configuration())


async def test_secrets_and_listen_keys_never_reach_the_logs(
    harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account = harness.sim.account
    stream = await harness.open(ping_interval=20, ping_timeout=5)
    keys = {harness.sim.listen_key()}
    harness.emit(1)
    harness.sim.faults.send_malformed_frame()
    harness.sim.faults.fail_next_rest(1, status=503, code=-1001, path="/dapi/v1/listenKey")
    await harness.advance(1800, step=600)
    harness.sim.faults.half_open()
    await harness.advance(60)
    harness.sim.faults.expire_listen_key()
    await harness.advance(5)
    keys.add(harness.sim.listen_key())
    harness.sim.faults.close_connections(code=1011)
    await harness.advance(5)
    # Binance's own listenKeyExpired event carries the key: that is data, not a log.
    controls = [m for m in harness.messages if m not in harness.data()]
    text = caplog.text + "\n".join(repr(m) for m in controls) + repr(stream)
    text += repr(stream.stats)
    assert "half-open" in text and "replaced" in text
    for secret in (account.api_key, account.secret_key, *keys):
        assert secret
        leaks = [line for line in text.splitlines() if secret in line]
        assert not leaks, leaks


async def test_close_before_start_and_restart_after_close(harness: Any) -> None:
    from binance.derivatives.cmfutures import UserDataStream

    stream = UserDataStream(harness.sim.configuration(), clock=harness.sim.clock)
    await stream.close()
    assert [m async for m in stream] == []
    with pytest.raises(RuntimeError, match="closed"):
        await stream.start()
    assert harness.sim.listen_key() is None  # never created


async def test_close_during_rotation_overlap_closes_both_connections(harness: Any) -> None:
    stream = await harness.open(
        rotate_after=100, rotation_overlap=30, ping_interval=600, delete_listen_key_on_close=True
    )
    await harness.advance(105)
    assert harness.sim.connections() == 2
    assert stream.stats.rotations == 1
    await harness.close()
    await harness.settle()
    assert harness.sim.connections() == 0
    assert harness.sim.listen_key() is None


def _reject_unknown_keys() -> Any:
    from binance.derivatives.cmfutures.simulator import SimulatorOptions

    return SimulatorOptions(on_delete="close", unknown_key_on_connect="reject")


@pytest.mark.parametrize("sim_options", [_reject_unknown_keys()], ids=["reject"])
async def test_deleted_key_with_handshakes_rejected_is_found_out_quickly(harness: Any) -> None:
    from binance.derivatives.cmfutures import AsyncApiClient, UserDataStreamsApi

    await harness.open()  # keepalive every 5 minutes
    async with AsyncApiClient(harness.sim.configuration(), clock=harness.sim.clock) as client:
        await UserDataStreamsApi(client).cmfutures_delete_listen_key_v1()
    await harness.advance(30, step=1)  # a few failed handshakes, then an early keepalive
    assert harness.sim.listen_key() is not None
    assert harness.stream.stats.connected and harness.stream.stats.key_renewals == 1
    harness.emit(1)
    await harness.settle()
    harness.check_accounted()


async def test_keepalive_rejecting_the_api_key_stops_the_stream(harness: Any) -> None:
    """Behaviour change (issue 11: one listen-key machine for stream and pool): a keepalive
    answered 401 / -2015 stops the stream with that ApiException after delivering what was
    buffered, as a rejected create does; it used to be retried forever."""
    from binance.derivatives.cmfutures import ApiException

    stream = await harness.open(config={"retries": 0}, keepalive_interval=600)
    harness.emit(1)
    await harness.settle()
    harness.sim.faults.fail_next_rest(1, status=401, code=-2015, path="/dapi/v1/listenKey")
    await harness.advance(601, step=300)
    await harness.settle()
    assert isinstance(harness.error, ApiException) and harness.error.status == 401
    assert len(harness.data()) == 1
    assert not stream.stats.connected
