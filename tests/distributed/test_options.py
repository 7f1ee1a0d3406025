"""WorkerOptions refuse settings the handover cannot work with, naming the fix."""

from __future__ import annotations

import pytest

from binance.derivatives.cmfutures.distributed.options import WorkerOptions


def test_handover_settings_are_checked() -> None:
    assert WorkerOptions().handover_max >= WorkerOptions().handover_timeout
    with pytest.raises(ValueError, match=r"handover_timeout must be at least 1 s .*got 0\.5"):
        WorkerOptions(handover_timeout=0.5)
    with pytest.raises(ValueError, match=r"handover_max must be at least handover_timeout"):
        WorkerOptions(handover_timeout=30, handover_max=10)
    assert WorkerOptions(handover_timeout=1, handover_max=1).handover_max == 1
