"""``X-MBX-USED-WEIGHT-*`` / ``X-MBX-ORDER-COUNT-*`` response headers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["RateLimits"]

_WEIGHT = "x-mbx-used-weight-"
_ORDERS = "x-mbx-order-count-"


@dataclass
class RateLimits:
    """The latest rate-limit counters seen on this client's responses.

    :ivar used_weight: IP weight used per interval, e.g. ``{"1M": 12}``; replaced by every
        response that carries the headers (Binance sends them on nearly every response).
    :ivar order_count: account order count per interval, e.g. ``{"10S": 1, "1M": 3}``; only
        order responses carry it, so the last values seen are kept.
    :ivar retry_after: the ``Retry-After`` seconds of the last 418/429, else None.
    """

    used_weight: dict[str, int] = field(default_factory=dict)
    order_count: dict[str, int] = field(default_factory=dict)
    retry_after: float | None = None

    def update(self, headers: Mapping[str, str]) -> None:
        """Read the counters from one response's headers (interval names upper-cased)."""
        weight: dict[str, int] | None = None
        orders: dict[str, int] | None = None
        for name, value in headers.items():
            if len(name) < 19 or name[0] not in "xX":
                continue
            lower = name.lower()
            if lower.startswith(_WEIGHT):
                target = weight = {} if weight is None else weight
                interval = lower[len(_WEIGHT) :].upper()
            elif lower.startswith(_ORDERS):
                target = orders = {} if orders is None else orders
                interval = lower[len(_ORDERS) :].upper()
            else:
                continue
            try:
                target[interval] = int(value)
            except ValueError:
                continue
        if weight is not None:
            self.used_weight = weight
        if orders is not None:
            self.order_count = {**self.order_count, **orders}
