"""``UserDataStreamsApi``: the listen-key calls (USER_STREAM: API key header only, no
timestamp, no signature, no signing work)."""

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
from ..models.cmfutures_create_listen_key_v1_resp import CmfuturesCreateListenKeyV1Resp
from ._base import _C, ApiBase

if TYPE_CHECKING:
    import aiohttp
    import urllib3

    from ..api_client import ApiClient
    from ..api_response import ApiResponse
    from ..async_api_client import AsyncApiClient

__all__ = ["UserDataStreamsApi"]

_CREATE = Endpoint(
    "POST", "/dapi/v1/listenKey", Security.USER_STREAM, CmfuturesCreateListenKeyV1Resp
)
_UPDATE = Endpoint("PUT", "/dapi/v1/listenKey", Security.USER_STREAM)
_DELETE = Endpoint("DELETE", "/dapi/v1/listenKey", Security.USER_STREAM)


class UserDataStreamsApi(ApiBase[_C]):
    """Start, keep alive and close the account's user data stream (one listen key per account).

    Results or awaitables depending on the client, and the seed's keyword options on every
    method: see :class:`~._base.ApiBase`.
    """

    @overload
    def cmfutures_create_listen_key_v1(
        self: UserDataStreamsApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> CmfuturesCreateListenKeyV1Resp: ...

    @overload
    def cmfutures_create_listen_key_v1(
        self: UserDataStreamsApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[CmfuturesCreateListenKeyV1Resp]: ...

    def cmfutures_create_listen_key_v1(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Start User Data Stream (USER_STREAM): ``POST /dapi/v1/listenKey``.

        Returns the account's active listen key (extending it by 60 minutes) or a new one.

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_CREATE, None, opts, MODE_DATA)

    @overload
    def cmfutures_create_listen_key_v1_with_http_info(
        self: UserDataStreamsApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[CmfuturesCreateListenKeyV1Resp]: ...

    @overload
    def cmfutures_create_listen_key_v1_with_http_info(
        self: UserDataStreamsApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[CmfuturesCreateListenKeyV1Resp]]: ...

    def cmfutures_create_listen_key_v1_with_http_info(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Start User Data Stream (USER_STREAM): ``POST /dapi/v1/listenKey``.

        Returns the account's active listen key (extending it by 60 minutes) or a new one.

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_CREATE, None, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_create_listen_key_v1_without_preload_content(
        self: UserDataStreamsApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_create_listen_key_v1_without_preload_content(
        self: UserDataStreamsApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_create_listen_key_v1_without_preload_content(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Start User Data Stream (USER_STREAM): ``POST /dapi/v1/listenKey``.

        Returns the account's active listen key (extending it by 60 minutes) or a new one.

        Returns the transport's unread response (urllib3 ``HTTPResponse`` /
        ``aiohttp.ClientResponse``); its status is **not** checked (seed behaviour, D16) and
        the caller must read/release it (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_CREATE, None, opts, MODE_RAW)

    @overload
    def cmfutures_update_listen_key_v1(
        self: UserDataStreamsApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any: ...

    @overload
    def cmfutures_update_listen_key_v1(
        self: UserDataStreamsApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[Any]: ...

    def cmfutures_update_listen_key_v1(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Keepalive User Data Stream (USER_STREAM): ``PUT /dapi/v1/listenKey``.

        Extends the key to 60 minutes from now. The body is returned as decoded JSON (a
        dict: ``{}`` or ``{"listenKey": ...}`` depending on the server). A key that no
        longer exists raises ``BadRequestException`` with ``code == -1125``.

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_UPDATE, None, opts, MODE_DATA)

    @overload
    def cmfutures_update_listen_key_v1_with_http_info(
        self: UserDataStreamsApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[Any]: ...

    @overload
    def cmfutures_update_listen_key_v1_with_http_info(
        self: UserDataStreamsApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[Any]]: ...

    def cmfutures_update_listen_key_v1_with_http_info(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Keepalive User Data Stream (USER_STREAM): ``PUT /dapi/v1/listenKey``.

        Extends the key to 60 minutes from now. The body is returned as decoded JSON (a
        dict: ``{}`` or ``{"listenKey": ...}`` depending on the server). A key that no
        longer exists raises ``BadRequestException`` with ``code == -1125``.

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_UPDATE, None, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_update_listen_key_v1_without_preload_content(
        self: UserDataStreamsApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_update_listen_key_v1_without_preload_content(
        self: UserDataStreamsApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_update_listen_key_v1_without_preload_content(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Keepalive User Data Stream (USER_STREAM): ``PUT /dapi/v1/listenKey``.

        Extends the key to 60 minutes from now. The body is returned as decoded JSON (a
        dict: ``{}`` or ``{"listenKey": ...}`` depending on the server). A key that no
        longer exists raises ``BadRequestException`` with ``code == -1125``.

        Returns the transport's unread response (urllib3 ``HTTPResponse`` /
        ``aiohttp.ClientResponse``); its status is **not** checked (seed behaviour, D16) and
        the caller must read/release it (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_UPDATE, None, opts, MODE_RAW)

    @overload
    def cmfutures_delete_listen_key_v1(
        self: UserDataStreamsApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any: ...

    @overload
    def cmfutures_delete_listen_key_v1(
        self: UserDataStreamsApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[Any]: ...

    def cmfutures_delete_listen_key_v1(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Close User Data Stream (USER_STREAM): ``DELETE /dapi/v1/listenKey``.

        Returns the decoded JSON body (``{}``).

        Returns the decoded body (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_DELETE, None, opts, MODE_DATA)

    @overload
    def cmfutures_delete_listen_key_v1_with_http_info(
        self: UserDataStreamsApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> ApiResponse[Any]: ...

    @overload
    def cmfutures_delete_listen_key_v1_with_http_info(
        self: UserDataStreamsApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[ApiResponse[Any]]: ...

    def cmfutures_delete_listen_key_v1_with_http_info(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Close User Data Stream (USER_STREAM): ``DELETE /dapi/v1/listenKey``.

        Returns the decoded JSON body (``{}``).

        Returns an :class:`~..api_response.ApiResponse` (status, case-insensitive headers,
        data, raw bytes) (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_DELETE, None, opts, MODE_HTTP_INFO)

    @overload
    def cmfutures_delete_listen_key_v1_without_preload_content(
        self: UserDataStreamsApi[ApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse: ...

    @overload
    def cmfutures_delete_listen_key_v1_without_preload_content(
        self: UserDataStreamsApi[AsyncApiClient],
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Awaitable[aiohttp.ClientResponse]: ...

    def cmfutures_delete_listen_key_v1_without_preload_content(
        self,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: str | None = None,
        _headers: Mapping[str, str] | None = None,
        _host_index: int = 0,
    ) -> Any:
        """Close User Data Stream (USER_STREAM): ``DELETE /dapi/v1/listenKey``.

        Returns the decoded JSON body (``{}``).

        Returns the transport's unread response (urllib3 ``HTTPResponse`` /
        ``aiohttp.ClientResponse``); its status is **not** checked (seed behaviour, D16) and
        the caller must read/release it (an awaitable of it with an ``AsyncApiClient``).
        """
        opts = CallOptions.parse(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return self.api_client._execute(_DELETE, None, opts, MODE_RAW)
