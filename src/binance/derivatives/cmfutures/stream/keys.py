"""The listen-key machine: one account's listen key, sans-I/O (inputs + time -> outputs).

:class:`ListenKeyMachine` creates the key, keeps it alive, recovers it, and says when it is
lost or replaced; it knows nothing about connections. Its owner (the pool core) executes the
REST requests it asks for (:class:`KeyRequest`), whenever its weight budget allows, and feeds
back the answers. States (:class:`KeyState`):

``NEW`` -> ``start()`` -> ``CREATING`` (POST in flight) -> ``ACTIVE`` (key usable, keepalives
scheduled) -> ... ; a failed POST waits in ``RETRY_WAIT`` (backoff, ``Retry-After``);
a final failure (:func:`~.fatal.is_fatal`) ends in ``FAILED``; ``close()`` ends in ``CLOSED``.

Rules:

* Keepalives are *phase-aligned*: the machine has a ``phase`` in ``[0, interval)`` and
  keepalives fall on ``phase + k * interval``. Owners give accounts evenly spread phases, so N
  accounts send N keepalives evenly over each interval instead of in the same second. The first
  keepalive after a create is the first aligned time at least ``interval / 4`` later, so the
  longest stretch between two confirmations is ``1.25 * interval`` (37.5 min by default),
  well inside the 60-minute lifetime. ``phase=None`` (a single stream: nothing to spread)
  schedules each keepalive ``interval`` after the last confirmation instead.
* :meth:`ListenKeyMachine.check_now` asks for a keepalive at once (an owner whose handshakes
  keep failing uses it to find a deleted key now rather than at the next scheduled keepalive).
* A failed keepalive is retried after ``keepalive_retry_delays`` (or ``Retry-After``).
* -1125 on keepalive, or ``listenKeyExpired`` for the current key: the key is *lost*
  (:class:`KeyLost`), then a new one is created (:class:`KeyReady` with ``old`` set).
* Keepalives failing for ``listen_key_lifetime``: the key is presumed expired and a POST
  decides: the same key back means nothing was lost; a new key is a loss and a renewal.
"""

from __future__ import annotations

import enum
import logging
import math
import random
from dataclasses import dataclass
from typing import Union

from .actions import RestError, mask_key
from .backoff import Backoff
from .fatal import is_fatal_error
from .options import StreamOptions

__all__ = [
    "INVALID_LISTEN_KEY",
    "KeepaliveInterval",
    "KeyFailed",
    "KeyLost",
    "KeyOutput",
    "KeyReady",
    "KeyRequest",
    "KeyState",
    "ListenKeyMachine",
]

logger = logging.getLogger("binance.derivatives.cmfutures.stream")

INVALID_LISTEN_KEY = -1125


class KeyState(enum.Enum):
    """Lifecycle of a :class:`ListenKeyMachine`."""

    NEW = "new"
    CREATING = "creating"
    RETRY_WAIT = "retry_wait"
    ACTIVE = "active"
    FAILED = "failed"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class KeyRequest:
    """Run a listen-key REST call: ``kind`` is ``"create"`` (POST), ``"keepalive"`` (PUT) or
    ``"delete"`` (DELETE). Answer create/keepalive with the matching ``*_ok``/``*_failed``."""

    kind: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class KeyReady:
    """``key`` is usable. ``old`` is the key it replaces (None on the first creation);
    ``since``: events after this time on ``old`` may be lost."""

    key: str
    old: str | None
    reason: str
    since: float


@dataclass(frozen=True, slots=True)
class KeyLost:
    """The current key is invalid: stop using it. Events since ``since`` may be lost."""

    key: str
    reason: str
    since: float


@dataclass(frozen=True, slots=True)
class KeyFailed:
    """The account cannot have a key (the API key is rejected): it stops for good."""

    error: RestError
    reason: str


KeyOutput = Union[KeyRequest, KeyReady, KeyLost, KeyFailed]  # noqa: UP007


class KeepaliveInterval:
    """A keepalive interval in seconds that several machines may share: their owner changes
    it once for all (the pool stretches it with the number of accounts)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class ListenKeyMachine:
    """One account's listen key. Every input takes ``now`` and returns outputs, in order.

    :param options: the timings (``keepalive_interval``, ``keepalive_retry_delays``,
        ``listen_key_lifetime``, backoff) of :class:`~.options.StreamOptions`.
    :param phase: where in each keepalive interval this account's keepalives fall, seconds in
        ``[0, keepalive_interval)``; None: ``keepalive_interval`` after each confirmation.
    :param rng: random source of the creation backoff jitter.
    :param interval: the keepalive interval, shared with other machines (default: this
        machine's own, ``keepalive_interval``). A change applies from the next confirmation.
    """

    __slots__ = (
        "_backoff",
        "_confirmed_at",
        "_create_at",
        "_dead",
        "_interval",
        "_keepalive_at",
        "_keepalive_in_flight",
        "_opts",
        "_phase",
        "_reason",
        "_valid_until",
        "failures",
        "key",
        "last_ok",
        "state",
        "total_failures",
    )

    def __init__(
        self,
        options: StreamOptions,
        phase: float | None = 0.0,
        rng: random.Random | None = None,
        interval: KeepaliveInterval | None = None,
    ) -> None:
        self._opts = options
        self._interval = (
            interval if interval is not None else KeepaliveInterval(options.keepalive_interval)
        )
        # Where in each interval the keepalives fall, as a fraction (it scales with interval).
        base = options.keepalive_interval
        self._phase = None if phase is None else (phase % base) / base
        self._backoff = Backoff(
            options.backoff_initial, options.backoff_factor, options.backoff_max, rng
        )
        self.state = KeyState.NEW
        self.key: str | None = None
        self._dead = False
        self._confirmed_at = 0.0
        self._valid_until: float | None = None
        self._keepalive_at: float | None = None
        self._keepalive_in_flight = False
        self._create_at: float | None = None
        self._reason = "start"
        self.last_ok: float | None = None
        self.failures = 0
        self.total_failures = 0

    # ------------------------------------------------------------------ observers

    @property
    def usable(self) -> bool:
        """A key exists and is not known to be invalid (connections may use it)."""
        return self.key is not None and not self._dead and self.state in (
            KeyState.ACTIVE,
            KeyState.CREATING,
            KeyState.RETRY_WAIT,
        )

    @property
    def interval(self) -> float:
        """The keepalive interval now (seconds)."""
        return self._interval.seconds

    @property
    def keepalive_due(self) -> float | None:
        return self._keepalive_at

    @property
    def keepalive_in_flight(self) -> bool:
        return self._keepalive_in_flight

    @property
    def dead(self) -> bool:
        """The current key is known invalid (a new one is being created)."""
        return self._dead

    @property
    def confirmed_at(self) -> float:
        """The last time the key was known good (events after it may be lost with it)."""
        return self._confirmed_at

    def next_deadline(self) -> float | None:
        """When :meth:`tick` must next be called, or None."""
        if self.state is KeyState.RETRY_WAIT:
            return self._create_at
        if self.state is not KeyState.ACTIVE:
            return None
        times = [t for t in (self._keepalive_at, self._valid_until) if t is not None]
        if self._keepalive_in_flight and self._keepalive_at is not None:
            times.remove(self._keepalive_at)
        return min(times) if times else None

    # ------------------------------------------------------------------ inputs

    def start(self, now: float) -> list[KeyOutput]:
        if self.state is not KeyState.NEW:
            raise RuntimeError(f"ListenKeyMachine.start() in state {self.state.value}")
        return self._create("start")

    def tick(self, now: float) -> list[KeyOutput]:
        """Run what is due at ``now``."""
        out: list[KeyOutput] = []
        if self.state is KeyState.RETRY_WAIT:
            if self._create_at is not None and now >= self._create_at:
                out += self._create(self._reason)
            return out
        if self.state is not KeyState.ACTIVE:
            return out
        if self._valid_until is not None and now >= self._valid_until:
            logger.warning(
                "listen key %s not kept alive for %.0fs: presumed expired, asking again",
                mask_key(self.key),
                self._opts.listen_key_lifetime,
            )
            self._valid_until = None
            return self._create("listen key presumed expired (keepalive failing)")
        if (
            self._keepalive_at is not None
            and now >= self._keepalive_at
            and not self._keepalive_in_flight
        ):
            self._keepalive_in_flight = True
            out.append(KeyRequest("keepalive"))
        return out

    def create_ok(self, key: str, now: float) -> list[KeyOutput]:
        """POST answered ``key``."""
        if self.state is not KeyState.CREATING:
            return []
        if not isinstance(key, str) or not key:
            return self.create_failed(
                RestError(status=200, message=f"no listen key in the answer: {key!r}"), now
            )
        self._backoff.reset()
        old, was_dead, since = self.key, self._dead, self._confirmed_at
        self.key, self._dead = key, False
        self.state = KeyState.ACTIVE
        self._confirm(now)
        if old == key and not was_dead:
            logger.info("listen key %s still alive (create returned it again)", mask_key(key))
            return []
        if old is not None:
            logger.warning(
                "listen key %s replaced by %s (%s)", mask_key(old), mask_key(key), self._reason
            )
        return [KeyReady(key, old, self._reason, since if old is not None else now)]

    def create_failed(self, error: RestError, now: float) -> list[KeyOutput]:
        """POST failed."""
        if self.state is not KeyState.CREATING:
            return []
        if is_fatal_error(error):
            return self._fail(error, f"listen key creation rejected: {describe(error)}")
        delay = max(self._backoff.next_delay(), error.retry_after or 0.0)
        self.state = KeyState.RETRY_WAIT
        self._create_at = now + delay
        logger.warning("listen key creation failed (%s); retrying in %.1fs", describe(error), delay)
        return []

    def keepalive_ok(self, now: float) -> list[KeyOutput]:
        """PUT succeeded."""
        self._keepalive_in_flight = False
        if self.state is KeyState.ACTIVE:
            self._confirm(now)
        return []

    def keepalive_failed(self, error: RestError, now: float) -> list[KeyOutput]:
        """PUT failed."""
        self._keepalive_in_flight = False
        if self.state is not KeyState.ACTIVE:
            return []
        if error.code == INVALID_LISTEN_KEY:
            return self.invalidate(
                "listen key no longer exists (-1125 on keepalive)", self._confirmed_at, now
            )
        if is_fatal_error(error):
            return self._fail(error, f"listen key keepalive rejected: {describe(error)}")
        self.failures += 1
        self.total_failures += 1
        delays = self._opts.keepalive_retry_delays
        delay = delays[min(self.failures, len(delays)) - 1]
        if error.retry_after is not None:
            delay = max(delay, error.retry_after)
        self._keepalive_at = now + delay
        logger.warning(
            "listen key keepalive failed (%s), %d in a row; retrying in %.0fs",
            describe(error),
            self.failures,
            delay,
        )
        return []

    def note_alive(self, at: float) -> None:
        """An event arrived on the current key, sent at ``at``: the key was good until then."""
        if at > self._confirmed_at:
            self._confirmed_at = at

    def check_now(self, now: float) -> bool:
        """Ask for a keepalive at the next :meth:`tick` (it finds a deleted key: -1125).
        False when there is nothing to check or a keepalive is already in flight."""
        if self.state is not KeyState.ACTIVE or self._dead or self._keepalive_in_flight:
            return False
        self._keepalive_at = now
        return True

    def invalidate(self, reason: str, since: float, now: float) -> list[KeyOutput]:
        """The current key is known dead (``listenKeyExpired``, -1125): lose it, create anew."""
        if not self.usable or self.key is None:
            return []
        logger.warning("listen key %s unusable: %s", mask_key(self.key), reason)
        self._dead = True
        out: list[KeyOutput] = [KeyLost(self.key, reason, since)]
        if self.state is KeyState.CREATING:
            self._reason = reason  # the POST in flight brings the new key
            return out
        return out + self._create(reason)

    def close(self, now: float, delete: bool) -> list[KeyOutput]:
        """Stop; ask to DELETE the key when ``delete`` and it is (maybe) alive or being
        created."""
        if self.state in (KeyState.CLOSED, KeyState.FAILED):
            self.state = KeyState.CLOSED
            return []
        # A POST in flight brings a key: delete that one too (the DELETE follows the POST).
        alive = (self.key is not None and not self._dead) or self.state is KeyState.CREATING
        self.state = KeyState.CLOSED
        self._keepalive_at = self._valid_until = self._create_at = None
        return [KeyRequest("delete", "closed")] if delete and alive else []

    # ------------------------------------------------------------------ internals

    def _create(self, reason: str) -> list[KeyOutput]:
        self.state = KeyState.CREATING
        self._reason = reason
        self._create_at = None
        return [KeyRequest("create", reason)]

    def _confirm(self, now: float) -> None:
        opts = self._opts
        self._confirmed_at = now
        self._valid_until = now + opts.listen_key_lifetime
        interval = self.interval
        if self._phase is None:
            self._keepalive_at = now + interval
        else:
            earliest = now + interval / 4
            phase = self._phase * interval
            k = math.ceil((earliest - phase) / interval)
            self._keepalive_at = phase + k * interval
        self.last_ok = now
        self.failures = 0

    def _fail(self, error: RestError, reason: str) -> list[KeyOutput]:
        logger.error("listen key: %s", reason)
        self.state = KeyState.FAILED
        self._keepalive_at = self._valid_until = self._create_at = None
        return [KeyFailed(error, reason)]


def describe(error: RestError) -> str:
    """A REST failure in a few words (never contains secrets)."""
    parts = [f"HTTP {error.status}" if error.status else "network error"]
    if error.code is not None:
        parts.append(f"code {error.code}")
    if error.message:
        parts.append(error.message)
    return ", ".join(parts)
