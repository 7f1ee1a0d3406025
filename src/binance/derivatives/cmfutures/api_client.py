"""``ApiClient``: the synchronous (urllib3) client of the seed.

One instance holds one connection pool (:class:`~.rest.RESTClientObject`) and the per-client
state: default headers, server-time offset and the latest rate-limit counters
(:attr:`ApiClient.rate_limits`). Use it as a context manager, or call :meth:`ApiClient.close`:
both really close the pooled connections (the reference's ``__exit__`` did nothing, D6).

Requests are built, signed, retried and mapped to exceptions by the shared core in
``_http`` (the same code the :class:`~.async_api_client.AsyncApiClient` uses); this module only
sends bytes. Retry back-off waits use ``time.sleep`` (the sync client has no event loop);
timestamps come from ``clock`` (default :class:`~.clock.SystemClock`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlencode

from ._http.client_base import ClientBase
from ._http.flow import MODE_DATA, call_flow, run_sync, sync_time_flow
from ._http.request import CallOptions, Endpoint
from .api_response import ApiResponse
from .configuration import Configuration
from .exceptions import ApiException, ApiValueError
from .rest import RESTClientObject, RESTResponse

if TYPE_CHECKING:
    from .clock import Clock

__all__ = ["ApiClient"]


class ApiClient(ClientBase):
    """Synchronous REST client.

    :param configuration: defaults to ``Configuration.get_default()`` (a copy).
    :param header_name: name of an extra default header (with ``header_value``).
    :param cookie: sent as the ``Cookie`` header.
    :param clock: source of request timestamps (keyword-only; default ``SystemClock()``).

    Attributes: :attr:`default_headers` (``User-Agent: binance-cmfutures/<version> (python)``),
    :attr:`rate_limits`, :attr:`used_weight`, :attr:`order_count`, :attr:`time_offset_ms`.
    Per-call ``_headers`` override the default headers (D13).
    """

    PRIMITIVE_TYPES: ClassVar[tuple[type, ...]] = (float, bool, bytes, str, int)
    NATIVE_TYPES_MAPPING: ClassVar[dict[str, type]] = {
        "int": int,
        "long": int,
        "float": float,
        "str": str,
        "bool": bool,
        "object": object,
    }
    _default: ClassVar[ApiClient | None] = None

    def __init__(
        self,
        configuration: Configuration | None = None,
        header_name: str | None = None,
        header_value: str | None = None,
        cookie: str | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(configuration, header_name, header_value, cookie, clock=clock)
        self.rest_client = RESTClientObject(self.configuration)
        self._sleep = time.sleep

    # ------------------------------------------------------------------ life cycle

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections. The client stays usable (new connections are
        opened on demand), but a closed client should normally be discarded."""
        self.rest_client.close()
        self.closed = True

    @classmethod
    def get_default(cls) -> ApiClient:
        """The shared client used by API classes created without one (created lazily)."""
        if cls._default is None:
            cls._default = cls()
        return cls._default

    @classmethod
    def set_default(cls, default: ApiClient | None) -> None:
        cls._default = default

    # ------------------------------------------------------------------ state

    def sync_time(self) -> int:
        """Measure the server-time offset now (``GET /dapi/v1/time``) and return it (ms)."""
        return int(run_sync(sync_time_flow(self._core), self.rest_client.send, self._sleep))

    # ------------------------------------------------------------------ API classes' entry

    def _execute(
        self,
        endpoint: Endpoint,
        params: Sequence[tuple[str, str]] | None,
        opts: CallOptions | None,
        mode: int = MODE_DATA,
    ) -> Any:
        return run_sync(
            call_flow(self._core, endpoint, params, opts, mode), self.rest_client.send, self._sleep
        )

    # ------------------------------------------------------------------ seed helpers

    def parameters_to_tuples(
        self, params: Mapping[str, Any] | Sequence[tuple[str, Any]], collection_formats: Any
    ) -> list[tuple[str, Any]]:
        items = params.items() if isinstance(params, Mapping) else params
        out: list[tuple[str, Any]] = []
        fmts = collection_formats or {}
        for key, value in items:
            if isinstance(value, (list, tuple)):
                fmt = fmts.get(key, "csv")
                if fmt == "multi":
                    out.extend((key, v) for v in value)
                    continue
                sep = {"ssv": " ", "tsv": "\t", "pipes": "|"}.get(fmt, ",")
                value = sep.join(str(v) for v in value)
            out.append((key, value))
        return out

    def parameters_to_url_query(
        self, params: Mapping[str, Any] | Sequence[tuple[str, Any]], collection_formats: Any
    ) -> str:
        from ._http.request import format_param

        pairs = self.parameters_to_tuples(params, collection_formats)
        return urlencode([(k, format_param(v)) for k, v in pairs if v is not None])

    def select_header_accept(self, accepts: Sequence[str]) -> str | None:
        if not accepts:
            return None
        for accept in accepts:
            if "json" in accept.lower():
                return accept
        return accepts[0]

    def select_header_content_type(self, content_types: Sequence[str]) -> str | None:
        return self.select_header_accept(content_types)

    def sanitize_for_serialization(self, obj: Any) -> Any:
        """Convert models, Decimals, dates... to JSON-ready builtins."""
        import msgspec

        return msgspec.to_builtins(obj, builtin_types=None)

    def param_serialize(
        self,
        method: str,
        resource_path: str,
        path_params: Mapping[str, Any] | None = None,
        query_params: Sequence[tuple[str, Any]] | None = None,
        header_params: Mapping[str, Any] | None = None,
        body: Any = None,
        post_params: Sequence[tuple[str, Any]] | None = None,
        files: Any = None,
        auth_settings: Sequence[str] | None = None,
        collection_formats: Any = None,
        _host: str | None = None,
        _request_auth: Any = None,
    ) -> tuple[str, str, dict[str, str], Any, list[tuple[str, Any]]]:
        """Seed helper: ``(method, url, headers, body, post_params)`` for :meth:`call_api`.

        Adds ``X-MBX-APIKEY`` when ``auth_settings`` is non-empty. It does not add timestamps
        or signatures (the API classes of this library do that for SIGNED endpoints).
        """
        if files:
            raise ApiValueError("file uploads are not supported by this API")
        headers = {**self.default_headers, **{k: str(v) for k, v in (header_params or {}).items()}}
        path = resource_path
        for key, value in (path_params or {}).items():
            path = path.replace(
                "{" + key + "}",
                quote(str(value), safe=self.configuration.safe_chars_for_path_param),
            )
        url = (_host or self.configuration.host) + path
        if query_params:
            url += "?" + self.parameters_to_url_query(query_params, collection_formats)
        if auth_settings:
            auth = self.configuration.auth
            if auth is None:
                from .exceptions import MissingAuthError

                raise MissingAuthError("this call needs credentials but Configuration.auth is None")
            headers["X-MBX-APIKEY"] = auth.api_key
        return method, url, headers, body, list(post_params or [])

    def call_api(
        self,
        method: str,
        url: str,
        header_params: Mapping[str, str] | None = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> RESTResponse:
        """Seed helper: send one request (no retries). Transport failures raise
        :class:`~.exceptions.NetworkException`."""
        return self.rest_client.request(
            method, url, header_params, body, post_params, _request_timeout
        )

    def response_deserialize(
        self, response_data: RESTResponse, response_types_map: Mapping[str, Any] | None = None
    ) -> ApiResponse[Any]:
        """Seed helper: read and decode ``response_data``; raise the mapped ApiException for
        an error status, :class:`~.exceptions.InvalidResponseException` for a bad body."""
        from ._http.errors import error_from_response
        from ._http.flow import RawResponse

        data = response_data.read()
        raw = RawResponse(
            response_data.status, response_data.reason or "", response_data.headers, data
        )
        if not 200 <= raw.status < 300:
            raise error_from_response(raw, self.clock.time())
        rtype = (response_types_map or {}).get(str(raw.status)) or (response_types_map or {}).get(
            "2XX"
        )
        value = self.deserialize(data, rtype, None)
        return ApiResponse(status_code=raw.status, headers=raw.headers, data=value, raw_data=data)

    def deserialize(self, response_text: str | bytes, response_type: Any, content_type: Any) -> Any:
        """Decode JSON into ``response_type`` (a model class, its name, or ``"object"``)."""
        import msgspec

        from ._decimals import check_decimals
        from .exceptions import InvalidResponseException

        if response_type in (None, "object", object):
            target: Any = Any
        elif isinstance(response_type, str):
            from . import models

            target = self.NATIVE_TYPES_MAPPING.get(response_type) or getattr(models, response_type)
        else:
            target = response_type
        try:
            result = msgspec.json.decode(response_text, type=target)
        except (msgspec.DecodeError, RecursionError) as exc:
            detail = "JSON nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise InvalidResponseException(200, detail, body=str(response_text)) from exc
        problem = check_decimals(result)
        if problem is not None:
            raise InvalidResponseException(
                200, f"number out of range: {problem}", body=str(response_text)
            )
        return result


# the seed catches ``ApiException`` from ``rest``; keep the name reachable here as well
__all__ += ["ApiException"]
