"""``cmfutures demo``: the whole product on one screen, offline, with no keys.

An in-process :class:`~..simulator.Simulator` (real time) hosts a demo account. A script
trades on it over REST (orders, fills, a leverage change, funding, a margin call) and injects
the failures the library exists to survive (a dropped connection, an expired listen key). An
:class:`~..mirror.AccountMirror` follows the account through its
:class:`~..stream.UserDataStream`; the dashboard shows balances, positions, open orders, recent
events and stream health. At the end the mirror is compared with the simulator's own books.

On a terminal the dashboard is a live ``rich`` screen; otherwise (a pipe, CI) every event and
step is printed as a line. Ctrl-C stops cleanly; ``--duration`` stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from .render import event_type, summary, to_text_line

_STEP_PAUSE = 1.0
_RECENT = 10


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand to ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="watch the stream and the account mirror survive faults, offline (no keys needed)",
        description=(
            "Run a local exchange simulator with a demo account, trade on it, inject a "
            "disconnect and an expired listen key, and show the account mirror staying exact."
        ),
    )
    parser.add_argument(
        "--duration", type=float, metavar="SECONDS", help="stop after this many seconds"
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=_STEP_PAUSE,
        metavar="SECONDS",
        help=f"pause between scripted steps (default {_STEP_PAUSE})",
    )
    parser.add_argument(
        "--plain", action="store_true", help="print lines even on a terminal (no dashboard)"
    )
    parser.add_argument("--seed", type=int, default=7, help="simulator random seed")
    parser.add_argument(
        "--accounts",
        type=int,
        metavar="N",
        help="the pool demo: N simulated accounts in one StreamPool, a mirror each; exits 0 "
        "only if every mirror equals the simulator's books",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; 0 if the mirror matched the simulator at the end, 1 otherwise."""
    if args.pace < 0:
        raise ValueError("--pace must be zero or positive")
    if getattr(args, "accounts", None) is not None:
        from .pool_demo import run_pool_demo

        return run_pool_demo(args.accounts, args.pace, args.seed, args.duration)
    live = sys.stdout.isatty() and not args.plain
    demo = Demo(pace=args.pace, seed=args.seed, live=live)
    try:
        return asyncio.run(demo.main(args.duration))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


class Demo:
    """The scripted demo: a simulator, a trading script, a mirror, and a view of them."""

    def __init__(self, *, pace: float, seed: int, live: bool) -> None:
        self.pace = pace
        self.seed = seed
        self.live = live
        self.recent: collections.deque[str] = collections.deque(maxlen=_RECENT)
        self.step_text = "starting"
        self.sim: Any = None
        self.mirror: Any = None
        self.stream: Any = None
        self.trade: Any = None
        self.margin_calls = 0
        self.last_order_id: int | None = None

    # ------------------------------------------------------------------ output

    def _say(self, line: str) -> None:
        if not self.live:
            print(line, flush=True)

    def _on_message(self, message: Any) -> None:
        from ..events import MarginCall

        if isinstance(message, MarginCall):
            self.margin_calls += 1
        now = self.sim.clock.time()
        self.recent.append(f"{event_type(message):<20} {summary(message)}")
        self._say(to_text_line(message, now))

    def _step(self, text: str) -> None:
        self.step_text = text
        self._say(f"== {text}")

    # ------------------------------------------------------------------ main

    async def main(self, duration: float | None) -> int:
        from ..async_api_client import AsyncApiClient
        from ..clock import SystemClock
        from ..mirror import AccountMirror
        from ..simulator import Simulator
        from ..stream import UserDataStream

        clock = SystemClock()
        accounts = [{"balances": {"BTC": Decimal("1"), "ETH": Decimal("0.2")}}]
        async with Simulator(clock=clock, seed=self.seed, accounts=accounts) as sim:
            self.sim = sim
            self._say(f"simulator: rest {sim.rest_url}  ws {sim.stream_url}")
            config = sim.configuration()
            async with AsyncApiClient(config) as client:
                from ..api.trade_api import TradeApi

                self.trade = TradeApi(client)
                self.stream = UserDataStream(
                    api_client=client, clock=clock, backoff_initial=0.2, backoff_max=2.0
                )
                self.stream.on(object, self._on_message)
                async with AccountMirror(api_client=client, clock=clock, stream=self.stream) as m:
                    self.mirror = m
                    await m.wait_for(lambda mm: not mm.stale, timeout=10)
                    await self._run_with_view(duration)
                    return await self._finish()

    async def _run_with_view(self, duration: float | None) -> None:
        work = asyncio.ensure_future(self._script())
        view = asyncio.ensure_future(self._dashboard()) if self.live else None
        try:
            if duration is None:
                await work
                # after the script: a slow random walk until Ctrl-C
                while True:
                    await asyncio.sleep(self.pace or 1.0)
                    self.sim.exchange.random_walk()
            else:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(work), timeout=duration)
        finally:
            for task in (work, view):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    async def _pause(self) -> None:
        await asyncio.sleep(self.pace)

    # ------------------------------------------------------------------ the script

    async def _script(self) -> None:
        exchange = self.sim.exchange
        steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("set BTCUSD_PERP leverage to 20x", self._leverage("BTCUSD_PERP", 20)),
            ("market buy 10 BTCUSD_PERP contracts", self._order("BTCUSD_PERP", "BUY", 10)),
            (
                "rest a limit buy 5 BTCUSD_PERP 1% below mark",
                self._limit("BTCUSD_PERP", "BUY", 5, "0.99"),
            ),
            ("mark price falls 1.5%: the limit order fills", self._move("BTCUSD_PERP", "-0.015")),
            ("funding: 0.01% on BTCUSD_PERP", self._funding("BTCUSD_PERP", "0.0001")),
            ("inject a dropped connection", self._fault(lambda f: f.drop_connections())),
            ("market sell 4 BTCUSD_PERP while recovering", self._order("BTCUSD_PERP", "SELL", 4)),
            ("expire the listen key now", self._fault(lambda f: f.expire_listen_key())),
            ("set ETHUSD_PERP leverage to 50x", self._leverage("ETHUSD_PERP", 50)),
            ("market buy 2500 ETHUSD_PERP contracts", self._order("ETHUSD_PERP", "BUY", 2500)),
            ("ETH mark price slides until a margin call", self._margin_call("ETHUSD_PERP")),
            ("close the ETH position", self._order("ETHUSD_PERP", "SELL", 2500)),
            (
                "rest a limit sell 3 BTCUSD_PERP 2% above mark",
                self._limit("BTCUSD_PERP", "SELL", 3, "1.02"),
            ),
            (
                "rest a limit buy 2 BTCUSD_PERP 3% below mark",
                self._limit("BTCUSD_PERP", "BUY", 2, "0.97"),
            ),
            ("cancel that buy order", self._cancel_last("BTCUSD_PERP")),
        ]
        from ..exceptions import ApiException

        for text, action in steps:
            self._step(text)
            try:
                await action()
            except ApiException as exc:  # the exchange said no: show it, carry on
                self._say(f"   the exchange refused: {exc.code} {exc.msg}")
            await self._pause()
        self._step(
            "script done; BTC/ETH marks: "
            + ", ".join(f"{s} {exchange.mark_price(s)}" for s in ("BTCUSD_PERP", "ETHUSD_PERP"))
        )

    def _order(self, symbol: str, side: str, quantity: int) -> Callable[[], Awaitable[Any]]:
        async def action() -> Any:
            return await self.trade.cmfutures_create_order_v1(
                symbol=symbol, side=side, type="MARKET", quantity=quantity
            )

        return action

    def _limit(
        self, symbol: str, side: str, quantity: int, factor: str
    ) -> Callable[[], Awaitable[Any]]:
        async def action() -> Any:
            mark = self.sim.exchange.mark_price(symbol)
            price = (mark * Decimal(factor)).quantize(Decimal("0.1"))
            order = await self.trade.cmfutures_create_order_v1(
                symbol=symbol,
                side=side,
                type="LIMIT",
                quantity=quantity,
                price=price,
                time_in_force="GTC",
            )
            self.last_order_id = order.order_id
            return order

        return action

    def _cancel_last(self, symbol: str) -> Callable[[], Awaitable[Any]]:
        async def action() -> Any:
            return await self.trade.cmfutures_delete_order_v1(
                symbol=symbol, order_id=self.last_order_id
            )

        return action

    def _leverage(self, symbol: str, leverage: int) -> Callable[[], Awaitable[Any]]:
        async def action() -> Any:
            return await self.trade.cmfutures_create_leverage_v1(symbol=symbol, leverage=leverage)

        return action

    def _move(self, symbol: str, change: str) -> Callable[[], Awaitable[None]]:
        async def action() -> None:
            exchange = self.sim.exchange
            new = (exchange.mark_price(symbol) * (1 + Decimal(change))).quantize(Decimal("0.1"))
            exchange.set_mark_price(symbol, new)

        return action

    def _funding(self, symbol: str, rate: str) -> Callable[[], Awaitable[None]]:
        async def action() -> None:
            self.sim.exchange.apply_funding(symbol, Decimal(rate))

        return action

    def _fault(self, inject: Callable[[Any], Any]) -> Callable[[], Awaitable[None]]:
        async def action() -> None:
            inject(self.sim.faults)

        return action

    def _margin_call(self, symbol: str) -> Callable[[], Awaitable[None]]:
        async def action() -> None:
            before = self.margin_calls
            for _ in range(60):
                if self.margin_calls > before:
                    return
                await self._move(symbol, "-0.004")()
                await asyncio.sleep(min(self.pace, 0.25))
            self._say("(no margin call within 60 price steps)")

        return action

    # ------------------------------------------------------------------ verdict

    async def _finish(self) -> int:
        mirror = self.mirror
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            await mirror.resync()
        mismatches = compare_with_simulator(mirror, self.sim.state())
        stats = self.stream.stats
        lines = [
            f"stream: {stats.events} events, {stats.reconnects} reconnects, {stats.gaps} gaps, "
            f"{stats.key_renewals} listen-key renewals, {stats.duplicates_dropped} duplicates "
            "dropped",
        ]
        lines += [
            f"balance {b.asset}: wallet {b.wallet_balance} cross {b.cross_wallet_balance}"
            for b in mirror.balances.values()
        ]
        lines += [
            f"position {p.symbol} {p.position_side}: {p.position_amount} @ {p.entry_price}"
            for p in mirror.positions.values()
            if p.position_amount
        ]
        lines.append(f"open orders: {len(mirror.open_orders)}")
        if mismatches:
            lines.append("final state matches the simulator: NO")
            lines += [f"  mismatch: {m}" for m in mismatches]
        else:
            lines.append("final state matches the simulator: yes")
        print("\n".join(lines), flush=True)
        return 1 if mismatches else 0

    # ------------------------------------------------------------------ dashboard

    async def _dashboard(self) -> None:
        from rich.live import Live

        with Live(self._render(), refresh_per_second=8, screen=False) as live:
            while True:
                await asyncio.sleep(0.125)
                live.update(self._render())

    def _render(self) -> Any:
        from rich import box
        from rich.console import Group
        from rich.table import Table

        def table(title: str, *columns: str, header: bool = True) -> Table:
            t = Table(title=title, box=box.SIMPLE_HEAD, expand=True, show_header=header)
            for column in columns:
                t.add_column(column, overflow="fold")
            return t

        mirror = self.mirror
        balances = table("Balances", "asset", "wallet", "cross wallet")
        positions = table("Positions", "symbol", "side", "amount", "entry", "mark", "lev")
        orders = table("Open orders", "id", "symbol", "side", "type", "qty", "price", "filled")
        health = table("Stream health", "what", "value", header=False)
        events = table("Recent events", "event", header=False)
        if mirror is not None:
            for b in mirror.balances.values():
                balances.add_row(b.asset, str(b.wallet_balance), str(b.cross_wallet_balance))
            for p in mirror.positions.values():
                if p.position_amount:
                    positions.add_row(
                        p.symbol,
                        p.position_side,
                        str(p.position_amount),
                        str(p.entry_price.quantize(Decimal("0.01"))),
                        str(self.sim.exchange.mark_price(p.symbol)),
                        str(p.leverage or ""),
                    )
            for o in mirror.open_orders.values():
                orders.add_row(
                    str(o.order_id),
                    o.symbol,
                    o.side,
                    o.order_type,
                    str(o.original_quantity),
                    str(o.price),
                    str(o.executed_quantity),
                )
        if self.stream is not None:
            s = self.stream.stats
            lag = f"{s.lag.last * 1000:.1f} ms" if s.lag.last is not None else "-"
            state = "[green]connected[/green]" if s.connected else "[red]DISCONNECTED[/red]"
            exact = "[yellow]stale, resyncing[/yellow]" if mirror and mirror.stale else "exact"
            health.add_row("stream", state)
            health.add_row("mirror", exact)
            health.add_row("lag", lag)
            health.add_row("events", str(s.events))
            health.add_row("reconnects / gaps", f"{s.reconnects} / {s.gaps}")
            health.add_row("listen key", f"{s.listen_key or '-'} ({s.key_renewals} renewals)")
        for line in self.recent:
            events.add_row(line)
        top = Table.grid(expand=True)
        top.add_column(ratio=1)
        top.add_column(ratio=1)
        top.add_row(balances, health)
        middle = Table.grid(expand=True)
        middle.add_column(ratio=1)
        middle.add_column(ratio=1)
        middle.add_row(positions, orders)
        title = f"[bold]cmfutures demo[/bold]  step: {self.step_text}  (Ctrl-C to stop)"
        return Group(title, top, middle, events)


def compare_with_simulator(mirror: Any, state: Any) -> list[str]:
    """Differences between the mirror's views and the simulator's books (empty if equal).

    Compares wallet and cross wallet balances, every non-flat position's amount and entry
    price, and the set of open orders with their filled quantity: Decimal equality.
    """
    problems: list[str] = []
    for asset, truth in state.balances.items():
        mine = mirror.balances.get(asset)
        if mine is None:
            problems.append(f"balance {asset} missing")
        elif (mine.wallet_balance, mine.cross_wallet_balance) != (
            truth.wallet_balance,
            truth.cross_wallet_balance,
        ):
            problems.append(
                f"balance {asset}: mirror {mine.wallet_balance}/{mine.cross_wallet_balance} "
                f"simulator {truth.wallet_balance}/{truth.cross_wallet_balance}"
            )
    for key, truth in state.positions.items():
        mine = mirror.positions.get(key)
        amount = mine.position_amount if mine is not None else Decimal(0)
        if amount != truth.position_amount or (
            truth.position_amount and mine is not None and mine.entry_price != truth.entry_price
        ):
            problems.append(f"position {key}: mirror {mine} simulator {truth}")
    if set(mirror.open_orders) != set(state.open_orders):
        problems.append(
            f"open orders: mirror {sorted(mirror.open_orders)} "
            f"simulator {sorted(state.open_orders)}"
        )
    else:
        for order_id, truth in state.open_orders.items():
            if mirror.open_orders[order_id].executed_quantity != truth.executed_qty:
                problems.append(f"order {order_id} filled quantity differs")
    return problems
