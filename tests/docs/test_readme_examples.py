"""The README's examples run as written (against the simulator, never Binance)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from binance.derivatives.cmfutures import UserDataStream
from binance.derivatives.cmfutures.events import OrderTradeUpdate
from binance.derivatives.cmfutures.simulator import Simulator

README = Path(__file__).resolve().parents[2] / "README.md"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = README.read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, flags=re.S)
    test_command = next(b for b in blocks if "pytest" in b)
    ci = (README.parent / ".ci" / "run").read_text()
    assert test_command in ci.splitlines()


async def test_my_bot_sees_its_fill(
    cmfutures_simulator: Simulator, cmfutures_configuration: object
) -> None:
    # verbatim from the README section "The simulator in your own tests"
    sim = cmfutures_simulator
    async with UserDataStream(cmfutures_configuration, clock=sim.clock) as stream:  # type: ignore[arg-type]
        messages = aiter(stream)
        await anext(messages)  # StreamConnected
        sim.exchange.new_order(
            sim.account.api_key,
            {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "MARKET", "quantity": "1"},
        )
        assert isinstance(await anext(messages), OrderTradeUpdate)
        await sim.advance(2 * 3600)  # two simulated hours: keepalives, pings
        # a key lives 60 minutes: it is still there only because the stream kept it alive
        assert sim.listen_key() is not None
        assert stream.stats.keepalive.failures == 0
    # the key is shared by every client of the account: closing one stream leaves it alive
    assert sim.listen_key() is not None, "closing the stream kept the shared key"


@pytest.mark.parametrize("name", ["rest-client", "stream", "mirror", "simulator"])
def test_every_linked_reference_exists(name: str) -> None:
    assert f"docs/{name}.md" in README.read_text()
    assert (README.parent / "docs" / f"{name}.md").is_file()
