"""``Configuration``: where to connect, with which credentials, timeouts and retry policy.

The seed's constructor is kept, positional order included; this library adds keyword-only
options after it. Host resolution, in order: the ``host`` argument; the environment variable
``BINANCE_CMFUTURES_HOST``; ``https://dapi.binance.com``. Likewise ``stream_host``:
argument, ``BINANCE_CMFUTURES_STREAM_HOST``, ``wss://dstream.binance.com``. The environment is
read when the Configuration is created.

Differences from the reference (``shared/spec/seed-contract.md``): an explicit ``host`` is never
silently replaced by ``server_index`` (D12); ``get_default()`` returns a copy, as documented
(D12); ``debug=True`` only sets this package's logger to DEBUG, it never touches
``http.client.HTTPConnection.debuglevel`` or prints headers (D11); there are default timeouts
(D7); the ``repr`` never shows credentials.
"""

from __future__ import annotations

import copy
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any, ClassVar, TypedDict

from .base_url import parse_base_url, warn_if_plaintext
from .exceptions import ApiValueError
from .signing import BinanceAuth

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_STREAM_HOST",
    "TESTNET_HOST",
    "TESTNET_STREAM_HOST",
    "Configuration",
]

DEFAULT_HOST = "https://dapi.binance.com"
DEFAULT_STREAM_HOST = "wss://dstream.binance.com"
TESTNET_HOST = "https://testnet.binancefuture.com"
TESTNET_STREAM_HOST = "wss://dstream.binancefuture.com"
HOST_ENV = "BINANCE_CMFUTURES_HOST"
STREAM_HOST_ENV = "BINANCE_CMFUTURES_STREAM_HOST"

#: Default (connect, read) timeout in seconds.
DEFAULT_TIMEOUT = (5.0, 10.0)
DEFAULT_RETRIES = 2
DEFAULT_RETRY_BACKOFF = 0.25
DEFAULT_RECV_WINDOW = 5000
DEFAULT_MAX_RESPONSE_BYTES = 8 << 20
MAX_RECV_WINDOW = 60000


class HostSetting(TypedDict):
    url: str
    description: str


def _check_timeout(value: Any, name: str) -> tuple[float, float]:
    if isinstance(value, bool):
        raise ApiValueError(f"{name} must be seconds or a (connect, read) pair, got {value!r}")
    if isinstance(value, (int, float)):
        pair: tuple[Any, Any] = (value, value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        pair = (value[0], value[1])
    else:
        raise ApiValueError(f"{name} must be seconds or a (connect, read) pair, got {value!r}")
    for part in pair:
        if isinstance(part, bool) or not isinstance(part, (int, float)) or not part > 0:
            raise ApiValueError(f"{name} values must be positive numbers, got {value!r}")
    return float(pair[0]), float(pair[1])


_HTTP_SCHEMES = ("http", "https")
_WS_SCHEMES = ("ws", "wss")


def _checked_url(
    value: str, name: str, schemes: tuple[str, ...], example: str, *, used: bool = True
) -> str:
    """``value`` normalized by :func:`~.base_url.parse_base_url` (ApiValueError if unusable);
    if ``used``, warn once when it is plain text to a non-loopback host.

    Checking here, once, means a scheme-less host, user info, a bad port or a query fails at
    configuration time, identically for the sync client, the async client and the stream.
    """
    url = parse_base_url(value, name, schemes, example)
    if used:
        warn_if_plaintext(url, name)
    return str(url)


class Configuration:
    """Settings for :class:`~.api_client.ApiClient` and :class:`~.async_api_client.AsyncApiClient`.

    :param host: REST base URL, e.g. ``"http://127.0.0.1:8080"``; an optional path prefix is
        put in front of every request path and a trailing slash is ignored (both clients
        alike). Default: ``$BINANCE_CMFUTURES_HOST`` or ``https://dapi.binance.com``.
    :param auth: a :class:`~.signing.BinanceAuth`; required for USER_STREAM and SIGNED calls.
    :param server_index: index into :meth:`get_host_settings` (only 0 exists); used only
        when ``host`` is not given.
    :param retries: how many times an *idempotent* request (GET, PUT, DELETE) is retried after
        a connection error, a timeout or HTTP 500/502/503/504. ``None`` means 2, ``0`` disables
        retries. POST is never retried automatically. A urllib3 ``Retry`` is accepted for
        compatibility; only its ``total`` is used.
    :param ssl_ca_cert: path of a CA bundle; ``ca_cert_data``: the PEM text of one.
    :param debug: True sets this package's logger to DEBUG (request lines and statuses, never
        headers or credentials).
    :param stream_host: WebSocket base URL. Default: ``$BINANCE_CMFUTURES_STREAM_HOST`` or
        ``wss://dstream.binance.com``.
    :param timeout: default per-request timeout: seconds for both phases, or a
        ``(connect, read)`` pair. Default ``(5.0, 10.0)``. A call's ``_request_timeout``
        overrides it.
    :param recv_window: ``recvWindow`` sent with SIGNED requests, in ms (1..60000, default 5000).
    :param retry_backoff: the first retry waits this many seconds, doubling each time (capped at
        8 s). Default 0.25.
    :param max_response_bytes: the largest response body a call accepts, in bytes, compressed
        and decompressed (default 8 MiB); a larger one raises
        :class:`~.exceptions.ResponseTooLargeException` without being read in full.
    :raises ApiValueError: on an out-of-range timeout, recv_window or retries, or a host
        (argument, environment variable or later assignment) that is not an http(s):// URL,
        or a stream host that is not a ws(s):// URL, or either with user info
        (``user:pass@``), a query, a fragment, whitespace or a port outside 1..65535 (see
        :mod:`~.base_url`).

    A plain ``http://`` or ``ws://`` base pointing at a non-loopback host logs one WARNING per
    host per process (logger ``binance.derivatives.cmfutures.base_url``).
    """

    _default: ClassVar[Configuration | None] = None

    def __init__(
        self,
        host: str | None = None,
        auth: BinanceAuth | None = None,
        server_index: int | None = None,
        server_variables: dict[str, str] | None = None,
        server_operation_index: dict[str, int] | None = None,
        server_operation_variables: dict[str, dict[str, str]] | None = None,
        ignore_operation_servers: bool = False,
        ssl_ca_cert: str | None = None,
        retries: int | Any | None = None,
        ca_cert_data: str | bytes | None = None,
        *,
        debug: bool | None = None,
        stream_host: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        recv_window: int = DEFAULT_RECV_WINDOW,
        retry_backoff: float = DEFAULT_RETRY_BACKOFF,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if auth is not None and not isinstance(auth, BinanceAuth):
            raise ApiValueError(
                f"auth must be a BinanceAuth, got {type(auth).__name__}; "
                "use BinanceAuth(api_key=..., secret_key=...)"
            )
        env_host = os.environ.get(HOST_ENV) or None
        self._env_host: str | None = None
        if env_host is not None:
            self._env_host = _checked_url(
                env_host, HOST_ENV, _HTTP_SCHEMES, DEFAULT_HOST, used=host is None
            )
        if host is None:
            self.server_index: int | None = 0 if server_index is None else server_index
            self._base_path = self._env_host or DEFAULT_HOST
        else:
            self.server_index = None
            self._base_path = _checked_url(host, "host", _HTTP_SCHEMES, DEFAULT_HOST)
        self.server_variables = server_variables or {}
        self.server_operation_index = server_operation_index or {}
        self.server_operation_variables = server_operation_variables or {}
        self.ignore_operation_servers = ignore_operation_servers
        self._set_stream_host(
            stream_host or os.environ.get(STREAM_HOST_ENV) or DEFAULT_STREAM_HOST,
            "stream_host" if stream_host else STREAM_HOST_ENV,
        )
        self.auth = auth
        self.ssl_ca_cert = ssl_ca_cert
        self.ca_cert_data = ca_cert_data
        self.retries = retries
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.recv_window = recv_window
        self.retry_backoff = retry_backoff
        self.max_response_bytes = max_response_bytes
        # seed attributes (read when a client is created)
        self.verify_ssl = True
        self.cert_file: str | None = None
        self.key_file: str | None = None
        self.assert_hostname: bool | str | None = None
        self.tls_server_name: str | None = None
        self.proxy: str | None = None
        self.proxy_headers: Mapping[str, str] | None = None
        self.socket_options: Any = None
        self.connection_pool_maxsize = (os.cpu_count() or 1) * 5
        self.safe_chars_for_path_param = ""
        self.client_side_validation = True
        self.temp_folder_path: str | None = None
        self.datetime_format = "%Y-%m-%dT%H:%M:%S.%f%z"
        self.date_format = "%Y-%m-%d"
        self.logger = {
            "package_logger": logging.getLogger("binance.derivatives.cmfutures"),
            "urllib3_logger": logging.getLogger("urllib3"),
        }
        self.logger_stream_handler: logging.Handler | None = None
        self._logger_file: str | None = None
        self._logger_file_handler: logging.FileHandler | None = None
        self._logger_format = "%(asctime)s %(levelname)s %(message)s"
        self.logger_formatter = logging.Formatter(self._logger_format)
        self._debug = False
        if debug is not None:
            self.debug = debug

    # ------------------------------------------------------------------ validated options

    @property
    def timeout(self) -> tuple[float, float]:
        """The default (connect, read) timeout in seconds."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float | tuple[float, float]) -> None:
        self._timeout = _check_timeout(value, "timeout")

    @property
    def recv_window(self) -> int:
        """``recvWindow`` for SIGNED requests, in milliseconds."""
        return self._recv_window

    @recv_window.setter
    def recv_window(self, value: int) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not (0 < value <= MAX_RECV_WINDOW)
        ):
            raise ApiValueError(
                f"recv_window must be an int in 1..{MAX_RECV_WINDOW} ms, got {value!r}"
            )
        self._recv_window = value

    @property
    def retries(self) -> Any:
        """The ``retries`` argument as given (None, an int or a urllib3 Retry)."""
        return self._retries

    @retries.setter
    def retries(self, value: Any) -> None:
        total = self._retry_total(value)
        if total < 0:
            raise ApiValueError(f"retries must be >= 0, got {value!r}")
        self._retries = value

    @staticmethod
    def _retry_total(value: Any) -> int:
        if value is None:
            return DEFAULT_RETRIES
        if value is False:
            return 0
        if isinstance(value, int):
            return value
        total = getattr(value, "total", None)
        if isinstance(total, int) and not isinstance(total, bool):
            return total
        if total is None or total is False:
            return 0
        raise ApiValueError(f"retries must be an int or None, got {value!r}")

    @property
    def max_retries(self) -> int:
        """The effective number of retries for idempotent requests."""
        return self._retry_total(self._retries)

    @property
    def retry_backoff(self) -> float:
        """Seconds before the first retry (doubling, capped at 8 s)."""
        return self._retry_backoff

    @retry_backoff.setter
    def retry_backoff(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ApiValueError(f"retry_backoff must be a number >= 0, got {value!r}")
        self._retry_backoff = float(value)

    @property
    def max_response_bytes(self) -> int:
        """The largest accepted response body in bytes (raw and decompressed)."""
        return self._max_response_bytes

    @max_response_bytes.setter
    def max_response_bytes(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1024:
            raise ApiValueError(f"max_response_bytes must be an int >= 1024, got {value!r}")
        self._max_response_bytes = value

    # ------------------------------------------------------------------ hosts

    @property
    def host(self) -> str:
        """The REST base URL used by every call (read on each call)."""
        if self.server_index is None:
            return self._base_path
        if self.server_index == 0:
            return self._env_host or DEFAULT_HOST
        return self.get_host_from_settings(self.server_index, variables=self.server_variables)

    @host.setter
    def host(self, value: str) -> None:
        self._base_path = _checked_url(value, "host", _HTTP_SCHEMES, DEFAULT_HOST)
        self.server_index = None

    @property
    def stream_host(self) -> str:
        """The WebSocket base URL (checked and normalized like :attr:`host`, on assignment
        too)."""
        return self._stream_host

    @stream_host.setter
    def stream_host(self, value: str) -> None:
        self._set_stream_host(value, "stream_host")

    def _set_stream_host(self, value: str, name: str) -> None:
        self._stream_host = _checked_url(value, name, _WS_SCHEMES, DEFAULT_STREAM_HOST)

    def get_host_settings(self) -> list[HostSetting]:
        """The configured servers: one entry, the default REST host (env override applied)."""
        return [
            {
                "url": self._env_host or DEFAULT_HOST,
                "description": "Binance Cmfutures API Server",
            }
        ]

    def get_host_from_settings(
        self,
        index: int | None,
        variables: dict[str, str] | None = None,
        servers: list[HostSetting] | None = None,
    ) -> str:
        """The URL of server ``index``. :raises ValueError: for an index out of range."""
        if index is None:
            return self._base_path
        servers = self.get_host_settings() if servers is None else servers
        if not 0 <= index < len(servers):
            raise ValueError(
                f"Invalid index {index} when selecting the host settings. "
                f"Must be less than {len(servers)}"
            )
        return servers[index]["url"]

    def auth_settings(self) -> dict[str, dict[str, Any]]:
        """Seed helper describing the (single) auth scheme. Never contains credentials."""
        return {"ApiKey": {"type": "binance", "in": "header", "key": "", "value": None}}

    # ------------------------------------------------------------------ presets

    @classmethod
    def testnet(cls, auth: BinanceAuth | None = None, **kwargs: Any) -> Configuration:
        """Binance futures testnet: ``https://testnet.binancefuture.com`` and
        ``wss://dstream.binancefuture.com``. Extra keyword arguments go to the constructor."""
        return cls(host=TESTNET_HOST, auth=auth, stream_host=TESTNET_STREAM_HOST, **kwargs)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Configuration:
        """Hosts from ``BINANCE_CMFUTURES_HOST``/``..._STREAM_HOST`` (or the defaults) and auth
        from ``BINANCE_API_KEY`` with ``BINANCE_SECRET_KEY`` or ``BINANCE_PRIVATE_KEY_PATH``
        (+ ``BINANCE_PRIVATE_KEY_PASSPHRASE``).

        :raises ~.signing.KeyLoadError: if the credential variables are missing or unusable.
        :raises ~.exceptions.ApiValueError: if a host variable is unusable; the message names
            the variable (``BINANCE_CMFUTURES_HOST has an invalid port...``), as does the
            plain-text warning.
        """
        env = os.environ if environ is None else environ
        auth = BinanceAuth.from_env(env)
        for key, variable, schemes, example in (
            ("host", HOST_ENV, _HTTP_SCHEMES, DEFAULT_HOST),
            ("stream_host", STREAM_HOST_ENV, _WS_SCHEMES, DEFAULT_STREAM_HOST),
        ):
            if key not in kwargs:
                value = env.get(variable) or None
                # checked here, under the variable's name (the constructor would say "host")
                kwargs[key] = None if value is None else _checked_url(
                    value, variable, schemes, example
                )
        return cls(auth=auth, **kwargs)

    # ------------------------------------------------------------------ defaults

    @classmethod
    def set_default(cls, default: Configuration | None) -> None:
        """Use ``default`` (a copy is stored) for clients created without a configuration."""
        cls._default = copy.deepcopy(default) if default is not None else None

    @classmethod
    def get_default(cls) -> Configuration:
        """A *copy* of the default configuration (a new ``Configuration()`` if none was set)."""
        if cls._default is None:
            return cls()
        return copy.deepcopy(cls._default)

    @classmethod
    def get_default_copy(cls) -> Configuration:
        """Deprecated alias of :meth:`get_default`."""
        return cls.get_default()

    def __deepcopy__(self, memo: dict[int, Any]) -> Configuration:
        result = self.__class__.__new__(self.__class__)
        memo[id(self)] = result
        for key, value in self.__dict__.items():
            if key in ("logger", "logger_stream_handler", "_logger_file_handler", "auth"):
                setattr(result, key, value)
            else:
                setattr(result, key, copy.deepcopy(value, memo))
        return result

    # ------------------------------------------------------------------ logging

    @property
    def debug(self) -> bool:
        """DEBUG level for this package's logger. Never changes process-global HTTP state.

        Setting it to False resets the logger's own level (``NOTSET``: the level is inherited
        from the application's logging set-up again); it never silences the package below
        what the application configured."""
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = bool(value)
        logger = self.logger["package_logger"]
        logger.setLevel(logging.DEBUG if value else logging.NOTSET)

    @property
    def logger_format(self) -> str:
        return self._logger_format

    @logger_format.setter
    def logger_format(self, value: str) -> None:
        self._logger_format = value
        self.logger_formatter = logging.Formatter(value)

    @property
    def logger_file(self) -> str | None:
        return self._logger_file

    @logger_file.setter
    def logger_file(self, value: str | None) -> None:
        self._logger_file = value
        if value:
            handler = logging.FileHandler(value)
            handler.setFormatter(self.logger_formatter)
            self._logger_file_handler = handler
            for logger in self.logger.values():
                logger.addHandler(handler)

    def to_debug_report(self) -> str:
        """Versions and the host, for bug reports. Contains no credentials."""
        from . import __version__

        return (
            "Python SDK Debug Report:\n"
            f"OS: {sys.platform}\n"
            f"Python Version: {sys.version}\n"
            f"Version of the API: 0.1.0\n"
            f"SDK Package Version: {__version__}\n"
            f"Host: {self.host}"
        )

    def __repr__(self) -> str:
        return (
            f"Configuration(host={self.host!r}, stream_host={self.stream_host!r}, "
            f"auth={self.auth!r}, timeout={self.timeout!r}, recv_window={self.recv_window}, "
            f"retries={self.max_retries})"
        )
