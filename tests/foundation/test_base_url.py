"""Host URLs are parsed and checked once, for both clients and the stream (issue 9, items 3, 5).

User info, queries, fragments, bad ports and stray whitespace are configuration errors at
construction *and* on assignment; a path prefix and a trailing slash reach the wire identically
from the sync and the async client; plain ``http://``/``ws://`` to a non-loopback host logs
one warning per host per process.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from binance.derivatives.cmfutures import (
    BinanceAuth,
    Configuration,
    UserDataStreamsApi,
    base_url,
)
from binance.derivatives.cmfutures.exceptions import ApiValueError

from .conftest import Factory, resolve
from .stub_server import LISTEN_KEY, StubServer

HOST_VARS = ("BINANCE_CMFUTURES_HOST", "BINANCE_CMFUTURES_STREAM_HOST")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in HOST_VARS:
        monkeypatch.delenv(name, raising=False)
    saved = set(base_url._warned)
    base_url._warned.clear()
    yield
    base_url._warned.clear()
    base_url._warned.update(saved)


# --------------------------------------------------------------------------- rejected values

BAD_REST_HOSTS = [
    ("http://user:hunter2@127.0.0.1:8080", "user info"),
    ("https://:hunter2@dapi.binance.com", "user info"),
    ("http://127.0.0.1:8080/?x=1", "query"),
    ("http://127.0.0.1:8080?", "query"),
    ("http://127.0.0.1:8080/#frag", "fragment"),
    ("http://127.0.0.1:99999", "port"),
    ("http://127.0.0.1:0", "port"),
    ("http://127.0.0.1:http", "port"),
    ("http://127.0.0.1:8080\r", "control character"),
    ("http:///dapi", "no host"),
    ("http://[::1", "invalid host"),
    ("http://[zz]:80", "invalid host"),
]


@pytest.mark.parametrize(("value", "needle"), BAD_REST_HOSTS)
def test_bad_rest_hosts_are_configuration_errors_everywhere(
    monkeypatch: pytest.MonkeyPatch, value: str, needle: str
) -> None:
    with pytest.raises(ApiValueError, match=needle) as info:
        Configuration(host=value)
    assert "hunter2" not in str(info.value) and "Fix:" in str(info.value)
    config = Configuration()
    with pytest.raises(ApiValueError, match=needle):
        config.host = value
    monkeypatch.setenv("BINANCE_CMFUTURES_HOST", value)
    with pytest.raises(ApiValueError, match=f"BINANCE_CMFUTURES_HOST .*{needle}") as info:
        Configuration()
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("ws://user:hunter2@127.0.0.1:8080", "user info"),
        ("wss://dstream.binance.com/?streams=x", "query"),
        ("wss://dstream.binance.com:65536", "port"),
        ("https://dstream.binance.com", "must be a URL starting with ws:// or wss://"),
    ],
)
def test_stream_host_is_checked_on_assignment_too(value: str, needle: str) -> None:
    with pytest.raises(ApiValueError, match=needle):
        Configuration(stream_host=value)
    config = Configuration()
    with pytest.raises(ApiValueError, match=needle) as info:
        config.stream_host = value
    assert "hunter2" not in str(info.value)
    assert config.stream_host == "wss://dstream.binance.com"  # unchanged


def test_no_password_in_repr_or_report() -> None:
    # rejected up front, so it can never reach repr(); a proxy password is not shown either
    config = Configuration(host="http://127.0.0.1:8080/")
    config.proxy = "http://user:hunter2@proxy.local:3128"
    for text in (repr(config), config.to_debug_report()):
        assert "hunter2" not in text


def test_trailing_slash_and_case_are_normalized() -> None:
    config = Configuration(host="HTTP://127.0.0.1:8080/", stream_host="WS://127.0.0.1:8080/")
    assert (config.host, config.stream_host) == ("http://127.0.0.1:8080", "ws://127.0.0.1:8080")
    config.host = "https://proxy.example/binance/"
    config.stream_host = "wss://proxy.example/binance-ws/"
    assert config.host == "https://proxy.example/binance"
    assert config.stream_host == "wss://proxy.example/binance-ws"


def test_parse_base_url_parts() -> None:
    url = base_url.parse_base_url("https://[::1]:8443/p/", "host", ("http", "https"), "x")
    assert (url.scheme, url.hostname, url.port, url.prefix) == ("https", "::1", 8443, "/p")
    assert str(url) == "https://[::1]:8443/p" and url.is_loopback and not url.is_plaintext


# --------------------------------------------------------------------------- on the wire


@pytest.mark.parametrize(
    ("suffix", "expected_path"),
    [
        ("", "/dapi/v1/listenKey"),
        ("/", "/dapi/v1/listenKey"),
        ("/prefix", "/prefix/dapi/v1/listenKey"),
        ("/prefix/", "/prefix/dapi/v1/listenKey"),
        ("/a/b//", "/a/b/dapi/v1/listenKey"),
    ],
)
async def test_path_prefix_and_trailing_slash_are_sent_identically(
    server: StubServer, make_client: Factory, suffix: str, expected_path: str
) -> None:
    server.push(200, {"listenKey": LISTEN_KEY}, path=expected_path)
    config = Configuration(host=server.url + suffix, auth=BinanceAuth("k", secret_key="s"))
    result = UserDataStreamsApi(make_client(config)).cmfutures_create_listen_key_v1()
    result = await resolve(result)
    assert result.listen_key == LISTEN_KEY
    assert [r.path for r in server.requests] == [expected_path]
    assert "authorization" not in server.requests[0].headers


# --------------------------------------------------------------------------- plain text


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == base_url.PLAINTEXT_LOGGER and r.levelno == logging.WARNING
    ]


def test_plain_http_and_ws_to_a_remote_host_warn_once_per_host(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=base_url.PLAINTEXT_LOGGER)
    for _ in range(3):
        Configuration(host="http://203.0.113.7:8080", stream_host="ws://203.0.113.7:8080/")
    messages = _warnings(caplog)
    assert len(messages) == 2, messages
    assert "http://203.0.113.7:8080" in messages[0] and "https" in messages[0]
    assert "ws://203.0.113.7:8080" in messages[1] and "wss" in messages[1]
    config = Configuration()
    config.host = "http://198.51.100.1"  # another host: one more warning
    config.host = "http://198.51.100.1/"
    assert len(_warnings(caplog)) == 3


def test_plain_text_from_the_environment_warns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=base_url.PLAINTEXT_LOGGER)
    monkeypatch.setenv("BINANCE_CMFUTURES_HOST", "http://exchange.example")
    monkeypatch.setenv("BINANCE_CMFUTURES_STREAM_HOST", "ws://exchange.example")
    Configuration()
    messages = _warnings(caplog)
    assert len(messages) == 2
    assert messages[0].startswith("BINANCE_CMFUTURES_HOST is http://exchange.example")
    assert messages[1].startswith("BINANCE_CMFUTURES_STREAM_HOST is ws://exchange.example")


CREDENTIALS = {"BINANCE_API_KEY": "k", "BINANCE_SECRET_KEY": "s"}


@pytest.mark.parametrize(("value", "needle"), BAD_REST_HOSTS)
def test_from_env_names_the_variable_of_a_bad_host(value: str, needle: str) -> None:
    env = {**CREDENTIALS, "BINANCE_CMFUTURES_HOST": value}  # a mapping, not os.environ
    with pytest.raises(ApiValueError, match=f"^BINANCE_CMFUTURES_HOST .*{needle}") as info:
        Configuration.from_env(env)
    assert "hunter2" not in str(info.value)
    stream = {**CREDENTIALS, "BINANCE_CMFUTURES_STREAM_HOST": value.replace("http", "ws", 1)}
    with pytest.raises(ApiValueError, match=f"^BINANCE_CMFUTURES_STREAM_HOST .*{needle}"):
        Configuration.from_env(stream)


def test_from_env_names_the_stream_variable_from_os_environ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BINANCE_CMFUTURES_STREAM_HOST", "ws://127.0.0.1:99999")
    needle = r"^BINANCE_CMFUTURES_STREAM_HOST has an invalid port"
    with pytest.raises(ApiValueError, match=needle):
        Configuration.from_env()
    with pytest.raises(ApiValueError, match=needle):
        Configuration()


def test_from_env_warns_about_plain_text_under_the_variable_s_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=base_url.PLAINTEXT_LOGGER)
    env = {
        **CREDENTIALS,
        "BINANCE_CMFUTURES_HOST": "http://exchange.example",
        "BINANCE_CMFUTURES_STREAM_HOST": "ws://exchange.example",
    }
    config = Configuration.from_env(env)
    assert (config.host, config.stream_host) == ("http://exchange.example", "ws://exchange.example")
    messages = _warnings(caplog)
    assert len(messages) == 2
    assert messages[0].startswith("BINANCE_CMFUTURES_HOST is http://exchange.example")
    assert messages[1].startswith("BINANCE_CMFUTURES_STREAM_HOST is ws://exchange.example")


def test_from_env_keyword_hosts_win_over_the_variables() -> None:
    env = {**CREDENTIALS, "BINANCE_CMFUTURES_HOST": "http://127.0.0.1:99999"}
    config = Configuration.from_env(env, host="http://127.0.0.1:8080")
    assert config.host == "http://127.0.0.1:8080"


def test_an_overridden_environment_host_does_not_warn(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=base_url.PLAINTEXT_LOGGER)
    monkeypatch.setenv("BINANCE_CMFUTURES_HOST", "http://exchange.example")
    Configuration(host="https://dapi.binance.com")
    assert _warnings(caplog) == []


@pytest.mark.parametrize(
    "host",
    [
        "http://127.0.0.1:8080",
        "http://127.1.2.3",
        "http://localhost:1",
        "http://api.localhost",
        "http://[::1]:8080",
        "https://dapi.binance.com",
    ],
)
def test_loopback_or_tls_does_not_warn(host: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=base_url.PLAINTEXT_LOGGER)
    Configuration(host=host, stream_host=host.replace("http", "ws", 1))
    assert _warnings(caplog) == []
