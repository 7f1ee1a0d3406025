"""StreamCore under random input sequences (hypothesis): invariants that must always hold."""

from __future__ import annotations

import os
import random
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance.derivatives.cmfutures.events import (
    ListenKeyExpired,
    OrderTradeUpdate,
    OrderUpdate,
    StreamConnected,
    StreamDisconnected,
    StreamGap,
    UnknownEvent,
    encode_event,
    event_identity,
)
from binance.derivatives.cmfutures.stream.actions import (
    Action,
    Close,
    Closed,
    Connect,
    CreateKey,
    DeleteKey,
    Deliver,
    Fail,
    Keepalive,
    RestError,
)
from binance.derivatives.cmfutures.stream.core import Phase, StreamCore
from binance.derivatives.cmfutures.stream.options import StreamOptions

T0 = 1_767_225_600.0
KEYS = ["K" * 60 + f"{i:04d}" for i in range(3)]


def order(n: int) -> bytes:
    return encode_event(
        OrderTradeUpdate(
            event_time=n,
            transaction_time=n,
            order=OrderUpdate(
                symbol="BTCUSD_PERP",
                client_order_id="c",
                side="BUY",
                order_type="LIMIT",
                time_in_force="GTC",
                original_quantity=Decimal(1),
                original_price=Decimal(1),
                average_price=Decimal(0),
                stop_price=Decimal(0),
                execution_type="NEW",
                order_status="NEW",
                order_id=n,
                last_filled_quantity=Decimal(0),
                cumulative_filled_quantity=Decimal(0),
                last_filled_price=Decimal(0),
                trade_time=n,
                trade_id=0,
            ),
        )
    )


STEP = st.one_of(
    st.tuples(st.just("advance"), st.floats(0, 4000)),
    st.tuples(st.just("create"), st.sampled_from(["ok0", "ok1", "ok2", "503", "429"])),
    st.tuples(st.just("keepalive"), st.sampled_from(["ok", "1125", "503"])),
    st.tuples(st.just("open"), st.integers(0, 3)),
    st.tuples(st.just("fail_open"), st.integers(0, 3)),
    st.tuples(st.just("server_close"), st.integers(0, 3)),
    st.tuples(
        st.just("frame"),
        st.integers(0, 3),
        st.sampled_from(["new", "dup", "malformed", "unknown", "expired"]),
    ),
    st.tuples(st.just("ping"), st.integers(0, 3)),
    st.tuples(st.just("pause"), st.booleans()),
)


class Model:
    def __init__(self, seed: int) -> None:
        opts = StreamOptions(
            ping_interval=60,
            ping_timeout=30,
            rotate_after=7200,
            rotation_overlap=5,
            keepalive_interval=1800,
            backoff_max=30,
        )
        self.core = StreamCore("ws://sim", opts, rng=random.Random(seed))
        self.now = T0
        self.pending_create = False
        self.pending_keepalive = False
        self.connecting: list[int] = []
        self.open: list[int] = []
        self.messages: list[Any] = []
        self.next_event = 1
        self.sent_any = 0

    def run(self, actions: list[Action]) -> None:
        for a in actions:
            if isinstance(a, CreateKey):
                assert not self.pending_create, "two key creations at once"
                self.pending_create = True
            elif isinstance(a, Keepalive):
                assert not self.pending_keepalive, "two keepalives at once"
                self.pending_keepalive = True
            elif isinstance(a, Connect):
                self.connecting.append(a.conn_id)
            elif isinstance(a, Close):
                for lst in (self.connecting, self.open):
                    if a.conn_id in lst:
                        lst.remove(a.conn_id)
            elif isinstance(a, Deliver):
                self.messages.append(a.message)
            elif isinstance(a, (Fail, Closed, DeleteKey)):
                pass
        self.check()

    def check(self) -> None:
        core = self.core
        deadline = core.next_deadline()
        assert deadline is None or deadline > self.now, "overdue timer left behind"
        hint = core.deadline_hint  # a lower bound the driver may wake at: never late
        if deadline is not None:
            assert hint is not None and hint <= deadline
        conns = core.connections()
        assert len(conns) <= 2
        keys = {key for _, key in conns.values()}
        assert len(keys) <= 1, "two live listen keys"
        if keys:
            assert keys == {core.listen_key}
        assert set(conns) == set(self.connecting) | set(self.open)

    def step(self, step: tuple[Any, ...]) -> None:
        kind = step[0]
        core = self.core
        if kind == "advance":
            target = self.now + step[1]
            while True:
                d = core.next_deadline()
                if d is None or d > target:
                    break
                self.now = d
                self.run(core.tick(d))
            self.now = target
            self.run(core.tick(target))
        elif kind == "create" and self.pending_create:
            self.pending_create = False
            if step[1].startswith("ok"):
                self.run(core.create_key_ok(KEYS[int(step[1][2])], self.now))
            else:
                status = int(step[1])
                self.run(core.create_key_failed(RestError(status, retry_after=1.0), self.now))
        elif kind == "keepalive" and self.pending_keepalive:
            self.pending_keepalive = False
            if step[1] == "ok":
                self.run(core.keepalive_ok(self.now))
            else:
                code = -1125 if step[1] == "1125" else -1001
                self.run(core.keepalive_failed(RestError(400, code), self.now))
        elif kind == "open" and self.connecting:
            conn = self.connecting.pop(step[1] % len(self.connecting))
            self.open.append(conn)
            self.run(core.connection_opened(conn, self.now))
        elif kind == "fail_open" and self.connecting:
            conn = self.connecting.pop(step[1] % len(self.connecting))
            self.run(core.connection_closed(conn, self.now, "refused"))
        elif kind == "server_close" and self.open:
            conn = self.open.pop(step[1] % len(self.open))
            self.run(core.connection_closed(conn, self.now, "server closed"))
        elif kind == "frame" and self.open:
            conn = self.open[step[1] % len(self.open)]
            what = step[2]
            if what == "new" or (what == "dup" and self.next_event == 1):
                data = order(self.next_event)
                self.next_event += 1
            elif what == "dup":
                data = order(self.next_event - 1)
            elif what == "malformed":
                data = b"]["
            elif what == "unknown":
                data = b'{"e":"NEW_THING","E":%d}' % self.next_event
                self.next_event += 1
            else:
                key = core.listen_key
                data = encode_event(ListenKeyExpired(event_time=self.next_event, listen_key=key))
                self.next_event += 1
            self.run(core.frame_received(conn, data, self.now))
        elif kind == "ping" and self.open:
            self.run(core.ping_received(self.open[step[1] % len(self.open)], b"p", self.now))
        elif kind == "pause":
            self.run(core.pause(self.now) if step[1] else core.resume(self.now))

    def check_messages(self) -> None:
        """Delivery-order invariants over the whole run."""
        live: set[int] = set()
        gap_owed = False
        seen: set[Any] = set()
        ever = False
        for m in self.messages:
            if isinstance(m, StreamConnected):
                assert m.connection_id not in live
                live.add(m.connection_id)
            elif isinstance(m, StreamDisconnected):
                assert m.connection_id in live, "disconnect without connect"
                live.remove(m.connection_id)
                if not live:
                    gap_owed = True
            elif isinstance(m, StreamGap):
                assert m.since <= m.until
                if live:
                    gap_owed = False
            elif isinstance(m, (OrderTradeUpdate, UnknownEvent, ListenKeyExpired)):
                assert live, "event delivered with no live connection"
                assert not gap_owed, "event after a disconnect without a StreamGap"
                ident = event_identity(m)
                assert ident not in seen, "duplicate delivered"
                seen.add(ident)
                ever = True
        del ever


@settings(
    max_examples=int(os.environ.get("STREAM_CORE_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.integers(0, 2**16), st.lists(STEP, max_size=60))
def test_random_input_sequences_keep_the_invariants(seed: int, steps: list[Any]) -> None:
    m = Model(seed)
    m.run(m.core.start(m.now))
    for step in steps:
        m.step(step)
        if m.core.phase is not Phase.RUNNING:
            break
    m.check_messages()
    # close() always ends with nothing scheduled and no connection left.
    actions = m.core.close(m.now)
    m.run(actions)
    if any(isinstance(a, DeleteKey) for a in actions):
        m.run(m.core.delete_key_done(m.now))
    assert m.core.phase is Phase.CLOSED
    assert m.core.connections() == {} and m.core.next_deadline() is None


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**16), st.lists(st.sampled_from(["ok", "fail"]), max_size=40))
def test_a_healthy_connection_never_reports_a_gap(seed: int, keepalives: list[str]) -> None:
    """Keepalive hiccups (not -1125) and days of rotation never cost a gap."""
    m = Model(seed)
    m.run(m.core.start(m.now))
    m.step(("create", "ok0"))
    for item in keepalives:
        while m.connecting:
            m.step(("open", 0))
        m.step(("frame", 0, "new"))
        for _ in range(30):  # the server pings every 30 s: nothing looks half-open
            for i in range(len(m.open)):
                m.step(("ping", i))
            m.step(("advance", 30.0))
            while m.connecting:
                m.step(("open", 0))
        if m.pending_keepalive:
            m.step(("keepalive", "ok" if item == "ok" else "503"))
    m.check_messages()
    assert not any(isinstance(x, StreamGap) for x in m.messages)
