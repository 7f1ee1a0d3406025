"""Binance's per-IP limits as sans-I/O budgets: the caller passes the time, nothing sleeps.

* :class:`ConnectionRateLimiter`: new WebSocket connections, at most ``per_window`` in any
  rolling ``window`` seconds (300 per 5 minutes) and at most ``per_second`` in any rolling
  second (5).
* :class:`WeightBudget`: REST request weight, at most ``budget`` in any rolling ``window``
  (1,200 per minute: half of the 2,400/min IP limit that USD-M and COIN-M share), never more
  than the server says is left (``X-MBX-USED-WEIGHT-1M``), and nothing at all while a
  ``Retry-After`` (429/418) is running: one answer pauses every caller sharing the budget.

Both answer "may I, now?" with :meth:`try_acquire` (records the use when granted) and "when
may I?" with :meth:`next_free`. Memory is bounded by the number of grants in one window.
The one side effect: a WARNING when the server-reported weight starts holding calls back (once
per server minute it does so), since that is other clients on the IP spending the budget.
"""

from __future__ import annotations

import logging
import math
from collections import deque

logger = logging.getLogger(__name__)

__all__ = ["ConnectionRateLimiter", "WeightBudget"]


class ConnectionRateLimiter:
    """Rolling-window limits on opening connections.

    :param per_window: most connections opened in any rolling ``window`` seconds.
    :param window: length of that window (seconds).
    :param per_second: most connections opened in any rolling second.
    :raises ValueError: for a non-positive bound.
    """

    __slots__ = ("_recent", "per_second", "per_window", "window")

    def __init__(self, per_window: int = 300, window: float = 300.0, per_second: int = 5) -> None:
        if per_window < 1 or per_second < 1 or not window > 0:
            raise ValueError(
                "connection limits must be positive: "
                f"per_window={per_window!r}, window={window!r}, per_second={per_second!r}"
            )
        self.per_window = per_window
        self.window = window
        self.per_second = per_second
        self._recent: deque[float] = deque()

    def _expire(self, now: float) -> None:
        recent = self._recent
        while recent and recent[0] <= now - self.window:
            recent.popleft()

    def next_free(self, now: float) -> float:
        """The earliest time (``>= now``) at which one more connection is allowed."""
        self._expire(now)
        recent = self._recent
        at = now
        if len(recent) >= self.per_window:
            at = max(at, recent[len(recent) - self.per_window] + self.window)
        if len(recent) >= self.per_second:
            at = max(at, recent[len(recent) - self.per_second] + 1.0)
        return at

    def try_acquire(self, now: float) -> bool:
        """Record a new connection at ``now`` if allowed; False (nothing recorded) if not."""
        if self.next_free(now) > now:
            return False
        self._recent.append(now)
        return True

    def used(self, now: float, window: float | None = None) -> int:
        """Connections opened in the last ``window`` seconds (default: the long window)."""
        self._expire(now)
        span = self.window if window is None else window
        return sum(1 for t in self._recent if t > now - span)


class WeightBudget:
    """A shared REST weight budget.

    :param budget: most weight spent in any rolling ``window`` seconds.
    :param window: length of that window (seconds; Binance counts per minute).
    :raises ValueError: for a non-positive bound.
    """

    __slots__ = (
        "_blocked_until",
        "_held_back_until",
        "_reported",
        "_reported_until",
        "_spent",
        "_total",
        "budget",
        "window",
    )

    def __init__(self, budget: int = 1200, window: float = 60.0) -> None:
        if budget < 1 or not window > 0:
            raise ValueError(
                f"weight budget must be positive: budget={budget!r}, window={window!r}"
            )
        self.budget = budget
        self.window = window
        self._spent: deque[tuple[float, int]] = deque()
        self._total = 0
        self._reported = 0
        self._reported_until = 0.0
        self._blocked_until = 0.0
        self._held_back_until = 0.0  # end of the server minute already warned about

    def _expire(self, now: float) -> None:
        spent = self._spent
        while spent and spent[0][0] <= now - self.window:
            self._total -= spent.popleft()[1]
        if now >= self._reported_until:
            self._reported = 0

    def used(self, now: float) -> int:
        """Weight counted against the budget at ``now``: ours, or the server's if higher."""
        self._expire(now)
        return max(self._total, self._reported)

    @property
    def blocked_until(self) -> float:
        """End of the running ``Retry-After`` pause (0 if none ever)."""
        return self._blocked_until

    def next_free(self, weight: int, now: float) -> float:
        """The earliest time (``>= now``) at which ``weight`` may be spent."""
        self._expire(now)
        at = max(now, self._blocked_until)
        if self._reported + weight > self.budget and now < self._reported_until:
            at = max(at, self._reported_until)
        excess = self._total + weight - self.budget
        if excess > 0:
            freed = 0
            for t, w in self._spent:
                freed += w
                if freed >= excess:
                    at = max(at, t + self.window)
                    break
        return at

    def try_acquire(self, weight: int, now: float) -> bool:
        """Spend ``weight`` at ``now`` if the budget allows; False (nothing spent) if not."""
        if weight > self.budget:
            raise ValueError(
                f"a request of weight {weight} can never fit a budget of {self.budget}"
            )
        if self.next_free(weight, now) > now:
            self._warn_if_held_back_by_the_server(weight, now)
            return False
        self._spent.append((now, weight))
        self._total += weight
        self._reported += weight  # the server's count grows with ours until it reports again
        return True

    def _warn_if_held_back_by_the_server(self, weight: int, now: float) -> None:
        """Log once per server minute that the reported weight (not ours) holds calls back."""
        if (
            now < self._reported_until
            and self._reported + weight > self.budget
            and self._total + weight <= self.budget  # our own spending alone would allow it
            and self._held_back_until < self._reported_until
        ):
            self._held_back_until = self._reported_until
            logger.warning(
                "the exchange reports %d weight used by this IP this minute (this budget "
                "spent %d of %d): REST calls (listen keys, keepalives, snapshots) wait %.0f s "
                "for the minute to end; other clients on the IP are spending its weight",
                self._reported, self._total, self.budget, self._reported_until - now,
            )

    def observe_used(self, used: int, now: float) -> None:
        """The server reported ``X-MBX-USED-WEIGHT-1M: used`` (all clients on this IP, in the
        server's current minute): until that minute ends, spend only what it leaves."""
        if used < 0:
            return
        minute_end = (math.floor(now / 60.0) + 1) * 60.0
        if now >= self._reported_until or minute_end > self._reported_until:
            self._reported = used
        else:
            self._reported = max(self._reported, used)
        self._reported_until = minute_end

    def retry_after(self, seconds: float, now: float) -> None:
        """A 429/418 said ``Retry-After: seconds``: nothing is spent before ``now + seconds``."""
        if seconds > 0 and math.isfinite(seconds):
            self._blocked_until = max(self._blocked_until, now + seconds)
