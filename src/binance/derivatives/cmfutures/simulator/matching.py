"""Matching against the mark price: taker fills of new orders, maker fills of resting LIMIT
orders when the mark moves, partial fills, expiry, and the effect of each fill on the
position and the wallet.

There is no order book: a BUY crosses when its price is >= the mark (a SELL when <=). Takers
fill at the mark, makers at their limit price. ``partial_fill_contracts`` caps each fill, so
orders pass through ``PARTIALLY_FILLED``. Each fill pushes ORDER_TRADE_UPDATE TRADE, then
ACCOUNT_UPDATE reason ORDER; expiry pushes ORDER_TRADE_UPDATE EXPIRED with its ``er`` code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from ._money import ZERO, q8
from .accounts import Account, entry_after_increase, pnl
from .contracts import Contract
from .emit import Emitter
from .history import TradeRecord
from .margin import closable
from .options import EngineOptions
from .orders import Fill, Order

__all__ = ["Matcher"]


class Matcher:
    """Fills and expires orders; owns the trade id sequence.

    :param now_ms: the engine's clock (epoch ms).
    :param options: fee rates and ``partial_fill_contracts``.
    :param marks: symbol -> mark price, shared with the engine (read only here).
    :param emitter: pushes the events of each fill and expiry.
    """

    def __init__(self, now_ms: Callable[[], int], options: EngineOptions,
                 marks: Mapping[str, Decimal], emitter: Emitter) -> None:
        self._now = now_ms
        self._options = options
        self._marks = marks
        self._emit = emitter
        self._next_trade_id = 5_000_001

    def match_new(self, acct: Account, order: Order, crosses: bool) -> None:
        """Match a just-accepted (or just-amended) order against the mark price.

        MARKET: fill what it may (all, or up to the closable amount) at the mark, expire the
        rest (``er`` 9). LIMIT that does not cross: IOC/FOK expire (2/10), GTC rests. LIMIT
        that crosses: fill at the mark (FOK all-or-nothing: 10), IOC expires the rest (2), a
        closing order whose position is gone expires (4).
        """
        mark = self._marks[order.symbol]
        pos = acct.positions[(order.symbol, order.position_side)]
        limit = self._options.partial_fill_contracts
        cap = closable(pos, order.side) if order.closing else order.remaining
        if order.type == "MARKET":
            to_fill = min(order.remaining, cap)
            while to_fill > 0:
                chunk = min(to_fill, Decimal(limit)) if limit else to_fill
                self.execute(acct, order, chunk, mark, maker=False)
                to_fill -= chunk
            if order.remaining > 0:
                self.expire(acct, order, "9")
            return
        tif = order.time_in_force
        if not crosses:
            if tif in ("IOC", "FOK"):
                self.expire(acct, order, "2" if tif == "IOC" else "10")
            return
        fillable = min(order.remaining, cap)
        if limit:
            fillable = min(fillable, Decimal(limit))
        if tif == "FOK":
            if fillable < order.remaining:
                self.expire(acct, order, "10")
            else:
                self.execute(acct, order, fillable, mark, maker=False)
            return
        if fillable > 0:
            self.execute(acct, order, fillable, mark, maker=False)
        if order.order_id not in acct.orders:
            return
        if tif == "IOC":
            self.expire(acct, order, "2")
        elif order.closing and closable(pos, order.side) == 0:
            self.expire(acct, order, "4")

    def sweep(self, accounts: Iterable[Account], contract: Contract, price: Decimal) -> None:
        """Fill the resting LIMIT orders of ``contract`` that the new mark ``price`` crosses
        (BUY: mark <= price, SELL: mark >= price) as maker at their limit price, in queue
        order, at most ``partial_fill_contracts`` per order. Closing orders with nothing
        left to close expire (``er`` 4)."""
        resting = sorted(
            ((a, o) for a in accounts for o in a.orders.values()
             if o.symbol == contract.symbol and o.type == "LIMIT"),
            key=lambda pair: pair[1].priority,
        )
        limit = self._options.partial_fill_contracts
        for acct, order in resting:
            if order.order_id not in acct.orders:
                continue
            crossed = price <= order.price if order.side == "BUY" else price >= order.price
            if not crossed:
                continue
            want = min(order.remaining, Decimal(limit)) if limit else order.remaining
            pos = acct.positions[(order.symbol, order.position_side)]
            if order.closing:
                want = min(want, closable(pos, order.side))
                if want == 0:
                    self.expire(acct, order, "4")
                    continue
            self.execute(acct, order, want, order.price, maker=True)
            if (order.closing and order.order_id in acct.orders
                    and closable(pos, order.side) == 0):
                self.expire(acct, order, "4")

    def execute(
        self, acct: Account, order: Order, qty: Decimal, price: Decimal, *, maker: bool
    ) -> None:
        """Fill ``qty`` of ``order`` at ``price``: position, wallet, then the two events."""
        contract = order.contract
        cs = contract.contract_size
        asset = contract.margin_asset
        t, _ = self._emit.times()
        rate = self._options.maker_fee_rate if maker else self._options.taker_fee_rate
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
        acct.trades.append(TradeRecord(
            fill.trade_id, order.order_id, contract, order.side, price, qty, realized,
            q8(qty * cs / price), commission, t, order.position_side, maker))
        trade_id = str(fill.trade_id)
        acct.record_income(order.symbol, "REALIZED_PNL", realized, asset, t, trade_id=trade_id)
        acct.record_income(order.symbol, "COMMISSION", -commission, asset, t, trade_id=trade_id)
        if order.status == "FILLED":
            acct.close_order(order)
        self._emit.order(acct, order, "TRADE", fill=fill)
        self._emit.account_update(acct, "ORDER", [(asset, ZERO)], [pos])

    def expire(self, acct: Account, order: Order, reason: str) -> None:
        """Close ``order`` as EXPIRED with expiry reason ``reason`` (the event's ``er``)."""
        order.status = "EXPIRED"
        order.update_time = self._now()
        acct.close_order(order)
        self._emit.order(acct, order, "EXPIRED", expiry_reason=reason)
