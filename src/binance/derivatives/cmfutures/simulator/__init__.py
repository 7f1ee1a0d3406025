"""The offline exchange: a local Binance COIN-M REST + user data stream simulator.

``Simulator`` is an async context manager serving REST (``/dapi/v1/...``) and the user
data stream (``/ws/<listenKey>``, ``/stream``) on one loopback port, driven by a
:class:`~binance.derivatives.cmfutures.clock.Clock`. See ``docs/simulator.md``.

Names are imported lazily, so ``import binance.derivatives.cmfutures.simulator`` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:
    from .faults import FaultRecord, Faults
    from .sim_options import EmittedEvent, SimAccount, SimulatorOptions
    from .simulator import Simulator
