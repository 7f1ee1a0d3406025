"""``ApiBase``: what every API class shares: its client, and how results are returned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from ..api_client import ApiClient
    from ..async_api_client import AsyncApiClient

__all__ = ["ApiBase"]

_C = TypeVar("_C", "ApiClient", "AsyncApiClient")


class ApiBase(Generic[_C]):
    """The base of every API class; generic over the client it calls through.

    Works with both clients: with an :class:`~..api_client.ApiClient` each method returns its
    result; with an :class:`~..async_api_client.AsyncApiClient` it returns an awaitable of the
    same result (types are exact under ``mypy --strict``). Without a client,
    ``ApiClient.get_default()`` is used, as in the reference. Every method takes the seed's
    keyword options: ``_request_timeout`` (seconds or a ``(connect, read)`` pair; default:
    ``Configuration.timeout``), ``_request_auth`` (a :class:`~..signing.BinanceAuth` for this
    call, or the seed's dict forms), ``_content_type`` (used only when the request has a body),
    ``_headers`` (override the client's default headers), ``_host_index`` (only 0 exists;
    anything else raises ``ApiValueError``). Failures raise
    :class:`~..exceptions.ApiException` subclasses.
    """

    @overload
    def __init__(self: ApiBase[ApiClient], api_client: None = None) -> None: ...

    @overload
    def __init__(self, api_client: _C) -> None: ...

    def __init__(self, api_client: Any = None) -> None:
        if api_client is None:
            from ..api_client import ApiClient

            api_client = ApiClient.get_default()
        self.api_client: _C = api_client
