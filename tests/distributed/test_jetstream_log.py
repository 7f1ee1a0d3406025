"""Publisher and consumer against a real nats-server: order, de-duplication, outages, resume."""

from __future__ import annotations

import asyncio
from typing import Any

from binance.derivatives.cmfutures import events as ev
from binance.derivatives.cmfutures.distributed.consumer import JetStreamConsumer
from binance.derivatives.cmfutures.distributed.options import JetStreamOptions
from binance.derivatives.cmfutures.distributed.publisher import JetStreamPublisher
from binance.derivatives.cmfutures.distributed.setup import ensure_stream


def config_event(i: int) -> ev.AccountConfigUpdate:
    return ev.decode_event(  # type: ignore[return-value]
        b'{"e":"ACCOUNT_CONFIG_UPDATE","E":%d,"T":%d,"ac":{"s":"BTCUSD_PERP","l":%d}}'
        % (1_700_000_000_000 + i, 1_700_000_000_000 + i, i % 125 + 1)
    )


async def read_all(url: str, expected: int, **kwargs: Any) -> list[tuple[str, ev.StreamMessage]]:
    got: list[tuple[str, ev.StreamMessage]] = []

    async def read(consumer: JetStreamConsumer) -> None:
        async for pair in consumer:
            got.append(pair)
            if len(got) == expected:
                await consumer.ack()
                return

    async with JetStreamConsumer(url, **kwargs) as consumer:
        await asyncio.wait_for(read(consumer), 20)
    return got


async def test_messages_are_stored_in_order_and_duplicates_once(nc: Any, nats_server: Any) -> None:
    js = nc.jetstream()
    await ensure_stream(js, JetStreamOptions())
    async with JetStreamPublisher(js) as publisher:
        for i in range(50):
            publisher.publish("alice", config_event(i))
            publisher.publish("bob", config_event(i))
        publisher.publish("alice", config_event(7))  # a second worker's copy of the same event
        await publisher.flush()
    info = await js.stream_info("CMFUTURES")
    assert info.state.messages == 100
    assert info.config.max_age is not None and info.config.max_age >= 7 * 24 * 3600
    assert info.config.subjects == ["cmfutures.events.*"]
    got = await read_all(nats_server.url, 100)
    alice = [m.event_time for a, m in got if a == "alice"]  # type: ignore[union-attr]
    assert alice == [1_700_000_000_000 + i for i in range(50)]
    assert len([a for a, _ in got if a == "bob"]) == 50


async def test_an_outage_loses_nothing_when_the_buffer_holds(nc: Any, nats_server: Any) -> None:
    js = nc.jetstream()
    await ensure_stream(js, JetStreamOptions())
    async with JetStreamPublisher(js, retry_delay=0.05, publish_timeout=0.5) as publisher:
        publisher.publish("alice", config_event(0))
        await publisher.flush()
        nats_server.stop()
        for i in range(1, 40):
            publisher.publish("alice", config_event(i))
        await asyncio.sleep(0)  # the publisher is now retrying against a dead server
        nats_server.start()
        await asyncio.wait_for(publisher.flush(), 30)
        assert publisher.dropped == 0
    got = await read_all(nats_server.url, 40)
    assert [m.event_time for _, m in got] == [  # type: ignore[union-attr]
        1_700_000_000_000 + i for i in range(40)
    ]


async def test_overflow_is_published_as_a_gap_covering_exactly_what_was_dropped(
    nc: Any, nats_server: Any
) -> None:
    js = nc.jetstream()
    await ensure_stream(js, JetStreamOptions())
    publisher = JetStreamPublisher(js, buffer_size=10, retry_delay=0.05, publish_timeout=0.5)
    nats_server.stop()
    for i in range(30):  # publishing has not started: all 30 wait in the buffer of 10
        publisher.publish("alice", config_event(i))
    assert publisher.dropped == 20
    nats_server.start()
    publisher.start()
    await asyncio.wait_for(publisher.flush(), 30)
    await publisher.close()
    got = await read_all(nats_server.url, 11)
    first = got[0][1]
    assert isinstance(first, ev.StreamGap)
    assert first.since == 1_700_000_000.000 and first.until == 1_700_000_000.019
    assert "20 messages dropped" in first.reason
    assert [m.event_time for _, m in got[1:]] == [  # type: ignore[union-attr]
        1_700_000_000_000 + i for i in range(20, 30)
    ]


async def test_a_durable_consumer_resumes_after_its_last_acknowledged_message(
    nc: Any, nats_server: Any
) -> None:
    js = nc.jetstream()
    await ensure_stream(js, JetStreamOptions())
    async with JetStreamPublisher(js) as publisher:
        for i in range(10):
            publisher.publish("alice", config_event(i))
            publisher.publish("bob", config_event(i))
        await publisher.flush()
    seen: list[int] = []
    async with JetStreamConsumer(nats_server.url, durable="booking", account="alice") as c:
        async for account, message in c:
            assert account == "alice"
            seen.append(message.event_time)  # type: ignore[union-attr]
            if len(seen) == 4:
                break  # the 4th was handed out but not acknowledged: it comes again

    async def resume(c: JetStreamConsumer) -> None:
        async for _, message in c:
            seen.append(message.event_time)  # type: ignore[union-attr]
            if len(seen) == 11:
                return

    async with JetStreamConsumer(nats_server.url, durable="booking", account="alice") as c:
        await asyncio.wait_for(resume(c), 20)
    base = 1_700_000_000_000
    assert seen == [base + i for i in range(4)] + [base + i for i in range(3, 10)]
