"""Base URLs (``Configuration.host`` / ``stream_host``): parsed and checked once, for every client.

:func:`parse_base_url` accepts ``scheme://host[:port][/path/prefix]`` and normalizes it, so the
sync client, the async client and the stream all see the same base:

* the scheme must be one of the allowed ones (``http``/``https`` for REST, ``ws``/``wss`` for
  the stream) and is lower-cased;
* user info (``user:password@``) is rejected: the async transport would send it as Basic auth
  and the sync one would drop it. The error message shows the URL with the user info
  replaced by ``***``;
* a query (``?``) or fragment (``#``), whitespace or control characters are rejected;
* the port, if given, must be 1..65535;
* a path prefix is kept (``https://proxy.example/binance`` + ``/dapi/v1/listenKey``) and
  trailing slashes are dropped (``http://h:1/`` is ``http://h:1``).

Every rejection is an :class:`~.exceptions.ApiValueError` (a :class:`ValueError`) naming the
setting and the fix.

:func:`warn_if_plaintext` logs one WARNING per base (scheme, host, port) per process when a
plain ``http://`` or ``ws://`` base points at a host other than the loopback interface
(``localhost``, ``127.0.0.0/8``, ``::1``): API keys and account data would cross the network
unencrypted.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .exceptions import ApiValueError

__all__ = [
    "PLAINTEXT_LOGGER",
    "BaseUrl",
    "parse_base_url",
    "split_base_url",
    "warn_if_plaintext",
]

#: The logger that carries the plain-text-transport warning.
PLAINTEXT_LOGGER = "binance.derivatives.cmfutures.base_url"

_logger = logging.getLogger(PLAINTEXT_LOGGER)
_PLAINTEXT_SCHEMES = ("http", "ws")
_warned: set[str] = set()
_warned_lock = threading.Lock()


@dataclass(frozen=True)
class BaseUrl:
    """A checked base URL.

    :ivar scheme: lower-case scheme (``https``, ``wss``, ...).
    :ivar hostname: the host name or IP address (IPv6 without brackets), lower-case.
    :ivar port: the explicit port, or None.
    :ivar prefix: the path prefix without a trailing slash (``""`` for none).
    :ivar origin: ``scheme://host[:port]`` as given (user info never present).
    """

    scheme: str
    hostname: str
    port: int | None
    prefix: str
    origin: str

    def __str__(self) -> str:
        return self.origin + self.prefix

    @property
    def is_loopback(self) -> bool:
        """True for ``localhost`` (and ``*.localhost``), ``127.0.0.0/8`` and ``::1``."""
        name = self.hostname
        if name == "localhost" or name.endswith(".localhost"):
            return True
        import ipaddress

        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False

    @property
    def is_plaintext(self) -> bool:
        """True for ``http://`` and ``ws://`` (no TLS)."""
        return self.scheme in _PLAINTEXT_SCHEMES


def _redacted(value: str) -> str:
    """``value`` with anything between ``://`` and the last ``@`` of the authority hidden."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        return value if "@" not in value else "***@" + value.rsplit("@", 1)[1]
    authority_end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority = rest[:authority_end]
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return f"{scheme}://{authority}{rest[authority_end:]}"


def parse_base_url(value: Any, name: str, schemes: tuple[str, ...], example: str) -> BaseUrl:
    """Check and normalize a base URL (see the module docstring).

    :param name: the setting or environment variable, named in error messages.
    :param schemes: allowed schemes, without ``://`` (e.g. ``("http", "https")``).
    :param example: a valid value, quoted in the fix.
    :raises ApiValueError: for anything that is not a usable base URL.
    """
    allowed = " or ".join(f"{s}://" for s in schemes)

    def fail(problem: str, fix: str) -> ApiValueError:
        return ApiValueError(f"{name} {problem}. Fix: {fix}")

    if not isinstance(value, str):
        raise fail(
            f"must be a URL starting with {allowed}, got {type(value).__name__}",
            f"give the full base URL, e.g. {example!r}",
        )
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise fail(
            "contains whitespace or a control character (a Windows line ending in a .env file?)",
            f"remove it, e.g. {example!r}",
        )
    shown = _redacted(value)
    scheme, sep, _ = value.partition("://")
    if not sep or scheme.lower() not in schemes:
        raise fail(
            f"must be a URL starting with {allowed}, got {shown!r}",
            f"give the full base URL, e.g. {example!r}",
        )
    try:
        parts = urlsplit(value)
        hostname = parts.hostname  # validates a bracketed IPv6 address
    except ValueError:
        raise fail(f"has an invalid host, got {shown!r}", f"e.g. {example!r}") from None
    if "@" in parts.netloc:
        raise fail(
            f"must not contain user info (user:password@), got {shown!r}",
            "remove it: Binance authenticates with the API key, not with HTTP Basic auth",
        )
    if "?" in value or "#" in value:
        raise fail(
            f"must not contain a query (?) or fragment (#), got {shown!r}",
            f"give only scheme, host, port and an optional path prefix, e.g. {example!r}",
        )
    if not hostname:
        raise fail(f"has no host name, got {shown!r}", f"e.g. {example!r}")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 0 < port <= 65535:
        raise fail(f"has an invalid port, got {shown!r}", "use a port in 1..65535")
    origin = f"{scheme.lower()}://{parts.netloc}"
    return BaseUrl(scheme.lower(), hostname.lower(), port, parts.path.rstrip("/"), origin)


@functools.lru_cache(maxsize=64)
def split_base_url(url: str) -> tuple[str, str]:
    """``(origin, prefix)`` of an already checked base URL: what goes into the connection
    pool and what goes in front of every request path (cached: it is called per request)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def warn_if_plaintext(url: BaseUrl, name: str) -> None:
    """Log a WARNING, once per origin per process, if ``url`` is unencrypted and not loopback."""
    if not url.is_plaintext or url.is_loopback:
        return
    with _warned_lock:
        if url.origin in _warned:
            return
        _warned.add(url.origin)
    secure = "https" if url.scheme == "http" else "wss"
    _logger.warning(
        "%s is %s: unencrypted %s to a non-loopback host; the API key and account data cross "
        "the network in clear text. Use %s:// unless this is a trusted local proxy",
        name,
        url.origin,
        "HTTP" if url.scheme == "http" else "WebSocket",
        secure,
    )
