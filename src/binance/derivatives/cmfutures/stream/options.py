"""Tunable timings and bounds of a managed user data stream.

Every number the stream waits for or bounds is here, with its default and why. All durations
are seconds of :class:`~binance.derivatives.cmfutures.clock.Clock` time.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["StreamOptions"]


@dataclass(frozen=True)
class StreamOptions:
    """Timings and bounds of :class:`~binance.derivatives.cmfutures.UserDataStream`.

    :param keepalive_interval: seconds between two successful listen-key keepalives
        (``PUT /dapi/v1/listenKey``). A key lives 60 minutes after its last keepalive; the
        default of 5 minutes is much shorter because the keepalive is also how the stream
        notices that the key was deleted behind its back: Binance has one key per account,
        shared by every program streaming it, and any of them may ``DELETE`` it. The answer
        is then -1125 and the stream takes a new key at once (a gap is announced), so such a
        loss is found within ``keepalive_interval``. One keepalive costs 1 request weight.
    :param keepalive_retry_delays: delays before retrying a failed keepalive, in order; the
        last one repeats. A ``Retry-After`` from a 429/418 answer is honoured if longer.
    :param listen_key_lifetime: how long Binance keeps a key alive after a create or a
        keepalive (60 minutes). When keepalives fail for that long, the key is presumed
        expired and the stream asks for a key again (``POST``), which either returns the same
        key (still alive: nothing was lost) or a new one (a reconnect with a gap).
    :param ping_interval: after this long without any inbound frame (data, ping or pong) on a
        connection, the stream sends a ping.
    :param ping_timeout: if still nothing arrives within this many seconds of that ping, the
        connection is declared dead (half-open), closed, and replaced.
    :param open_timeout: a connection attempt that has not completed its handshake after this
        long is abandoned and counts as a failed attempt.
    :param rotate_after: age at which a connection is replaced proactively, before Binance cuts
        it at 24 hours. The replacement is opened first, on the same key, so no event is missed.
    :param rotation_overlap: how long the old connection keeps delivering (duplicates dropped)
        after the replacement is open, before it is closed.
    :param backoff_initial: upper bound of the first reconnect (or key creation retry) delay.
    :param backoff_factor: growth factor of that bound per consecutive failure.
    :param backoff_max: cap of the bound. Each delay is drawn uniformly from ``[0, bound]``
        ("full jitter") so that many clients do not reconnect in lockstep.
    :param stable_after: a connection that stayed open this long resets the backoff.
    :param max_queue: the most undelivered events held for a slow consumer. When reached, the
        stream stops reading the socket (backpressure) until the consumer catches up; see
        ``docs/stream.md``. Control events are always queued and may exceed it by a few.
    :param dedup_size: how many recent event identities are remembered to drop duplicates.
    :param delete_listen_key_on_close: ``close()`` deletes the listen key. Off by default:
        Binance returns the same key to every client of an account, so deleting it blinds
        every other program streaming that account (they notice at their next keepalive). An
        unused key expires on its own 60 minutes after its last keepalive. Turn it on only
        when this stream is known to be the account's only consumer (``cmfutures listen-key
        close`` deletes a key explicitly).
    :param close_timeout: the longest ``close()`` waits for the key deletion and the sockets.
    :raises ValueError: if a value is out of range (the message names the option).
    """

    keepalive_interval: float = 5 * 60.0
    keepalive_retry_delays: tuple[float, ...] = (5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
    listen_key_lifetime: float = 60 * 60.0
    ping_interval: float = 60.0
    ping_timeout: float = 30.0
    open_timeout: float = 10.0
    rotate_after: float = 23 * 3600.0
    rotation_overlap: float = 5.0
    backoff_initial: float = 1.0
    backoff_factor: float = 2.0
    backoff_max: float = 60.0
    stable_after: float = 60.0
    max_queue: int = 10_000
    dedup_size: int = 10_000
    delete_listen_key_on_close: bool = False
    close_timeout: float = 10.0

    def __post_init__(self) -> None:
        positive = (
            "keepalive_interval",
            "listen_key_lifetime",
            "ping_interval",
            "ping_timeout",
            "open_timeout",
            "rotate_after",
            "backoff_initial",
            "close_timeout",
        )
        for name in positive:
            value = getattr(self, name)
            if not _finite(value) or value <= 0:
                raise ValueError(f"StreamOptions.{name} must be a positive number, got {value!r}")
        for name in ("rotation_overlap", "stable_after"):
            value = getattr(self, name)
            if not _finite(value) or value < 0:
                raise ValueError(f"StreamOptions.{name} must be >= 0, got {value!r}")
        if not _finite(self.backoff_factor) or self.backoff_factor < 1:
            raise ValueError(
                f"StreamOptions.backoff_factor must be >= 1, got {self.backoff_factor!r}"
            )
        if not _finite(self.backoff_max) or self.backoff_max < self.backoff_initial:
            raise ValueError(
                "StreamOptions.backoff_max must be >= backoff_initial, "
                f"got {self.backoff_max!r} < {self.backoff_initial!r}"
            )
        delays = tuple(self.keepalive_retry_delays)
        if not delays or any(not _finite(d) or d <= 0 for d in delays):
            raise ValueError(
                "StreamOptions.keepalive_retry_delays must be a non-empty sequence of positive "
                f"numbers, got {self.keepalive_retry_delays!r}"
            )
        object.__setattr__(self, "keepalive_retry_delays", delays)
        if self.keepalive_interval >= self.listen_key_lifetime:
            raise ValueError(
                "StreamOptions.keepalive_interval must be shorter than listen_key_lifetime "
                f"({self.keepalive_interval!r} >= {self.listen_key_lifetime!r}), or the key "
                "expires between two keepalives"
            )
        for name in ("max_queue", "dedup_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"StreamOptions.{name} must be an integer >= 1, got {value!r}")

    def replace(self, **changes: Any) -> StreamOptions:
        """A copy with ``changes`` applied.

        :raises TypeError: for a name that is not an option (the message lists them).
        """
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(
                f"unknown stream option(s) {', '.join(unknown)}; "
                f"valid options: {', '.join(sorted(known))}"
            )
        return dataclasses.replace(self, **changes)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
