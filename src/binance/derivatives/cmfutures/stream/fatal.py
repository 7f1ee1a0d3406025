"""The one rule deciding that a REST failure is final, shared by the stream, the pool and the
mirror: retrying cannot fix a missing, malformed, revoked or unauthorised API key.

* HTTP 401 (unauthorised) and 403 (forbidden: permissions, IP whitelist, WAF);
* Binance codes -2014 (API-key format invalid), -2015 (invalid API key, IP or permissions)
  and -1002 (unauthorised), whatever the HTTP status.

* a transport failure marked ``permanent`` (``NetworkException``: the server's TLS certificate
  is rejected), which no retry can change.

Everything else (5xx, 429/418, network errors, -1125...) is retried by the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .actions import RestError

__all__ = ["FATAL_CODES", "FATAL_STATUSES", "is_fatal", "is_fatal_error", "is_fatal_exception"]

FATAL_STATUSES = frozenset({401, 403})
FATAL_CODES = frozenset({-2014, -2015, -1002})


def is_fatal(status: int | None, code: int | None) -> bool:
    """True when an answer with this HTTP ``status`` and Binance ``code`` is final."""
    return status in FATAL_STATUSES or code in FATAL_CODES


def is_fatal_exception(exc: BaseException) -> bool:
    """:func:`is_fatal` for an exception carrying ``status`` / ``code`` (``ApiException``),
    or a permanent transport failure."""
    if getattr(exc, "permanent", False) is True:
        return True
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    return is_fatal(
        status if isinstance(status, int) else None, code if isinstance(code, int) else None
    )


def is_fatal_error(error: RestError) -> bool:
    """The rule for a :class:`~.actions.RestError` as the stream and pool cores receive it."""
    return is_fatal(error.status, error.code) or (
        error.error is not None and is_fatal_exception(error.error)
    )
