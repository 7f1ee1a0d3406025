"""The exception tree: the seed's names, plus Binance-specific subclasses.

Every failure of a REST call surfaces as an :class:`ApiException` subclass, so the seed's
``except ApiException`` really catches everything a call can raise at run time:

* an HTTP error status -> the status class (:class:`BadRequestException` for 400, ...);
* 429 -> :class:`TooManyRequestsException`, 418 -> :class:`IpBannedException`, both with
  :attr:`~RateLimitedException.retry_after` in seconds (or None when the server did not say);
* a 503 "Unknown error..." or error code -1006/-1007 -> :class:`UnknownOutcomeException`:
  the request reached Binance and may or may not have been executed; reconcile before resending;
* connection refused, DNS, TLS, timeouts, a dropped connection -> :class:`NetworkException`
  (``status == 0``);
* a body that is not JSON or has the wrong shape (nested too deeply, a number out of range,
  an unsupported ``Content-Encoding``) -> :class:`InvalidResponseException`; a body larger
  than ``Configuration.max_response_bytes`` -> :class:`ResponseTooLargeException` (a subclass).

An exception keeps at most :data:`MAX_KEPT_BODY` characters of the body (64 Ki) and its
``str()`` stays below about 70 KiB whatever the server sent.

Binance's own error code and message are the attributes :attr:`ApiException.code` and
:attr:`ApiException.msg` (compare codes with the constants in :class:`BinanceCode`; messages
vary). Programming errors (a bad option value, no credentials configured) raise
:class:`ApiValueError` / :class:`ApiTypeError`, which are also :class:`ValueError` /
:class:`TypeError`. No exception text ever contains an API key, secret or private key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, NoReturn

if TYPE_CHECKING:
    from .models.api_error import APIError

__all__ = [
    "ApiAttributeError",
    "ApiException",
    "ApiKeyError",
    "ApiTypeError",
    "ApiValueError",
    "BadRequestException",
    "BinanceCode",
    "ConflictException",
    "ForbiddenException",
    "InvalidResponseException",
    "IpBannedException",
    "MissingAuthError",
    "NetworkException",
    "NotFoundException",
    "OpenApiException",
    "RateLimitedException",
    "ResponseTooLargeException",
    "ServiceException",
    "TooManyRequestsException",
    "UnauthorizedException",
    "UnknownOutcomeException",
    "UnprocessableEntityException",
    "is_certificate_error",
    "tls_reason",
]


class BinanceCode:
    """Binance error codes (``ApiException.code``) worth branching on, as ``int`` constants."""

    UNKNOWN: Final = -1000
    DISCONNECTED: Final = -1001
    UNAUTHORIZED: Final = -1002
    TOO_MANY_REQUESTS: Final = -1003
    UNEXPECTED_RESP: Final = -1006
    TIMEOUT: Final = -1007
    REQUEST_THROTTLED: Final = -1008
    TOO_MANY_ORDERS: Final = -1015
    SERVICE_SHUTTING_DOWN: Final = -1016
    INVALID_TIMESTAMP: Final = -1021
    INVALID_SIGNATURE: Final = -1022
    ILLEGAL_CHARS: Final = -1100
    MANDATORY_PARAM_EMPTY_OR_MALFORMED: Final = -1102
    BAD_SYMBOL: Final = -1121
    INVALID_LISTEN_KEY: Final = -1125
    NEW_ORDER_REJECTED: Final = -2010
    CANCEL_REJECTED: Final = -2011
    NO_SUCH_ORDER: Final = -2013
    BAD_API_KEY_FMT: Final = -2014
    REJECTED_MBX_KEY: Final = -2015
    ME_INVALID_TIMESTAMP: Final = -4188


#: Characters of a response body kept on an exception (the rest is cut, with a note).
MAX_KEPT_BODY: Final = 64 << 10
_MAX_SHOWN_HEADERS: Final = 4096


def _cut(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}... [cut: {len(text)} characters in all]"


def _render_path(path_to_item: Sequence[Any] | None) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f"['{p}']" for p in path_to_item or ())


class OpenApiException(Exception):
    """The base of every exception this library raises."""


class ApiTypeError(OpenApiException, TypeError):
    """An argument has the wrong type."""

    def __init__(
        self,
        msg: str,
        path_to_item: Sequence[Any] | None = None,
        valid_classes: tuple[type, ...] | None = None,
        key_type: bool | None = None,
    ) -> None:
        self.path_to_item = path_to_item
        self.valid_classes = valid_classes
        self.key_type = key_type
        if path_to_item:
            msg = f"{msg} at {_render_path(path_to_item)}"
        super().__init__(msg)


class _ItemPathError(OpenApiException):
    """An error about one item of a nested argument: the message names where it is."""

    def __init__(self, msg: str, path_to_item: Sequence[Any] | None = None) -> None:
        self.path_to_item = path_to_item
        if path_to_item:
            msg = f"{msg} at {_render_path(path_to_item)}"
        super().__init__(msg)


class ApiValueError(_ItemPathError, ValueError):
    """An argument has a bad value."""


class ApiAttributeError(_ItemPathError, AttributeError):
    """A missing attribute (seed compatibility)."""


class ApiKeyError(_ItemPathError, KeyError):
    """A missing key (seed compatibility)."""


class MissingAuthError(ApiValueError):
    """An authenticated endpoint was called but ``Configuration.auth`` is None.

    Fix: ``Configuration(auth=BinanceAuth(api_key=..., secret_key=...))`` or
    ``Configuration.from_env()``.
    """


class ApiException(OpenApiException):
    """A REST call failed. Subclasses say how; the attributes say what the server said.

    :ivar status: the HTTP status, or 0 when no HTTP response arrived.
    :ivar reason: the HTTP reason phrase, or a description of the failure.
    :ivar body: the raw response body as text (or None).
    :ivar data: the parsed :class:`~.models.api_error.APIError`, or None if the body was not
        Binance's ``{"code":..,"msg":..}``.
    :ivar headers: the response headers (case-insensitive mapping), or None.
    :ivar code: Binance's error code (``int``, see :class:`BinanceCode`), or None.
    :ivar msg: Binance's error message, or None.
    """

    #: True when the request may have been executed although it failed (reconcile first).
    outcome_unknown: bool = False

    def __init__(
        self,
        status: int | None = None,
        reason: str | None = None,
        http_resp: Any = None,
        *,
        body: str | None = None,
        data: APIError | None = None,
    ) -> None:
        self.status = status
        self.reason = _cut(reason, MAX_KEPT_BODY)
        self.body = _cut(body, MAX_KEPT_BODY)
        self.data = data
        self.headers: Mapping[str, str] | None = None
        if http_resp is not None:
            if self.status is None:
                self.status = getattr(http_resp, "status", None)
            if self.reason is None:
                self.reason = getattr(http_resp, "reason", None)
            if self.body is None:
                raw = getattr(http_resp, "data", None)
                if isinstance(raw, bytes):
                    self.body = _cut(raw[: MAX_KEPT_BODY * 4].decode("utf-8", "replace"),
                                     MAX_KEPT_BODY)
            self.headers = getattr(http_resp, "headers", None)
        self.code: int | None = data.code if data is not None else None
        self.msg: str | None = data.msg if data is not None else None
        super().__init__(self.__str__())

    @classmethod
    def from_response(cls, *, http_resp: Any, body: str | None, data: APIError | None) -> NoReturn:
        """Raise the subclass matching ``http_resp.status`` (seed helper; never returns)."""
        from ._http.errors import exception_class_for

        status = int(getattr(http_resp, "status", 0) or 0)
        klass = exception_class_for(status, data.code if data else None, data.msg if data else None)
        raise klass(http_resp=http_resp, body=body, data=data)

    def __str__(self) -> str:
        text = f"({self.status})\nReason: {self.reason}\n"
        if self.headers:
            text += f"HTTP response headers: {_cut(str(self.headers), _MAX_SHOWN_HEADERS)}\n"
        shown = self.data or self.body
        if shown:
            text += f"HTTP response body: {_cut(str(shown), MAX_KEPT_BODY)}\n"
        return text


class BadRequestException(ApiException):
    """HTTP 400: Binance rejected the request (see ``code``: -1125, -1021, -1022, ...)."""


class UnauthorizedException(ApiException):
    """HTTP 401: missing, malformed or rejected API key (-2014 / -2015)."""


class ForbiddenException(ApiException):
    """HTTP 403: blocked by Binance's web application firewall; the body may be HTML."""


class NotFoundException(ApiException):
    """HTTP 404."""


class ConflictException(ApiException):
    """HTTP 409."""


class UnprocessableEntityException(ApiException):
    """HTTP 422."""


class ServiceException(ApiException):
    """HTTP 5xx: a failure on Binance's side. The request was *not* executed, unless this is
    an :class:`UnknownOutcomeException`."""


class UnknownOutcomeException(ServiceException):
    """The request reached Binance but its execution status is unknown.

    Raised for HTTP 503 "Unknown error, please check your request or try again later." and
    for codes -1006 / -1007 (whatever the status, e.g. 408). An order may have been placed or
    cancelled: check with ``GET /dapi/v1/order`` or the user data stream before resending.
    """

    outcome_unknown = True


class RateLimitedException(ApiException):
    """The base of 418 and 429: back off.

    :ivar retry_after: seconds to wait before the next request, from the ``Retry-After``
        header (or, for a ban, from the "banned until" time in the message); None if unknown.
        Capped: at most 300 s for a 429 and 3 days (Binance's longest ban) for a 418, so a
        ``Retry-After: inf`` or a ban "until" years away cannot stall a program for good.
    :ivar retry_after_requested: what the server asked for, uncapped (may be ``inf``);
        None if it did not say.
    """

    def __init__(
        self,
        status: int | None = None,
        reason: str | None = None,
        http_resp: Any = None,
        *,
        body: str | None = None,
        data: APIError | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        self.retry_after_requested: float | None = retry_after
        super().__init__(status, reason, http_resp, body=body, data=data)


class TooManyRequestsException(RateLimitedException):
    """HTTP 429 (-1003 / -1015): request or order rate limit exceeded. Honour ``retry_after``;
    continuing gets the IP banned (418)."""


class IpBannedException(RateLimitedException):
    """HTTP 418: the IP is banned (2 minutes up to 3 days) for ignoring 429s."""


class NetworkException(ApiException):
    """No (complete) HTTP response: refused, DNS failure, TLS failure, timeout, reset.

    ``status`` is 0. :ivar kind: one of ``"connect"``, ``"dns"``, ``"tls"``,
    ``"connect_timeout"``, ``"read_timeout"``, ``"connection_lost"``, ``"proxy"``, ``"other"``.
    :ivar request_sent: True if the request may have reached the server (read timeout,
    connection lost after sending); then :attr:`outcome_unknown` is True as well.
    :ivar permanent: True if retrying cannot help: the server's TLS certificate was rejected
        (untrusted, expired, wrong host name). Such a failure is never retried, by the REST
        client or by the stream's reconnect loop; fix the configuration (``ssl_ca_cert``...).
    """

    def __init__(
        self, kind: str, detail: str, *, request_sent: bool = False, permanent: bool = False
    ) -> None:
        self.kind = kind
        self.request_sent = request_sent
        self.outcome_unknown = request_sent
        self.permanent = permanent
        super().__init__(0, f"{kind}: {detail}")


def _linked_errors(error: BaseException) -> list[BaseException]:
    """``error`` and the exceptions it wraps (in its ``args``, e.g. aiohttp's connector errors)
    or was caused by, outermost first; at most 16."""
    seen: list[BaseException] = []
    todo = [error]
    while todo and len(seen) < 16:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        todo.extend(a for a in current.args if isinstance(a, BaseException))
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return seen


def is_certificate_error(error: BaseException) -> bool:
    """True if ``error`` is, wraps or was caused by a TLS certificate verification failure."""
    import ssl

    return any(
        isinstance(current, ssl.SSLCertVerificationError)
        or type(current).__name__ == "ClientConnectorCertificateError"
        for current in _linked_errors(error)
    )


_SSL_MESSAGE = re.compile(r"^\[[A-Z0-9_: ]*\]\s*(.*?)\s*(?:\(_ssl\.c:\d+\))?$", re.S)


def tls_reason(error: BaseException) -> str | None:
    """What OpenSSL said about the TLS failure ``error`` is, wraps or was caused by, in one
    line: ``"certificate verify failed: self-signed certificate"``, ``"wrong version
    number"``...; None if no :class:`ssl.SSLError` is found."""
    import ssl

    for current in _linked_errors(error):
        # aiohttp's ClientConnectorCertificateError is an ssl.CertificateError too, but only
        # wraps the real one (in its args): read errors raised by the ssl module itself
        if not isinstance(current, ssl.SSLError):
            continue
        verify_message = getattr(current, "verify_message", None)
        if isinstance(verify_message, str) and verify_message:
            return f"certificate verify failed: {verify_message}"
        text = current.args[1] if len(current.args) > 1 else None
        if not isinstance(text, str):
            continue
        match = _SSL_MESSAGE.match(text.strip())
        reason = " ".join((match.group(1) if match else text).split())[:200]
        code = getattr(current, "reason", None)
        if not reason and isinstance(code, str):
            reason = code.lower().replace("_", " ")
        if reason:
            return reason
    return None


class InvalidResponseException(ApiException):
    """The server answered, but the body is not JSON or does not have the documented shape.

    ``status`` is the HTTP status (usually 200); ``body`` the raw text; ``__cause__`` the
    decoding error.
    """


class ResponseTooLargeException(InvalidResponseException):
    """The response body exceeded ``Configuration.max_response_bytes`` (default 8 MiB), raw
    or once decompressed. The client stopped reading and dropped the connection.

    :ivar limit: the limit in bytes.
    """

    def __init__(self, status: int | None, reason: str, *, limit: int) -> None:
        self.limit = limit
        super().__init__(status, reason)
