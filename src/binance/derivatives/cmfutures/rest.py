"""The urllib3 transport of the sync :class:`~.api_client.ApiClient` (seed module name).

Re-exports :class:`~.exceptions.ApiException` (``rest.ApiException is
exceptions.ApiException``). :class:`RESTClientObject` owns one urllib3 ``PoolManager`` (or a
proxy manager); :meth:`RESTClientObject.close` closes its connections. urllib3's own retries
and redirects are disabled: retry policy lives in ``_http.flow``, once for both clients.

Every attempt runs under a wall-clock deadline (``_http.watchdog``) and reads its body in
chunks through ``_http.limits.BodyReader`` (size cap, bounded decompression): urllib3 is
asked not to decompress.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .exceptions import (
    ApiException,
    ApiValueError,
    InvalidResponseException,
    NetworkException,
    is_certificate_error,
    tls_reason,
)

if TYPE_CHECKING:
    import urllib3

    from ._http.flow import RawResponse
    from ._http.request import PreparedRequest
    from ._http.watchdog import Guard
    from .configuration import Configuration

__all__ = ["ApiException", "RESTClientObject", "RESTResponse", "network_error"]


class RESTResponse:
    """A urllib3 response, read on demand (seed helper type)."""

    def __init__(
        self, resp: urllib3.BaseHTTPResponse, limit: int = 8 << 20, deadline: float | None = None
    ) -> None:
        self.response = resp
        self.status = resp.status
        self.reason = resp.reason
        self.data: bytes | None = None
        self._limit = limit
        self._deadline = deadline

    def read(self) -> bytes:
        """The body, decompressed.

        :raises ~.exceptions.ResponseTooLargeException: beyond ``max_response_bytes``.
        :raises ~.exceptions.NetworkException: on a transport failure or past the deadline.
        """
        if self.data is None:
            from ._http.watchdog import Guard

            if self._deadline is None:
                self.data = read_body(self.response, self._limit, None)
            else:
                with Guard(self._deadline) as guard:
                    guard.conn = getattr(self.response, "connection", None)
                    self.data = read_body(self.response, self._limit, guard)
        return self.data

    @property
    def headers(self) -> Mapping[str, str]:
        return self.response.headers

    def getheaders(self) -> Mapping[str, str]:
        return self.response.headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.response.headers.get(name, default)


def network_error(error: BaseException) -> NetworkException:
    """Classify a urllib3/socket error (never includes the request's query or headers)."""
    import ssl

    from urllib3.exceptions import (
        ConnectTimeoutError,
        MaxRetryError,
        NameResolutionError,
        NewConnectionError,
        ProtocolError,
        ProxyError,
        ReadTimeoutError,
        SSLError,
    )

    if isinstance(error, MaxRetryError) and error.reason is not None:
        error = error.reason
    if isinstance(error, ProxyError):
        return NetworkException("proxy", f"proxy failure ({type(error).__name__})")
    if isinstance(error, NameResolutionError):
        return NetworkException("dns", f"cannot resolve host {error.conn.host!r}")
    if isinstance(error, NewConnectionError):
        return NetworkException("connect", f"cannot connect: {_short(error)}")
    if isinstance(error, ConnectTimeoutError):
        return NetworkException("connect_timeout", "connect timed out")
    if isinstance(error, (SSLError, ssl.SSLError)):
        reason = tls_reason(error) or _short(error)
        if is_certificate_error(error):
            return NetworkException("tls", f"certificate rejected: {reason}", permanent=True)
        return NetworkException("tls", f"TLS failure: {reason}")
    if isinstance(error, ReadTimeoutError):
        return NetworkException("read_timeout", "read timed out", request_sent=True)
    if isinstance(error, (ProtocolError, ConnectionError)):
        return NetworkException("connection_lost", _short(error), request_sent=True)
    return NetworkException("other", f"{type(error).__name__}: {_short(error)}")


def read_body(resp: Any, limit: int, guard: Guard | None) -> bytes:
    """Read ``resp``'s body (opened with ``preload_content=False, decode_content=False``) in
    chunks through a :class:`~._http.limits.BodyReader`; release or drop the connection.

    :raises ~.exceptions.InvalidResponseException: too large (ResponseTooLargeException),
        or an unsupported/corrupt ``Content-Encoding``.
    :raises ~.exceptions.NetworkException: the transport failed (or the guard expired).
    """
    import urllib3

    from ._http.limits import CHUNK, BodyReader

    clean = False
    try:
        reader = BodyReader(resp.status, resp.headers, limit)
        length = resp.headers.get("Content-Length")
        if length is not None and length.isdigit():
            reader.check_length(int(length))
        for chunk in resp.stream(CHUNK, decode_content=False):
            reader.feed(chunk)
            if reader.full:
                break
        else:
            clean = True
        return reader.finish()
    except ApiException:
        raise
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise _transport_error(exc, guard) from None
    finally:
        if not clean:
            resp.close()
        resp.release_conn()


def _transport_error(error: BaseException, guard: Guard | None) -> NetworkException:
    if guard is not None and guard.expired:
        return NetworkException(
            "read_timeout",
            f"no complete response within {guard.seconds:g} s (the attempt's deadline)",
            request_sent=True,
        )
    return network_error(error)


def _short(error: BaseException) -> str:
    text = str(error)
    if ": " in text and text.startswith("<"):
        text = text.split(": ", 1)[1]
    return text[:300]


class RESTClientObject:
    """urllib3 pools configured from a :class:`~.configuration.Configuration`.

    The transport settings (``verify_ssl``, certificates, ``proxy``, pool size) are read once,
    here.
    """

    def __init__(self, configuration: Configuration) -> None:
        import urllib3

        from ._http.flow import RawResponse

        self._urllib3 = urllib3
        self._raw_response = RawResponse
        kwargs: dict[str, Any] = {
            "num_pools": 4,
            "maxsize": max(1, int(configuration.connection_pool_maxsize or 1)),
            "cert_reqs": "CERT_REQUIRED" if configuration.verify_ssl else "CERT_NONE",
            "retries": False,
        }
        if configuration.ssl_ca_cert:
            kwargs["ca_certs"] = configuration.ssl_ca_cert
        if configuration.ca_cert_data:
            kwargs["ca_cert_data"] = configuration.ca_cert_data
        if configuration.cert_file:
            kwargs["cert_file"] = configuration.cert_file
        if configuration.key_file:
            kwargs["key_file"] = configuration.key_file
        if configuration.assert_hostname is not None:
            kwargs["assert_hostname"] = configuration.assert_hostname
        if configuration.tls_server_name:
            kwargs["server_hostname"] = configuration.tls_server_name
        if configuration.socket_options is not None:
            kwargs["socket_options"] = configuration.socket_options
        self.pool_manager: urllib3.PoolManager
        proxy = configuration.proxy
        if proxy:
            if proxy.startswith(("socks5", "socks4")):
                from urllib3.contrib.socks import SOCKSProxyManager

                self.pool_manager = SOCKSProxyManager(proxy_url=proxy, **kwargs)
            else:
                self.pool_manager = urllib3.ProxyManager(
                    proxy_url=proxy, proxy_headers=configuration.proxy_headers, **kwargs
                )
        else:
            self.pool_manager = urllib3.PoolManager(**kwargs)
        _guard_pools(self.pool_manager)
        self._configuration = configuration
        self._pools: dict[str, Any] = {}
        self._timeouts: dict[tuple[float | None, float | None, float | None], urllib3.Timeout]
        self._timeouts = {}
        self._proxied = bool(proxy)

    def _timeout(self, spec: tuple[float | None, float | None, float | None]) -> urllib3.Timeout:
        timeout = self._timeouts.get(spec)
        if timeout is None:
            connect, read, total = spec
            if total is not None:
                timeout = self._urllib3.Timeout(total=total)
            else:
                timeout = self._urllib3.Timeout(connect=connect, read=read)
            if len(self._timeouts) < 64:
                self._timeouts[spec] = timeout
        return timeout

    def send(self, request: PreparedRequest) -> RawResponse | NetworkException:
        """Send ``request`` and read its body; transport failures (the deadline included) are
        *returned* as NetworkException, a body over the cap as a RawResponse whose
        ``problem`` is set."""
        from ._http.limits import attempt_deadline
        from ._http.watchdog import Guard

        seconds = attempt_deadline(request.timeout)
        if seconds is None or request.stream:
            return self._attempt(request, None)
        with Guard(seconds) as guard:
            outcome = self._attempt(request, guard)
            if guard.finish() and not isinstance(outcome, NetworkException):
                # cut by the watchdog, yet parsed as a response: it is a truncated one
                return _transport_error(OSError("cut at the deadline"), guard)
            return outcome

    def _attempt(
        self, request: PreparedRequest, guard: Guard | None
    ) -> RawResponse | NetworkException:
        stream = request.stream
        try:
            if self._proxied:
                resp = self.pool_manager.urlopen(
                    request.method,
                    request.url,
                    body=request.body,
                    headers=request.headers,
                    timeout=self._timeout(request.timeout),
                    preload_content=False,
                    decode_content=stream,
                    redirect=False,
                    retries=False,
                )
            else:
                pool = self._pools.get(request.host)
                if pool is None:
                    pool = self._pools[request.host] = self.pool_manager.connection_from_url(
                        request.host
                    )
                resp = pool.urlopen(
                    request.method,
                    request.target,
                    body=request.body,
                    headers=request.headers,
                    timeout=self._timeout(request.timeout),
                    preload_content=False,
                    decode_content=stream,
                    redirect=False,
                    retries=False,
                    assert_same_host=False,
                )
        except self._urllib3.exceptions.LocationValueError as exc:
            return NetworkException("other", f"invalid host URL {request.host!r}: {exc}")
        except (self._urllib3.exceptions.HTTPError, OSError) as exc:
            return _transport_error(exc, guard)
        if stream:
            return self._raw_response(resp.status, resp.reason or "", resp.headers, None, resp)
        if guard is not None and guard.conn is None:  # a pool class we could not wrap
            guard.conn = getattr(resp, "connection", None)
        problem: InvalidResponseException | None = None
        data = b""
        try:
            data = read_body(resp, self._configuration.max_response_bytes, guard)
        except InvalidResponseException as exc:
            problem = exc
        except NetworkException as exc:
            return exc
        return self._raw_response(
            resp.status, resp.reason or "", resp.headers, data, resp, problem
        )

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> RESTResponse:
        """Seed helper: one raw request, no retries; transport failures raise
        :class:`~.exceptions.NetworkException`."""
        if body is not None and post_params:
            raise ApiValueError("body parameter cannot be used with post_params parameter.")
        if post_params:
            from urllib.parse import urlencode

            body = urlencode(post_params)
            headers = {**(headers or {}), "Content-Type": "application/x-www-form-urlencoded"}
        if isinstance(body, str):
            body = body.encode()
        elif body is not None and not isinstance(body, bytes):
            import json

            body = json.dumps(body).encode()
            headers = {**(headers or {}), "Content-Type": "application/json"}
        from ._http.request import _parse_timeout

        spec: tuple[float | None, float | None, float | None] = (5.0, 10.0, None)
        if _request_timeout is not None:
            spec = _parse_timeout(_request_timeout)
        try:
            resp = self.pool_manager.request(
                method,
                url,
                body=body,
                headers=dict(headers or {}),
                timeout=self._timeout(spec),
                preload_content=False,
                decode_content=False,
                redirect=False,
                retries=False,
            )
        except (self._urllib3.exceptions.HTTPError, OSError) as exc:
            raise network_error(exc) from exc
        from ._http.limits import attempt_deadline

        return RESTResponse(resp, self._configuration.max_response_bytes, attempt_deadline(spec))

    def close(self) -> None:
        """Close every pooled connection. Later requests open new ones."""
        self._pools.clear()
        self.pool_manager.clear()


def _guard_pools(manager: Any) -> None:
    """Make ``manager``'s connections register with the current attempt's
    :class:`~._http.watchdog.Guard`, so the watchdog can cut them, headers phase included."""
    manager.pool_classes_by_scheme = {
        scheme: _guarded_pool(pool_cls)
        for scheme, pool_cls in manager.pool_classes_by_scheme.items()
    }


_guarded_classes: dict[type, type] = {}


def _guarded_pool(pool_cls: type) -> type:
    guarded = _guarded_classes.get(pool_cls)
    if guarded is None:
        conn_cls: type = pool_cls.ConnectionCls  # type: ignore[attr-defined]
        guarded_conn = type(f"Guarded{conn_cls.__name__}", (_GuardedConnection, conn_cls), {})
        guarded = type(f"Guarded{pool_cls.__name__}", (pool_cls,), {"ConnectionCls": guarded_conn})
        _guarded_classes[pool_cls] = guarded
    return guarded


class _GuardedConnection:
    """Mixin for urllib3 connection classes: register on the attempt's guard when used."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        from ._http.watchdog import current_guard

        guard = current_guard()
        if guard is not None:
            guard.conn = self
        return super().request(*args, **kwargs)  # type: ignore[misc]
