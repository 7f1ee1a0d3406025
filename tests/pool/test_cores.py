"""The sans-I/O pieces under the pool, with no event loop: limiters, the listen-key machine,
the connection machine."""

from __future__ import annotations

import json

import pytest

from binance.derivatives.cmfutures.stream.actions import Close, Connect, RestError, SendPing
from binance.derivatives.cmfutures.stream.backoff import Backoff
from binance.derivatives.cmfutures.stream.connection import (
    ConnectionMachine,
    ConnState,
    KeysLost,
    Live,
    Send,
)
from binance.derivatives.cmfutures.stream.fatal import is_fatal
from binance.derivatives.cmfutures.stream.keys import (
    KeyFailed,
    KeyLost,
    KeyReady,
    KeyRequest,
    KeyState,
    ListenKeyMachine,
)
from binance.derivatives.cmfutures.stream.limits import ConnectionRateLimiter, WeightBudget
from binance.derivatives.cmfutures.stream.options import StreamOptions

T = 1_000_000.0


# ---------------------------------------------------------------------- limits


def test_connection_limiter_rolling_windows() -> None:
    lim = ConnectionRateLimiter(per_window=6, window=60.0, per_second=2)
    granted = [t for t in (T + i * 0.1 for i in range(100)) if lim.try_acquire(t)]
    assert len(granted) == 6
    for i in range(len(granted) - 2):
        assert granted[i + 2] - granted[i] >= 1.0
    assert lim.next_free(T + 10) == pytest.approx(granted[0] + 60.0)
    assert lim.try_acquire(granted[0] + 60.0)


def test_weight_budget_rolling_minute_and_server_report() -> None:
    budget = WeightBudget(10, 60.0)
    assert all(budget.try_acquire(1, T) for _ in range(10))
    assert not budget.try_acquire(1, T + 30)
    assert budget.next_free(1, T + 30) == pytest.approx(T + 60)
    assert budget.try_acquire(1, T + 60)
    other = WeightBudget(100, 60.0)
    now = 60.0 * 1000 + 10  # 10 s into a server minute
    other.observe_used(99, now)
    assert other.try_acquire(1, now) and not other.try_acquire(1, now)
    assert other.next_free(1, now) == pytest.approx(60.0 * 1001)


def test_retry_after_blocks_the_whole_budget() -> None:
    budget = WeightBudget(1000, 60.0)
    budget.retry_after(120.0, T)
    assert not budget.try_acquire(1, T + 119)
    assert budget.try_acquire(1, T + 120)


def test_one_fatal_rule() -> None:
    assert is_fatal(401, None) and is_fatal(403, None) and is_fatal(400, -2015)
    assert is_fatal(400, -2014) and is_fatal(200, -1002)
    assert not is_fatal(400, -1125) and not is_fatal(503, -1001) and not is_fatal(429, -1003)
    assert not is_fatal(0, None)


# ---------------------------------------------------------------------- listen-key machine

OPTS = StreamOptions(keepalive_interval=1800.0, listen_key_lifetime=3600.0)


def test_keepalives_fall_on_the_accounts_phase() -> None:
    times = []
    for i, phase in enumerate((0.0, 450.0, 900.0, 1350.0)):
        m = ListenKeyMachine(OPTS, phase)
        assert m.start(T) == [KeyRequest("create", "start")]
        (ready,) = m.create_ok(f"key{i}", T)
        assert isinstance(ready, KeyReady) and ready.old is None
        due = m.next_deadline()
        assert due is not None and T + 450 <= due <= T + 1800 + 450
        assert (due - phase) % 1800 == pytest.approx(0) or (due - phase) % 1800 == pytest.approx(
            1800
        )
        times.append(due)
    assert len({round(t) for t in times}) == 4  # spread, not the same second


def test_invalid_key_on_keepalive_is_lost_then_renewed() -> None:
    m = ListenKeyMachine(OPTS, 0.0)
    m.start(T)
    m.create_ok("k1", T)
    due = m.next_deadline()
    assert due is not None
    assert m.tick(due) == [KeyRequest("keepalive")]
    out = m.keepalive_failed(RestError(400, -1125), due)
    assert isinstance(out[0], KeyLost) and out[1] == KeyRequest("create", out[0].reason)
    (ready,) = m.create_ok("k2", due + 1)
    assert isinstance(ready, KeyReady) and ready.old == "k1"


def test_presumed_expired_key_returned_again_is_not_a_loss() -> None:
    m = ListenKeyMachine(OPTS, 0.0)
    m.start(T)
    m.create_ok("k1", T)
    now = T
    while True:
        due = m.next_deadline()
        assert due is not None
        now = due
        out = m.tick(now)
        if out and out[0].kind == "create":  # type: ignore[union-attr]
            break
        m.keepalive_failed(RestError(503, -1001), now)
    assert now == pytest.approx(T + 3600)
    assert m.usable
    assert m.create_ok("k1", now) == []
    assert m.state is KeyState.ACTIVE


def test_rejected_key_fails_the_account() -> None:
    m = ListenKeyMachine(OPTS, 0.0)
    m.start(T)
    (failed,) = m.create_failed(RestError(401, -2015), T)
    assert isinstance(failed, KeyFailed) and m.state is KeyState.FAILED
    assert m.next_deadline() is None


# ---------------------------------------------------------------------- connection machine


def _machine(**kw: object) -> tuple[ConnectionMachine, list[object]]:
    out: list[object] = []
    m = ConnectionMachine(1, "ws://x", StreamOptions(), out, Backoff(1, 2, 60),  # type: ignore[arg-type]
                          **kw)  # type: ignore[arg-type]
    return m, out


def test_subscribes_in_paced_batches_and_reports_live_keys() -> None:
    m, out = _machine(messages_per_second=2, keys_per_message=3)
    for i in range(10):
        m.add_key(f"k{i}")
    m.connect(7, T)
    assert isinstance(out[0], Connect) and out[0].url == "ws://x/stream"
    out.clear()
    m.opened(T)
    sends = [a for a in out if isinstance(a, Send)]
    assert len(sends) == 2  # two messages in the first second
    first = json.loads(sends[0].text)
    assert first["method"] == "SUBSCRIBE" and first["params"] == ["k0", "k1", "k2"]
    notices = m.reply(first["id"], None, T + 0.1)
    assert notices == [Live("k0", 7, T + 0.1), Live("k1", 7, T + 0.1), Live("k2", 7, T + 0.1)]
    assert m.next_deadline() == pytest.approx(T + 1.0)
    out.clear()
    m.tick(T + 1.0)
    assert len([a for a in out if isinstance(a, Send)]) == 2


def test_pings_count_against_the_message_rate() -> None:
    m, out = _machine(messages_per_second=1)
    m.add_key("a")
    m.add_key("b")
    m.connect(1, T)
    m.opened(T)
    out.clear()
    m.ping_received(b"p", T + 0.5)  # the pong must wait: one message in the last second
    assert out == []
    m.tick(T + 1.0)
    assert len(out) == 1


def test_half_open_connection_is_dropped_and_retried() -> None:
    m, out = _machine()
    m.add_key("a")
    m.connect(1, T)
    m.opened(T)
    (req,) = [json.loads(a.text) for a in out if isinstance(a, Send)]
    m.reply(req["id"], None, T)
    out.clear()
    m.tick(T + 60)
    assert out == [SendPing(1)]
    notices = m.tick(T + 90)
    assert notices == [KeysLost(("a",), 1, notices[0].reason)]  # type: ignore[union-attr]
    assert "half-open" in notices[0].reason  # type: ignore[union-attr]
    assert isinstance(out[-1], Close) and out[-1].abort
    assert m.state is ConnState.WAITING and m.keys == {"a": m.keys["a"]}
    assert m.retry_at is not None and T + 90 <= m.retry_at <= T + 91


def test_a_waiting_slot_whose_accounts_all_left_is_not_opened() -> None:
    from binance.derivatives.cmfutures.pool.actions import RestCall
    from binance.derivatives.cmfutures.pool.core import PoolCore
    from binance.derivatives.cmfutures.pool.options import PoolOptions

    opts = PoolOptions(keys_per_connection=1, connections_per_second=1)
    core = PoolCore("ws://x", opts)
    out = core.add("a", T) + core.add("b", T)
    assert out == [] and core.deadline_hint == T  # the next tick does the work
    out = [a for a in core.tick(T) if isinstance(a, RestCall)]
    connects = []
    for call in out:
        connects += [a for a in core.rest_ok(call.account, "create", T,
                                             listen_key=call.account * 64)
                     if isinstance(a, Connect)]
    assert len(connects) == 1  # one per second: b's slot waits
    core.remove("b", T)
    later = core.tick(T + 5)
    assert not any(isinstance(a, Connect) for a in later)
    assert len(core.connections()) == 1


def test_a_refused_subscription_renews_the_key() -> None:
    from binance.derivatives.cmfutures.events import ListenKeyRenewed, StreamConnected
    from binance.derivatives.cmfutures.pool.actions import Deliver, RestCall
    from binance.derivatives.cmfutures.pool.core import PoolCore

    core = PoolCore("ws://x")
    core.add("a", T)
    assert [x for x in core.tick(T) if isinstance(x, RestCall)] == [RestCall("a", "create")]
    out = core.rest_ok("a", "create", T, listen_key="k" * 64)
    (connect,) = [x for x in out if isinstance(x, Connect)]
    out = core.connection_opened(connect.conn_id, T)
    (send,) = [x for x in out if isinstance(x, Send)]
    request = json.loads(send.text)
    assert request["params"] == ["k" * 64]
    refusal = json.dumps({"code": 2, "msg": "Invalid request: invalid listen key",
                          "id": request["id"]})
    out = core.frame_received(connect.conn_id, refusal, T + 0.1)
    assert [x for x in out if isinstance(x, Deliver)] == []  # never live: nothing to report
    assert RestCall("a", "create") in out
    out = core.rest_ok("a", "create", T + 0.2, listen_key="n" * 64)
    renewed = [x.message for x in out if isinstance(x, Deliver)]
    assert len(renewed) == 1 and isinstance(renewed[0], ListenKeyRenewed)
    (send,) = [x for x in out if isinstance(x, Send)]
    request = json.loads(send.text)
    assert request["params"] == ["n" * 64]
    out = core.frame_received(connect.conn_id, json.dumps({"result": None, "id": request["id"]}),
                              T + 0.3)
    (connected,) = [x.message for x in out if isinstance(x, Deliver)]
    assert isinstance(connected, StreamConnected) and connected.connection_id == connect.conn_id


def test_unphased_key_machine_keeps_alive_one_interval_after_each_confirmation() -> None:
    """``phase=None`` (a single UserDataStream): no alignment, ``interval`` after each OK."""
    opts = StreamOptions().replace(keepalive_interval=300)
    m = ListenKeyMachine(opts, phase=None)
    m.start(1000.3)
    m.create_ok("K" * 64, 1000.3)
    assert m.keepalive_due == pytest.approx(1300.3)
    assert m.tick(1300.3) == [KeyRequest("keepalive")]
    m.keepalive_ok(1301.0)
    assert m.keepalive_due == pytest.approx(1601.0)


def test_check_now_asks_for_an_early_keepalive_once() -> None:
    opts = StreamOptions().replace(keepalive_interval=1800)
    m = ListenKeyMachine(opts, phase=None)
    assert m.check_now(0.0) is False  # no key yet
    m.start(0.0)
    m.create_ok("K" * 64, 0.0)
    assert m.check_now(10.0) is True
    assert m.next_deadline() == 10.0
    assert m.tick(10.0) == [KeyRequest("keepalive")]
    assert m.check_now(11.0) is False  # already in flight


def test_events_on_the_key_move_the_loss_window() -> None:
    opts = StreamOptions().replace(keepalive_interval=300)
    m = ListenKeyMachine(opts, phase=None)
    m.start(0.0)
    m.create_ok("K" * 64, 0.0)
    m.note_alive(50.0)
    m.note_alive(40.0)  # never backwards
    m.tick(300.0)
    lost = m.keepalive_failed(RestError(status=400, code=-1125), 301.0)
    assert isinstance(lost[0], KeyLost) and lost[0].since == 50.0
