"""Tunable bounds of a :class:`~binance.derivatives.cmfutures.StreamPool`, with their sources.

``docs/pool.md`` explains every limit and where it comes from.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import Any

from ..stream.options import StreamOptions

__all__ = ["MAX_KEYS_PER_CONNECTION", "PoolOptions"]

MAX_KEYS_PER_CONNECTION = 200
"""Binance: "A single connection can listen to a maximum of 200 streams" (futures)."""

MAX_INCOMING_PER_SECOND = 10
"""Binance: 10 incoming messages per second per connection (pings and pongs included)."""


@dataclass(frozen=True)
class PoolOptions:
    """Bounds of a :class:`~binance.derivatives.cmfutures.StreamPool`.

    :param keys_per_connection: listen keys carried per WebSocket connection (``/stream`` +
        ``SUBSCRIBE``), 1 to 200. 1 gives every account its own connection.
    :param messages_per_second: most frames the pool sends on one connection in any rolling
        second (SUBSCRIBE, UNSUBSCRIBE, ping, pong), 1 to 9: under Binance's 10 with room.
    :param keys_per_subscribe: most listen keys in one SUBSCRIBE request.
    :param connections_per_window: most new connections in any rolling
        ``connection_window`` seconds, for the whole pool (300 per 5 minutes per IP).
    :param connection_window: that window, seconds.
    :param connections_per_second: most new connections in any rolling second (5).
    :param weight_per_minute: the pool's REST weight budget in any rolling minute (1,200:
        half the 2,400/min an IP has for USD-M and COIN-M together). The server's
        ``X-MBX-USED-WEIGHT-1M`` lowers it further; a 429/418 ``Retry-After`` pauses it.
    :param rest_concurrency: most listen-key REST calls in flight at once.
    :param snapshot_weight: weight charged to the budget for one mirror snapshot
        (``/account`` 5 + ``/positionRisk`` 1 + ``/openOrders`` 40).
    :param keepalive_share: the most of ``weight_per_minute`` the accounts' keepalives may use
        (0.25: 300 weight/min by default). Each account's keepalive interval starts at
        ``stream.keepalive_interval`` (5 min: a key deleted by another client is noticed
        within it) and stretches with the number of accounts to stay inside this share, up
        to ``max_keepalive_interval``: 5 min up to 1,500 accounts, 30 min from 9,000.
    :param max_keepalive_interval: the longest keepalive interval (30 min; a key lives 60 min
        after its last keepalive, and the first keepalive after a creation may come
        1.25 intervals later).
    :param trades_weight: weight charged for one ``/userTrades`` page of a mirror's fill
        recovery after a gap (20 with a symbol).
    :param dedup_size: recent event identities remembered per account (duplicates dropped).
    :param max_queue: most undelivered messages held for the consumer across all accounts;
        when reached the pool stops reading every socket until the consumer catches up.
    :param stream: per-account and per-connection timings: keepalive interval and retries,
        key lifetime, pings, open timeout, rotation, backoff, ``delete_listen_key_on_close``,
        ``close_timeout`` (a :class:`~binance.derivatives.cmfutures.StreamOptions`).
    :raises ValueError: for an out-of-range value (the message names the option).
    """

    keys_per_connection: int = 50
    messages_per_second: int = 5
    keys_per_subscribe: int = 10
    connections_per_window: int = 300
    connection_window: float = 300.0
    connections_per_second: int = 5
    weight_per_minute: int = 1200
    rest_concurrency: int = 16
    snapshot_weight: int = 46
    trades_weight: int = 20
    keepalive_share: float = 0.25
    max_keepalive_interval: float = 1800.0
    dedup_size: int = 1000
    max_queue: int = 100_000
    stream: StreamOptions = field(default_factory=StreamOptions)

    def __post_init__(self) -> None:
        _int_range("keys_per_connection", self.keys_per_connection, 1, MAX_KEYS_PER_CONNECTION)
        _int_range("messages_per_second", self.messages_per_second, 1, MAX_INCOMING_PER_SECOND - 1)
        _int_range("keys_per_subscribe", self.keys_per_subscribe, 1, MAX_KEYS_PER_CONNECTION)
        for name in (
            "connections_per_window",
            "connections_per_second",
            "weight_per_minute",
            "rest_concurrency",
            "snapshot_weight",
            "trades_weight",
            "dedup_size",
            "max_queue",
        ):
            _int_range(name, getattr(self, name), 1, None)
        window = self.connection_window
        if not isinstance(window, (int, float)) or not math.isfinite(window) or window <= 0:
            raise ValueError(f"PoolOptions.connection_window must be positive, got {window!r}")
        if self.snapshot_weight > self.weight_per_minute:
            raise ValueError(
                f"PoolOptions.snapshot_weight ({self.snapshot_weight}) exceeds "
                f"weight_per_minute ({self.weight_per_minute}): snapshots could never run"
            )
        share = self.keepalive_share
        if not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise ValueError(
                f"PoolOptions.keepalive_share must be in (0, 1] (a share of "
                f"weight_per_minute), got {share!r}"
            )
        cap = self.max_keepalive_interval
        if not isinstance(cap, (int, float)) or not math.isfinite(cap) or cap <= 0:
            raise ValueError(
                f"PoolOptions.max_keepalive_interval must be positive seconds, got {cap!r}"
            )
        if not isinstance(self.stream, StreamOptions):
            raise ValueError(f"PoolOptions.stream must be a StreamOptions, got {self.stream!r}")

    def replace(self, **changes: Any) -> PoolOptions:
        """A copy with ``changes`` applied.

        :raises TypeError: for a name that is not an option.
        """
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(
                f"unknown pool option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}"
            )
        return dataclasses.replace(self, **changes)


def _int_range(name: str, value: Any, low: int, high: int | None) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"PoolOptions.{name} must be an integer {bound}, got {value!r}")
