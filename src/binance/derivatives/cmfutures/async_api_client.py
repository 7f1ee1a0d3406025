"""``AsyncApiClient``: the asyncio (aiohttp) twin of :class:`~.api_client.ApiClient`.

The same API classes work with it: ``UserDataStreamsApi(AsyncApiClient(cfg))`` methods return
awaitables, with the same models, the same errors and the same retry/resync policy, because
request building, signing, retries and error mapping are the shared ``_http`` core; this module
only moves bytes. Retry back-off waits on ``clock.sleep`` (so a ``ManualClock`` drives it).
Connect/read timeouts are transport timeouts enforced by aiohttp in real time, and so is each
attempt's wall-clock deadline (``connect + read`` seconds for the whole response, aiohttp's
``total``). Bodies are read in chunks through ``_http.limits.BodyReader`` (size cap, bounded
decompression of ``gzip``/``deflate``; aiohttp itself does not decompress).

The aiohttp session is created on first use, inside the running loop. Use ``async with``
or ``await client.close()``. ``*_without_preload_content`` methods return the unread
``aiohttp.ClientResponse``; the caller must ``release()`` it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import aiohttp

from ._http.client_base import ClientBase
from ._http.flow import (
    MODE_DATA,
    Action,
    Outcome,
    RawResponse,
    Sleep,
    call_flow,
    sync_time_flow,
)
from ._http.limits import ACCEPT_ENCODING, CHUNK, BodyReader, attempt_deadline
from ._http.request import CallOptions, Endpoint, PreparedRequest
from .configuration import Configuration
from .exceptions import (
    InvalidResponseException,
    NetworkException,
    is_certificate_error,
    tls_reason,
)

if TYPE_CHECKING:
    from collections.abc import Generator

    from .clock import Clock

__all__ = ["AsyncApiClient"]


def network_error(error: BaseException, deadline: float | None = None) -> NetworkException:
    """Classify an aiohttp/asyncio transport error (``deadline``: the attempt's total
    seconds, named in the message of a timeout)."""
    if isinstance(error, aiohttp.ClientProxyConnectionError):
        return NetworkException("proxy", "cannot connect to the proxy")
    if isinstance(error, (aiohttp.ClientSSLError, ssl.SSLError)):
        reason = tls_reason(error) or type(error).__name__
        if is_certificate_error(error):
            return NetworkException("tls", f"certificate rejected: {reason}", permanent=True)
        return NetworkException("tls", f"TLS failure: {reason}")
    if isinstance(error, aiohttp.ClientConnectorError):
        if isinstance(error.os_error, socket.gaierror):
            return NetworkException("dns", f"cannot resolve host {error.host!r}")
        refused = isinstance(error.os_error, ConnectionRefusedError)
        detail = f"cannot connect to {error.host}:{error.port}"
        return NetworkException("connect", detail + (" (connection refused)" if refused else ""))
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return NetworkException("connect_timeout", "connect timed out")
    if isinstance(error, aiohttp.ServerTimeoutError):
        return NetworkException("read_timeout", "read timed out", request_sent=True)
    if isinstance(error, asyncio.TimeoutError):  # aiohttp's ``total``: the attempt's deadline
        detail = (
            f"no complete response within {deadline:g} s (the attempt's deadline)"
            if deadline is not None
            else "read timed out"
        )
        return NetworkException("read_timeout", detail, request_sent=True)
    if isinstance(error, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
        return NetworkException("connection_lost", type(error).__name__, request_sent=True)
    if isinstance(error, (aiohttp.ClientOSError, ConnectionError)):
        return NetworkException("connection_lost", str(error)[:300], request_sent=True)
    return NetworkException("other", f"{type(error).__name__}: {str(error)[:300]}")


class AsyncApiClient(ClientBase):
    """Asynchronous REST client; same constructor and attributes as
    :class:`~.api_client.ApiClient` (``clock`` keyword-only)."""

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
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[Any, aiohttp.ClientTimeout] = {}
        self._ssl: ssl.SSLContext | bool = True

    # ------------------------------------------------------------------ life cycle

    async def __aenter__(self) -> AsyncApiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the aiohttp session and its connections."""
        session, self._session = self._session, None
        self.closed = True
        if session is not None:
            await session.close()

    def _open(self) -> aiohttp.ClientSession:
        cfg = self.configuration
        ssl_arg: ssl.SSLContext | bool = True
        if not cfg.verify_ssl:
            ssl_arg = False
        elif cfg.ssl_ca_cert or cfg.ca_cert_data or cfg.cert_file:
            context = ssl.create_default_context(
                cafile=cfg.ssl_ca_cert,
                cadata=cfg.ca_cert_data.decode()
                if isinstance(cfg.ca_cert_data, bytes)
                else cfg.ca_cert_data,
            )
            if cfg.cert_file:
                context.load_cert_chain(cfg.cert_file, cfg.key_file)
            ssl_arg = context
        self._ssl = ssl_arg
        connector = aiohttp.TCPConnector(limit=max(1, cfg.connection_pool_maxsize), ssl=ssl_arg)
        self._session = aiohttp.ClientSession(
            connector=connector, auto_decompress=False, trust_env=False
        )
        self.closed = False
        return self._session

    # ------------------------------------------------------------------ state

    async def sync_time(self) -> int:
        """Measure the server-time offset now (``GET /dapi/v1/time``) and return it (ms)."""
        return int(await self._run(sync_time_flow(self._core)))

    # ------------------------------------------------------------------ transport

    def _timeout(self, spec: tuple[float | None, float | None, float | None]) -> Any:
        timeout = self._timeouts.get(spec)
        if timeout is None:
            connect, read, total = spec
            if total is not None:
                timeout = aiohttp.ClientTimeout(total=total)
            else:
                timeout = aiohttp.ClientTimeout(
                    total=attempt_deadline(spec), sock_connect=connect, sock_read=read
                )
            if len(self._timeouts) < 64:
                self._timeouts[spec] = timeout
        return timeout

    async def _send(self, request: PreparedRequest) -> RawResponse | NetworkException:
        session = self._session or self._open()
        proxy = self.configuration.proxy
        headers = request.headers
        if "Accept-Encoding" not in headers:
            # the body is decompressed by BodyReader (bounded); stream mode hands the raw
            # response to the caller, so ask for no compression there
            encoding = "identity" if request.stream else ACCEPT_ENCODING
            headers = {**headers, "Accept-Encoding": encoding}
        timeout = self._timeout(request.timeout)
        try:
            resp = await session.request(
                request.method,
                request.url,
                headers=headers,
                data=request.body,
                timeout=timeout,
                allow_redirects=False,
                proxy=proxy or None,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            return network_error(exc, timeout.total)
        if request.stream:
            return RawResponse(resp.status, resp.reason or "", resp.headers, None, resp)
        problem: InvalidResponseException | None = None
        data = b""
        clean = False
        try:
            reader = BodyReader(resp.status, resp.headers, self.configuration.max_response_bytes)
            if resp.content_length is not None:
                reader.check_length(resp.content_length)
            async for chunk in resp.content.iter_chunked(CHUNK):
                reader.feed(chunk)
                if reader.full:
                    break
            else:
                clean = True
            data = reader.finish()
        except InvalidResponseException as exc:
            problem = exc
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            return network_error(exc, timeout.total)
        finally:
            if clean:
                resp.release()
            else:
                resp.close()  # drop the connection: the rest of the body is not wanted
        return RawResponse(resp.status, resp.reason or "", resp.headers, data, resp, problem)

    async def _run(self, flow: Generator[Action, Outcome, Any]) -> Any:
        try:
            action = next(flow)
            while True:
                if type(action) is Sleep:
                    await self.clock.sleep(action.delay)
                    action = flow.send(None)
                else:
                    assert isinstance(action, PreparedRequest)
                    action = flow.send(await self._send(action))
        except StopIteration as stop:
            return stop.value

    def _execute(
        self,
        endpoint: Endpoint,
        params: Sequence[tuple[str, str]] | None,
        opts: CallOptions | None,
        mode: int = MODE_DATA,
    ) -> Any:
        """Return the awaitable of one call (used by the API classes)."""
        return self._run(call_flow(self._core, endpoint, params, opts, mode))
