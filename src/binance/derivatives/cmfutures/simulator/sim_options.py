"""Simulator switches (:class:`SimulatorOptions`) and the records it hands out.

Every behaviour the spec marks UNCONFIRMED has a switch here; the defaults are the spec's
best guess. ``docs/simulator.md`` lists them in a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .options import EngineOptions

__all__ = ["EmittedEvent", "SimAccount", "SimulatorOptions"]


@dataclass(frozen=True)
class SimulatorOptions:
    """How the simulator behaves where Binance's behaviour is a choice or unconfirmed.

    Listen keys and REST:

    :ivar listen_key_lifetime: seconds a listen key lives after POST/PUT (3600).
    :ivar keepalive_response: PUT body: ``"listen_key"`` -> ``{"listenKey": key}`` (current
        docs), ``"empty"`` -> ``{}`` (2025 docs).
    :ivar missing_api_key_code: code for a request without ``X-MBX-APIKEY`` (HTTP 401):
        ``-2014`` (default) or ``-2015``. UNCONFIRMED.
    :ivar invalid_listen_key_status: HTTP status with ``-1125`` (400; UNCONFIRMED for dapi).
    :ivar max_recv_window: largest accepted ``recvWindow`` in ms (60000; UNCONFIRMED).
    :ivar weight_limit: IP request weight per minute of simulated time (2400).
    :ivar ban_seconds: first 418 ban length (120 s, doubling per ban up to 3 days).
    :ivar orders_per_10s / orders_per_minute: account order limits (300 / 1200).

    WebSocket:

    :ivar ping_interval: seconds between server ping frames (180).
    :ivar pong_timeout: close a connection after this long without a pong (600).
    :ivar max_connection_age: close a connection at this age (86400 = 24 h).
    :ivar max_inbound_per_second: more inbound frames (text, ping, pong) than this within one
        second of simulated time closes the connection (10).
    :ivar connections_per_window: WebSocket handshakes allowed per IP in any rolling
        ``connection_window`` seconds (300 per 5 minutes); more get HTTP 429.
    :ivar count_control_frames: ping and pong frames count towards that limit (True, as the
        spot docs say; INFERRED for futures). False counts only text/binary messages.
    :ivar expired_event_time: ``listenKeyExpired.E`` as ``"string"`` (observed futures
        traffic, default) or ``"number"`` (COIN-M doc example). UNCONFIRMED.
    :ivar expired_include_listen_key: put ``listenKey`` in ``listenKeyExpired`` (True).
    :ivar close_after_expired: close the socket (code 1000) right after ``listenKeyExpired``;
        default False: the socket stays open and silent. UNCONFIRMED.
    :ivar on_delete: what a connection on a key receives when the key is DELETEd:
        ``"expired_event"`` (``listenKeyExpired`` then silence, default), ``"silence"``,
        ``"close"`` (close code 1000). UNCONFIRMED.
    :ivar unknown_key_on_connect: connecting (or SUBSCRIBE) with an unknown/expired key:
        ``"accept"`` (accept, then push ``listenKeyExpired``; default, as observed) or
        ``"reject"`` (HTTP 400 at the handshake; SUBSCRIBE answers an error). UNCONFIRMED.
    :ivar fan_out: every connection on a key gets every event (True). UNCONFIRMED; False
        delivers to the newest connection on the key only.
    :ivar close_timeout: real seconds to wait for the client's close frame when the server
        closes (housekeeping only, not protocol timing).
    :ivar max_streams_per_connection: listen keys one connection may hold (in the URL and by
        SUBSCRIBE, together): 200, as Binance's futures streams. A SUBSCRIBE that would
        exceed it answers error code 2 and subscribes nothing; a URL naming more is refused
        with HTTP 400. A subscription to a dead or unknown key is answered with
        ``listenKeyExpired`` and not kept.

    Engine:

    :ivar random_walk_interval: seconds of clock time between mark-price random-walk steps,
        or None (default) for no automatic movement.
    :ivar engine_options: passed to the account engine as is (``options.EngineOptions``: fees,
        default balances, initial prices, event-shape switches; see docs/simulator-engine.md).
    """

    listen_key_lifetime: float = 3600.0
    keepalive_response: Literal["listen_key", "empty"] = "listen_key"
    missing_api_key_code: int = -2014
    invalid_listen_key_status: int = 400
    max_recv_window: int = 60000
    weight_limit: int = 2400
    ban_seconds: float = 120.0
    orders_per_10s: int = 300
    orders_per_minute: int = 1200
    ping_interval: float = 180.0
    pong_timeout: float = 600.0
    max_connection_age: float = 86400.0
    max_inbound_per_second: int = 10
    connections_per_window: int = 300
    connection_window: float = 300.0
    count_control_frames: bool = True
    expired_event_time: Literal["string", "number"] = "string"
    expired_include_listen_key: bool = True
    close_after_expired: bool = False
    on_delete: Literal["expired_event", "silence", "close"] = "expired_event"
    unknown_key_on_connect: Literal["accept", "reject"] = "accept"
    fan_out: bool = True
    close_timeout: float = 2.0
    max_streams_per_connection: int = 200
    random_walk_interval: float | None = None
    engine_options: EngineOptions | None = None

    def __post_init__(self) -> None:
        positive = {
            "listen_key_lifetime": self.listen_key_lifetime,
            "ping_interval": self.ping_interval,
            "pong_timeout": self.pong_timeout,
            "max_connection_age": self.max_connection_age,
            "max_inbound_per_second": self.max_inbound_per_second,
            "weight_limit": self.weight_limit,
            "ban_seconds": self.ban_seconds,
            "max_streams_per_connection": self.max_streams_per_connection,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"SimulatorOptions.{name} must be positive, got {value!r}")
        if self.random_walk_interval is not None and self.random_walk_interval <= 0:
            raise ValueError(
                "SimulatorOptions.random_walk_interval must be positive seconds or None"
            )
        if self.missing_api_key_code not in (-2014, -2015):
            raise ValueError("SimulatorOptions.missing_api_key_code must be -2014 or -2015")


@dataclass(frozen=True)
class SimAccount:
    """A simulated account: its API key, HMAC secret (None for RSA/Ed25519) and alias.

    The repr shows only the alias and key type: keys are secrets.
    """

    api_key: str = field(repr=False)
    secret_key: str | None = field(repr=False)
    alias: str
    key_type: Literal["HMAC", "RSA", "ED25519"] = "HMAC"


@dataclass(frozen=True)
class EmittedEvent:
    """One frame the simulator emitted for an account, recorded at emission.

    :ivar seq: global sequence number, from 1, in emission order.
    :ivar at: clock time of emission (epoch seconds).
    :ivar listen_key: the key it was emitted on, or None if the account had no active key
        (then nobody could receive it).
    :ivar event: the typed event (``events`` Struct), an ``UnknownEvent`` for an injected
        unknown type, or None for an injected malformed frame.
    :ivar raw: the bytes of the bare event as sent on ``/ws/<key>`` (the combined stream wraps
        them as ``{"stream":key,"data":raw}``).
    :ivar account_alias: the account's alias.
    :ivar dropped: True if a fault (``drop_next_events``) suppressed delivery.
    :ivar duplicated: True if a fault (``duplicate_next_event``) sent it twice.
    :ivar injected: True for frames a fault injected (malformed, unknown event type).
    :ivar received_by: ids of the connections the frame was really written to, in write
        order, filled in as the connections' writers send it (so it grows after emission; a
        duplicated frame lists a connection twice). Empty when no key was active, no
        connection was subscribed, the connection was half-open or closed before sending, or
        the frame was dropped.
    """

    seq: int
    at: float
    listen_key: str | None
    event: Any
    raw: bytes
    account_alias: str = ""
    dropped: bool = False
    duplicated: bool = False
    injected: bool = False
    received_by: list[int] = field(default_factory=list, compare=False)

    @property
    def delivered(self) -> bool:
        """True once at least one connection really received the frame."""
        return bool(self.received_by)

    def received(self, connection_id: int) -> None:
        """Record that connection ``connection_id`` was sent the frame (the hub calls it)."""
        self.received_by.append(connection_id)
