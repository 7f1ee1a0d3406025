"""REST models, importable by class name (loaded lazily, PEP 562).

``from binance.derivatives.cmfutures.models import AccountInformation`` imports only the
module that defines it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "APIError": "api_error",
    "CmfuturesCreateListenKeyV1Resp": "cmfutures_create_listen_key_v1_resp",
    "AccountAsset": "account",
    "AccountInformation": "account",
    "AccountPosition": "account",
    "Balance": "account",
    "LeverageChange": "account",
    "Order": "account",
    "PositionRisk": "account",
    "ServerTime": "account",
    "Income": "history",
    "UserTrade": "history",
}

__all__ = [
    "APIError",
    "AccountAsset",
    "AccountInformation",
    "AccountPosition",
    "Balance",
    "CmfuturesCreateListenKeyV1Resp",
    "Income",
    "LeverageChange",
    "Order",
    "PositionRisk",
    "ServerTime",
    "UserTrade",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:
    from .account import (
        AccountAsset,
        AccountInformation,
        AccountPosition,
        Balance,
        LeverageChange,
        Order,
        PositionRisk,
        ServerTime,
    )
    from .api_error import APIError
    from .cmfutures_create_listen_key_v1_resp import CmfuturesCreateListenKeyV1Resp
    from .history import Income, UserTrade
