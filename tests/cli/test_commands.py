"""The ``cmfutures`` commands, run as subprocesses against the simulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from binance.derivatives.cmfutures import __version__
from binance.derivatives.cmfutures.simulator import Simulator

from ..cli_process import account_env, clean_env, one_line, run_cli, start_cli


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=3) as simulator:
        yield simulator


async def test_version() -> None:
    code, out, _ = await run_cli("--version", env=clean_env())
    assert code == 0
    assert out.strip() == f"cmfutures {__version__}"


async def test_listen_key_create_keepalive_close(sim: Simulator) -> None:
    env = account_env(sim)
    code, out, err = await run_cli("listen-key", "create", env=env)
    assert code == 0, err
    assert out.strip() == sim.listen_key()
    code, out, _ = await run_cli("listen-key", "keepalive", env=env)
    assert (code, out.strip()) == (0, "listen key extended by 60 minutes")
    code, out, _ = await run_cli("listen-key", "close", env=env)
    assert (code, out.strip()) == (0, "listen key closed")
    assert sim.listen_key() is None
    code, out, err = await run_cli("listen-key", "keepalive", env=env)
    assert code == 7
    one_line(err, env["BINANCE_SECRET_KEY"], env["BINANCE_API_KEY"])
    assert "-1125" in err and "cmfutures listen-key create" in err


async def test_host_flag_overrides_the_environment(sim: Simulator) -> None:
    env = account_env(sim)
    env["BINANCE_CMFUTURES_HOST"] = "http://127.0.0.1:9"
    code, out, err = await run_cli("listen-key", "create", "--host", sim.rest_url, env=env)
    assert code == 0, err
    assert out.strip() == sim.listen_key()


async def test_stream_json_lines_carry_events_and_control_events(sim: Simulator) -> None:
    env = account_env(sim)
    proc = await start_cli("stream", "--json", env=env)
    assert proc.stdout is not None
    first = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
    assert first["e"] == "StreamConnected"
    sim.exchange.new_order(
        sim.account.api_key,
        {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "MARKET", "quantity": "2"},
    )
    received = [json.loads(await asyncio.wait_for(proc.stdout.readline(), 30)) for _ in range(3)]
    emitted = [json.loads(e.raw) for e in sim.emitted()]
    assert received == emitted[-3:]
    assert [r["e"] for r in received] == ["ORDER_TRADE_UPDATE"] * 2 + ["ACCOUNT_UPDATE"]
    assert received[1]["o"]["z"] == "2"
    proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(proc.wait(), 30) == 0
    assert sim.listen_key() is None, "the stream deletes its listen key on exit"


async def test_stream_text_mode_reports_a_gap(sim: Simulator) -> None:
    env = account_env(sim)
    proc = await start_cli("stream", env=env)
    assert proc.stdout is not None
    assert "StreamConnected" in (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    sim.faults.drop_connections()
    lines = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode() for _ in range(3)]
    kinds = [line.split()[1] for line in lines]
    assert kinds == ["StreamDisconnected", "StreamConnected", "StreamGap"]
    assert "events may be missed" in lines[2]
    proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(proc.wait(), 30) == 0


async def test_missing_api_key_is_one_line() -> None:
    code, _, err = await run_cli("stream", env=clean_env())
    assert code == 3
    one_line(err)
    assert "BINANCE_API_KEY is not set" in err


async def test_missing_signing_key_is_one_line() -> None:
    env = clean_env(BINANCE_API_KEY="apikey-7c1d")
    code, _, err = await run_cli("listen-key", "create", env=env)
    assert code == 3
    one_line(err, "apikey-7c1d")
    assert "BINANCE_SECRET_KEY" in err


async def test_unreadable_key_file_is_one_line(tmp_path: Path) -> None:
    env = clean_env(BINANCE_API_KEY="key", BINANCE_PRIVATE_KEY_PATH=str(tmp_path / "missing.pem"))
    code, _, err = await run_cli("listen-key", "create", env=env)
    assert code == 3
    one_line(err)
    assert "missing.pem" in err


async def test_wrong_passphrase_is_one_line_without_the_passphrase(tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"right-passphrase"),
    )
    path = tmp_path / "key.pem"
    path.write_bytes(pem)
    env = clean_env(
        BINANCE_API_KEY="key",
        BINANCE_PRIVATE_KEY_PATH=str(path),
        BINANCE_PRIVATE_KEY_PASSPHRASE="wrong-passphrase",
    )
    code, _, err = await run_cli("listen-key", "create", env=env)
    assert code == 3
    one_line(err, "wrong-passphrase", "right-passphrase")
    assert "passphrase" in err.lower()


async def test_rejected_key_is_one_line(sim: Simulator) -> None:
    env = account_env(sim)
    env["BINANCE_API_KEY"] = "not-a-key-the-simulator-knows"
    for command in (["listen-key", "create"], ["stream"]):
        code, _, err = await run_cli(*command, env=env)
        assert code == 4, err
        one_line(err, env["BINANCE_SECRET_KEY"], env["BINANCE_API_KEY"])
        assert "rejected" in err


async def test_unreachable_host_is_one_line() -> None:
    env = clean_env(BINANCE_API_KEY="k", BINANCE_SECRET_KEY="s")
    for command in (
        ["listen-key", "create", "--host", "http://127.0.0.1:9"],
        ["stream", "--host", "http://127.0.0.1:9", "--stream-host", "ws://127.0.0.1:9"],
    ):
        code, _, err = await run_cli(*command, env=env)
        assert code == 5, err
        one_line(err)
        assert "cannot reach" in err


async def test_rate_limited_is_one_line(sim: Simulator) -> None:
    env = account_env(sim)
    for command in (["listen-key", "create"], ["stream"]):
        sim.faults.fail_next_rest(1, status=429, code=-1003)
        code, _, err = await run_cli(*command, env=env)
        assert code == 6, err
        one_line(err, env["BINANCE_SECRET_KEY"])
        assert "rate limited" in err


async def test_demo_shows_trading_faults_recovery_and_a_matching_final_state() -> None:
    code, out, err = await run_cli(
        "demo", "--duration", "60", "--pace", "0.1", "--plain", env=clean_env(), timeout=120
    )
    assert code == 0, out + err
    for expected in (
        "ORDER_TRADE_UPDATE",
        "ACCOUNT_UPDATE",
        "ACCOUNT_CONFIG_UPDATE",
        "MARGIN_CALL",
        "FUNDING_FEE",
        "StreamDisconnected",
        "StreamGap",
        "listenKeyExpired",
        "ListenKeyRenewed",
        "CANCELED/CANCELED",
        "open orders: 1",
        "final state matches the simulator: yes",
    ):
        assert expected in out, f"{expected!r} missing from the demo output"
    assert out.index("inject a dropped connection") < out.index("StreamGap")


def test_demo_comparison_catches_a_wrong_balance_position_or_order() -> None:
    from types import SimpleNamespace as NS

    from binance.derivatives.cmfutures.cli.demo import compare_with_simulator

    truth = NS(
        balances={"BTC": NS(wallet_balance=Decimal("1.5"), cross_wallet_balance=Decimal("1.5"))},
        positions={("BTCUSD_PERP", "BOTH"): NS(position_amount=Decimal(3), entry_price=Decimal(9))},
        open_orders={7: NS(executed_qty=Decimal(1))},
    )
    mirror = NS(
        balances={"BTC": NS(wallet_balance=Decimal("1.50"), cross_wallet_balance=Decimal("1.5"))},
        positions={("BTCUSD_PERP", "BOTH"): NS(position_amount=Decimal(3), entry_price=Decimal(9))},
        open_orders={7: NS(executed_quantity=Decimal(1))},
    )
    assert compare_with_simulator(mirror, truth) == []
    mirror.balances["BTC"].wallet_balance = Decimal("1.49999999")
    mirror.positions[("BTCUSD_PERP", "BOTH")].entry_price = Decimal(10)
    mirror.open_orders = {}
    problems = compare_with_simulator(mirror, truth)
    assert len(problems) == 3
    assert problems[0].startswith("balance BTC")
