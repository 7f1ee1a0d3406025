"""Exponential backoff with full jitter."""

from __future__ import annotations

import random

__all__ = ["Backoff"]


class Backoff:
    """Delays for consecutive failed attempts: ``uniform(0, min(cap, initial * factor**n))``.

    "Full jitter" (each delay drawn from zero up to the exponential bound) spreads clients that
    failed together. :meth:`reset` after a success starts again from ``initial``.

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
        # Cap the exponent too: factor**attempt would overflow after ~1000 failures.
        exponent = min(self._attempt, 64)
        return float(min(self._cap, self._initial * self._factor**exponent))

    def next_delay(self) -> float:
        """The next delay, and count one more attempt."""
        delay = self._rng.uniform(0.0, self.bound())
        self._attempt += 1
        return delay

    def reset(self) -> None:
        """Start again from the initial bound."""
        self._attempt = 0
