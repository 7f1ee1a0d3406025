"""One-line, secret-free descriptions of every error the CLI can meet, and their exit codes."""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_REJECTED = 4
EXIT_NETWORK = 5
EXIT_RATE_LIMITED = 6
EXIT_API = 7
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """An error the CLI explains itself: ``message`` is shown as is, ``exit_code`` returned."""

    def __init__(self, message: str, exit_code: int = EXIT_CONFIG) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def describe_error(exc: BaseException) -> tuple[str, int]:
    """A one-line message naming the problem and the fix, and the exit code for ``exc``."""
    if isinstance(exc, CliError):
        return str(exc), exc.exit_code

    from .. import exceptions

    if isinstance(exc, exceptions.IpBannedException | exceptions.TooManyRequestsException):
        wait = f"; retry after {exc.retry_after:g} s" if exc.retry_after is not None else ""
        kind = "IP banned (418)" if exc.status == 418 else "rate limited (429)"
        return f"{kind} by the server{wait}", EXIT_RATE_LIMITED
    if isinstance(exc, exceptions.NetworkException):
        return f"cannot reach the server: {network_reason(exc)}", EXIT_NETWORK
    if isinstance(exc, exceptions.ApiException):
        code = getattr(exc, "code", None)
        rejected = (exceptions.BinanceCode.REJECTED_MBX_KEY, exceptions.BinanceCode.BAD_API_KEY_FMT)
        if code in rejected:
            return (
                f"the API key was rejected ({code}): check the key, its permissions "
                "and the IP whitelist",
                EXIT_REJECTED,
            )
        msg = getattr(exc, "msg", None)
        detail = f"{code} {msg}" if code is not None else (exc.reason or type(exc).__name__)
        if code == exceptions.BinanceCode.INVALID_LISTEN_KEY:
            detail += " (the account has no active listen key: `cmfutures listen-key create`)"
        return f"the server answered HTTP {exc.status}: {detail}", EXIT_API
    if isinstance(exc, ValueError | OSError):
        # key loading errors (KeyLoadError is a ValueError), unreadable files
        return _first_line(exc), EXIT_CONFIG
    return f"unexpected {type(exc).__name__}: {_first_line(exc)}", EXIT_INTERNAL


_NETWORK_KINDS = {
    "dns": "DNS lookup failed",
    "tls": "TLS failure",
    "connect_timeout": "connect timeout",
    "read_timeout": "read timeout",
    "connection_lost": "connection lost",
    "proxy": "proxy failure",
}


def network_reason(exc: BaseException) -> str:
    """``"connection refused: <detail>"``, ``"DNS lookup failed: ..."``, ``"TLS failure: ..."``,
    ``"read timeout: ..."``...: the kind of a :class:`~..exceptions.NetworkException` first,
    then its detail (one line; an ``ApiException``'s ``str`` starts with ``(0)``)."""
    kind = str(getattr(exc, "kind", "other"))
    reason = str(getattr(exc, "reason", None) or type(exc).__name__)
    detail = reason.split(": ", 1)[1] if reason.startswith(f"{kind}: ") else reason
    if kind == "connect":
        refused = "refused" in detail.lower()
        label = "connection refused" if refused else "cannot connect"
        detail = detail.replace(" (connection refused)", "")
    else:
        label = _NETWORK_KINDS.get(kind, "network error")
    detail = " ".join(detail.split())  # one line
    if detail.lower().startswith(label.lower()):
        return detail
    return f"{label}: {detail}" if detail else label


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
