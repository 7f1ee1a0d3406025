"""The mirror's resync policy: when to resync, when to retry, when to give up. No I/O, no clock.

:class:`ResyncPolicy` decides; :class:`~.aio.AccountMirror` only carries its decisions out (it
owns the tasks, the sleeps and the REST calls). Inputs are the stream's control events, the
results and errors of snapshot and ``userTrades`` calls, audit ticks and the current time (a
number passed in); outputs are actions (:class:`Publish`, :class:`StartResync`,
:class:`ScheduleRetry`, :class:`Fail`, :class:`AbandonRecovery`) and the :class:`ResyncPhase`.
It drives the :class:`~.core.MirrorState` (the merge itself), which is sans-I/O too.

The rules:

* **Disconnect vs gap.** ``StreamDisconnected`` resyncs (stale) only when no connection is left
  live: a rotation closes the old connection only after the new one is live, so nothing was
  missed. ``StreamGap`` always begins a resync (stale); the snapshot loop restarts unless an
  attempt that started after the gap is in flight (it covers the gap already).
* **Retries.** A failing snapshot is retried after :func:`~.options.retry_delay` (exponential
  with jitter from ``_backoff.exponential_bound``: never overflows, whatever the number of
  failures; a longer ``Retry-After`` is honoured). The count restarts with every new snapshot
  loop (a gap, a disconnect, or a resync requested while none was running).
* **Fatal.** One rule for the stream and the mirror: :func:`~..stream.fatal.is_fatal_exception`
  (401/403, -2014/-2015/-1002). A fatal snapshot or ``userTrades`` error fails the mirror.
  A ``userTrades`` call refused with another 4xx (not 418/429) abandons the fill recovery.
* **Audits.** With ``MirrorOptions.resync_interval`` set, each tick (every interval) begins an
  audit (not stale) unless a resync finished less than an interval ago or one is pending.
* **Fill recovery** runs after each successful snapshot, as :class:`~.core.MirrorState` plans
  it; each failed query is retried with its own backoff count (reset by every answer). A
  resync asked for meanwhile (manual or audit) is taken once the recovery ends.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..events import ListenKeyRenewed, StreamConnected, StreamDisconnected, StreamGap
from ..stream.fatal import is_fatal_exception
from .core import MirrorState, Snapshot
from .options import MirrorOptions, retry_delay
from .recovery import FillRecoveryPlan, TradeQuery
from .views import MirrorChange, ResyncReport

__all__ = [
    "CONTROL_EVENTS",
    "AbandonRecovery",
    "Action",
    "Fail",
    "Merged",
    "Publish",
    "ResyncPhase",
    "ResyncPolicy",
    "ScheduleRetry",
    "StartResync",
    "is_refusal",
    "retry_after_of",
]

CONTROL_EVENTS = (StreamConnected, StreamDisconnected, StreamGap, ListenKeyRenewed)
"""Stream messages handled by :meth:`ResyncPolicy.on_control` (the rest go to the state)."""


class ResyncPhase(enum.Enum):
    """Where the snapshot loop is."""

    IDLE = "idle"  # no loop running (no resync pending, or one the loop will not take)
    WAITING = "waiting"  # a loop runs: waiting for a live connection before the next attempt
    SNAPSHOT = "snapshot"  # a snapshot attempt is in flight
    BACKOFF = "backoff"  # the last attempt failed; waiting to retry
    RECOVERING = "recovering"  # snapshot merged; recovering missed fills
    FAILED = "failed"  # a fatal error: the mirror failed (terminal)


@dataclass(frozen=True)
class Publish:
    """Publish these changes (may be empty: the view may still have changed)."""

    changes: list[MirrorChange]


@dataclass(frozen=True)
class StartResync:
    """Make sure a snapshot loop runs; ``restart``: cancel a running one and start anew."""

    restart: bool


@dataclass(frozen=True)
class ScheduleRetry:
    """Wait ``delay`` seconds (until ``at``) then try again; ``attempt`` failures so far.
    ``changes``: to publish first (a failed snapshot marks the mirror stale)."""

    delay: float
    at: float
    attempt: int
    changes: list[MirrorChange] = field(default_factory=list)


@dataclass(frozen=True)
class Fail:
    """Fail the mirror with ``error`` (terminal)."""

    error: BaseException


@dataclass(frozen=True)
class AbandonRecovery:
    """The fill recovery was given up (``status``: the HTTP status that refused it)."""

    status: int


@dataclass(frozen=True)
class Merged:
    """A snapshot was merged: publish ``changes``, journal it, answer waiters with ``report``."""

    changes: list[MirrorChange]
    report: ResyncReport | None


DelayRule = Callable[[MirrorOptions, int, "float | None", random.Random], float]
"""``(options, failures, retry_after, rng) -> seconds``: :func:`~.options.retry_delay`."""

Action = Publish | StartResync | ScheduleRetry | Fail | AbandonRecovery | Merged


def retry_after_of(exc: BaseException) -> float | None:
    """The ``Retry-After`` (seconds) an exception carries, if any."""
    value = getattr(exc, "retry_after", None)
    return float(value) if isinstance(value, (int, float)) else None


def is_refusal(exc: BaseException) -> int | None:
    """The status of a non-fatal 4xx other than 418/429 (retrying the same request cannot
    help), else None."""
    status = getattr(exc, "status", None)
    if isinstance(status, int) and 400 <= status < 500 and status not in (418, 429):
        return status
    return None


class ResyncPolicy:
    """Every decision of the mirror's resync, as a sans-I/O machine over a :class:`MirrorState`.

    :param state: the state it drives (the driver may replace it, see :attr:`state`).
    :param options: retry pace and audit interval.
    :param rng: the random source of retry jitter.
    :param delay_rule: the retry delay after n consecutive failures (default
        :func:`~.options.retry_delay`).
    """

    def __init__(
        self,
        state: MirrorState,
        options: MirrorOptions,
        rng: random.Random | None = None,
        *,
        delay_rule: DelayRule = retry_delay,
    ) -> None:
        self.state = state
        self._options = options
        self._rng = rng if rng is not None else random.Random()
        self._delay_rule = delay_rule
        self._live: set[int] = set()
        self._phase = ResyncPhase.IDLE
        self._failures = 0
        self._trade_failures = 0

    # ------------------------------------------------------------------ read-outs

    @property
    def phase(self) -> ResyncPhase:
        return self._phase

    @property
    def connected(self) -> bool:
        """True while at least one stream connection is live (snapshots wait for it)."""
        return bool(self._live)

    @property
    def failures(self) -> int:
        """Consecutive failed snapshot attempts of the current loop."""
        return self._failures

    @property
    def audit_interval(self) -> float | None:
        """Seconds between audit ticks, or None: no audits."""
        return self._options.resync_interval

    # ------------------------------------------------------------------ inputs: triggers

    def start(self, now: float, *, resumed: bool = False) -> list[Action]:
        """The mirror started: the initial resync (stale only if resumed from a journal, whose
        state is otherwise already marked stale)."""
        changes = self.state.begin_resync("initial", now, stale=resumed)
        return [Publish(changes), self._start(restart=False)]

    def on_control(self, message: Any, now: float) -> list[Action]:
        """A stream control event (one of :data:`CONTROL_EVENTS`)."""
        if isinstance(message, StreamConnected):
            self._live.add(message.connection_id)
            return []
        if isinstance(message, StreamDisconnected):
            self._live.discard(message.connection_id)
            if self._live:
                return []
            changes = self.state.begin_resync(
                f"disconnected: {message.reason}", now, stale=True, cause=message
            )
            return [Publish(changes), self._start(restart=True)]
        if isinstance(message, StreamGap):
            started = self.state.attempt_started_at
            changes = self.state.begin_resync(
                f"gap: {message.reason}", now, stale=True, cause=message,
                missed_until=message.until,
            )
            actions: list[Action] = [Publish(changes)]
            if started is None or self.state.attempt_started_at is None:
                actions.append(self._start(restart=True))
            return actions
        return []  # ListenKeyRenewed: nothing to do

    def on_manual(self, now: float) -> list[Action]:
        """``AccountMirror.resync()``: an audit the caller asked for (not stale)."""
        return [Publish(self.state.begin_resync("manual", now, stale=False)),
                self._start(restart=False)]

    def on_audit_tick(self, now: float) -> list[Action]:
        """An audit interval elapsed: begin an audit unless a resync is recent or pending."""
        interval = self._options.resync_interval
        if interval is None or self._phase is ResyncPhase.FAILED:
            return []
        last = self.state.last_resync
        if last is not None and now - last.finished_at < interval:
            return []
        if self.state.resync_pending:
            return []
        return [Publish(self.state.begin_resync("audit", now, stale=False)),
                self._start(restart=False)]

    def _start(self, *, restart: bool) -> StartResync:
        if self._phase is ResyncPhase.FAILED:
            return StartResync(restart=restart)
        if restart or self._phase is ResyncPhase.IDLE:
            # A new loop: its failure count starts again.
            self._phase = ResyncPhase.WAITING
            self._failures = 0
        return StartResync(restart=restart)

    # ------------------------------------------------------------------ inputs: snapshots

    def snapshot_started(self, now: float) -> None:
        """An attempt starts now (the driver waited for :attr:`connected`)."""
        self.state.begin_attempt(now)
        self._phase = ResyncPhase.SNAPSHOT

    def snapshot_failed(self, exc: BaseException, now: float) -> Fail | ScheduleRetry:
        """The attempt raised ``exc``: fail (fatal) or retry after a backoff delay."""
        if is_fatal_exception(exc):
            return self._fail(exc)
        self._failures += 1
        delay = self._delay_rule(self._options, self._failures, retry_after_of(exc), self._rng)
        changes = self.state.fail_attempt(exc, now)
        self._phase = ResyncPhase.BACKOFF
        return ScheduleRetry(delay=delay, at=now + delay, attempt=self._failures,
                             changes=changes)

    def retry_due(self) -> None:
        """The retry delay elapsed: the loop waits for a connection again."""
        if self._phase is ResyncPhase.BACKOFF:
            self._phase = ResyncPhase.WAITING

    def snapshot_succeeded(self, snapshot: Snapshot, now: float) -> Merged | None:
        """The attempt returned ``snapshot``. None: a gap voided the attempt meanwhile (take
        another); else it was merged and fill recovery follows."""
        if not self.state.attempt_active:
            self._phase = ResyncPhase.WAITING
            return None
        changes = self.state.finish_resync(snapshot, now)
        self._phase = ResyncPhase.RECOVERING
        self._trade_failures = 0
        return Merged(changes, self.state.last_resync)

    # ------------------------------------------------------------------ inputs: fills

    def next_trade_query(self) -> TradeQuery | None:
        """The next ``userTrades`` call of the fill recovery; None: the recovery is over
        (the loop ends, see :meth:`recovery_finished`)."""
        query = self.state.next_trade_query()
        if query is None:
            self.recovery_finished()
        return query

    def trades_answered(self, query: TradeQuery, rows: Sequence[Any], now: float) -> Publish:
        self._trade_failures = 0
        return Publish(self.state.recover_fills(query, rows, now))

    def trades_failed(
        self, exc: BaseException, now: float
    ) -> Fail | AbandonRecovery | ScheduleRetry:
        """A ``userTrades`` call raised ``exc``: fail (fatal), abandon (refused) or retry."""
        if is_fatal_exception(exc):
            return self._fail(exc)
        status = is_refusal(exc)
        if status is not None:
            self.state.abandon_recovery()
            self.recovery_finished()
            return AbandonRecovery(status)
        self._trade_failures += 1
        delay = self._delay_rule(
            self._options, self._trade_failures, retry_after_of(exc), self._rng
        )
        return ScheduleRetry(delay=delay, at=now + delay, attempt=self._trade_failures)

    def recovery_finished(self) -> FillRecoveryPlan | None:
        """The recovery is over; returns the last recovery plan (to log a truncated one).
        The loop ends (:attr:`phase` IDLE) unless a resync was asked for meanwhile (a manual
        resync or an audit, which a running loop does not restart for): then it goes on
        (:attr:`phase` WAITING) with a fresh failure count."""
        if self._phase is ResyncPhase.RECOVERING:
            if self.state.resync_pending:
                self._phase = ResyncPhase.WAITING
                self._failures = 0
            else:
                self._phase = ResyncPhase.IDLE
        return self.state.last_recovery

    # ------------------------------------------------------------------ failure

    def fail(self, error: BaseException) -> Fail:
        """The mirror failed for any reason (the driver's own errors included)."""
        return self._fail(error)

    def _fail(self, error: BaseException) -> Fail:
        self._phase = ResyncPhase.FAILED
        return Fail(error)
