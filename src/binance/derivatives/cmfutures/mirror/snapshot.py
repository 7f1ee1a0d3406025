"""REST responses -> :class:`~.core.Snapshot`. Pure functions, no I/O.

Sources (spec §5.3): balances from ``GET /dapi/v1/account`` ``assets[]``; position rows and
leverage from ``GET /dapi/v1/positionRisk``; open orders from ``GET /dapi/v1/openOrders``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from ..models.account import AccountInformation, Order, PositionRisk
from .core import Snapshot
from .views import BalanceView, OrderView, PositionView

__all__ = ["build_snapshot", "order_view", "position_view"]

_ZERO = Decimal(0)


def position_view(row: PositionRisk) -> PositionView:
    """A ``positionRisk`` row as a :class:`PositionView`.

    REST reports ``isolatedMargin`` = isolated wallet + unrealized PnL for isolated rows; the
    stream's ``iw`` is the isolated wallet alone, so the PnL is subtracted back out.
    """
    margin_type = (row.margin_type or "cross").lower()
    isolated_wallet = (
        row.isolated_margin - row.un_realized_profit if margin_type == "isolated" else _ZERO
    )
    return PositionView(
        symbol=row.symbol,
        position_side=row.position_side or "BOTH",
        position_amount=row.position_amt,
        entry_price=row.entry_price,
        break_even_price=row.break_even_price,
        margin_type=margin_type,
        isolated_wallet=isolated_wallet,
        leverage=row.leverage or None,
        update_time=row.update_time,
        event_time=0,
    )


def order_view(order: Order) -> OrderView:
    """An ``openOrders`` entry as an :class:`OrderView`."""
    return OrderView(
        order_id=order.order_id,
        symbol=order.symbol,
        client_order_id=order.client_order_id,
        side=order.side,
        order_type=order.type,
        time_in_force=order.time_in_force or "GTC",
        original_quantity=order.orig_qty,
        price=order.price,
        average_price=order.avg_price,
        stop_price=order.stop_price if order.stop_price is not None else _ZERO,
        executed_quantity=order.executed_qty,
        status=order.status,
        position_side=order.position_side or "BOTH",
        reduce_only=order.reduce_only,
        close_position=order.close_position,
        original_order_type=order.orig_type,
        working_type=order.working_type,
        update_time=order.update_time,
        event_time=0,
    )


def build_snapshot(
    account: AccountInformation, positions: Iterable[PositionRisk], orders: Iterable[Order]
) -> Snapshot:
    """Assemble the three REST answers into one :class:`Snapshot`."""
    position_views = tuple(position_view(p) for p in positions)
    return Snapshot(
        balances=tuple(
            BalanceView(
                asset=a.asset,
                wallet_balance=a.wallet_balance,
                cross_wallet_balance=a.cross_wallet_balance,
                update_time=a.update_time,
                event_time=0,
            )
            for a in account.assets
        ),
        positions=position_views,
        orders=tuple(order_view(o) for o in orders),
        leverage={p.symbol: p.leverage for p in position_views if p.leverage is not None},
    )
