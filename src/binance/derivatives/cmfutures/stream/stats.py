"""Counters of a managed stream, and the immutable :class:`StreamStats` snapshot."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from ..events import (
    AccountConfigUpdate,
    AccountUpdate,
    GridUpdate,
    ListenKeyExpired,
    MarginCall,
    OrderTradeUpdate,
    StrategyUpdate,
)

__all__ = ["EVENT_TYPE_NAMES", "KeepaliveStats", "LagStats", "StatsRecorder", "StreamStats"]

# The wire name (``e``) of each typed event, as counted in ``events_by_type``.
EVENT_TYPE_NAMES: dict[type, str] = {
    ListenKeyExpired: "listenKeyExpired",
    AccountUpdate: "ACCOUNT_UPDATE",
    MarginCall: "MARGIN_CALL",
    OrderTradeUpdate: "ORDER_TRADE_UPDATE",
    AccountConfigUpdate: "ACCOUNT_CONFIG_UPDATE",
    StrategyUpdate: "STRATEGY_UPDATE",
    GridUpdate: "GRID_UPDATE",
}

_LAG_WINDOW = 1024


@dataclass(frozen=True)
class LagStats:
    """Receive time minus the event's ``E``, in seconds (includes any clock offset).

    ``last``/``max``/``mean`` cover every event since the stream started; ``p50``/``p99``
    cover the last 1024 events. All are None before the first event with an ``E``.
    """

    count: int = 0
    last: float | None = None
    mean: float | None = None
    max: float | None = None
    p50: float | None = None
    p99: float | None = None


@dataclass(frozen=True)
class KeepaliveStats:
    """Listen-key keepalive state.

    :ivar last_ok: time of the last successful keepalive (or key creation), or None.
    :ivar failures: consecutive failed keepalives (0 when healthy).
    :ivar total_failures: failed keepalives since the stream started.
    :ivar next_due: when the next keepalive (or retry) is scheduled, or None.
    """

    last_ok: float | None = None
    failures: int = 0
    total_failures: int = 0
    next_due: float | None = None


@dataclass(frozen=True)
class StreamStats:
    """A snapshot of a stream's health. Times are epoch seconds of the stream's clock.

    :ivar events_by_type: delivered Binance events per ``e`` value (``UnknownEvent``\\ s under
        their own ``e``).
    :ivar events: total delivered Binance events.
    :ivar duplicates_dropped: events dropped because an identical one was already delivered.
    :ivar malformed_frames: frames that were not valid events (each reported as a gap).
    :ivar connects: connections opened (including rotations).
    :ivar reconnects: connections opened to replace a lost one (not rotations).
    :ivar rotations: planned connection replacements completed without a gap.
    :ivar disconnects: connections lost or closed (including rotated-out ones).
    :ivar gaps: StreamGap notices delivered.
    :ivar key_renewals: times the listen key was replaced.
    :ivar last_event_at: receive time of the last delivered Binance event.
    :ivar last_event_age: ``now - last_event_at``.
    :ivar connected: a connection is open and delivering.
    :ivar listen_key: the current key, masked (last 4 characters), or None.
    :ivar queued: events waiting for the consumer.
    :ivar backpressure_pauses: times reading stopped because the queue was full.
    """

    events_by_type: dict[str, int] = field(default_factory=dict)
    events: int = 0
    duplicates_dropped: int = 0
    malformed_frames: int = 0
    connects: int = 0
    reconnects: int = 0
    rotations: int = 0
    disconnects: int = 0
    gaps: int = 0
    key_renewals: int = 0
    last_event_at: float | None = None
    last_event_age: float | None = None
    connected: bool = False
    listen_key: str | None = None
    keepalive: KeepaliveStats = field(default_factory=KeepaliveStats)
    lag: LagStats = field(default_factory=LagStats)
    queued: int = 0
    backpressure_pauses: int = 0


class StatsRecorder:
    """The mutable counters behind :class:`StreamStats`, updated by the core."""

    def __init__(self) -> None:
        self.events_by_type: Counter[str] = Counter()
        self.events = 0
        self.duplicates_dropped = 0
        self.malformed_frames = 0
        self.connects = 0
        self.reconnects = 0
        self.rotations = 0
        self.disconnects = 0
        self.gaps = 0
        self.key_renewals = 0
        self.last_event_at: float | None = None
        self.backpressure_pauses = 0
        self._lag_count = 0
        self._lag_sum = 0.0
        self._lag_max: float | None = None
        self._lag_last: float | None = None
        self._lag_window: deque[float] = deque(maxlen=_LAG_WINDOW)

    def record_event(self, event_type: str, received_at: float, event_time_ms: int | None) -> None:
        self.events_by_type[event_type] += 1
        self.events += 1
        self.last_event_at = received_at
        if event_time_ms is not None:
            lag = received_at - event_time_ms / 1000.0
            self._lag_count += 1
            self._lag_sum += lag
            self._lag_last = lag
            if self._lag_max is None or lag > self._lag_max:
                self._lag_max = lag
            self._lag_window.append(lag)

    def lag(self) -> LagStats:
        if not self._lag_count:
            return LagStats()
        window = sorted(self._lag_window)
        return LagStats(
            count=self._lag_count,
            last=self._lag_last,
            mean=self._lag_sum / self._lag_count,
            max=self._lag_max,
            p50=_percentile(window, 0.50),
            p99=_percentile(window, 0.99),
        )


def _percentile(ordered: list[float], q: float) -> float:
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]
