"""Builders for stream events and views used by the mirror's unit tests."""

from __future__ import annotations

from decimal import Decimal

from binance.derivatives.cmfutures.events import (
    AccountConfigUpdate,
    AccountUpdate,
    AccountUpdateData,
    BalanceUpdate,
    LeverageUpdate,
    OrderTradeUpdate,
    OrderUpdate,
    PositionUpdate,
)
from binance.derivatives.cmfutures.mirror.views import BalanceView, OrderView, PositionView

D = Decimal
SYM = "BTCUSD_PERP"


def order_event(
    oid: int = 1,
    *,
    T: int = 1000,
    E: int | None = None,
    status: str = "NEW",
    x: str | None = None,
    z: str = "0",
    l: str = "0",  # noqa: E741
    t: int = 0,
    q: str = "3",
    p: str = "64000",
    ap: str = "0",
    L: str = "0",
    symbol: str = SYM,
    side: str = "BUY",
    ps: str = "BOTH",
    commission: str | None = None,
) -> OrderTradeUpdate:
    if x is None:
        x = {"NEW": "NEW", "CANCELED": "CANCELED", "EXPIRED": "EXPIRED"}.get(status, "TRADE")
    return OrderTradeUpdate(
        event_time=T + 1 if E is None else E,
        transaction_time=T,
        order=OrderUpdate(
            symbol=symbol,
            client_order_id=f"c{oid}",
            side=side,
            order_type="LIMIT",
            time_in_force="GTC",
            original_quantity=D(q),
            original_price=D(p),
            average_price=D(ap),
            stop_price=D(0),
            execution_type=x,
            order_status=status,
            order_id=oid,
            last_filled_quantity=D(l),
            cumulative_filled_quantity=D(z),
            last_filled_price=D(L),
            trade_time=T,
            trade_id=t,
            commission=None if commission is None else D(commission),
            commission_asset=None if commission is None else "BTC",
            position_side=ps,
            is_reduce_only=False,
            close_position=False,
            original_order_type="LIMIT",
            working_type="CONTRACT_PRICE",
        ),
    )


def account_event(
    *,
    T: int = 1000,
    E: int | None = None,
    balances: dict[str, tuple[str, str]] | None = None,
    positions: list[tuple[str, str, str, str]] | None = None,
    reason: str = "ORDER",
    margin_type: str = "cross",
    iw: str = "0",
    bep: str | None = None,
) -> AccountUpdate:
    """positions: (symbol, side, amount, entry price)."""
    return AccountUpdate(
        event_time=T + 1 if E is None else E,
        transaction_time=T,
        data=AccountUpdateData(
            reason=reason,
            balances=tuple(
                BalanceUpdate(asset=a, wallet_balance=D(wb), cross_wallet_balance=D(cw))
                for a, (wb, cw) in (balances or {}).items()
            ),
            positions=tuple(
                PositionUpdate(
                    symbol=s,
                    position_amount=D(pa),
                    entry_price=D(ep),
                    accumulated_realized=D(0),
                    unrealized_pnl=D(0),
                    margin_type=margin_type,
                    isolated_wallet=D(iw),
                    position_side=side,
                    break_even_price=None if bep is None else D(bep),
                )
                for s, side, pa, ep in (positions or [])
            ),
        ),
    )


def leverage_event(symbol: str = SYM, leverage: int = 20, *, T: int = 1000,
                   E: int | None = None) -> AccountConfigUpdate:
    return AccountConfigUpdate(
        event_time=T + 1 if E is None else E,
        transaction_time=T,
        leverage=LeverageUpdate(symbol=symbol, leverage=leverage),
    )


def rest_order(oid: int = 1, *, update_time: int = 1000, status: str = "NEW", z: str = "0",
               q: str = "3", p: str = "64000", ap: str = "0", symbol: str = SYM,
               side: str = "BUY", ps: str = "BOTH") -> OrderView:
    return OrderView(
        order_id=oid,
        symbol=symbol,
        client_order_id=f"c{oid}",
        side=side,
        order_type="LIMIT",
        time_in_force="GTC",
        original_quantity=D(q),
        price=D(p),
        average_price=D(ap),
        stop_price=D(0),
        executed_quantity=D(z),
        status=status,
        position_side=ps,
        reduce_only=False,
        close_position=False,
        original_order_type="LIMIT",
        working_type="CONTRACT_PRICE",
        update_time=update_time,
        event_time=0,
    )


def rest_position(symbol: str = SYM, side: str = "BOTH", amount: str = "0", entry: str = "0", *,
                  update_time: int = 1000, leverage: int | None = 10,
                  margin_type: str = "cross", iw: str = "0") -> PositionView:
    return PositionView(
        symbol=symbol,
        position_side=side,
        position_amount=D(amount),
        entry_price=D(entry),
        margin_type=margin_type,
        isolated_wallet=D(iw),
        leverage=leverage,
        update_time=update_time,
        event_time=0,
    )


def rest_balance(asset: str = "BTC", wb: str = "1", cw: str | None = None, *,
                 update_time: int = 1000) -> BalanceView:
    return BalanceView(
        asset=asset,
        wallet_balance=D(wb),
        cross_wallet_balance=D(wb if cw is None else cw),
        update_time=update_time,
        event_time=0,
    )
