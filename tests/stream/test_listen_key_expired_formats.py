"""Issue 10 item 10: ``listenKeyExpired.E`` is a number in the COIN-M docs and a string in
observed (USD-M) traffic; the simulator sends either, and the client handles both alike."""

from __future__ import annotations

import json
from typing import Any

import pytest

from binance.derivatives.cmfutures.events import (
    ListenKeyExpired,
    ListenKeyRenewed,
    StreamGap,
    decode_event,
)


def _expired_time(kind: str) -> Any:
    from binance.derivatives.cmfutures.simulator import SimulatorOptions

    return SimulatorOptions(expired_event_time=kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "sim_options", [_expired_time("number"), _expired_time("string")], ids=["number", "string"]
)
async def test_stream_renews_on_listen_key_expired_of_either_time_type(
    harness: Any, sim_options: Any
) -> None:
    await harness.open()
    old = harness.sim.listen_key()
    harness.sim.faults.expire_listen_key()
    await harness.advance(5)
    (sent,) = [e for e in harness.sim.emitted() if isinstance(e.event, ListenKeyExpired)]
    wire_time = json.loads(sent.raw)["E"]
    expected_type = int if sim_options.expired_event_time == "number" else str
    assert type(wire_time) is expected_type
    (expired,) = harness.of(ListenKeyExpired)
    assert expired.event_time == int(wire_time) and expired.listen_key == old
    assert decode_event(sent.raw) == expired
    assert len(harness.of(ListenKeyRenewed)) == 1 and len(harness.of(StreamGap)) == 1
    assert harness.sim.listen_key() not in (None, old)
    harness.emit(1)
    await harness.settle()
    harness.check_accounted()
