"""Events built for tests: the order event the stream, journal and core tests emit and feed."""

from __future__ import annotations

from decimal import Decimal

from binance.derivatives.cmfutures.events import OrderTradeUpdate, OrderUpdate


def order_event(
    n: int,
    at_ms: int,
    *,
    client_order_id: str | None = None,
    side: str = "BUY",
    quantity: str = "1",
    price: str = "64250.0",
    status: str = "NEW",
    trade_id: int = 0,
    alias: str | None = None,
) -> OrderTradeUpdate:
    """Order ``n`` (its ``orderId``; client id ``c{n}`` unless given), a BTCUSD_PERP GTC
    limit order, stamped ``E = T = at_ms``; execution type NEW for status NEW, else TRADE.
    Nothing filled."""
    return OrderTradeUpdate(
        event_time=at_ms,
        transaction_time=at_ms,
        order=OrderUpdate(
            symbol="BTCUSD_PERP",
            client_order_id=f"c{n}" if client_order_id is None else client_order_id,
            side=side,
            order_type="LIMIT",
            time_in_force="GTC",
            original_quantity=Decimal(quantity),
            original_price=Decimal(price),
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
        account_alias=alias,
    )
