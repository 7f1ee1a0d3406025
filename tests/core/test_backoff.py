"""The one exponential backoff shared by the REST client, the stream and the mirror."""

from __future__ import annotations

import random

import pytest

from binance.derivatives.cmfutures._backoff import Backoff, exponential_bound
from binance.derivatives.cmfutures._http.flow import MAX_BACKOFF
from binance.derivatives.cmfutures._http.flow import retry_delay as rest_retry_delay
from binance.derivatives.cmfutures.mirror.options import MirrorOptions, retry_delay


@pytest.mark.parametrize("attempt", [0, 1, 5, 1_024, 1_025, 10**6, 10**100])
def test_bound_never_overflows_and_stays_within_the_cap(attempt: int) -> None:
    bound = exponential_bound(0.5, 2.0, 30.0, attempt)
    assert 0.5 <= bound <= 30.0
    if attempt >= 6:
        assert bound == 30.0


def test_bound_is_exact_below_the_cap() -> None:
    assert [exponential_bound(1.0, 2.0, 60.0, n) for n in range(8)] == [
        1, 2, 4, 8, 16, 32, 60, 60,
    ]
    assert exponential_bound(0.0, 2.0, 8.0, 5000) == 0.0
    assert exponential_bound(1.0, 1.0, 8.0, 5000) == 1.0


def test_mirror_retry_delay_after_thousands_of_failures() -> None:
    # Before: OverflowError from retry_factor ** n at n ~ 1025.
    options = MirrorOptions(retry_initial=0.5, retry_factor=2.0, retry_max=30.0, retry_jitter=0)
    assert retry_delay(options, 2_000, None, random.Random(0)) == 30.0
    assert retry_delay(options, 2_000, 45.0, random.Random(0)) == 45.0


def test_rest_retry_delay_is_the_shared_bound() -> None:
    assert rest_retry_delay(0.25, 1) == 0.25
    assert rest_retry_delay(0.25, 3) == 1.0
    assert rest_retry_delay(0.25, 5_000) == MAX_BACKOFF


def test_stream_backoff_after_many_failures() -> None:
    b = Backoff(1.0, 2.0, 60.0, random.Random(1))
    delays = [b.next_delay() for _ in range(3_000)]
    assert all(0 <= d <= 60.0 for d in delays)
    assert b.bound() == 60.0
    b.reset()
    assert b.bound() == 1.0
