"""Endpoints, per-call options and building the exact bytes of a request (incl. signing)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import urlencode

from ..base_url import split_base_url
from ..exceptions import ApiTypeError, ApiValueError, MissingAuthError

if TYPE_CHECKING:
    import msgspec

    from ..configuration import Configuration
    from ..signing import BinanceAuth

__all__ = [
    "USER_AGENT",
    "CallOptions",
    "Endpoint",
    "PreparedRequest",
    "RequestAuth",
    "RequestTimeout",
    "Security",
    "build_request",
    "format_param",
    "make_params",
]


def _user_agent() -> str:
    from .. import __version__

    return f"binance-cmfutures/{__version__} (python)"


USER_AGENT = _user_agent()

RequestTimeout = Union[None, float, tuple[float, float]]  # noqa: UP007 (runtime alias)
RequestAuth = Union[None, "BinanceAuth", Mapping[str, Any]]

FORM = "application/x-www-form-urlencoded"
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class Security(enum.IntEnum):
    """Binance security types: NONE (public), USER_STREAM (``X-MBX-APIKEY`` only, no
    timestamp, no signature; MARKET_DATA is the same), SIGNED (TRADE/USER_DATA: API key,
    ``timestamp``, ``recvWindow`` and ``signature``)."""

    NONE = 0
    USER_STREAM = 1
    SIGNED = 2

    MARKET_DATA = 1


@dataclass(eq=False)
class Endpoint:
    """One REST operation.

    :ivar response_type: the msgspec type the body decodes to; None means "any JSON" (the
        seed's ``object``).
    :ivar form_body: send (signed) parameters as an ``x-www-form-urlencoded`` body (POST).
    :ivar query_names: with ``form_body``, parameters that still go in the query string
        (the signature then covers query + body).
    :ivar lax: decode with ``strict=False`` (accept ``"20"`` for ints, ``"false"`` for bools).
    """

    method: str
    path: str
    security: Security
    response_type: Any = None
    form_body: bool = False
    lax: bool = False
    query_names: frozenset[str] = frozenset()
    _decoder: msgspec.json.Decoder[Any] | None = field(default=None, repr=False)

    @property
    def idempotent(self) -> bool:
        return self.method in IDEMPOTENT

    def decoder(self) -> msgspec.json.Decoder[Any]:
        dec = self._decoder
        if dec is None:
            import msgspec

            rtype = Any if self.response_type is None else self.response_type
            dec = self._decoder = msgspec.json.Decoder(rtype, strict=not self.lax)
        return dec


@dataclass(eq=False)
class CallOptions:
    """The seed's per-call keyword options, validated.

    :ivar timeout: ``(connect, read, total)``; any may be None.
    """

    timeout: tuple[float | None, float | None, float | None] | None = None
    auth: BinanceAuth | None = None
    auth_query: tuple[str, str] | None = None
    auth_header: tuple[str, str] | None = None
    use_auth: bool = True
    content_type: str | None = None
    headers: Mapping[str, str] | None = None
    recv_window: int | None = None

    @classmethod
    def parse(
        cls,
        request_timeout: Any = None,
        request_auth: Any = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        host_index: int = 0,
        recv_window: int | None = None,
    ) -> CallOptions | None:
        """Validate the options; None when all are defaults (the fast path).

        :raises ApiValueError: ``_host_index`` other than 0, a non-positive timeout, a
            malformed ``_request_auth``.
        :raises ApiTypeError: an option of the wrong type.
        """
        if host_index != 0:
            if isinstance(host_index, bool) or not isinstance(host_index, int):
                raise ApiTypeError(f"_host_index must be an int, got {host_index!r}")
            raise ApiValueError(
                f"_host_index={host_index} is out of range: this API has one server (index 0);"
                " set Configuration(host=...) to use another host"
            )
        if (
            request_timeout is None
            and request_auth is None
            and content_type is None
            and headers is None
            and recv_window is None
        ):
            return None
        opts = cls(content_type=content_type)
        if request_timeout is not None:
            opts.timeout = _parse_timeout(request_timeout)
        if request_auth is not None:
            _parse_auth(request_auth, opts)
        if headers is not None:
            if not isinstance(headers, Mapping):
                raise ApiTypeError(f"_headers must be a dict, got {type(headers).__name__}")
            opts.headers = headers
        if content_type is not None and not isinstance(content_type, str):
            raise ApiTypeError(f"_content_type must be a str, got {content_type!r}")
        if recv_window is not None:
            if isinstance(recv_window, bool) or not isinstance(recv_window, int):
                raise ApiTypeError(f"recv_window must be an int (ms), got {recv_window!r}")
            if not 0 < recv_window <= 60000:
                raise ApiValueError(f"recv_window must be in 1..60000 ms, got {recv_window}")
            opts.recv_window = recv_window
        return opts


def _positive(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ApiTypeError(f"_request_timeout values must be numbers, got {value!r}")
    if not value > 0:
        raise ApiValueError(f"_request_timeout values must be > 0 seconds, got {value!r}")
    return float(value)


def _parse_timeout(value: Any) -> tuple[float | None, float | None, float | None]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ApiValueError(
                f"_request_timeout must be seconds or a (connect, read) pair, got {value!r}"
            )
        return (_positive(value[0]), _positive(value[1]), None)
    return (None, None, _positive(value))


def _parse_auth(value: Any, opts: CallOptions) -> None:
    """Read ``_request_auth`` into ``opts``.

    :raises CredentialFormatError: a header name or value with a control character (a CR/LF
        from a Windows ``.env`` file, which would also split the request), a non-ASCII
        character or a space at either end; as for :class:`BinanceAuth`, the value is not
        shown.
    """
    from ..signing import BinanceAuth, _check_printable

    if isinstance(value, BinanceAuth):
        opts.auth = value
        return
    if not isinstance(value, Mapping):
        raise ApiTypeError(
            f"_request_auth must be a BinanceAuth or a dict, got {type(value).__name__}"
        )
    where, kind = value.get("in"), value.get("type")
    if where == "header" and kind == "binance":
        return  # the configured BinanceAuth, as by default
    key, val = value.get("key"), value.get("value")
    if where in ("header", "query") and isinstance(key, str) and key and isinstance(val, str):
        opts.use_auth = False
        if where == "header":
            _check_printable(key, "_request_auth['key'] (a header name)")
            _check_printable(val, "_request_auth['value'] (a header value)", inner_spaces=True)
            opts.auth_header = (key, val)
        else:
            opts.auth_query = (key, val)
        return
    raise ApiValueError(
        "_request_auth must be a BinanceAuth, {'in': 'header', 'type': 'binance'}, or"
        " {'in': 'header'|'query', 'key': <name>, 'value': <str>}"
    )


@dataclass(eq=False)
class PreparedRequest:
    """A request exactly as it goes on the wire.

    :ivar host: the origin, ``scheme://host[:port]`` (what the connection pool is keyed by).
    :ivar target: the host's path prefix, the endpoint path and ``?query`` (what is sent on
        the request line).
    :ivar timeout: ``(connect, read, total)`` in seconds.
    :ivar stream: do not read the body (``_without_preload_content``).
    """

    method: str
    host: str
    target: str
    headers: dict[str, str]
    body: bytes | None
    timeout: tuple[float | None, float | None, float | None]
    idempotent: bool
    stream: bool = False

    @property
    def url(self) -> str:
        return self.host + self.target


def format_param(value: Any) -> str:
    """A parameter value as Binance expects it: ``true``/``false``, plain decimals."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return str(value)
    raise ApiTypeError(f"unsupported parameter value {value!r}")


def make_params(pairs: Sequence[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Drop None values and format the rest with :func:`format_param`."""
    return [(k, format_param(v)) for k, v in pairs if v is not None]


def build_request(
    endpoint: Endpoint,
    config: Configuration,
    default_headers: Mapping[str, str],
    params: Sequence[tuple[str, str]] | None,
    opts: CallOptions | None,
    now_ms: int,
    stream: bool = False,
) -> PreparedRequest:
    """Build the request: headers, query/body and, for SIGNED endpoints only, ``timestamp``,
    ``recvWindow`` and the ``signature`` (over query + body exactly as sent, appended last).

    :raises MissingAuthError: an authenticated endpoint without ``Configuration.auth``.
    """
    headers = {"Accept": "application/json", **default_headers}
    security = endpoint.security
    auth = config.auth
    if opts is not None and opts.auth is not None:
        auth = opts.auth
    query_pairs = list(params) if params else []
    body: bytes | None = None
    if security and (opts is None or opts.use_auth):
        if auth is None:
            raise MissingAuthError(
                f"{endpoint.method} {endpoint.path} needs credentials but Configuration.auth is"
                " None. Fix: Configuration(auth=BinanceAuth(api_key=..., secret_key=... or"
                " private_key_path=...)), or Configuration.from_env()"
            )
        headers["X-MBX-APIKEY"] = auth.api_key
    elif opts is not None and opts.auth_header is not None:
        headers[opts.auth_header[0]] = opts.auth_header[1]
    if opts is not None and opts.auth_query is not None:
        query_pairs.append(opts.auth_query)
    if endpoint.form_body:
        if endpoint.query_names:
            names = endpoint.query_names
            in_query = [p for p in query_pairs if p[0] in names]
            in_body = [p for p in query_pairs if p[0] not in names]
        else:
            in_query, in_body = [], query_pairs
    else:
        in_query, in_body = query_pairs, []
    if security == Security.SIGNED:
        recv = opts.recv_window if opts is not None and opts.recv_window else None
        stamp = [("recvWindow", str(recv or config.recv_window)), ("timestamp", str(now_ms))]
        (in_body if endpoint.form_body else in_query).extend(stamp)
    query = urlencode(in_query) if in_query else ""
    body_str = urlencode(in_body) if in_body else ""
    if security == Security.SIGNED and auth is not None and (opts is None or opts.use_auth):
        sig = auth.sign_payload(query + body_str)
        if body_str:
            body_str += "&signature=" + sig
        else:
            query += ("&signature=" if query else "signature=") + sig
    if body_str:
        body = body_str.encode()
        headers["Content-Type"] = FORM
    timeout: tuple[float | None, float | None, float | None]
    if opts is not None:
        if body is not None and opts.content_type:
            headers["Content-Type"] = opts.content_type
        if opts.headers:
            lowered = {k.lower() for k in opts.headers}
            for name in [k for k in headers if k.lower() in lowered]:
                del headers[name]
            headers.update(opts.headers)
        timeout = opts.timeout or _config_timeout(config)
    else:
        timeout = _config_timeout(config)
    origin, prefix = split_base_url(config.host)
    path = prefix + endpoint.path
    return PreparedRequest(
        endpoint.method,
        origin,
        path + "?" + query if query else path,
        headers,
        body,
        timeout,
        endpoint.idempotent,
        stream,
    )


def _config_timeout(config: Configuration) -> tuple[float | None, float | None, float | None]:
    connect, read = config.timeout
    return (connect, read, None)
