"""``AccountApi``: the signed (USER_DATA) snapshot calls used to reconcile the stream."""

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
    make_params,
)
from ..models.account import AccountInformation, Balance, Order, PositionRisk
from ..models.history import Income
from ._base import _C, ApiBase

if TYPE_CHECKING:
    import aiohttp
    import urllib3

    from ..api_client import ApiClient
    from ..api_response import ApiResponse
    from ..async_api_client import AsyncApiClient

__all__ = ["AccountApi"]

_ACCOUNT = Endpoint("GET", "/dapi/v1/account", Security.SIGNED, AccountInformation, lax=True)
_BALANCE = Endpoint("GET", "/dapi/v1/balance", Security.SIGNED, list[Balance], lax=True)
_POSITION_RISK = Endpoint(
    "GET", "/dapi/v1/positionRisk", Security.SIGNED, list[PositionRisk], lax=True
)
_OPEN_ORDERS = Endpoint("GET", "/dapi/v1/openOrders", Security.SIGNED, list[Order], lax=True)
_INCOME = Endpoint("GET", "/dapi/v1/income", Security.SIGNED, list[Income], lax=True)


class AccountApi(ApiBase[_C]):
    """Account, balance, position and open-order snapshots (SIGNED; ``timestamp``,
    ``recvWindow`` and ``signature`` are added by the client).

    Results or awaitables depending on the client, and the seed's keyword options on every
    method: see :class:`~._base.ApiBase`.
    """

    @overload
    def cmfutures_get_account_v1(
        self: AccountApi[ApiClient],
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> AccountInformation: ...

    @overload
    def cmfutures_get_account_v1(
        self: AccountApi[AsyncApiClient],
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[AccountInformation]: ...

    def cmfutures_get_account_v1(
        self,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Account information: ``GET /dapi/v1/account`` (weight 5).

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        return self.api_client._execute(_ACCOUNT, None, opts, MODE_DATA)

    @overload
    def cmfutures_get_account_v1_with_http_info(
        self: AccountApi[ApiClient],
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[AccountInformation]: ...

    @overload
    def cmfutures_get_account_v1_with_http_info(
        self: AccountApi[AsyncApiClient],
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[AccountInformation]]: ...

    def cmfutures_get_account_v1_with_http_info(
        self,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Account information: ``GET /dapi/v1/account`` (weight 5).

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        return self.api_client._execute(_ACCOUNT, None, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_get_account_v1_without_preload_content(
        self: AccountApi[ApiClient],
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_get_account_v1_without_preload_content(
        self: AccountApi[AsyncApiClient],
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_get_account_v1_without_preload_content(
        self,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Account information: ``GET /dapi/v1/account`` (weight 5).

        Returns the transport's unread response (urllib3 ``HTTPResponse`` /
        ``aiohttp.ClientResponse``); its status is **not** checked (seed behaviour, D16) and
        the caller must read/release it (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        return self.api_client._execute(_ACCOUNT, None, opts, MODE_RAW)

    @overload
    def cmfutures_get_balance_v1(
        self: AccountApi[ApiClient],
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> list[Balance]: ...

    @overload
    def cmfutures_get_balance_v1(
        self: AccountApi[AsyncApiClient],
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[list[Balance]]: ...

    def cmfutures_get_balance_v1(
        self,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Balances per asset: ``GET /dapi/v1/balance`` (weight 1).

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        return self.api_client._execute(_BALANCE, None, opts, MODE_DATA)

    @overload
    def cmfutures_get_balance_v1_with_http_info(
        self: AccountApi[ApiClient],
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[list[Balance]]: ...

    @overload
    def cmfutures_get_balance_v1_with_http_info(
        self: AccountApi[AsyncApiClient],
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[list[Balance]]]: ...

    def cmfutures_get_balance_v1_with_http_info(
        self,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Balances per asset: ``GET /dapi/v1/balance`` (weight 1).

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        return self.api_client._execute(_BALANCE, None, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_get_balance_v1_without_preload_content(
        self: AccountApi[ApiClient],
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_get_balance_v1_without_preload_content(
        self: AccountApi[AsyncApiClient],
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_get_balance_v1_without_preload_content(
        self,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Balances per asset: ``GET /dapi/v1/balance`` (weight 1).

        Returns the transport's unread response (urllib3 ``HTTPResponse`` /
        ``aiohttp.ClientResponse``); its status is **not** checked (seed behaviour, D16) and
        the caller must read/release it (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        return self.api_client._execute(_BALANCE, None, opts, MODE_RAW)

    @overload
    def cmfutures_get_position_risk_v1(
        self: AccountApi[ApiClient],
        margin_asset: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> list[PositionRisk]: ...

    @overload
    def cmfutures_get_position_risk_v1(
        self: AccountApi[AsyncApiClient],
        margin_asset: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[list[PositionRisk]]: ...

    def cmfutures_get_position_risk_v1(
        self,
        margin_asset: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Positions: ``GET /dapi/v1/positionRisk``, optionally filtered by margin asset or pair.

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("marginAsset", margin_asset),
                ("pair", pair),
            ]
        )
        return self.api_client._execute(_POSITION_RISK, params, opts, MODE_DATA)

    @overload
    def cmfutures_get_position_risk_v1_with_http_info(
        self: AccountApi[ApiClient],
        margin_asset: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[list[PositionRisk]]: ...

    @overload
    def cmfutures_get_position_risk_v1_with_http_info(
        self: AccountApi[AsyncApiClient],
        margin_asset: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[list[PositionRisk]]]: ...

    def cmfutures_get_position_risk_v1_with_http_info(
        self,
        margin_asset: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Positions: ``GET /dapi/v1/positionRisk``, optionally filtered by margin asset or pair.

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("marginAsset", margin_asset),
                ("pair", pair),
            ]
        )
        return self.api_client._execute(_POSITION_RISK, params, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_get_position_risk_v1_without_preload_content(
        self: AccountApi[ApiClient],
        margin_asset: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_get_position_risk_v1_without_preload_content(
        self: AccountApi[AsyncApiClient],
        margin_asset: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_get_position_risk_v1_without_preload_content(
        self,
        margin_asset: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Positions: ``GET /dapi/v1/positionRisk``, optionally filtered by margin asset or pair.

        Returns the transport's unread response (urllib3 ``HTTPResponse`` /
        ``aiohttp.ClientResponse``); its status is **not** checked (seed behaviour, D16) and
        the caller must read/release it (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("marginAsset", margin_asset),
                ("pair", pair),
            ]
        )
        return self.api_client._execute(_POSITION_RISK, params, opts, MODE_RAW)

    @overload
    def cmfutures_get_open_orders_v1(
        self: AccountApi[ApiClient],
        symbol: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> list[Order]: ...

    @overload
    def cmfutures_get_open_orders_v1(
        self: AccountApi[AsyncApiClient],
        symbol: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[list[Order]]: ...

    def cmfutures_get_open_orders_v1(
        self,
        symbol: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Open orders: ``GET /dapi/v1/openOrders`` (weight 1 with ``symbol``, 40 without).

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("pair", pair),
            ]
        )
        return self.api_client._execute(_OPEN_ORDERS, params, opts, MODE_DATA)

    @overload
    def cmfutures_get_open_orders_v1_with_http_info(
        self: AccountApi[ApiClient],
        symbol: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[list[Order]]: ...

    @overload
    def cmfutures_get_open_orders_v1_with_http_info(
        self: AccountApi[AsyncApiClient],
        symbol: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[list[Order]]]: ...

    def cmfutures_get_open_orders_v1_with_http_info(
        self,
        symbol: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Open orders: ``GET /dapi/v1/openOrders`` (weight 1 with ``symbol``, 40 without).

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("pair", pair),
            ]
        )
        return self.api_client._execute(_OPEN_ORDERS, params, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_get_open_orders_v1_without_preload_content(
        self: AccountApi[ApiClient],
        symbol: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_get_open_orders_v1_without_preload_content(
        self: AccountApi[AsyncApiClient],
        symbol: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_get_open_orders_v1_without_preload_content(
        self,
        symbol: str | None = None,
        pair: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Open orders: ``GET /dapi/v1/openOrders`` (weight 1 with ``symbol``, 40 without).

        Returns the transport's unread response (urllib3 ``HTTPResponse`` /
        ``aiohttp.ClientResponse``); its status is **not** checked (seed behaviour, D16) and
        the caller must read/release it (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("pair", pair),
            ]
        )
        return self.api_client._execute(_OPEN_ORDERS, params, opts, MODE_RAW)

    @overload
    def cmfutures_get_income_history_v1(
        self: AccountApi[ApiClient],
        symbol: str | None = None,
        income_type: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        page: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> list[Income]: ...

    @overload
    def cmfutures_get_income_history_v1(
        self: AccountApi[AsyncApiClient],
        symbol: str | None = None,
        income_type: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        page: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[list[Income]]: ...

    def cmfutures_get_income_history_v1(
        self,
        symbol: str | None = None,
        income_type: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        page: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Income history: ``GET /dapi/v1/income`` (weight 20).

        ``income_type``: ``TRANSFER``, ``REALIZED_PNL``, ``FUNDING_FEE``, ``COMMISSION``,
        ``INSURANCE_CLEAR``...; ``start_time``..``end_time`` (ms, inclusive) at most one year apart;
        ``limit`` default 100, max 1000; ``page`` pages through longer results.

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("incomeType", income_type),
                ("startTime", start_time),
                ("endTime", end_time),
                ("limit", limit),
                ("page", page),
            ]
        )
        return self.api_client._execute(_INCOME, params, opts, MODE_DATA)

    @overload
    def cmfutures_get_income_history_v1_with_http_info(
        self: AccountApi[ApiClient],
        symbol: str | None = None,
        income_type: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        page: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[list[Income]]: ...

    @overload
    def cmfutures_get_income_history_v1_with_http_info(
        self: AccountApi[AsyncApiClient],
        symbol: str | None = None,
        income_type: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        page: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[list[Income]]]: ...

    def cmfutures_get_income_history_v1_with_http_info(
        self,
        symbol: str | None = None,
        income_type: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        page: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Income history: ``GET /dapi/v1/income`` (weight 20).

        ``income_type``: ``TRANSFER``, ``REALIZED_PNL``, ``FUNDING_FEE``, ``COMMISSION``,
        ``INSURANCE_CLEAR``...; ``start_time``..``end_time`` (ms, inclusive) at most one year apart;
        ``limit`` default 100, max 1000; ``page`` pages through longer results.

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("incomeType", income_type),
                ("startTime", start_time),
                ("endTime", end_time),
                ("limit", limit),
                ("page", page),
            ]
        )
        return self.api_client._execute(_INCOME, params, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_get_income_history_v1_without_preload_content(
        self: AccountApi[ApiClient],
        symbol: str | None = None,
        income_type: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        page: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_get_income_history_v1_without_preload_content(
        self: AccountApi[AsyncApiClient],
        symbol: str | None = None,
        income_type: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        page: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_get_income_history_v1_without_preload_content(
        self,
        symbol: str | None = None,
        income_type: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        page: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Income history: ``GET /dapi/v1/income`` (weight 20).

        ``income_type``: ``TRANSFER``, ``REALIZED_PNL``, ``FUNDING_FEE``, ``COMMISSION``,
        ``INSURANCE_CLEAR``...; ``start_time``..``end_time`` (ms, inclusive) at most one year apart;
        ``limit`` default 100, max 1000; ``page`` pages through longer results.

        Returns the transport's unread response (urllib3 ``HTTPResponse`` /
        ``aiohttp.ClientResponse``); its status is **not** checked (seed behaviour, D16) and
        the caller must read/release it (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("incomeType", income_type),
                ("startTime", start_time),
                ("endTime", end_time),
                ("limit", limit),
                ("page", page),
            ]
        )
        return self.api_client._execute(_INCOME, params, opts, MODE_RAW)
