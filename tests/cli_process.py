"""Running the ``cmfutures`` CLI as a subprocess in tests: its command line, a clean
environment, one run with its exit code and output, and the one-line error check."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

CLI = [sys.executable, "-m", "binance.derivatives.cmfutures.cli.main"]


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without any ``BINANCE_*`` variable, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINANCE_")}
    env.update(overrides)
    return env


def account_env(sim: Any, *, stream_host: bool = True, **overrides: str) -> dict[str, str]:
    """:func:`clean_env` with the simulator's default account and its REST (and, with
    ``stream_host``, WebSocket) base URL."""
    account = sim.account
    assert account.secret_key is not None
    env = clean_env(
        BINANCE_API_KEY=account.api_key,
        BINANCE_SECRET_KEY=account.secret_key,
        BINANCE_CMFUTURES_HOST=sim.rest_url,
    )
    if stream_host:
        env["BINANCE_CMFUTURES_STREAM_HOST"] = sim.stream_url
    env.update(overrides)
    return env


async def start_cli(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    """``cmfutures ARGS`` started with piped stdout and stderr (environment: ``env``, or
    :func:`clean_env`); the caller reads, signals and waits for it."""
    return await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        env=clean_env() if env is None else env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, str, str]:
    """``(exit code, stdout, stderr)`` of ``cmfutures ARGS`` (environment: ``env``, or
    :func:`clean_env`). A run past ``timeout`` is killed (never left behind) and raises
    :class:`TimeoutError`."""
    proc = await start_cli(*args, env=env)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:  # e.g. a key file that blocks
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def one_line(err: str, *secrets: str) -> str:
    """The CLI's error line: asserts ``err`` is exactly one ``cmfutures: error:`` line, with
    no traceback and none of ``secrets``."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cmfutures: error: ") and "Traceback" not in err
    for secret in secrets:
        assert secret not in err
    return lines[0]
