"""Issue 11: the mirror's resync policy as a sans-I/O core (mirror/policy.py). No event loop:
each test feeds control events, snapshot results/errors and times, and checks the actions."""

from __future__ import annotations

import random
from typing import Any

import pytest

from binance.derivatives.cmfutures.events import (
    ListenKeyRenewed,
    StreamConnected,
    StreamDisconnected,
    StreamGap,
)
from binance.derivatives.cmfutures.mirror.core import MirrorState, Snapshot
from binance.derivatives.cmfutures.mirror.options import MirrorOptions
from binance.derivatives.cmfutures.mirror.policy import (
    AbandonRecovery,
    Fail,
    Merged,
    Publish,
    ResyncPhase,
    ResyncPolicy,
    ScheduleRetry,
    StartResync,
)
from binance.derivatives.cmfutures.mirror.recovery import TradeQuery
from binance.derivatives.cmfutures.stream.fatal import FATAL_CODES, FATAL_STATUSES

from .mirror_factories import SYM, rest_order

BOOK = Snapshot(orders=(rest_order(1),))


class ApiError(Exception):
    def __init__(self, status: int | None = None, code: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code, self.retry_after = status, code, retry_after


def make(**options: Any) -> ResyncPolicy:
    opts = MirrorOptions(retry_jitter=0, **options)
    return ResyncPolicy(MirrorState(), opts, random.Random(1))


def starts(actions: list[Any]) -> list[bool]:
    return [a.restart for a in actions if isinstance(a, StartResync)]


def connected(cid: int = 1) -> StreamConnected:
    return StreamConnected(at=0.0, url="wss://x", connection_id=cid)


def disconnected(cid: int = 1) -> StreamDisconnected:
    return StreamDisconnected(at=0.0, reason="closed", connection_id=cid)


def gap(since: float, until: float) -> StreamGap:
    return StreamGap(since=since, until=until, reason="reconnect")


def live(policy: ResyncPolicy, now: float = 0.0) -> None:
    """Start, connect and take the first snapshot (no fill recovery: no gap yet)."""
    assert starts(policy.start(now)) == [False]
    policy.on_control(connected(), now)
    policy.snapshot_started(now)
    assert isinstance(policy.snapshot_succeeded(BOOK, now), Merged)
    assert policy.next_trade_query() is None
    assert policy.phase is ResyncPhase.IDLE


def test_start_waits_for_a_connection_then_snapshots_and_merges() -> None:
    policy = make()
    assert policy.phase is ResyncPhase.IDLE and not policy.connected
    actions = policy.start(0.0)
    assert isinstance(actions[0], Publish) and starts(actions) == [False]
    assert policy.phase is ResyncPhase.WAITING
    assert policy.on_control(connected(), 1.0) == [] and policy.connected
    policy.snapshot_started(1.0)
    assert policy.phase is ResyncPhase.SNAPSHOT
    merged = policy.snapshot_succeeded(BOOK, 2.0)
    assert isinstance(merged, Merged) and merged.report is not None
    assert merged.report.reason == "initial" and not policy.state.stale
    assert policy.phase is ResyncPhase.RECOVERING
    assert policy.next_trade_query() is None and policy.phase is ResyncPhase.IDLE


def test_resumed_start_marks_stale() -> None:
    policy = make()
    live(policy)  # a state that is not stale, as one rebuilt from a journal
    policy.state.last_resync = None
    actions = policy.start(1.0, resumed=True)
    assert isinstance(actions[0], Publish) and policy.state.stale


def test_a_disconnect_resyncs_only_when_no_connection_is_left() -> None:
    policy = make()
    live(policy)
    policy.on_control(connected(2), 5.0)  # a rotation: the new connection is live first
    assert policy.on_control(disconnected(1), 5.0) == []  # nothing was missed
    assert policy.connected and not policy.state.stale and policy.phase is ResyncPhase.IDLE
    actions = policy.on_control(disconnected(2), 6.0)
    assert starts(actions) == [True] and not policy.connected
    assert policy.state.stale and policy.state.resync_pending
    assert policy.phase is ResyncPhase.WAITING


def test_a_gap_restarts_the_loop_unless_an_attempt_after_it_is_in_flight() -> None:
    policy = make()
    live(policy)
    # No attempt running: restart.
    assert starts(policy.on_control(gap(10.0, 11.0), 11.0)) == [True]
    assert policy.state.stale
    # An attempt that started after the gap ended covers it: no restart.
    policy.snapshot_started(12.0)
    assert starts(policy.on_control(gap(10.5, 11.5), 12.5)) == []
    assert policy.phase is ResyncPhase.SNAPSHOT
    # A gap ending after the attempt started voids it: restart, and the result is discarded.
    assert starts(policy.on_control(gap(12.0, 13.0), 13.0)) == [True]
    assert policy.snapshot_succeeded(BOOK, 14.0) is None
    assert policy.phase is ResyncPhase.WAITING and policy.state.stale


def test_listen_key_renewal_changes_nothing() -> None:
    policy = make()
    live(policy)
    renewed = ListenKeyRenewed(at=1.0, old_key_tail="abcd", new_key_tail="efgh", reason="x")
    assert policy.on_control(renewed, 1.0) == []
    assert policy.phase is ResyncPhase.IDLE and not policy.state.stale


def test_retriable_failures_back_off_exponentially_honouring_retry_after() -> None:
    policy = make(retry_initial=1.0, retry_factor=2.0, retry_max=8.0)
    policy.start(0.0)
    policy.on_control(connected(), 0.0)
    delays = []
    for i in range(6):
        policy.snapshot_started(float(i))
        retry = policy.snapshot_failed(ApiError(503), float(i))
        assert isinstance(retry, ScheduleRetry) and retry.at == i + retry.delay
        assert retry.attempt == i + 1 and policy.phase is ResyncPhase.BACKOFF
        delays.append(retry.delay)
        policy.retry_due()
        assert policy.phase is ResyncPhase.WAITING
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert policy.state.stale
    policy.snapshot_started(10.0)
    retry = policy.snapshot_failed(ApiError(429, retry_after=60.0), 10.0)
    assert isinstance(retry, ScheduleRetry) and retry.delay == 60.0
    # A new loop (a gap) starts the count again.
    assert starts(policy.on_control(gap(10.0, 11.0), 11.0)) == [True]
    assert policy.failures == 0


def test_a_resync_requested_while_a_loop_runs_keeps_its_failure_count() -> None:
    policy = make(retry_initial=1.0, resync_interval=100.0)
    policy.start(0.0)
    policy.on_control(connected(), 0.0)
    policy.snapshot_started(0.0)
    policy.snapshot_failed(ApiError(500), 0.0)
    assert starts(policy.on_manual(1.0)) == [False]
    assert policy.failures == 1 and policy.phase is ResyncPhase.BACKOFF


@pytest.mark.parametrize(
    "error",
    [ApiError(status) for status in sorted(FATAL_STATUSES)]
    + [ApiError(400, code) for code in sorted(FATAL_CODES)],
)
def test_fatal_errors_fail_by_the_stream_rule(error: ApiError) -> None:
    policy = make()
    policy.start(0.0)
    policy.on_control(connected(), 0.0)
    policy.snapshot_started(0.0)
    assert policy.snapshot_failed(error, 0.0) == Fail(error)
    assert policy.phase is ResyncPhase.FAILED
    # Terminal: nothing restarts the loop.
    policy.on_control(gap(0.0, 1.0), 1.0)
    assert policy.phase is ResyncPhase.FAILED


@pytest.mark.parametrize("error", [ApiError(500), ApiError(429), ApiError(418),
                                   ApiError(400, -1125), ApiError(400), OSError("reset"),
                                   TimeoutError()])
def test_other_snapshot_errors_are_retried(error: Exception) -> None:
    policy = make()
    policy.start(0.0)
    policy.on_control(connected(), 0.0)
    policy.snapshot_started(0.0)
    assert isinstance(policy.snapshot_failed(error, 0.0), ScheduleRetry)


def test_backoff_never_overflows_after_thousands_of_failures() -> None:
    policy = ResyncPolicy(MirrorState(), MirrorOptions(retry_max=30.0), random.Random(7))
    policy.start(0.0)
    policy.on_control(connected(), 0.0)
    now = 0.0
    for _ in range(5_000):
        policy.snapshot_started(now)
        retry = policy.snapshot_failed(ApiError(503), now)
        assert isinstance(retry, ScheduleRetry) and 0.0 < retry.delay <= 30.0
        if retry.attempt > 7:  # 0.5 * 2**6 > 30: at the cap, jitter keeps half of it
            assert retry.delay >= 15.0
        now = retry.at
        policy.retry_due()
    assert policy.failures == 5_000 and policy.state.stale
    policy.snapshot_started(now)
    merged = policy.snapshot_succeeded(BOOK, now)
    assert isinstance(merged, Merged) and merged.report is not None
    assert merged.report.attempts == 5_001 and not policy.state.stale


def test_audit_timing() -> None:
    policy = make(resync_interval=60.0)
    assert policy.audit_interval == 60.0
    live(policy, now=10.0)
    assert policy.on_audit_tick(60.0) == []  # the last resync finished 50 s ago
    actions = policy.on_audit_tick(70.0)  # 60 s ago: audit, not stale
    assert starts(actions) == [False] and not policy.state.stale
    assert policy.state.resync_pending and policy.phase is ResyncPhase.WAITING
    assert policy.on_audit_tick(200.0) == []  # one pending already
    policy.snapshot_started(71.0)
    merged = policy.snapshot_succeeded(BOOK, 72.0)
    assert isinstance(merged, Merged) and merged.report is not None
    assert merged.report.reason == "audit"


def test_no_audits_without_an_interval() -> None:
    policy = make()
    live(policy)
    assert policy.audit_interval is None and policy.on_audit_tick(1e9) == []


def recovering(policy: ResyncPolicy) -> TradeQuery:
    live(policy, now=10.0)
    policy.on_control(disconnected(), 20.0)
    policy.on_control(connected(2), 30.0)
    policy.snapshot_started(31.0)
    assert isinstance(policy.snapshot_succeeded(BOOK, 31.0), Merged)
    assert policy.phase is ResyncPhase.RECOVERING
    query = policy.next_trade_query()
    assert query is not None and query.symbol == SYM
    return query


def test_fill_recovery_retries_then_completes() -> None:
    policy = make(retry_initial=1.0)
    query = recovering(policy)
    delays = []
    for _ in range(3):
        retry = policy.trades_failed(ApiError(502), 40.0)
        assert isinstance(retry, ScheduleRetry)
        delays.append(retry.delay)
    assert delays == [1.0, 2.0, 4.0]
    assert isinstance(policy.trades_answered(query, [], 41.0), Publish)
    # An answer resets the count.
    retry = policy.trades_failed(ApiError(502), 42.0)
    assert isinstance(retry, ScheduleRetry) and retry.delay == 1.0
    while (q := policy.next_trade_query()) is not None:
        policy.trades_answered(q, [], 43.0)
    assert policy.phase is ResyncPhase.IDLE
    assert policy.recovery_finished() is policy.state.last_recovery


def test_fill_recovery_refused_is_abandoned_and_fatal_fails() -> None:
    policy = make()
    recovering(policy)
    assert policy.trades_failed(ApiError(400, -1100), 40.0) == AbandonRecovery(400)
    assert policy.phase is ResyncPhase.IDLE and not policy.state.recovery_pending
    policy = make()
    recovering(policy)
    error = ApiError(401)
    assert policy.trades_failed(error, 40.0) == Fail(error)
    assert policy.phase is ResyncPhase.FAILED


def test_fail_from_the_driver_is_terminal() -> None:
    policy = make()
    live(policy)
    error = RuntimeError("journal full")
    assert policy.fail(error) == Fail(error) and policy.phase is ResyncPhase.FAILED
    assert starts(policy.on_manual(1.0)) == [False] and policy.phase is ResyncPhase.FAILED


def test_a_resync_asked_for_during_the_recovery_keeps_the_loop_going() -> None:
    policy = make(resync_interval=60.0)
    query = recovering(policy)
    assert starts(policy.on_manual(40.0)) == [False]
    assert policy.phase is ResyncPhase.RECOVERING  # the running loop is not restarted...
    policy.trades_answered(query, [], 41.0)
    while (q := policy.next_trade_query()) is not None:
        policy.trades_answered(q, [], 41.0)
    assert policy.phase is ResyncPhase.WAITING  # ...but it goes on to take the resync
    policy.snapshot_started(42.0)
    merged = policy.snapshot_succeeded(BOOK, 42.0)
    assert isinstance(merged, Merged) and merged.report is not None
    assert merged.report.reason == "manual"
