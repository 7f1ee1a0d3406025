"""REST models, importable by class name (loaded lazily, PEP 562).

``from binance.derivatives.cmfutures.models import AccountInformation`` imports only the
module that defines it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
}

__all__ = [
    "APIError",
    "AccountAsset",
    "AccountInformation",
    "AccountPosition",
    "Balance",
    "CmfuturesCreateListenKeyV1Resp",
    "LeverageChange",
    "Order",
    "PositionRisk",
    "ServerTime",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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
