"""Immutable snapshots of an account's exact state, for tests and the mirror's comparisons.

Every value is exact (:class:`~decimal.Decimal`, never float). See docs/simulator-engine.md for
how each field maps to REST fields and event fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["AccountState", "BalanceState", "OrderState", "PositionState"]


@dataclass(frozen=True)
class BalanceState:
    """One coin of the account.

    ``wallet_balance`` == ``ACCOUNT_UPDATE.a.B[].wb`` == REST ``walletBalance``/``balance``;
    ``cross_wallet_balance`` == ``cw`` == REST ``crossWalletBalance`` (= wallet balance minus
    the isolated wallets of this coin's isolated positions). The other fields depend on the
    current mark prices (REST only).
    """

    asset: str
    wallet_balance: Decimal
    cross_wallet_balance: Decimal
    unrealized_profit: Decimal
    cross_un_pnl: Decimal
    margin_balance: Decimal
    available_balance: Decimal
    max_withdraw_amount: Decimal
    initial_margin: Decimal
    maint_margin: Decimal
    position_initial_margin: Decimal
    open_order_initial_margin: Decimal
    update_time: int


@dataclass(frozen=True)
class PositionState:
    """One position row ``(symbol, position_side)``; flat rows have ``position_amount == 0``.

    ``position_amount``/``entry_price``/``break_even_price``/``accumulated_realized``/
    ``margin_type`` (``"cross"``/``"isolated"``)/``isolated_wallet`` equal the last
    ``ACCOUNT_UPDATE.a.P[]`` row's ``pa``/``ep``/``bep``/``cr``/``mt``/``iw``.
    ``unrealized_profit`` is at the *current* mark price (events carry it at event time).
    """

    symbol: str
    position_side: str
    position_amount: Decimal
    entry_price: Decimal
    break_even_price: Decimal
    accumulated_realized: Decimal
    unrealized_profit: Decimal
    margin_type: str
    isolated_wallet: Decimal
    leverage: int
    mark_price: Decimal
    notional_value: Decimal
    initial_margin: Decimal
    maint_margin: Decimal
    liquidation_price: Decimal
    update_time: int


@dataclass(frozen=True)
class OrderState:
    """One open order (``NEW`` or ``PARTIALLY_FILLED``), as the last ORDER_TRADE_UPDATE says."""

    order_id: int
    client_order_id: str
    symbol: str
    side: str
    type: str
    time_in_force: str
    position_side: str
    reduce_only: bool
    price: Decimal
    orig_qty: Decimal
    executed_qty: Decimal
    avg_price: Decimal
    status: str
    time: int
    update_time: int


@dataclass(frozen=True)
class AccountState:
    """Everything about one account at one instant. Mappings are read-only.

    :ivar balances: asset -> :class:`BalanceState`.
    :ivar positions: ``(symbol, position_side)`` -> :class:`PositionState`, every row REST
        shows (one-way mode: ``BOTH`` per symbol; hedge mode: ``BOTH``, ``LONG``, ``SHORT``).
    :ivar open_orders: order id -> :class:`OrderState`.
    :ivar leverage: symbol -> leverage.
    :ivar margin_types: symbol -> ``"cross"`` or ``"isolated"``.
    """

    alias: str
    hedge_mode: bool
    balances: Mapping[str, BalanceState]
    positions: Mapping[tuple[str, str], PositionState]
    open_orders: Mapping[int, OrderState]
    leverage: Mapping[str, int]
    margin_types: Mapping[str, str]
    mark_prices: Mapping[str, Decimal]
