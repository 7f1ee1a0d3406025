"""API classes, importable by name (each module is loaded on first use, PEP 562)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "AccountApi": "account_api",
    "MarketDataApi": "market_data_api",
    "TradeApi": "trade_api",
    "UserDataStreamsApi": "user_data_streams_api",
}

__all__ = ["AccountApi", "MarketDataApi", "TradeApi", "UserDataStreamsApi"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:
    from .account_api import AccountApi
    from .market_data_api import MarketDataApi
    from .trade_api import TradeApi
    from .user_data_streams_api import UserDataStreamsApi
