"""Orders: the mutable order record, its REST shape and its ORDER_TRADE_UPDATE payload."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from ..events import OrderUpdate
from ._money import ZERO, dec_str, nz8, price_str, q8
from .contracts import Contract
from .state import OrderState

__all__ = ["Fill", "Order"]


@dataclass(frozen=True)
class Fill:
    """One execution of an order: ``qty`` contracts at ``price``."""

    trade_id: int
    qty: Decimal
    price: Decimal
    commission: Decimal
    realized_pnl: Decimal
    maker: bool


@dataclass
class Order:
    """A LIMIT or MARKET order on one contract.

    ``closing`` is True when the order may only reduce a position: ``reduceOnly=true`` in
    one-way mode, or SELL/LONG and BUY/SHORT in hedge mode (where ``reduce_only`` stays False,
    as Binance reports it).
    """

    order_id: int
    client_order_id: str
    contract: Contract
    side: str
    type: str
    time_in_force: str
    position_side: str
    reduce_only: bool
    closing: bool
    price: Decimal
    orig_qty: Decimal
    time: int
    update_time: int
    self_trade_prevention: str = "EXPIRE_MAKER"
    priority: int = 0  # matching queue position: order id, renewed by an amendment
    status: str = "NEW"
    executed_qty: Decimal = ZERO
    inverse_sum: Decimal = field(default=ZERO)  # sum(qty / price) over fills, exact

    @property
    def symbol(self) -> str:
        return self.contract.symbol

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty

    @property
    def avg_price(self) -> Decimal:
        """Average fill price: harmonic (contract-weighted) mean for inverse contracts."""
        if self.executed_qty == 0:
            return ZERO
        return q8(self.executed_qty / self.inverse_sum)

    @property
    def cum_base(self) -> Decimal:
        """Filled notional in coin."""
        return q8(self.inverse_sum * self.contract.contract_size)

    def record_fill(self, qty: Decimal, price: Decimal, now: int) -> None:
        self.executed_qty += qty
        self.inverse_sum += qty / price
        self.update_time = now
        self.status = "FILLED" if self.executed_qty == self.orig_qty else "PARTIALLY_FILLED"

    # ------------------------------------------------------------------ representations

    def rest(self, shape: Literal["response", "open_orders", "query"] = "response",
             ) -> dict[str, Any]:
        """The order as REST returns it, in Binance's documented shapes:

        ``"response"`` (new/modify/cancel order): ``cumQty``, no ``time``;
        ``"open_orders"`` (``GET /dapi/v1/openOrders`` row) and ``"query"``
        (``GET /dapi/v1/order``): ``time``, no ``cumQty``. Every shape has ``pair`` (live
        COIN-M rows carry it). A zero ``avgPrice`` is written at the price precision
        (``"0.0"``), ``cumBase`` as ``"0"`` or with 8 decimals.
        """
        row: dict[str, Any] = {
            "orderId": self.order_id,
            "symbol": self.symbol,
            "pair": self.contract.pair,
            "status": self.status,
            "clientOrderId": self.client_order_id,
            "price": dec_str(self.price),
            "avgPrice": (dec_str(self.avg_price) if self.avg_price
                         else price_str(ZERO, self.contract.price_precision)),
            "origQty": dec_str(self.orig_qty),
            "executedQty": dec_str(self.executed_qty),
            "cumQty": dec_str(self.executed_qty),
            "cumBase": nz8(self.cum_base),
            "timeInForce": self.time_in_force,
            "type": self.type,
            "reduceOnly": self.reduce_only,
            "closePosition": False,
            "side": self.side,
            "positionSide": self.position_side,
            "stopPrice": "0",
            "workingType": "CONTRACT_PRICE",
            "priceProtect": False,
            "origType": self.type,
            "priceMatch": "NONE",
            "selfTradePreventionMode": self.self_trade_prevention,
            "updateTime": self.update_time,
        }
        if shape != "response":
            del row["cumQty"]
            row["time"] = self.time
        return row

    @property
    def open_notional(self) -> Decimal:
        """Coin value of the unfilled part at the order's price (exact; 0 for MARKET)."""
        if self.price == 0 or self.status not in ("NEW", "PARTIALLY_FILLED"):
            return ZERO
        return self.remaining * self.contract.contract_size / self.price

    def event_payload(
        self, execution_type: str, now: int, fill: Fill | None = None, expiry_reason: str = "0",
        book: tuple[Decimal, Decimal] = (ZERO, ZERO),
    ) -> OrderUpdate:
        """The ``o`` object of ORDER_TRADE_UPDATE for this order's current state.

        ``N``/``n`` are present only when ``fill`` carries a non-zero commission. ``book`` is
        ``(b, a)``: the account's open BUY / SELL notional on the symbol, in coin.
        """
        has_fee = fill is not None and fill.commission != 0
        return OrderUpdate(
            symbol=self.symbol,
            client_order_id=self.client_order_id,
            side=self.side,
            order_type=self.type,
            time_in_force=self.time_in_force,
            original_quantity=self.orig_qty,
            original_price=self.price,
            average_price=self.avg_price,
            stop_price=ZERO,
            execution_type=execution_type,
            order_status=self.status,
            order_id=self.order_id,
            last_filled_quantity=fill.qty if fill else ZERO,
            cumulative_filled_quantity=self.executed_qty,
            last_filled_price=fill.price if fill else ZERO,
            trade_time=now,
            trade_id=fill.trade_id if fill else 0,
            margin_asset=self.contract.margin_asset,
            commission_asset=self.contract.margin_asset if has_fee else None,
            commission=fill.commission if fill is not None and has_fee else None,
            realized_profit=fill.realized_pnl if fill else ZERO,
            bid_quantity=book[0],
            ask_quantity=book[1],
            is_maker=fill.maker if fill else False,
            is_reduce_only=self.reduce_only,
            working_type="CONTRACT_PRICE",
            original_order_type=self.type,
            position_side=self.position_side,
            close_position=False,
            price_protect=False,
            self_trade_prevention_mode=self.self_trade_prevention,
            price_match="NONE",
            expiry_reason=expiry_reason,
            strategy_id=0,
            strategy_sub_id=0,
        )

    def snapshot(self) -> OrderState:
        return OrderState(
            order_id=self.order_id,
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            side=self.side,
            type=self.type,
            time_in_force=self.time_in_force,
            position_side=self.position_side,
            reduce_only=self.reduce_only,
            price=self.price,
            orig_qty=self.orig_qty,
            executed_qty=self.executed_qty,
            avg_price=self.avg_price,
            status=self.status,
            time=self.time,
            update_time=self.update_time,
        )
