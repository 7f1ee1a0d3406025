"""``cmfutures simulate`` as a subprocess: URLs first, serves REST, stops cleanly on signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from binance.derivatives.cmfutures.cli.simulate import parse_account, parse_setting

MODULE = "binance.derivatives.cmfutures.cli.simulate"
API_KEY = "cliTestKey123"
SECRET = "cliTestSecret456"


def _start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", MODULE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    rest = proc.stdout.readline().strip()
    ws = proc.stdout.readline().strip()
    token_line = proc.stdout.readline().strip()
    # the third line: the per-run control token, on a line of its own containing 'token'
    assert token_line.startswith("token: "), token_line
    TOKENS[proc.pid] = token_line.removeprefix("token: ")
    return proc, rest, ws


TOKENS: dict[int, str] = {}


def _control(
    proc: subprocess.Popen[str], url: str, body: bytes | None = None, **headers: str
) -> tuple[int, object]:
    """A /_sim call with the process's token (unless Authorization is given)."""
    sent = {"Authorization": f"Bearer {TOKENS[proc.pid]}", "Content-Type": "application/json"}
    sent.update({k.replace("_", "-"): v for k, v in headers.items()})
    request = urllib.request.Request(
        url, data=body, method="POST" if body is not None else "GET", headers=sent
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


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
    assert "process list" in err  # KEY:SECRET on the command line is warned about


def test_manual_clock_and_key_file_account(tmp_path: Path) -> None:
    pem = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "pub.pem").write_bytes(pem)
    proc, rest, _ = _start("--manual-clock", "--account", f"edKey:ed25519:{tmp_path / 'pub.pem'}",
                           "--set", "expired_event_time=number")
    try:
        base = rest.removeprefix("rest: ")
        status, before = _control(proc, base + "/_sim/time")
        assert status == 200 and isinstance(before, dict) and before["manual"] is True
        status, after = _control(proc, base + "/_sim/advance", b'{"seconds": 3600}')
        assert isinstance(after, dict) and after["time"] == pytest.approx(before["time"] + 3600)
        status, accounts = _control(proc, base + "/_sim/accounts")
        assert isinstance(accounts, list) and accounts[0]["keyType"] == "ED25519"
        # without the token, with another token, or as text/plain: refused
        assert _control(proc, base + "/_sim/time", Authorization="")[0] == 401
        assert _control(proc, base + "/_sim/time", Authorization="Bearer " + "x" * 43)[0] == 401
        assert _control(
            proc, base + "/_sim/advance", b'{"seconds": 1}', Content_Type="text/plain"
        )[0] == 415
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


def test_default_credentials_and_listen_keys_differ_on_every_run() -> None:
    """Issue 9 item 24: keys are drawn at random unless a seed is asked for."""
    from binance.derivatives.cmfutures.simulator import Simulator

    first, second = Simulator(), Simulator()
    assert first.account.api_key != second.account.api_key
    assert first.account.secret_key != second.account.secret_key
    assert first.create_listen_key(first.account.api_key) != second.create_listen_key(
        second.account.api_key
    )
    assert first.control_token != second.control_token
    # a fixed seed keeps tests reproducible
    one, two = Simulator(seed=7), Simulator(seed=7)
    assert (one.account.api_key, one.account.secret_key) == (
        two.account.api_key, two.account.secret_key
    )
    assert one.create_listen_key(one.account.api_key) == two.create_listen_key(
        two.account.api_key
    )


def _proc_argv(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_accounts_from_a_file_and_the_environment_stay_out_of_argv(tmp_path: Path) -> None:
    from binance.derivatives.cmfutures import AccountApi, ApiClient, BinanceAuth, Configuration

    private = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "ed.pem").write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    accounts = tmp_path / "accounts.jsonl"
    accounts.write_text(
        "# one account a line\n"
        '{"id": "hmac", "api_key": "fileKey1", "secret_key": "fileSecret1"}\n'
        "\n"
        '{"id": "ed", "api_key": "edFileKey", "private_key_path": "ed.pem"}\n'
    )
    env = dict(os.environ, BINANCE_API_KEY="envKey1", BINANCE_SECRET_KEY="envSecret1")
    env.pop("BINANCE_PRIVATE_KEY_PATH", None)
    proc, rest, _ = _start("--account-env", "--account-file", str(accounts), env=env)
    try:
        base = rest.removeprefix("rest: ")
        argv = _proc_argv(proc.pid)
        assert "Secret" not in argv and "envKey1" not in argv
        for key in ("envKey1", "fileKey1", "edFileKey"):
            assert _post_listen_key(base, key)[0] == 200, key
        # the Ed25519 account verifies signatures made with the private key in the file
        config = Configuration(host=base, auth=BinanceAuth(
            api_key="edFileKey", private_key_path=str(tmp_path / "ed.pem")))
        with ApiClient(config) as client:
            assert AccountApi(client).cmfutures_get_balance_v1()
        config = Configuration(host=base, auth=BinanceAuth(
            api_key="envKey1", secret_key="envSecret1"))
        with ApiClient(config) as client:
            assert AccountApi(client).cmfutures_get_balance_v1()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Secret1" not in out + err and "process list" not in err


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("not json", ":1: not a JSON object"),
        ('{"secret_key": "hushhush"}', "'api_key' (a string) is required"),
        ('{"api_key": "k", "secret_key": "hushhush", "private_key_path": "x"}', "exactly one"),
        ('{"api_key": "k", "private_key_path": "missing.pem"}', "cannot read private key"),
    ],
)
def test_account_file_errors_name_the_line_and_hide_the_secret(
    tmp_path: Path, line: str, fragment: str
) -> None:
    from binance.derivatives.cmfutures.cli.simulate import SimulateError, parse_account_file

    path = tmp_path / "a.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(SimulateError) as caught:
        parse_account_file(str(path))
    assert fragment in str(caught.value) and "hushhush" not in str(caught.value)


def test_account_env_needs_a_key_and_one_signing_source() -> None:
    from binance.derivatives.cmfutures.cli.simulate import SimulateError, accounts_from_env

    assert accounts_from_env({"BINANCE_API_KEY": "k", "BINANCE_SECRET_KEY": "s"}) == {
        "api_key": "k", "secret_key": "s"}
    with pytest.raises(SimulateError, match="BINANCE_API_KEY is not set"):
        accounts_from_env({"BINANCE_SECRET_KEY": "s"})
    with pytest.raises(SimulateError, match="BINANCE_SECRET_KEY"):
        accounts_from_env({"BINANCE_API_KEY": "k"})
