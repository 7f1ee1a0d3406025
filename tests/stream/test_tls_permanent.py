"""A TLS certificate error is permanent (issue 9, item 11): the REST clients do not retry it
and the stream does not reconnect forever; it stops with the error. The server is a local
TLS listener with a self-signed certificate the client does not trust."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import ipaddress
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from binance.derivatives.cmfutures import (
    ApiClient,
    AsyncApiClient,
    BinanceAuth,
    Configuration,
    UserDataStreamsApi,
)
from binance.derivatives.cmfutures.cli.errors import describe_error
from binance.derivatives.cmfutures.exceptions import NetworkException
from binance.derivatives.cmfutures.stream import UserDataStream

from .conftest import serve_listen_key

AUTH = BinanceAuth(api_key="k", secret_key="s")


class UntrustedTlsServer:
    """Accepts TCP connections on 127.0.0.1 and offers a self-signed certificate."""

    def __init__(self, directory: Path) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )
        (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (directory / "key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, name="tls-untrusted", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.settimeout(2)
            try:
                self.context.wrap_socket(conn, server_side=True).close()
            except (OSError, ssl.SSLError):
                conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def _tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UntrustedTlsServer]:
    server = UntrustedTlsServer(tmp_path_factory.mktemp("tls"))
    yield server
    server.close()


@pytest.fixture
def tls(_tls: UntrustedTlsServer) -> UntrustedTlsServer:
    _tls.connections = 0
    return _tls


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_rest_does_not_retry_a_rejected_certificate(
    tls: UntrustedTlsServer, kind: str
) -> None:
    cfg = Configuration(host=f"https://127.0.0.1:{tls.port}", auth=AUTH, retries=3,
                        retry_backoff=0)
    client = ApiClient(cfg) if kind == "sync" else AsyncApiClient(cfg)
    try:
        with pytest.raises(NetworkException) as info:
            result = UserDataStreamsApi(client).cmfutures_update_listen_key_v1()
            if inspect.isawaitable(result):
                await result
    finally:
        closing = client.close()
        if inspect.isawaitable(closing):
            await closing
    assert info.value.kind == "tls" and info.value.permanent
    assert "certificate" in str(info.value)
    assert tls.connections == 1  # not 4
    # the ssl reason, not only an exception class, in the message and the CLI's one line
    reason = "certificate verify failed: self-signed certificate"
    assert info.value.reason == f"tls: certificate rejected: {reason}"
    assert describe_error(info.value)[0] == (
        f"cannot reach the server: TLS failure: certificate rejected: {reason}"
    )


@pytest.fixture
async def listen_key_server() -> AsyncIterator[str]:
    async def listen_key(request: web.Request) -> web.Response:
        return web.json_response({"listenKey": "k" * 60} if request.method == "POST" else {})

    async with serve_listen_key(listen_key) as address:
        yield f"http://{address}"


async def test_the_stream_stops_on_a_rejected_certificate_instead_of_reconnecting(
    tls: UntrustedTlsServer, listen_key_server: str
) -> None:
    cfg = Configuration(
        host=listen_key_server, stream_host=f"wss://127.0.0.1:{tls.port}", auth=AUTH
    )

    async def consume() -> None:
        async with UserDataStream(cfg, backoff_initial=0.01, backoff_max=0.02) as stream:
            async for _ in stream:
                pass

    with pytest.raises(NetworkException) as info:
        await asyncio.wait_for(consume(), 10)
    assert info.value.permanent and "certificate" in str(info.value)
    assert tls.connections == 1


def test_the_core_treats_a_permanent_rest_failure_as_fatal() -> None:
    from binance.derivatives.cmfutures.stream.actions import Fail, RestError
    from binance.derivatives.cmfutures.stream.core import StreamCore, is_fatal

    error = NetworkException("tls", "certificate rejected", permanent=True)
    failure = RestError(status=0, message="tls", error=error)
    assert is_fatal(failure)
    assert not is_fatal(RestError(status=0, error=NetworkException("tls", "reset")))
    core = StreamCore("wss://127.0.0.1:1")
    core.start(0.0)
    (fail,) = [a for a in core.create_key_failed(failure, 0.0) if isinstance(a, Fail)]
    assert fail.error is error


# ---------------------------------------------------------------------- the pool (issue 11)
# The pool runs on the same driver and core as the stream: a rejected certificate fails the
# accounts it concerns with AccountFailed instead of being retried forever (before: the pool's
# own REST code retried a rejected REST certificate, and its WebSocket ignored the rule).


async def _first_failure(cfg: Configuration) -> tuple[list[object], object]:
    from binance.derivatives.cmfutures import PoolOptions, StreamOptions, StreamPool
    from binance.derivatives.cmfutures.pool import AccountFailed

    seen: list[object] = []
    options = PoolOptions(stream=StreamOptions(backoff_initial=0.01, backoff_max=0.02))
    async with StreamPool(cfg, options=options) as pool:
        pool.add("alice", AUTH)
        async for account, message in pool:
            seen.append(message)
            if isinstance(message, AccountFailed):
                return seen, account
    raise AssertionError("the pool ended without a failure")


async def test_a_pool_account_fails_on_a_rejected_rest_certificate(
    tls: UntrustedTlsServer,
) -> None:
    cfg = Configuration(host=f"https://127.0.0.1:{tls.port}",
                        stream_host=f"wss://127.0.0.1:{tls.port}", retries=3)
    seen, account = await asyncio.wait_for(_first_failure(cfg), 10)
    assert account == "alice"
    assert "certificate" in seen[-1].reason  # type: ignore[attr-defined]
    assert tls.connections == 1  # one POST: not retried


async def test_a_pool_account_fails_on_a_rejected_websocket_certificate(
    tls: UntrustedTlsServer, listen_key_server: str
) -> None:
    cfg = Configuration(host=listen_key_server, stream_host=f"wss://127.0.0.1:{tls.port}")
    seen, _ = await asyncio.wait_for(_first_failure(cfg), 10)
    assert "cannot connect" in seen[-1].reason  # type: ignore[attr-defined]
    assert "certificate" in seen[-1].reason  # type: ignore[attr-defined]
    assert tls.connections == 1
