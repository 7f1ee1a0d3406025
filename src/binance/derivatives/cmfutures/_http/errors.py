"""Mapping an HTTP error response to the right :class:`~..exceptions.ApiException` subclass."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import msgspec

from .. import exceptions as exc
from ..models.api_error import APIError

if TYPE_CHECKING:
    from .flow import RawResponse

__all__ = [
    "MAX_RETRY_AFTER_418",
    "MAX_RETRY_AFTER_429",
    "error_from_response",
    "exception_class_for",
    "parse_retry_after",
    "requested_retry_after",
    "retry_after_cap",
]

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
_log = logging.getLogger("binance.derivatives.cmfutures")
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


#: The longest wait a 429's ``Retry-After`` may impose, in seconds (Binance's are seconds).
MAX_RETRY_AFTER_429 = 300.0
#: The longest wait a 418 ban may impose: Binance's longest ban, 3 days.
MAX_RETRY_AFTER_418 = 3 * 86400.0


def retry_after_cap(status: int) -> float:
    """The cap on ``retry_after`` for a response of ``status`` (418: 3 days, else 300 s)."""
    return MAX_RETRY_AFTER_418 if status == 418 else MAX_RETRY_AFTER_429


def parse_retry_after(
    headers: Mapping[str, str] | None, msg: str | None, now: float, cap: float = math.inf
) -> float | None:
    """Seconds to wait, clamped to ``0..cap``: the ``Retry-After`` header (seconds or an HTTP
    date), else the "IP banned until <ms>" time in a 418 message, else None. A NaN or
    unreadable value counts as absent. Never raises. Uncapped: :func:`requested_retry_after`.
    """
    requested = requested_retry_after(headers, msg, now)
    if requested is None:
        return None
    return min(max(0.0, requested), cap)


def requested_retry_after(
    headers: Mapping[str, str] | None, msg: str | None, now: float
) -> float | None:
    """The wait the server asked for, in seconds, unclamped (may be negative or ``inf``)."""
    return _requested_wait(headers, msg, now)


def _requested_wait(headers: Mapping[str, str] | None, msg: str | None, now: float) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if value:
        value = value.strip()[:64]
        try:
            seconds = float(value)
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                seconds = parsedate_to_datetime(value).timestamp() - now
            except (TypeError, ValueError, OverflowError, IndexError):
                seconds = math.nan
        if not math.isnan(seconds):
            return seconds
    if msg:
        match = _BANNED_UNTIL.search(msg)
        if match:
            digits = match.group(1)
            if len(digits) > 18:  # beyond year 33658: treat as "forever"
                return math.inf
            return int(digits) / 1000 - now
    return None


def error_from_response(raw: RawResponse, now: float) -> exc.ApiException:
    """Build (not raise) the exception for a non-2xx response. A body that is not Binance's
    ``{"code":..,"msg":..}`` (an HTML error page...) leaves ``data``/``code``/``msg`` None."""
    data: APIError | None = None
    payload = raw.data or b""
    if payload[:1] == b"{":
        try:
            data = _error_decoder.decode(payload)
        except (msgspec.DecodeError, RecursionError):
            data = None
    code = data.code if data is not None else None
    msg = data.msg if data is not None else None
    klass = exception_class_for(raw.status, code, msg)
    body = payload.decode("utf-8", "replace")
    error: exc.ApiException
    if issubclass(klass, exc.RateLimitedException):
        cap = retry_after_cap(raw.status)
        requested = requested_retry_after(raw.headers, msg, now)
        wait = parse_retry_after(raw.headers, msg, now, cap)
        error = klass(
            raw.status, raw.reason, body=body, data=data, retry_after=wait
        )
        error.retry_after_requested = requested
        if requested is not None and wait is not None and requested > wait:
            _log.warning(
                "HTTP %d asked to wait %s s; capped at %g s (the documented limit for %d)",
                raw.status,
                f"{requested:.0f}" if math.isfinite(requested) else requested,
                wait,
                raw.status,
            )
    else:
        error = klass(raw.status, raw.reason, body=body, data=data)
    error.headers = raw.headers
    return error
