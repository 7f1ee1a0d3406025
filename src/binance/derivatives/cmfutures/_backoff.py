"""Exponential backoff, one implementation for the REST client, the stream and the mirror.

``initial * factor ** attempt`` overflows a float after ~1,024 doublings (``OverflowError``);
a client that has been failing for hours must keep retrying at the cap instead.
:func:`exponential_bound` compares exponents (logarithms) instead of computing the power, so
it is exact below the cap and returns the cap for any attempt number, however large.
"""

from __future__ import annotations

import math
import random

__all__ = ["Backoff", "exponential_bound"]


def exponential_bound(initial: float, factor: float, cap: float, attempt: int) -> float:
    """``min(cap, initial * factor ** attempt)`` without ever overflowing.

    :param initial: the bound of attempt 0 (0 gives 0).
    :param factor: growth per attempt (>= 1).
    :param cap: the largest value returned.
    :param attempt: 0-based attempt number; any non-negative integer.
    """
    if attempt <= 0 or factor <= 1 or initial <= 0 or initial >= cap:
        return float(min(cap, initial))
    # initial * factor**attempt >= cap  <=>  attempt * log(factor) >= log(cap / initial)
    if attempt * math.log(factor) >= math.log(cap / initial):
        return float(cap)
    return float(min(cap, initial * factor**attempt))


class Backoff:
    """Delays for consecutive failed attempts: ``uniform(0, min(cap, initial * factor**n))``.

    "Full jitter" (each delay drawn from zero up to the exponential bound) spreads clients that
    failed together. :meth:`reset` after a success starts again from ``initial``. The bound
    never overflows, whatever the number of failures (see :func:`exponential_bound`).

    :param rng: the random source; pass a seeded :class:`random.Random` for reproducible tests.
    """

    __slots__ = ("_attempt", "_cap", "_factor", "_initial", "_rng")

    def __init__(
        self, initial: float, factor: float, cap: float, rng: random.Random | None = None
    ) -> None:
        self._initial = initial
        self._factor = factor
        self._cap = cap
        self._rng = rng if rng is not None else random.Random()
        self._attempt = 0

    @property
    def attempt(self) -> int:
        """How many delays were handed out since the last reset."""
        return self._attempt

    def bound(self) -> float:
        """The upper bound of the next delay."""
        return exponential_bound(self._initial, self._factor, self._cap, self._attempt)

    def next_delay(self) -> float:
        """The next delay, and count one more attempt."""
        delay = self._rng.uniform(0.0, self.bound())
        self._attempt += 1
        return delay

    def reset(self) -> None:
        """Start again from the initial bound."""
        self._attempt = 0
