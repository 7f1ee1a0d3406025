"""binance-cmfutures: the Binance COIN-M futures user data stream, done properly.

The public surface is re-exported lazily (PEP 562): importing this package loads only this
file; each name's module is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # the seed surface (shared/spec/seed-contract.md §2.1)
    "Configuration": "configuration",
    "BinanceAuth": "signing",
    "ApiClient": "api_client",
    "ApiResponse": "api_response",
    "UserDataStreamsApi": "api.user_data_streams_api",
    "ApiException": "exceptions",
    "OpenApiException": "exceptions",
    "ApiTypeError": "exceptions",
    "ApiValueError": "exceptions",
    "ApiKeyError": "exceptions",
    "ApiAttributeError": "exceptions",
    "APIError": "models.api_error",
    "CmfuturesCreateListenKeyV1Resp": "models.cmfutures_create_listen_key_v1_resp",
    # beyond the seed
    "AsyncApiClient": "async_api_client",
    "AccountApi": "api.account_api",
    "MarketDataApi": "api.market_data_api",
    "TradeApi": "api.trade_api",
    "Clock": "clock",
    "ManualClock": "clock",
    "SystemClock": "clock",
    "decode_event": "events",
    "UserDataStream": "stream",
    "StreamOptions": "stream",
    "AccountMirror": "mirror",
    "MirrorOptions": "mirror",
    "StreamPool": "pool",
    "PoolOptions": "pool",
    "AccountFailed": "pool",
    "Journal": "journal",
}

__all__ = [
    "APIError",
    "AccountApi",
    "AccountFailed",
    "AccountMirror",
    "ApiAttributeError",
    "ApiClient",
    "ApiException",
    "ApiKeyError",
    "ApiResponse",
    "ApiTypeError",
    "ApiValueError",
    "AsyncApiClient",
    "BinanceAuth",
    "Clock",
    "CmfuturesCreateListenKeyV1Resp",
    "Configuration",
    "Journal",
    "ManualClock",
    "MarketDataApi",
    "MirrorOptions",
    "OpenApiException",
    "PoolOptions",
    "StreamOptions",
    "StreamPool",
    "SystemClock",
    "TradeApi",
    "UserDataStream",
    "UserDataStreamsApi",
    "__version__",
    "decode_event",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:
    from .api.account_api import AccountApi
    from .api.market_data_api import MarketDataApi
    from .api.trade_api import TradeApi
    from .api.user_data_streams_api import UserDataStreamsApi
    from .api_client import ApiClient
    from .api_response import ApiResponse
    from .async_api_client import AsyncApiClient
    from .clock import Clock, ManualClock, SystemClock
    from .configuration import Configuration
    from .events import decode_event
    from .exceptions import (
        ApiAttributeError,
        ApiException,
        ApiKeyError,
        ApiTypeError,
        ApiValueError,
        OpenApiException,
    )
    from .journal import Journal
    from .mirror import AccountMirror, MirrorOptions
    from .models.api_error import APIError
    from .models.cmfutures_create_listen_key_v1_resp import CmfuturesCreateListenKeyV1Resp
    from .pool import AccountFailed, PoolOptions, StreamPool
    from .signing import BinanceAuth
    from .stream import StreamOptions, UserDataStream
