"""WeightBudget says so (once per server minute) when the exchange's reported weight, spent by
other clients on the IP, holds its REST calls back."""

from __future__ import annotations

import logging

import pytest

from binance.derivatives.cmfutures.stream.limits import WeightBudget

MINUTE = 60.0 * 1000  # a server minute starts here
LOGGER = "binance.derivatives.cmfutures.stream.limits"


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == LOGGER and r.levelno == logging.WARNING]


def test_one_warning_per_minute_the_reported_weight_holds_calls_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    budget = WeightBudget(100, 60.0)
    assert budget.try_acquire(1, MINUTE + 5)
    budget.observe_used(99, MINUTE + 10)  # the IP's other clients spent the rest
    assert budget.try_acquire(1, MINUTE + 10)
    assert not budget.try_acquire(1, MINUTE + 10)
    assert not budget.try_acquire(1, MINUTE + 20)  # the same episode: no second warning
    assert not budget.try_acquire(5, MINUTE + 59)
    [message] = warnings_of(caplog)
    assert "reports 100 weight used" in message and "spent 2 of 100" in message
    assert "wait 50 s" in message
    # the next minute: free again; then held back again is a new episode
    assert budget.try_acquire(1, MINUTE + 60)
    budget.observe_used(100, MINUTE + 61)
    assert not budget.try_acquire(1, MINUTE + 61)
    assert len(warnings_of(caplog)) == 2


def test_no_warning_when_our_own_spending_is_what_waits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    budget = WeightBudget(10, 60.0)
    assert all(budget.try_acquire(1, MINUTE + 1) for _ in range(10))
    budget.observe_used(10, MINUTE + 1)  # the server counts exactly our own calls
    assert not budget.try_acquire(1, MINUTE + 2)
    budget.retry_after(30, MINUTE + 3)  # a Retry-After is logged where it is received
    assert not budget.try_acquire(1, MINUTE + 4)
    assert warnings_of(caplog) == []
