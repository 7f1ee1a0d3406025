"""The seed example, run as a user would: a subprocess, keys from the environment,
``BINANCE_CMFUTURES_HOST`` pointing at the stub server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import HMAC_SECRET, Keys
from .stub_server import LISTEN_KEY, StubServer

SEED = Path(__file__).with_name("seed_example.py")


def _run(
    script: Path, server: StubServer, env_keys: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINANCE_")}
    env.update(env_keys, BINANCE_CMFUTURES_HOST=server.url)
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.fixture
def key_env(key_kind: str, keys: Keys) -> dict[str, str]:
    if key_kind == "HMAC":
        return {"BINANCE_API_KEY": "hmac-key", "BINANCE_SECRET_KEY": HMAC_SECRET}
    if key_kind == "RSA":
        path = keys.write("seed-rsa.pem", keys.pem(keys.rsa, "pkcs1"))
        return {"BINANCE_API_KEY": "rsa-key", "BINANCE_PRIVATE_KEY_PATH": path}
    path = keys.write("seed-ed.pem", keys.pem(keys.ed))
    return {"BINANCE_API_KEY": "ed-key", "BINANCE_PRIVATE_KEY_PATH": path}


def test_seed_example_runs_unchanged(server: StubServer, key_env: dict[str, str]) -> None:
    result = _run(SEED, server, key_env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Exception" not in out
    assert (
        "The response of UserDataStreamsApi->cmfutures_create_listen_key_v1:\n\n"
        f"CmfuturesCreateListenKeyV1Resp(listen_key='{LISTEN_KEY}')\n"
    ) in out
    assert "The response of UserDataStreamsApi->cmfutures_update_listen_key_v1:\n\n{}\n" in out
    assert "The response of UserDataStreamsApi->cmfutures_delete_listen_key_v1:\n\n{}\n" in out
    assert [(r.method, r.path, r.query, r.body) for r in server.requests] == [
        ("POST", "/dapi/v1/listenKey", "", b""),
        ("DELETE", "/dapi/v1/listenKey", "", b""),  # the page's order: create, delete, update
        ("PUT", "/dapi/v1/listenKey", "", b""),
    ]
    for rec in server.requests:
        assert rec.headers["x-mbx-apikey"] == key_env["BINANCE_API_KEY"]


def test_seed_example_reports_errors(server: StubServer, key_env: dict[str, str]) -> None:
    server.push(400, {"code": -1125, "msg": "This listenKey does not exist."}, times=3)
    result = _run(SEED, server, key_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("code=-1125 msg='This listenKey does not exist.'") == 3


@pytest.mark.parametrize(
    "failure", ["400", "418", "503", "html", "malformed", "wrong-type", "refused"]
)
def test_except_api_exception_catches_every_failure(
    server: StubServer, keys: Keys, tmp_path: Path, failure: str, refused_url: str
) -> None:
    """The seed imports ApiException; with ``except ApiException`` nothing may escape."""
    script = tmp_path / "seed_api_exception.py"
    script.write_text(
        SEED.read_text().replace("except Exception as e:", "except ApiException as e:")
    )
    env = {"BINANCE_API_KEY": "hmac-key", "BINANCE_SECRET_KEY": HMAC_SECRET}
    replies = {
        "400": (400, {"code": -1125, "msg": "gone"}),
        "418": (418, {"code": -1003, "msg": "banned"}),
        "503": (
            503,
            {"code": -1000, "msg": "Unknown error, please check your request or try again later."},
        ),
        "html": (502, b"<html>Bad gateway</html>"),
        "malformed": (200, b"{oops"),
        "wrong-type": (200, {"listenKey": 12345}),
    }
    if failure == "refused":
        server.url, saved = refused_url, server.url
        try:
            result = _run(script, server, env)
        finally:
            server.url = saved
    else:
        status, body = replies[failure]
        server.push(status, body, times=10)
        result = _run(script, server, env)
    assert result.returncode == 0, result.stderr
    # PUT/DELETE return ``object`` (any JSON), so only the typed create can have a wrong type
    expected = 1 if failure == "wrong-type" else 3
    assert result.stdout.count("Exception when calling UserDataStreamsApi->") == expected
