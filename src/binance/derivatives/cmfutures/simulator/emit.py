"""Building and pushing the user data events: ORDER_TRADE_UPDATE, ACCOUNT_UPDATE,
ACCOUNT_CONFIG_UPDATE and MARGIN_CALL (the :mod:`~binance.derivatives.cmfutures.events`
Structs).

:class:`Emitter` stamps events with ``T = now_ms()`` and ``E = T + event_latency_ms``, builds
their payloads from the account's current state and hands each to the sink as
``(api_key, event)``, synchronously and in call order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_DOWN, Decimal

from ..events import (
    AccountConfigUpdate,
    AccountUpdate,
    AccountUpdateData,
    BalanceUpdate,
    LeverageUpdate,
    MarginCall,
    MarginCallPosition,
    OrderTradeUpdate,
    PositionUpdate,
    UserDataEvent,
)
from ._money import COIN_Q, ZERO, clean
from .accounts import Account, Position, bep_for
from .margin import margin_call_crossings, unrealized_pnl
from .options import EngineOptions
from .orders import Fill, Order

__all__ = ["Emitter", "EventSink", "open_order_notional"]

EventSink = Callable[[str, UserDataEvent], None]


class Emitter:
    """Builds events from account state and pushes them to ``sink``.

    :param now_ms: the engine's clock (epoch ms); read once per event (once per
        :meth:`check_margin_calls`).
    :param options: the engine's options (latency, ``a.P`` shape, fee rate for ``bep``, ...).
    :param marks: symbol -> mark price, shared with (and updated by) the engine.
    :param sink: receives ``(api_key, event)``; must not raise.
    """

    def __init__(self, now_ms: Callable[[], int], options: EngineOptions,
                 marks: Mapping[str, Decimal], sink: EventSink) -> None:
        self._now = now_ms
        self._options = options
        self._marks = marks
        self._sink = sink

    def times(self) -> tuple[int, int]:
        """``(T, E)`` for an event happening now."""
        t = self._now()
        return t, t + self._options.event_latency_ms

    def push(self, acct: Account, event: UserDataEvent) -> None:
        """Hand ``event`` for ``acct`` to the sink."""
        self._sink(acct.api_key, event)

    def order(
        self, acct: Account, order: Order, execution_type: str, *,
        fill: Fill | None = None, expiry_reason: str = "0",
    ) -> None:
        """ORDER_TRADE_UPDATE ``x=execution_type`` for ``order``'s current state."""
        t, e = self.times()
        self.push(acct, OrderTradeUpdate(
            event_time=e, transaction_time=t, account_alias=acct.alias,
            order=order.event_payload(execution_type, t, fill, expiry_reason,
                                      book=open_order_notional(acct, order))))

    def account_update(
        self, acct: Account, reason: str, balances: Iterable[tuple[str, Decimal]],
        positions: list[Position], symbol: str | None = None,
    ) -> None:
        """ACCOUNT_UPDATE ``m=reason``: ``balances`` as ``(asset, balance change)``, then the
        ``positions`` rows (every row for ORDER/MARGIN_TYPE_CHANGE when
        ``account_update_positions="all"``); ``symbol`` becomes ``a.S``."""
        t, e = self.times()
        if self._options.account_update_positions == "all" and reason in (
                "ORDER", "MARGIN_TYPE_CHANGE"):
            positions = list(acct.positions.values())
        data = AccountUpdateData(
            reason=reason,
            balances=tuple(
                BalanceUpdate(asset=asset, wallet_balance=acct.wallet[asset],
                              cross_wallet_balance=acct.cross_wallet(asset),
                              balance_change=clean(change))
                for asset, change in balances),
            positions=tuple(self._position_update(acct, p) for p in positions),
            symbol=symbol,
        )
        self.push(acct, AccountUpdate(event_time=e, transaction_time=t, data=data,
                                      account_alias=acct.alias))

    def leverage_update(self, acct: Account, symbol: str, leverage: int,
                        t: int, e: int) -> None:
        """ACCOUNT_CONFIG_UPDATE ``ac`` (leverage of ``symbol``) stamped ``(t, e)``."""
        self.push(acct, AccountConfigUpdate(
            event_time=e, transaction_time=t,
            leverage=LeverageUpdate(symbol=symbol, leverage=leverage)))

    def check_margin_calls(self, acct: Account) -> None:
        """Push MARGIN_CALL when a margin ratio reaches the threshold (once per crossing);
        see :func:`~.margin.margin_call_crossings`."""
        _, e = self.times()
        for cw, rows in margin_call_crossings(acct, self._marks, self._options):
            if cw is None:
                self.push(acct, MarginCall(
                    event_time=e, account_alias=acct.alias,
                    positions=tuple(self._margin_call_row(acct, p, "ISOLATED")
                                    for p in rows)))
            else:
                self.push(acct, MarginCall(
                    event_time=e, cross_wallet_balance=cw, account_alias=acct.alias,
                    positions=tuple(self._margin_call_row(acct, p, "CROSSED")
                                    for p in rows)))

    def _margin_call_row(self, acct: Account, pos: Position, mt: str) -> MarginCallPosition:
        mark = self._marks[pos.contract.symbol]
        return MarginCallPosition(
            symbol=pos.contract.symbol,
            position_side=pos.side,
            position_amount=pos.amount,
            margin_type=mt,
            isolated_wallet=pos.isolated_wallet,
            mark_price=mark,
            unrealized_pnl=unrealized_pnl(pos, self._marks),
            maintenance_margin=acct.position_maint_margin(pos, mark,
                                                          self._options.maint_margin_rate),
        )

    def _position_update(self, acct: Account, pos: Position) -> PositionUpdate:
        return PositionUpdate(
            symbol=pos.contract.symbol,
            position_amount=pos.amount,
            entry_price=pos.entry_price,
            break_even_price=bep_for(pos.amount, pos.entry_price, self._options.taker_fee_rate),
            accumulated_realized=pos.accumulated_realized,
            unrealized_pnl=unrealized_pnl(pos, self._marks),
            margin_type=acct.margin_type(pos.contract.symbol),
            isolated_wallet=pos.isolated_wallet,
            position_side=pos.side,
            margin_asset=pos.contract.margin_asset,
        )


def open_order_notional(acct: Account, order: Order) -> tuple[Decimal, Decimal]:
    """``(b, a)`` of an ORDER_TRADE_UPDATE for ``order``: the coin value (remaining
    contracts x contract size / price) of the account's open BUY and SELL orders on the
    order's symbol after this update, ``order`` included while it is open; truncated to 8
    places as live traffic shows (1000 ETHUSD contracts at 2099.21 -> ``4.76369681``).
    MARKET orders (no price) count zero."""
    bids = asks = ZERO
    seen = False
    for other in acct.orders.values():
        if other.symbol != order.symbol:
            continue
        seen = seen or other.order_id == order.order_id
        if other.side == "BUY":
            bids += other.open_notional
        else:
            asks += other.open_notional
    if not seen:
        if order.side == "BUY":
            bids += order.open_notional
        else:
            asks += order.open_notional
    return _truncate8(bids), _truncate8(asks)


def _truncate8(value: Decimal) -> Decimal:
    return clean(value.quantize(COIN_Q, rounding=ROUND_DOWN))
