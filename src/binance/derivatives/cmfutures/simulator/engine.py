"""The simulator's account engine: inverse-contract accounts, orders, fills, events. No I/O.

:class:`Exchange` holds every account (one per API key), the mark prices and the resting
limit orders. REST handlers take the decoded request params and return the JSON body Binance
would send, or raise :class:`SimError`. Every state change pushes user data events, in the
order Binance pushes them, through :attr:`Exchange.on_event` as ``(api_key, event)``.

Time comes only from ``now_ms()``; randomness only from the given ``random.Random``: the same
seed and the same calls give the same events, byte for byte. Behaviour, formulas and every
UNCONFIRMED choice are documented in ``docs/simulator-engine.md``.

This module is the facade: it owns the accounts, the mark prices and the public API, and
delegates to :mod:`.order_entry` (order endpoints), :mod:`.matching` (fills, expiry),
:mod:`.account_config` (leverage, position mode, margin type), :mod:`.funding` (funding,
deposits), :mod:`.margin` (figures, margin calls), :mod:`.rest_views` (account JSON,
snapshots) and :mod:`.emit` (events).
"""

from __future__ import annotations

import random
import re
import string
from collections import deque
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ..events import UserDataEvent
from . import account_config, funding
from ._money import ZERO, q8
from .accounts import Account
from .brackets import bracket_json
from .contracts import Contract, default_contracts, exchange_info
from .emit import Emitter, EventSink
from .errors import SimError
from .history import income_rows, user_trade_rows
from .matching import Matcher
from .options import EngineOptions
from .order_entry import OrderEntry
from .params import bool_param, control_decimal, required, symbol_param
from .rest_views import account_body, account_state, balance_rows, position_risk_rows
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

_ALIAS_RE = re.compile(r"^[A-Za-z]{4}$")


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
    :ivar options: the :class:`EngineOptions` in force (fixed at construction: the engine's
        collaborators hold it, so do not reassign it).
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
        self.contracts: dict[str, Contract] = default_contracts(now_ms(),
                                                                  self.options.leverage_brackets)
        self._marks: dict[str, Decimal] = {}
        for contract in self.contracts.values():
            base = self.options.initial_mark_prices.get(contract.base_asset, Decimal(1000))
            if contract.contract_type != "PERPETUAL":
                base = base * (1 + self.options.quarterly_premium)
            self._marks[contract.symbol] = _to_tick(base, contract.tick_size)
        self._accounts: dict[str, Account] = {}
        self._emitter = Emitter(now_ms, self.options, self._marks, self._dispatch)
        self._matcher = Matcher(now_ms, self.options, self._marks, self._emitter)
        self._orders = OrderEntry(now_ms, rng, self.options, self.contracts, self._marks,
                                  self._emitter, self._matcher)

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
            trades=deque(maxlen=self.options.history_limit),
            income=deque(maxlen=self.options.history_limit),
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
            client order id, -5022 post-only would cross, -2027 the position (plus open
            orders on that side) would exceed ``maxQty`` at the leverage, -2019 margin
            insufficient.
        """
        return self._orders.new_order(self._acct(api_key), params)

    def cancel_order(self, api_key: str, params: Mapping[str, str]) -> dict[str, Any]:
        """``DELETE /dapi/v1/order``: cancel an open order by ``orderId`` or
        ``origClientOrderId`` (``symbol`` required). Emits ORDER_TRADE_UPDATE CANCELED.

        :returns: the order with status CANCELED.
        :raises SimError: -1102 (symbol, or neither id), -1121, -2011 unknown/closed order.
        """
        return self._orders.cancel_order(self._acct(api_key), params)

    def open_orders(self, api_key: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """``GET /dapi/v1/openOrders`` (optional ``symbol`` or ``pair``), by order id.

        :raises SimError: -1121 for an unknown symbol, -4087 for an unknown pair.
        """
        return self._orders.open_orders(self._acct(api_key), params)

    def query_order(self, api_key: str, params: Mapping[str, str]) -> dict[str, Any]:
        """``GET /dapi/v1/order``: an open or recently closed order (the last 10000) by
        ``orderId`` or ``origClientOrderId``; ``symbol`` required.

        :raises SimError: -1102, -1121, -2013 no such order.
        """
        return self._orders.query_order(self._acct(api_key), params)

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
        return self._orders.modify_order(self._acct(api_key), params)

    def cancel_all_orders(self, api_key: str, params: Mapping[str, str]) -> dict[str, Any]:
        """``DELETE /dapi/v1/allOpenOrders`` (``symbol``): cancel every open order of the
        symbol, oldest first, each with an ORDER_TRADE_UPDATE CANCELED.

        :returns: ``{"code": 200, "msg": "The operation of cancel all open order is done."}``
        :raises SimError: -1102, -1121.
        """
        return self._orders.cancel_all_orders(self._acct(api_key), params)

    def position_mode(self, api_key: str) -> dict[str, Any]:
        """``GET /dapi/v1/positionSide/dual``: ``{"dualSidePosition": bool}``."""
        return {"dualSidePosition": self._acct(api_key).hedge_mode}

    # ================================================================== REST: account

    def account(self, api_key: str) -> dict[str, Any]:
        """``GET /dapi/v1/account``: ``assets[]`` (every coin held, BTC and ETH always) and
        ``positions[]`` (every symbol; BOTH rows, or BOTH/LONG/SHORT in hedge mode)."""
        return account_body(self._acct(api_key), self._marks, self.options)

    def balance(self, api_key: str) -> list[dict[str, Any]]:
        """``GET /dapi/v1/balance``: one row per coin held (BTC and ETH always)."""
        return balance_rows(self._acct(api_key), self._marks, self.options)

    def position_risk(self, api_key: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """``GET /dapi/v1/positionRisk`` (optional ``marginAsset`` or ``pair``): every row.

        ``isolatedMargin`` is isolated wallet + unrealized PnL for isolated rows, else 0.
        :raises SimError: -4087 unknown pair.
        """
        return position_risk_rows(self._acct(api_key), self.contracts, params, self._marks,
                                  self.options)

    def leverage_brackets(self, api_key: str, params: Mapping[str, str],
                          ) -> list[dict[str, Any]]:
        """``GET /dapi/v2/leverageBracket`` (optional ``symbol``): one entry per symbol,
        ``{"symbol", "brackets": [{bracket, initialLeverage, qtyCap, qtyFloor,
        maintMarginRatio, cum}]}`` (numbers, not strings). Always a list, as the COIN-M
        documentation shows, also when ``symbol`` is sent.

        :raises SimError: -1121 unknown symbol.
        """
        self._acct(api_key)
        symbol = params.get("symbol")
        if symbol and symbol not in self.contracts:
            raise SimError.invalid_symbol()
        key = self.options.bracket_floor_key
        return [bracket_json("symbol", c.symbol, c.brackets, key)
                for c in self.contracts.values() if not symbol or c.symbol == symbol]

    def leverage_brackets_by_pair(self, api_key: str, params: Mapping[str, str],
                                  ) -> list[dict[str, Any]]:
        """``GET /dapi/v1/leverageBracket`` (optional ``pair``): one entry per pair,
        ``{"pair", "brackets": [...]}`` (the pair's default brackets).

        :raises SimError: -4087 unknown pair.
        """
        self._acct(api_key)
        pair = params.get("pair")
        by_pair: dict[str, Contract] = {}
        for c in self.contracts.values():
            by_pair.setdefault(c.pair, c)
        if pair and pair not in by_pair:
            raise SimError(-4087, "Invalid pair.")
        key = self.options.bracket_floor_key
        return [bracket_json("pair", p, c.brackets, key)
                for p, c in by_pair.items() if not pair or p == pair]

    def user_trades(self, api_key: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """``GET /dapi/v1/userTrades``: the account's fills by ``symbol`` or ``pair`` (see
        :func:`.history.user_trade_rows` for the parameter rules and errors)."""
        return user_trade_rows(self._acct(api_key).trades, self.contracts, params,
                               self._now())

    def income(self, api_key: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """``GET /dapi/v1/income``: REALIZED_PNL and COMMISSION per fill, FUNDING_FEE per
        settlement, TRANSFER per deposit/withdrawal (see :func:`.history.income_rows`)."""
        return income_rows(self._acct(api_key).income, self.contracts, params, self._now())

    def change_leverage(self, api_key: str, params: Mapping[str, str]) -> dict[str, Any]:
        """``POST /dapi/v1/leverage`` (``symbol``, ``leverage``): set a symbol's leverage.

        Emits ACCOUNT_CONFIG_UPDATE (``ac.l`` int), even when the value is unchanged.
        :returns: ``{"leverage": int, "maxQty": str, "symbol": str}``.
        :raises SimError: -1102, -1121, -1100 (not an integer), -4028 out of range,
            -4150 lowering an isolated symbol's leverage with an open position, -2027
            raising it while a position exceeds the new leverage's ``maxQty``.
        """
        return account_config.change_leverage(self._acct(api_key), self.contracts, params,
                                              self._emitter, self._marks)

    def change_position_mode(self, api_key: str, dual_side: bool) -> None:
        """``POST /dapi/v1/positionSide/dual``: switch one-way/hedge mode. No event.

        :raises SimError: -4059 unchanged, -4067 open orders exist, -4068 positions exist.
        """
        account_config.change_position_mode(self._acct(api_key), self.contracts, dual_side)

    def change_position_mode_request(
        self, api_key: str, params: Mapping[str, str]
    ) -> dict[str, Any]:
        """``POST /dapi/v1/positionSide/dual`` (``dualSidePosition`` ``"true"``/``"false"``).

        :returns: ``{"code": 200, "msg": "success"}``.
        :raises SimError: -1102, -1130 bad value, and those of :meth:`change_position_mode`.
        """
        required(params, "dualSidePosition")
        self.change_position_mode(api_key, bool_param(params, "dualSidePosition"))
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
        contract = symbol_param(self.contracts, params)
        margin_type = required(params, "marginType").upper()
        if margin_type not in ("ISOLATED", "CROSSED"):
            raise SimError(-1130, "Data sent for parameter 'marginType' is not valid.")
        self.change_margin_type(api_key, contract.symbol, margin_type == "ISOLATED")
        return {"code": 200, "msg": "success"}

    def change_margin_type(self, api_key: str, symbol: str, isolated: bool) -> None:
        """``POST /dapi/v1/marginType``: cross <-> isolated for one symbol.

        Emits ACCOUNT_UPDATE reason MARGIN_TYPE_CHANGE with the symbol's rows (new ``mt``).
        :raises SimError: -1121, -4046 unchanged, -4047 open orders, -4048 open position.
        """
        account_config.change_margin_type(self._acct(api_key), self.contracts, symbol,
                                          isolated, self._emitter, self.options)

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
        price = control_decimal(price, "price")
        if not price.is_finite() or price <= 0:
            raise ValueError(f"mark price must be a positive Decimal, got {price!r}")
        self._marks[contract.symbol] = price
        self._matcher.sweep(self._accounts.values(), contract, price)
        for acct in self._accounts.values():
            self._emitter.check_margin_calls(acct)

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
        funding.apply_funding(self._accounts.values(), self._contract(symbol), rate,
                              self._marks, self.options, self._emitter)

    def deposit(self, api_key: str, asset: str, amount: Decimal) -> None:
        """Deposit ``amount`` of ``asset`` (negative: withdraw). Pushes ACCOUNT_UPDATE reason
        DEPOSIT (or WITHDRAW) with ``bc`` = the amount and ``P`` empty.

        :raises KeyError: unknown API key. :raises ValueError: zero amount, bad asset name,
            or a withdrawal above the coin's max withdraw amount.
        """
        acct = self._accounts.get(api_key)
        if acct is None:
            raise KeyError("no account with this API key")
        funding.deposit(acct, asset, amount, self._marks, self.options, self._emitter)

    def state(self, api_key: str) -> AccountState:
        """Exact, immutable state of the account (see :class:`AccountState`).

        :raises KeyError: unknown API key.
        """
        acct = self._accounts.get(api_key)
        if acct is None:
            raise KeyError("no account with this API key")
        return account_state(acct, self.contracts, self._marks, self.options)

    def account_alias(self, api_key: str) -> str:
        """The account's alias (``i`` in events). :raises KeyError: unknown API key."""
        return self._accounts[api_key].alias

    # ================================================================== internals

    def _dispatch(self, api_key: str, event: UserDataEvent) -> None:
        if self.on_event is not None:
            self.on_event(api_key, event)

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

    def _new_alias(self, used: set[str]) -> str:
        while True:
            alias = "".join(self._rng.choice(string.ascii_letters) for _ in range(4))
            if alias not in used:
                return alias


def _to_tick(price: Decimal, tick: Decimal) -> Decimal:
    return (price / tick).to_integral_value(rounding=ROUND_HALF_EVEN) * tick
