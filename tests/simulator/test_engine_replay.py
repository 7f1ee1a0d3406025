"""Snapshot == replay: folding the emitted events gives exactly engine.state() and REST.

Random orders, price moves, funding, leverage and margin-type changes and deposits are
applied; every emitted event goes through encode/decode (the wire), and the decoded events
are folded the way a client mirror folds them (ACCOUNT_UPDATE rows upserted, order updates
by order id, terminal statuses removed). The fold must equal the engine's exact state and the
REST snapshots, number for number.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal as D
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance.derivatives.cmfutures.events import (
    AccountConfigUpdate,
    AccountUpdate,
    MarginCall,
    OrderStatus,
    OrderTradeUpdate,
    decode_event,
    encode_event,
)
from binance.derivatives.cmfutures.simulator.engine import (
    EngineOptions,
    Exchange,
    SimError,
)

T0 = 1767225600000


@dataclass
class Fold:
    wallet: dict[str, tuple[D, D]] = field(default_factory=dict)
    positions: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    leverage: dict[str, int] = field(default_factory=dict)
    last_e: int = 0
    cum: dict[int, D] = field(default_factory=dict)
    margin_calls: int = 0

    def apply(self, raw: bytes) -> None:
        ev = decode_event(raw)
        assert not isinstance(ev, MarginCall) or ev.account_alias == "Mirr"
        e = ev.event_time
        assert e is not None and e >= self.last_e, "E must not go backwards"
        self.last_e = e
        if isinstance(ev, AccountUpdate):
            assert ev.account_alias == "Mirr"
            for b in ev.data.balances:
                self.wallet[b.asset] = (b.wallet_balance, b.cross_wallet_balance)
            for p in ev.data.positions:
                self.positions[(p.symbol, p.position_side)] = {
                    "pa": p.position_amount, "ep": p.entry_price, "bep": p.break_even_price,
                    "cr": p.accumulated_realized, "mt": p.margin_type, "iw": p.isolated_wallet}
        elif isinstance(ev, OrderTradeUpdate):
            o = ev.order
            assert o.cumulative_filled_quantity >= self.cum.get(o.order_id, D(0))
            self.cum[o.order_id] = o.cumulative_filled_quantity
            assert ev.transaction_time <= e
            if o.order_status in OrderStatus.TERMINAL:
                self.orders.pop(o.order_id, None)
            else:
                self.orders[o.order_id] = {
                    "client_order_id": o.client_order_id, "symbol": o.symbol, "side": o.side,
                    "type": o.order_type, "time_in_force": o.time_in_force,
                    "position_side": o.position_side, "reduce_only": o.is_reduce_only,
                    "price": o.original_price, "orig_qty": o.original_quantity,
                    "executed_qty": o.cumulative_filled_quantity, "avg_price": o.average_price,
                    "status": o.order_status, "update_time": o.trade_time}
        elif isinstance(ev, AccountConfigUpdate):
            assert ev.leverage is not None
            self.leverage[ev.leverage.symbol] = ev.leverage.leverage
        elif isinstance(ev, MarginCall):
            self.margin_calls += 1


MARKET = st.tuples(st.just("market"), st.integers(0, 2), st.booleans(), st.integers(1, 200),
                   st.booleans())
LIMIT = st.tuples(st.just("limit"), st.integers(0, 2), st.booleans(), st.integers(1, 200),
                  st.integers(-40, 40), st.sampled_from(["GTC", "IOC", "FOK", "GTX"]),
                  st.booleans())
MARK = st.tuples(st.just("mark"), st.integers(0, 2), st.integers(-800, 800))
OPS = st.one_of(
    MARKET, MARKET, LIMIT, LIMIT, LIMIT, MARK, MARK,
    st.tuples(st.just("reduce"), st.integers(0, 2), st.booleans(), st.integers(1, 200)),
    st.tuples(st.just("cancel"), st.integers(0, 10)),
    st.tuples(st.just("amend"), st.integers(0, 10), st.integers(-5, 5), st.integers(-20, 20)),
    st.tuples(st.just("cancel_all"), st.integers(0, 2)),
    st.tuples(st.just("walk")),
    st.tuples(st.just("funding"), st.integers(0, 2), st.integers(-30, 30)),
    st.tuples(st.just("leverage"), st.integers(0, 2), st.integers(1, 100)),
    st.tuples(st.just("margin_type"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("deposit"), st.booleans(), st.integers(-50, 50)),
    st.tuples(st.just("advance"), st.integers(0, 2000)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(OPS, min_size=8, max_size=50),
    hedge=st.booleans(),
    partial=st.sampled_from([None, 1, 3]),
    positions_mode=st.sampled_from(["changed", "all"]),
    btc=st.sampled_from([D("0.003"), D("0.05"), D("1")]),
    seed=st.integers(0, 2**16),
)
def test_fold_of_events_equals_state_and_rest(
    ops: list[tuple[Any, ...]], hedge: bool, partial: int | None, positions_mode: str,
    btc: D, seed: int,
) -> None:
    run(ops, hedge, partial, positions_mode, btc, seed, leverage=None)


STRESS_OPS = st.one_of(
    MARKET, LIMIT, st.tuples(st.just("mark"), st.integers(0, 2), st.integers(-600, 600)),
    st.tuples(st.just("funding"), st.integers(0, 2), st.integers(-30, 30)),
    st.tuples(st.just("margin_type"), st.integers(0, 2), st.booleans()),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(STRESS_OPS, min_size=10, max_size=40),
    hedge=st.booleans(),
    partial=st.sampled_from([None, 2]),
    seed=st.integers(0, 2**16),
)
def test_fold_under_high_leverage_with_margin_calls(
    ops: list[tuple[Any, ...]], hedge: bool, partial: int | None, seed: int,
) -> None:
    run(ops, hedge, partial, "changed", D("0.01"), seed, leverage=100)


def run(
    ops: list[tuple[Any, ...]], hedge: bool, partial: int | None, positions_mode: str,
    btc: D, seed: int, leverage: int | None,
) -> Fold:
    now = [T0]
    opts = EngineOptions(partial_fill_contracts=partial,
                         account_update_positions=positions_mode)  # type: ignore[arg-type]
    ex = Exchange(lambda: now[0], random.Random(seed), opts)
    fold = Fold()
    ex.on_event = lambda key, ev: fold.apply(encode_event(ev))
    ex.add_account("key", balances={"BTC": btc, "ETH": D("0.5")}, alias="Mirr",
                   hedge_mode=hedge)
    initial = ex.state("key")
    symbols = ex.symbols()
    for asset, bal in initial.balances.items():
        fold.wallet[asset] = (bal.wallet_balance, bal.cross_wallet_balance)
    if leverage is not None:
        for symbol in ex.symbols():
            ex.change_leverage("key", {"symbol": symbol, "leverage": str(leverage)})
        initial = ex.state("key")
    fold.leverage = dict(initial.leverage)

    def side_params(is_buy: bool, closing: bool) -> dict[str, str]:
        side = "BUY" if is_buy else "SELL"
        if not hedge:
            return {"side": side, **({"reduceOnly": "true"} if closing else {})}
        opens_long = is_buy != closing
        return {"side": side, "positionSide": "LONG" if opens_long else "SHORT"}

    for op in ops:
        kind = op[0]
        try:
            if kind == "market":
                _, i, buy, qty, closing = op
                ex.new_order("key", {"symbol": symbols[i], "type": "MARKET",
                                     "quantity": str(qty), **side_params(buy, closing)})
            elif kind == "limit":
                _, i, buy, qty, ticks, tif, closing = op
                c = ex.contracts[symbols[i]]
                price = ex.mark_price(symbols[i]) + ticks * c.tick_size * 10
                price = (price / c.tick_size).to_integral_value() * c.tick_size
                ex.new_order("key", {"symbol": symbols[i], "type": "LIMIT", "quantity": str(qty),
                                     "price": str(price), "timeInForce": tif,
                                     **side_params(buy, closing)})
            elif kind == "reduce":
                _, i, buy, qty = op
                ex.new_order("key", {"symbol": symbols[i], "type": "MARKET",
                                     "quantity": str(qty), **side_params(buy, True)})
            elif kind == "cancel":
                open_ids = sorted(ex.state("key").open_orders)
                if open_ids:
                    oid = open_ids[op[1] % len(open_ids)]
                    sym = ex.state("key").open_orders[oid].symbol
                    ex.cancel_order("key", {"symbol": sym, "orderId": str(oid)})
            elif kind == "amend":
                open_orders = sorted(ex.state("key").open_orders.values(),
                                     key=lambda o: o.order_id)
                if open_orders:
                    o = open_orders[op[1] % len(open_orders)]
                    tick = ex.contracts[o.symbol].tick_size
                    ex.modify_order("key", {
                        "symbol": o.symbol, "side": o.side, "orderId": str(o.order_id),
                        "quantity": str(max(1, o.orig_qty + op[2])),
                        "price": str(o.price + op[3] * tick * 10)})
            elif kind == "cancel_all":
                ex.cancel_all_orders("key", {"symbol": symbols[op[1]]})
            elif kind == "mark":
                _, i, bp = op
                c = ex.contracts[symbols[i]]
                new = ex.mark_price(symbols[i]) * (1 + D(bp) / 10000)
                ex.set_mark_price(symbols[i], max(c.tick_size, new.quantize(c.tick_size)))
            elif kind == "walk":
                ex.random_walk()
            elif kind == "funding":
                ex.apply_funding(symbols[op[1]], D(op[2]) / 10000)
            elif kind == "leverage":
                ex.change_leverage("key", {"symbol": symbols[op[1]], "leverage": str(op[2])})
            elif kind == "margin_type":
                ex.change_margin_type("key", symbols[op[1]], op[2])
            elif kind == "deposit":
                ex.deposit("key", "BTC" if op[1] else "ETH", D(op[2] or 1) / 1000)
            elif kind == "advance":
                now[0] += op[1]
        except SimError:
            pass
        except ValueError as exc:
            assert "withdraw" in str(exc)
        check(ex, fold, initial.margin_types)
    return fold


def check(ex: Exchange, fold: Fold, initial_mt: Any) -> None:
    state = ex.state("key")
    for asset, (wb, cw) in fold.wallet.items():
        assert state.balances[asset].wallet_balance == wb, asset
        assert state.balances[asset].cross_wallet_balance == cw, asset
    for key, pos in state.positions.items():
        default = {"pa": D(0), "ep": D(0), "bep": D(0), "cr": D(0), "iw": D(0),
                   "mt": initial_mt[key[0]]}
        folded = fold.positions.get(key, default)
        assert folded == {"pa": pos.position_amount, "ep": pos.entry_price,
                          "bep": pos.break_even_price, "cr": pos.accumulated_realized,
                          "mt": pos.margin_type, "iw": pos.isolated_wallet}, key
    assert set(fold.orders) == set(state.open_orders)
    for oid, order in state.open_orders.items():
        folded = fold.orders[oid]
        for name, value in folded.items():
            assert getattr(order, name) == value, (oid, name)
    assert fold.leverage == dict(state.leverage)

    # REST agrees with the exact state, number for number
    acc = ex.account("key")
    for row in acc["assets"]:
        bal = state.balances[row["asset"]]
        assert D(row["walletBalance"]) == bal.wallet_balance
        assert D(row["crossWalletBalance"]) == bal.cross_wallet_balance
        assert D(row["availableBalance"]) == bal.available_balance
        assert D(row["unrealizedProfit"]) == bal.unrealized_profit
    for row in acc["positions"]:
        pos = state.positions[(row["symbol"], row["positionSide"])]
        assert D(row["positionAmt"]) == pos.position_amount
        assert D(row["entryPrice"]) == pos.entry_price
        assert D(row["breakEvenPrice"]) == pos.break_even_price
        assert D(row["unrealizedProfit"]) == pos.unrealized_profit
        assert int(row["leverage"]) == pos.leverage
        assert row["isolated"] == (pos.margin_type == "isolated")
        assert D(row["isolatedWallet"]) == pos.isolated_wallet
        assert D(row["notionalValue"]) == pos.notional_value
    for row in ex.position_risk("key", {}):
        pos = state.positions[(row["symbol"], row["positionSide"])]
        assert D(row["positionAmt"]) == pos.position_amount
        # Binance writes markPrice "0.00000000" on flat rows (flat_row_mark_price="zero")
        assert D(row["markPrice"]) == (pos.mark_price if pos.position_amount else 0)
        assert D(row["notionalValue"]) == pos.notional_value
        assert D(row["isolatedWallet"]) == (
            pos.isolated_wallet if pos.margin_type == "isolated" else 0)
        assert row["marginType"] == pos.margin_type
        iso = pos.isolated_wallet + pos.unrealized_profit if pos.margin_type == "isolated" else 0
        assert D(row["isolatedMargin"]) == iso
    for brow in ex.balance("key"):
        assert D(brow["balance"]) == state.balances[brow["asset"]].wallet_balance
    rows = ex.open_orders("key", {})
    assert [r["orderId"] for r in rows] == list(state.open_orders)
    for r in rows:
        order = state.open_orders[r["orderId"]]
        assert D(r["executedQty"]) == order.executed_qty
        assert D(r["avgPrice"]) == order.avg_price
        assert r["status"] == order.status and r["updateTime"] == order.update_time
