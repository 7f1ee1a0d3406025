"""Workers sharing accounts through NATS JetStream: throughput, latency, failover.

Real processes on this machine: a local nats-server (JetStream), `cmfutures simulate` with N
accounts, W `cmfutures serve` workers, a trader placing market orders through REST and a
consumer reading the log. All workers share this machine's one IP, so the simulator's per-IP
limits are raised for the run (in production each worker gets its own IP, see
docs/distributed.md). Prints one table:

* cold start: every account streaming (its StreamConnected stored in JetStream);
* publish throughput of one JetStreamPublisher into the local server (messages/s);
* simulator -> consumer latency of events (E to the consumer's receive time), p50/p99;
* failover after kill -9 of one worker: until every account it owned has a StreamGap and a
  StreamConnected stored again (lease TTL + claim + reconnect).

Usage: python benchmarks/bench_distributed.py [--accounts 1000] [--workers 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench_pool import start_simulator

from binance.derivatives.cmfutures import events as ev
from binance.derivatives.cmfutures.distributed.codec import decode_message
from binance.derivatives.cmfutures.distributed.local_server import LocalNatsServer

CLI = [sys.executable, "-m", "binance.derivatives.cmfutures.cli.main"]
LEASE_TTL = 10.0


def start_worker(nats_url: str, accounts_file: str, worker: str, rest: str, ws: str) -> Any:
    return subprocess.Popen(
        [*CLI, "serve", "--nats", nats_url, "--accounts-file", accounts_file,
         "--worker-id", worker, "--lease-ttl", str(LEASE_TTL), "--host", rest,
         "--stream-host", ws],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def read_accounts(sim: Any, path: str) -> list[dict[str, str]]:
    """The accounts file, once the simulator says it is written."""
    while not sim.stdout.readline().startswith("accounts-out:"):
        pass
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line]


class Watcher:
    """Follows every stored message (an ordered consumer), recording what the table needs."""

    def __init__(self, nats_url: str) -> None:
        self.url = nats_url
        self.connected: dict[str, float] = {}  # account -> time its last StreamConnected arrived
        self.gaps: dict[str, float] = {}
        self.latencies: list[float] = []
        self.count = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        import nats

        self._nc = await nats.connect(self.url)
        js = self._nc.jetstream()
        from nats.js.api import DeliverPolicy

        self._sub = await js.subscribe(
            "cmfutures.events.*", ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
        )
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for msg in self._sub.messages:
            now = time.time()
            account, message = decode_message(msg.data)
            self.count += 1
            if isinstance(message, ev.StreamConnected):
                self.connected[account] = now
            elif isinstance(message, ev.StreamGap):
                self.gaps[account] = now
            elif isinstance(message, ev.OrderTradeUpdate):
                self.latencies.append(now - message.transaction_time / 1000)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])
        await self._nc.close()


class Trader(threading.Thread):
    def __init__(self, rest: str, accounts: list[dict[str, str]], rate: float) -> None:
        super().__init__(daemon=True)
        from binance.derivatives.cmfutures import ApiClient, BinanceAuth, Configuration, TradeApi

        self.apis = [
            TradeApi(ApiClient(Configuration(
                host=rest, auth=BinanceAuth(api_key=a["api_key"], secret_key=a["secret_key"])
            )))
            for a in accounts
        ]
        self.interval = 1 / rate
        self.stopping = threading.Event()
        self.orders = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            api = self.apis[self.orders % len(self.apis)]
            side = "BUY" if (self.orders // len(self.apis)) % 2 == 0 else "SELL"
            api.cmfutures_create_order_v1(symbol="BTCUSD_PERP", side=side, type="MARKET",
                                          quantity="1")
            self.orders += 1
            self.stopping.wait(self.interval)


async def publish_throughput(nats_url: str, n: int) -> float:
    import nats

    from binance.derivatives.cmfutures.distributed.options import JetStreamOptions
    from binance.derivatives.cmfutures.distributed.publisher import JetStreamPublisher
    from binance.derivatives.cmfutures.distributed.setup import ensure_stream

    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    options = JetStreamOptions(stream="BENCH", subject_prefix="bench.events")
    await ensure_stream(js, options)
    raw = (b'{"e":"ACCOUNT_CONFIG_UPDATE","E":%d,"T":%d,"ac":{"s":"BTCUSD_PERP","l":%d}}')
    messages = [ev.decode_event(raw % (i, i, i % 100 + 1)) for i in range(n)]
    async with JetStreamPublisher(js, options, buffer_size=n + 1) as publisher:
        start = time.perf_counter()
        for i, message in enumerate(messages):
            publisher.publish(f"a{i % 100}", message)
        await publisher.flush()
        elapsed = time.perf_counter() - start
    await nc.close()
    return n / elapsed


async def main_async(n_accounts: int, n_workers: int, trade_seconds: float, rate: float) -> None:
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        nats_server = LocalNatsServer(Path(tmp) / "js")
        nats_server.start()
        accounts_file = str(Path(tmp) / "accounts.jsonl")
        sim, rest, ws = start_simulator(n_accounts, accounts_file)
        workers: dict[str, Any] = {}
        watcher = Watcher(nats_server.url)
        try:
            accounts = await asyncio.to_thread(read_accounts, sim, accounts_file)
            ids = {a["id"] for a in accounts}
            start = time.time()
            for i in range(n_workers):
                workers[f"w{i + 1}"] = start_worker(nats_server.url, accounts_file,
                                                    f"w{i + 1}", rest, ws)
            # the stream is created by the first worker; the watcher attaches once it exists
            while True:
                try:
                    await watcher.start()
                    break
                except Exception:
                    await asyncio.sleep(0.1)
            while set(watcher.connected) != ids:
                await asyncio.sleep(0.2)
                if time.time() - start > 900:
                    raise TimeoutError(f"only {len(watcher.connected)} accounts connected")
            rows.append((f"cold start: {n_accounts} accounts on {n_workers} workers",
                         f"{time.time() - start:.1f} s"))
            await asyncio.sleep(LEASE_TTL)  # let joins settle (handovers)

            trader = Trader(rest, accounts, rate)
            trader.start()
            await asyncio.sleep(trade_seconds)
            trader.stopping.set()
            trader.join(30)
            await asyncio.sleep(1.0)
            lat = sorted(watcher.latencies)
            if lat:
                p50 = statistics.median(lat) * 1000
                p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
                rows.append((f"event latency exchange (T) -> consumer ({len(lat)} order events, "
                             f"{trader.orders / trade_seconds:.0f} orders/s)",
                             f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"))

            # failover: kill -9 the last worker
            import nats

            nc = await nats.connect(nats_server.url)
            kv = await nc.jetstream().key_value("cmfutures-owners")
            victim = f"w{n_workers}"
            owned = set()
            for key in ids:  # key by key: kv.keys() can list a busy bucket short
                try:
                    entry = await kv.get(key)
                except Exception:  # no lease (KeyNotFoundError, KeyDeletedError)
                    continue
                if entry.value and entry.value.decode() == victim:
                    owned.add(key)
            await nc.close()
            killed = time.time()
            workers.pop(victim).send_signal(signal.SIGKILL)
            while not all(watcher.gaps.get(a, 0) > killed and watcher.connected.get(a, 0) > killed
                          for a in owned):
                await asyncio.sleep(0.1)
                if time.time() - killed > LEASE_TTL + 120:
                    raise TimeoutError("failover did not complete")
            rows.append((f"failover after kill -9 ({len(owned)} accounts, lease TTL "
                         f"{LEASE_TTL:g} s)", f"{time.time() - killed:.1f} s"))
        finally:
            await watcher.stop() if watcher._task else None
            for proc in workers.values():
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            sim.send_signal(signal.SIGINT)
            sim.wait(30)
        n_pub = 20_000
        rows.append((f"JetStreamPublisher throughput ({n_pub} messages, one publisher)",
                     f"{await publish_throughput(nats_server.url, n_pub):,.0f} msg/s"))
        nats_server.kill()
    print_table(rows)


def print_table(rows: list[tuple[str, str]]) -> None:
    """The figures as a two-column table."""
    width = max(len(r[0]) for r in rows)
    print(f"\n{'figure':<{width}}  value")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0, help="trading time")
    parser.add_argument(
        "--rate", type=float, default=12.0,
        help="orders per second (the IP's weight is shared with the workers' pools: keep the "
        "trader under ~1,000 weight/min)",
    )
    parser.add_argument("--quick", action="store_true", help="60 accounts, 5 s of trading")
    args = parser.parse_args()
    if args.quick:
        args.accounts, args.seconds = 60, 5.0
    asyncio.run(main_async(args.accounts, args.workers, args.seconds, args.rate))


if __name__ == "__main__":
    main()
