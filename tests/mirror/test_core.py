"""MirrorState: every merge rule, resync boundaries and diffs. No I/O."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from mirror_factories import (
    SYM,
    account_event,
    leverage_event,
    order_event,
    rest_balance,
    rest_order,
    rest_position,
)

from binance.derivatives.cmfutures.events import (
    ListenKeyExpired,
    MarginCall,
    MarginCallPosition,
    StrategyUpdate,
    StrategyUpdateData,
    UnknownEvent,
)
from binance.derivatives.cmfutures.mirror.core import MirrorState, ResyncStateError, Snapshot
from binance.derivatives.cmfutures.mirror.merge import BoundedSet
from binance.derivatives.cmfutures.mirror.views import ChangeKind, MirrorChange, ResyncReport

D = Decimal


def ready(snapshot: Snapshot | None = None) -> MirrorState:
    state = MirrorState()
    state.begin_resync("initial", 0.0)
    state.begin_attempt(0.0)
    state.finish_resync(snapshot or Snapshot(), 0.0)
    return state


def kinds(changes: list[MirrorChange]) -> list[str]:
    return [c.kind for c in changes]


# ---------------------------------------------------------------------- orders


def test_order_lifecycle_new_partial_filled() -> None:
    s = ready()
    ch = s.apply(order_event(1, T=100), 1.0)
    assert kinds(ch) == ["order"] and ch[0].before is None and ch[0].after.order_id == 1
    assert s.publish(1.0).open_orders[1].status == "NEW"

    ch = s.apply(order_event(1, T=200, status="PARTIALLY_FILLED", z="1", l="1", t=7, L="64000"), 2)
    assert kinds(ch) == ["fill", "order"]
    assert ch[0].key == (1, 7) and ch[0].after.quantity == D(1)
    assert ch[1].before.executed_quantity == 0 and ch[1].after.executed_quantity == 1

    ch = s.apply(order_event(1, T=300, status="FILLED", z="3", l="2", t=8, L="64000"), 3)
    assert kinds(ch) == ["fill", "order"]
    assert ch[1].after is None and ch[1].before.executed_quantity == 1
    assert 1 not in s.publish(3.0).open_orders


@pytest.mark.parametrize("terminal", ["FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH"])
def test_terminal_status_is_final(terminal: str) -> None:
    s = ready()
    s.apply(order_event(1, T=100), 1)
    z = "3" if terminal == "FILLED" else "0"
    s.apply(order_event(1, T=200, status=terminal, z=z), 2)
    assert s.publish(2).open_orders == {}
    # a later, non-terminal event (even with a newer time) cannot bring it back
    assert s.apply(order_event(1, T=300, status="PARTIALLY_FILLED", z="1"), 3) == []
    assert s.apply(order_event(1, T=100), 3) == []
    assert s.publish(3).open_orders == {}


def test_terminal_event_before_new_out_of_order() -> None:
    s = ready()
    assert s.apply(order_event(1, T=200, status="CANCELED"), 1) == []
    assert s.apply(order_event(1, T=100), 1) == []
    assert s.publish(1).open_orders == {}


def test_duplicate_order_event_is_ignored() -> None:
    s = ready()
    ev = order_event(1, T=100, status="PARTIALLY_FILLED", z="1", l="1", t=5)
    s.apply(order_event(1, T=50), 1)
    assert kinds(s.apply(ev, 1)) == ["fill", "order"]
    assert s.apply(ev, 2) == []


def test_older_order_event_is_ignored() -> None:
    s = ready()
    s.apply(order_event(1, T=300, status="PARTIALLY_FILLED", z="2", l="2", t=2), 1)
    ch = s.apply(order_event(1, T=200, status="PARTIALLY_FILLED", z="1", l="1", t=1), 1)
    # the fill is new, so it is reported; the order state is not rolled back
    assert kinds(ch) == ["fill"]
    assert s.publish(1).open_orders[1].executed_quantity == 2


def test_same_trade_time_newer_event_time_wins() -> None:
    s = ready()
    s.apply(order_event(1, T=100, E=101, status="PARTIALLY_FILLED", z="1", t=1), 1)
    ch = s.apply(order_event(1, T=100, E=102, status="PARTIALLY_FILLED", z="2", t=2), 1)
    assert kinds(ch) == ["fill", "order"]
    assert s.publish(1).open_orders[1].executed_quantity == 2
    # same T, older E: ignored
    assert kinds(s.apply(order_event(1, T=100, E=100, z="0"), 1)) == []


def test_cumulative_quantity_never_decreases() -> None:
    s = ready()
    s.apply(order_event(1, T=100, status="PARTIALLY_FILLED", z="2", t=1), 1)
    # newer timestamps but a lower z: an inconsistent (stale) update, not applied
    assert s.apply(order_event(1, T=200, status="PARTIALLY_FILLED", z="1"), 1) == []
    assert s.publish(1).open_orders[1].executed_quantity == 2


def test_amendment_updates_price() -> None:
    s = ready()
    s.apply(order_event(1, T=100, p="64000"), 1)
    ch = s.apply(order_event(1, T=200, x="AMENDMENT", status="NEW", p="64100"), 1)
    assert kinds(ch) == ["order"] and ch[0].after.price == D("64100")


def test_fills_deduplicated_by_order_and_trade_id() -> None:
    s = ready()
    s.apply(order_event(1, T=100), 1)
    first = s.apply(order_event(1, T=200, status="PARTIALLY_FILLED", z="1", l="1", t=9), 1)
    assert kinds(first) == ["fill", "order"]
    # same trade id on another delivery with different E: not a second fill
    again = s.apply(order_event(1, T=200, E=250, status="PARTIALLY_FILLED", z="1", l="1", t=9), 1)
    assert "fill" not in kinds(again)
    # same trade id on another order is a different fill
    other = s.apply(order_event(2, T=200, status="PARTIALLY_FILLED", z="1", l="1", t=9), 1)
    assert kinds(other) == ["fill", "order"]


def test_trade_id_zero_is_not_a_fill() -> None:
    s = ready()
    assert kinds(s.apply(order_event(1, T=100, t=0), 1)) == ["order"]
    assert kinds(s.apply(order_event(1, T=200, t=0, x="CANCELED", status="CANCELED"), 1)) == [
        "order"
    ]


def test_fill_of_already_closed_order_is_still_reported_once() -> None:
    s = ready()
    s.apply(order_event(1, T=300, status="FILLED", z="3", l="2", t=2), 1)
    late = order_event(1, T=200, status="PARTIALLY_FILLED", z="1", l="1", t=1)
    assert kinds(s.apply(late, 1)) == ["fill"]
    assert s.apply(late, 1) == []
    assert s.publish(1).open_orders == {}


# ---------------------------------------------------------------------- positions, balances


def test_balances_from_account_update() -> None:
    s = ready(Snapshot(balances=(rest_balance("BTC", "1", update_time=10),)))
    ch = s.apply(account_event(T=100, balances={"BTC": ("1.5", "1.4"), "ETH": ("2", "2")}), 1)
    assert kinds(ch) == ["balance", "balance"]
    b = s.publish(1).balances
    assert b["BTC"].wallet_balance == D("1.5") and b["BTC"].cross_wallet_balance == D("1.4")
    assert b["ETH"].wallet_balance == D(2)


def test_partial_account_update_keeps_unlisted_rows() -> None:
    s = ready(
        Snapshot(
            balances=(rest_balance("BTC", "1"), rest_balance("ETH", "5")),
            positions=(
                rest_position(SYM, "BOTH", "3", "64000"),
                rest_position("ETHUSD_PERP", "BOTH", "10", "2000"),
            ),
        )
    )
    s.apply(account_event(T=2000, balances={"BTC": ("0.9", "0.9")},
                          positions=[(SYM, "BOTH", "4", "64100")]), 1)
    v = s.publish(1)
    assert v.positions[(SYM, "BOTH")].position_amount == 4
    assert v.positions[("ETHUSD_PERP", "BOTH")].position_amount == 10
    assert v.balances["ETH"].wallet_balance == 5
    # an empty P (cross funding) deletes nothing either
    s.apply(account_event(T=3000, reason="FUNDING_FEE", balances={"BTC": ("0.8", "0.8")}), 2)
    assert len(s.publish(2).positions) == 2


def test_position_flat_row_is_kept() -> None:
    s = ready()
    s.apply(account_event(T=100, positions=[(SYM, "BOTH", "1", "64000")]), 1)
    s.apply(account_event(T=200, positions=[(SYM, "BOTH", "0", "0")]), 1)
    assert s.publish(1).positions[(SYM, "BOTH")].position_amount == 0


def test_older_account_update_is_ignored_per_row() -> None:
    s = ready()
    s.apply(account_event(T=200, balances={"BTC": ("2", "2")},
                          positions=[(SYM, "BOTH", "2", "64000")]), 1)
    ch = s.apply(account_event(T=100, balances={"BTC": ("1", "1"), "ETH": ("3", "3")},
                               positions=[(SYM, "BOTH", "1", "63000")]), 1)
    assert [(c.kind, c.key) for c in ch] == [("balance", "ETH")]
    v = s.publish(1)
    assert v.balances["BTC"].wallet_balance == 2 and v.positions[(SYM, "BOTH")].position_amount == 2


def test_duplicate_account_update_makes_no_change() -> None:
    s = ready()
    ev = account_event(T=200, balances={"BTC": ("2", "2")}, positions=[(SYM, "BOTH", "2", "1")])
    assert len(s.apply(ev, 1)) == 2
    assert s.apply(ev, 1) == []


def test_hedge_mode_rows_are_separate() -> None:
    s = ready()
    s.apply(account_event(T=100, positions=[(SYM, "LONG", "2", "1"), (SYM, "SHORT", "-1", "1")]), 1)
    s.apply(account_event(T=200, positions=[(SYM, "LONG", "3", "1")]), 1)
    p = s.publish(1).positions
    assert p[(SYM, "LONG")].position_amount == 3 and p[(SYM, "SHORT")].position_amount == -1


def test_break_even_price_kept_when_event_omits_it_and_margin_type_lowercased() -> None:
    s = ready()
    s.apply(account_event(T=100, positions=[(SYM, "BOTH", "1", "100")], bep="101"), 1)
    s.apply(account_event(T=200, positions=[(SYM, "BOTH", "2", "100")], margin_type="ISOLATED",
                          iw="0.5"), 1)
    row = s.publish(1).positions[(SYM, "BOTH")]
    assert row.break_even_price == D(101)
    assert row.margin_type == "isolated" and row.isolated_wallet == D("0.5")


def test_leverage_update_applies_to_all_sides_and_new_rows() -> None:
    s = ready(Snapshot(positions=(rest_position(SYM, "LONG", leverage=10),
                                  rest_position(SYM, "SHORT", leverage=10))))
    ch = s.apply(leverage_event(SYM, 25, T=100), 1)
    assert [(c.kind, c.key) for c in ch] == [
        ("leverage", SYM), ("position", (SYM, "LONG")), ("position", (SYM, "SHORT"))
    ]
    assert ch[0].before == 10 and ch[0].after == 25
    s.apply(leverage_event("ETHUSD_PERP", 7, T=100), 1)
    s.apply(account_event(T=200, positions=[("ETHUSD_PERP", "BOTH", "1", "2000")]), 1)
    v = s.publish(1)
    assert v.positions[(SYM, "LONG")].leverage == 25
    assert v.positions[("ETHUSD_PERP", "BOTH")].leverage == 7
    assert v.leverage == {SYM: 25, "ETHUSD_PERP": 7}
    # older and duplicate leverage events are ignored
    assert s.apply(leverage_event(SYM, 5, T=50), 1) == []
    assert s.apply(leverage_event(SYM, 25, T=100), 1) == []


def test_margin_call_is_surfaced_without_changing_views() -> None:
    s = ready()
    before = s.publish(0)
    mc = MarginCall(event_time=5, positions=(MarginCallPosition(
        symbol=SYM, position_side="BOTH", position_amount=D(1), margin_type="CROSSED",
        mark_price=D(1), unrealized_pnl=D(-1), maintenance_margin=D(1)),))
    ch = s.apply(mc, 1)
    assert kinds(ch) == ["margin_call"] and ch[0].cause is mc
    assert s.publish(1) is before


def test_events_without_state_are_ignored() -> None:
    s = ready()
    for ev in (
        ListenKeyExpired(event_time=1),
        UnknownEvent(event_type="X", event_time=1, payload={}),
        StrategyUpdate(event_time=1, transaction_time=1, strategy=StrategyUpdateData(
            strategy_id=1, strategy_type="GRID", strategy_status="NEW", symbol=SYM,
            update_time=1)),
    ):
        assert s.apply(ev, 1) == []


# ---------------------------------------------------------------------- publication


def test_views_are_read_only_and_never_mutated_after_publication() -> None:
    s = ready()
    s.apply(order_event(1, T=100), 1)
    v1 = s.publish(1)
    with pytest.raises(TypeError):
        v1.open_orders[2] = v1.open_orders[1]  # type: ignore[index]
    with pytest.raises(AttributeError):
        v1.open_orders[1].status = "X"  # type: ignore[misc]
    s.apply(order_event(2, T=100), 2)
    s.apply(order_event(1, T=200, status="CANCELED"), 2)
    v2 = s.publish(2)
    assert set(v1.open_orders) == {1} and set(v2.open_orders) == {2}
    assert v2.sequence == v1.sequence + 1
    assert s.publish(3) is v2  # nothing changed: same object


def test_nothing_applied_before_first_snapshot() -> None:
    s = MirrorState()
    assert s.stale and not s.initialized
    assert s.apply(order_event(1, T=100), 1) == []
    v = s.publish(1)
    assert v.stale and v.open_orders == {} and v.sequence == 0


# ---------------------------------------------------------------------- snapshot + buffer


def test_initial_snapshot_then_buffered_events_newer_than_it() -> None:
    s = MirrorState()
    s.begin_resync("initial", 0)
    s.apply(order_event(9, T=10), 0.5)  # before the attempt: reflected in the snapshot
    s.begin_attempt(1)
    s.apply(order_event(1, T=900, status="PARTIALLY_FILLED", z="1", t=1), 1)  # older than REST
    s.apply(order_event(2, T=1500), 1)  # new order after the snapshot
    s.apply(order_event(3, T=1500, status="CANCELED"), 1)  # cancel after the snapshot
    s.apply(account_event(T=900, positions=[(SYM, "BOTH", "1", "1")]), 1)  # older than REST row
    s.apply(account_event(T=1500, balances={"BTC": ("2", "2")}), 1)  # newer than REST row
    snap = Snapshot(
        balances=(rest_balance("BTC", "1", update_time=1000),),
        positions=(rest_position(SYM, "BOTH", "2", "64000", update_time=1000),),
        orders=(rest_order(1, update_time=1000, status="PARTIALLY_FILLED", z="2"),
                rest_order(3, update_time=1000)),
    )
    ch = s.finish_resync(snap, 2)
    assert kinds(ch) == ["resync", "stale"]
    report = ch[0].cause
    assert isinstance(report, ResyncReport) and report.initial and report.buffered_events == 5
    assert ch[1].before is True and ch[1].after is False
    v = s.publish(2)
    assert not v.stale
    assert set(v.open_orders) == {1, 2}
    assert v.open_orders[1].executed_quantity == 2
    assert v.positions[(SYM, "BOTH")].position_amount == 2
    assert v.balances["BTC"].wallet_balance == 2
    assert s.last_resync is report
    assert report.diff.summary() == {"balance": {"added": 1}, "position": {"added": 1},
                                     "order": {"added": 2}, "leverage": {"added": 1}}


def test_event_of_the_same_millisecond_as_the_snapshot_row_is_applied() -> None:
    s = MirrorState()
    s.begin_resync("initial", 0)
    s.begin_attempt(0)
    s.apply(order_event(1, T=1000, status="PARTIALLY_FILLED", z="2", t=2), 0)
    s.apply(account_event(T=1000, positions=[(SYM, "BOTH", "5", "1")]), 0)
    s.finish_resync(Snapshot(orders=(rest_order(1, update_time=1000, status="PARTIALLY_FILLED",
                                                z="1"),),
                             positions=(rest_position(SYM, "BOTH", "4", update_time=1000),)), 1)
    v = s.publish(1)
    assert v.open_orders[1].executed_quantity == 2
    assert v.positions[(SYM, "BOTH")].position_amount == 5


def test_snapshot_cannot_resurrect_an_order_seen_terminal() -> None:
    s = ready()
    s.apply(order_event(1, T=100), 1)
    s.apply(order_event(1, T=200, status="CANCELED"), 1)
    s.begin_resync("manual", 2, stale=False)
    s.begin_attempt(2)
    s.finish_resync(Snapshot(orders=(rest_order(1, update_time=100),)), 3)  # lagging REST
    assert s.publish(3).open_orders == {}
    assert not s.last_resync.diff  # type: ignore[union-attr]


def test_resync_replays_terminal_event_onto_older_snapshot() -> None:
    s = ready()
    s.apply(order_event(1, T=100), 1)
    s.begin_resync("gap", 2)
    s.begin_attempt(2)
    s.apply(order_event(1, T=300, status="FILLED", z="3", t=1), 2)  # live: removes, tombstones
    ch = s.finish_resync(Snapshot(orders=(rest_order(1, update_time=100),)), 3)
    assert s.publish(3).open_orders == {}
    assert kinds(ch) == ["resync", "stale"] and not ch[0].cause.diff


def test_events_before_the_successful_attempt_are_not_replayed() -> None:
    s = ready()
    s.begin_resync("gap", 1)
    s.begin_attempt(1)
    s.apply(order_event(5, T=100), 1)
    s.fail_attempt(RuntimeError("503"), 2)
    s.begin_attempt(3)
    # snapshot (taken after order 5 was cancelled, whose event we missed) lacks order 5
    s.finish_resync(Snapshot(), 4)
    assert s.publish(4).open_orders == {}
    diff = s.last_resync.diff  # type: ignore[union-attr]
    assert [(e.section, e.key, e.op) for e in diff.entries] == [("order", 5, "removed")]


def test_resync_reports_what_the_stream_missed() -> None:
    s = ready(Snapshot(
        balances=(rest_balance("BTC", "1"),),
        positions=(rest_position(SYM, "BOTH", "1", "64000", leverage=10),),
        orders=(rest_order(1), rest_order(2)),
    ))
    s.apply(order_event(3, T=2000), 1)
    s.begin_resync("gap: disconnected", 5, cause="gap")
    s.begin_attempt(6)
    s.apply(order_event(4, T=7000), 6)  # buffered and live: not a correction
    snap = Snapshot(
        balances=(rest_balance("BTC", "0.9", update_time=5000), rest_balance("ETH", "1")),
        positions=(rest_position(SYM, "BOTH", "2", "64500", update_time=5000, leverage=20),),
        orders=(rest_order(1, status="PARTIALLY_FILLED", z="1", update_time=5000),
                rest_order(3, update_time=2000), rest_order(5, update_time=5000)),
    )
    ch = s.finish_resync(snap, 8)
    report = s.last_resync
    assert report is not None and report.reason == "gap: disconnected" and not report.initial
    assert report.started_at == 5 and report.snapshot_started_at == 6 and report.finished_at == 8
    assert report.attempts == 1 and report.buffered_events == 1 and report.duration == 3
    got = {(e.section, e.key, e.op) for e in report.diff.entries}
    assert got == {
        ("balance", "BTC", "changed"),
        ("balance", "ETH", "added"),
        ("position", (SYM, "BOTH"), "changed"),
        ("order", 1, "changed"),
        ("order", 2, "removed"),
        ("order", 5, "added"),
        ("leverage", SYM, "changed"),
    }
    corrections = [c for c in ch if c.from_resync]
    assert len(corrections) == len(report.diff) == 7
    assert all(c.cause is report for c in corrections)
    assert {c.kind for c in corrections} == {"balance", "position", "order", "leverage"}
    assert kinds(ch)[-2:] == ["resync", "stale"]
    v = s.publish(8)
    assert set(v.open_orders) == {1, 3, 4, 5} and v.balances["BTC"].wallet_balance == D("0.9")
    assert len(report.diff.orders) == 3 and len(report.diff.balances) == 2
    assert len(report.diff.positions) == 1


def test_gap_marks_stale_failures_announced_success_clears() -> None:
    s = ready()
    assert not s.stale
    ch = s.begin_resync("gap", 1, cause="the-gap")
    assert kinds(ch) == ["stale"] and ch[0].cause == "the-gap" and s.publish(1).stale
    s.begin_attempt(1)
    err = RuntimeError("boom")
    ch = s.fail_attempt(err, 2)
    assert kinds(ch) == ["resync_failed"] and ch[0].cause is err  # already stale
    assert not s.attempt_active and s.resync_pending
    s.begin_attempt(3)
    ch = s.finish_resync(Snapshot(), 4)
    assert kinds(ch) == ["resync", "stale"] and not s.stale and not s.publish(4).stale
    assert s.last_resync is not None and s.last_resync.attempts == 2


def test_manual_resync_is_not_stale_unless_it_fails() -> None:
    s = ready()
    assert s.begin_resync("manual", 1, stale=False) == []
    s.begin_attempt(1)
    ch = s.fail_attempt(RuntimeError("x"), 2)
    assert kinds(ch) == ["resync_failed", "stale"] and s.stale
    s.begin_attempt(3)
    assert kinds(s.finish_resync(Snapshot(), 4)) == ["resync", "stale"]


def test_gap_during_attempt_voids_it() -> None:
    s = ready()
    s.begin_resync("gap", 1)
    s.begin_attempt(1)
    s.begin_resync("another gap", 2)
    assert not s.attempt_active
    with pytest.raises(ResyncStateError):
        s.finish_resync(Snapshot(), 3)
    s.begin_attempt(3)
    s.finish_resync(Snapshot(), 4)
    assert s.last_resync is not None and s.last_resync.reason == "gap"


def test_resync_steps_out_of_order_raise() -> None:
    s = MirrorState()
    with pytest.raises(ResyncStateError):
        s.begin_attempt(0)
    with pytest.raises(ResyncStateError):
        s.fail_attempt(RuntimeError(), 0)
    s.begin_resync("x", 0)
    with pytest.raises(ResyncStateError):
        s.finish_resync(Snapshot(), 0)


def test_empty_diff_when_nothing_was_missed() -> None:
    s = ready(Snapshot(balances=(rest_balance("BTC", "1", update_time=5),),
                       positions=(rest_position(SYM, "BOTH", "0", update_time=5),)))
    s.apply(order_event(1, T=100), 1)
    s.apply(account_event(T=100, balances={"BTC": ("2", "2")},
                          positions=[(SYM, "BOTH", "1", "64000")]), 1)
    s.begin_resync("audit", 2, stale=False)
    s.begin_attempt(2)
    snap = Snapshot(
        balances=(rest_balance("BTC", "2", update_time=100),),
        positions=(rest_position(SYM, "BOTH", "1", "64000", update_time=100),),
        orders=(rest_order(1, update_time=100),),
    )
    ch = s.finish_resync(snap, 3)
    assert kinds(ch) == ["resync"] and not ch[0].cause.diff


def test_bounded_set_forgets_oldest() -> None:
    b = BoundedSet(2)
    b.add(1)
    b.add(2)
    b.add(2)
    b.add(3)
    assert 1 not in b and 2 in b and 3 in b and len(b) == 2
    with pytest.raises(ValueError, match="at least 1"):
        BoundedSet(0)


def test_changes_and_reports_are_immutable() -> None:
    s = ready()
    ch = s.apply(order_event(1, T=100), 1)[0]
    with pytest.raises(AttributeError):
        ch.kind = "x"  # type: ignore[misc]
    assert msgspec.structs.asdict(ch)["kind"] == ChangeKind.ORDER
