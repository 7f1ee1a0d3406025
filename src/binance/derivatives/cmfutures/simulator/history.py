"""An account's trade and income history: ``GET /dapi/v1/userTrades`` and
``GET /dapi/v1/income``.

The matcher records one :class:`TradeRecord` per fill and the REALIZED_PNL/COMMISSION income
it causes; funding records FUNDING_FEE, deposits and withdrawals TRANSFER. Rows are written
with Binance's documented field names and number formats (``realizedPnl``/``baseQty``/
``commission`` ``"0"`` or 8 decimals, ``income`` with 8 decimals, ``tranId`` a string).
Each account keeps the last ``EngineOptions.history_limit`` records of each kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from ._money import coin8, dec_str, nz8
from .contracts import Contract
from .errors import SimError

__all__ = [
    "INCOME_TYPES",
    "IncomeRecord",
    "TradeRecord",
    "income_rows",
    "user_trade_rows",
]

SEVEN_DAYS_MS = 7 * 86_400_000
ONE_YEAR_MS = 365 * 86_400_000
INCOME_TYPES = frozenset({
    "TRANSFER", "WELCOME_BONUS", "FUNDING_FEE", "REALIZED_PNL", "COMMISSION",
    "INSURANCE_CLEAR", "DELIVERED_SETTELMENT",
})
"""incomeType values the COIN-M documentation lists (the simulator produces the first five
that it models: TRANSFER, FUNDING_FEE, REALIZED_PNL, COMMISSION)."""


@dataclass(frozen=True)
class TradeRecord:
    """One fill of one of the account's orders (a ``userTrades`` row)."""

    trade_id: int
    order_id: int
    contract: Contract
    side: str
    price: Decimal
    qty: Decimal
    realized_pnl: Decimal
    base_qty: Decimal
    commission: Decimal
    time: int
    position_side: str
    maker: bool

    def json(self) -> dict[str, Any]:
        """The row in the documented field order."""
        c = self.contract
        return {
            "symbol": c.symbol,
            "id": self.trade_id,
            "orderId": self.order_id,
            "pair": c.pair,
            "side": self.side,
            "price": dec_str(self.price),
            "qty": dec_str(self.qty),
            "realizedPnl": nz8(self.realized_pnl),
            "marginAsset": c.margin_asset,
            "baseQty": nz8(self.base_qty),
            "commission": nz8(self.commission),
            "commissionAsset": c.margin_asset,
            "time": self.time,
            "positionSide": self.position_side,
            "buyer": self.side == "BUY",
            "maker": self.maker,
        }


@dataclass(frozen=True)
class IncomeRecord:
    """One income flow (an ``income`` row); ``symbol`` is ``""`` for transfers."""

    symbol: str
    income_type: str
    income: Decimal
    asset: str
    info: str
    time: int
    tran_id: int
    trade_id: str

    def json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "incomeType": self.income_type,
            "income": coin8(self.income),
            "asset": self.asset,
            "info": self.info,
            "time": self.time,
            "tranId": str(self.tran_id),
            "tradeId": self.trade_id,
        }


def _int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise SimError.illegal_chars(name)
    return int(raw)


def _limit(params: Mapping[str, str], default: int) -> int:
    limit = _int_param(params, "limit")
    if limit is None:
        return default
    if not 1 <= limit <= 1000:
        raise SimError(-1130, "Data sent for parameter 'limit' is not valid.")
    return limit


def _combination() -> SimError:
    return SimError(-1128, "Combination of optional parameters invalid.")


R = TypeVar("R", TradeRecord, IncomeRecord)


def _window(records: Sequence[R], start: int | None, end: int | None, span: int,
            now: int, limit: int) -> list[R]:
    """Records with ``start <= time <= end``; a missing bound is ``span`` from the other
    (both missing: the last ``span`` ms). From ``start``: the first ``limit`` records;
    otherwise the last ``limit``."""
    if start is not None and end is not None and end - start > span:
        raise SimError(-1127, "More than 7 days between startTime and endTime."
                       if span == SEVEN_DAYS_MS else "Lookup interval is too big.")
    lo = start if start is not None else (end if end is not None else now) - span
    hi = end if end is not None else (start + span if start is not None else now)
    if lo > hi:
        raise SimError(-1130, "Data sent for parameter 'startTime' is not valid.")
    chosen = [r for r in records if lo <= r.time <= hi]
    return chosen[:limit] if start is not None else chosen[-limit:]


def user_trade_rows(trades: Iterable[TradeRecord], contracts: Mapping[str, Contract],
                    params: Mapping[str, str], now: int) -> list[dict[str, Any]]:
    """``GET /dapi/v1/userTrades`` rows, oldest first, as the documentation specifies:

    exactly one of ``symbol``/``pair``; ``orderId`` only with ``symbol``; ``fromId`` (trades
    with id >= fromId, the first ``limit``) not with ``pair`` nor with ``startTime``/
    ``endTime``; ``startTime``/``endTime`` at most 7 days apart (neither: the last 7 days;
    ``limit`` keeps the most recent unless ``startTime`` is given); ``limit`` default 50,
    max 1000.

    :raises SimError: -1102 neither symbol nor pair, -1128 a forbidden combination, -1121
        unknown symbol, -4087 unknown pair, -1127 window above 7 days, -1100/-1130 bad numbers.
    """
    symbol = params.get("symbol") or None
    pair = params.get("pair") or None
    order_id = _int_param(params, "orderId")
    from_id = _int_param(params, "fromId")
    start = _int_param(params, "startTime")
    end = _int_param(params, "endTime")
    limit = _limit(params, 50)
    if symbol is None and pair is None:
        raise SimError.mandatory("symbol")
    if (symbol and pair) or (pair and from_id is not None) or (
            order_id is not None and not symbol) or (
            from_id is not None and (start is not None or end is not None)):
        raise _combination()
    if symbol is not None and symbol not in contracts:
        raise SimError.invalid_symbol()
    if pair is not None and pair not in {c.pair for c in contracts.values()}:
        raise SimError(-4087, "Invalid pair.")
    mine = [t for t in trades
            if (t.contract.symbol == symbol if symbol else t.contract.pair == pair)
            and (order_id is None or t.order_id == order_id)]
    if from_id is not None:
        chosen = [t for t in mine if t.trade_id >= from_id][:limit]
    elif order_id is not None and start is None and end is None:
        chosen = mine[:limit]
    else:
        chosen = _window(mine, start, end, SEVEN_DAYS_MS, now, limit)
    return [t.json() for t in chosen]


def income_rows(income: Iterable[IncomeRecord], contracts: Mapping[str, Contract],
                params: Mapping[str, str], now: int) -> list[dict[str, Any]]:
    """``GET /dapi/v1/income`` rows, oldest first: optional ``symbol``, ``incomeType``,
    ``startTime``/``endTime`` (at most a year apart; neither: everything kept, the most recent
    ``limit``), ``limit`` (default 100, max 1000).

    :raises SimError: -1121 unknown symbol, -1130 unknown incomeType or bad limit, -1127
        window above one year, -1100 malformed number.
    """
    symbol = params.get("symbol") or None
    income_type = params.get("incomeType") or None
    start = _int_param(params, "startTime")
    end = _int_param(params, "endTime")
    limit = _limit(params, 100)
    if symbol is not None and symbol not in contracts:
        raise SimError.invalid_symbol()
    if income_type is not None and income_type not in INCOME_TYPES:
        raise SimError(-1130, "Data sent for parameter 'incomeType' is not valid.")
    rows = [r for r in income
            if (symbol is None or r.symbol == symbol)
            and (income_type is None or r.income_type == income_type)]
    if start is None and end is None:
        chosen = rows[-limit:]
    else:
        chosen = _window(rows, start, end, ONE_YEAR_MS, now, limit)
    return [r.json() for r in chosen]
