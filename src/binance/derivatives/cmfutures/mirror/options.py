"""Tunable timings and bounds of :class:`~binance.derivatives.cmfutures.AccountMirror`."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["MirrorOptions", "retry_delay"]


@dataclass(frozen=True)
class MirrorOptions:
    """Timings (seconds of the mirror's clock) and bounds of an account mirror.

    :param retry_initial: delay before retrying the first failed snapshot attempt.
    :param retry_factor: growth of the delay per consecutive failure.
    :param retry_max: cap of the delay. A ``Retry-After`` from a 429/418 answer is honoured
        when longer. One snapshot costs 46 request weight (account 5, positionRisk 1,
        openOrders without symbol 40) of the 2400/minute budget, so even the fastest retry
        pace stays far inside the limit.
    :param retry_jitter: fraction of each delay drawn at random (0 = none, 0.5 = the delay is
        uniform in [50 %, 100 %] of its nominal value), so that many mirrors recovering from
        the same outage do not retry in lockstep.
    :param resync_interval: if set, a resync (an audit: the mirror is not marked stale for it)
        also runs this long after the previous one, to catch events the exchange dropped
        without any sign of a gap. None (default): only after gaps and on request.
    :param max_change_queue: the most undelivered changes held per :meth:`changes`
        subscriber. Beyond it the subscriber's newest changes are dropped and it receives one
        ``lagged`` change saying how many; the views themselves are never affected.
    :param memory: how many terminal order ids and fill ids are remembered to drop late or
        duplicated events.
    :param fill_recovery: after every gap, fetch ``GET /dapi/v1/userTrades`` for the gap
        window and report the trades the stream missed as ``fill`` changes with
        ``FillView.recovered`` set (see ``mirror/recovery.py``). Default True.
    :param fill_recovery_max_requests: most ``userTrades`` calls (20 weight each) per
        recovery; beyond it the recovery stops and is logged as incomplete.
    :raises ValueError: if a value is out of range (the message names it).
    """

    retry_initial: float = 0.5
    retry_factor: float = 2.0
    retry_max: float = 30.0
    retry_jitter: float = 0.5
    resync_interval: float | None = None
    max_change_queue: int = 10_000
    memory: int = 100_000
    fill_recovery: bool = True
    fill_recovery_max_requests: int = 20

    def __post_init__(self) -> None:
        if not self.retry_initial > 0:
            raise ValueError(f"retry_initial must be > 0, got {self.retry_initial}")
        if not self.retry_factor >= 1:
            raise ValueError(f"retry_factor must be >= 1, got {self.retry_factor}")
        if not self.retry_max >= self.retry_initial:
            raise ValueError(f"retry_max must be >= retry_initial, got {self.retry_max}")
        if not 0 <= self.retry_jitter <= 1:
            raise ValueError(f"retry_jitter must be within [0, 1], got {self.retry_jitter}")
        if self.resync_interval is not None and not self.resync_interval > 0:
            raise ValueError(f"resync_interval must be > 0 or None, got {self.resync_interval}")
        if self.max_change_queue < 1:
            raise ValueError(f"max_change_queue must be >= 1, got {self.max_change_queue}")
        if self.memory < 1:
            raise ValueError(f"memory must be >= 1, got {self.memory}")
        if self.fill_recovery_max_requests < 1:
            raise ValueError(
                f"fill_recovery_max_requests must be >= 1, got {self.fill_recovery_max_requests}"
            )


def retry_delay(
    options: MirrorOptions, failures: int, retry_after: float | None, rng: random.Random
) -> float:
    """Seconds to wait after the ``failures``-th consecutive failed attempt (1-based)."""
    nominal = min(options.retry_max, options.retry_initial * options.retry_factor ** (failures - 1))
    delay = nominal * (1 - options.retry_jitter * rng.random())
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return delay
