"""The offline exchange: a local Binance COIN-M REST + user data stream simulator.

``Simulator`` is an async context manager serving REST (``/dapi/v1/...``) and the user
data stream (``/ws/<listenKey>``, ``/stream``) on one loopback port, driven by a
:class:`~binance.derivatives.cmfutures.clock.Clock`. See ``docs/simulator.md``.

Names are imported lazily, so ``import binance.derivatives.cmfutures.simulator`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "Simulator": "simulator",
    "SimulatorOptions": "sim_options",
    "SimAccount": "sim_options",
    "EmittedEvent": "sim_options",
    "Faults": "faults",
    "FaultRecord": "faults",
}

__all__ = [
    "EmittedEvent",
    "FaultRecord",
    "Faults",
    "SimAccount",
    "Simulator",
    "SimulatorOptions",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from .faults import FaultRecord, Faults
    from .sim_options import EmittedEvent, SimAccount, SimulatorOptions
    from .simulator import Simulator
