"""The listed contracts (BTCUSD_PERP, ETHUSD_PERP, one BTC quarterly) and exchangeInfo.

Inverse contracts: quantities are whole contracts of ``contract_size`` USD; margin, PnL and
fees are in the base coin (the *margin asset*).
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from ._money import dec_str
from .brackets import Bracket, default_brackets
from .brackets import max_qty as bracket_max_qty

__all__ = ["Contract", "default_contracts", "exchange_info"]


@dataclass(frozen=True)
class Contract:
    """One tradable symbol.

    :ivar contract_size: USD value of one contract (BTC 100, others 10).
    :ivar tick_size: price step; order prices must be a multiple.
    :ivar max_leverage: highest accepted leverage.
    :ivar brackets: the pair's leverage brackets (see :mod:`.brackets`).
    """

    symbol: str
    pair: str
    base_asset: str
    contract_type: str
    contract_size: int
    tick_size: Decimal
    price_precision: int
    max_leverage: int
    delivery_date: int
    onboard_date: int
    brackets: tuple[Bracket, ...] = field(default=(), compare=False)

    @property
    def margin_asset(self) -> str:
        """The coin that margins, settles and pays fees for this contract."""
        return self.base_asset

    def max_qty(self, leverage: int) -> Decimal:
        """Largest position in the base asset (coin) allowed at ``leverage``: Binance's
        ``maxQty`` (the cap of the largest bracket whose initial leverage >= ``leverage``)."""
        return bracket_max_qty(self.brackets, leverage)


_PERP_DELIVERY = 4133404800000  # 2100-12-25, what Binance shows for perpetuals
_ONBOARD = 1597042800000


def _quarter_expiry(now_ms: int) -> datetime:
    """The last Friday 08:00 UTC of the next quarter month at least 14 days after now."""
    now = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc)
    year, month = now.year, now.month
    while True:
        if month % 3 == 0:
            last_day = calendar.monthrange(year, month)[1]
            day = datetime(year, month, last_day, 8, tzinfo=timezone.utc)
            while day.weekday() != 4:
                day -= timedelta(days=1)
            if day - now >= timedelta(days=14):
                return day
        month += 1
        if month == 13:
            year, month = year + 1, 1


def default_contracts(
    now_ms: int, brackets: Mapping[str, tuple[Bracket, ...]] | None = None
) -> dict[str, Contract]:
    """BTCUSD_PERP, ETHUSD_PERP and BTCUSD_<yymmdd> (the next quarterly contract after now).

    :param brackets: pair -> leverage brackets; default :func:`.brackets.default_brackets`
        (pairs not given keep the default table).
    :raises ValueError: a table whose first bracket's leverage is not the contract's maximum.
    """
    tables = default_brackets()
    tables.update(brackets or {})
    expiry = _quarter_expiry(now_ms)
    quarterly = f"BTCUSD_{expiry:%y%m%d}"
    contracts = [
        Contract("BTCUSD_PERP", "BTCUSD", "BTC", "PERPETUAL", 100, Decimal("0.1"), 1, 125,
                 _PERP_DELIVERY, _ONBOARD),
        Contract("ETHUSD_PERP", "ETHUSD", "ETH", "PERPETUAL", 10, Decimal("0.01"), 2, 100,
                 _PERP_DELIVERY, _ONBOARD),
        Contract(quarterly, "BTCUSD", "BTC", "CURRENT_QUARTER", 100, Decimal("0.1"), 1, 125,
                 int(expiry.timestamp() * 1000), _ONBOARD),
    ]
    result = {}
    for c in contracts:
        table = tables[c.pair]
        if not table or table[0].initial_leverage != c.max_leverage:
            raise ValueError(f"the first leverage bracket of {c.pair} must allow "
                             f"{c.max_leverage}x")
        result[c.symbol] = dataclasses.replace(c, brackets=tuple(table))
    return result


_ORDER_TYPES = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
                "TRAILING_STOP_MARKET"]


def _symbol_info(c: Contract) -> dict[str, Any]:
    return {
        "symbol": c.symbol,
        "pair": c.pair,
        "contractType": c.contract_type,
        "deliveryDate": c.delivery_date,
        "onboardDate": c.onboard_date,
        "contractStatus": "TRADING",
        "contractSize": c.contract_size,
        "marginAsset": c.margin_asset,
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": c.base_asset,
        "quoteAsset": "USD",
        "pricePrecision": c.price_precision,
        "quantityPrecision": 0,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "equalQtyPrecision": 4,
        "maxMoveOrderLimit": 10000,
        "triggerProtect": "0.0500",
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": dec_str(c.tick_size),
             "maxPrice": "4529764", "tickSize": dec_str(c.tick_size)},
            {"filterType": "LOT_SIZE", "stepSize": "1", "maxQty": "1000000", "minQty": "1"},
            {"filterType": "MARKET_LOT_SIZE", "stepSize": "1", "maxQty": "60000", "minQty": "1"},
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500",
             "multiplierDown": "0.9500", "multiplierDecimal": 4},
        ],
        "orderTypes": list(_ORDER_TYPES),
        "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
        "liquidationFee": "0.010000",
        "marketTakeBound": "0.05",
    }


def exchange_info(
    contracts: dict[str, Contract], server_time: int, weight_limit: int = 2400
) -> dict[str, Any]:
    """``GET /dapi/v1/exchangeInfo`` body: rateLimits, symbols with filters, serverTime."""
    return {
        "timezone": "UTC",
        "serverTime": server_time,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
             "limit": weight_limit},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
        ],
        "exchangeFilters": [],
        "symbols": [_symbol_info(c) for c in contracts.values()],
    }
