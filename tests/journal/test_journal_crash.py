"""Crash tests with real processes: ``kill -9`` the journal writer during a burst of trading
and restart it; ``kill -9`` a consumer between processing an entry and committing it.

The exchange is ``cmfutures simulate`` in its own process (real time); the writer is
``cmfutures stream --journal``. Waiting here is for other processes (a line on a pipe, a
condition on the journal, polled with a deadline), never a sleep that times the test; the
pauses before each kill are deliberately random moments.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from binance.derivatives.cmfutures import Journal
from binance.derivatives.cmfutures.events import StreamGap, decode_event, event_identity

from .conftest import T0, order_event

CLI = [sys.executable, "-m", "binance.derivatives.cmfutures.cli.main"]
API_KEY = "CrashTestKey0123456789abcdef0123456789abcdef0123456789abcdef0123"
SECRET = "CrashTestSecret0123456789abcdef0123456789abcdef0123456789abcdef0"
HERE = Path(__file__).resolve().parent


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINANCE_")}
    env.update(extra)
    return env


class SimProcess:
    """``cmfutures simulate`` in its own process; its URLs read from its first stdout lines."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [*CLI, "simulate", "--port", "0", "--account", f"{API_KEY}:{SECRET}",
             "--set", "orders_per_10s=100000", "--set", "orders_per_minute=100000",
             "--set", "weight_limit=100000000"],
            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.rest = self.ws = ""
        self.token: str | None = None
        assert self.proc.stdout is not None
        while not (self.rest and self.ws and self.token):
            line = self.proc.stdout.readline()
            assert line, f"simulator died: {self.proc.stderr.read() if self.proc.stderr else ''}"
            if line.startswith("rest:"):
                self.rest = line.split(None, 1)[1].strip()
            elif line.startswith("ws:"):
                self.ws = line.split(None, 1)[1].strip()
            elif line.startswith("token:"):  # the /_sim control token, printed third
                self.token = line.split()[-1]

    def control(self, path: str) -> Any:
        request = urllib.request.Request(self.rest + path)
        request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def emitted(self) -> list[Any]:
        return [decode_event(e["raw"]) for e in self.control("/_sim/emitted")]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class WriterProcess:
    """``cmfutures stream --journal PATH --json``; started = its StreamConnected line read."""

    def __init__(self, sim: SimProcess, path: Path) -> None:
        self.proc = subprocess.Popen(
            [*CLI, "stream", "--json", "--journal", str(path)],
            env=_env(BINANCE_API_KEY=API_KEY, BINANCE_SECRET_KEY=SECRET,
                     BINANCE_CMFUTURES_HOST=sim.rest, BINANCE_CMFUTURES_STREAM_HOST=sim.ws),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        error = self.proc.stderr.read() if self.proc.stderr and not first else ""
        assert '"StreamConnected"' in first, first + error
        # keep draining stdout so a full pipe never blocks the writer
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(30)


class Trader(threading.Thread):
    """Market orders, alternating sides, through the signed REST API, until stopped."""

    def __init__(self, sim: SimProcess) -> None:
        super().__init__(daemon=True)
        from binance.derivatives.cmfutures import ApiClient, BinanceAuth, Configuration, TradeApi

        cfg = Configuration(host=sim.rest, auth=BinanceAuth(api_key=API_KEY, secret_key=SECRET))
        self.trade = TradeApi(ApiClient(cfg))
        self.stopping = threading.Event()
        self.orders = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                side = "BUY" if self.orders % 2 == 0 else "SELL"
                self.trade.cmfutures_create_order_v1(
                    symbol="BTCUSD_PERP", side=side, type="MARKET", quantity="1"
                )
                self.orders += 1
                self.stopping.wait(0.004)  # a brisk pace (~100+ orders/s), not a flood
        except BaseException as exc:  # reported by the test
            self.error = exc


def _entries(path: Path) -> list[Any]:
    async def read() -> list[Any]:
        return [e async for e in Journal(path, create=False).read()]

    return asyncio.run(read())


# The simulator stamps E a few ms after the moment it pushes an event (EngineOptions
# .event_latency_ms, 3 by default, as live traffic shows), while a gap's bounds are the
# journaling process's own times: an event pushed just before the new connection can carry
# an E up to that latency after the gap's end.
EVENT_LATENCY = 0.003


def accounted(
    path: Path, emitted: list[Any], *, tolerance: float = 0.002 + EVENT_LATENCY
) -> list[str]:
    """What is wrong with the journal against the simulator's record ([] = nothing)."""
    entries = _entries(path)
    problems = []
    journaled = Counter(event_identity(e.message) for e in entries if e.kind == 0)
    problems += [f"journaled {n} times: {i}" for i, n in journaled.items() if n > 1]
    emitted_ids = {event_identity(e) for e in emitted}
    problems += [f"journaled but never emitted: {i}" for i in journaled if i not in emitted_ids]
    gaps = [e.message for e in entries if isinstance(e.message, StreamGap)]
    for event in emitted:
        if journaled.get(event_identity(event)):
            continue
        at = event.event_time / 1000
        if not any(g.since - tolerance <= at <= g.until + tolerance for g in gaps):
            problems.append(f"emitted at {at} neither journaled nor inside a gap")
    return problems


def _wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_writer_killed_during_a_burst_then_restarted(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("CRASH_SEED", "12")))
    path = tmp_path / "events.db"
    sim = SimProcess()
    writer: WriterProcess | None = None
    trader = Trader(sim)
    try:
        writer = WriterProcess(sim, path)
        trader.start()
        kills = 0
        for _ in range(4):
            time.sleep(rng.uniform(0.1, 0.8))  # a random moment of the burst
            writer.kill9()
            kills += 1
            time.sleep(rng.uniform(0.0, 0.3))  # trading goes on while nobody listens
            writer = WriterProcess(sim, path)
        time.sleep(rng.uniform(0.2, 0.5))
        trader.stopping.set()
        trader.join(60)
        assert trader.error is None, trader.error
        emitted = sim.emitted()
        assert trader.orders >= 10 and len(emitted) >= 30
        try:
            _wait_until(lambda: not accounted(path, emitted), 30, "the writer to journal the tail")
        except AssertionError:
            raise AssertionError(accounted(path, emitted)[:10]) from None
        assert writer.interrupt() == 0  # SIGINT: flush, exit 0
        writer = None
        problems = accounted(path, emitted)
        assert not problems, problems[:5]
        entries = _entries(path)
        gaps = [e.message for e in entries if isinstance(e.message, StreamGap)]
        assert len([g for g in gaps if "restarted" in g.reason]) == kills
        offsets = [e.offset for e in entries]
        assert offsets == list(range(1, len(offsets) + 1))
        lost = len(emitted) - sum(1 for e in entries if e.kind == 0)
        print(f"\n{trader.orders} orders, {len(emitted)} events, {kills} kills, "
              f"{lost} events inside restart gaps")
    finally:
        trader.stopping.set()
        if writer is not None:
            writer.kill9()
        sim.stop()


def _consumer(path: Path, log: Path, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "consumer_process.py"), str(path), str(log), *args],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY", proc.stderr.read() if proc.stderr else ""
    return proc


def test_consumer_killed_between_receive_and_commit(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    log = tmp_path / "processed.log"
    total = 3000

    async def fill() -> None:
        async with Journal(path) as journal:
            for n in range(1, total + 1):
                journal.append("default", order_event(n, int(T0 * 1000) + n), T0)
            await journal.flush()

    asyncio.run(fill())
    # 1. killed exactly between processing 123 and committing it
    held = _consumer(path, log, "--hold-at", "123")
    assert held.stdout is not None and held.stdout.readline().strip() == "HOLDING"
    held.send_signal(signal.SIGKILL)
    held.wait()
    # 2. killed at random moments
    rng = random.Random(int(os.environ.get("CRASH_SEED", "7")))
    kills = 1
    for _ in range(3):
        proc = _consumer(path, log)
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    # 3. runs to the end
    last = _consumer(path, log, "--until", str(total))
    assert last.wait(120) == 0
    processed = [int(x) for x in log.read_text().split()]
    counts = Counter(processed)
    assert set(counts) == set(range(1, total + 1))  # every entry seen at least once
    twice = sorted(o for o, n in counts.items() if n > 1)
    assert max(counts.values()) == 2 and len(twice) <= kills  # one re-delivery per kill at most
    assert 123 in twice  # the entry it was killed on, processed but not committed
    # and apart from re-deliveries the order is the journal's
    assert sorted(set(processed)) == list(range(1, total + 1))
