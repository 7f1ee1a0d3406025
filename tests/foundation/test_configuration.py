"""Configuration: seed constructor, env-based hosts, presets, validation, no secrets, D11/D12."""

from __future__ import annotations

import copy
import http.client
import logging

import pytest

from binance.derivatives.cmfutures import BinanceAuth, Configuration
from binance.derivatives.cmfutures.exceptions import ApiValueError
from binance.derivatives.cmfutures.signing import KeyLoadError

from .conftest import Keys


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "BINANCE_CMFUTURES_HOST",
        "BINANCE_CMFUTURES_STREAM_HOST",
        "BINANCE_API_KEY",
        "BINANCE_SECRET_KEY",
        "BINANCE_PRIVATE_KEY_PATH",
        "BINANCE_PRIVATE_KEY_PASSPHRASE",
    ):
        monkeypatch.delenv(name, raising=False)
    Configuration.set_default(None)


def test_defaults() -> None:
    cfg = Configuration()
    assert cfg.host == "https://dapi.binance.com"
    assert cfg.stream_host == "wss://dstream.binance.com"
    assert cfg.server_index == 0
    assert cfg.timeout == (5.0, 10.0)
    assert cfg.recv_window == 5000
    assert cfg.max_retries == 2
    assert cfg.auth is None
    assert cfg.verify_ssl is True and cfg.proxy is None
    assert cfg.get_host_settings()[0]["url"] == "https://dapi.binance.com"
    assert cfg.auth_settings()["ApiKey"]["type"] == "binance"


def test_positional_order_is_the_seeds() -> None:
    auth = BinanceAuth(api_key="k", secret_key="s")
    cfg = Configuration("http://h", auth, None, None, None, None, False, None, 0, None)
    assert cfg.host == "http://h" and cfg.auth is auth and cfg.max_retries == 0


def test_env_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BINANCE_CMFUTURES_HOST", "http://127.0.0.1:1")
    monkeypatch.setenv("BINANCE_CMFUTURES_STREAM_HOST", "ws://127.0.0.1:1")
    cfg = Configuration()
    assert cfg.host == "http://127.0.0.1:1"
    assert cfg.stream_host == "ws://127.0.0.1:1"
    assert Configuration(host="http://explicit").host == "http://explicit"


def test_explicit_host_wins_over_server_index_d12() -> None:
    cfg = Configuration(host="http://mine", server_index=0)
    assert cfg.host == "http://mine"
    cfg.host = "http://other"
    assert cfg.host == "http://other" and cfg.server_index is None
    with pytest.raises(ValueError, match="Invalid index"):
        cfg.get_host_from_settings(1)


def test_testnet_preset() -> None:
    auth = BinanceAuth(api_key="k", secret_key="s")
    cfg = Configuration.testnet(auth=auth)
    assert cfg.host == "https://testnet.binancefuture.com"
    assert cfg.stream_host == "wss://dstream.binancefuture.com"
    assert cfg.auth is auth


def test_from_env_hmac_and_key_path(monkeypatch: pytest.MonkeyPatch, keys: Keys) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", "k")
    monkeypatch.setenv("BINANCE_SECRET_KEY", "s")
    monkeypatch.setenv("BINANCE_CMFUTURES_HOST", "http://127.0.0.1:2")
    cfg = Configuration.from_env()
    assert cfg.auth is not None and cfg.auth.key_type == "HMAC"
    assert cfg.host == "http://127.0.0.1:2"
    monkeypatch.delenv("BINANCE_SECRET_KEY")
    path = keys.write("env-ed.pem", keys.pem(keys.ed, "pkcs8", b"pw"))
    monkeypatch.setenv("BINANCE_PRIVATE_KEY_PATH", path)
    monkeypatch.setenv("BINANCE_PRIVATE_KEY_PASSPHRASE", "pw")
    assert Configuration.from_env().auth.key_type == "ED25519"  # type: ignore[union-attr]


def test_from_env_missing_is_clear() -> None:
    with pytest.raises(KeyLoadError, match="api_key is missing"):
        Configuration.from_env()


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"timeout": 0}, "positive"),
        ({"timeout": (1, -1)}, "positive"),
        ({"timeout": "5"}, "pair"),
        ({"recv_window": 0}, "recv_window"),
        ({"recv_window": 60001}, "recv_window"),
        ({"retries": -1}, "retries"),
        ({"retry_backoff": -1}, "retry_backoff"),
        ({"auth": "key"}, "BinanceAuth"),
    ],
)
def test_validation(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(ApiValueError, match=needle):
        Configuration(**kwargs)  # type: ignore[arg-type]


def test_retries_forms() -> None:
    class Retry:
        total = 5

    assert Configuration(retries=None).max_retries == 2
    assert Configuration(retries=0).max_retries == 0
    assert Configuration(retries=5).max_retries == 5
    assert Configuration(retries=Retry()).max_retries == 5
    assert Configuration(timeout=3).timeout == (3.0, 3.0)


def test_get_default_returns_a_copy_d12() -> None:
    cfg = Configuration(host="http://a")
    Configuration.set_default(cfg)
    one, two = Configuration.get_default(), Configuration.get_default()
    assert one is not two and one is not cfg
    assert one.host == "http://a"
    one.host = "http://b"
    assert Configuration.get_default().host == "http://a"
    assert Configuration.get_default_copy().host == "http://a"


def test_debug_never_flips_global_state_d11() -> None:
    before = http.client.HTTPConnection.debuglevel
    cfg = Configuration(debug=True)
    assert cfg.debug is True
    assert http.client.HTTPConnection.debuglevel == before
    assert logging.getLogger("binance.derivatives.cmfutures").level == logging.DEBUG
    Configuration(debug=False)
    assert http.client.HTTPConnection.debuglevel == before
    # False hands the level back to the application's logging set-up (no WARNING floor)
    assert logging.getLogger("binance.derivatives.cmfutures").level == logging.NOTSET


def test_repr_and_report_hide_secrets() -> None:
    auth = BinanceAuth(api_key="APIKEY123", secret_key="SECRET456")
    cfg = Configuration(auth=auth)
    for text in (repr(cfg), str(cfg), cfg.to_debug_report(), repr(cfg.auth_settings())):
        assert "APIKEY123" not in text and "SECRET456" not in text
    assert "HMAC" in repr(cfg)


def test_deepcopy_keeps_auth_and_loggers() -> None:
    auth = BinanceAuth(api_key="k", secret_key="s")
    cfg = Configuration(host="http://x", auth=auth)
    clone = copy.deepcopy(cfg)
    assert clone.auth is auth and clone.logger is cfg.logger and clone.host == "http://x"


@pytest.mark.parametrize(
    ("kwargs", "env", "named"),
    [
        ({"host": "dapi.binance.com"}, {}, "host"),
        ({"stream_host": "https://dstream.binance.com"}, {}, "stream_host"),
        ({}, {"BINANCE_CMFUTURES_HOST": "127.0.0.1:8080"}, "BINANCE_CMFUTURES_HOST"),
        ({}, {"BINANCE_CMFUTURES_STREAM_HOST": "dstream"}, "BINANCE_CMFUTURES_STREAM_HOST"),
    ],
)
def test_hosts_without_a_scheme_are_rejected_up_front(
    monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, str], env: dict[str, str], named: str
) -> None:
    for name in ("BINANCE_CMFUTURES_HOST", "BINANCE_CMFUTURES_STREAM_HOST"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ApiValueError, match=rf"^{named} must be a URL starting with .*Fix:"):
        Configuration(**kwargs)


def test_host_setter_checks_the_scheme() -> None:
    config = Configuration()
    with pytest.raises(ApiValueError, match="host must be a URL"):
        config.host = "localhost:8080"
    config.host = "http://127.0.0.1:8080"
    assert config.host == "http://127.0.0.1:8080"
