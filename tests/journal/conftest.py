"""Shared helpers of the journal tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from binance.derivatives.cmfutures.events import OrderTradeUpdate, OrderUpdate

T0 = 1_767_225_600.0


def order_event(n: int, at_ms: int, *, status: str = "NEW", trade_id: int = 0) -> OrderTradeUpdate:
    return OrderTradeUpdate(
        event_time=at_ms,
        transaction_time=at_ms,
        order=OrderUpdate(
            symbol="BTCUSD_PERP",
            client_order_id=f"c-{n}",
            side="BUY",
            order_type="LIMIT",
            time_in_force="GTC",
            original_quantity=Decimal("2"),
            original_price=Decimal("64250.1"),
            average_price=Decimal("0"),
            stop_price=Decimal("0"),
            execution_type="NEW" if status == "NEW" else "TRADE",
            order_status=status,
            order_id=n,
            last_filled_quantity=Decimal("0"),
            cumulative_filled_quantity=Decimal("0"),
            last_filled_price=Decimal("0"),
            trade_time=at_ms,
            trade_id=trade_id,
        ),
    )


async def collect(reader: Any) -> list[Any]:
    return [entry async for entry in reader]
