"""A graceful leave while the IP's REST weight is spent by another client.

Real processes: a local nats-server, `cmfutures simulate`, two `cmfutures serve` workers and
a trader, all on this machine's one IP. Just after a server minute starts, the trader spends
more than the 1,200 weight a worker's pool budgets for (the exchange reports it in
``X-MBX-USED-WEIGHT-1M``); then one worker is sent SIGTERM. The other must create a listen
key for each account it takes over, and the reported weight holds those calls back until the
minute ends: the handover takes longer than ``handover_timeout`` (30 s). Prints how long the
leave took, how many accounts were handed over and released, and the gaps stored.

Usage: python benchmarks/bench_handover.py [--accounts 200]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_distributed import CLI, Trader, Watcher, print_table, read_accounts
from bench_pool import start_simulator

from binance.derivatives.cmfutures.distributed.local_server import LocalNatsServer

LEASE_TTL = 3.0


def start_worker(nats_url: str, accounts_file: str, worker: str, rest: str, ws: str,
                 log: Path) -> Any:
    return subprocess.Popen(
        [*CLI, "-v", "serve", "--nats", nats_url, "--accounts-file", accounts_file,
         "--worker-id", worker, "--lease-ttl", str(LEASE_TTL), "--host", rest,
         "--stream-host", ws],
        stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )


async def main_async(n_accounts: int, burst_seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        nats_server = LocalNatsServer(Path(tmp) / "js")
        nats_server.start()
        accounts_file = str(Path(tmp) / "accounts.jsonl")
        sim, rest, ws = start_simulator(n_accounts, accounts_file)
        logs = {w: Path(tmp) / f"{w}.log" for w in ("w1", "w2")}
        workers: dict[str, Any] = {}
        watcher = Watcher(nats_server.url)
        try:
            accounts = await asyncio.to_thread(read_accounts, sim, accounts_file)
            ids = {a["id"] for a in accounts}
            for w in ("w1", "w2"):
                workers[w] = start_worker(nats_server.url, accounts_file, w, rest, ws, logs[w])
            while True:
                try:
                    await watcher.start()
                    break
                except Exception:
                    await asyncio.sleep(0.1)
            start = time.time()
            while set(watcher.connected) != ids:
                await asyncio.sleep(0.2)
                if time.time() - start > 300:
                    raise TimeoutError(f"only {len(watcher.connected)} accounts connected")
            await asyncio.sleep(2 * LEASE_TTL)  # the join's handovers settle
            now = time.time()
            await asyncio.sleep((now // 60 + 1) * 60 - now + 0.5)  # a server minute starts
            trader = Trader(rest, accounts, rate=1e9)  # as fast as it goes
            trader.start()
            await asyncio.sleep(burst_seconds)
            trader.stopping.set()
            trader.join(30)
            calm = Trader(rest, accounts, rate=12)  # events keep coming during the leave
            calm.start()
            gaps_before = dict(watcher.gaps)
            left = time.time()
            workers["w2"].send_signal(signal.SIGTERM)
            await asyncio.to_thread(workers.pop("w2").wait, 600)
            leave_seconds = time.time() - left
            calm.stopping.set()
            calm.join(30)
            await asyncio.sleep(1.0)
            summary = re.search(r"left in .*", logs["w2"].read_text())
            warned = [line for line in logs["w1"].read_text().splitlines()
                      if "exchange reports" in line]
            rows = [
                (f"trader burst ({burst_seconds:g} s after the minute began)",
                 f"{trader.orders} orders (weight)"),
                ("the remaining worker's pool held back by the reported weight",
                 "yes" if warned else "no"),
                (f"graceful leave ({n_accounts} accounts, 2 workers)",
                 f"{leave_seconds:.1f} s: {summary.group(0) if summary else '?'}"),
                ("gaps stored during the leave",
                 str(sum(1 for a, t in watcher.gaps.items() if gaps_before.get(a) != t))),
            ]
        finally:
            await watcher.stop() if watcher._task else None
            for proc in workers.values():
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            sim.send_signal(signal.SIGINT)
            sim.wait(30)
            nats_server.kill()
    print_table(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--burst", type=float, default=20.0,
                        help="seconds the trader spends weight at full speed before the leave")
    args = parser.parse_args()
    asyncio.run(main_async(args.accounts, args.burst))


if __name__ == "__main__":
    main()
