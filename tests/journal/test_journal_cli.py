"""``cmfutures stream --journal`` and ``cmfutures journal tail|stats|export``, as processes."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from binance.derivatives.cmfutures import Journal
from binance.derivatives.cmfutures.simulator import Simulator

from ..cli_process import account_env, run_cli, start_cli
from .conftest import T0, order_event


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=3) as simulator:
        yield simulator


async def _start_stream(sim: Simulator, path: Path, *extra: str) -> asyncio.subprocess.Process:
    return await start_cli("stream", "--json", "--journal", str(path), *extra, env=account_env(sim))


async def test_stream_journal_then_tail_stats_export(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    proc = await _start_stream(sim, path, "--account-id", "acct-1")
    assert proc.stdout is not None
    printed = [json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))]
    assert printed[0]["e"] == "StreamConnected"
    sim.exchange.new_order(
        sim.account.api_key,
        {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "MARKET", "quantity": "2"},
    )
    printed += [json.loads(await asyncio.wait_for(proc.stdout.readline(), 30)) for _ in range(3)]

    # a second writer on the same file is refused in one line naming the first
    code, _, err = await _run_stream_env(sim, path)
    assert code == 3 and f"pid {proc.pid}" in err and "Traceback" not in err

    proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(proc.wait(), 30) == 0

    code, out, err = await run_cli("journal", "tail", str(path), "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 4
    for line, shown, offset in zip(lines, printed, range(1, 5), strict=True):
        extras = {k: line.pop(k) for k in ("offset", "account", "received_at")}
        assert line == shown  # the very object `stream --json` printed
        assert extras["offset"] == offset and extras["account"] == "acct-1"
        assert abs(extras["received_at"] - sim.clock.time()) < 60

    code, out, _ = await run_cli("journal", "tail", str(path), "--from", "2")
    assert code == 0
    assert [int(line.split()[0]) for line in out.splitlines()] == [3, 4]
    assert "ORDER_TRADE_UPDATE" in out and "acct-1" in out
    code, out, _ = await run_cli("journal", "tail", str(path), "--account", "other")
    assert code == 0 and out == ""

    code, out, _ = await run_cli("journal", "stats", str(path))
    assert code == 0
    assert "entries   4" in out and "account acct-1: 4 entries, 0 gaps" in out
    assert "ORDER_TRADE_UPDATE" in out and "writer    none" in out
    code, out, _ = await run_cli("journal", "stats", str(path), "--json")
    stats = json.loads(out)
    assert stats["by_account"] == {
        "acct-1": {"ACCOUNT_UPDATE": 1, "ORDER_TRADE_UPDATE": 2, "StreamConnected": 1}
    }

    code, out, _ = await run_cli("journal", "export", str(path), "--jsonl")
    assert code == 0 and [json.loads(x)["offset"] for x in out.splitlines()] == [1, 2, 3, 4]


async def _run_stream_env(sim: Simulator, path: Path) -> tuple[int, str, str]:
    proc = await _start_stream(sim, path)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_tail_follow_prints_new_entries_and_exits_0_on_sigint(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    journal = Journal(path)
    await journal.append("default", order_event(1, int(T0 * 1000)), T0)
    proc = await start_cli("journal", "tail", str(path), "--follow", "--json")
    assert proc.stdout is not None
    first = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
    assert first["offset"] == 1
    await journal.append("default", order_event(2, int(T0 * 1000) + 1), T0)
    second = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
    assert second["offset"] == 2 and second["o"]["i"] == 2
    proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(proc.wait(), 30) == 0
    await journal.close()


async def test_bad_files_are_one_line_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    code, _, err = await run_cli("journal", "tail", str(missing))
    assert code == 3 and err.startswith("cmfutures: error: no journal at")
    assert "Traceback" not in err
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database " * 20)
    for action in (["tail"], ["stats"], ["export", "--jsonl"]):
        code, _, err = await run_cli("journal", action[0], str(foreign), *action[1:])
        assert code == 3 and "not a cmfutures journal" in err and len(err.splitlines()) == 1
    assert not missing.exists()
