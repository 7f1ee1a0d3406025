"""``MarketDataApi``: public market data calls used by the client (server time, exchange info)."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any, overload

from .._http.flow import MODE_DATA, MODE_HTTP_INFO, MODE_RAW
from .._http.request import (
    CallOptions,
    Endpoint,
    RequestAuth,
    RequestTimeout,
    Security,
)
from ..models.account import ServerTime
from ._base import _C, ApiBase

if TYPE_CHECKING:
    import aiohttp
    import urllib3

    from ..api_client import ApiClient
    from ..api_response import ApiResponse
    from ..async_api_client import AsyncApiClient

__all__ = ["MarketDataApi"]

_TIME = Endpoint("GET", "/dapi/v1/time", Security.NONE, ServerTime)
_EXCHANGE_INFO = Endpoint("GET", "/dapi/v1/exchangeInfo", Security.NONE)


class MarketDataApi(ApiBase[_C]):
    """Public (security NONE) endpoints: no API key is sent.

    Results or awaitables depending on the client, and the seed's keyword options on every
    method: see :class:`~._base.ApiBase`.
    """

    @overload
    def cmfutures_get_time_v1(
        self: MarketDataApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ServerTime: ...

    @overload
    def cmfutures_get_time_v1(
        self: MarketDataApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ServerTime]: ...

    def cmfutures_get_time_v1(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Server time: ``GET /dapi/v1/time`` -> ``ServerTime(server_time=<epoch ms>)``.

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_TIME, None, opts, MODE_DATA)

    @overload
    def cmfutures_get_time_v1_with_http_info(
        self: MarketDataApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[ServerTime]: ...

    @overload
    def cmfutures_get_time_v1_with_http_info(
        self: MarketDataApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[ServerTime]]: ...

    def cmfutures_get_time_v1_with_http_info(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Server time: ``GET /dapi/v1/time`` -> ``ServerTime(server_time=<epoch ms>)``.

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_TIME, None, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_get_time_v1_without_preload_content(
        self: MarketDataApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_get_time_v1_without_preload_content(
        self: MarketDataApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_get_time_v1_without_preload_content(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Server time: ``GET /dapi/v1/time`` -> ``ServerTime(server_time=<epoch ms>)``.

        Returns the transport's unread response (urllib3 ``HTTPResponse`` /
        ``aiohttp.ClientResponse``); its status is **not** checked (seed behaviour, D16) and
        the caller must read/release it (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_TIME, None, opts, MODE_RAW)

    @overload
    def cmfutures_get_exchange_info_v1(
        self: MarketDataApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any: ...

    @overload
    def cmfutures_get_exchange_info_v1(
        self: MarketDataApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[Any]: ...

    def cmfutures_get_exchange_info_v1(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Exchange information: ``GET /dapi/v1/exchangeInfo``, returned as decoded JSON.

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_EXCHANGE_INFO, None, opts, MODE_DATA)

    @overload
    def cmfutures_get_exchange_info_v1_with_http_info(
        self: MarketDataApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[Any]: ...

    @overload
    def cmfutures_get_exchange_info_v1_with_http_info(
        self: MarketDataApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[Any]]: ...

    def cmfutures_get_exchange_info_v1_with_http_info(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Exchange information: ``GET /dapi/v1/exchangeInfo``, returned as decoded JSON.

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_EXCHANGE_INFO, None, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_get_exchange_info_v1_without_preload_content(
        self: MarketDataApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_get_exchange_info_v1_without_preload_content(
        self: MarketDataApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_get_exchange_info_v1_without_preload_content(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Exchange information: ``GET /dapi/v1/exchangeInfo``, returned as decoded JSON.

        Returns the transport's unread response (urllib3 ``HTTPResponse`` /
        ``aiohttp.ClientResponse``); its status is **not** checked (seed behaviour, D16) and
        the caller must read/release it (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_EXCHANGE_INFO, None, opts, MODE_RAW)
