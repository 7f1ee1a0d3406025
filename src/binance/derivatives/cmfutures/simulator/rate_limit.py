"""Request-weight and order-count accounting (spec §1.5), sans-I/O: the caller passes the time.

Weight: fixed windows of ``interval`` seconds of simulated time aligned to the epoch (the
``1M`` window resets at each minute boundary). A request that would take the window's weight
above ``limit`` is refused with HTTP 429 / ``-1003`` and ``Retry-After`` = seconds to the
window's end, and is not counted. A further request in that same window (the client "kept
going") bans the client: HTTP 418 / ``-1003`` with ``Retry-After`` for ``ban_seconds`` (doubling
on every new ban, up to 3 days). During a ban every request gets 418.

Orders: per account, 300 per 10 s and 1200 per minute (fixed windows); above either, HTTP 429
``-1015``. Counts are reported in ``X-MBX-ORDER-COUNT-10S`` / ``X-MBX-ORDER-COUNT-1M``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["OrderCounter", "RateDecision", "WeightLimiter"]

MAX_BAN_SECONDS = 3 * 86400.0


@dataclass(frozen=True)
class RateDecision:
    """The outcome of charging a request. ``status`` is 200 when allowed."""

    allowed: bool
    used: int
    status: int = 200
    code: int = 0
    msg: str = ""
    retry_after: int | None = None


class WeightLimiter:
    """IP request-weight budget: ``limit`` per ``interval`` seconds (default 2400 per minute)."""

    def __init__(
        self, limit: int = 2400, interval: float = 60.0, ban_seconds: float = 120.0
    ) -> None:
        if limit <= 0 or interval <= 0 or ban_seconds <= 0:
            raise ValueError("weight limit, interval and ban_seconds must be positive")
        self.limit = limit
        self.interval = interval
        self.ban_seconds = ban_seconds
        self._window = -1
        self._used = 0
        self._limited_window = -1
        self._banned_until = 0.0
        self._next_ban = ban_seconds

    def _roll(self, now: float) -> int:
        window = math.floor(now / self.interval)
        if window != self._window:
            self._window = window
            self._used = 0
        return window

    def used(self, now: float) -> int:
        """Weight used in the window containing ``now``."""
        self._roll(now)
        return self._used

    def banned_until(self) -> float:
        """Epoch seconds the current ban ends (0 if never banned)."""
        return self._banned_until

    def charge(self, weight: int, now: float) -> RateDecision:
        """Account one request of ``weight`` at ``now``."""
        window = self._roll(now)
        if now < self._banned_until:
            return self._ban_decision(now)
        if self._used + weight > self.limit:
            if self._limited_window == window:
                self._banned_until = now + self._next_ban
                self._next_ban = min(self._next_ban * 2, MAX_BAN_SECONDS)
                return self._ban_decision(now)
            self._limited_window = window
            window_end = (window + 1) * self.interval
            return RateDecision(
                False,
                self._used,
                429,
                -1003,
                f"Too many requests; current limit is {self.limit} requests per minute. "
                "Please use the websocket for live updates to avoid polling the API.",
                max(1, math.ceil(window_end - now)),
            )
        self._used += weight
        return RateDecision(True, self._used)

    def _ban_decision(self, now: float) -> RateDecision:
        return RateDecision(
            False,
            self._used,
            418,
            -1003,
            f"Way too many requests; IP banned until {int(self._banned_until * 1000)}. "
            "Please use the websocket for live updates to avoid bans.",
            max(1, math.ceil(self._banned_until - now)),
        )


class OrderCounter:
    """One account's order counts: ``per_10s`` per 10 seconds and ``per_minute`` per minute."""

    def __init__(self, per_10s: int = 300, per_minute: int = 1200) -> None:
        self.limits = {"10S": (10.0, per_10s), "1M": (60.0, per_minute)}
        self._windows: dict[str, tuple[int, int]] = {}

    def counts(self, now: float) -> dict[str, int]:
        """Current counts by interval name (``"10S"``, ``"1M"``)."""
        result = {}
        for name, (length, _) in self.limits.items():
            window = math.floor(now / length)
            current, count = self._windows.get(name, (window, 0))
            result[name] = count if current == window else 0
        return result

    def charge(self, now: float) -> bool:
        """Count one order; False (and not counted) if it would exceed a limit."""
        counts = self.counts(now)
        if any(counts[name] + 1 > limit for name, (_, limit) in self.limits.items()):
            return False
        for name, (length, _) in self.limits.items():
            self._windows[name] = (math.floor(now / length), counts[name] + 1)
        return True

    def headers(self, now: float) -> dict[str, str]:
        """``X-MBX-ORDER-COUNT-*`` headers for the current counts."""
        return {f"X-MBX-ORDER-COUNT-{name}": str(n) for name, n in self.counts(now).items()}
