"""Inverse-contract accounts: positions, coin wallets and the margin arithmetic.

All amounts are in the margin coin (BTC for BTCUSD_*, ETH for ETHUSD_*), rounded to 8
decimal places (half up) wherever a stored or reported amount is produced. Quantities are
whole contracts; a position's amount is signed (negative = short).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from ._money import ZERO, q8
from .brackets import bracket_for
from .contracts import Contract
from .history import IncomeRecord, TradeRecord
from .orders import Order

__all__ = ["Account", "Position", "bep_for", "entry_after_increase", "pnl"]

_ONE = Decimal(1)


def pnl(amount: Decimal, entry: Decimal, price: Decimal, contract_size: int) -> Decimal:
    """Profit (coin) of ``amount`` signed contracts entered at ``entry``, valued at ``price``.

    Long: ``qty * cs * (1/entry - 1/price)``; short: the opposite. Rounded to 8 places.
    """
    if amount == 0 or entry == 0:
        return ZERO
    return q8(amount * contract_size * (_ONE / entry - _ONE / price))


def entry_after_increase(
    amount: Decimal, entry: Decimal, add: Decimal, price: Decimal
) -> Decimal:
    """Harmonic-mean entry price after adding ``add`` contracts at ``price`` to ``amount``
    (absolute values) at ``entry``. Rounded to 8 places."""
    if amount == 0:
        return q8(price)
    return q8((amount + add) / (amount / entry + add / price))


def bep_for(amount: Decimal, entry: Decimal, taker_rate: Decimal) -> Decimal:
    """Break-even price: where closing at taker cost pays back the taker cost of opening.

    Long: ``ep * (1 + r) / (1 - r)``; short: ``ep * (1 - r) / (1 + r)`` (``r`` = taker rate).
    """
    if amount == 0:
        return ZERO
    if amount > 0:
        return q8(entry * (_ONE + taker_rate) / (_ONE - taker_rate))
    return q8(entry * (_ONE - taker_rate) / (_ONE + taker_rate))


@dataclass
class Position:
    """One position row ``(symbol, side)`` of an account."""

    contract: Contract
    side: str
    amount: Decimal = ZERO
    entry_price: Decimal = ZERO
    accumulated_realized: Decimal = ZERO
    isolated_wallet: Decimal = ZERO
    update_time: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.contract.symbol, self.side)

    def notional(self, mark: Decimal) -> Decimal:
        """Absolute position value in coin at ``mark`` (exact)."""
        return abs(self.amount) * self.contract.contract_size / mark


@dataclass(repr=False)
class Account:
    """One API key's futures account. ``repr`` never shows the API key.

    :ivar api_key: the API key (secret-ish: never logged).
    :ivar alias: the 4-letter account alias (``i`` in events, ``accountAlias`` in REST).
    """

    api_key: str
    alias: str
    hedge_mode: bool
    wallet: dict[str, Decimal]
    balance_time: dict[str, int]
    leverage: dict[str, int]
    isolated: dict[str, bool]
    positions: dict[tuple[str, str], Position] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    closed: dict[int, Order] = field(default_factory=dict)
    margin_calls: set[tuple[str, ...]] = field(default_factory=set)
    update_time: int = 0
    trades: deque[TradeRecord] = field(default_factory=deque)
    income: deque[IncomeRecord] = field(default_factory=deque)
    next_tran_id: int = 1_000_000_001

    def __repr__(self) -> str:
        return f"Account(alias={self.alias!r}, hedge_mode={self.hedge_mode})"

    def sides(self) -> tuple[str, ...]:
        return ("BOTH", "LONG", "SHORT") if self.hedge_mode else ("BOTH",)

    def reset_positions(self, contracts: dict[str, Contract]) -> None:
        """Create a flat row for every symbol and position side of the current mode."""
        old = self.positions
        self.positions = {}
        for contract in contracts.values():
            for side in self.sides():
                prev = old.get((contract.symbol, side))
                self.positions[(contract.symbol, side)] = prev or Position(contract, side)

    def close_order(self, order: Order, keep: int = 10_000) -> None:
        """Move ``order`` (now terminal) from the open orders to the closed ones, keeping the
        ``keep`` most recent closed orders for ``GET /dapi/v1/order``."""
        self.orders.pop(order.order_id, None)
        self.closed[order.order_id] = order
        while len(self.closed) > keep:
            del self.closed[next(iter(self.closed))]

    def find_order(self, order_id: int | None, client_order_id: str | None,
                   *, include_closed: bool = False) -> Order | None:
        """An order by id (which prevails) or client order id; open orders first."""
        pools = [self.orders, self.closed] if include_closed else [self.orders]
        for pool in pools:
            if order_id is not None:
                found = pool.get(order_id)
                if found is not None:
                    return found
                continue
            for order in reversed(pool.values()):
                if order.client_order_id == client_order_id:
                    return order
        return None

    def record_income(self, symbol: str, income_type: str, amount: Decimal, asset: str,
                      time: int, *, info: str = "", trade_id: str = "") -> None:
        """Append one income flow (skipped when ``amount`` is zero) with a new tranId."""
        if amount == 0:
            return
        self.income.append(IncomeRecord(symbol, income_type, amount, asset, info, time,
                                        self.next_tran_id, trade_id))
        self.next_tran_id += 1

    def margin_type(self, symbol: str) -> str:
        return "isolated" if self.isolated[symbol] else "cross"

    # ------------------------------------------------------------------ margin arithmetic

    def position_initial_margin(self, pos: Position, mark: Decimal) -> Decimal:
        return q8(pos.notional(mark) / self.leverage[pos.contract.symbol])

    def position_maint_margin(self, pos: Position, mark: Decimal,
                              rate: Decimal | None = None) -> Decimal:
        """Maintenance margin of ``pos`` at ``mark``: ``notional × rate`` for a flat
        ``rate``; with ``rate`` None, from the contract's leverage bracket for the position's
        size: ``notional × maintMarginRatio − cum`` (Binance's formula)."""
        notional = pos.notional(mark)
        if rate is not None:
            return q8(notional * rate)
        if notional == 0 or not pos.contract.brackets:
            return ZERO
        b = bracket_for(pos.contract.brackets, notional)
        return q8(max(ZERO, notional * b.maint_margin_ratio - b.cum))

    def order_initial_margin(self, order: Order) -> Decimal:
        """Margin reserved by an open order: remaining notional at its price / leverage.

        Closing orders (reduce-only, hedge closes) reserve nothing.
        """
        if order.closing or order.price == 0:
            return ZERO
        cs = order.contract.contract_size
        return q8(order.remaining * cs / order.price / self.leverage[order.symbol])

    def isolated_sum(self, asset: str) -> Decimal:
        return sum(
            (p.isolated_wallet for p in self.positions.values()
             if p.contract.margin_asset == asset),
            ZERO,
        )

    def cross_wallet(self, asset: str) -> Decimal:
        """``cw``: the wallet balance minus this coin's isolated wallets."""
        return self.wallet.get(asset, ZERO) - self.isolated_sum(asset)
