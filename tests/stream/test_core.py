"""StreamCore: the sans-I/O decisions, driven by hand. No sockets, no event loop, no clock."""

from __future__ import annotations

import random
from typing import Any

import pytest

from binance.derivatives.cmfutures.events import (
    AccountConfigUpdate,
    LeverageUpdate,
    ListenKeyExpired,
    ListenKeyRenewed,
    OrderTradeUpdate,
    StreamConnected,
    StreamDisconnected,
    StreamGap,
    UnknownEvent,
    encode_event,
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
    SendPing,
    SendPong,
    mask_key,
)
from binance.derivatives.cmfutures.stream.backoff import Backoff
from binance.derivatives.cmfutures.stream.core import Phase, StreamCore
from binance.derivatives.cmfutures.stream.dedup import RecentIdentities
from binance.derivatives.cmfutures.stream.options import StreamOptions

from .. import factories

KEY_A = "A" * 60 + "aaaa"
KEY_B = "B" * 60 + "bbbb"
T0 = 1_767_225_600.0


def order_event(n: int, *, at_ms: int | None = None) -> OrderTradeUpdate:
    """Order event n, stamped T0 + n ms unless ``at_ms`` is given."""
    at = at_ms if at_ms is not None else int(T0 * 1000) + n
    return factories.order_event(n, at, alias="oPfT")


def frame(n: int, at: float | None = None) -> bytes:
    """Order event n; with ``at``, its E is that time (as if received without delay)."""
    return encode_event(order_event(n, at_ms=None if at is None else round(at * 1000)))


def delivered(actions: list[Action]) -> list[Any]:
    return [a.message for a in actions if isinstance(a, Deliver)]


def only(actions: list[Action], kind: type) -> list[Any]:
    return [a for a in actions if isinstance(a, kind)]


class Harness:
    """A core plus the bookkeeping a driver would do, to keep tests short."""

    def __init__(self, **options: Any) -> None:
        self.now = T0
        # Half-open checks off unless a test sets them: nothing answers pings here.
        options.setdefault("ping_interval", 10**6)
        options.setdefault("ping_timeout", 10**6)
        self.core = StreamCore(
            "ws://127.0.0.1:9/", StreamOptions().replace(**options), rng=random.Random(7)
        )
        self.log: list[Action] = []

    def feed(self, actions: list[Action]) -> list[Action]:
        self.log.extend(actions)
        deadline = self.core.next_deadline()
        assert deadline is None or deadline > self.now, "core left a timer overdue"
        return actions

    def at(self, t: float) -> float:
        self.now = t
        return t

    def advance_to(self, t: float) -> list[Action]:
        """Tick at every deadline up to t, like a driver sleeping on next_deadline()."""
        out: list[Action] = []
        while True:
            d = self.core.next_deadline()
            if d is None or d > t:
                break
            self.now = d
            out += self.feed(self.core.tick(d))
        self.now = t
        out += self.feed(self.core.tick(t))
        return out

    def start_connected(self, key: str = KEY_A) -> int:
        acts = self.feed(self.core.start(self.now))
        assert only(acts, CreateKey)
        acts = self.feed(self.core.create_key_ok(key, self.now))
        (connect,) = only(acts, Connect)
        acts = self.feed(self.core.connection_opened(connect.conn_id, self.now))
        assert isinstance(delivered(acts)[0], StreamConnected)
        return connect.conn_id

    def messages(self) -> list[Any]:
        return delivered(self.log)


# ------------------------------------------------------------------ basic flow


def test_start_creates_key_connects_and_delivers_events() -> None:
    h = Harness()
    acts = h.feed(h.core.start(h.now))
    assert acts == [CreateKey("start")]
    acts = h.feed(h.core.create_key_ok(KEY_A, h.now))
    (connect,) = only(acts, Connect)
    assert connect.url == f"ws://127.0.0.1:9/ws/{KEY_A}"
    assert KEY_A not in connect.masked_url and connect.masked_url.endswith("aaaa")
    assert connect.purpose == "initial"
    acts = h.feed(h.core.connection_opened(connect.conn_id, h.now + 0.1))
    (msg,) = delivered(acts)
    assert msg == StreamConnected(h.now + 0.1, connect.masked_url, connect.conn_id)
    acts = h.feed(h.core.frame_received(connect.conn_id, frame(1), h.now + 0.2))
    assert delivered(acts) == [order_event(1)]
    assert h.core.connected
    assert h.core.phase is Phase.RUNNING


@pytest.mark.parametrize("host", ["ws://h:1", "ws://h:1/", "ws://h:1//"])
def test_stream_host_with_or_without_trailing_slash(host: str) -> None:
    core = StreamCore(host)
    core.start(T0)
    (connect,) = only(core.create_key_ok(KEY_A, T0), Connect)
    assert connect.url == f"ws://h:1/ws/{KEY_A}"


def test_start_twice_is_an_error() -> None:
    core = StreamCore("ws://h")
    core.start(T0)
    with pytest.raises(RuntimeError, match="start"):
        core.start(T0)


def test_invalid_stream_host_is_rejected() -> None:
    with pytest.raises(ValueError, match="stream_host"):
        StreamCore("")


def test_unknown_event_is_delivered_as_unknown_event() -> None:
    h = Harness()
    conn = h.start_connected()
    acts = h.feed(h.core.frame_received(conn, b'{"e":"TRADE_LITE","E":5,"x":1}', h.now))
    (msg,) = delivered(acts)
    assert isinstance(msg, UnknownEvent) and msg.event_type == "TRADE_LITE"
    assert h.core.stats(h.now).events_by_type == {"TRADE_LITE": 1}


def test_combined_stream_envelope_is_unwrapped() -> None:
    h = Harness()
    conn = h.start_connected()
    data = b'{"stream":"k","data":' + frame(3) + b"}"
    assert delivered(h.feed(h.core.frame_received(conn, data, h.now))) == [order_event(3)]


def test_malformed_frame_is_a_gap_since_the_last_event_and_not_fatal() -> None:
    h = Harness()
    conn = h.start_connected()
    h.feed(h.core.frame_received(conn, frame(7, T0 + 2), h.at(T0 + 2)))
    t = h.at(T0 + 5)
    acts = h.feed(h.core.frame_received(conn, b"{not json", t))
    (gap,) = delivered(acts)
    assert isinstance(gap, StreamGap) and gap.since == T0 + 2 and gap.until == t
    assert "malformed" in gap.reason
    # A known type with a missing required field is also malformed.
    acts = h.feed(h.core.frame_received(conn, b'{"e":"ORDER_TRADE_UPDATE","E":1}', t))
    assert isinstance(delivered(acts)[0], StreamGap)
    assert delivered(h.feed(h.core.frame_received(conn, frame(1), t))) == [order_event(1)]
    stats = h.core.stats(t)
    assert stats.malformed_frames == 2 and stats.gaps == 2 and h.core.connected
    assert stats.events == 2


def test_malformed_frame_log_masks_the_listen_key(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness()
    conn = h.start_connected()
    caplog.set_level("WARNING", logger="binance.derivatives.cmfutures.stream")
    h.core.frame_received(conn, f"oops {KEY_A}".encode(), h.now)
    assert "malformed" in caplog.text
    assert KEY_A not in caplog.text and mask_key(KEY_A) in caplog.text


def test_duplicate_event_is_dropped_and_counted() -> None:
    h = Harness()
    conn = h.start_connected()
    assert delivered(h.feed(h.core.frame_received(conn, frame(1), h.now))) == [order_event(1)]
    assert delivered(h.feed(h.core.frame_received(conn, frame(1), h.now))) == []
    assert h.core.stats(h.now).duplicates_dropped == 1


def test_inputs_for_unknown_connections_are_ignored() -> None:
    h = Harness()
    h.start_connected()
    assert h.feed(h.core.frame_received(99, frame(1), h.now)) == []
    assert h.feed(h.core.connection_opened(99, h.now)) == []
    assert h.feed(h.core.connection_closed(99, h.now, "x")) == []
    assert h.feed(h.core.ping_received(99, b"x", h.now)) == []
    assert h.feed(h.core.pong_received(99, h.now)) == []


def test_server_ping_is_answered_with_the_same_payload() -> None:
    h = Harness()
    conn = h.start_connected()
    assert h.feed(h.core.ping_received(conn, b"abc", h.now)) == [SendPong(conn, b"abc")]


# ------------------------------------------------------------------ keepalive


def test_keepalive_every_interval() -> None:
    h = Harness(keepalive_interval=1800)
    h.start_connected()
    acts = h.advance_to(T0 + 1799)
    assert not only(acts, Keepalive)
    acts = h.advance_to(T0 + 1800)
    assert only(acts, Keepalive) == [Keepalive()]
    # No second keepalive while one is in flight.
    assert not only(h.advance_to(T0 + 1900), Keepalive)
    h.feed(h.core.keepalive_ok(h.at(T0 + 1900)))
    assert h.core.stats(h.now).keepalive.next_due == T0 + 1900 + 1800
    assert h.core.stats(h.now).keepalive.last_ok == T0 + 1900
    assert only(h.advance_to(T0 + 3700), Keepalive)


def test_keepalive_retries_quickly_then_repeats_the_last_delay() -> None:
    h = Harness(keepalive_interval=1800, keepalive_retry_delays=(5, 10, 30))
    h.start_connected()
    h.advance_to(T0 + 1800)
    t = T0 + 1800
    for expected in (5, 10, 30, 30):
        h.feed(h.core.keepalive_failed(RestError(status=503, code=-1001), h.at(t)))
        assert h.core.stats(h.now).keepalive.next_due == t + expected
        t += expected
        assert only(h.advance_to(t), Keepalive)
    stats = h.core.stats(h.now).keepalive
    assert stats.failures == 4 and stats.total_failures == 4
    h.feed(h.core.keepalive_ok(h.at(t)))
    assert h.core.stats(h.now).keepalive.failures == 0
    assert h.core.stats(h.now).keepalive.total_failures == 4


def test_keepalive_retry_honours_retry_after() -> None:
    h = Harness(keepalive_retry_delays=(5,))
    h.start_connected()
    h.advance_to(T0 + 1800)
    h.feed(h.core.keepalive_failed(RestError(status=429, code=-1003, retry_after=120), h.now))
    assert h.core.stats(h.now).keepalive.next_due == T0 + 1800 + 120


def test_keepalive_minus_1125_renews_key_and_announces_the_gap() -> None:
    h = Harness()
    conn = h.start_connected()
    h.feed(h.core.frame_received(conn, frame(1, T0 + 100), h.at(T0 + 100)))
    h.advance_to(T0 + 1800)
    acts = h.feed(h.core.keepalive_failed(RestError(status=400, code=-1125), h.at(T0 + 1800.5)))
    assert Close(conn, "listen key no longer exists (-1125 on keepalive)") in acts
    assert only(acts, CreateKey)
    (disc,) = delivered(acts)
    assert isinstance(disc, StreamDisconnected) and "-1125" in disc.reason
    acts = h.feed(h.core.create_key_ok(KEY_B, h.at(T0 + 1801)))
    (renewed,) = delivered(acts)
    assert renewed == ListenKeyRenewed(T0 + 1801, "…aaaa", "…bbbb", renewed.reason)
    (connect,) = only(acts, Connect)
    assert connect.url.endswith(KEY_B) and connect.purpose == "renewal"
    acts = h.feed(h.core.connection_opened(connect.conn_id, h.at(T0 + 1802)))
    connected, gap = delivered(acts)
    assert isinstance(connected, StreamConnected)
    # Since the key was last known good: the last event received on it.
    assert gap == StreamGap(T0 + 100, T0 + 1802, gap.reason)
    assert h.core.stats(h.now).key_renewals == 1
    assert h.core.listen_key == KEY_B


def test_listen_key_expired_event_renews_and_gaps_from_its_receipt() -> None:
    h = Harness()
    conn = h.start_connected()
    expired = ListenKeyExpired(event_time=int((T0 + 500) * 1000), listen_key=KEY_A)
    acts = h.feed(h.core.frame_received(conn, encode_event(expired), h.at(T0 + 500)))
    msgs = delivered(acts)
    assert msgs[0] == expired
    assert isinstance(msgs[1], StreamDisconnected)
    assert only(acts, Close) and only(acts, CreateKey)
    acts = h.feed(h.core.create_key_ok(KEY_B, h.at(T0 + 501)))
    (connect,) = only(acts, Connect)
    acts = h.feed(h.core.connection_opened(connect.conn_id, h.at(T0 + 502)))
    assert delivered(acts)[1] == StreamGap(T0 + 500, T0 + 502, delivered(acts)[1].reason)
    assert "listenKeyExpired" in delivered(acts)[1].reason


def test_listen_key_expired_for_another_key_changes_nothing() -> None:
    h = Harness()
    conn = h.start_connected()
    expired = ListenKeyExpired(event_time=1, listen_key=KEY_B)
    acts = h.feed(h.core.frame_received(conn, encode_event(expired), h.now))
    assert delivered(acts) == [expired]
    assert not only(acts, CreateKey) and h.core.connected


def test_keepalive_failing_for_key_lifetime_asks_again_and_same_key_means_no_gap() -> None:
    h = Harness(keepalive_retry_delays=(300,))
    conn = h.start_connected()
    creates: list[Action] = []
    t = T0 + 1800
    h.advance_to(t)
    while t < T0 + 3600:
        acts = h.feed(h.core.keepalive_failed(RestError(status=0, message="refused"), h.at(t)))
        creates += only(acts, CreateKey)
        t += 300
        creates += only(h.advance_to(min(t, T0 + 3600)), CreateKey)
    assert len(creates) == 1 and "presumed expired" in creates[0].reason
    acts = h.feed(h.core.create_key_ok(KEY_A, h.now))
    assert delivered(acts) == [] and not only(acts, Close)
    assert h.core.connected and conn in h.core.connections()
    assert h.core.stats(h.now).keepalive.failures == 0


def test_presumed_expired_key_replaced_by_a_new_one_means_gap() -> None:
    h = Harness(keepalive_retry_delays=(600,))
    conn = h.start_connected()
    h.advance_to(T0 + 1800)
    h.feed(h.core.keepalive_failed(RestError(status=0), h.at(T0 + 1800)))
    h.advance_to(T0 + 2400)
    h.feed(h.core.keepalive_failed(RestError(status=0), h.at(T0 + 2400)))
    h.advance_to(T0 + 3000)
    h.feed(h.core.keepalive_failed(RestError(status=0), h.at(T0 + 3000)))
    acts = h.advance_to(T0 + 3600)
    assert only(acts, CreateKey)
    acts = h.feed(h.core.create_key_ok(KEY_B, h.at(T0 + 3601)))
    assert [c.conn_id for c in only(acts, Close)] == [conn]
    msgs = delivered(acts)
    assert isinstance(msgs[0], ListenKeyRenewed) and isinstance(msgs[1], StreamDisconnected)
    (connect,) = only(acts, Connect)
    acts = h.feed(h.core.connection_opened(connect.conn_id, h.at(T0 + 3602)))
    gap = delivered(acts)[1]
    assert isinstance(gap, StreamGap) and gap.since == T0 and gap.until == T0 + 3602


# ------------------------------------------------------------------ key creation


def test_create_failure_retries_with_backoff_and_retry_after() -> None:
    h = Harness(backoff_initial=1, backoff_max=8)
    h.feed(h.core.start(h.now))
    h.feed(h.core.create_key_failed(RestError(status=503, code=-1001), h.now))
    d = h.core.next_deadline()
    assert d is not None and h.now <= d <= h.now + 1
    assert only(h.advance_to(d), CreateKey)
    h.feed(h.core.create_key_failed(RestError(status=418, retry_after=100), h.now))
    assert h.core.next_deadline() == pytest.approx(h.now + 100)


@pytest.mark.parametrize(
    "error", [RestError(status=401, code=-2015), RestError(status=400, code=-2014)]
)
def test_rejected_api_key_is_fatal(error: RestError) -> None:
    h = Harness()
    h.feed(h.core.start(h.now))
    acts = h.feed(h.core.create_key_failed(error, h.now))
    (fail,) = only(acts, Fail)
    assert "rejected" in fail.reason
    assert h.core.phase is Phase.FAILED and h.core.next_deadline() is None


def test_fatal_error_passes_the_original_exception() -> None:
    h = Harness()
    h.feed(h.core.start(h.now))
    boom = RuntimeError("401")
    (fail,) = only(h.core.create_key_failed(RestError(status=401, error=boom), h.now), Fail)
    assert fail.error is boom


def test_empty_key_counts_as_a_failed_create() -> None:
    h = Harness()
    h.feed(h.core.start(h.now))
    acts = h.feed(h.core.create_key_ok("", h.now))
    assert not only(acts, Connect) and h.core.next_deadline() is not None


# ------------------------------------------------------------------ half-open, reconnect


def test_half_open_connection_is_pinged_then_declared_dead() -> None:
    h = Harness(ping_interval=60, ping_timeout=30)
    conn = h.start_connected()
    h.feed(h.core.frame_received(conn, frame(1, T0 + 10), h.at(T0 + 10)))
    assert h.core.next_deadline() == T0 + 70
    acts = h.advance_to(T0 + 70)
    assert acts == [SendPing(conn)]
    acts = h.advance_to(T0 + 100)
    (close,) = only(acts, Close)
    assert close.conn_id == conn and "half-open" in close.reason and close.abort
    (disc,) = delivered(acts)
    assert isinstance(disc, StreamDisconnected) and disc.at == T0 + 100
    d = h.core.next_deadline()
    assert d is not None and T0 + 100 <= d <= T0 + 101
    (connect,) = only(h.advance_to(d), Connect)
    assert connect.purpose == "reconnect" and connect.url.endswith(KEY_A)
    acts = h.feed(h.core.connection_opened(connect.conn_id, h.at(d + 0.5)))
    assert delivered(acts)[1] == StreamGap(T0 + 10, d + 0.5, close.reason)
    assert h.core.stats(h.now).reconnects == 1


@pytest.mark.parametrize("kind", ["pong", "ping", "frame"])
def test_any_inbound_frame_answers_the_liveness_ping(kind: str) -> None:
    h = Harness(ping_interval=60, ping_timeout=30)
    conn = h.start_connected()
    assert h.advance_to(T0 + 60) == [SendPing(conn)]
    if kind == "pong":
        h.feed(h.core.pong_received(conn, h.at(T0 + 80)))
    elif kind == "ping":
        h.feed(h.core.ping_received(conn, b"", h.at(T0 + 80)))
    else:
        h.feed(h.core.frame_received(conn, frame(1), h.at(T0 + 80)))
    assert not only(h.advance_to(T0 + 139), Close)
    assert h.core.next_deadline() == T0 + 140


def test_pause_suspends_half_open_detection_and_resume_restarts_it() -> None:
    h = Harness(ping_interval=60, ping_timeout=30)
    conn = h.start_connected()
    h.feed(h.core.pause(h.now))
    assert h.core.paused
    assert not only(h.advance_to(T0 + 1000), SendPing)
    h.feed(h.core.resume(h.at(T0 + 1000)))
    assert h.advance_to(T0 + 1060) == [SendPing(conn)]
    assert h.core.stats(h.now).backpressure_pauses == 1


def test_server_close_reconnects_on_the_same_key_with_a_gap() -> None:
    h = Harness()
    conn = h.start_connected()
    h.feed(h.core.frame_received(conn, frame(1, T0 + 3), h.at(T0 + 3)))
    acts = h.feed(h.core.connection_closed(conn, h.at(T0 + 4), "server closed (code 1011)"))
    assert not only(acts, Close)  # already closed: nothing to do
    assert delivered(acts) == [StreamDisconnected(T0 + 4, "server closed (code 1011)", conn)]
    d = h.core.next_deadline()
    assert d is not None
    (connect,) = only(h.advance_to(d), Connect)
    acts = h.feed(h.core.connection_opened(connect.conn_id, h.at(d + 1)))
    assert delivered(acts)[1] == StreamGap(T0 + 3, d + 1, "server closed (code 1011)")


def test_failed_connection_attempts_back_off_and_accumulate_one_gap() -> None:
    h = Harness(backoff_initial=1, backoff_factor=2, backoff_max=8)
    conn = h.start_connected()
    h.feed(h.core.connection_closed(conn, h.at(T0 + 1), "dropped"))
    bounds = []
    for i in range(6):
        d = h.core.next_deadline()
        assert d is not None
        bounds.append(d - h.now)
        (connect,) = only(h.advance_to(d), Connect)
        h.feed(h.core.connection_closed(connect.conn_id, h.now, f"refused {i}"))
    for delay, bound in zip(bounds, [1, 2, 4, 8, 8, 8], strict=True):
        assert 0 <= delay <= bound
    d = h.core.next_deadline()
    assert d is not None
    (connect,) = only(h.advance_to(d), Connect)
    acts = h.feed(h.core.connection_opened(connect.conn_id, h.now))
    gaps = [m for m in delivered(acts) if isinstance(m, StreamGap)]
    # Nothing was received after the opening: the gap starts there.
    assert len(gaps) == 1 and gaps[0].since == T0 and gaps[0].reason == "dropped"


def test_open_timeout_abandons_the_attempt() -> None:
    h = Harness(open_timeout=10)
    h.feed(h.core.start(h.now))
    (connect,) = only(h.feed(h.core.create_key_ok(KEY_A, h.now)), Connect)
    acts = h.advance_to(T0 + 10)
    assert only(acts, Close) == [
        Close(connect.conn_id, "opening handshake timed out after 10s", abort=True)
    ]
    assert delivered(acts) == []  # it never opened: no disconnect, no gap
    # A late "opened" for the abandoned attempt is ignored.
    assert h.feed(h.core.connection_opened(connect.conn_id, T0 + 10)) == []


def test_initial_connection_failure_is_not_a_gap() -> None:
    h = Harness()
    h.feed(h.core.start(h.now))
    (connect,) = only(h.feed(h.core.create_key_ok(KEY_A, h.now)), Connect)
    h.feed(h.core.connection_closed(connect.conn_id, h.now, "refused"))
    d = h.core.next_deadline()
    assert d is not None
    (connect,) = only(h.advance_to(d), Connect)
    acts = h.feed(h.core.connection_opened(connect.conn_id, h.now))
    assert [type(m) for m in delivered(acts)] == [StreamConnected]


def test_backoff_resets_after_a_stable_connection() -> None:
    h = Harness(backoff_initial=1, backoff_factor=10, backoff_max=1000, stable_after=60)
    conn = h.start_connected()
    for _ in range(3):  # unstable: drops right after opening
        h.feed(h.core.connection_closed(conn, h.now, "drop"))
        d = h.core.next_deadline()
        assert d is not None
        (connect,) = only(h.advance_to(d), Connect)
        conn = connect.conn_id
        h.feed(h.core.connection_opened(conn, h.now))
    (slot,) = h.core.pool._slots.values()  # the connection slot's backoff
    assert slot._backoff.attempt == 3
    h.feed(h.core.frame_received(conn, frame(1), h.at(h.now + 59)))
    h.feed(h.core.connection_closed(conn, h.at(h.now + 1), "drop after a minute"))
    d = h.core.next_deadline()
    assert d is not None and d - h.now <= 1


def test_backoff_bounds_growth_cap_reset_and_seed() -> None:
    b = Backoff(0.5, 2, 5, random.Random(1))
    assert [b.bound() for _ in range(1)] == [0.5]
    delays = [b.next_delay() for _ in range(8)]
    for d, bound in zip(delays, [0.5, 1, 2, 4, 5, 5, 5, 5], strict=True):
        assert 0 <= d <= bound
    b.reset()
    assert b.bound() == 0.5 and b.attempt == 0
    again = Backoff(0.5, 2, 5, random.Random(1))
    assert [again.next_delay() for _ in range(8)] == delays
    huge = Backoff(1, 10, 60)
    for _ in range(2000):
        huge.next_delay()
    assert huge.bound() == 60


# ------------------------------------------------------------------ rotation


def test_rotation_overlaps_switches_drops_duplicates_and_has_no_gap() -> None:
    h = Harness(
        rotate_after=23 * 3600,
        rotation_overlap=5,
        ping_interval=10**6,
        ping_timeout=10**6,
        keepalive_interval=10**6,
        listen_key_lifetime=2 * 10**6,
    )
    old = h.start_connected()
    acts = h.advance_to(T0 + 23 * 3600)
    (connect,) = only(acts, Connect)
    assert connect.purpose == "rotation" and connect.url.endswith(KEY_A)
    # Before the new one opens, the old one delivers.
    assert delivered(h.feed(h.core.frame_received(old, frame(1), h.now))) == [order_event(1)]
    new = connect.conn_id
    t = h.at(T0 + 23 * 3600 + 1)
    (msg,) = delivered(h.feed(h.core.connection_opened(new, t)))
    assert isinstance(msg, StreamConnected) and msg.connection_id == new
    # Overlap: both deliver, each event once.
    out = []
    for conn, n in [(old, 2), (new, 2), (new, 3), (old, 3), (old, 4), (new, 4)]:
        out += delivered(h.feed(h.core.frame_received(conn, frame(n), t)))
    assert out == [order_event(2), order_event(3), order_event(4)]
    acts = h.advance_to(t + 5)
    assert only(acts, Close) == [Close(old, f"rotated: replaced by connection {new}")]
    (disc,) = delivered(acts)
    assert isinstance(disc, StreamDisconnected) and "rotated" in disc.reason
    assert h.core.connections() == {new: ("open", KEY_A)}
    stats = h.core.stats(h.now)
    assert stats.rotations == 1 and stats.gaps == 0 and stats.duplicates_dropped == 3
    assert not any(isinstance(m, StreamGap) for m in h.messages())
    # The next rotation is planned from the new connection's opening.
    assert only(h.advance_to(t + 23 * 3600), Connect)


def test_rotation_attempt_that_fails_is_retried_without_a_gap() -> None:
    h = Harness(rotate_after=100, ping_interval=10**6, ping_timeout=10**6)
    old = h.start_connected()
    (connect,) = only(h.advance_to(T0 + 100), Connect)
    acts = h.feed(h.core.connection_closed(connect.conn_id, h.at(T0 + 101), "refused"))
    assert delivered(acts) == []
    d = h.core.next_deadline()
    assert d is not None and d >= T0 + 101
    (again,) = only(h.advance_to(d), Connect)
    assert again.purpose == "rotation"
    assert h.core.connections()[old] == ("open", KEY_A)


def test_new_connection_dying_during_overlap_hands_back_to_the_old_one() -> None:
    h = Harness(rotate_after=100, rotation_overlap=5, ping_interval=10**6, ping_timeout=10**6)
    old = h.start_connected()
    (connect,) = only(h.advance_to(T0 + 100), Connect)
    h.feed(h.core.connection_opened(connect.conn_id, h.at(T0 + 101)))
    acts = h.feed(h.core.connection_closed(connect.conn_id, h.at(T0 + 102), "boom"))
    assert [type(m) for m in delivered(acts)] == [StreamDisconnected]
    assert h.core.connections() == {old: ("open", KEY_A)}
    assert not only(h.advance_to(T0 + 110), Close)
    assert delivered(h.feed(h.core.frame_received(old, frame(9), h.now))) == [order_event(9)]
    assert not any(isinstance(m, StreamGap) for m in h.messages())


def test_old_connection_cut_before_rotation_completes_is_a_normal_gap() -> None:
    h = Harness(rotate_after=100, ping_interval=10**6, ping_timeout=10**6)
    old = h.start_connected()
    h.feed(h.core.frame_received(old, frame(1, T0 + 99), h.at(T0 + 99)))
    (connect,) = only(h.advance_to(T0 + 100), Connect)
    acts = h.feed(h.core.connection_closed(old, h.at(T0 + 100.5), "24h cut"))
    assert [type(m) for m in delivered(acts)] == [StreamDisconnected]
    assert not only(acts, Connect)  # the rotation attempt in flight will do
    acts = h.feed(h.core.connection_opened(connect.conn_id, h.at(T0 + 101)))
    assert delivered(acts)[1] == StreamGap(T0 + 99, T0 + 101, "24h cut")


# ------------------------------------------------------------------ close


def test_close_closes_connections_and_deletes_the_key() -> None:
    h = Harness(delete_listen_key_on_close=True)
    conn = h.start_connected()
    acts = h.core.close(h.now)
    assert acts == [Close(conn, "closed by the user"), DeleteKey()]
    assert h.core.phase is Phase.CLOSING and h.core.next_deadline() is None
    assert h.core.frame_received(conn, frame(1), h.now) == []
    assert h.core.close(h.now) == []
    assert h.core.delete_key_done(h.now) == [Closed()]
    assert h.core.phase is Phase.CLOSED


def test_close_without_deleting_the_key() -> None:
    h = Harness(delete_listen_key_on_close=False)
    conn = h.start_connected()
    assert h.core.close(h.now) == [Close(conn, "closed by the user"), Closed()]


def test_close_while_creating_still_deletes_and_ignores_the_late_key() -> None:
    h = Harness(delete_listen_key_on_close=True)
    h.feed(h.core.start(h.now))
    assert h.core.close(h.now) == [DeleteKey()]
    assert h.core.create_key_ok(KEY_A, h.now) == []
    assert h.core.delete_key_done(h.now, RestError(status=0)) == [Closed()]


def test_close_keeps_the_shared_key_by_default() -> None:
    h = Harness()
    conn = h.start_connected()
    assert h.core.close(h.now) == [Close(conn, "closed by the user"), Closed()]


def test_close_before_start_and_after_failure() -> None:
    assert StreamCore("ws://h").close(T0) == [Closed()]
    h = Harness()
    h.feed(h.core.start(h.now))
    h.feed(h.core.create_key_failed(RestError(status=401), h.now))
    assert h.core.close(h.now) == [Closed()]


def test_late_rest_answers_after_close_are_ignored() -> None:
    h = Harness()
    h.start_connected()
    h.advance_to(T0 + 1800)
    h.core.close(h.now)
    assert h.core.keepalive_ok(h.now) == []
    assert h.core.keepalive_failed(RestError(status=400, code=-1125), h.now) == []
    assert h.core.create_key_failed(RestError(status=401), h.now) == []


# ------------------------------------------------------------------ stats, options, dedup


def test_stats_count_events_lag_and_last_event_age() -> None:
    h = Harness()
    conn = h.start_connected()
    e1 = order_event(1, at_ms=int(T0 * 1000))
    h.feed(h.core.frame_received(conn, encode_event(e1), h.at(T0 + 0.010)))
    ac = AccountConfigUpdate(
        event_time=int(T0 * 1000), transaction_time=1, leverage=LeverageUpdate("BTCUSD_PERP", 5)
    )
    h.feed(h.core.frame_received(conn, encode_event(ac), h.at(T0 + 0.030)))
    s = h.core.stats(T0 + 1)
    assert s.events == 2
    assert s.events_by_type == {"ORDER_TRADE_UPDATE": 1, "ACCOUNT_CONFIG_UPDATE": 1}
    assert s.last_event_at == T0 + 0.030 and s.last_event_age == pytest.approx(0.970)
    assert s.lag.count == 2
    assert s.lag.last == pytest.approx(0.030) and s.lag.max == pytest.approx(0.030)
    assert s.lag.mean == pytest.approx(0.020)
    assert s.connected and s.listen_key == "…aaaa" and s.connects == 1


def test_stats_before_anything() -> None:
    s = StreamCore("ws://h").stats(T0)
    assert s.events == 0 and s.lag.p99 is None and s.last_event_age is None
    assert s.listen_key is None and not s.connected


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"ping_interval": 0}, "ping_interval"),
        ({"ping_timeout": -1}, "ping_timeout"),
        ({"keepalive_interval": 3600}, "keepalive_interval"),
        ({"keepalive_retry_delays": ()}, "keepalive_retry_delays"),
        ({"backoff_max": 0.1}, "backoff_max"),
        ({"backoff_factor": 0.5}, "backoff_factor"),
        ({"max_queue": 0}, "max_queue"),
        ({"dedup_size": True}, "dedup_size"),
        ({"rotate_after": float("nan")}, "rotate_after"),
        ({"rotation_overlap": -1}, "rotation_overlap"),
    ],
)
def test_options_validation_names_the_option(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        StreamOptions().replace(**changes)


def test_options_replace_rejects_unknown_names() -> None:
    with pytest.raises(TypeError, match=r"ping_intervall.*valid options"):
        StreamOptions().replace(ping_intervall=3)
    assert StreamOptions().replace(keepalive_retry_delays=[1, 2]).keepalive_retry_delays == (1, 2)


def test_recent_identities_is_a_bounded_lru() -> None:
    r = RecentIdentities(2)
    assert not r.seen("a") and not r.seen("b")
    assert r.seen("a")  # refreshes a
    assert not r.seen("c")  # evicts b
    assert r.seen("a") and not r.seen("b")
    assert len(r) == 2
    with pytest.raises(ValueError):
        RecentIdentities(0)


def test_mask_key() -> None:
    assert mask_key(KEY_A) == "…aaaa"
    assert mask_key(None) == "<none>"


def test_gap_starts_at_the_event_time_of_the_last_event_when_delivery_lags() -> None:
    """Events sent after the last one received may be lost: the gap starts at its E, which
    is earlier than its receipt when the server delays delivery (or our clock is ahead)."""
    h = Harness()
    conn = h.start_connected()
    h.feed(h.core.frame_received(conn, frame(1, T0 + 10), h.at(T0 + 15)))
    h.feed(h.core.ping_received(conn, b"", h.at(T0 + 20)))  # pings prove nothing about events
    h.feed(h.core.connection_closed(conn, h.at(T0 + 21), "dropped"))
    d = h.core.next_deadline()
    assert d is not None
    (connect,) = only(h.advance_to(d), Connect)
    acts = h.feed(h.core.connection_opened(connect.conn_id, h.now))
    assert delivered(acts)[1].since == T0 + 10


def test_gap_never_starts_after_the_receipt_when_our_clock_is_behind() -> None:
    h = Harness()
    conn = h.start_connected()
    h.feed(h.core.frame_received(conn, frame(1, T0 + 50), h.at(T0 + 5)))
    h.feed(h.core.connection_closed(conn, h.at(T0 + 6), "dropped"))
    d = h.core.next_deadline()
    assert d is not None
    (connect,) = only(h.advance_to(d), Connect)
    acts = h.feed(h.core.connection_opened(connect.conn_id, h.now))
    assert delivered(acts)[1].since == T0 + 5


def test_repeated_handshake_failures_verify_the_key_early() -> None:
    h = Harness(keepalive_interval=1800)
    conn = h.start_connected()
    h.feed(h.core.connection_closed(conn, h.at(T0 + 10), "dropped"))
    keepalives = []
    for _ in range(3):
        d = h.core.next_deadline()
        assert d is not None
        acts = h.advance_to(d)
        keepalives += only(acts, Keepalive)
        (connect,) = only(acts, Connect)
        acts = h.feed(h.core.connection_closed(connect.conn_id, h.now, "HTTP 400"))
        keepalives += only(acts, Keepalive)
    assert keepalives == [Keepalive()]  # after the third failure, long before T0 + 1800
    acts = h.feed(h.core.keepalive_failed(RestError(status=400, code=-1125), h.now))
    assert only(acts, CreateKey)


# ------------------------------------------------------------------ one listen-key machine


def test_the_listen_key_lifecycle_is_the_pools_listen_key_machine() -> None:
    from binance.derivatives.cmfutures.stream.keys import KeyState, ListenKeyMachine

    h = Harness()
    h.start_connected()
    keys = h.core._keys
    assert isinstance(keys, ListenKeyMachine)
    assert keys.state is KeyState.ACTIVE and keys.key == KEY_A


@pytest.mark.parametrize(
    "error",
    [
        RestError(status=401, code=-2015),
        RestError(status=403),
        RestError(status=400, code=-2014),
    ],
)
def test_rejected_api_key_on_keepalive_stops_the_stream(error: RestError) -> None:
    """Behaviour change (issue 11, one machine): a keepalive answered with a final error
    (``fatal.is_fatal``: the API key was revoked) stops the stream, as it fails a pool account
    and as it fails a create; it used to be retried forever."""
    h = Harness(keepalive_interval=300)
    conn = h.start_connected()
    assert only(h.advance_to(T0 + 300), Keepalive)
    acts = h.feed(h.core.keepalive_failed(error, h.now))
    (fail,) = only(acts, Fail)
    assert "keepalive rejected" in fail.reason
    assert Close(conn, fail.reason) in acts
    assert h.core.phase is Phase.FAILED and h.core.next_deadline() is None


def test_keepalive_server_errors_are_still_retried() -> None:
    h = Harness(keepalive_interval=300)
    h.start_connected()
    assert only(h.advance_to(T0 + 300), Keepalive)
    acts = h.feed(h.core.keepalive_failed(RestError(status=500), h.now))
    assert not only(acts, Fail) and h.core.phase is Phase.RUNNING
    assert h.core.stats(h.now).keepalive.failures == 1
