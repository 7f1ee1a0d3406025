"""StreamPool benchmark: many accounts in one process, side by side with N UserDataStreams.

Run: ``python benchmarks/bench_pool.py`` (``--quick`` for a smoke run, ``--accounts N``).
Prints tables:

1. **Against ``cmfutures simulate`` in another process** (real time, loopback), for one
   ``StreamPool`` and for N separate ``UserDataStream``\\ s: RSS per idle account, idle CPU
   (% of a core), cold start (add -> every account live), a full reconnect storm (the
   simulator drops every connection -> every account live again), the worst event-loop stall
   throughout, connections opened and limit violations the simulator recorded. The simulator
   runs with its connection and weight limits lifted so the N streams are not refused: the
   violations column shows what Binance would have refused.
2. **10,000 accounts in one process**: the sans-I/O core driven on simulated time by an
   instant transport: memory per account (tracemalloc), CPU time, and the simulated time
   cold start takes under the limits (weight budget, connection rate).
3. **Throughput with a fast feeder**: pre-encoded combined-stream frames for 1,000 accounts
   fed to ``PoolCore.frame_received`` and the pool's delivery point, with the per-event
   cost of each stage (framing, decode, route, dedup, dispatch) measured apart.
4. **The simulator's fan-out**: events emitted by an in-process simulator to 1,000 accounts
   connected through a pool (keys_per_connection=50), until all are delivered.
5. **10,000 accounts in one ``StreamPool`` against ``cmfutures simulate`` in another process**
   (``--parts 5``, ~11 minutes; ``--accounts-10k N``): the pool's default limits and the
   simulator's limits ON. Cold start (add -> every account's first ``StreamConnected``, bound
   by the weight budget: 10,000 listen-key creates at weight 1 under 1,200/min), RSS per idle
   account, idle CPU over 60 s (the stall monitor off: it costs ~1 % of a core itself), the
   worst event-loop stall during cold start and over another 60 s idle (with this process's
   CPU and GC time during each stall over 50 ms), connections opened, and the violations the
   simulator logged (``-v``: ``limit exceeded``). Run it alone (``--parts 5``): its RSS is
   the process's, which earlier parts would have grown.

Idle CPU is measured with the stall monitor paused (parts 1 and 5).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from binance.derivatives.cmfutures import BinanceAuth, Configuration
from binance.derivatives.cmfutures.events import (
    OrderTradeUpdate,
    OrderUpdate,
    StreamConnected,
    decode_event,
    encode_event,
    event_identity,
)
from binance.derivatives.cmfutures.pool.accounts_file import read_accounts_file
from binance.derivatives.cmfutures.pool.actions import Deliver, RestCall
from binance.derivatives.cmfutures.pool.core import PoolCore, _decode_envelope
from binance.derivatives.cmfutures.pool.options import PoolOptions
from binance.derivatives.cmfutures.stream.actions import Connect, SendPing
from binance.derivatives.cmfutures.stream.connection import Send
from binance.derivatives.cmfutures.stream.dedup import RecentIdentities

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def order(n: int, at_ms: int, alias: str) -> OrderTradeUpdate:
    return OrderTradeUpdate(
        event_time=at_ms, transaction_time=at_ms,
        order=OrderUpdate(
            symbol="BTCUSD_PERP", client_order_id=f"b{n}", side="BUY", order_type="LIMIT",
            time_in_force="GTC", original_quantity=Decimal(1), original_price=Decimal("64000.1"),
            average_price=Decimal(0), stop_price=Decimal(0), execution_type="NEW",
            order_status="NEW", order_id=n, last_filled_quantity=Decimal(0),
            cumulative_filled_quantity=Decimal(0), last_filled_price=Decimal(0),
            trade_time=at_ms, trade_id=0,
        ),
        account_alias=alias,
    )


class StallMonitor:
    """The worst lateness of a 10 ms sleep: how long the event loop was blocked.

    ``stalls`` keeps every lateness above ``record_above`` seconds as (perf_counter at the
    wake-up, lateness, this process's CPU time meanwhile, the garbage collector's time
    meanwhile), to place and explain them: CPU well below the lateness means the process was
    not running (the shared machine), not that the loop was busy.
    """

    def __init__(self, record_above: float = 0.05) -> None:
        self.worst = 0.0
        self.record_above = record_above
        self.stalls: list[tuple[float, float, float, float]] = []
        self._phase_worst = 0.0
        self._task: asyncio.Task[None] | None = None
        self.gc_time = 0.0
        self.gc_worst = (0.0, -1)  # (seconds, generation)
        self._gc_started = 0.0
        self._explicit = False

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if self._explicit:
            return
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        took = time.perf_counter() - self._gc_started
        self.gc_time += took
        if took > self.gc_worst[0]:
            self.gc_worst = (took, info["generation"])

    async def _run(self) -> None:
        while True:
            start, cpu, gc0 = time.perf_counter(), time.process_time(), self.gc_time
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            late = now - start - 0.01
            self.worst = max(self.worst, late)
            self._phase_worst = max(self._phase_worst, late)
            if late > self.record_above:
                self.stalls.append((now, late, time.process_time() - cpu, self.gc_time - gc0))

    def phase(self) -> float:
        """The worst lateness since the previous call (or the start); starts a new phase."""
        worst, self._phase_worst = self._phase_worst, 0.0
        return worst

    def collect(self) -> None:
        """``gc.collect()`` without counting its pause as the collector's (it is ours)."""
        self._explicit = True
        try:
            gc.collect()
        finally:
            self._explicit = False

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Stop sampling meanwhile: the monitor's own 100 wake-ups a second cost ~1 % of a
        core, as much as what an idle-CPU measurement is after."""
        assert self._task is not None
        self._task.cancel()
        try:
            yield
        finally:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def __enter__(self) -> StallMonitor:
        self._task = asyncio.get_running_loop().create_task(self._run())
        gc.callbacks.append(self._gc)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        gc.callbacks.remove(self._gc)


async def wait_until(predicate: Any, timeout: float) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("benchmark step did not finish")
        await asyncio.sleep(0.02)
    return time.perf_counter() - start


TOKEN = {"value": ""}


LIFTED = ["--set", "connections_per_window=10000000", "--set", "weight_limit=10000000",
          "--set", "max_inbound_per_second=1000000"]


def start_simulator(n: int, path: str, *, lift_limits: bool = True, log: Any = None,
                    ) -> tuple[subprocess.Popen[str], str, str]:
    """``cmfutures simulate`` in another process with ``n`` accounts written to ``path``.

    ``lift_limits``: connection rate, weight and message rate lifted (part 1's N streams
    would be refused otherwise). ``log``: a file for its stderr, run with ``-v`` so every
    limit violation it records is a ``limit exceeded`` line there.
    """
    command = [sys.executable, "-m", "binance.derivatives.cmfutures.cli.main"]
    if log is not None:
        command.append("-v")
    command += ["simulate", "--port", "0", "--accounts", str(n), "--accounts-out", path]
    if lift_limits:
        command += LIFTED
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True,
        stderr=subprocess.DEVNULL if log is None else log,
    )
    assert proc.stdout is not None
    rest = proc.stdout.readline().strip().removeprefix("rest: ")
    ws = proc.stdout.readline().strip().removeprefix("ws: ")
    TOKEN["value"] = proc.stdout.readline().strip().removeprefix("token: ")
    return proc, rest, ws


def control(rest: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(f"{rest}/_sim/{path}", data=data, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {TOKEN['value']}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


# ---------------------------------------------------------------------- 1. real processes


async def run_pool(specs: list[Any], rest: str, ws: str) -> dict[str, Any]:
    from binance.derivatives.cmfutures import StreamPool

    gc.collect()
    base = rss()
    config = Configuration(host=rest, stream_host=ws)
    result: dict[str, Any] = {}
    async with StreamPool(config) as pool:
        consumer = asyncio.create_task(_drain(pool))
        with StallMonitor() as stall:
            start = time.perf_counter()
            for spec in specs:
                pool.add(spec.id, BinanceAuth(api_key=spec.api_key, secret_key=spec.secret_key))
            result["add"] = time.perf_counter() - start
            result["cold"] = await wait_until(lambda: live(pool) == len(specs), 600)
            await asyncio.sleep(1.0)
            gc.collect()
            result["rss"] = (rss() - base) / len(specs)
            with stall.paused():  # the monitor alone costs ~1 % of a core
                cpu0 = time.process_time()
                await asyncio.sleep(5.0)
                result["cpu"] = (time.process_time() - cpu0) / 5.0 * 100
            control(rest, "faults/drop_connections")
            await asyncio.sleep(0.2)
            result["storm"] = await wait_until(lambda: live(pool) == len(specs), 600) + 0.2
            result["conns"] = pool.stats.totals.connections_opened
        result["stall"] = stall.worst
        consumer.cancel()
    return result


def live(pool: Any) -> int:
    """Accounts live now (the totals only: building every account's StreamStats each poll
    would itself stall the loop)."""
    return int(pool.core.totals(pool.clock.time()).live_accounts)


async def _drain(source: Any) -> None:
    async for _ in source:
        pass


async def run_streams(specs: list[Any], rest: str, ws: str) -> dict[str, Any]:
    from binance.derivatives.cmfutures import UserDataStream

    gc.collect()
    base = rss()
    result: dict[str, Any] = {}
    streams = [
        UserDataStream(Configuration(host=rest, stream_host=ws, auth=BinanceAuth(
            api_key=s.api_key, secret_key=s.secret_key)))
        for s in specs
    ]
    consumers: list[asyncio.Task[None]] = []
    with StallMonitor() as stall:
        start = time.perf_counter()
        for stream in streams:
            await stream.start()
            consumers.append(asyncio.create_task(_drain(stream)))
        result["add"] = time.perf_counter() - start
        result["cold"] = await wait_until(lambda: all(s.stats.connected for s in streams), 600)
        await asyncio.sleep(1.0)
        gc.collect()
        result["rss"] = (rss() - base) / len(specs)
        with stall.paused():
            cpu0 = time.process_time()
            await asyncio.sleep(5.0)
            result["cpu"] = (time.process_time() - cpu0) / 5.0 * 100
        control(rest, "faults/drop_connections")
        await asyncio.sleep(0.2)
        result["storm"] = await wait_until(
            lambda: all(s.stats.connected for s in streams), 600) + 0.2
        result["conns"] = sum(s.stats.connects for s in streams)
    result["stall"] = stall.worst
    await asyncio.gather(*(s.close() for s in streams), return_exceptions=True)
    for task in consumers:
        task.cancel()
    return result


def part1(n: int) -> None:
    print(f"\n1. {n} accounts against `cmfutures simulate` in another process (real time)")
    print(f"{'':24}{'StreamPool':>16}{f'{n} UserDataStreams':>24}")
    rows: dict[str, tuple[Any, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, runner in (("pool", run_pool), ("streams", run_streams)):
            path = os.path.join(tmp, f"{label}.jsonl")
            proc, rest, ws = start_simulator(n, path)
            try:
                specs = read_accounts_file(path)
                result = asyncio.run(runner(specs, rest, ws))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            for key, value in result.items():
                rows.setdefault(key, ("", ""))
                pair = list(rows[key])
                pair[0 if label == "pool" else 1] = value
                rows[key] = (pair[0], pair[1])
    fmt = {
        "rss": ("RSS per idle account", lambda v: f"{v / 1024:.1f} KiB"),
        "cpu": ("idle CPU", lambda v: f"{v:.2f} % core"),
        "add": ("add()/start() calls", lambda v: f"{v * 1000:.0f} ms"),
        "cold": ("cold start, all live", lambda v: f"{v:.2f} s"),
        "storm": ("reconnect storm", lambda v: f"{v:.2f} s"),
        "stall": ("worst loop stall", lambda v: f"{v * 1000:.0f} ms"),
        "conns": ("connections opened", lambda v: f"{v}"),
    }
    for key, (label, show) in fmt.items():
        a, b = rows.get(key, ("", ""))
        print(f"{label:24}{show(a) if a != '' else '-':>16}{show(b) if b != '' else '-':>24}")
    print("(pool limits: <=300 connections/5 min, <=5/s, 1,200 weight/min; the N streams "
          "open N connections at once, 3x Binance's 5-minute budget at 1,000)")


# ---------------------------------------------------------------------- 2. 10k, sans-I/O


def part2(n: int) -> None:
    print(f"\n2. {n} accounts in one process: the core on simulated time, instant transport")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    core = PoolCore("wss://dstream.binance.com", PoolOptions(), rng=random.Random(1))
    now = 1_800_000_000.0
    pending: list[Any] = []
    cpu0 = time.process_time()
    for i in range(n):
        pending += core.add(f"acct-{i}", now)
    pending += core.tick(now)
    keys = 0
    live_at = None
    step = 0.05
    live: set[str] = set()
    while True:
        actions, pending = pending, []
        for action in actions:
            if isinstance(action, Deliver) and isinstance(action.message, StreamConnected):
                live.add(action.account)
            elif isinstance(action, RestCall) and action.kind == "create":
                keys += 1
                pending += core.rest_ok(action.account, "create", now,
                                        listen_key=f"{keys:064d}")
            elif isinstance(action, RestCall):
                pending += core.rest_ok(action.account, action.kind, now)
            elif isinstance(action, Connect):
                pending += core.connection_opened(action.conn_id, now)
            elif isinstance(action, Send):
                request = json.loads(action.text)
                if request["method"] == "SUBSCRIBE":
                    reply = json.dumps({"result": None, "id": request["id"]})
                    pending += core.frame_received(action.conn_id, reply, now)
            elif isinstance(action, SendPing):  # the instant server answers every ping
                pending += core.pong_received(action.conn_id, now)
        if pending:
            continue
        if len(live) == n:
            live_at = now
            break
        deadline = core.deadline_hint
        now = max(now + step, deadline if deadline is not None else now + step)
        pending += core.tick(now)
    cpu = time.process_time() - cpu0
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    memory = sum(s.size_diff for s in after.compare_to(before, "filename"))
    start = 1_800_000_000.0
    totals = core.totals(now)
    print(f"  memory per account (core, tracemalloc)   {memory / n / 1024:8.1f} KiB")
    print(f"  CPU for the whole cold start             {cpu:8.2f} s")
    print(f"  cold start in simulated time             {live_at - start:8.1f} s "
          f"({totals.connections} connections, {n} keys at 1,200 weight/min)")
    cpu0 = time.process_time()
    idle_from = now
    idle_until = now + 1200
    calls = {"keepalive": 0, "create": 0}
    while now < idle_until:
        deadline = core.deadline_hint or idle_until
        now = min(max(deadline, now + 0.001), idle_until)
        pending = core.tick(now)
        while pending:  # every answer's actions too (they issue the next queued call)
            actions, pending = pending, []
            for action in actions:
                if isinstance(action, RestCall) and action.kind == "create":
                    keys += 1
                    pending += core.rest_ok(action.account, "create", now,
                                            listen_key=f"{keys:064d}")
                elif isinstance(action, RestCall):
                    pending += core.rest_ok(action.account, action.kind, now)
                elif isinstance(action, SendPing):
                    pending += core.pong_received(action.conn_id, now)
                if isinstance(action, RestCall):
                    calls[action.kind] = calls.get(action.kind, 0) + 1
    cpu = time.process_time() - cpu0
    minutes = (now - idle_from) / 60
    interval = core.keepalive_interval  # stretched with the number of accounts
    print(f"  CPU per simulated idle minute            {cpu / minutes * 1000:8.1f} ms "
          f"(keepalives, pings; the {minutes:.0f} minutes after cold start)")
    print(f"  listen-key calls per idle minute         {sum(calls.values()) / minutes:8.0f} "
          f"(keepalive every {interval / 60:.0f} min for {n} accounts: "
          f"{n * 60 / interval:,.0f}/min of the 1,200 weight/min; "
          f"{core.totals(now).rest_queued} still queued at the end)")


# ---------------------------------------------------------------------- 3. throughput


def part3(n_accounts: int, n_events: int) -> None:
    print(f"\n3. throughput, fast feeder: {n_events} events across {n_accounts} accounts")
    core = PoolCore("ws://x", PoolOptions(keys_per_connection=50), rng=random.Random(1))
    now = 1_800_000_000.0
    key_of: dict[str, str] = {}
    pending: list[Any] = []
    for i in range(n_accounts):
        pending += core.add(f"a{i}", now)
    pending += core.tick(now)
    n = 0
    while pending:
        actions, pending = pending, []
        for action in actions:
            if isinstance(action, RestCall) and action.kind == "create":
                n += 1
                key_of[action.account] = f"{n:064d}"
                pending += core.rest_ok(action.account, "create", now,
                                        listen_key=key_of[action.account])
            elif isinstance(action, Connect):
                pending += core.connection_opened(action.conn_id, now)
            elif isinstance(action, Send):
                request = json.loads(action.text)
                reply = json.dumps({"result": None, "id": request["id"]})
                pending += core.frame_received(action.conn_id, reply, now)
        if not pending and core.totals(now).live_accounts < n_accounts:
            now += 1.0
            pending += core.tick(now)
    conn_of = {}
    for account in key_of:
        conn_of[account] = core.live_connections(account)[0]
    accounts = list(key_of)
    frames = []
    for i in range(n_events):
        account = accounts[i % len(accounts)]
        raw = encode_event(order(i + 1, int(now * 1000), account))
        key = key_of[account]
        frames.append((conn_of[account], b'{"stream":"' + key.encode() + b'","data":' + raw + b"}"))
    delivered = 0

    def feed() -> float:
        nonlocal delivered
        start = time.perf_counter()
        for conn_id, frame in frames:
            for action in core.frame_received(conn_id, frame, now):
                if isinstance(action, Deliver):
                    delivered += 1
        return time.perf_counter() - start

    total = feed()
    rate = n_events / total
    print(f"  end to end (frame_received + Deliver)    {rate:10,.0f} events/s "
          f"({total / n_events * 1e6:.2f} us/event, delivered {delivered})")
    # the stages apart
    envs = [_decode_envelope(f) for _, f in frames[:20000]]
    datas = [bytes(e.data) for e in envs]
    events = [decode_event(d) for d in datas]
    by_key = {key_of[a]: a for a in accounts}
    stages = {
        "framing (envelope)": lambda: [_decode_envelope(f) for _, f in frames[:20000]],
        "decode (event)": lambda: [decode_event(d) for d in datas],
        "route (key -> account)": lambda: [by_key[e.stream] for e in envs],  # type: ignore[index]
        "dedup (identity + seen)": lambda: _dedup(events),
        "dispatch (StreamPool._deliver)": lambda: _dispatch(events),
    }
    gc.collect()
    gc.disable()  # each stage alone, without the collector's pauses (end to end has them)
    try:
        for label, fn in stages.items():
            best = float("inf")
            for _ in range(3):  # best of three: the machine is shared
                start = time.perf_counter()
                fn()
                best = min(best, time.perf_counter() - start)
            cost = best / len(envs) * 1e6
            print(f"  {label:40} {cost:8.2f} us/event")
    finally:
        gc.enable()


def _dedup(events: list[Any]) -> None:
    seen = RecentIdentities(1000)
    for e in events:
        seen.seen(event_identity(e))


def _dispatch(events: list[Any]) -> None:
    """The driver's delivery point (``StreamPool._deliver``: queue, wake the consumer)."""
    from binance.derivatives.cmfutures import StreamPool

    pool = StreamPool(Configuration(host="http://127.0.0.1:9", stream_host="ws://127.0.0.1:9"))
    deliver = pool._deliver
    for e in events:
        deliver("a", e)


# ---------------------------------------------------------------------- 4. simulator fan-out


async def part4_async(n_accounts: int, n_events: int) -> None:
    from binance.derivatives.cmfutures import StreamPool
    from binance.derivatives.cmfutures.clock import SystemClock
    from binance.derivatives.cmfutures.simulator import Simulator

    specs = [{} for _ in range(n_accounts)]
    async with Simulator(clock=SystemClock(), accounts=specs) as sim:
        delivered = 0

        async with StreamPool(sim.configuration(),
                              options=PoolOptions(keys_per_connection=50)) as pool:
            for account in sim.accounts:
                pool.add(account.alias, BinanceAuth(api_key=account.api_key,
                                                    secret_key=account.secret_key))
            await wait_until(lambda: live(pool) == n_accounts, 300)

            async def consume() -> None:
                nonlocal delivered
                async for _, message in pool:
                    if isinstance(message, OrderTradeUpdate):
                        delivered += 1

            task = asyncio.create_task(consume())
            accounts = list(sim.accounts)
            now_ms = sim.now_ms()
            prepared = []
            for i in range(n_events):
                acct = accounts[i % len(accounts)]
                event = order(i + 1, now_ms, acct.alias)
                prepared.append((acct.api_key, event, encode_event(event)))
            start = time.perf_counter()
            for i, (api_key, event, raw) in enumerate(prepared):
                sim.emit(api_key, event, raw)
                if i % 500 == 499:
                    await asyncio.sleep(0)
            emitted = time.perf_counter() - start
            await wait_until(lambda: delivered >= n_events, 300)
            total = time.perf_counter() - start
            task.cancel()
    print(f"\n4. simulator fan-out to {n_accounts} connected accounts (one process, one core)")
    print(f"  emit only                                {n_events / emitted:10,.0f} events/s")
    print(f"  emitted, sent, received and delivered    {n_events / total:10,.0f} events/s")


# ---------------------------------------------------------------------- 5. 10k, real processes


class LiveCounter:
    """The pool's consumer: the time each account first yields ``StreamConnected`` (read
    from the iterator, as a user would; polling ``totals()`` is O(accounts) per call), and
    the control events that should not happen in a quiet run."""

    def __init__(self) -> None:
        self.live_at: dict[str, float] = {}
        self.disconnects = 0
        self.gaps = 0
        self.failed: list[str] = []

    async def run(self, pool: Any) -> None:
        from binance.derivatives.cmfutures.events import StreamDisconnected, StreamGap
        from binance.derivatives.cmfutures.pool.events import AccountFailed

        async for account, message in pool:
            if isinstance(message, StreamConnected):
                self.live_at.setdefault(account, time.perf_counter())
            elif isinstance(message, StreamDisconnected):
                self.disconnects += 1
            elif isinstance(message, StreamGap):
                self.gaps += 1
            elif isinstance(message, AccountFailed):
                self.failed.append(account)


async def run_pool_10k(specs: list[Any], rest: str, ws: str, idle: float) -> dict[str, Any]:
    from binance.derivatives.cmfutures import StreamPool

    n = len(specs)
    config = Configuration(host=rest, stream_host=ws)
    result: dict[str, Any] = {}
    with StallMonitor() as stall:
        async with StreamPool(config, options=PoolOptions()) as pool:
            counter = LiveCounter()
            consumer = asyncio.create_task(counter.run(pool))
            await asyncio.sleep(1.0)
            stall.collect()
            base = rss()
            with stall.paused():  # the empty pool, for reference
                cpu0, wall0 = time.process_time(), time.perf_counter()
                await asyncio.sleep(min(idle, 10.0))
                result["cpu_base"] = ((time.process_time() - cpu0)
                                      / (time.perf_counter() - wall0) * 100)
            await asyncio.sleep(0.05)
            stall.phase()
            start = time.perf_counter()
            adding = 0.0
            for i in range(0, n, 500):  # chunks: the stalls measured are the pool's own
                t = time.perf_counter()
                for spec in specs[i:i + 500]:
                    pool.add(spec.id, BinanceAuth(api_key=spec.api_key,
                                                  secret_key=spec.secret_key))
                adding += time.perf_counter() - t
                await asyncio.sleep(0)
            result["add"] = adding
            cpu0 = time.process_time()
            await wait_until(lambda: len(counter.live_at) == n, 1800)
            result["cold"] = max(counter.live_at.values()) - start
            result["cold_cpu"] = time.process_time() - cpu0
            result["curve"] = sorted(t - start for t in counter.live_at.values())
            result["stall_cold"] = stall.phase()
            cold_end = time.perf_counter()
            await asyncio.sleep(2.0)  # let the last handshakes' buffers settle
            stall.collect()
            result["rss"] = (rss() - base) / n
            result["rss_total"] = rss()
            with stall.paused():  # the monitor's own cost would be as big as the pool's
                cpu0, wall0 = time.process_time(), time.perf_counter()
                await asyncio.sleep(idle)
                result["cpu"] = ((time.process_time() - cpu0)
                                 / (time.perf_counter() - wall0) * 100)
            await asyncio.sleep(0.05)  # the monitor notes collect()'s pause: not the pool's
            stall.phase()
            idle0 = time.perf_counter()
            await asyncio.sleep(idle)  # then the stalls over as long again
            result["stall_idle"] = stall.phase()
            result["idle_stalls"] = [(at - idle0, *rest) for at, *rest in stall.stalls
                                     if at >= idle0]
            result["cold_stalls"] = [(at - start, *rest) for at, *rest in stall.stalls
                                     if start <= at <= cold_end]
            result["gc_worst"] = stall.gc_worst
            totals = pool.core.totals(pool.clock.time())
            result["live"] = totals.live_accounts
            result["conns_open"] = totals.connections
            result["kpc"] = (min(totals.keys_per_connection, default=0),
                             max(totals.keys_per_connection, default=0))
            result["conns"] = totals.connections_opened
            result["weight"] = totals.weight_used
            result["queued"] = totals.rest_queued
            result["disconnects"] = counter.disconnects
            result["gaps"] = counter.gaps
            result["failed"] = len(counter.failed)
            consumer.cancel()
    return result


def part5(n: int, idle: float) -> None:
    print(f"\n5. {n} accounts in ONE StreamPool against `cmfutures simulate` in another "
          "process (real time)")
    print("   pool: PoolOptions() defaults (1,200 weight/min, 300 connections/5 min, <=5/s, "
          "50 keys/connection);")
    print("   simulator: its limits ON (2,400 weight/min, 300 connections/5 min, 10 msgs/s, "
          "200 streams/connection)")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "accounts.jsonl")
        log_path = os.path.join(tmp, "simulate.log")
        with open(log_path, "w") as log:
            t0 = time.perf_counter()
            proc, rest, ws = start_simulator(n, path, lift_limits=False, log=log)
            try:
                specs = read_accounts_file(path)
                ready = time.perf_counter() - t0
                r = asyncio.run(run_pool_10k(specs, rest, ws, idle))
            finally:
                proc.terminate()
                proc.wait(timeout=60)
        with open(log_path) as f:
            violations = [line.rstrip() for line in f if "limit exceeded" in line]
    curve = r["curve"]
    marks = [t for t in (60, 120, 240, 480) if t < r["cold"]]
    by = ", ".join(f"{sum(1 for x in curve if x <= t):,} by {t} s" for t in marks)
    creates_bound = max(0, -(-n // 1200) - 1) * 60  # the last create's minute window opens
    rows = [
        ("simulator start (N accounts)", f"{ready:.1f} s"),
        ("add() x N", f"{r['add'] * 1000:.0f} ms ({r['add'] / n * 1e6:.1f} us each; added "
                      "500 at a time, so one loop of N would block the event loop that long)"),
        ("cold start, all live", f"{r['cold']:.1f} s ({r['cold'] / 60:.1f} min)"),
        ("  the weight budget's bound", f"{creates_bound} s: {n:,} creates at weight 1, "
                                        "1,200 per rolling minute (the last batch is granted "
                                        f"when minute {creates_bound // 60 + 1} opens)"),
        ("  live over time", by or "-"),
        ("  CPU during cold start", f"{r['cold_cpu']:.1f} s"),
        ("RSS per idle account", f"{r['rss'] / 1024:.1f} KiB "
                                 f"(process {r['rss_total'] / 2**20:.0f} MiB)"),
        (f"idle CPU ({idle:.0f} s)", f"{r['cpu']:.2f} % core (the empty pool before: "
                                     f"{r['cpu_base']:.2f} %; stall monitor off)"),
        ("worst loop stall, cold", f"{r['stall_cold'] * 1000:.0f} ms "
                                   f"({len(r['cold_stalls'])} over 50 ms)"),
        (f"worst loop stall, idle {idle:.0f} s", f"{r['stall_idle'] * 1000:.0f} ms "
                                   f"({len(r['idle_stalls'])} over 50 ms)"),
        ("worst GC pause (whole run)", f"{r['gc_worst'][0] * 1000:.0f} ms "
                                       f"(generation {r['gc_worst'][1]})"),
        ("connections opened", f"{r['conns']} ({r['conns_open']} open, "
                               f"{r['kpc'][0]}-{r['kpc'][1]} keys each)"),
        ("REST weight, last minute", f"{r['weight']} of 1,200 ({r['queued']} listen-key "
                                     "calls queued behind the budget at the end)"),
        ("disconnects / gaps / failed", f"{r['disconnects']} / {r['gaps']} / {r['failed']}"),
        ("simulator limit violations", f"{len(violations)}"),
    ]
    for label, value in rows:
        print(f"  {label:30}{value}")
    for name, stalls in (("cold start", r["cold_stalls"]), ("idle", r["idle_stalls"])):
        for at, late, cpu, in_gc in stalls[:10]:
            print(f"  stall {late * 1000:.0f} ms at {at:.1f} s of {name} (this process's CPU "
                  f"meanwhile {cpu * 1000:.0f} ms, of it GC {in_gc * 1000:.0f} ms)")
    for line in violations[:10]:
        print(f"  violation: {line}")


def main() -> None:
    import logging

    logging.getLogger("binance.derivatives.cmfutures").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--accounts", type=int, default=None, help="accounts for part 1 (1000)")
    parser.add_argument("--parts", default="1234",
                        help="which parts to run, e.g. 23 (5, the 10,000 accounts against the "
                        "simulator process, takes ~11 minutes: only when asked, and alone)")
    parser.add_argument("--accounts-10k", type=int, default=None,
                        help="accounts for part 5 (10000)")
    args = parser.parse_args()
    n = args.accounts or (100 if args.quick else 1000)
    if "1" in args.parts:
        part1(n)
    if "2" in args.parts:
        part2(1000 if args.quick else 10_000)
    if "3" in args.parts:
        part3(100 if args.quick else 1000, 20_000 if args.quick else 200_000)
    if "4" in args.parts:
        asyncio.run(part4_async(100 if args.quick else 1000, 5_000 if args.quick else 50_000))
    if "5" in args.parts:
        part5(args.accounts_10k or (300 if args.quick else 10_000), 10.0 if args.quick else 60.0)


if __name__ == "__main__":
    main()
