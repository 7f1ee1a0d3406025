"""Benchmark the managed user data stream; prints tables.

1. Decode throughput per event type (events/s): ``decode_event`` (typed, Decimal money) vs
   ``json.loads`` to a dict vs, if installed, the official SDK's typed models
   (``binance-sdk-derivatives-trading-coin-futures``: ``UserDataStreamEventsResponse.from_json``,
   the union the SDK parses user data into; its money fields are plain ``str``).
2. End-to-end latency from the simulator's send to the consumer's ``async for``, at 1k and
   10k events/s, on the real clock, over loopback (simulator and stream in one process).
3. Memory per idle stream (tracemalloc), connected and kept alive.

Run: ``python benchmarks/bench_stream.py [--quick]``. Numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
import timeit
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from binance.derivatives.cmfutures.clock import SystemClock
from binance.derivatives.cmfutures.events import (
    OrderTradeUpdate,
    OrderUpdate,
    StreamConnected,
    decode_event,
    encode_event,
)

# Constructed payloads in the shapes of spec §4 (one per event type).
PAYLOADS: dict[str, bytes] = {
    "ORDER_TRADE_UPDATE": (
        b'{"e":"ORDER_TRADE_UPDATE","E":1767225912010,"T":1767225912004,"i":"oPfT",'
        b'"o":{"s":"BTCUSD_PERP","c":"sim-7f3a1c","S":"BUY","o":"LIMIT","f":"GTC","q":"3",'
        b'"p":"64250.0","ap":"64250.0","sp":"0","x":"TRADE","X":"PARTIALLY_FILLED",'
        b'"i":48712300561,"l":"1","z":"1","L":"64250.0","ma":"BTC","N":"BTC","n":"0.00000031",'
        b'"T":1767225912004,"t":913377001,"rp":"0","b":"0","a":"0","m":true,"R":false,'
        b'"wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"BOTH","cp":false,"pP":false,'
        b'"V":"EXPIRE_MAKER","pm":"NONE","er":"0"}}'
    ),
    "ACCOUNT_UPDATE": (
        b'{"e":"ACCOUNT_UPDATE","E":1767225912011,"T":1767225912004,"i":"oPfT",'
        b'"a":{"m":"ORDER","B":[{"a":"BTC","wb":"0.52003769","cw":"0.52003769","bc":"0"}],'
        b'"P":[{"s":"BTCUSD_PERP","pa":"1","ep":"64250.0","bep":"64262.85","cr":"0.00121458",'
        b'"up":"0.00000012","mt":"cross","iw":"0","ps":"BOTH"}]}}'
    ),
    "MARGIN_CALL": (
        b'{"e":"MARGIN_CALL","E":1767229000456,"i":"oPfT","cw":"0.02340000",'
        b'"p":[{"s":"BTCUSD_PERP","ps":"LONG","pa":"120","mt":"CROSSED","iw":"0",'
        b'"mp":"60112.4","up":"-0.01510000","mm":"0.00980000"}]}'
    ),
    "ACCOUNT_CONFIG_UPDATE": (
        b'{"e":"ACCOUNT_CONFIG_UPDATE","E":1767231000789,"T":1767231000785,'
        b'"ac":{"s":"BTCUSD_PERP","l":20}}'
    ),
    "STRATEGY_UPDATE": (
        b'{"e":"STRATEGY_UPDATE","T":1767232000100,"E":1767232000104,"su":{"si":190233417,'
        b'"st":"GRID","ss":"WORKING","s":"BTCUSD_PERP","ut":1767232000100,"c":8007}}'
    ),
    "GRID_UPDATE": (
        b'{"e":"GRID_UPDATE","T":1767232500210,"E":1767232500213,"gu":{"si":190233417,'
        b'"st":"GRID","ss":"WORKING","s":"BTCUSD_PERP","r":"0.00000412","up":"64180.5",'
        b'"uq":"-2","uf":"-0.00000062","mp":"0.00001187","ut":1767232500198}}'
    ),
    "listenKeyExpired": (
        b'{"e":"listenKeyExpired","E":"1767236400002",'
        b'"listenKey":"FLri0YH1chlSMWx3FgZMRDb0ygtjNYly1pQLbNOpbEGdKMDGUIjmlsuA1txjvKrR"}'
    ),
}


def rate(fn: Callable[[], Any], seconds: float) -> float:
    """Calls per second, best of 5 runs of about ``seconds / 5`` each."""
    number = 1
    while True:
        elapsed = timeit.timeit(fn, number=number)
        if elapsed > seconds / 5 / 4:
            break
        number *= 4
    number = max(1, int(number * (seconds / 5) / max(elapsed, 1e-9)))
    best = min(timeit.repeat(fn, number=number, repeat=5))
    return number / best


def sdk_decoder() -> Callable[[str], Any] | None:
    try:
        from binance_sdk_derivatives_trading_coin_futures.websocket_streams.models import (
            user_data_stream_events_response as sdk,
        )
    except ImportError:
        return None
    return sdk.UserDataStreamEventsResponse.from_json  # type: ignore[no-any-return]


def bench_decode(seconds: float) -> None:
    sdk = sdk_decoder()
    print("\n## Decode throughput (events/s, best of 5)\n")
    header = "| event | decode_event (typed, Decimal) | json.loads (dict) | speed-up vs json |"
    sep = "|---|---:|---:|---:|"
    if sdk is not None:
        header += " official SDK models | speed-up vs SDK |"
        sep += "---:|---:|"
    print(header)
    print(sep)
    for name, raw in PAYLOADS.items():
        decode_event(raw)  # warm up and check it decodes
        ours = rate(lambda raw=raw: decode_event(raw), seconds)  # type: ignore[misc]
        plain = rate(lambda raw=raw: json.loads(raw), seconds)  # type: ignore[misc]
        row = f"| {name} | {ours:,.0f} | {plain:,.0f} | {ours / plain:.2f}x |"
        if sdk is not None:
            text = raw.decode()
            try:
                sdk(text)
                theirs = rate(lambda text=text: sdk(text), seconds / 2)  # type: ignore[misc]
                row += f" {theirs:,.0f} | {ours / theirs:.1f}x |"
            except Exception as exc:  # the SDK rejects some valid variants (e.g. E as string)
                row += f" fails: {type(exc).__name__} | n/a |"
        print(row)
    if sdk is None:
        print("\n(official SDK not installed: its column is skipped)")


def order(n: int, at_ms: int) -> OrderTradeUpdate:
    return OrderTradeUpdate(
        event_time=at_ms,
        transaction_time=at_ms,
        order=OrderUpdate(
            symbol="BTCUSD_PERP",
            client_order_id=f"b{n}",
            side="BUY",
            order_type="LIMIT",
            time_in_force="GTC",
            original_quantity=Decimal("3"),
            original_price=Decimal("64250.0"),
            average_price=Decimal("0"),
            stop_price=Decimal("0"),
            execution_type="NEW",
            order_status="NEW",
            order_id=n,
            last_filled_quantity=Decimal("0"),
            cumulative_filled_quantity=Decimal("0"),
            last_filled_price=Decimal("0"),
            trade_time=at_ms,
            trade_id=0,
        ),
        account_alias="oPfT",
    )


async def bench_latency_once(
    rate_per_s: int, duration: float, freeze: bool = False
) -> tuple[list[float], int]:
    from binance.derivatives.cmfutures import UserDataStream
    from binance.derivatives.cmfutures.simulator import Simulator

    async with Simulator(clock=SystemClock(), seed=3) as sim:
        api_key = sim.account.api_key
        sent: dict[int, float] = {}
        latencies: list[float] = []
        total = int(rate_per_s * duration)
        async with UserDataStream(sim.configuration(), max_queue=100_000) as stream:
            async for m in stream:
                if isinstance(m, StreamConnected):
                    break
            # Pre-encode: we measure the send path and the stream, not our test fixture.
            frames = [(order(n, 0), encode_event(order(n, 0))) for n in range(1, total + 1)]
            if freeze:  # keep the fixture's objects out of the collector's way
                gc.collect()
                gc.freeze()

            async def produce() -> None:
                start = time.perf_counter()
                i = 0
                while i < total:
                    due = min(total, int((time.perf_counter() - start) * rate_per_s) + 1)
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
        if freeze:
            gc.unfreeze()
        return latencies, total


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_latency(duration: float) -> None:
    print("\n## End-to-end latency, simulator send -> consumer (loopback, one process)\n")
    print("| rate | gc | events | p50 | p99 | max |")
    print("|---:|---|---:|---:|---:|---:|")
    for r in (1_000, 10_000):
        for freeze in (False, True):
            lat, total = asyncio.run(bench_latency_once(r, duration, freeze))
            print(
                f"| {r:,}/s | {'frozen after setup' if freeze else 'default'} | {total:,} | "
                f"{statistics.median(lat) * 1e6:,.0f} µs | {pct(lat, 0.99) * 1e6:,.0f} µs | "
                f"{max(lat) * 1e6:,.0f} µs |"
            )
    print(
        "\n(simulator and stream share one process and one core; the 10k/s tail varies from "
        "run to run with garbage collection, which also rescans the simulator's record of "
        "every emitted event, and with other load on the machine)"
    )


async def bench_memory_once(count: int) -> tuple[float, float]:
    from binance.derivatives.cmfutures import UserDataStream
    from binance.derivatives.cmfutures.simulator import Simulator

    async with Simulator(clock=SystemClock(), seed=4) as sim:
        accounts = [sim.add_account() for _ in range(count)]
        configs = [sim.configuration(a) for a in accounts]
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.take_snapshot()
        streams = [UserDataStream(c) for c in configs]
        for s in streams:
            await s.start()
        for s in streams:
            async for m in s:
                if isinstance(m, StreamConnected):
                    break
        await asyncio.sleep(0.2)
        gc.collect()
        snap = tracemalloc.take_snapshot()
        stats = snap.compare_to(base, "filename")
        total = sum(s.size_diff for s in stats)
        mine = sum(s.size_diff for s in stats if "cmfutures/stream" in str(s.traceback[0].filename))
        tracemalloc.stop()
        for s in streams:
            await s.close()
        # Both sides of each connection live in this process; the server side is excluded
        # only approximately (its allocations are in aiohttp too).
        return total / count, mine / count


def bench_memory() -> None:
    print("\n## Memory per idle, connected stream (tracemalloc)\n")
    count = 20
    total, mine = asyncio.run(bench_memory_once(count))
    print("| streams | all allocations / stream | of which stream/ modules |")
    print("|---:|---:|---:|")
    print(f"| {count} | {total / 1024:,.1f} KiB | {mine / 1024:,.1f} KiB |")
    print(
        "\n(all allocations include the stream's aiohttp session and REST client, and the "
        "simulator's server side of the connection, which runs in the same process)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    args = parser.parse_args()
    bench_decode(0.5 if args.quick else 2.0)
    bench_latency(1.0 if args.quick else 3.0)
    bench_memory()


if __name__ == "__main__":
    main()
