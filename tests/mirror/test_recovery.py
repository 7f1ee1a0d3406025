"""Issue 10 item 12, the sans-I/O half: which symbols and windows a gap's fill recovery
queries, how it pages, its request bound, and exactly-once reporting against live fills."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from mirror_factories import SYM, order_event, rest_balance, rest_order, rest_position

from binance.derivatives.cmfutures.events import StreamGap
from binance.derivatives.cmfutures.mirror.core import MirrorState, Snapshot
from binance.derivatives.cmfutures.mirror.recovery import (
    WEEK_MS,
    FillRecoveryPlan,
    RecoveryOptions,
    TradeQuery,
)
from binance.derivatives.cmfutures.mirror.views import ChangeKind

D = Decimal
ETH = "ETHUSD_PERP"


@dataclass
class Row:
    """A userTrades row (the attributes models.UserTrade has)."""

    order_id: int
    id: int
    time: int
    symbol: str = SYM
    side: str = "BUY"
    price: Decimal = Decimal("64000")
    qty: Decimal = Decimal("1")
    realized_pnl: Decimal = Decimal("0")
    commission: Decimal = Decimal("0.00000078")
    commission_asset: str | None = "BTC"
    position_side: str = "BOTH"
    maker: bool = False


def ready(snapshot: Snapshot, at: float = 0.0) -> MirrorState:
    state = MirrorState()
    state.begin_resync("initial", at)
    state.begin_attempt(at)
    state.finish_resync(snapshot, at)
    return state


def gap_and_resync(state: MirrorState, snapshot: Snapshot, since: float, until: float,
                   at: float) -> None:
    state.begin_resync("gap", until, cause=StreamGap(since=since, until=until, reason="test"),
                       missed_until=until)
    state.begin_attempt(at)
    state.finish_resync(snapshot, at)


def drain(state: MirrorState, answer: dict[str, list[Row]]) -> tuple[list[TradeQuery], list]:
    queries, changes = [], []
    while (q := state.next_trade_query()) is not None:
        queries.append(q)
        changes += state.recover_fills(q, answer.get(q.symbol, []), 100.0)
    return queries, changes


BASE = Snapshot(balances=(rest_balance("BTC", "1"), rest_balance("ETH", "10")),
                positions=(rest_position(SYM), rest_position(ETH)),
                orders=(rest_order(1, q="3"),))


def test_no_recovery_without_a_gap() -> None:
    state = ready(BASE)
    state.begin_resync("audit", 5.0, stale=False)
    state.begin_attempt(5.0)
    state.finish_resync(BASE, 5.0)
    assert not state.recovery_pending and state.next_trade_query() is None


def test_gap_queries_symbols_with_open_orders_over_the_gap_window() -> None:
    state = ready(BASE, at=10.0)
    gap_and_resync(state, BASE, since=20.0, until=30.0, at=31.0)
    (query,) = [state.next_trade_query()]
    assert query == TradeQuery(symbol=SYM, start_time=19_000, end_time=31_000, limit=1000)


def test_fills_in_the_gap_are_reported_once_and_marked_recovered() -> None:
    state = ready(BASE, at=10.0)
    live = state.apply(order_event(1, T=19_500, status="PARTIALLY_FILLED", z="1", l="1",
                                   L="64000", t=7), 19.5)
    assert [c.kind for c in live].count(ChangeKind.FILL) == 1
    after = Snapshot(balances=BASE.balances, positions=(rest_position(SYM, amount="3"),
                                                        rest_position(ETH)), orders=())
    gap_and_resync(state, after, since=20.0, until=30.0, at=31.0)
    rows = [Row(1, 6, 15_000), Row(1, 7, 19_500), Row(1, 8, 21_000), Row(1, 9, 22_000)]
    _, changes = drain(state, {SYM: rows})
    fills = [c for c in changes if c.kind == ChangeKind.FILL]
    # (1, 6) is before the window; (1, 7) is inside it but was seen live.
    assert [c.key for c in fills] == [(1, 8), (1, 9)]
    assert all(c.after.recovered and c.after.order_status is None for c in fills)
    assert fills[0].after.commission == D("0.00000078") and fills[0].after.trade_time == 21_000
    # The live event of a recovered fill arriving late is not a second report.
    late = state.apply(order_event(1, T=22_000, status="FILLED", z="3", l="1", L="64000",
                                   t=9), 40.0)
    assert ChangeKind.FILL not in [c.kind for c in late]
    assert state.last_recovery is not None and not state.last_recovery.truncated


def test_a_round_trip_inside_the_gap_is_found_through_the_wallet() -> None:
    """No order open before or after, position flat before and after: only the balance
    (commission) shows a trade happened, so the coin's symbols are queried."""
    base = Snapshot(balances=BASE.balances, positions=BASE.positions, orders=())
    state = ready(base, at=10.0)
    after = Snapshot(balances=(rest_balance("BTC", "0.999"), rest_balance("ETH", "10")),
                     positions=BASE.positions, orders=())
    gap_and_resync(state, after, since=20.0, until=30.0, at=31.0)
    queries, _ = drain(state, {})
    assert {q.symbol for q in queries} == {SYM}


def test_corrected_positions_and_orders_name_their_symbols() -> None:
    base = Snapshot(balances=BASE.balances, positions=BASE.positions, orders=())
    state = ready(base, at=10.0)
    after = Snapshot(balances=BASE.balances,
                     positions=(rest_position(SYM), rest_position(ETH, amount="-5")),
                     orders=())
    gap_and_resync(state, after, since=20.0, until=30.0, at=31.0)
    assert {q.symbol for q in drain(state, {})[0]} == {ETH}


def test_long_gaps_are_split_into_week_windows() -> None:
    plan = FillRecoveryPlan([SYM], 0, 2 * WEEK_MS + 5)
    queries = []
    while (q := plan.next_query()) is not None:
        queries.append(q)
        plan.answer(q, [])
    assert [(q.start_time, q.end_time) for q in queries] == [
        (0, WEEK_MS - 1), (WEEK_MS, 2 * WEEK_MS - 1), (2 * WEEK_MS, 2 * WEEK_MS + 5)]
    assert all(q.end_time - (q.start_time or 0) < WEEK_MS for q in queries)


def test_full_pages_continue_from_the_last_trade_time_then_by_id() -> None:
    plan = FillRecoveryPlan([SYM], 0, 10_000, RecoveryOptions(page_limit=2))
    q1 = plan.next_query()
    assert q1 is not None
    plan.answer(q1, [Row(1, 1, 100), Row(1, 2, 200)])
    q2 = plan.next_query()
    assert q2 == TradeQuery(symbol=SYM, start_time=200, end_time=10_000, limit=2)
    plan.answer(q2, [Row(1, 2, 200), Row(1, 3, 200)])  # no progress in time: go by id
    q3 = plan.next_query()
    assert q3 == TradeQuery(symbol=SYM, start_time=None, end_time=10_000, from_id=4, limit=2)
    assert plan.answer(q3, [Row(1, 4, 300), Row(1, 5, 20_000)]) == [Row(1, 4, 300)]
    assert plan.next_query() is None and not plan.truncated


def test_request_bound_stops_the_recovery() -> None:
    plan = FillRecoveryPlan(["A", "B", "C"], 0, 10, RecoveryOptions(max_requests=2))
    asked = []
    while (q := plan.next_query()) is not None:
        asked.append(q.symbol)
        plan.answer(q, [])
    assert asked == ["A", "B"] and plan.truncated and plan.requests == 2


def test_a_recovery_cut_short_by_another_gap_is_redone_over_both() -> None:
    state = ready(BASE, at=10.0)
    gap_and_resync(state, BASE, since=20.0, until=30.0, at=31.0)
    assert state.next_trade_query() is not None  # started, then the next gap cancels it
    gap_and_resync(state, Snapshot(balances=BASE.balances, positions=BASE.positions, orders=()),
                   since=40.0, until=50.0, at=51.0)
    (query,) = drain(state, {})[0]
    assert (query.symbol, query.start_time, query.end_time) == (SYM, 19_000, 51_000)


def test_recovery_can_be_disabled() -> None:
    state = MirrorState(recovery=None)
    state.begin_resync("initial", 0.0)
    state.begin_attempt(0.0)
    state.finish_resync(BASE, 0.0)
    gap_and_resync(state, BASE, since=20.0, until=30.0, at=31.0)
    assert state.next_trade_query() is None


@pytest.mark.parametrize("bad", [{"max_requests": 0}, {"page_limit": 1001}, {"margin_ms": -1}])
def test_options_are_validated(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        RecoveryOptions(**bad)
