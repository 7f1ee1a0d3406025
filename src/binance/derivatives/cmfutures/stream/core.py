"""The sans-I/O state machine of a managed user data stream.

:class:`StreamCore` makes every decision of :class:`~binance.derivatives.cmfutures.UserDataStream`
and performs no I/O: the driver tells it what happened (a REST answer, a connection opened or
closed, a frame, a ping, the passing of time), always with the current time, and executes the
:mod:`~binance.derivatives.cmfutures.stream.actions` it returns, in order. The core never reads a
clock; :meth:`StreamCore.next_deadline` says when it next wants :meth:`StreamCore.tick`.

A stream is the one-account case of the pool: the decisions are taken by a
:class:`~binance.derivatives.cmfutures.pool.core.PoolCore` holding one account, with one
:class:`~.keys.ListenKeyMachine` and :class:`~.connection.ConnectionMachine` slots in direct
mode (``/ws/{key}``, no SUBSCRIBE); this class only translates its actions into the stream's
(a listen-key ``RestCall`` into ``CreateKey`` / ``Keepalive`` / ``DeleteKey``, the account's
``AccountFailed`` into ``Fail``, ``AccountGone`` into ``Closed``).

Rules it implements (``docs/stream.md`` has the user-facing version):

* Create a key, connect ``{stream_host}/ws/{key}``, deliver events.
* The listen-key rules below are :class:`~.keys.ListenKeyMachine`'s (unphased here: each
  keepalive ``keepalive_interval`` after the last confirmation); the connection rules are
  :class:`~.connection.ConnectionMachine`'s; the pool's limits (connection rate, REST weight)
  apply, and a single stream stays far inside them.
* Keep the key alive every ``keepalive_interval``; a final answer (:func:`~.fatal.is_fatal`)
  stops the stream, as on create; retry other failures after
  ``keepalive_retry_delays``; on -1125 create a new key and reconnect. The keepalive doubles
  as the probe that finds a key another client of the account deleted (one key per account),
  which is why its default interval (5 min) is far below the key's 60-minute lifetime. When
  keepalives have failed for ``listen_key_lifetime`` the key is presumed expired and a
  ``POST`` decides: the same key back means nothing was lost, a new key means a reconnect
  with a gap.
* ``listenKeyExpired`` on the current key: new key, reconnect, gap.
* Half-open detection: ``ping_interval`` of silence sends a ping, ``ping_timeout`` more of
  silence declares the connection dead. Three failed handshakes in a row verify the key with
  an early keepalive (a deleted key's handshake is refused).
* Reconnect with exponential backoff and full jitter; the backoff resets after a connection
  stayed open ``stable_after``.
* At ``rotate_after`` open a second connection on the same key; once it is open it becomes the
  primary, and the old one keeps delivering for ``rotation_overlap`` before being closed.
  Duplicates (both connections, or Binance repeating itself) are dropped by
  :func:`~binance.derivatives.cmfutures.events.event_identity`.
* Gaps: when the last open connection is lost, events sent after the last event received on
  it may be lost. A :class:`~binance.derivatives.cmfutures.events.StreamGap` with ``since`` =
  the lower of that event's ``E`` and its receive time (the connection's opening if it
  delivered nothing; for an invalidated key, the last time the key was known good: its last
  event or keepalive)
  and ``until`` = the time the next connection opened is delivered right after that
  connection's ``StreamConnected`` and before any of its events. A malformed frame may have
  been an event: it is a gap from the last event (as above) to its receipt.
"""

from __future__ import annotations

import enum
import random
from dataclasses import replace

from ..pool.actions import AccountGone, PoolAction, RestCall
from ..pool.actions import Deliver as PoolDeliver
from ..pool.core import AccountRecord, PoolCore, account_stats
from ..pool.events import AccountFailed
from ..pool.options import PoolOptions
from .actions import (
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
)
from .fatal import is_fatal_error
from .keys import INVALID_LISTEN_KEY, ListenKeyMachine
from .options import StreamOptions
from .stats import StreamStats

__all__ = ["INVALID_LISTEN_KEY", "Phase", "StreamCore", "StreamFailed", "is_fatal"]

_ACCOUNT = "stream"


class StreamFailed(Exception):
    """The stream stopped for good; ``__cause__`` holds the underlying error, if any."""


class Phase(enum.Enum):
    """Lifecycle of a :class:`StreamCore`."""

    NEW = "new"
    RUNNING = "running"
    CLOSING = "closing"
    CLOSED = "closed"
    FAILED = "failed"


# A REST failure retrying cannot fix (the API key is missing, malformed or rejected, or the
# server's TLS certificate is rejected): the shared rule, under the name this module exported.
is_fatal = is_fatal_error


class StreamCore:
    """Decisions of a managed user data stream, with no I/O and no clock.

    Every input method takes ``now`` (epoch seconds, non-decreasing) and returns the actions
    to execute, in order. Inputs about a connection the core has already forgotten (it asked
    to close it) are ignored, so the driver never has to guard against races.

    :param stream_host: WebSocket base URL, e.g. ``wss://dstream.binance.com`` (a trailing
        slash is fine).
    :param options: timings and bounds; defaults to :class:`StreamOptions()`.
    :param rng: random source for the backoff jitter (seed it in tests).
    :raises ValueError: ``stream_host`` is empty or not a string.
    """

    def __init__(
        self,
        stream_host: str,
        options: StreamOptions | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not isinstance(stream_host, str) or not stream_host:
            raise ValueError(
                f"stream_host must be a WebSocket base URL such as 'wss://dstream.binance.com', "
                f"got {stream_host!r}"
            )
        self.options = opts = options if options is not None else StreamOptions()
        pool_options = PoolOptions(keys_per_connection=1, dedup_size=opts.dedup_size,
                                   max_queue=opts.max_queue, stream=opts)
        self._pool = PoolCore(stream_host, pool_options, rng, direct=True,
                              spread_keepalives=False)
        self._phase = Phase.NEW
        self._now = 0.0
        self._acc: AccountRecord | None = None

    # ------------------------------------------------------------------ observers

    @property
    def phase(self) -> Phase:
        return self._phase

    @property
    def pool(self) -> PoolCore:
        """The pool core taking the decisions (read-only use: tests and diagnostics)."""
        return self._pool

    @property
    def _keys(self) -> ListenKeyMachine:
        """The listen-key machine (only after :meth:`start`)."""
        assert self._acc is not None
        return self._acc.machine

    @property
    def listen_key(self) -> str | None:
        """The current key (unmasked: never log it), or None."""
        return self._pool.listen_key(_ACCOUNT)

    @property
    def connected(self) -> bool:
        """A connection is open and delivering."""
        return bool(self._pool.live_connections(_ACCOUNT))

    @property
    def paused(self) -> bool:
        return self._pool.paused

    def connections(self) -> dict[int, tuple[str, str]]:
        """Live connections: id -> (state, listen key). For tests and debugging."""
        return {
            conn_id: (state, keys[0])
            for conn_id, (state, keys) in self._pool.open_connections().items()
            if keys
        }

    @property
    def gap_pending(self) -> bool:
        """Events may currently be missed; a StreamGap will be delivered on reconnect."""
        return self._pool.gap_pending(_ACCOUNT)

    def stats(self, now: float) -> StreamStats:
        """A snapshot of the counters at ``now`` (``queued`` is left for the driver)."""
        if self._acc is None:
            return StreamStats()
        stats = account_stats(self._acc, now)  # also after the end: the account's record
        if self._phase is not Phase.RUNNING:
            stats = replace(stats, connected=False,
                            keepalive=replace(stats.keepalive, next_due=None))
        return stats

    @property
    def deadline_hint(self) -> float | None:
        """A cheap lower bound of :meth:`next_deadline` (exact after most inputs): the driver
        may wake at it early, never late. None: nothing is scheduled."""
        return self._pool.deadline_hint if self._phase is Phase.RUNNING else None

    def next_deadline(self) -> float | None:
        """When :meth:`tick` must next be called, or None if nothing is scheduled."""
        if self._phase is not Phase.RUNNING:
            return None
        return self._pool.next_deadline(self._now)

    # ------------------------------------------------------------------ inputs

    def start(self, now: float) -> list[Action]:
        """Begin: ask for a listen key."""
        if self._phase is not Phase.NEW:
            raise RuntimeError(f"StreamCore.start() called in phase {self._phase.value}")
        self._phase = Phase.RUNNING
        actions = self._pool.add(_ACCOUNT, now)
        self._acc = self._pool.account_record(_ACCOUNT)
        return self._run(actions + self._pool.tick(now), now)

    def tick(self, now: float) -> list[Action]:
        """Time passed: run every timer that is due at ``now``."""
        return self._run(self._pool.tick(now), now)

    def create_key_ok(self, key: str, now: float) -> list[Action]:
        """``POST /dapi/v1/listenKey`` returned ``key``."""
        return self._run(self._pool.rest_ok(_ACCOUNT, "create", now, listen_key=key), now)

    def create_key_failed(self, error: RestError, now: float) -> list[Action]:
        """``POST /dapi/v1/listenKey`` failed."""
        return self._run(self._pool.rest_failed(_ACCOUNT, "create", error, now), now)

    def keepalive_ok(self, now: float) -> list[Action]:
        """``PUT /dapi/v1/listenKey`` succeeded."""
        return self._run(self._pool.rest_ok(_ACCOUNT, "keepalive", now), now)

    def keepalive_failed(self, error: RestError, now: float) -> list[Action]:
        """``PUT /dapi/v1/listenKey`` failed: -1125 loses the key (a new one, a gap); a final
        answer (:func:`~.fatal.is_fatal`: the API key is revoked) stops the stream; anything
        else is retried after ``keepalive_retry_delays``."""
        return self._run(self._pool.rest_failed(_ACCOUNT, "keepalive", error, now), now)

    def delete_key_done(self, now: float, error: RestError | None = None) -> list[Action]:
        """``DELETE /dapi/v1/listenKey`` finished (``error`` if it failed: nothing to retry)."""
        if error is not None:
            return self._run(self._pool.rest_failed(_ACCOUNT, "delete", error, now), now)
        return self._run(self._pool.rest_ok(_ACCOUNT, "delete", now), now)

    def connection_opened(self, conn_id: int, now: float) -> list[Action]:
        """The WebSocket handshake of connection ``conn_id`` completed."""
        return self._run(self._pool.connection_opened(conn_id, now), now)

    def connection_closed(self, conn_id: int, now: float, reason: str) -> list[Action]:
        """Connection ``conn_id`` closed or failed (also: the handshake failed)."""
        return self._run(self._pool.connection_closed(conn_id, now, reason), now)

    def connection_failed_permanently(
        self, conn_id: int, error: RestError, now: float
    ) -> list[Action]:
        """Connection ``conn_id`` failed in a way no retry can fix (the server's TLS
        certificate was rejected): stop the stream with ``error`` instead of reconnecting."""
        return self._run(self._pool.connection_failed_permanently(conn_id, error, now), now)

    def frame_received(self, conn_id: int, data: bytes | str, now: float) -> list[Action]:
        """A text or binary message arrived on connection ``conn_id``."""
        return self._run(self._pool.frame_received(conn_id, data, now), now)

    def ping_received(self, conn_id: int, payload: bytes, now: float) -> list[Action]:
        """The server pinged connection ``conn_id``: answer with the same payload."""
        return self._run(self._pool.ping_received(conn_id, payload, now), now)

    def pong_received(self, conn_id: int, now: float) -> list[Action]:
        """A pong (solicited or not) arrived on connection ``conn_id``."""
        return self._run(self._pool.pong_received(conn_id, now), now)

    def pause(self, now: float) -> list[Action]:
        """The consumer's queue is full: the driver stops reading; suspend half-open checks."""
        return self._run(self._pool.pause(now), now)

    def resume(self, now: float) -> list[Action]:
        """The driver reads again: restart half-open checks from ``now``."""
        return self._run(self._pool.resume(now), now)

    def close(self, now: float) -> list[Action]:
        """Stop: close every connection, delete the key if configured, then :class:`Closed`.

        Nothing is delivered after this call. Idempotent.
        """
        if self._phase in (Phase.CLOSING, Phase.CLOSED):
            return []
        if self._phase is Phase.NEW:
            self._phase = Phase.CLOSED
            return [Closed()]
        self._phase = Phase.CLOSING
        return self._run(self._pool.close(now), now)

    # ------------------------------------------------------------------ translation

    def _run(self, actions: list[PoolAction], now: float) -> list[Action]:
        """The pool's actions as the stream's: connection actions first (as a stream closes
        its sockets before it deletes its key), then the rest in order."""
        self._now = now
        if len(actions) == 1 and self._phase is Phase.RUNNING:  # the hot path: one event
            only = actions[0]
            if type(only) is PoolDeliver and not isinstance(only.message, AccountFailed):
                return [Deliver(only.message)]
        conn: list[Action] = []
        out: list[Action] = []
        for a in actions:
            if isinstance(a, (Connect, Close, SendPing, SendPong)):
                conn.append(a)
            elif isinstance(a, PoolDeliver):
                message = a.message
                if isinstance(message, AccountFailed):
                    out.append(self._failed(message))
                elif self._phase is Phase.RUNNING:
                    out.append(Deliver(message))
            elif isinstance(a, RestCall):
                if a.kind == "create":
                    out.append(CreateKey(a.reason))
                elif a.kind == "keepalive":
                    out.append(Keepalive())
                else:
                    out.append(DeleteKey())
            elif isinstance(a, AccountGone) and self._phase is Phase.CLOSING:
                self._phase = Phase.CLOSED
                out.append(Closed())
        return conn + out

    def _failed(self, message: AccountFailed) -> Fail:
        self._phase = Phase.FAILED
        error = self._pool.failure(_ACCOUNT)
        exc: BaseException
        if error is not None and error.error is not None:
            exc = error.error
        else:
            exc = StreamFailed(message.reason)
        return Fail(exc, message.reason)

