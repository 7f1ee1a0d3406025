"""Hypothesis stateful test: random trading, price moves, funding, leverage changes and faults
against the simulator. After the stream has settled, the mirror equals the simulator's account
exactly (within one resync when events were silently dropped), and no fill is reported twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from mirror_sim import expected, mirrored

from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.mirror import AccountMirror, MirrorOptions

SYMBOLS = ("BTCUSD_PERP", "ETHUSD_PERP")


class MirrorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.sim: Any = None
        self.mirror: Any = None
        self.fills: list[tuple[int, int]] = []
        self.sub: Any = None
        self.undelivered_seen = 0
        self.dirty = False  # something happened since the last check

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    @initialize()
    def start(self) -> None:
        from binance.derivatives.cmfutures.simulator import Simulator

        async def go() -> None:
            self.sim = Simulator(clock=ManualClock(start=1_767_225_600.0))
            await self.sim.__aenter__()
            from binance.derivatives.cmfutures.stream import UserDataStream

            cfg = self.sim.configuration()
            stream = UserDataStream(cfg, clock=self.sim.clock, rng=random.Random(0))
            self.mirror = AccountMirror(
                cfg, clock=self.sim.clock, rng=random.Random(0), stream=stream,
                options=MirrorOptions(retry_initial=0.25, retry_max=2),
            )
            await self.mirror.start()
            self.sub = self.mirror.changes()
            await self.settle()

        self.run(go())

    def teardown(self) -> None:
        async def stop() -> None:
            if self.mirror is not None:
                # closing deletes the listen key: a pending REST fault makes the client retry
                # on the (manual) clock, so keep time moving until the close completes
                closing = asyncio.ensure_future(self.mirror.close())
                while not closing.done():
                    await self.sim.advance(1)
                await closing
            if self.sim is not None:
                await self.sim.__aexit__(None, None, None)

        try:
            self.run(stop())
        finally:
            self.loop.close()

    async def settle(self) -> None:
        """Let the stream notice faults, reconnect and the mirror resync (simulated time)."""
        await self.sim.advance(1.5)
        # reconnect and listen-key backoff grow to 60 s: up to 18 pending REST failures
        # (fail_rest three times) can take ~15 simulated minutes to work through
        for i in range(1000):
            if not (self.mirror.stale or self.mirror._state.resync_pending):
                break
            await self.sim.advance(0.25 if i < 20 else 1.0)
        else:
            raise AssertionError("mirror never settled")
        await self.sim.advance(0.05)

    def engine(self, name: str, *args: Any) -> None:
        from binance.derivatives.cmfutures.simulator.errors import SimError

        # rejected by the exchange (margin, price filters...): nothing happened
        with contextlib.suppress(SimError):
            getattr(self.sim.exchange, name)(*args)
        self.dirty = True

    # ------------------------------------------------------------------ trading

    @rule(side=st.sampled_from(["BUY", "SELL"]), qty=st.integers(1, 4),
          offset=st.integers(-30, 30), symbol=st.sampled_from(SYMBOLS))
    def limit(self, side: str, qty: int, offset: int, symbol: str) -> None:
        mark = self.sim.exchange.mark_price(symbol)
        price = (mark * (1 + Decimal(offset) / 1000)).quantize(Decimal("0.1"))
        self.engine("new_order", self.sim.account.api_key,
                    {"symbol": symbol, "side": side, "type": "LIMIT", "quantity": str(qty),
                     "price": str(price), "timeInForce": "GTC"})

    @rule(side=st.sampled_from(["BUY", "SELL"]), qty=st.integers(1, 3),
          symbol=st.sampled_from(SYMBOLS))
    def market(self, side: str, qty: int, symbol: str) -> None:
        self.engine("new_order", self.sim.account.api_key,
                    {"symbol": symbol, "side": side, "type": "MARKET", "quantity": str(qty)})

    @rule(index=st.integers(0, 50))
    def cancel(self, index: int) -> None:
        orders = self.sim.state().open_orders
        if not orders:
            return
        oid = sorted(orders)[index % len(orders)]
        self.engine("cancel_order", self.sim.account.api_key,
                    {"symbol": orders[oid].symbol, "orderId": str(oid)})

    @rule(symbol=st.sampled_from(SYMBOLS), permille=st.integers(-40, 40))
    def move_price(self, symbol: str, permille: int) -> None:
        mark = self.sim.exchange.mark_price(symbol)
        self.engine("set_mark_price", symbol,
                    (mark * (1 + Decimal(permille) / 1000)).quantize(Decimal("0.1")))

    @rule(symbol=st.sampled_from(SYMBOLS), rate=st.integers(-10, 10))
    def funding(self, symbol: str, rate: int) -> None:
        self.engine("apply_funding", symbol, Decimal(rate) / 10_000)

    @rule(asset=st.sampled_from(["BTC", "ETH"]), amount=st.integers(1, 100))
    def deposit(self, asset: str, amount: int) -> None:
        self.engine("deposit", self.sim.account.api_key, asset, Decimal(amount) / 100)

    @rule(symbol=st.sampled_from(SYMBOLS), leverage=st.integers(1, 25))
    def leverage(self, symbol: str, leverage: int) -> None:
        self.engine("change_leverage", self.sim.account.api_key,
                    {"symbol": symbol, "leverage": str(leverage)})

    # ------------------------------------------------------------------ faults

    @rule()
    def disconnect(self) -> None:
        self.sim.faults.drop_connections()
        self.dirty = True

    @rule()
    def expire_key(self) -> None:
        self.sim.faults.expire_listen_key()
        self.dirty = True

    @rule(n=st.integers(1, 3))
    def drop_events(self, n: int) -> None:
        self.sim.faults.drop_next_events(n)

    @rule(n=st.integers(1, 3))
    def duplicate_events(self, n: int) -> None:
        self.sim.faults.duplicate_next_event(n)

    @rule(n=st.integers(1, 6), status=st.sampled_from([503, 429]))
    def fail_rest(self, n: int, status: int) -> None:
        self.sim.faults.fail_next_rest(n, status=status, code=-1001 if status == 503 else -1003)

    @rule()
    def malformed_frame(self) -> None:
        self.sim.faults.send_malformed_frame()
        self.dirty = True

    @rule(seconds=st.sampled_from([0.1, 1.0, 5.0]))
    def wait(self, seconds: float) -> None:
        self.run(self.sim.advance(seconds))

    # ------------------------------------------------------------------ the invariant

    @precondition(lambda self: self.dirty)
    @invariant()
    def mirror_equals_exchange(self) -> None:
        self.dirty = False

        async def check() -> None:
            await self.settle()
            undelivered = sum(1 for e in self.sim.emitted() if not e.delivered)
            if undelivered != self.undelivered_seen:
                # events were dropped without any sign: only a resync can see it
                self.undelivered_seen = undelivered
                resync = asyncio.ensure_future(self.mirror.resync())
                while not resync.done():  # a pending REST fault makes it retry on the clock
                    await self.sim.advance(0.25)
                await resync
            assert mirrored(self.mirror) == expected(self.sim.state())
            assert not self.mirror.stale

        self.run(check())
        while self.sub._queue:
            change = self.sub._queue.popleft()
            if change.kind == "fill":
                self.fills.append(change.key)
        assert len(self.fills) == len(set(self.fills)), "a fill was reported twice"
        trades = {(e.event.order.order_id, e.event.order.trade_id) for e in self.sim.emitted()
                  if getattr(e.event, "order", None) is not None and e.event.order.trade_id}
        assert set(self.fills) <= trades


MirrorMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_mirror_against_simulator = MirrorMachine.TestCase
