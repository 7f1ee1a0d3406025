"""Fixtures for the foundation tests: a stub Binance server and keys of every kind."""

from __future__ import annotations

import inspect
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from binance.derivatives.cmfutures import ApiClient, AsyncApiClient, BinanceAuth, Configuration

from .stub_server import StubServer

HMAC_SECRET = "s3cr3t-hmac-secret-value"
PASSPHRASE = b"correct horse"


@dataclass
class Keys:
    rsa: rsa.RSAPrivateKey
    ed: ed25519.Ed25519PrivateKey
    dir: Path

    def pem(self, key: Any, fmt: str = "pkcs8", password: bytes | None = None) -> bytes:
        enc: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        formats = {
            "pkcs8": serialization.PrivateFormat.PKCS8,
            "pkcs1": serialization.PrivateFormat.TraditionalOpenSSL,
            "openssh": serialization.PrivateFormat.OpenSSH,
        }
        return key.private_bytes(serialization.Encoding.PEM, formats[fmt], enc)

    def write(self, name: str, data: bytes) -> str:
        path = self.dir / name
        path.write_bytes(data)
        return str(path)


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return Keys(
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ed25519.Ed25519PrivateKey.generate(),
        tmp_path_factory.mktemp("keys"),
    )


@pytest.fixture(scope="session")
def _server(keys: Keys) -> Iterator[StubServer]:
    server = StubServer()
    server.accounts = {
        "hmac-key": ("HMAC", HMAC_SECRET),
        "rsa-key": ("RSA", keys.rsa.public_key()),
        "ed-key": ("ED25519", keys.ed.public_key()),
    }
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(_server: StubServer) -> StubServer:
    _server.reset()
    return _server


@pytest.fixture(scope="session")
def auths(keys: Keys) -> dict[str, BinanceAuth]:
    return {
        "HMAC": BinanceAuth(api_key="hmac-key", secret_key=HMAC_SECRET),
        "RSA": BinanceAuth(
            api_key="rsa-key", private_key_path=keys.write("rsa.pem", keys.pem(keys.rsa))
        ),
        "ED25519": BinanceAuth(api_key="ed-key", private_key_pem=keys.pem(keys.ed).decode()),
    }


@pytest.fixture(params=["HMAC", "RSA", "ED25519"])
def key_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def config(server: StubServer, auths: dict[str, BinanceAuth], key_kind: str) -> Configuration:
    return Configuration(host=server.url, auth=auths[key_kind], retries=2, retry_backoff=0)


@pytest.fixture
def hmac_config(server: StubServer, auths: dict[str, BinanceAuth]) -> Configuration:
    return Configuration(host=server.url, auth=auths["HMAC"], retries=2, retry_backoff=0)


@pytest.fixture
def refused_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


__all__ = ["PASSPHRASE", "Keys", "ec"]


Factory = Callable[..., Any]


@pytest.fixture(params=["sync", "async"])
async def make_client(request: pytest.FixtureRequest) -> AsyncIterator[Factory]:
    """``make_client(cfg, **kwargs)``: an :class:`ApiClient` (param ``sync``) or an
    :class:`AsyncApiClient` (``async``); every client made is closed after the test."""
    made: list[Any] = []

    def factory(cfg: Configuration, **kwargs: Any) -> Any:
        client = (ApiClient if request.param == "sync" else AsyncApiClient)(cfg, **kwargs)
        made.append(client)
        return client

    yield factory
    for client in made:
        result = client.close()
        if inspect.isawaitable(result):
            await result


async def resolve(value: Any) -> Any:
    """A call's result on either client: awaited if the async client returned an awaitable."""
    return await value if inspect.isawaitable(value) else value
