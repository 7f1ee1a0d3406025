"""The pytest plugin, as a user's suite sees it: a separate pytest run in a scratch directory."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from binance.derivatives.cmfutures.simulator import Simulator

USER_TESTS = '''
import aiohttp
import pytest

from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.simulator import SimulatorOptions


@pytest.mark.asyncio
async def test_fixture_gives_a_running_simulator(cmfutures_simulator):
    sim = cmfutures_simulator
    assert isinstance(sim.clock, ManualClock)
    async with aiohttp.ClientSession(sim.rest_url) as http:
        r = await http.post("/dapi/v1/listenKey", headers={"X-MBX-APIKEY": sim.account.api_key})
        key = (await r.json())["listenKey"]
    await sim.advance(3600)
    assert sim.listen_key() is None and sim.emitted()[0].listen_key == key


@pytest.mark.asyncio
@pytest.mark.cmfutures_simulator(seed=7, options=SimulatorOptions(weight_limit=5))
async def test_marker_configures_it(cmfutures_simulator):
    assert cmfutures_simulator.seed == 7
    assert cmfutures_simulator.options.weight_limit == 5


@pytest.mark.asyncio
async def test_configuration_fixture(cmfutures_configuration, cmfutures_simulator):
    assert cmfutures_configuration.host == cmfutures_simulator.rest_url
'''


def test_plugin_in_a_users_suite(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TESTS))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "3 passed" in out, out


def test_plugin_fixture_in_this_suite(cmfutures_simulator: Simulator) -> None:
    assert cmfutures_simulator.rest_url.startswith("http://127.0.0.1:")
    assert cmfutures_simulator.connections() == 0
