"""``TradeApi``: placing and cancelling orders, changing leverage (SIGNED, TRADE).

POST parameters travel as an ``application/x-www-form-urlencoded`` body, DELETE parameters
in the query string; the signature covers exactly what is sent and comes last. POSTs are
never retried automatically; an ``UnknownOutcomeException`` or a ``NetworkException`` with
``outcome_unknown`` means the order may exist: query it before resending."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from decimal import Decimal
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
from ..models.account import LeverageChange, Order
from ..models.history import UserTrade
from ._base import _C, ApiBase

if TYPE_CHECKING:
    import aiohttp
    import urllib3

    from ..api_client import ApiClient
    from ..api_response import ApiResponse
    from ..async_api_client import AsyncApiClient

__all__ = ["TradeApi"]

_NEW_ORDER = Endpoint("POST", "/dapi/v1/order", Security.SIGNED, Order, form_body=True, lax=True)
_CANCEL_ORDER = Endpoint("DELETE", "/dapi/v1/order", Security.SIGNED, Order, lax=True)
_USER_TRADES = Endpoint("GET", "/dapi/v1/userTrades", Security.SIGNED, list[UserTrade], lax=True)
_LEVERAGE = Endpoint(
    "POST", "/dapi/v1/leverage", Security.SIGNED, LeverageChange, form_body=True, lax=True
)


class TradeApi(ApiBase[_C]):
    """Orders and leverage.

    Results or awaitables depending on the client, and the seed's keyword options on every
    method: see :class:`~._base.ApiBase`.
    """

    @overload
    def cmfutures_create_order_v1(
        self: TradeApi[ApiClient],
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | int | None = None,
        price: Decimal | str | int | None = None,
        time_in_force: str | None = None,
        position_side: str | None = None,
        reduce_only: bool | None = None,
        new_client_order_id: str | None = None,
        stop_price: Decimal | str | int | None = None,
        close_position: bool | None = None,
        new_order_resp_type: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Order: ...

    @overload
    def cmfutures_create_order_v1(
        self: TradeApi[AsyncApiClient],
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | int | None = None,
        price: Decimal | str | int | None = None,
        time_in_force: str | None = None,
        position_side: str | None = None,
        reduce_only: bool | None = None,
        new_client_order_id: str | None = None,
        stop_price: Decimal | str | int | None = None,
        close_position: bool | None = None,
        new_order_resp_type: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[Order]: ...

    def cmfutures_create_order_v1(
        self,
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | int | None = None,
        price: Decimal | str | int | None = None,
        time_in_force: str | None = None,
        position_side: str | None = None,
        reduce_only: bool | None = None,
        new_client_order_id: str | None = None,
        stop_price: Decimal | str | int | None = None,
        close_position: bool | None = None,
        new_order_resp_type: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """New order: ``POST /dapi/v1/order``. Quantities and prices: ``Decimal`` or ``str``.

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("side", side),
                ("type", type),
                ("quantity", quantity),
                ("price", price),
                ("timeInForce", time_in_force),
                ("positionSide", position_side),
                ("reduceOnly", reduce_only),
                ("newClientOrderId", new_client_order_id),
                ("stopPrice", stop_price),
                ("closePosition", close_position),
                ("newOrderRespType", new_order_resp_type),
            ]
        )
        return self.api_client._execute(_NEW_ORDER, params, opts, MODE_DATA)

    @overload
    def cmfutures_create_order_v1_with_http_info(
        self: TradeApi[ApiClient],
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | int | None = None,
        price: Decimal | str | int | None = None,
        time_in_force: str | None = None,
        position_side: str | None = None,
        reduce_only: bool | None = None,
        new_client_order_id: str | None = None,
        stop_price: Decimal | str | int | None = None,
        close_position: bool | None = None,
        new_order_resp_type: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[Order]: ...

    @overload
    def cmfutures_create_order_v1_with_http_info(
        self: TradeApi[AsyncApiClient],
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | int | None = None,
        price: Decimal | str | int | None = None,
        time_in_force: str | None = None,
        position_side: str | None = None,
        reduce_only: bool | None = None,
        new_client_order_id: str | None = None,
        stop_price: Decimal | str | int | None = None,
        close_position: bool | None = None,
        new_order_resp_type: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[Order]]: ...

    def cmfutures_create_order_v1_with_http_info(
        self,
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | int | None = None,
        price: Decimal | str | int | None = None,
        time_in_force: str | None = None,
        position_side: str | None = None,
        reduce_only: bool | None = None,
        new_client_order_id: str | None = None,
        stop_price: Decimal | str | int | None = None,
        close_position: bool | None = None,
        new_order_resp_type: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """New order: ``POST /dapi/v1/order``. Quantities and prices: ``Decimal`` or ``str``.

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("side", side),
                ("type", type),
                ("quantity", quantity),
                ("price", price),
                ("timeInForce", time_in_force),
                ("positionSide", position_side),
                ("reduceOnly", reduce_only),
                ("newClientOrderId", new_client_order_id),
                ("stopPrice", stop_price),
                ("closePosition", close_position),
                ("newOrderRespType", new_order_resp_type),
            ]
        )
        return self.api_client._execute(_NEW_ORDER, params, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_create_order_v1_without_preload_content(
        self: TradeApi[ApiClient],
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | int | None = None,
        price: Decimal | str | int | None = None,
        time_in_force: str | None = None,
        position_side: str | None = None,
        reduce_only: bool | None = None,
        new_client_order_id: str | None = None,
        stop_price: Decimal | str | int | None = None,
        close_position: bool | None = None,
        new_order_resp_type: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_create_order_v1_without_preload_content(
        self: TradeApi[AsyncApiClient],
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | int | None = None,
        price: Decimal | str | int | None = None,
        time_in_force: str | None = None,
        position_side: str | None = None,
        reduce_only: bool | None = None,
        new_client_order_id: str | None = None,
        stop_price: Decimal | str | int | None = None,
        close_position: bool | None = None,
        new_order_resp_type: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_create_order_v1_without_preload_content(
        self,
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | int | None = None,
        price: Decimal | str | int | None = None,
        time_in_force: str | None = None,
        position_side: str | None = None,
        reduce_only: bool | None = None,
        new_client_order_id: str | None = None,
        stop_price: Decimal | str | int | None = None,
        close_position: bool | None = None,
        new_order_resp_type: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """New order: ``POST /dapi/v1/order``. Quantities and prices: ``Decimal`` or ``str``.

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
                ("side", side),
                ("type", type),
                ("quantity", quantity),
                ("price", price),
                ("timeInForce", time_in_force),
                ("positionSide", position_side),
                ("reduceOnly", reduce_only),
                ("newClientOrderId", new_client_order_id),
                ("stopPrice", stop_price),
                ("closePosition", close_position),
                ("newOrderRespType", new_order_resp_type),
            ]
        )
        return self.api_client._execute(_NEW_ORDER, params, opts, MODE_RAW)

    @overload
    def cmfutures_delete_order_v1(
        self: TradeApi[ApiClient],
        symbol: str,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Order: ...

    @overload
    def cmfutures_delete_order_v1(
        self: TradeApi[AsyncApiClient],
        symbol: str,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[Order]: ...

    def cmfutures_delete_order_v1(
        self,
        symbol: str,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Cancel an order: ``DELETE /dapi/v1/order`` by ``order_id`` or ``orig_client_order_id``.

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("orderId", order_id),
                ("origClientOrderId", orig_client_order_id),
            ]
        )
        return self.api_client._execute(_CANCEL_ORDER, params, opts, MODE_DATA)

    @overload
    def cmfutures_delete_order_v1_with_http_info(
        self: TradeApi[ApiClient],
        symbol: str,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[Order]: ...

    @overload
    def cmfutures_delete_order_v1_with_http_info(
        self: TradeApi[AsyncApiClient],
        symbol: str,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[Order]]: ...

    def cmfutures_delete_order_v1_with_http_info(
        self,
        symbol: str,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Cancel an order: ``DELETE /dapi/v1/order`` by ``order_id`` or ``orig_client_order_id``.

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("orderId", order_id),
                ("origClientOrderId", orig_client_order_id),
            ]
        )
        return self.api_client._execute(_CANCEL_ORDER, params, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_delete_order_v1_without_preload_content(
        self: TradeApi[ApiClient],
        symbol: str,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_delete_order_v1_without_preload_content(
        self: TradeApi[AsyncApiClient],
        symbol: str,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_delete_order_v1_without_preload_content(
        self,
        symbol: str,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Cancel an order: ``DELETE /dapi/v1/order`` by ``order_id`` or ``orig_client_order_id``.

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
                ("orderId", order_id),
                ("origClientOrderId", orig_client_order_id),
            ]
        )
        return self.api_client._execute(_CANCEL_ORDER, params, opts, MODE_RAW)

    @overload
    def cmfutures_create_leverage_v1(
        self: TradeApi[ApiClient],
        symbol: str,
        leverage: int,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> LeverageChange: ...

    @overload
    def cmfutures_create_leverage_v1(
        self: TradeApi[AsyncApiClient],
        symbol: str,
        leverage: int,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[LeverageChange]: ...

    def cmfutures_create_leverage_v1(
        self,
        symbol: str,
        leverage: int,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Change initial leverage: ``POST /dapi/v1/leverage``.

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("leverage", leverage),
            ]
        )
        return self.api_client._execute(_LEVERAGE, params, opts, MODE_DATA)

    @overload
    def cmfutures_create_leverage_v1_with_http_info(
        self: TradeApi[ApiClient],
        symbol: str,
        leverage: int,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[LeverageChange]: ...

    @overload
    def cmfutures_create_leverage_v1_with_http_info(
        self: TradeApi[AsyncApiClient],
        symbol: str,
        leverage: int,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[LeverageChange]]: ...

    def cmfutures_create_leverage_v1_with_http_info(
        self,
        symbol: str,
        leverage: int,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Change initial leverage: ``POST /dapi/v1/leverage``.

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("leverage", leverage),
            ]
        )
        return self.api_client._execute(_LEVERAGE, params, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_create_leverage_v1_without_preload_content(
        self: TradeApi[ApiClient],
        symbol: str,
        leverage: int,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_create_leverage_v1_without_preload_content(
        self: TradeApi[AsyncApiClient],
        symbol: str,
        leverage: int,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_create_leverage_v1_without_preload_content(
        self,
        symbol: str,
        leverage: int,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Change initial leverage: ``POST /dapi/v1/leverage``.

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
                ("leverage", leverage),
            ]
        )
        return self.api_client._execute(_LEVERAGE, params, opts, MODE_RAW)

    @overload
    def cmfutures_get_user_trades_v1(
        self: TradeApi[ApiClient],
        symbol: str | None = None,
        pair: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
        order_id: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> list[UserTrade]: ...

    @overload
    def cmfutures_get_user_trades_v1(
        self: TradeApi[AsyncApiClient],
        symbol: str | None = None,
        pair: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
        order_id: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[list[UserTrade]]: ...

    def cmfutures_get_user_trades_v1(
        self,
        symbol: str | None = None,
        pair: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
        order_id: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Account trade list: ``GET /dapi/v1/userTrades`` (weight 20 with ``symbol``, 40 with
        ``pair``).

        Exactly one of ``symbol`` / ``pair``; ``from_id`` only with ``symbol``; ``order_id``
        only with ``symbol``; ``start_time``..``end_time`` (ms) at most 7 days apart (without
        either, the last 7 days); ``limit`` default 50, max 1000. Oldest first.

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index, recv_window
        )
        params = make_params(
            [
                ("symbol", symbol),
                ("pair", pair),
                ("startTime", start_time),
                ("endTime", end_time),
                ("fromId", from_id),
                ("limit", limit),
                ("orderId", order_id),
            ]
        )
        return self.api_client._execute(_USER_TRADES, params, opts, MODE_DATA)

    @overload
    def cmfutures_get_user_trades_v1_with_http_info(
        self: TradeApi[ApiClient],
        symbol: str | None = None,
        pair: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
        order_id: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[list[UserTrade]]: ...

    @overload
    def cmfutures_get_user_trades_v1_with_http_info(
        self: TradeApi[AsyncApiClient],
        symbol: str | None = None,
        pair: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
        order_id: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[list[UserTrade]]]: ...

    def cmfutures_get_user_trades_v1_with_http_info(
        self,
        symbol: str | None = None,
        pair: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
        order_id: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Account trade list: ``GET /dapi/v1/userTrades`` (weight 20 with ``symbol``, 40 with
        ``pair``).

        Exactly one of ``symbol`` / ``pair``; ``from_id`` only with ``symbol``; ``order_id``
        only with ``symbol``; ``start_time``..``end_time`` (ms) at most 7 days apart (without
        either, the last 7 days); ``limit`` default 50, max 1000. Oldest first.

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
                ("startTime", start_time),
                ("endTime", end_time),
                ("fromId", from_id),
                ("limit", limit),
                ("orderId", order_id),
            ]
        )
        return self.api_client._execute(_USER_TRADES, params, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_get_user_trades_v1_without_preload_content(
        self: TradeApi[ApiClient],
        symbol: str | None = None,
        pair: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
        order_id: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_get_user_trades_v1_without_preload_content(
        self: TradeApi[AsyncApiClient],
        symbol: str | None = None,
        pair: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
        order_id: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_get_user_trades_v1_without_preload_content(
        self,
        symbol: str | None = None,
        pair: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
        order_id: int | None = None,
        recv_window: int | None = None,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Account trade list: ``GET /dapi/v1/userTrades`` (weight 20 with ``symbol``, 40 with
        ``pair``).

        Exactly one of ``symbol`` / ``pair``; ``from_id`` only with ``symbol``; ``order_id``
        only with ``symbol``; ``start_time``..``end_time`` (ms) at most 7 days apart (without
        either, the last 7 days); ``limit`` default 50, max 1000. Oldest first.

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
                ("startTime", start_time),
                ("endTime", end_time),
                ("fromId", from_id),
                ("limit", limit),
                ("orderId", order_id),
            ]
        )
        return self.api_client._execute(_USER_TRADES, params, opts, MODE_RAW)
