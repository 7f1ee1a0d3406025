"""Fault injection: the things a real exchange does to a stream client on a bad day.

Every method is synchronous and takes effect on the event loop's next turns (with a
:class:`~..clock.ManualClock`, ``await sim.advance(0)`` lets it happen). Each call is recorded
in :attr:`Faults.log` (also ``sim.fault_log``) as a :class:`FaultRecord`.

``account`` arguments take a :class:`~.sim_options.SimAccount`, an API key or an alias;
None means every connection (for connection faults) or the default account (for listen
keys).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .websocket import Connection

if TYPE_CHECKING:
    from .sim_options import SimAccount
    from .simulator import Simulator

__all__ = ["FaultRecord", "Faults", "RestFailure"]

MAX_DELAY = 86400.0
"""Longest ``delay`` fault and ``Retry-After`` of ``fail_next_rest``, in seconds."""
MAX_COUNT = 1_000_000
"""Most events or REST calls one fault may drop, duplicate or fail."""

@dataclass(frozen=True)
class FaultRecord:
    """One injected fault: clock time, fault name, its arguments, connections affected."""

    at: float
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    affected: int = 0


@dataclass
class RestFailure:
    """Pending REST failures: the next ``remaining`` calls (matching ``path``) fail."""

    remaining: int
    status: int
    code: int
    msg: str
    path: str | None = None
    retry_after: int | None = None


_DEFAULT_MESSAGES = {
    -1000: "An unknown error occured while processing the request.",
    -1001: "Internal error; unable to process your request. Please try again.",
    -1003: "Too many requests; current limit is 2400 requests per minute.",
    -1006: "An unexpected response was received from the message bus. Execution status unknown.",
    -1007: "Timeout waiting for response from backend server. Send status unknown; "
    "execution status unknown.",
    -1008: "Request throttled by system-level protection. Reduce-only/close-position orders "
    "are exempt. Please try again.",
    -1016: "This service is no longer available.",
    -1125: "This listenKey does not exist.",
}


class Faults:
    """Fault injection for one :class:`~.simulator.Simulator` (``sim.faults``)."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self.log: list[FaultRecord] = []
        self.rest_failures: list[RestFailure] = []
        self._drop_events = 0
        self._duplicate_events = 0

    def _record(self, name: str, affected: int = 0, **params: Any) -> FaultRecord:
        record = FaultRecord(self._sim.clock.time(), name, params, affected)
        self.log.append(record)
        return record

    def _targets(self, account: SimAccount | str | None) -> list[Connection]:
        if account is None:
            return self._sim.hub.select(None)
        key = self._sim.listen_key(account)
        return self._sim.hub.select({key}) if key is not None else []

    # ------------------------------------------------------------------ connections

    def drop_connections(self, account: SimAccount | str | None = None) -> int:
        """Abort the TCP connections abruptly: no close frame. Returns how many."""
        targets = self._targets(account)
        for conn in targets:
            conn.abort("fault: drop")
        self._record("drop_connections", len(targets))
        return len(targets)

    def close_connections(
        self, code: int = 1011, reason: str = "", account: SimAccount | str | None = None
    ) -> int:
        """Close connections with a close frame carrying ``code``. Returns how many."""
        if not (1000 <= code <= 4999) or code in (1004, 1005, 1006, 1015):
            raise ValueError(f"{code} is not a close code that can be sent (1000-4999)")
        targets = self._targets(account)
        for conn in targets:
            conn.start_close(code, reason or "fault: close")
        self._record("close_connections", len(targets), code=code, reason=reason)
        return len(targets)

    def half_open(
        self, account: SimAccount | str | None = None, *, answer_close: bool = True
    ) -> int:
        """Make current connections silent: no events, no pings, no pongs, no closes.

        The client sees a connection that is open but dead. With ``answer_close`` (default)
        a client's close frame is still answered, so the client's own close completes; with
        False the server stops reading altogether.
        """
        targets = self._targets(account)
        for conn in targets:
            conn.half_open = True
            conn.half_open_reads = answer_close
        self._record("half_open", len(targets), answer_close=answer_close)
        return len(targets)

    def delay(self, seconds: float) -> None:
        """Hold every message sent from now on for ``seconds`` of clock time (0 stops).

        Order is preserved. Pings are not delayed.
        """
        if isinstance(seconds, bool) or not 0 <= seconds <= MAX_DELAY:  # NaN fails too
            raise ValueError(f"delay must be 0 to {MAX_DELAY:.0f} seconds, got {seconds}")
        self._sim.hub.delay = float(seconds)
        self._record("delay", seconds=seconds)

    def duplicate_next_event(self, n: int = 1) -> None:
        """Send each of the next ``n`` account events twice on every connection."""
        self._check_count(n)
        self._duplicate_events += n
        self._record("duplicate_next_event", n=n)

    def drop_next_events(self, n: int = 1) -> None:
        """Do not deliver the next ``n`` account events (they are still recorded as emitted,
        with ``dropped=True`` and ``delivered=False``): a real gap."""
        self._check_count(n)
        self._drop_events += n
        self._record("drop_next_events", n=n)

    def send_malformed_frame(self, account: SimAccount | str | None = None) -> int:
        """Send a frame that is not valid JSON on live subscriptions. Returns frames queued."""
        count = self._sim.inject_frame("malformed", account)
        self._record("send_malformed_frame", count)
        return count

    def send_unknown_event(
        self, account: SimAccount | str | None = None, event_type: str = "SIM_UNKNOWN_EVENT"
    ) -> int:
        """Send a well-formed event of a type Binance does not document."""
        count = self._sim.inject_frame("unknown", account, event_type=event_type)
        self._record("send_unknown_event", count, event_type=event_type)
        return count

    # ------------------------------------------------------------------ REST and keys

    def fail_next_rest(
        self,
        n: int = 1,
        *,
        status: int = 503,
        code: int = -1001,
        msg: str | None = None,
        path: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Fail the next ``n`` REST calls (only those to ``path``, if given) with
        ``status`` and ``{"code": code, "msg": msg}``. Failed calls use no weight.

        429 and 418 answers carry ``Retry-After: retry_after`` (default 1 second); other
        statuses carry it only if ``retry_after`` is given.
        """
        self._check_count(n)
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status (400-599), got {status}")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, int)
            or not 0 <= retry_after <= MAX_DELAY
        ):
            raise ValueError(f"retry_after must be 0 to {MAX_DELAY:.0f} seconds")
        if retry_after is None and status in (418, 429):
            retry_after = 1
        text = msg if msg is not None else _DEFAULT_MESSAGES.get(code, "Simulated failure.")
        self.rest_failures.append(RestFailure(n, status, code, text, path, retry_after))
        self._record(
            "fail_next_rest", n=n, status=status, code=code, path=path, retry_after=retry_after
        )

    def take_rest_failure(self, path: str) -> RestFailure | None:
        """Consume one pending failure matching ``path`` (used by the app)."""
        for failure in self.rest_failures:
            if failure.path is None or failure.path == path:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self.rest_failures.remove(failure)
                return failure
        return None

    def expire_listen_key(self, account: SimAccount | str | None = None) -> str | None:
        """Expire the account's active listen key now (as if its 60 minutes had passed).

        Returns the key, or None if there was no active key.
        """
        key = self._sim.expire_listen_key_now(account)
        self._record("expire_listen_key", 1 if key else 0)
        return key

    def clear(self) -> None:
        """Cancel every pending fault: event drops/duplicates, REST failures, the delay.

        Connections already made half-open stay so (drop them to recover).
        """
        self._drop_events = 0
        self._duplicate_events = 0
        self.rest_failures.clear()
        self._sim.hub.delay = 0.0
        self._record("clear")

    @property
    def pending_event_faults(self) -> dict[str, int]:
        """Event faults not yet consumed: ``{"drop": n, "duplicate": m}``."""
        return {"drop": self._drop_events, "duplicate": self._duplicate_events}

    # ------------------------------------------------------------------ used by the simulator

    def take_event_fault(self) -> str | None:
        """Consume the next event fault: ``"drop"``, ``"duplicate"`` or None."""
        if self._drop_events:
            self._drop_events -= 1
            return "drop"
        if self._duplicate_events:
            self._duplicate_events -= 1
            return "duplicate"
        return None

    @staticmethod
    def _check_count(n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_COUNT:
            raise ValueError(f"n must be an integer from 1 to {MAX_COUNT}, got {n!r}")
