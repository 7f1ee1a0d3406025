"""Pure helpers: views built from events, the content of a view, bounded memories.

The precedence rules themselves (spec §5.3) live in :mod:`.core`, which applies them with the
help of these functions.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..events import AccountUpdate, BalanceUpdate, OrderTradeUpdate, PositionUpdate
from .views import BalanceView, FillView, OrderView, PositionView

__all__ = [
    "BoundedSet",
    "balance_from_event",
    "content",
    "fill_from_event",
    "order_from_event",
    "position_from_event",
]


def order_from_event(event: OrderTradeUpdate) -> OrderView:
    """The order as an ORDER_TRADE_UPDATE describes it."""
    o = event.order
    return OrderView(
        order_id=o.order_id,
        symbol=o.symbol,
        client_order_id=o.client_order_id,
        side=o.side,
        order_type=o.order_type,
        time_in_force=o.time_in_force,
        original_quantity=o.original_quantity,
        price=o.original_price,
        average_price=o.average_price,
        stop_price=o.stop_price,
        executed_quantity=o.cumulative_filled_quantity,
        status=o.order_status,
        position_side=o.position_side or "BOTH",
        reduce_only=bool(o.is_reduce_only),
        close_position=bool(o.close_position),
        original_order_type=o.original_order_type,
        working_type=o.working_type,
        update_time=o.trade_time,
        event_time=event.event_time,
    )


def fill_from_event(event: OrderTradeUpdate) -> FillView:
    """The trade an ORDER_TRADE_UPDATE with ``t != 0`` reports."""
    o = event.order
    return FillView(
        order_id=o.order_id,
        trade_id=o.trade_id,
        symbol=o.symbol,
        side=o.side,
        position_side=o.position_side or "BOTH",
        price=o.last_filled_price,
        quantity=o.last_filled_quantity,
        cumulative_quantity=o.cumulative_filled_quantity,
        order_status=o.order_status,
        commission=o.commission,
        commission_asset=o.commission_asset,
        realized_profit=o.realized_profit,
        is_maker=o.is_maker,
        trade_time=o.trade_time,
        event_time=event.event_time,
    )


def balance_from_event(event: AccountUpdate, b: BalanceUpdate) -> BalanceView:
    return BalanceView(
        asset=b.asset,
        wallet_balance=b.wallet_balance,
        cross_wallet_balance=b.cross_wallet_balance,
        update_time=event.transaction_time,
        event_time=event.event_time,
    )


def position_from_event(
    event: AccountUpdate, p: PositionUpdate, leverage: int | None, previous: PositionView | None
) -> PositionView:
    """A position row from ``a.P[]``. A missing ``bep`` keeps the previous break-even price."""
    bep = p.break_even_price
    if bep is None and previous is not None:
        bep = previous.break_even_price
    return PositionView(
        symbol=p.symbol,
        position_side=p.position_side,
        position_amount=p.position_amount,
        entry_price=p.entry_price,
        break_even_price=bep,
        margin_type=p.margin_type.lower(),
        isolated_wallet=p.isolated_wallet,
        leverage=leverage,
        update_time=event.transaction_time,
        event_time=event.event_time,
    )


_BOOKKEEPING = frozenset({"update_time", "event_time"})
_CONTENT_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f for f in cls.__struct_fields__ if f not in _BOOKKEEPING)
    for cls in (BalanceView, PositionView, OrderView)
}


def content(view: Any) -> Any:
    """What a view says, without its bookkeeping times: two views with equal content describe
    the same state even if one came from an event and the other from a snapshot."""
    fields = _CONTENT_FIELDS.get(type(view))
    if fields is None:
        return view
    return tuple(getattr(view, f) for f in fields)


class BoundedSet:
    """A set that forgets its oldest members beyond ``limit`` (insertion order)."""

    __slots__ = ("_items", "limit")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self._items: dict[Hashable, None] = {}

    def add(self, item: Hashable) -> None:
        items = self._items
        if item in items:
            return
        items[item] = None
        if len(items) > self.limit:
            del items[next(iter(items))]

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __len__(self) -> int:
        return len(self._items)
