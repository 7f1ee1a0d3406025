"""Benchmark the durable journal; prints tables.

1. Batched appends (events/s): ``Journal.append`` for many events, committed in group
   commits, for each durability (``process``: synchronous=NORMAL; ``power``: synchronous=FULL).
2. Single-event commit latency: one append awaited at a time (a lone event on a quiet
   stream), for each durability.
3. Reads (events/s): ``Journal.read()`` over the whole journal, rows only and with every
   ``entry.message`` decoded to its typed event.
4. The stream's end-to-end latency (simulator send -> consumer's ``async for``) at 1k
   events/s over loopback, journal off vs on (each durability).

Run: ``python benchmarks/bench_journal.py [--quick]``. Numbers depend on the machine and
above all on its disk (``power`` pays one fsync per commit).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from binance.derivatives.cmfutures import Journal
from binance.derivatives.cmfutures.clock import SystemClock
from binance.derivatives.cmfutures.events import (
    OrderTradeUpdate,
    OrderUpdate,
    StreamConnected,
    encode_event,
)

DURABILITIES = ("process", "power")


def order(n: int, at_ms: int) -> OrderTradeUpdate:
    return OrderTradeUpdate(
        event_time=at_ms,
        transaction_time=at_ms,
        order=OrderUpdate(
            symbol="BTCUSD_PERP", client_order_id=f"b{n}", side="BUY", order_type="LIMIT",
            time_in_force="GTC", original_quantity=Decimal("3"),
            original_price=Decimal("64250.0"), average_price=Decimal("0"),
            stop_price=Decimal("0"), execution_type="NEW", order_status="NEW", order_id=n,
            last_filled_quantity=Decimal("0"), cumulative_filled_quantity=Decimal("0"),
            last_filled_price=Decimal("0"), trade_time=at_ms, trade_id=0,
        ),
        account_alias="oPfT",
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def appends_batched(path: Path, durability: str, count: int) -> float:
    events = [order(n, 1_767_225_600_000 + n) for n in range(count)]
    journal = Journal(path, durability=durability)
    journal.open_writer()
    start = time.perf_counter()
    futures = [journal.append("default", e, 0.0) for e in events]
    await futures[-1]  # commits complete in order: the last one done means all are
    elapsed = time.perf_counter() - start
    await journal.close()
    return count / elapsed


async def single_latency(path: Path, durability: str, count: int) -> list[float]:
    journal = Journal(path, durability=durability)
    journal.open_writer()
    latencies = []
    for n in range(count):
        event = order(n, 1_767_225_700_000 + n)
        start = time.perf_counter()
        await journal.append("default", event, 0.0)
        latencies.append(time.perf_counter() - start)
    await journal.close()
    return latencies


async def reads(path: Path, decode: bool) -> tuple[int, float]:
    journal = Journal(path, create=False)
    start = time.perf_counter()
    n = 0
    async for entry in journal.read():
        if decode:
            entry.message  # noqa: B018 - the decode is what is measured
        n += 1
    return n, n / (time.perf_counter() - start)


async def stream_latency(
    durability: str | None, rate: int, duration: float, tmp: Path
) -> list[float]:
    from binance.derivatives.cmfutures import UserDataStream
    from binance.derivatives.cmfutures.simulator import Simulator

    journal = None
    if durability is not None:
        journal = Journal(tmp / f"stream-{durability}.db", durability=durability)
    async with Simulator(clock=SystemClock(), seed=3) as sim:
        api_key = sim.account.api_key
        sent: dict[int, float] = {}
        latencies: list[float] = []
        total = int(rate * duration)
        kwargs: dict[str, Any] = {"journal": journal} if journal is not None else {}
        async with UserDataStream(sim.configuration(), max_queue=100_000, **kwargs) as stream:
            async for m in stream:
                if isinstance(m, StreamConnected):
                    break
            frames = [(order(n, 0), encode_event(order(n, 0))) for n in range(1, total + 1)]

            async def produce() -> None:
                start = time.perf_counter()
                i = 0
                while i < total:
                    due = min(total, int((time.perf_counter() - start) * rate) + 1)
                    while i < due:
                        event, raw = frames[i]
                        sent[event.order.order_id] = time.perf_counter()
                        sim.emit(api_key, event, raw)
                        i += 1
                    await asyncio.sleep(0.0005)

            producer = asyncio.create_task(produce())
            received = 0
            async for m in stream:
                if isinstance(m, OrderTradeUpdate):
                    latencies.append(time.perf_counter() - sent[m.order.order_id])
                    received += 1
                    if received == total:
                        break
            await producer
    if journal is not None:
        await journal.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts")
    args = parser.parse_args()
    count = 50_000 if args.quick else 200_000
    singles = {"process": 500 if args.quick else 2000, "power": 100 if args.quick else 300}
    duration = 2.0 if args.quick else 5.0
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        print("## Appends, batched (group commit)\n")
        print("| durability | events | events/s |")
        print("|---|---:|---:|")
        for d in DURABILITIES:
            rate = asyncio.run(appends_batched(tmp / f"batch-{d}.db", d, count))
            print(f"| {d} | {count:,} | {rate:,.0f} |")

        print("\n## Single-event commit latency (append awaited one at a time)\n")
        print("| durability | appends | p50 | p99 | max |")
        print("|---|---:|---:|---:|---:|")
        for d in DURABILITIES:
            lat = asyncio.run(single_latency(tmp / f"single-{d}.db", d, singles[d]))
            print(f"| {d} | {len(lat):,} | {statistics.median(lat) * 1e6:,.0f} µs | "
                  f"{pct(lat, 0.99) * 1e6:,.0f} µs | {max(lat) * 1e6:,.0f} µs |")

        print("\n## Reads, whole journal\n")
        print("| what | entries | entries/s |")
        print("|---|---:|---:|")
        for decode in (False, True):
            n, rate = asyncio.run(reads(tmp / "batch-process.db", decode))
            what = "entries + typed message" if decode else "entries (offset, account, payload)"
            print(f"| {what} | {n:,} | {rate:,.0f} |")

        print("\n## Stream end-to-end latency at 1k events/s, journal off vs on\n")
        print("| journal | events | p50 | p99 | max |")
        print("|---|---:|---:|---:|---:|")
        for d in (None, *DURABILITIES):
            lat = asyncio.run(stream_latency(d, 1000, duration, tmp))
            print(f"| {d or 'off'} | {len(lat):,} | {statistics.median(lat) * 1e6:,.0f} µs | "
                  f"{pct(lat, 0.99) * 1e6:,.0f} µs | {max(lat) * 1e6:,.0f} µs |")
    print("\n(tmp directory on this machine's disk; simulator and stream share one process)")


if __name__ == "__main__":
    main()
