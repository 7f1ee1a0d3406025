"""The simulator's account engine: inverse-contract accounts, orders, fills, events. No I/O.

:class:`Exchange` holds every account (one per API key), the mark prices and the resting
limit orders. REST handlers take the decoded request params and return the JSON body Binance
would send, or raise :class:`SimError`. Every state change pushes user data events, in the
order Binance pushes them, through :attr:`Exchange.on_event` as ``(api_key, event)``.

Time comes only from ``now_ms()``; randomness only from the given ``random.Random``: the same
seed and the same calls give the same events, byte for byte. Behaviour, formulas and every
UNCONFIRMED choice are documented in ``docs/simulator-engine.md``.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

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
from ._money import ZERO, clean, dec_str, q8
from .accounts import Account, Position, bep_for, entry_after_increase, pnl
from .contracts import Contract, default_contracts, exchange_info
from .errors import SimError
from .options import EngineOptions
from .orders import Fill, Order
from .state import AccountState, BalanceState, OrderState, PositionState

__all__ = [
    "Account",
    "AccountState",
    "BalanceState",
    "EngineOptions",
    "Exchange",
    "OrderState",
    "PositionState",
    "SimError",
]

EventSink = Callable[[str, UserDataEvent], None]

_ALIAS_RE = re.compile(r"^[A-Za-z]{4}$")
_CLIENT_ID_RE = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")
_ID_CHARS = string.ascii_letters + string.digits
_ALGO_TYPES = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
_TIFS = ("GTC", "IOC", "FOK", "GTX")
_MAX_QTY = Decimal(1_000_000)


class Exchange:
    """Accounts, mark prices and resting orders of the offline exchange.

    :param now_ms: the current time in epoch milliseconds (the simulator's clock). Called for
        every change; events carry ``T = now_ms()`` and ``E = T + options.event_latency_ms``.
    :param rng: the only source of randomness (aliases, client order ids, random walk).
    :param options: behaviour switches; see :class:`EngineOptions`.

    Set :attr:`on_event` to receive ``(api_key, event)`` for every event, in emission order;
    it is called synchronously inside the call that caused the event and must not raise.
    Not thread-safe: call it from one thread (the simulator's event loop).

    :ivar contracts: symbol -> :class:`~.contracts.Contract` (read-only by convention).
    :ivar options: the :class:`EngineOptions` in force.
    """

    on_event: EventSink | None

    def __init__(
        self,
        now_ms: Callable[[], int],
        rng: random.Random,
        options: EngineOptions | None = None,
    ) -> None:
        self._now = now_ms
        self._rng = rng
        self.options = options if options is not None else EngineOptions()
        self.on_event = None
        self.contracts: dict[str, Contract] = default_contracts(now_ms())
        self._marks: dict[str, Decimal] = {}
        for contract in self.contracts.values():
            base = self.options.initial_mark_prices.get(contract.base_asset, Decimal(1000))
            if contract.contract_type != "PERPETUAL":
                base = base * (1 + self.options.quarterly_premium)
            self._marks[contract.symbol] = _to_tick(base, contract.tick_size)
        self._accounts: dict[str, Account] = {}
        self._next_order_id = 10_000_001
        self._next_trade_id = 5_000_001

    # ================================================================== accounts, symbols

    def add_account(
        self,
        api_key: str,
        *,
        balances: Mapping[str, Decimal] | None = None,
        alias: str | None = None,
        hedge_mode: bool = False,
    ) -> Account:
        """Open an account for ``api_key``: cross margin, default leverage, flat positions.

        :param balances: coin -> wallet balance; default ``options.default_balances``.
            BTC and ETH always exist (0 if not given).
        :param alias: 4 letters ``[A-Za-z]``; default: random (seeded), unique.
        :param hedge_mode: start in hedge (dual-side) position mode.
        :raises ValueError: if the key already has an account, or alias/balances are invalid.
        """
        if not isinstance(api_key, str) or not api_key:
            raise ValueError("api_key must be a non-empty string")
        if api_key in self._accounts:
            raise ValueError("an account with this API key already exists")
        used = {a.alias for a in self._accounts.values()}
        if alias is None:
            alias = self._new_alias(used)
        elif not _ALIAS_RE.match(alias):
            raise ValueError(f"alias must be 4 letters [A-Za-z], got {alias!r}")
        elif alias in used:
            raise ValueError(f"alias {alias!r} is already used by another account")
        wallet: dict[str, Decimal] = {"BTC": ZERO, "ETH": ZERO}
        for asset, amount in (balances if balances is not None
                              else self.options.default_balances).items():
            if isinstance(amount, float) or not isinstance(amount, (Decimal, int, str)):
                raise ValueError(f"balance of {asset} must be a Decimal, not {amount!r}")
            wallet[asset] = q8(Decimal(amount))
        now = self._now()
        account = Account(
            api_key=api_key,
            alias=alias,
            hedge_mode=hedge_mode,
            wallet=wallet,
            balance_time=dict.fromkeys(wallet, now),
            leverage={s: min(self.options.default_leverage, c.max_leverage)
                      for s, c in self.contracts.items()},
            isolated=dict.fromkeys(self.contracts, False),
            update_time=now,
        )
        account.reset_positions(self.contracts)
        self._accounts[api_key] = account
        return account

    def has_account(self, api_key: str) -> bool:
        """Whether ``api_key`` has an account."""
        return api_key in self._accounts

    def exchange_info(self) -> dict[str, Any]:
        """``GET /dapi/v1/exchangeInfo`` body (BTCUSD_PERP, ETHUSD_PERP, one quarterly)."""
        return exchange_info(self.contracts, self._now(), self.options.request_weight_limit)

    def symbols(self) -> list[str]:
        """The listed symbols, in exchangeInfo order."""
        return list(self.contracts)

    # ================================================================== REST: orders

    def new_order(self, api_key: str, params: Mapping[str, str]) -> dict[str, Any]:
        """``POST /dapi/v1/order``: place a MARKET or LIMIT (GTC/IOC/FOK/GTX) order.

        Params: ``symbol``, ``side``, ``type``, ``quantity`` (whole contracts), ``price`` and
        ``timeInForce`` (LIMIT), optional ``positionSide``, ``reduceOnly``,
        ``newClientOrderId``, ``newOrderRespType`` (``ACK``/``RESULT``).

        Emits ORDER_TRADE_UPDATE NEW, then for each fill ORDER_TRADE_UPDATE TRADE followed by
        ACCOUNT_UPDATE (reason ORDER), then EXPIRED for an unfilled IOC/FOK/market remainder.

        :returns: the order (ACK: as accepted, status NEW; RESULT: after matching).
        :raises SimError: -1102 missing param, -1121 symbol, -1117 side, -1116 type,
            -4120 stop types, -1115 timeInForce, -1100 malformed number, -4003 quantity,
            -1111 fractional quantity, -4001/-4014 price, -4060/-4061 position side,
            -1106 reduceOnly in hedge mode / price on MARKET, -2022 reduce-only, -4015/-4116
            client order id, -5022 post-only would cross, -2019 margin insufficient.
        """
        acct = self._acct(api_key)
        contract = self._symbol_param(params)
        side = _required(params, "side")
        if side not in ("BUY", "SELL"):
            raise SimError(-1117, "Invalid side.")
        otype = _required(params, "type")
        if otype in _ALGO_TYPES:
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
        reduce_only = _bool_param(params, "reduceOnly")
        if reduce_only and acct.hedge_mode:
            raise SimError(-1106, "Parameter 'reduceOnly' sent when not required.")
        qty = _quantity(_decimal_param(params, "quantity", required=True))
        if otype == "LIMIT":
            tif = _required(params, "timeInForce")
            if tif not in _TIFS:
                raise SimError(-1115, "Invalid timeInForce.")
            price = _price(_decimal_param(params, "price", required=True), contract)
        else:
            if params.get("price"):
                raise SimError(-1106, "Parameter 'price' sent when not required.")
            tif, price = "GTC", ZERO
        client_id = params.get("newClientOrderId")
        if client_id:
            if not _CLIENT_ID_RE.match(client_id):
                raise SimError(-4015, "Client order id is not valid.")
            if any(o.client_order_id == client_id for o in acct.orders.values()):
                raise SimError(-4116, "ClientOrderId is duplicated.")
        else:
            client_id = "".join(self._rng.choice(_ID_CHARS) for _ in range(22))
        stp = params.get("selfTradePreventionMode") or "EXPIRE_MAKER"
        if stp not in ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"):
            raise SimError(-1130,
                           "Data sent for parameter 'selfTradePreventionMode' is not valid.")
        resp_type = params.get("newOrderRespType") or self.options.default_new_order_resp_type
        if resp_type not in ("ACK", "RESULT"):
            raise SimError(-1130, "Data sent for parameter 'newOrderRespType' is not valid.")

        closing = reduce_only or (position_side, side) in (("LONG", "SELL"), ("SHORT", "BUY"))
        pos = acct.positions[(contract.symbol, position_side)]
        if closing:
            closable = _closable(pos, side)
            if closable == 0 or (acct.hedge_mode and qty > closable):
                raise SimError(-2022, "ReduceOnly Order is rejected.")
        mark = self._marks[contract.symbol]
        crosses = otype == "MARKET" or (price >= mark if side == "BUY" else price <= mark)
        if tif == "GTX" and crosses:
            raise SimError(
                -5022,
                "Due to the order could not be executed as maker, the Post Only order will be "
                "rejected. The order will not be recorded in the order history",
            )
        if not closing:
            opening = qty if acct.hedge_mode else max(ZERO, qty - _closable(pos, side))
            ref = mark if crosses else price
            required = q8(opening * contract.contract_size / ref
                          / acct.leverage[contract.symbol])
            # A purely reducing order opens nothing and needs no margin, even when the
            # account is under water (negative available balance).
            if required > 0 and required > self._balance(
                acct, contract.margin_asset
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
            price=price,
            orig_qty=qty,
            time=now,
            update_time=now,
            self_trade_prevention=stp,
            priority=self._next_order_id,
        )
        self._next_order_id += 1
        acct.orders[order.order_id] = order
        self._emit_order(acct, order, "NEW")
        ack = order.rest()
        self._match_new(acct, order, crosses)
        self._check_margin_calls(acct)
        return ack if resp_type == "ACK" else order.rest()

    def cancel_order(self, api_key: str, params: Mapping[str, str]) -> dict[str, Any]:
        """``DELETE /dapi/v1/order``: cancel an open order by ``orderId`` or
        ``origClientOrderId`` (``symbol`` required). Emits ORDER_TRADE_UPDATE CANCELED.

        :returns: the order with status CANCELED.
        :raises SimError: -1102 (symbol, or neither id), -1121, -2011 unknown/closed order.
        """
        acct = self._acct(api_key)
        contract = self._symbol_param(params)
        client_id = params.get("origClientOrderId")
        order = acct.find_order(_order_id_param(params), client_id)
        if order is None or order.symbol != contract.symbol:
            raise SimError.unknown_order()
        order.status = "CANCELED"
        order.update_time = self._now()
        acct.close_order(order)
        self._emit_order(acct, order, "CANCELED")
        return order.rest()

    def open_orders(self, api_key: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """``GET /dapi/v1/openOrders`` (optional ``symbol`` or ``pair``), by order id.

        :raises SimError: -1121 for an unknown symbol, -4087 for an unknown pair.
        """
        acct = self._acct(api_key)
        symbol = params.get("symbol")
        pair = params.get("pair")
        if symbol and symbol not in self.contracts:
            raise SimError.invalid_symbol()
        if pair and pair not in {c.pair for c in self.contracts.values()}:
            raise SimError(-4087, "Invalid pair.")
        return [
            o.rest("open_orders")
            for o in sorted(acct.orders.values(), key=lambda o: o.order_id)
            if (not symbol or o.symbol == symbol) and (not pair or o.contract.pair == pair)
        ]

    def query_order(self, api_key: str, params: Mapping[str, str]) -> dict[str, Any]:
        """``GET /dapi/v1/order``: an open or recently closed order (the last 10000) by
        ``orderId`` or ``origClientOrderId``; ``symbol`` required.

        :raises SimError: -1102, -1121, -2013 no such order.
        """
        acct = self._acct(api_key)
        contract = self._symbol_param(params)
        order = acct.find_order(_order_id_param(params), params.get("origClientOrderId"),
                                include_closed=True)
        if order is None or order.symbol != contract.symbol:
            raise SimError(-2013, "Order does not exist.")
        return order.rest("query")

    def modify_order(self, api_key: str, params: Mapping[str, str]) -> dict[str, Any]:
        """``PUT /dapi/v1/order``: amend an open LIMIT order's ``quantity`` and/or ``price``.

        Params: ``symbol``, ``side`` (must be the order's), ``orderId`` (prevails) or
        ``origClientOrderId``, ``quantity`` and/or ``price``. Emits ORDER_TRADE_UPDATE
        ``x=AMENDMENT`` (status unchanged); the order moves to the back of the matching queue.
        A new price that crosses the mark fills at once as taker. Binance cancels instead of
        amending when the new quantity is <= the executed quantity (``CANCELED``) or a GTX
        order would cross (pushed as ``EXPIRED``, ``er`` "11" [UNCONFIRMED]).

        :returns: the order (response shape).
        :raises SimError: -1102, -1121, -1117 side, -2011 unknown/closed order, -4003/-1111/
            -4001/-4014 bad values, -4197 nothing changes, -2022 hedge close above position,
            -2019 margin insufficient for the increase.
        """
        acct = self._acct(api_key)
        contract = self._symbol_param(params)
        side = _required(params, "side")
        if side not in ("BUY", "SELL"):
            raise SimError(-1117, "Invalid side.")
        order = acct.find_order(_order_id_param(params), params.get("origClientOrderId"))
        if order is None or order.symbol != contract.symbol:
            raise SimError.unknown_order()
        if order.side != side:
            raise SimError(-1117, "Invalid side.")
        if not params.get("quantity") and not params.get("price"):
            raise SimError(-1102, "Param 'quantity' or 'price' must be sent.")
        qty = (_quantity(_decimal_param(params, "quantity", required=True))
               if params.get("quantity") else order.orig_qty)
        price = (_price(_decimal_param(params, "price", required=True), contract)
                 if params.get("price") else order.price)
        if qty == order.orig_qty and price == order.price:
            raise SimError(-4197, "No need to modify the order.")
        now = self._now()
        if qty <= order.executed_qty:
            order.status, order.update_time = "CANCELED", now
            acct.close_order(order)
            self._emit_order(acct, order, "CANCELED")
            return order.rest()
        mark = self._marks[contract.symbol]
        crosses = price >= mark if side == "BUY" else price <= mark
        if order.time_in_force == "GTX" and crosses:
            self._expire(acct, order, "11")
            return order.rest()
        pos = acct.positions[(order.symbol, order.position_side)]
        if order.closing and acct.hedge_mode and qty - order.executed_qty > _closable(
                pos, side):
            raise SimError(-2022, "ReduceOnly Order is rejected.")
        if not order.closing:
            lev = acct.leverage[contract.symbol]
            cs = contract.contract_size
            before = acct.order_initial_margin(order)
            ref = mark if crosses else price
            after = q8((qty - order.executed_qty) * cs / ref / lev)
            available = self._balance(acct, contract.margin_asset).available_balance
            if after - before > available:
                raise SimError.margin_insufficient()
        order.orig_qty, order.price, order.update_time = qty, price, now
        order.priority = self._next_order_id
        self._next_order_id += 1
        self._emit_order(acct, order, "AMENDMENT")
        if crosses:
            self._match_new(acct, order, crosses=True)
        self._check_margin_calls(acct)
        return order.rest()

    def cancel_all_orders(self, api_key: str, params: Mapping[str, str]) -> dict[str, Any]:
        """``DELETE /dapi/v1/allOpenOrders`` (``symbol``): cancel every open order of the
        symbol, oldest first, each with an ORDER_TRADE_UPDATE CANCELED.

        :returns: ``{"code": 200, "msg": "The operation of cancel all open order is done."}``
        :raises SimError: -1102, -1121.
        """
        acct = self._acct(api_key)
        contract = self._symbol_param(params)
        for order in sorted(acct.orders.values(), key=lambda o: o.order_id):
            if order.symbol == contract.symbol:
                order.status, order.update_time = "CANCELED", self._now()
                acct.close_order(order)
                self._emit_order(acct, order, "CANCELED")
        return {"code": 200, "msg": "The operation of cancel all open order is done."}

    def position_mode(self, api_key: str) -> dict[str, Any]:
        """``GET /dapi/v1/positionSide/dual``: ``{"dualSidePosition": bool}``."""
        return {"dualSidePosition": self._acct(api_key).hedge_mode}

    # ================================================================== REST: account

    def account(self, api_key: str) -> dict[str, Any]:
        """``GET /dapi/v1/account``: ``assets[]`` (every coin held, BTC and ETH always) and
        ``positions[]`` (every symbol; BOTH rows, or BOTH/LONG/SHORT in hedge mode)."""
        acct = self._acct(api_key)
        assets = []
        for asset in sorted(acct.wallet):
            b = self._balance(acct, asset)
            assets.append({
                "asset": asset,
                "walletBalance": dec_str(b.wallet_balance),
                "unrealizedProfit": dec_str(b.unrealized_profit),
                "marginBalance": dec_str(b.margin_balance),
                "maintMargin": dec_str(b.maint_margin),
                "initialMargin": dec_str(b.initial_margin),
                "positionInitialMargin": dec_str(b.position_initial_margin),
                "openOrderInitialMargin": dec_str(b.open_order_initial_margin),
                "maxWithdrawAmount": dec_str(b.max_withdraw_amount),
                "crossWalletBalance": dec_str(b.cross_wallet_balance),
                "crossUnPnl": dec_str(b.cross_un_pnl),
                "availableBalance": dec_str(b.available_balance),
                "updateTime": b.update_time,
            })
        positions = []
        for pos in acct.positions.values():
            p = self._position(acct, pos)
            positions.append({
                "symbol": p.symbol,
                "positionAmt": dec_str(p.position_amount),
                "initialMargin": dec_str(p.initial_margin + self._order_margin(acct, pos)),
                "maintMargin": dec_str(p.maint_margin),
                "unrealizedProfit": dec_str(p.unrealized_profit),
                "positionInitialMargin": dec_str(p.initial_margin),
                "openOrderInitialMargin": dec_str(self._order_margin(acct, pos)),
                "leverage": str(p.leverage),
                "isolated": p.margin_type == "isolated",
                "positionSide": p.position_side,
                "entryPrice": dec_str(p.entry_price),
                "breakEvenPrice": dec_str(p.break_even_price),
                "maxQty": str(pos.contract.max_qty(p.leverage)),
                "notionalValue": dec_str(p.notional_value),
                "updateTime": p.update_time,
            })
        return {
            "assets": assets,
            "positions": positions,
            "canDeposit": True,
            "canTrade": True,
            "canWithdraw": True,
            "feeTier": 0,
            "updateTime": 0,
        }

    def balance(self, api_key: str) -> list[dict[str, Any]]:
        """``GET /dapi/v1/balance``: one row per coin held (BTC and ETH always)."""
        acct = self._acct(api_key)
        rows = []
        for asset in sorted(acct.wallet):
            b = self._balance(acct, asset)
            rows.append({
                "accountAlias": acct.alias,
                "asset": asset,
                "balance": dec_str(b.wallet_balance),
                "withdrawAvailable": dec_str(b.max_withdraw_amount),
                "crossWalletBalance": dec_str(b.cross_wallet_balance),
                "crossUnPnl": dec_str(b.cross_un_pnl),
                "availableBalance": dec_str(b.available_balance),
                "updateTime": b.update_time,
            })
        return rows

    def position_risk(self, api_key: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """``GET /dapi/v1/positionRisk`` (optional ``marginAsset`` or ``pair``): every row.

        ``isolatedMargin`` is isolated wallet + unrealized PnL for isolated rows, else 0.
        :raises SimError: -4087 unknown pair.
        """
        acct = self._acct(api_key)
        margin_asset = params.get("marginAsset")
        pair = params.get("pair")
        if pair and pair not in {c.pair for c in self.contracts.values()}:
            raise SimError(-4087, "Invalid pair.")
        rows = []
        for pos in acct.positions.values():
            c = pos.contract
            if (margin_asset and c.margin_asset != margin_asset) or (pair and c.pair != pair):
                continue
            p = self._position(acct, pos)
            iso = p.margin_type == "isolated"
            rows.append({
                "symbol": p.symbol,
                "positionAmt": dec_str(p.position_amount),
                "entryPrice": dec_str(p.entry_price),
                "breakEvenPrice": dec_str(p.break_even_price),
                "markPrice": dec_str(p.mark_price),
                "unRealizedProfit": dec_str(p.unrealized_profit),
                "liquidationPrice": dec_str(p.liquidation_price),
                "leverage": str(p.leverage),
                "maxQty": str(c.max_qty(p.leverage)),
                "marginType": p.margin_type,
                "isolatedMargin": dec_str(p.isolated_wallet + p.unrealized_profit if iso
                                          else ZERO),
                "isAutoAddMargin": "false",
                "positionSide": p.position_side,
                "updateTime": p.update_time,
            })
        return rows

    def change_leverage(self, api_key: str, params: Mapping[str, str]) -> dict[str, Any]:
        """``POST /dapi/v1/leverage`` (``symbol``, ``leverage``): set a symbol's leverage.

        Emits ACCOUNT_CONFIG_UPDATE (``ac.l`` int), even when the value is unchanged.
        :returns: ``{"leverage": int, "maxQty": str, "symbol": str}``.
        :raises SimError: -1102, -1121, -1100 (not an integer), -4028 out of range,
            -4150 lowering an isolated symbol's leverage with an open position.
        """
        acct = self._acct(api_key)
        contract = self._symbol_param(params)
        raw = _required(params, "leverage")
        if not raw.isdigit():
            raise SimError.illegal_chars("leverage")
        lev = int(raw)
        if not 1 <= lev <= contract.max_leverage:
            raise SimError(-4028, f"Leverage {lev} is not valid")
        if (acct.isolated[contract.symbol] and lev < acct.leverage[contract.symbol]
                and self._has_position(acct, contract.symbol)):
            raise SimError(
                -4150,
                "Leverage reduction is not supported in Isolated Margin Mode with open "
                "positions.",
            )
        acct.leverage[contract.symbol] = lev
        t, e = self._times()
        acct.update_time = t
        self._emit(acct, AccountConfigUpdate(
            event_time=e, transaction_time=t,
            leverage=LeverageUpdate(symbol=contract.symbol, leverage=lev)))
        self._check_margin_calls(acct)
        return {"leverage": lev, "maxQty": str(contract.max_qty(lev)),
                "symbol": contract.symbol}

    def change_position_mode(self, api_key: str, dual_side: bool) -> None:
        """``POST /dapi/v1/positionSide/dual``: switch one-way/hedge mode. No event.

        :raises SimError: -4059 unchanged, -4067 open orders exist, -4068 positions exist.
        """
        acct = self._acct(api_key)
        if acct.hedge_mode == dual_side:
            raise SimError(-4059, "No need to change position side.")
        if acct.orders:
            raise SimError(-4067, "Position side cannot be changed if there exists open orders.")
        if any(p.amount != 0 for p in acct.positions.values()):
            raise SimError(-4068, "Position side cannot be changed if there exists position.")
        acct.hedge_mode = dual_side
        acct.reset_positions(self.contracts)

    def change_position_mode_request(
        self, api_key: str, params: Mapping[str, str]
    ) -> dict[str, Any]:
        """``POST /dapi/v1/positionSide/dual`` (``dualSidePosition`` ``"true"``/``"false"``).

        :returns: ``{"code": 200, "msg": "success"}``.
        :raises SimError: -1102, -1130 bad value, and those of :meth:`change_position_mode`.
        """
        _required(params, "dualSidePosition")
        self.change_position_mode(api_key, _bool_param(params, "dualSidePosition"))
        return {"code": 200, "msg": "success"}

    def change_margin_type_request(
        self, api_key: str, params: Mapping[str, str]
    ) -> dict[str, Any]:
        """``POST /dapi/v1/marginType`` (``symbol``, ``marginType`` ``ISOLATED``/``CROSSED``).

        :returns: ``{"code": 200, "msg": "success"}``.
        :raises SimError: -1102, -1121, -1130 bad marginType, and those of
            :meth:`change_margin_type`.
        """
        self._acct(api_key)
        contract = self._symbol_param(params)
        margin_type = _required(params, "marginType").upper()
        if margin_type not in ("ISOLATED", "CROSSED"):
            raise SimError(-1130, "Data sent for parameter 'marginType' is not valid.")
        self.change_margin_type(api_key, contract.symbol, margin_type == "ISOLATED")
        return {"code": 200, "msg": "success"}

    def change_margin_type(self, api_key: str, symbol: str, isolated: bool) -> None:
        """``POST /dapi/v1/marginType``: cross <-> isolated for one symbol.

        Emits ACCOUNT_UPDATE reason MARGIN_TYPE_CHANGE with the symbol's rows (new ``mt``).
        :raises SimError: -1121, -4046 unchanged, -4047 open orders, -4048 open position.
        """
        acct = self._acct(api_key)
        contract = self.contracts.get(symbol)
        if contract is None:
            raise SimError.invalid_symbol()
        if acct.isolated[symbol] == isolated:
            raise SimError(-4046, "No need to change margin type.")
        if any(o.symbol == symbol for o in acct.orders.values()):
            raise SimError(-4047, "Margin type cannot be changed if there exists open orders.")
        if self._has_position(acct, symbol):
            raise SimError(-4048, "Margin type cannot be changed if there exists position.")
        acct.isolated[symbol] = isolated
        t, _ = self._times()
        rows = [p for p in acct.positions.values() if p.contract.symbol == symbol]
        for pos in rows:
            pos.update_time = t
        if self.options.margin_type_change_event:
            self._emit_account_update(acct, "MARGIN_TYPE_CHANGE", [], rows)

    # ================================================================== market / control

    def mark_price(self, symbol: str) -> Decimal:
        """Current mark price of ``symbol``. :raises ValueError: unknown symbol."""
        return self._marks[self._contract(symbol).symbol]

    def set_mark_price(self, symbol: str, price: Decimal) -> None:
        """Move the mark price of ``symbol`` to ``price`` (> 0; any precision).

        Resting LIMIT orders the new price crosses (BUY: mark <= price, SELL: mark >= price)
        fill as maker at their limit price, oldest order id first, at most
        ``partial_fill_contracts`` per order per call. Then every account's margin ratio is
        checked and MARGIN_CALL pushed on a crossing. Moving the price alone pushes nothing
        else (Binance does not push unrealized PnL changes).

        :raises ValueError: unknown symbol or non-positive price.
        """
        contract = self._contract(symbol)
        price = _control_decimal(price, "price")
        if not price.is_finite() or price <= 0:
            raise ValueError(f"mark price must be a positive Decimal, got {price!r}")
        self._marks[contract.symbol] = price
        resting = sorted(
            ((a, o) for a in self._accounts.values() for o in a.orders.values()
             if o.symbol == contract.symbol and o.type == "LIMIT"),
            key=lambda pair: pair[1].priority,
        )
        limit = self.options.partial_fill_contracts
        for acct, order in resting:
            if order.order_id not in acct.orders:
                continue
            crossed = price <= order.price if order.side == "BUY" else price >= order.price
            if not crossed:
                continue
            want = min(order.remaining, Decimal(limit)) if limit else order.remaining
            pos = acct.positions[(order.symbol, order.position_side)]
            if order.closing:
                want = min(want, _closable(pos, order.side))
                if want == 0:
                    self._expire(acct, order, "4")
                    continue
            self._execute(acct, order, want, order.price, maker=True)
            if (order.closing and order.order_id in acct.orders
                    and _closable(pos, order.side) == 0):
                self._expire(acct, order, "4")
        for acct in self._accounts.values():
            self._check_margin_calls(acct)

    def random_walk(self) -> None:
        """One seeded Gaussian step (``random_walk_sigma``) of every mark price, rounded to
        the tick size, applied with :meth:`set_mark_price` in symbol order."""
        for symbol, contract in self.contracts.items():
            factor = Decimal(repr(1.0 + self._rng.gauss(0.0, self.options.random_walk_sigma)))
            new = _to_tick(self._marks[symbol] * factor, contract.tick_size)
            self.set_mark_price(symbol, max(new, contract.tick_size))

    def apply_funding(self, symbol: str, rate: Decimal) -> None:
        """Settle funding on every open position in ``symbol`` at the current mark price.

        Per position: ``-rate * amount * contract_size / mark`` (coin, 8 places): longs pay
        a positive rate. One ACCOUNT_UPDATE (reason FUNDING_FEE, ``bc`` = the total, ``a.S``
        = symbol if ``funding_symbol_field``) per account with a position; ``P`` lists only
        isolated positions (whose isolated wallet takes the funding); cross funding has ``P``
        empty. :raises ValueError: unknown symbol.
        """
        contract = self._contract(symbol)
        rate = _control_decimal(rate, "rate")
        if not rate.is_finite():
            raise ValueError(f"funding rate must be finite, got {rate!r}")
        mark = self._marks[contract.symbol]
        cs = contract.contract_size
        for acct in self._accounts.values():
            rows = [p for p in acct.positions.values()
                    if p.contract.symbol == contract.symbol and p.amount != 0]
            if not rows:
                continue
            t, _ = self._times()
            total = ZERO
            iso_rows = []
            for pos in rows:
                amount = q8(-rate * pos.amount * cs / mark)
                total += amount
                if acct.isolated[contract.symbol]:
                    pos.isolated_wallet = q8(pos.isolated_wallet + amount)
                    pos.update_time = t
                    iso_rows.append(pos)
            asset = contract.margin_asset
            acct.wallet[asset] = q8(acct.wallet[asset] + total)
            acct.balance_time[asset] = t
            self._emit_account_update(
                acct, "FUNDING_FEE", [(asset, total)], iso_rows,
                symbol=contract.symbol if self.options.funding_symbol_field else None,
            )
            self._check_margin_calls(acct)

    def deposit(self, api_key: str, asset: str, amount: Decimal) -> None:
        """Deposit ``amount`` of ``asset`` (negative: withdraw). Pushes ACCOUNT_UPDATE reason
        DEPOSIT (or WITHDRAW) with ``bc`` = the amount and ``P`` empty.

        :raises KeyError: unknown API key. :raises ValueError: zero amount, bad asset name,
            or a withdrawal above the coin's max withdraw amount.
        """
        acct = self._accounts.get(api_key)
        if acct is None:
            raise KeyError("no account with this API key")
        amount = _control_decimal(amount, "amount")
        if not amount.is_finite() or amount == 0 or q8(amount) != amount:
            raise ValueError("amount must be a non-zero Decimal with at most 8 decimals")
        if not asset.isalnum() or not asset.isupper():
            raise ValueError(f"asset must be an upper-case coin name like 'BTC', got {asset!r}")
        if amount < 0:
            held = self._balance(acct, asset).max_withdraw_amount if asset in acct.wallet else 0
            if -amount > held:
                raise ValueError(f"cannot withdraw {-amount} {asset}: max withdraw is {held}")
        t, _ = self._times()
        acct.wallet[asset] = q8(acct.wallet.get(asset, ZERO) + amount)
        acct.balance_time[asset] = t
        self._emit_account_update(acct, "DEPOSIT" if amount > 0 else "WITHDRAW",
                                  [(asset, amount)], [])
        self._check_margin_calls(acct)

    def state(self, api_key: str) -> AccountState:
        """Exact, immutable state of the account (see :class:`AccountState`).

        :raises KeyError: unknown API key.
        """
        acct = self._accounts.get(api_key)
        if acct is None:
            raise KeyError("no account with this API key")
        return AccountState(
            alias=acct.alias,
            hedge_mode=acct.hedge_mode,
            balances=MappingProxyType({a: self._balance(acct, a) for a in sorted(acct.wallet)}),
            positions=MappingProxyType(
                {k: self._position(acct, p) for k, p in acct.positions.items()}),
            open_orders=MappingProxyType(
                {i: o.snapshot() for i, o in sorted(acct.orders.items())}),
            leverage=MappingProxyType(dict(acct.leverage)),
            margin_types=MappingProxyType({s: acct.margin_type(s) for s in self.contracts}),
            mark_prices=MappingProxyType(dict(self._marks)),
        )

    def account_alias(self, api_key: str) -> str:
        """The account's alias (``i`` in events). :raises KeyError: unknown API key."""
        return self._accounts[api_key].alias

    # ================================================================== matching

    def _match_new(self, acct: Account, order: Order, crosses: bool) -> None:
        """Match a just-accepted order against the mark price (taker fills at the mark)."""
        mark = self._marks[order.symbol]
        pos = acct.positions[(order.symbol, order.position_side)]
        limit = self.options.partial_fill_contracts
        cap = _closable(pos, order.side) if order.closing else order.remaining
        if order.type == "MARKET":
            to_fill = min(order.remaining, cap)
            while to_fill > 0:
                chunk = min(to_fill, Decimal(limit)) if limit else to_fill
                self._execute(acct, order, chunk, mark, maker=False)
                to_fill -= chunk
            if order.remaining > 0:
                self._expire(acct, order, "9")
            return
        tif = order.time_in_force
        if not crosses:
            if tif in ("IOC", "FOK"):
                self._expire(acct, order, "2" if tif == "IOC" else "10")
            return
        fillable = min(order.remaining, cap)
        if limit:
            fillable = min(fillable, Decimal(limit))
        if tif == "FOK":
            if fillable < order.remaining:
                self._expire(acct, order, "10")
            else:
                self._execute(acct, order, fillable, mark, maker=False)
            return
        if fillable > 0:
            self._execute(acct, order, fillable, mark, maker=False)
        if order.order_id not in acct.orders:
            return
        if tif == "IOC":
            self._expire(acct, order, "2")
        elif order.closing and _closable(pos, order.side) == 0:
            self._expire(acct, order, "4")

    def _execute(
        self, acct: Account, order: Order, qty: Decimal, price: Decimal, *, maker: bool
    ) -> None:
        """Fill ``qty`` of ``order`` at ``price``: position, wallet, then the two events."""
        contract = order.contract
        cs = contract.contract_size
        asset = contract.margin_asset
        t, _ = self._times()
        rate = self.options.maker_fee_rate if maker else self.options.taker_fee_rate
        commission = q8(qty * cs / price * rate)
        pos = acct.positions[(order.symbol, order.position_side)]
        isolated = acct.isolated[order.symbol]
        delta = qty if order.side == "BUY" else -qty
        realized = ZERO
        opened = qty
        old = pos.amount
        if old != 0 and (old > 0) != (delta > 0):
            close = min(abs(old), qty)
            signed_close = close if old > 0 else -close
            realized = pnl(signed_close, pos.entry_price, price, cs)
            if isolated:
                release = (pos.isolated_wallet if close == abs(old)
                           else q8(pos.isolated_wallet * close / abs(old)))
                pos.isolated_wallet = q8(pos.isolated_wallet - release)
            pos.amount = old - signed_close
            if pos.amount == 0:
                pos.entry_price = ZERO
            opened = qty - close
        if opened > 0:
            pos.entry_price = entry_after_increase(abs(pos.amount), pos.entry_price,
                                                   opened, price)
            pos.amount += opened if delta > 0 else -opened
            if isolated:
                pos.isolated_wallet = q8(
                    pos.isolated_wallet + opened * cs / price / acct.leverage[order.symbol])
        pos.accumulated_realized = q8(pos.accumulated_realized + realized)
        pos.update_time = t
        acct.wallet[asset] = q8(acct.wallet[asset] + realized - commission)
        acct.balance_time[asset] = t
        acct.update_time = t
        order.record_fill(qty, price, t)
        fill = Fill(self._next_trade_id, qty, price, commission, realized, maker)
        self._next_trade_id += 1
        if order.status == "FILLED":
            acct.close_order(order)
        self._emit_order(acct, order, "TRADE", fill=fill)
        self._emit_account_update(acct, "ORDER", [(asset, ZERO)], [pos])

    def _expire(self, acct: Account, order: Order, reason: str) -> None:
        order.status = "EXPIRED"
        order.update_time = self._now()
        acct.close_order(order)
        self._emit_order(acct, order, "EXPIRED", expiry_reason=reason)

    # ================================================================== margin calls

    def _check_margin_calls(self, acct: Account) -> None:
        """Push MARGIN_CALL when a margin ratio reaches the threshold (once per crossing)."""
        ratio = self.options.margin_call_ratio
        mmr = self.options.maint_margin_rate
        _, e = self._times()
        for asset in sorted(acct.wallet):
            key: tuple[str, ...] = ("cross", asset)
            rows = [p for p in acct.positions.values()
                    if p.contract.margin_asset == asset and p.amount != 0
                    and not acct.isolated[p.contract.symbol]]
            if not rows:
                acct.margin_calls.discard(key)
                continue
            cw = acct.cross_wallet(asset)
            mm = sum((acct.position_maint_margin(p, self._marks[p.contract.symbol], mmr)
                      for p in rows), ZERO)
            mb = cw + sum((self._up(p) for p in rows), ZERO)
            if mb <= 0 or mm / mb >= ratio:
                if key not in acct.margin_calls:
                    acct.margin_calls.add(key)
                    self._emit(acct, MarginCall(
                        event_time=e, cross_wallet_balance=cw, account_alias=acct.alias,
                        positions=tuple(self._margin_call_row(acct, p, "CROSSED")
                                        for p in rows)))
            else:
                acct.margin_calls.discard(key)
        for pos in acct.positions.values():
            key = ("isolated", pos.contract.symbol, pos.side)
            if pos.amount == 0 or not acct.isolated[pos.contract.symbol]:
                acct.margin_calls.discard(key)
                continue
            mark = self._marks[pos.contract.symbol]
            mm = acct.position_maint_margin(pos, mark, mmr)
            mb = pos.isolated_wallet + self._up(pos)
            if mb <= 0 or mm / mb >= ratio:
                if key not in acct.margin_calls:
                    acct.margin_calls.add(key)
                    self._emit(acct, MarginCall(
                        event_time=e, account_alias=acct.alias,
                        positions=(self._margin_call_row(acct, pos, "ISOLATED"),)))
            else:
                acct.margin_calls.discard(key)

    def _margin_call_row(self, acct: Account, pos: Position, mt: str) -> MarginCallPosition:
        mark = self._marks[pos.contract.symbol]
        return MarginCallPosition(
            symbol=pos.contract.symbol,
            position_side=pos.side,
            position_amount=pos.amount,
            margin_type=mt,
            isolated_wallet=pos.isolated_wallet,
            mark_price=mark,
            unrealized_pnl=self._up(pos),
            maintenance_margin=acct.position_maint_margin(pos, mark,
                                                          self.options.maint_margin_rate),
        )

    # ================================================================== events

    def _times(self) -> tuple[int, int]:
        t = self._now()
        return t, t + self.options.event_latency_ms

    def _emit(self, acct: Account, event: UserDataEvent) -> None:
        if self.on_event is not None:
            self.on_event(acct.api_key, event)

    def _emit_order(
        self, acct: Account, order: Order, execution_type: str, *,
        fill: Fill | None = None, expiry_reason: str = "0",
    ) -> None:
        t, e = self._times()
        self._emit(acct, OrderTradeUpdate(
            event_time=e, transaction_time=t, account_alias=acct.alias,
            order=order.event_payload(execution_type, t, fill, expiry_reason)))

    def _emit_account_update(
        self, acct: Account, reason: str, balances: Iterable[tuple[str, Decimal]],
        positions: list[Position], symbol: str | None = None,
    ) -> None:
        t, e = self._times()
        if self.options.account_update_positions == "all" and reason in (
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
        self._emit(acct, AccountUpdate(event_time=e, transaction_time=t, data=data,
                                       account_alias=acct.alias))

    def _position_update(self, acct: Account, pos: Position) -> PositionUpdate:
        return PositionUpdate(
            symbol=pos.contract.symbol,
            position_amount=pos.amount,
            entry_price=pos.entry_price,
            break_even_price=bep_for(pos.amount, pos.entry_price, self.options.taker_fee_rate),
            accumulated_realized=pos.accumulated_realized,
            unrealized_pnl=self._up(pos),
            margin_type=acct.margin_type(pos.contract.symbol),
            isolated_wallet=pos.isolated_wallet,
            position_side=pos.side,
        )

    # ================================================================== figures

    def _up(self, pos: Position) -> Decimal:
        return pnl(pos.amount, pos.entry_price, self._marks[pos.contract.symbol],
                   pos.contract.contract_size)

    def _order_margin(self, acct: Account, pos: Position) -> Decimal:
        return sum((acct.order_initial_margin(o) for o in acct.orders.values()
                    if o.symbol == pos.contract.symbol and o.position_side == pos.side), ZERO)

    def _balance(self, acct: Account, asset: str) -> BalanceState:
        mmr = self.options.maint_margin_rate
        rows = [p for p in acct.positions.values() if p.contract.margin_asset == asset]
        up_total = cross_up = pos_im = cross_im = mm = ZERO
        for pos in rows:
            mark = self._marks[pos.contract.symbol]
            up = self._up(pos)
            im = acct.position_initial_margin(pos, mark)
            up_total += up
            pos_im += im
            mm += acct.position_maint_margin(pos, mark, mmr)
            if not acct.isolated[pos.contract.symbol]:
                cross_up += up
                cross_im += im
        oo_im = sum((acct.order_initial_margin(o) for o in acct.orders.values()
                     if o.contract.margin_asset == asset), ZERO)
        wb = acct.wallet.get(asset, ZERO)
        cw = acct.cross_wallet(asset)
        available = cw + cross_up - cross_im - oo_im
        return BalanceState(
            asset=asset,
            wallet_balance=wb,
            cross_wallet_balance=cw,
            unrealized_profit=up_total,
            cross_un_pnl=cross_up,
            margin_balance=wb + up_total,
            available_balance=available,
            max_withdraw_amount=max(ZERO, min(available, cw)),
            initial_margin=pos_im + oo_im,
            maint_margin=mm,
            position_initial_margin=pos_im,
            open_order_initial_margin=oo_im,
            update_time=acct.balance_time.get(asset, acct.update_time),
        )

    def _position(self, acct: Account, pos: Position) -> PositionState:
        symbol = pos.contract.symbol
        mark = self._marks[symbol]
        cs = pos.contract.contract_size
        return PositionState(
            symbol=symbol,
            position_side=pos.side,
            position_amount=pos.amount,
            entry_price=pos.entry_price,
            break_even_price=bep_for(pos.amount, pos.entry_price, self.options.taker_fee_rate),
            accumulated_realized=pos.accumulated_realized,
            unrealized_profit=self._up(pos),
            margin_type=acct.margin_type(symbol),
            isolated_wallet=pos.isolated_wallet,
            leverage=acct.leverage[symbol],
            mark_price=mark,
            notional_value=q8(pos.amount * cs / mark),
            initial_margin=acct.position_initial_margin(pos, mark),
            maint_margin=acct.position_maint_margin(pos, mark, self.options.maint_margin_rate),
            liquidation_price=self._liquidation_price(acct, pos),
            update_time=pos.update_time,
        )

    def _liquidation_price(self, acct: Account, pos: Position) -> Decimal:
        """Mark price at which margin balance equals maintenance margin (0 if none)."""
        if pos.amount == 0:
            return ZERO
        mmr = self.options.maint_margin_rate
        asset = pos.contract.margin_asset
        if acct.isolated[pos.contract.symbol]:
            margin = pos.isolated_wallet
        else:
            margin = acct.cross_wallet(asset)
            for other in acct.positions.values():
                if (other is pos or other.amount == 0 or other.contract.margin_asset != asset
                        or acct.isolated[other.contract.symbol]):
                    continue
                mark = self._marks[other.contract.symbol]
                margin += self._up(other) - acct.position_maint_margin(other, mark, mmr)
        qcs = abs(pos.amount) * pos.contract.contract_size
        if pos.amount > 0:
            denom = margin + qcs / pos.entry_price
            return q8(qcs * (1 + mmr) / denom) if denom > 0 else ZERO
        denom = qcs / pos.entry_price - margin
        return q8(qcs * (1 - mmr) / denom) if denom > 0 else ZERO

    # ================================================================== lookups

    def _acct(self, api_key: str) -> Account:
        acct = self._accounts.get(api_key)
        if acct is None:
            raise SimError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        return acct

    def _contract(self, symbol: str) -> Contract:
        contract = self.contracts.get(symbol)
        if contract is None:
            raise ValueError(f"unknown symbol {symbol!r}; listed: {', '.join(self.contracts)}")
        return contract

    def _symbol_param(self, params: Mapping[str, str]) -> Contract:
        contract = self.contracts.get(_required(params, "symbol"))
        if contract is None:
            raise SimError.invalid_symbol()
        return contract

    def _has_position(self, acct: Account, symbol: str) -> bool:
        return any(p.amount != 0 for p in acct.positions.values()
                   if p.contract.symbol == symbol)

    def _new_alias(self, used: set[str]) -> str:
        while True:
            alias = "".join(self._rng.choice(string.ascii_letters) for _ in range(4))
            if alias not in used:
                return alias


# ====================================================================== helpers


def _closable(pos: Position, side: str) -> Decimal:
    """Contracts an order on ``side`` can close of ``pos`` (0 if it would not reduce it)."""
    if (pos.amount > 0 and side == "SELL") or (pos.amount < 0 and side == "BUY"):
        return abs(pos.amount)
    return ZERO


def _control_decimal(value: object, name: str) -> Decimal:
    """A Decimal from a control-API argument; floats are refused (they are inexact)."""
    if isinstance(value, (Decimal, int, str)) and not isinstance(value, bool):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    raise ValueError(f"{name} must be a Decimal (or int/str of a number), got {value!r}")


def _quantity(qty: Decimal) -> Decimal:
    if qty <= 0:
        raise SimError(-4003, "Quantity less than zero.")
    if qty != qty.to_integral_value():
        raise SimError(-1111, "Precision is over the maximum defined for this asset.")
    if qty > _MAX_QTY:
        raise SimError(-4005, "Quantity greater than max quantity.")
    return qty.quantize(Decimal(1))


def _price(price: Decimal, contract: Contract) -> Decimal:
    if price <= 0:
        raise SimError(-4001, "Price less than 0.")
    if price % contract.tick_size != 0:
        raise SimError(-4014, "Price not increased by tick size.")
    return price


def _to_tick(price: Decimal, tick: Decimal) -> Decimal:
    return (price / tick).to_integral_value(rounding=ROUND_HALF_EVEN) * tick


def _order_id_param(params: Mapping[str, str]) -> int | None:
    """``orderId`` as int (None if absent); -1102 if neither it nor ``origClientOrderId``."""
    raw = params.get("orderId")
    if not raw:
        if not params.get("origClientOrderId"):
            raise SimError(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        return None
    if not raw.isdigit():
        raise SimError.illegal_chars("orderId")
    return int(raw)


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise SimError.mandatory(name)
    return value


def _decimal_param(params: Mapping[str, str], name: str, *, required: bool) -> Decimal:
    raw = _required(params, name) if required else params.get(name, "0")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise SimError(
            -1100,
            f"Illegal characters found in parameter '{name}'; "
            "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        ) from None
    if not value.is_finite():
        raise SimError(-1100, f"Illegal characters found in parameter '{name}'.")
    return value


def _bool_param(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() not in ("true", "false"):
        raise SimError(-1130, f"Data sent for parameter '{name}' is not valid.")
    return raw.lower() == "true"
