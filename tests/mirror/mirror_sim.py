"""Helpers for the mirror's simulator-backed tests: compare the mirror with the exchange's own
state, and let simulated time run until the mirror has settled."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from binance.derivatives.cmfutures.mirror import AccountMirror


def expected(state: Any) -> dict[str, Any]:
    """The exchange's truth, restricted to what the mirror promises to keep exact."""
    return {
        "balances": {a: (b.wallet_balance, b.cross_wallet_balance)
                     for a, b in state.balances.items()},
        "positions": {k: (p.position_amount, p.entry_price, p.break_even_price, p.margin_type,
                          p.isolated_wallet, p.leverage)
                      for k, p in state.positions.items()},
        "orders": {i: (o.symbol, o.client_order_id, o.side, o.type, o.time_in_force,
                       o.position_side, o.reduce_only, o.price, o.orig_qty, o.executed_qty,
                       o.avg_price, o.status)
                   for i, o in state.open_orders.items()},
        "leverage": dict(state.leverage),
    }


def mirrored(mirror: Any) -> dict[str, Any]:
    view = mirror.view
    return {
        "balances": {a: (b.wallet_balance, b.cross_wallet_balance)
                     for a, b in view.balances.items()},
        "positions": {k: (p.position_amount, p.entry_price, p.break_even_price, p.margin_type,
                          p.isolated_wallet, p.leverage)
                      for k, p in view.positions.items()},
        "orders": {i: (o.symbol, o.client_order_id, o.side, o.order_type, o.time_in_force,
                       o.position_side, o.reduce_only, o.price, o.original_quantity,
                       o.executed_quantity, o.average_price, o.status)
                   for i, o in view.open_orders.items()},
        "leverage": dict(view.leverage),
    }


def assert_matches(mirror: Any, sim: Any, account: Any = None) -> None:
    """Decimal equality of every mirrored field with the simulator's state."""
    want = expected(sim.state(account))
    got = mirrored(mirror)
    for section in want:
        assert got[section] == want[section], section


def matches(mirror: Any, sim: Any, account: Any = None) -> bool:
    return mirrored(mirror) == expected(sim.state(account))


async def settle(sim: Any, mirror: AccountMirror, *, step: float = 0.25,
                 limit: float = 120.0) -> float:
    """Advance simulated time until the mirror is fresh with no resync pending (stream
    reconnects, retries and snapshots all run on the clock). Returns the time it took."""
    waited = 0.0
    await sim.advance(0.05)
    while mirror.stale or mirror._state.resync_pending:
        if waited >= limit:
            raise AssertionError(f"mirror still stale after {limit} s of simulated time")
        await sim.advance(step)
        waited += step
    await sim.advance(0.05)
    return waited


def limit_order(sim: Any, account: Any, side: str, qty: int, price: str,
                symbol: str = "BTCUSD_PERP", **extra: str) -> dict[str, Any]:
    params = {"symbol": symbol, "side": side, "type": "LIMIT", "quantity": str(qty),
              "price": price, "timeInForce": "GTC", **extra}
    result: dict[str, Any] = sim.exchange.new_order(account.api_key, params)
    return result


def market_order(sim: Any, account: Any, side: str, qty: int,
                 symbol: str = "BTCUSD_PERP", **extra: str) -> dict[str, Any]:
    params = {"symbol": symbol, "side": side, "type": "MARKET", "quantity": str(qty), **extra}
    result: dict[str, Any] = sim.exchange.new_order(account.api_key, params)
    return result


def D(x: str | int) -> Decimal:
    return Decimal(x)
