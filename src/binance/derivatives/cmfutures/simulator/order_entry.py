"""The order endpoints' logic: validating new orders and amendments, cancelling, and the
open/queried order views. Owns the order id sequence (also the matching queue priority).

Every method takes the caller's :class:`~.accounts.Account` (the engine resolves the API key)
and the decoded request params, returns the JSON body Binance sends, and raises
:class:`~.errors.SimError` with Binance's code for bad input; the codes per endpoint are
listed on :class:`~.engine.Exchange`'s methods. Fills and expiry go to :class:`~.matching.Matcher`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ._money import ZERO, q8
from .accounts import Account
from .contracts import Contract
from .emit import Emitter
from .errors import SimError
from .margin import balance_state, closable, exceeds_max_qty
from .matching import Matcher
from .options import EngineOptions
from .orders import Order
from .params import (
    ALGO_TYPES,
    CLIENT_ID_RE,
    ID_CHARS,
    TIFS,
    bool_param,
    decimal_param,
    order_id_param,
    price,
    quantity,
    required,
    symbol_param,
)

__all__ = ["OrderEntry"]


class OrderEntry:
    """Places, amends, cancels and looks up orders.

    :param now_ms: the engine's clock (epoch ms).
    :param rng: source of generated client order ids.
    :param options: margin rates, default response type, ...
    :param contracts: symbol -> contract, shared with the engine.
    :param marks: symbol -> mark price, shared with the engine.
    :param emitter: pushes ORDER_TRADE_UPDATE and MARGIN_CALL.
    :param matcher: fills and expires accepted orders.
    """

    def __init__(
        self,
        now_ms: Callable[[], int],
        rng: random.Random,
        options: EngineOptions,
        contracts: Mapping[str, Contract],
        marks: Mapping[str, Decimal],
        emitter: Emitter,
        matcher: Matcher,
    ) -> None:
        self._now = now_ms
        self._rng = rng
        self._options = options
        self._contracts = contracts
        self._marks = marks
        self._emit = emitter
        self._matcher = matcher
        self._next_order_id = 10_000_001

    def new_order(self, acct: Account, params: Mapping[str, str]) -> dict[str, Any]:
        """``POST /dapi/v1/order``: validate, accept (NEW), match; see ``Exchange.new_order``."""
        contract = symbol_param(self._contracts, params)
        side = required(params, "side")
        if side not in ("BUY", "SELL"):
            raise SimError(-1117, "Invalid side.")
        otype = required(params, "type")
        if otype in ALGO_TYPES:
            raise SimError(
                -4120,
                "Order type not supported for this endpoint. "
                "Please use the Algo Order API endpoints instead.",
            )
        if otype not in ("LIMIT", "MARKET"):
            raise SimError(-1116, "Invalid orderType.")
        position_side = params.get("positionSide") or "BOTH"
        if position_side not in ("BOTH", "LONG", "SHORT"):
            raise SimError(-4060, "Invalid position side.")
        if acct.hedge_mode == (position_side == "BOTH"):
            raise SimError(-4061, "Order's position side does not match user's setting.")
        reduce_only = bool_param(params, "reduceOnly")
        if reduce_only and acct.hedge_mode:
            raise SimError(-1106, "Parameter 'reduceOnly' sent when not required.")
        qty = quantity(decimal_param(params, "quantity", required=True))
        if otype == "LIMIT":
            tif = required(params, "timeInForce")
            if tif not in TIFS:
                raise SimError(-1115, "Invalid timeInForce.")
            limit_price = price(decimal_param(params, "price", required=True), contract)
        else:
            if params.get("price"):
                raise SimError(-1106, "Parameter 'price' sent when not required.")
            tif, limit_price = "GTC", ZERO
        client_id = params.get("newClientOrderId")
        if client_id:
            if not CLIENT_ID_RE.match(client_id):
                raise SimError(-4015, "Client order id is not valid.")
            if any(o.client_order_id == client_id for o in acct.orders.values()):
                raise SimError(-4116, "ClientOrderId is duplicated.")
        else:
            client_id = "".join(self._rng.choice(ID_CHARS) for _ in range(22))
        stp = params.get("selfTradePreventionMode") or "EXPIRE_MAKER"
        if stp not in ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"):
            raise SimError(-1130,
                           "Data sent for parameter 'selfTradePreventionMode' is not valid.")
        resp_type = params.get("newOrderRespType") or self._options.default_new_order_resp_type
        if resp_type not in ("ACK", "RESULT"):
            raise SimError(-1130, "Data sent for parameter 'newOrderRespType' is not valid.")

        closing = reduce_only or (position_side, side) in (("LONG", "SELL"), ("SHORT", "BUY"))
        pos = acct.positions[(contract.symbol, position_side)]
        if closing:
            can_close = closable(pos, side)
            if can_close == 0 or (acct.hedge_mode and qty > can_close):
                raise SimError(-2022, "ReduceOnly Order is rejected.")
        mark = self._marks[contract.symbol]
        crosses = otype == "MARKET" or (limit_price >= mark if side == "BUY"
                                        else limit_price <= mark)
        if tif == "GTX" and crosses:
            raise SimError(
                -5022,
                "Due to the order could not be executed as maker, the Post Only order will be "
                "rejected. The order will not be recorded in the order history",
            )
        if not closing:
            opening = qty if acct.hedge_mode else max(ZERO, qty - closable(pos, side))
            if opening > 0 and exceeds_max_qty(acct, pos, side, opening, mark,
                                               acct.leverage[contract.symbol]):
                raise SimError.max_position_exceeded()
            ref = mark if crosses else limit_price
            needed = q8(opening * contract.contract_size / ref
                        / acct.leverage[contract.symbol])
            # A purely reducing order opens nothing and needs no margin, even when the
            # account is under water (negative available balance).
            if needed > 0 and needed > balance_state(
                acct, contract.margin_asset, self._marks, self._options
            ).available_balance:
                raise SimError.margin_insufficient()

        now = self._now()
        order = Order(
            order_id=self._next_order_id,
            client_order_id=client_id,
            contract=contract,
            side=side,
            type=otype,
            time_in_force=tif,
            position_side=position_side,
            reduce_only=reduce_only,
            closing=closing,
            price=limit_price,
            orig_qty=qty,
            time=now,
            update_time=now,
            self_trade_prevention=stp,
            priority=self._next_order_id,
        )
        self._next_order_id += 1
        acct.orders[order.order_id] = order
        self._emit.order(acct, order, "NEW")
        ack = order.rest()
        self._matcher.match_new(acct, order, crosses)
        self._emit.check_margin_calls(acct)
        return ack if resp_type == "ACK" else order.rest()

    def cancel_order(self, acct: Account, params: Mapping[str, str]) -> dict[str, Any]:
        """``DELETE /dapi/v1/order``; see ``Exchange.cancel_order``."""
        contract = symbol_param(self._contracts, params)
        client_id = params.get("origClientOrderId")
        order = acct.find_order(order_id_param(params), client_id)
        if order is None or order.symbol != contract.symbol:
            raise SimError.unknown_order()
        order.status = "CANCELED"
        order.update_time = self._now()
        acct.close_order(order)
        self._emit.order(acct, order, "CANCELED")
        return order.rest()

    def open_orders(self, acct: Account, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """``GET /dapi/v1/openOrders``; see ``Exchange.open_orders``."""
        symbol = params.get("symbol")
        pair = params.get("pair")
        if symbol and symbol not in self._contracts:
            raise SimError.invalid_symbol()
        if pair and pair not in {c.pair for c in self._contracts.values()}:
            raise SimError(-4087, "Invalid pair.")
        return [
            o.rest("open_orders")
            for o in sorted(acct.orders.values(), key=lambda o: o.order_id)
            if (not symbol or o.symbol == symbol) and (not pair or o.contract.pair == pair)
        ]

    def query_order(self, acct: Account, params: Mapping[str, str]) -> dict[str, Any]:
        """``GET /dapi/v1/order``; see ``Exchange.query_order``."""
        contract = symbol_param(self._contracts, params)
        order = acct.find_order(order_id_param(params), params.get("origClientOrderId"),
                                include_closed=True)
        if order is None or order.symbol != contract.symbol:
            raise SimError(-2013, "Order does not exist.")
        return order.rest("query")

    def modify_order(self, acct: Account, params: Mapping[str, str]) -> dict[str, Any]:
        """``PUT /dapi/v1/order``: amend, cancel or expire; see ``Exchange.modify_order``."""
        contract = symbol_param(self._contracts, params)
        side = required(params, "side")
        if side not in ("BUY", "SELL"):
            raise SimError(-1117, "Invalid side.")
        order = acct.find_order(order_id_param(params), params.get("origClientOrderId"))
        if order is None or order.symbol != contract.symbol:
            raise SimError.unknown_order()
        if order.side != side:
            raise SimError(-1117, "Invalid side.")
        if not params.get("quantity") and not params.get("price"):
            raise SimError(-1102, "Param 'quantity' or 'price' must be sent.")
        qty = (quantity(decimal_param(params, "quantity", required=True))
               if params.get("quantity") else order.orig_qty)
        new_price = (price(decimal_param(params, "price", required=True), contract)
                     if params.get("price") else order.price)
        if qty == order.orig_qty and new_price == order.price:
            raise SimError(-4197, "No need to modify the order.")
        now = self._now()
        if qty <= order.executed_qty:
            order.status, order.update_time = "CANCELED", now
            acct.close_order(order)
            self._emit.order(acct, order, "CANCELED")
            return order.rest()
        mark = self._marks[contract.symbol]
        crosses = new_price >= mark if side == "BUY" else new_price <= mark
        if order.time_in_force == "GTX" and crosses:
            self._matcher.expire(acct, order, "11")
            return order.rest()
        pos = acct.positions[(order.symbol, order.position_side)]
        if order.closing and acct.hedge_mode and qty - order.executed_qty > closable(
                pos, side):
            raise SimError(-2022, "ReduceOnly Order is rejected.")
        if not order.closing:
            lev = acct.leverage[contract.symbol]
            if qty > order.orig_qty and exceeds_max_qty(
                    acct, pos, side, qty - order.executed_qty, mark, lev,
                    exclude=order.order_id):
                raise SimError.max_position_exceeded()
            cs = contract.contract_size
            before = acct.order_initial_margin(order)
            ref = mark if crosses else new_price
            after = q8((qty - order.executed_qty) * cs / ref / lev)
            available = balance_state(acct, contract.margin_asset, self._marks,
                                      self._options).available_balance
            if after - before > available:
                raise SimError.margin_insufficient()
        order.orig_qty, order.price, order.update_time = qty, new_price, now
        order.priority = self._next_order_id
        self._next_order_id += 1
        self._emit.order(acct, order, "AMENDMENT")
        if crosses:
            self._matcher.match_new(acct, order, crosses=True)
        self._emit.check_margin_calls(acct)
        return order.rest()

    def cancel_all_orders(self, acct: Account, params: Mapping[str, str]) -> dict[str, Any]:
        """``DELETE /dapi/v1/allOpenOrders``; see ``Exchange.cancel_all_orders``."""
        contract = symbol_param(self._contracts, params)
        for order in sorted(acct.orders.values(), key=lambda o: o.order_id):
            if order.symbol == contract.symbol:
                order.status, order.update_time = "CANCELED", self._now()
                acct.close_order(order)
                self._emit.order(acct, order, "CANCELED")
        return {"code": 200, "msg": "The operation of cancel all open order is done."}
