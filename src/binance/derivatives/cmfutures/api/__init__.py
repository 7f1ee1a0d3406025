"""API classes, importable by name (each module is loaded on first use, PEP 562)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "AccountApi": "account_api",
    "MarketDataApi": "market_data_api",
    "TradeApi": "trade_api",
    "UserDataStreamsApi": "user_data_streams_api",
}

__all__ = ["AccountApi", "MarketDataApi", "TradeApi", "UserDataStreamsApi"]


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
    from .account_api import AccountApi
    from .market_data_api import MarketDataApi
    from .trade_api import TradeApi
    from .user_data_streams_api import UserDataStreamsApi
