"""Mapping an HTTP error response to the right :class:`~..exceptions.ApiException` subclass."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import msgspec

from .. import exceptions as exc
from ..models.api_error import APIError

if TYPE_CHECKING:
    from .flow import RawResponse

__all__ = ["error_from_response", "exception_class_for", "parse_retry_after"]

_STATUS_CLASSES: dict[int, type[exc.ApiException]] = {
    400: exc.BadRequestException,
    401: exc.UnauthorizedException,
    403: exc.ForbiddenException,
    404: exc.NotFoundException,
    409: exc.ConflictException,
    418: exc.IpBannedException,
    422: exc.UnprocessableEntityException,
    429: exc.TooManyRequestsException,
}
_UNKNOWN_CODES = frozenset({exc.BinanceCode.UNEXPECTED_RESP, exc.BinanceCode.TIMEOUT})
_BANNED_UNTIL = re.compile(r"banned until (\d{12,})")
_error_decoder = msgspec.json.Decoder(APIError)


def exception_class_for(status: int, code: int | None, msg: str | None) -> type[exc.ApiException]:
    """The exception class for an error response.

    -1006/-1007, or a 503 whose message starts with "Unknown error", mean the execution status
    is unknown (:class:`~..exceptions.UnknownOutcomeException`); other 503s are definite
    failures.
    """
    if code in _UNKNOWN_CODES or (
        status == 503 and msg is not None and msg.lower().startswith("unknown error")
    ):
        return exc.UnknownOutcomeException
    klass = _STATUS_CLASSES.get(status)
    if klass is not None:
        return klass
    if 500 <= status <= 599:
        return exc.ServiceException
    return exc.ApiException


def parse_retry_after(
    headers: Mapping[str, str] | None, msg: str | None, now: float
) -> float | None:
    """Seconds to wait: the ``Retry-After`` header (seconds or an HTTP date), else the
    "IP banned until <ms>" time in a 418 message, else None."""
    value = headers.get("Retry-After") if headers is not None else None
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError):
                pass
    if msg:
        match = _BANNED_UNTIL.search(msg)
        if match:
            return max(0.0, int(match.group(1)) / 1000 - now)
    return None


def error_from_response(raw: RawResponse, now: float) -> exc.ApiException:
    """Build (not raise) the exception for a non-2xx response. A body that is not Binance's
    ``{"code":..,"msg":..}`` (an HTML error page...) leaves ``data``/``code``/``msg`` None."""
    data: APIError | None = None
    payload = raw.data or b""
    if payload[:1] == b"{":
        try:
            data = _error_decoder.decode(payload)
        except msgspec.DecodeError:
            data = None
    code = data.code if data is not None else None
    msg = data.msg if data is not None else None
    klass = exception_class_for(raw.status, code, msg)
    body = payload.decode("utf-8", "replace")
    error: exc.ApiException
    if issubclass(klass, exc.RateLimitedException):
        error = klass(
            raw.status,
            raw.reason,
            body=body,
            data=data,
            retry_after=parse_retry_after(raw.headers, msg, now),
        )
    else:
        error = klass(raw.status, raw.reason, body=body, data=data)
    error.headers = raw.headers
    return error
