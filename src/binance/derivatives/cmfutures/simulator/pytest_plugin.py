"""pytest plugin (entry point ``pytest11: cmfutures_simulator``): simulator fixtures.

Fixtures (function scope, need pytest-asyncio):

* ``cmfutures_simulator`` - a running :class:`~.simulator.Simulator` on a fresh
  :class:`~..clock.ManualClock`, with a ready default account (``sim.account``).
* ``cmfutures_configuration`` - ``sim.configuration()`` for that account: a client
  ``Configuration`` whose ``host``/``stream_host`` point at the simulator.

Per-test settings with the marker ``@pytest.mark.cmfutures_simulator(**kwargs)``; the keyword
arguments go to ``Simulator(...)`` (``seed=``, ``options=SimulatorOptions(...)``,
``accounts=[...]``, ``clock=``, ``control_token=``). Without it: default options, keys and the
control token drawn at random (``seed=N`` makes keys reproducible). A test that drives the
HTTP control path sends ``headers=sim.control_headers`` (the per-run token, JSON).

Importing this module is cheap: the simulator itself is imported when a fixture is used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..configuration import Configuration
    from .simulator import Simulator

try:  # strict-mode pytest-asyncio needs its own decorator; auto mode accepts both
    import pytest_asyncio

    _async_fixture: Any = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - the fixtures then need another async plugin
    _async_fixture = pytest.fixture

MARKER = "cmfutures_simulator"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**kwargs): keyword arguments for the cmfutures_simulator fixture's "
        "Simulator(...) (seed=, options=, accounts=, clock=)",
    )


@_async_fixture  # type: ignore[untyped-decorator]
async def cmfutures_simulator(request: pytest.FixtureRequest) -> AsyncIterator[Simulator]:
    """A running simulator on a ManualClock with a ready default account."""
    from ..clock import ManualClock
    from .simulator import Simulator

    kwargs: dict[str, Any] = {}
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if marker.args:
            raise TypeError(f"@pytest.mark.{MARKER} takes keyword arguments only")
        kwargs.update(marker.kwargs)
    kwargs.setdefault("clock", ManualClock())
    async with Simulator(**kwargs) as sim:
        yield sim


@pytest.fixture
def cmfutures_configuration(cmfutures_simulator: Simulator) -> Configuration:
    """A client Configuration for the simulator's default account."""
    return cmfutures_simulator.configuration()
