"""``cmfutures simulate`` as a subprocess: URLs first, serves REST, stops cleanly on signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from binance.derivatives.cmfutures.cli.simulate import parse_account, parse_setting

MODULE = "binance.derivatives.cmfutures.cli.simulate"
API_KEY = "cliTestKey123"
SECRET = "cliTestSecret456"


def _start(*args: str) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", MODULE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    rest = proc.stdout.readline().strip()
    ws = proc.stdout.readline().strip()
    return proc, rest, ws


def _post_listen_key(base: str, api_key: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        base + "/dapi/v1/listenKey", method="POST", headers={"X-MBX-APIKEY": api_key}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_prints_urls_serves_and_stops(sig: signal.Signals) -> None:
    proc, rest, ws = _start("--port", "0", "--account", f"{API_KEY}:{SECRET}")
    try:
        assert rest.startswith("rest: http://127.0.0.1:")
        port = rest.rsplit(":", 1)[1]
        assert ws == f"ws: ws://127.0.0.1:{port}"
        base = rest.removeprefix("rest: ")
        status, body = _post_listen_key(base, API_KEY)
        assert status == 200 and len(str(body["listenKey"])) == 64
        status, body = _post_listen_key(base, "Unknown1")
        assert status == 401 and body["code"] == -2015
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert SECRET not in out + err and API_KEY not in out + err


def test_manual_clock_and_key_file_account(tmp_path: Path) -> None:
    pem = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "pub.pem").write_bytes(pem)
    proc, rest, _ = _start("--manual-clock", "--account", f"edKey:ed25519:{tmp_path / 'pub.pem'}",
                           "--set", "expired_event_time=number")
    try:
        base = rest.removeprefix("rest: ")
        with urllib.request.urlopen(base + "/_sim/time", timeout=10) as response:
            before = json.loads(response.read())
        assert before["manual"] is True
        request = urllib.request.Request(
            base + "/_sim/advance", data=b'{"seconds": 3600}', method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["time"] == pytest.approx(before["time"] + 3600)
        with urllib.request.urlopen(base + "/_sim/accounts", timeout=10) as response:
            assert json.loads(response.read())[0]["keyType"] == "ED25519"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--account", "nocolon"], "--account takes KEY:SECRET"),
        (["--account", "k:ed25519:/no/such/file.pem"], "cannot read ed25519 public key file"),
        (["--set", "nope=1"], "--set takes NAME=VALUE"),
        (["--set", "ping_interval=soon"], "not a valid float"),
        (["--port", "70000"], "--port must be 0-65535"),
    ],
)
def test_bad_arguments_are_one_line_errors(args: list[str], fragment: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", MODULE, *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr


def test_parse_helpers() -> None:
    assert parse_account("k:s") == {"api_key": "k", "secret_key": "s"}
    assert parse_account("k:s:with:colons") == {"api_key": "k", "secret_key": "s:with:colons"}
    assert parse_setting("close_after_expired=true") == ("close_after_expired", True)
    assert parse_setting("weight_limit=10") == ("weight_limit", 10)
    assert parse_setting("random_walk_interval=5") == ("random_walk_interval", 5.0)
    assert parse_setting("on_delete=close") == ("on_delete", "close")


def test_registers_with_the_main_parser() -> None:
    import argparse

    from binance.derivatives.cmfutures.cli import simulate

    parser = argparse.ArgumentParser()
    simulate.register(parser.add_subparsers())
    args = parser.parse_args(["simulate", "--port", "5", "--manual-clock", "--seed", "3"])
    assert (args.port, args.manual_clock, args.seed, args.func) == (5, True, 3, simulate.run)


def test_through_the_cmfutures_main_command() -> None:
    from binance.derivatives.cmfutures.cli.main import build_parser

    build_parser()
    proc = subprocess.Popen(
        [sys.executable, "-m", "binance.derivatives.cmfutures.cli.main", "simulate", "--port", "0",
         "--account", f"{API_KEY}:{SECRET}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    try:
        rest = proc.stdout.readline().strip()
        assert proc.stdout.readline().startswith("ws: ws://127.0.0.1:")
        status, body = _post_listen_key(rest.removeprefix("rest: "), API_KEY)
        assert status == 200 and len(str(body["listenKey"])) == 64
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def test_port_in_use_is_a_one_line_error() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", MODULE, "--port", str(port)],
            capture_output=True, text=True, timeout=30,
        )
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"cmfutures simulate: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
