"""``cmfutures demo --accounts N``: the pool demo, offline, with no keys.

An in-process :class:`~..simulator.Simulator` (real time) hosts N accounts. One
:class:`~..pool.StreamPool` follows all of them over a few shared connections, with an
:class:`~..mirror.AccountMirror` per account fed by the pool. A script trades on random
accounts (market and limit orders, deposits, price moves) and injects faults (a dropped
connection, an expired listen key, a server close of every connection). A compact dashboard
shows totals, connections and keys per connection, REST weight used and the worst accounts.
At the end every mirror is compared with the simulator's books: exit 0 only if all match.

Every mirror snapshot costs 46 weight (and a fill recovery 20 a page) of the pool's 1,200 a
minute, so N accounts need about N × 46 / 1,200 minutes to resync after a fault that cuts all
of them: the demo waits that long (plus a margin) for the mirrors, showing progress.
"""

from __future__ import annotations

import asyncio
import math
import random
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .demo import compare_with_simulator

_SYMBOLS = ("BTCUSD_PERP", "ETHUSD_PERP")


class PoolDemo:
    """N simulated accounts, one pool, one mirror per account, a trading script, a verdict."""

    def __init__(self, *, accounts: int, pace: float, seed: int, rounds: int = 12) -> None:
        if not 1 <= accounts <= 10_000:
            raise ValueError(f"--accounts takes a number from 1 to 10000, got {accounts}")
        self.n = accounts
        self.pace = pace
        self.seed = seed
        self.rounds = rounds
        self.rng = random.Random(seed)
        self.sim: Any = None
        self.pool: Any = None
        self.mirrors: dict[str, Any] = {}
        self.events = 0
        self.controls: dict[str, int] = {}

    def _say(self, line: str) -> None:
        print(line, flush=True)

    async def main(self, duration: float | None) -> int:
        from ..pool import PoolOptions, StreamPool
        from ..simulator import Simulator

        started = time.monotonic()
        specs = [{"balances": {"BTC": Decimal("2"), "ETH": Decimal("20")}} for _ in range(self.n)]
        async with Simulator(seed=self.seed, accounts=specs, clock=_system_clock()) as sim:
            self.sim = sim
            per_connection = max(1, min(50, math.ceil(self.n / 4)))
            options = PoolOptions(keys_per_connection=per_connection)
            self._say(f"simulator: rest {sim.rest_url}  ws {sim.stream_url}")
            self._say(f"pool: {self.n} accounts, {per_connection} keys per connection")
            async with StreamPool(sim.configuration(), options=options) as pool:
                self.pool = pool
                for account in sim.accounts:
                    pool.add(account.alias, _auth(account))
                consumer = asyncio.create_task(self._consume())
                await self._wait(lambda: pool.stats.totals.live_accounts == self.n, 30)
                for account in sim.accounts:
                    self.mirrors[account.alias] = pool.mirror(account.alias)
                await self._wait(lambda: all(not m.stale for m in self.mirrors.values()),
                                 self._resync_seconds(), "snapshots")
                self._dashboard("live")
                await self._script(started, duration)
                verdict = await self._verdict()
                consumer.cancel()
        return verdict

    async def _consume(self) -> None:
        assert self.pool is not None
        async for _, message in self.pool:
            name = type(message).__name__
            if name.startswith("Stream") or name in ("ListenKeyRenewed", "AccountFailed"):
                self.controls[name] = self.controls.get(name, 0) + 1
            else:
                self.events += 1

    def _resync_seconds(self) -> float:
        """How long N mirrors' snapshots and fill recoveries take under the weight budget."""
        from ..pool import PoolOptions

        opts: PoolOptions = self.pool.options
        weight = self.n * (opts.snapshot_weight + 2 * opts.trades_weight)
        return 30.0 + 60.0 * weight / opts.weight_per_minute

    async def _wait(self, predicate: Any, timeout: float, what: str | None = None) -> bool:
        started = time.monotonic()
        deadline = started + timeout
        shown = started
        while not predicate():
            now = time.monotonic()
            if now > deadline:
                return False
            if what is not None and now - shown >= 10:
                shown = now
                self._dashboard(f"{what}, {now - started:.0f}s of at most {timeout:.0f}s")
            await asyncio.sleep(0.05)
        return True

    async def _script(self, started: float, duration: float | None) -> None:
        sim, rng = self.sim, self.rng
        exchange = sim.exchange
        accounts = list(sim.accounts)
        faults: dict[int, tuple[str, Callable[[], object]]] = {
            3: ("drop one connection", lambda: sim.faults.drop_connections(accounts[0])),
            6: ("expire a listen key", lambda: sim.faults.expire_listen_key(accounts[-1])),
            9: ("server closes every connection (1011)",
                lambda: sim.faults.close_connections(code=1011)),
        }
        for round_no in range(1, self.rounds + 1):
            if duration is not None and time.monotonic() - started > duration:
                break
            for account in rng.sample(accounts, min(len(accounts), 8)):
                symbol = rng.choice(_SYMBOLS)
                side = rng.choice(("BUY", "SELL"))
                mark = exchange.mark_price(symbol)
                if rng.random() < 0.5:
                    params = {"symbol": symbol, "side": side, "type": "MARKET", "quantity": "1"}
                else:
                    factor = Decimal("0.995") if side == "BUY" else Decimal("1.005")
                    price = (mark * factor).quantize(Decimal("0.1"))
                    params = {"symbol": symbol, "side": side, "type": "LIMIT", "quantity": "1",
                              "price": str(price), "timeInForce": "GTC"}
                try:
                    exchange.new_order(account.api_key, params)
                except Exception as exc:  # the engine refusing an order is part of trading
                    self._say(f"   order refused for {account.alias}: {exc}")
            symbol = rng.choice(_SYMBOLS)
            move = Decimal(rng.choice(("-0.004", "0.004", "0.002", "-0.002")))
            exchange.set_mark_price(
                symbol, (exchange.mark_price(symbol) * (1 + move)).quantize(Decimal("0.1"))
            )
            if round_no % 4 == 0:
                exchange.deposit(rng.choice(accounts).api_key, "BTC", Decimal("0.01"))
            if round_no in faults:
                text, inject = faults[round_no]
                self._say(f"== fault: {text}")
                inject()
            await asyncio.sleep(self.pace)
            self._dashboard(f"round {round_no}")

    def _dashboard(self, step: str) -> None:
        pool = self.pool
        stats = pool.stats
        t = stats.totals
        worst = sorted(
            stats.accounts.items(), key=lambda kv: (kv[1].gaps + kv[1].reconnects), reverse=True
        )[:3]
        stale = sum(1 for m in self.mirrors.values() if m.stale)
        self._say(
            f"[{step}] accounts {t.live_accounts}/{t.accounts} live, {t.failed_accounts} failed | "
            f"connections {t.connections} (keys {list(t.keys_per_connection)}), "
            f"opened {t.connections_opened} | weight {t.weight_used}/min | "
            f"events {self.events} | mirrors stale {stale}"
        )
        if any(s.gaps or s.reconnects for _, s in worst):
            self._say("   worst: " + ", ".join(
                f"{a} ({s.gaps} gaps, {s.reconnects} reconnects, {s.key_renewals} renewals)"
                for a, s in worst
            ))

    async def _verdict(self) -> int:
        sim = self.sim

        def mismatches() -> dict[str, list[str]]:
            out = {}
            for account in sim.accounts:
                mirror = self.mirrors[account.alias]
                problems = compare_with_simulator(mirror, sim.state(account))
                if mirror.stale:
                    problems.append("mirror is stale")
                if problems:
                    out[account.alias] = problems
            return out

        # the last fault cut every connection: every mirror resyncs, under the weight budget
        await self._wait(lambda: not mismatches(), self._resync_seconds() + 30, "resyncing")
        bad = mismatches()
        self._dashboard("end")
        self._say(f"control events: {dict(sorted(self.controls.items()))}")
        self._say(f"limit violations seen by the simulator: {len(sim.hub.violations)}")
        if bad or sim.hub.violations:
            self._say(f"every mirror matches the simulator: NO ({len(bad)} accounts differ)")
            for account, problems in list(bad.items())[:5]:
                self._say(f"  {account}: {problems[0]}")
            return 1
        self._say(f"every mirror matches the simulator: YES ({self.n} accounts)")
        return 0


def _auth(account: Any) -> Any:
    from ..signing import BinanceAuth

    return BinanceAuth(api_key=account.api_key, secret_key=account.secret_key)


def _system_clock() -> Any:
    from ..clock import SystemClock

    return SystemClock()


def run_pool_demo(accounts: int, pace: float, seed: int, duration: float | None) -> int:
    demo = PoolDemo(accounts=accounts, pace=pace, seed=seed)
    try:
        return asyncio.run(demo.main(duration))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
