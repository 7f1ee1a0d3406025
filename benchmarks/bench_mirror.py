"""Account mirror benchmark: events applied per second, and resync time.

Run: ``python benchmarks/bench_mirror.py`` (``--quick`` for a smoke run). Prints a table:

* core: :class:`MirrorState.apply` on a realistic event mix (orders with fills and
  cancellations, ACCOUNT_UPDATEs), publishing a new immutable view after every event, and
  publishing once per batch of 100 events (what the driver does under load);
* core resync: merging a snapshot of 50 positions and 500 open orders (plus a 100-event buffer);
* end to end (if the simulator is available): the same account on the simulator, one full
  resync through REST on loopback (three signed requests, decoding, merge), and events from
  the simulator's engine through its WebSocket, the stream and the mirror.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from binance.derivatives.cmfutures.events import (
    AccountUpdate,
    AccountUpdateData,
    BalanceUpdate,
    Event,
    OrderTradeUpdate,
    OrderUpdate,
    PositionUpdate,
)
from binance.derivatives.cmfutures.mirror.core import MirrorState, Snapshot
from binance.derivatives.cmfutures.mirror.views import BalanceView, OrderView, PositionView

D = Decimal


def _order(oid: int, t: int, status: str, z: int, tid: int) -> OrderTradeUpdate:
    return OrderTradeUpdate(
        event_time=t + 1,
        transaction_time=t,
        order=OrderUpdate(
            symbol="BTCUSD_PERP", client_order_id=f"c{oid}", side="BUY", order_type="LIMIT",
            time_in_force="GTC", original_quantity=D(3), original_price=D("64000.1"),
            average_price=D("64000.1") if z else D(0), stop_price=D(0),
            execution_type="TRADE" if tid else ("NEW" if status == "NEW" else "CANCELED"),
            order_status=status, order_id=oid, last_filled_quantity=D(1 if tid else 0),
            cumulative_filled_quantity=D(z), last_filled_price=D("64000.1") if tid else D(0),
            trade_time=t, trade_id=tid, commission=D("0.00000031") if tid else None,
            commission_asset="BTC" if tid else None, position_side="BOTH",
            is_reduce_only=False, close_position=False, original_order_type="LIMIT",
            working_type="CONTRACT_PRICE",
        ),
    )


def _account(t: int, n: int) -> AccountUpdate:
    return AccountUpdate(
        event_time=t + 1,
        transaction_time=t,
        data=AccountUpdateData(
            reason="ORDER",
            balances=(BalanceUpdate(asset="BTC", wallet_balance=D(n) / 1000,
                                    cross_wallet_balance=D(n) / 1000),),
            positions=(PositionUpdate(symbol="BTCUSD_PERP", position_amount=D(n % 50),
                                      entry_price=D("64000.1"), accumulated_realized=D(0),
                                      unrealized_pnl=D(0), margin_type="cross",
                                      isolated_wallet=D(0), position_side="BOTH"),),
        ),
    )


def event_mix(n: int) -> list[Event]:
    """Each order: NEW, two partial fills, FILLED (with an ACCOUNT_UPDATE per fill), or
    NEW then CANCELED; about 500 orders open at any time."""
    events: list[Event] = []
    t, oid, tid = 1_000_000, 0, 0
    while len(events) < n:
        oid += 1
        t += 1
        events.append(_order(oid, t, "NEW", 0, 0))
        if oid > 500:
            old = oid - 500
            t += 1
            if old % 3:
                for z in (1, 2, 3):
                    tid += 1
                    events.append(_order(old, t, "FILLED" if z == 3 else "PARTIALLY_FILLED",
                                         z, tid))
                    events.append(_account(t, tid))
            else:
                events.append(_order(old, t, "CANCELED", 0, 0))
    return events[:n]


def _ready(snapshot: Snapshot | None = None) -> MirrorState:
    s = MirrorState()
    s.begin_resync("initial", 0)
    s.begin_attempt(0)
    s.finish_resync(snapshot or Snapshot(), 0)
    return s


def bench(fn: Callable[[], Any], repeat: int) -> float:
    """Best of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def big_snapshot(positions: int = 50, orders: int = 500) -> Snapshot:
    return Snapshot(
        balances=tuple(BalanceView(asset=a, wallet_balance=D("1.5"), cross_wallet_balance=D("1.5"),
                                   update_time=1) for a in ("BTC", "ETH", "BNB", "XRP", "ADA")),
        positions=tuple(
            PositionView(symbol=f"SYM{i}USD_PERP", position_side="BOTH", position_amount=D(i),
                         entry_price=D("100.5"), leverage=20, update_time=1)
            for i in range(positions)
        ),
        orders=tuple(
            OrderView(order_id=i, symbol=f"SYM{i % positions}USD_PERP", client_order_id=f"c{i}",
                      side="BUY", order_type="LIMIT", time_in_force="GTC",
                      original_quantity=D(3), price=D("100.1"), average_price=D(0),
                      stop_price=D(0), executed_quantity=D(0), status="NEW", update_time=1)
            for i in range(orders)
        ),
    )


def core_rows(quick: bool) -> list[tuple[str, str, str]]:
    n = 20_000 if quick else 200_000
    repeat = 2 if quick else 5
    events = event_mix(n)
    rows: list[tuple[str, str, str]] = []

    def per_event() -> None:
        s = _ready()
        for e in events:
            s.apply(e, 0.0)
            s.publish(0.0)

    def batched() -> None:
        s = _ready()
        for i, e in enumerate(events):
            s.apply(e, 0.0)
            if i % 100 == 99:
                s.publish(0.0)

    for label, fn in (("apply + publish every event", per_event),
                      ("apply, publish every 100 events", batched)):
        secs = bench(fn, repeat)
        rows.append(
            (f"core: {label}", f"{n / secs:,.0f} events/s", f"{secs / n * 1e6:.2f} µs/event")
        )

    snap = big_snapshot()
    buffer = event_mix(600)[-100:]

    def resync() -> None:
        s = _ready(snap)
        s.begin_resync("gap", 0)
        s.begin_attempt(0)
        for e in buffer:
            s.apply(e, 0.0)
        s.finish_resync(snap, 0.0)
        s.publish(0.0)

    secs = bench(resync, repeat * 4)
    rows.append(("core: resync merge+diff, 50 positions / 500 orders", f"{secs * 1e3:.2f} ms",
                 "snapshot -> new state, 100 buffered events, diff"))
    return rows


# ---------------------------------------------------------------------- end to end


async def e2e_rows(quick: bool) -> list[tuple[str, str, str]]:
    try:
        from binance.derivatives.cmfutures.clock import ManualClock
        from binance.derivatives.cmfutures.mirror import AccountMirror
        from binance.derivatives.cmfutures.simulator import Simulator
    except ImportError as exc:  # pragma: no cover - simulator not available
        return [("end to end", "skipped", f"simulator unavailable: {exc}")]
    try:
        return await _e2e(quick, Simulator, AccountMirror, ManualClock)
    except Exception as exc:  # pragma: no cover - report, don't crash the table
        return [("end to end", "failed", f"{type(exc).__name__}: {exc}"[:120])]


async def _e2e(quick: bool, Simulator: Any, AccountMirror: Any, ManualClock: Any,
               ) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    clock = ManualClock()
    async with Simulator(clock=clock) as sim:
        account = big_account(sim, positions=50, orders=500)
        async with AccountMirror(sim.configuration(account), clock=clock) as mirror:
            await until(clock, lambda: not mirror.stale)
            state = sim.state(account)
            assert len(mirror.open_orders) == len(state.open_orders)
            times = []
            for _ in range(3 if quick else 10):
                t0 = time.perf_counter()
                await mirror.resync()
                times.append(time.perf_counter() - t0)
            rows.append((
                f"e2e: resync via REST, {len(mirror.positions)} position rows / "
                f"{len(mirror.open_orders)} orders",
                f"{statistics.median(times) * 1e3:.1f} ms",
                f"median of {len(times)}; min {min(times) * 1e3:.1f} ms (loopback, 3 requests)",
            ))
            n = 300 if quick else 2000
            secs = await event_throughput(sim, account, mirror, n)
            rows.append(("e2e: engine -> WS -> stream -> mirror", f"{n / secs:,.0f} events/s",
                         f"{n} order events (place + cancel), wall time incl. the engine"))
    return rows


def big_account(sim: Any, *, positions: int = 50, orders: int = 500) -> Any:
    """An account with ``positions`` open one-way positions (one per symbol; extra perpetual
    symbols are listed in the engine as needed) and ``orders`` resting limit orders."""
    from binance.derivatives.cmfutures.simulator.contracts import Contract

    ex = sim.exchange
    i = 0
    while len(ex.contracts) < positions:
        symbol = f"X{i}USD_PERP"
        ex.contracts[symbol] = Contract(symbol, f"X{i}USD", f"X{i}", "PERPETUAL", 10,
                                        Decimal("0.01"), 2, 100, 4133404800000, 1597042800000)
        ex._marks[symbol] = Decimal(100)  # bench-only: list a new symbol at mark 100
        i += 1
    account = sim.add_account(balances={c.base_asset: Decimal(1000)
                                        for c in ex.contracts.values()})
    symbols = list(ex.contracts)[:positions]
    for symbol in symbols:
        ex.new_order(account.api_key, {"symbol": symbol, "side": "BUY", "type": "MARKET",
                                       "quantity": "1"})
    for n in range(orders):
        symbol = symbols[n % len(symbols)]
        c = ex.contracts[symbol]
        price = (ex.mark_price(symbol) / 2).quantize(c.tick_size) - c.tick_size * (n // 50)
        ex.new_order(account.api_key, {"symbol": symbol, "side": "BUY", "type": "LIMIT",
                                       "quantity": "1", "price": str(price),
                                       "timeInForce": "GTC"})
    return account


async def until(clock: Any, condition: Callable[[], bool], step: float = 0.25,
                limit: float = 120.0) -> None:
    waited = 0.0
    while not condition():
        if waited > limit:
            raise TimeoutError("condition not met in simulated time")
        await clock.advance(step)
        waited += step


async def event_throughput(sim: Any, account: Any, mirror: Any, n: int) -> float:
    """Wall seconds for ``n`` order events (place + cancel) to go engine -> mirror."""
    ex = sim.exchange
    symbol = "BTCUSD_PERP"
    price = str((ex.mark_price(symbol) / 2).quantize(Decimal("0.1")))
    start = mirror._state.events_applied
    t0 = time.perf_counter()
    for i in range(n // 2):
        order = ex.new_order(account.api_key, {"symbol": symbol, "side": "BUY", "type": "LIMIT",
                                               "quantity": "1", "price": price,
                                               "timeInForce": "GTC"})
        ex.cancel_order(account.api_key, {"symbol": symbol, "orderId": str(order["orderId"])})
        if i % 50 == 0:
            await asyncio.sleep(0)  # let the simulator's sender and the stream run
    target = start + (n // 2) * 2
    await mirror.wait_for(lambda m: m._state.events_applied >= target)
    return time.perf_counter() - t0


def print_table(rows: list[tuple[str, str, str]]) -> None:
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"{'measure':<{w0}}  {'result':>{w1}}  notes")
    print(f"{'-' * w0}  {'-' * w1}  -----")
    for a, b, c in rows:
        print(f"{a:<{w0}}  {b:>{w1}}  {c}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--core-only", action="store_true", help="skip the simulator part")
    args = parser.parse_args()
    rows = core_rows(args.quick)
    if not args.core_only:
        rows += asyncio.run(e2e_rows(args.quick))
    print_table(rows)


if __name__ == "__main__":
    main()
