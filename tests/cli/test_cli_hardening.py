"""The CLI under careless configuration (issue 9, items 1-5, 12): one clean line, the right exit
code, no secret, the reason of a network failure, masked listen keys, a plain-text warning."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from binance.derivatives.cmfutures import events as ev
from binance.derivatives.cmfutures.cli.errors import describe_error
from binance.derivatives.cmfutures.cli.render import to_json_line, to_text_line
from binance.derivatives.cmfutures.exceptions import NetworkException
from binance.derivatives.cmfutures.simulator import Simulator

from ..cli_process import account_env, clean_env, one_line, run_cli, start_cli

SECRET = "Xq7bT2mN9vK4pL8wR3sY6zA1cD5eF0gH2jJ4kM6nP8qS0tU3vW5xY7zB9dC1fE3h"
HAS_DEV_ZERO = os.path.exists("/dev/zero")
LISTEN_KEY = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8WXYZ"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=5) as simulator:
        yield simulator


@pytest.fixture
def refused_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


# --------------------------------------------------------------------------- item 1


async def test_key_text_in_the_path_variable_is_exit_3_and_not_echoed() -> None:
    pem = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    env = clean_env(BINANCE_API_KEY="key", BINANCE_PRIVATE_KEY_PATH=pem)
    code, _, err = await run_cli("listen-key", "create", env=env)
    assert code == 3
    line = one_line(err, pem.splitlines()[1][:12], "BEGIN")
    assert "key text" in line and "private_key_pem=" in line


async def test_a_secret_in_the_path_variable_is_exit_3_and_not_echoed() -> None:
    env = clean_env(BINANCE_API_KEY="key", BINANCE_PRIVATE_KEY_PATH=SECRET)
    code, _, err = await run_cli("listen-key", "create", env=env)
    assert code == 3
    line = one_line(err, SECRET, SECRET[:12])
    assert "BINANCE_SECRET_KEY" in line


# --------------------------------------------------------------------------- item 2


@pytest.mark.parametrize("command", [["listen-key", "create"], ["stream"]])
async def test_a_key_with_a_windows_line_ending_is_exit_3_and_not_echoed(
    sim: Simulator, command: list[str]
) -> None:
    account = sim.account
    assert account.secret_key is not None
    for api_key, secret in (
        (account.api_key + "\r", account.secret_key),
        (account.api_key, account.secret_key + "\r"),
    ):
        env = account_env(sim, BINANCE_API_KEY=api_key, BINANCE_SECRET_KEY=secret)
        code, _, err = await run_cli(*command, env=env)
        assert code == 3, err
        line = one_line(err, account.api_key, account.secret_key)
        assert "carriage return" in line and "Windows line ending" in line


# --------------------------------------------------------------------------- item 3


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--host", "http://user:hunter2@127.0.0.1:8080"], "user info"),
        (["--host", "http://127.0.0.1:70000"], "port"),
        (["--host", "http://127.0.0.1:8080/?a=b"], "query"),
        (["--stream-host", "ws://127.0.0.1:8080#x"], "fragment"),
        (["--stream-host", "ws://u:hunter2@127.0.0.1:8080"], "user info"),
    ],
)
async def test_a_bad_host_is_exit_3(flags: list[str], needle: str) -> None:
    env = clean_env(BINANCE_API_KEY="key", BINANCE_SECRET_KEY="secret")
    code, _, err = await run_cli("stream", *flags, env=env)
    assert code == 3, err
    assert needle in one_line(err, "hunter2")


async def test_a_bad_port_in_the_environment_is_exit_3() -> None:
    env = clean_env(
        BINANCE_API_KEY="key",
        BINANCE_SECRET_KEY="secret",
        BINANCE_CMFUTURES_HOST="http://127.0.0.1:99999",
    )
    code, _, err = await run_cli("listen-key", "create", env=env)
    assert code == 3, err
    assert "BINANCE_CMFUTURES_HOST has an invalid port" in one_line(err)


# --------------------------------------------------------------------------- item 4


def test_json_line_masks_the_listen_key_of_listen_key_expired() -> None:
    event = ev.decode_event(f'{{"e":"listenKeyExpired","E":1,"listenKey":"{LISTEN_KEY}"}}')
    line = to_json_line(event)
    assert LISTEN_KEY not in line and LISTEN_KEY[:8] not in line
    assert json.loads(line) == {"e": "listenKeyExpired", "E": 1, "listenKey": "…WXYZ"}


def test_unknown_events_with_a_listen_key_are_masked_too() -> None:
    event = ev.decode_event(f'{{"e":"SOMETHING_NEW","E":1,"listenKey":"{LISTEN_KEY}"}}')
    for line in (to_json_line(event), to_text_line(event, now=0)):
        assert LISTEN_KEY not in line and "…WXYZ" in line


async def test_stream_json_masks_an_expired_listen_key(sim: Simulator) -> None:
    env = account_env(sim)
    proc = await start_cli("stream", "--json", env=env)
    assert proc.stdout is not None
    try:
        first = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
        assert first["e"] == "StreamConnected"
        key = sim.faults.expire_listen_key()
        assert key
        lines: list[str] = []
        while not any('"listenKeyExpired"' in line for line in lines):
            lines.append((await asyncio.wait_for(proc.stdout.readline(), 30)).decode())
        expired = json.loads(next(line for line in lines if '"listenKeyExpired"' in line))
        assert expired["listenKey"] == "…" + key[-4:]
        assert all(key not in line for line in lines)
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 30)


@pytest.mark.parametrize(
    ("kind", "detail", "expected"),
    [
        ("connect", "cannot connect to 127.0.0.1:9 (connection refused)", "connection refused"),
        ("connect", "cannot connect: [Errno 101] Network is unreachable", "cannot connect"),
        ("dns", "cannot resolve host 'nowhere.invalid'", "DNS lookup failed"),
        ("tls", "TLS failure: certificate verify failed", "TLS failure"),
        ("connect_timeout", "connect timed out", "connect timeout"),
        ("read_timeout", "read timed out", "read timeout"),
        ("connection_lost", "ServerDisconnectedError", "connection lost"),
        ("proxy", "cannot connect to the proxy", "proxy failure"),
    ],
)
def test_network_errors_keep_their_reason(kind: str, detail: str, expected: str) -> None:
    message, code = describe_error(NetworkException(kind, detail))
    assert code == 5
    assert message.startswith(f"cannot reach the server: {expected}")
    assert "(0)" not in message and "\n" not in message


@pytest.mark.parametrize("command", [["listen-key", "create"], ["stream"]])
async def test_refused_is_named_by_both_clients(refused_port: int, command: list[str]) -> None:
    # listen-key runs on the sync client, stream's preflight on the async one
    env = clean_env(BINANCE_API_KEY="k", BINANCE_SECRET_KEY="s")
    url = f"127.0.0.1:{refused_port}"
    code, _, err = await run_cli(
        *command,
        "--host",
        f"http://{url}",
        *(["--stream-host", f"ws://{url}"] * (command == ["stream"])),
        env=env,
    )
    assert code == 5, err
    assert "cannot reach the server: connection refused" in one_line(err)


@pytest.mark.parametrize("command", [["listen-key", "create"], ["stream"]])
async def test_tls_to_a_plain_http_server_is_named(sim: Simulator, command: list[str]) -> None:
    # listen-key runs on the sync client, stream's preflight on the async one: both name
    # OpenSSL's reason, not an exception class (e.g. "wrong version number")
    env = clean_env(BINANCE_API_KEY="k", BINANCE_SECRET_KEY="s")
    https = sim.rest_url.replace("http://", "https://")
    wss = sim.stream_url.replace("ws://", "wss://")
    streams = ["--stream-host", wss] * (command == ["stream"])
    code, _, err = await run_cli(*command, "--host", https, *streams, env=env)
    assert code == 5, err
    line = one_line(err)
    assert "cannot reach the server: TLS failure" in line
    assert re.search(r"TLS failure: [a-z][a-z ]+$", line), line
    assert "Error" not in line and "_ssl.c" not in line


# --------------------------------------------------------------------------- item 5


async def test_plain_text_to_a_remote_host_is_warned_even_when_quiet() -> None:
    # The bad stream host stops the command before any connection: nothing leaves 127.0.0.1.
    env = clean_env(
        BINANCE_API_KEY="key",
        BINANCE_SECRET_KEY="secret",
        BINANCE_CMFUTURES_HOST="http://203.0.113.7:8080",
    )
    code, _, err = await run_cli("stream", "--stream-host", "ws://127.0.0.1:1?x", env=env)
    assert code == 3
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("cmfutures: warning: BINANCE_CMFUTURES_HOST is http://203.0.113.7")
    assert lines[1].startswith("cmfutures: error: stream_host must not contain a query")


async def test_loopback_plain_text_draws_no_warning(sim: Simulator) -> None:
    env = account_env(sim, stream_host=False)
    code, _, err = await run_cli("listen-key", "create", env=env)
    assert (code, err) == (0, "")


# --------------------------------------------------------------------------- item 12


async def test_dev_zero_as_the_key_file_is_exit_3() -> None:
    if not HAS_DEV_ZERO:
        pytest.skip("no /dev/zero")
    env = clean_env(BINANCE_API_KEY="key", BINANCE_PRIVATE_KEY_PATH="/dev/zero")
    code, _, err = await run_cli("listen-key", "create", env=env)
    assert code == 3
    assert "not a regular file" in one_line(err)


async def test_a_fifo_as_the_key_file_is_exit_3(tmp_path: Path) -> None:
    fifo = tmp_path / "key.pem"
    os.mkfifo(fifo)
    env = clean_env(BINANCE_API_KEY="key", BINANCE_PRIVATE_KEY_PATH=str(fifo))
    code, _, err = await run_cli("listen-key", "create", env=env)
    assert code == 3
    assert "not a regular file" in one_line(err)
