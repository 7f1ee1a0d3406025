"""Issue 11: the single stream is the one-account case of the pool core. What the pool gained
by it (each test failed before): a rotation whose new connection dies hands its keys back to
the old one (no gap), a key deleted while its POST is in flight is still deleted, a lost key's
gap starts at its last event rather than its last keepalive, pongs are coalesced under a ping
flood, handshakes failing on ``/ws/{key}`` verify the key, and a rejected certificate fails the
accounts of that connection."""

from __future__ import annotations

import json
from typing import Any

from binance.derivatives.cmfutures.events import (
    StreamConnected,
    StreamDisconnected,
    StreamGap,
    encode_event,
)
from binance.derivatives.cmfutures.exceptions import NetworkException
from binance.derivatives.cmfutures.pool.actions import Deliver, RestCall
from binance.derivatives.cmfutures.pool.core import PoolCore
from binance.derivatives.cmfutures.pool.events import AccountFailed
from binance.derivatives.cmfutures.pool.options import PoolOptions
from binance.derivatives.cmfutures.stream.actions import Close, Connect, RestError, SendPong
from binance.derivatives.cmfutures.stream.connection import ConnState, Send
from binance.derivatives.cmfutures.stream.core import StreamCore
from binance.derivatives.cmfutures.stream.options import StreamOptions

from .. import factories

T = 1_767_225_600.0
QUIET = {"ping_interval": 10**6, "ping_timeout": 10**6}


def _pool(**stream: Any) -> PoolCore:
    opts = PoolOptions(keys_per_connection=50, stream=StreamOptions().replace(**QUIET, **stream))
    return PoolCore("ws://x", opts)


def _messages(actions: list[Any], account: str | None = None) -> list[Any]:
    return [a.message for a in actions if isinstance(a, Deliver)
            and (account is None or a.account == account)]


def _live(core: PoolCore, accounts: list[str], now: float) -> int:
    """Create the accounts' keys, open their connection, acknowledge the SUBSCRIBE."""
    for account in accounts:
        core.add(account, now)
    calls = [a for a in core.tick(now) if isinstance(a, RestCall)]
    connects: list[Connect] = []
    out: list[Any] = []
    for call in calls:
        out += core.rest_ok(call.account, "create", now, listen_key=call.account * 64)
    connects = [a for a in out if isinstance(a, Connect)]
    (connect,) = connects
    return _open(core, connect.conn_id, now)


def _open(core: PoolCore, conn_id: int, now: float) -> int:
    out = core.connection_opened(conn_id, now)
    for send in [a for a in out if isinstance(a, Send)]:
        request = json.loads(send.text)
        core.frame_received(conn_id, json.dumps({"result": None, "id": request["id"]}), now)
    return conn_id


def _event(account: str, n: int, at: float) -> str:
    event = factories.order_event(n, round(at * 1000), alias="oPfT")
    return json.dumps({"stream": account * 64, "data": json.loads(encode_event(event))})


def test_a_rotation_whose_new_connection_dies_hands_back_without_a_gap() -> None:
    core = _pool(rotate_after=100.0, rotation_overlap=10.0)
    old = _live(core, ["a", "b"], T)
    out = core.tick(T + 100)
    (connect,) = [a for a in out if isinstance(a, Connect)]
    assert connect.purpose == "rotation"
    new = _open(core, connect.conn_id, T + 101)
    core.tick(T + 101)  # every key live on the new one: the old one drains
    assert sorted(core.open_connections()[old][0] for _ in [0]) == ["draining"]
    out = core.connection_closed(new, T + 102, "boom")
    assert [type(m) for m in _messages(out)] == [StreamDisconnected, StreamDisconnected]
    assert core.open_connections() == {old: ("open", ("a" * 64, "b" * 64))}
    # the old connection is not closed at the end of the overlap, and still delivers
    out = core.tick(T + 120)
    assert not [a for a in out if isinstance(a, Close)]
    assert _messages(core.frame_received(old, _event("a", 1, T + 120), T + 120), "a")
    assert core.live_connections("a") == [old]
    # no gap was opened for either account; the rotation is retried later
    assert not core.gap_pending("a") and not core.gap_pending("b")
    deadline = core.next_deadline(T + 120)
    assert deadline is not None and deadline > T + 102


def test_a_key_being_created_is_deleted_on_remove() -> None:
    core = _pool(delete_listen_key_on_close=True)
    core.add("a", T)
    assert [a for a in core.tick(T) if isinstance(a, RestCall)] == [RestCall("a", "create")]
    out = core.remove("a", T)
    assert RestCall("a", "delete") in out  # before: nothing, the key lived an hour


def test_a_lost_keys_gap_starts_at_its_last_event() -> None:
    core = _pool(keepalive_interval=300.0)
    conn = _live(core, ["a"], T)
    core.frame_received(conn, _event("a", 1, T + 250), T + 250)
    out = core.tick(T + 400)
    assert [a for a in out if isinstance(a, RestCall)] == [RestCall("a", "keepalive")]
    core.rest_failed("a", "keepalive", RestError(400, -1125), T + 401)
    out = core.rest_ok("a", "create", T + 402, listen_key="n" * 64)
    (send,) = [a for a in out if isinstance(a, Send)]  # the new key, on the same connection
    request = json.loads(send.text)
    out = core.frame_received(conn, json.dumps({"result": None, "id": request["id"]}), T + 403)
    gap = [m for m in _messages(out, "a") if isinstance(m, StreamGap)]
    assert gap and gap[0].since == T + 250  # the last event, not the last keepalive (T)


def test_pongs_are_coalesced_under_a_ping_flood() -> None:
    core = _pool()
    conn = _live(core, ["a"], T)
    pongs: list[Any] = []
    for i in range(1000):
        pongs += [a for a in core.ping_received(conn, str(i).encode(), T + 10 + i / 1000)
                  if isinstance(a, SendPong)]
    pongs += [a for a in core.tick(T + 12) if isinstance(a, SendPong)]
    assert 1 < len(pongs) <= 15  # within 5 messages a second, not 1,000
    assert pongs[-1] == SendPong(conn, b"999")  # the latest payload answered


def test_direct_handshakes_failing_three_times_verify_the_key() -> None:
    core = StreamCore("ws://x", StreamOptions().replace(**QUIET, keepalive_interval=1800)).pool
    core.add("stream", T)
    assert [a for a in core.tick(T) if isinstance(a, RestCall)] == [RestCall("stream", "create")]
    out = core.rest_ok("stream", "create", T, listen_key="k" * 64)
    now = T
    keepalives: list[RestCall] = []
    for _ in range(3):
        (connect,) = [a for a in out if isinstance(a, Connect)]
        assert connect.url == "ws://x/ws/" + "k" * 64
        out = core.connection_closed(connect.conn_id, now, "HTTP 400")
        keepalives += [a for a in out if isinstance(a, RestCall)]
        deadline = core.next_deadline(now)
        assert deadline is not None
        now = deadline
        out = core.tick(now)
        keepalives += [a for a in out if isinstance(a, RestCall)]
    assert keepalives == [RestCall("stream", "keepalive")]


def test_subscribed_connections_failing_do_not_spend_keepalives() -> None:
    core = _pool(keepalive_interval=1800.0)
    core.add("a", T)
    core.tick(T)
    out = core.rest_ok("a", "create", T, listen_key="a" * 64)
    now = T
    for _ in range(6):
        (connect,) = [a for a in out if isinstance(a, Connect)]
        out = core.connection_closed(connect.conn_id, now, "refused")
        assert not [a for a in out if isinstance(a, RestCall)]
        deadline = core.next_deadline(now)
        assert deadline is not None and deadline < T + 1800
        now = deadline
        out = core.tick(now)
        assert not [a for a in out if isinstance(a, RestCall)]


def test_a_rejected_certificate_fails_the_accounts_of_that_connection_only() -> None:
    core = PoolCore("ws://x", PoolOptions(keys_per_connection=1,
                                          stream=StreamOptions().replace(**QUIET)))
    core.add("a", T)
    core.add("b", T)
    calls = [a for a in core.tick(T) if isinstance(a, RestCall)]
    connects: dict[str, Connect] = {}
    for call in calls:
        out = core.rest_ok(call.account, "create", T, listen_key=call.account * 64)
        out += core.tick(T + 1)
        for a in out:
            if isinstance(a, Connect):
                connects[call.account] = a
    assert set(connects) == {"a", "b"}
    _open(core, connects["b"].conn_id, T + 1)
    error = NetworkException("tls", "certificate rejected", permanent=True)
    out = core.connection_failed_permanently(
        connects["a"].conn_id, RestError(0, message="certificate rejected", error=error), T + 2
    )
    (failed,) = _messages(out, "a")
    assert isinstance(failed, AccountFailed) and "certificate" in failed.reason
    assert core.failure("a") is not None and core.failure("a").error is error  # type: ignore[union-attr]
    assert not _messages(out, "b") and core.live_connections("b")
    assert all(state != ConnState.WAITING.value for state, _ in core.connections().values())


def test_the_stream_core_is_a_one_account_pool_core_in_direct_mode() -> None:
    core = StreamCore("ws://x", StreamOptions().replace(**QUIET))
    core.start(T)
    (connect,) = [a for a in core.create_key_ok("k" * 64, T) if isinstance(a, Connect)]
    out = core.connection_opened(connect.conn_id, T)
    assert [type(a.message) for a in out if hasattr(a, "message")] == [StreamConnected]
    pool = core.pool
    assert isinstance(pool, PoolCore) and pool.accounts() == ["stream"]
    (slot,) = pool._slots.values()
    assert slot.direct and slot.max_keys == 1
    assert pool.open_connections() == {connect.conn_id: ("open", ("k" * 64,))}


# ---------------------------------------------------------------------- keepalive load


class _InstantExchange:
    """Answers every action of a core at once (REST ok, handshakes, SUBSCRIBE acks) and
    records what the accounts asked for and when they went live."""

    def __init__(self, core: PoolCore, now: float) -> None:
        self.core, self.now = core, now
        self.calls: list[tuple[float, str, str]] = []  # (time, account, kind)
        self.live_at: dict[str, float] = {}

    def handle(self, actions: list[Any]) -> None:
        queue = list(actions)
        core, now = self.core, self.now
        while queue:
            a = queue.pop(0)
            if isinstance(a, RestCall):
                self.calls.append((now, a.account, a.kind))
                key = a.account.ljust(64, "k")
                queue += core.rest_ok(a.account, a.kind, now, listen_key=key)
            elif isinstance(a, Connect):
                queue += core.connection_opened(a.conn_id, now)
            elif isinstance(a, Send):
                ack = json.dumps({"result": None, "id": json.loads(a.text)["id"]})
                queue += core.frame_received(a.conn_id, ack, now)
            elif isinstance(a, Deliver) and isinstance(a.message, StreamConnected):
                self.live_at.setdefault(a.account, now)

    def run_until(self, until: float) -> None:
        while True:
            deadline = self.core.deadline_hint
            if deadline is None or deadline > until:
                self.now = until
                return
            self.now = max(self.now, deadline)
            self.handle(self.core.tick(self.now))


def test_keepalives_stretch_to_stay_within_their_share_of_the_budget() -> None:
    """Issue 11 (found by the 10,000-account benchmark): with the 5-minute keepalive of a
    single stream, 10,000 accounts would want 2,000 weight/min of a 1,200 budget, and new
    accounts would wait behind the keepalive queue. The interval now stretches with the
    number of accounts so keepalives use at most ``keepalive_share`` of the budget; here at a
    tenth of the scale: 600 accounts, 120 weight/min, a share of 30/min."""
    opts = PoolOptions(weight_per_minute=120, stream=StreamOptions().replace(**QUIET))
    core = PoolCore("ws://x", opts)
    assert core.keepalive_interval == 300.0  # a small pool keeps the 5-minute probe
    for i in range(600):
        core.add(f"a{i}", T)
    assert core.keepalive_interval == 600 * 60 / 30  # 20 minutes
    exchange = _InstantExchange(core, T)
    exchange.run_until(T + 3600)
    assert len(exchange.live_at) == 600
    steady = [c for c in exchange.calls if c[2] == "keepalive" and c[0] >= T + 1800]
    per_minute = len(steady) / 30
    assert 25 <= per_minute <= 30 * 1.1, per_minute  # ~600 per 20 min, not 120/min
    # a new account is not starved by keepalives: it is live within seconds
    core.add("late", exchange.now)
    exchange.handle([])
    exchange.run_until(exchange.now + 60)
    assert exchange.live_at["late"] - (T + 3600) < 5
    # every key was kept alive well within its 60-minute lifetime
    last: dict[str, float] = {}
    for at, account, _kind in exchange.calls:
        if account in last:
            assert at - last[account] <= 1.25 * core.keepalive_interval + 1
        last[account] = at


def test_the_keepalive_interval_bounds() -> None:
    core = PoolCore("ws://x", PoolOptions())
    for i in range(1500):
        core.add(f"a{i}", T)
    assert core.keepalive_interval == 300.0  # 1,500 x 1 per 5 min = 300/min: the share
    for i in range(1500, 12_000):
        core.add(f"a{i}", T)
    assert core.keepalive_interval == 1800.0  # capped at 30 min (333 weight/min)
    for i in range(11_000):
        core.remove(f"a{i}", T)
    assert core.keepalive_interval == 300.0
