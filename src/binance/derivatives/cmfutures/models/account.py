"""Typed responses of the signed snapshot, market-time and trade calls.

Attribute names are snake_case; the wire (JSON) names are Binance's camelCase. Money, prices
and quantities are :class:`~decimal.Decimal`, decoded from Binance's JSON strings without
passing through float. Unknown keys are ignored and every field that Binance documents as
conditional has a default, so a field added or dropped by Binance does not break decoding.
The client decodes these in lax mode (``strict=False``): ``"20"`` is accepted for an int and
``"false"`` for a bool, because Binance sends e.g. ``leverage`` and ``isAutoAddMargin`` as
strings.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from ._base import SeedModel

__all__ = [
    "AccountAsset",
    "AccountInformation",
    "AccountPosition",
    "Balance",
    "LeverageChange",
    "Order",
    "PositionRisk",
    "ServerTime",
]

_ZERO = Decimal(0)


class _Model(SeedModel, kw_only=True, rename="camel"):
    pass


class ServerTime(_Model, kw_only=True):
    """``GET /dapi/v1/time``: ``server_time`` in epoch milliseconds."""

    server_time: int


class AccountAsset(_Model, kw_only=True):
    """One entry of ``AccountInformation.assets``."""

    asset: str
    wallet_balance: Decimal = _ZERO
    unrealized_profit: Decimal = _ZERO
    margin_balance: Decimal = _ZERO
    maint_margin: Decimal = _ZERO
    initial_margin: Decimal = _ZERO
    position_initial_margin: Decimal = _ZERO
    open_order_initial_margin: Decimal = _ZERO
    max_withdraw_amount: Decimal = _ZERO
    cross_wallet_balance: Decimal = _ZERO
    cross_un_pnl: Decimal = _ZERO
    available_balance: Decimal = _ZERO
    update_time: int = 0


class AccountPosition(_Model, kw_only=True):
    """One entry of ``AccountInformation.positions`` (one-way mode: ``BOTH`` rows only)."""

    symbol: str
    position_amt: Decimal = _ZERO
    initial_margin: Decimal = _ZERO
    maint_margin: Decimal = _ZERO
    unrealized_profit: Decimal = _ZERO
    position_initial_margin: Decimal = _ZERO
    open_order_initial_margin: Decimal = _ZERO
    leverage: int = 0
    isolated: bool = False
    position_side: str = "BOTH"
    entry_price: Decimal = _ZERO
    break_even_price: Decimal | None = None
    max_qty: Decimal | None = None
    notional_value: Decimal | None = None
    isolated_wallet: Decimal | None = None
    update_time: int = 0


class AccountInformation(_Model, kw_only=True):
    """``GET /dapi/v1/account``."""

    assets: list[AccountAsset] = msgspec.field(default_factory=list)
    positions: list[AccountPosition] = msgspec.field(default_factory=list)
    can_deposit: bool = False
    can_trade: bool = False
    can_withdraw: bool = False
    fee_tier: int = 0
    update_time: int = 0


class Balance(_Model, kw_only=True):
    """One entry of ``GET /dapi/v1/balance``; ``account_alias`` equals the stream's ``i``."""

    asset: str
    account_alias: str = ""
    balance: Decimal = _ZERO
    withdraw_available: Decimal = _ZERO
    cross_wallet_balance: Decimal = _ZERO
    cross_un_pnl: Decimal = _ZERO
    available_balance: Decimal = _ZERO
    update_time: int = 0


class PositionRisk(_Model, kw_only=True):
    """One entry of ``GET /dapi/v1/positionRisk``. ``margin_type`` is ``"cross"``/``"isolated"``.

    ``notional_value`` is the position's coin value (signed like the amount) and
    ``isolated_wallet`` the isolated margin excluding unrealized PnL; live rows carry both."""

    symbol: str
    position_amt: Decimal = _ZERO
    entry_price: Decimal = _ZERO
    break_even_price: Decimal | None = None
    mark_price: Decimal = _ZERO
    un_realized_profit: Decimal = _ZERO
    liquidation_price: Decimal = _ZERO
    leverage: int = 0
    max_qty: Decimal | None = None
    margin_type: str = "cross"
    isolated_margin: Decimal = _ZERO
    is_auto_add_margin: bool = False
    position_side: str = "BOTH"
    notional_value: Decimal | None = None
    isolated_wallet: Decimal | None = None
    update_time: int = 0


class Order(_Model, kw_only=True):
    """An order, as ``GET /dapi/v1/openOrders`` lists it and ``POST``/``DELETE
    /dapi/v1/order`` return it. ``status``, ``side``, ``type``... are open ``str`` enumerations
    (compare with ``events.OrderStatus`` and friends)."""

    symbol: str
    order_id: int
    client_order_id: str = ""
    pair: str | None = None
    status: str = ""
    side: str = ""
    position_side: str = "BOTH"
    type: str = ""
    orig_type: str | None = None
    time_in_force: str | None = None
    price: Decimal = _ZERO
    avg_price: Decimal = _ZERO
    orig_qty: Decimal = _ZERO
    executed_qty: Decimal = _ZERO
    cum_qty: Decimal | None = None
    cum_base: Decimal | None = None
    stop_price: Decimal | None = None
    reduce_only: bool = False
    close_position: bool = False
    activate_price: Decimal | None = None
    price_rate: Decimal | None = None
    working_type: str | None = None
    price_protect: bool = False
    price_match: str | None = None
    self_trade_prevention_mode: str | None = None
    good_till_date: int | None = None
    time: int | None = None
    update_time: int = 0


class LeverageChange(_Model, kw_only=True):
    """``POST /dapi/v1/leverage``: the new ``leverage`` and the ``max_qty`` it allows."""

    symbol: str
    leverage: int
    max_qty: Decimal | None = None
