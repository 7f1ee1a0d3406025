"""Typed rows of the account history calls: ``GET /dapi/v1/userTrades`` and
``GET /dapi/v1/income``.

Field names follow Binance's COIN-M documentation (``developers.binance.com`` Account Trade
List / Get Income History). Quantities are contracts; coin amounts, prices and PnL are
:class:`~decimal.Decimal`. Decoded in lax mode (``"123"`` accepted for an int). Unknown keys
are ignored; the body stays reachable through the ``_with_http_info`` variants' ``raw_data``.
"""

from __future__ import annotations

from decimal import Decimal

from ._base import SeedModel

__all__ = ["Income", "UserTrade"]

_ZERO = Decimal(0)


class _Model(SeedModel, kw_only=True, rename="camel"):
    pass


class UserTrade(_Model, kw_only=True):
    """One fill of the account (``GET /dapi/v1/userTrades``).

    ``(order_id, id)`` identifies the fill; it equals the stream's ``(o.i, o.t)`` of the
    ORDER_TRADE_UPDATE ``x=TRADE`` event that reported it. ``qty`` is in contracts,
    ``base_qty`` the coin value (qty x contract size / price).
    """

    symbol: str
    id: int
    order_id: int
    pair: str | None = None
    side: str = ""
    price: Decimal = _ZERO
    qty: Decimal = _ZERO
    realized_pnl: Decimal = _ZERO
    margin_asset: str | None = None
    base_qty: Decimal | None = None
    commission: Decimal = _ZERO
    commission_asset: str | None = None
    time: int = 0
    position_side: str = "BOTH"
    buyer: bool = False
    maker: bool = False


class Income(_Model, kw_only=True):
    """One income record (``GET /dapi/v1/income``).

    ``income_type``: ``TRANSFER``, ``REALIZED_PNL``, ``FUNDING_FEE``, ``COMMISSION``, ... (an
    open set). ``symbol`` is ``""`` for transfers. ``trade_id`` is the fill's trade id for
    REALIZED_PNL / COMMISSION (Binance writes it as a string, ``""`` when there is none).
    """

    symbol: str = ""
    income_type: str
    income: Decimal
    asset: str
    info: str = ""
    time: int = 0
    tran_id: int = 0
    trade_id: int | str = ""
