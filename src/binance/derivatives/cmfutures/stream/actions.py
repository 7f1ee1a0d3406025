"""What the sans-I/O core asks its driver to do, and how REST failures are reported back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ..events import StreamMessage

__all__ = [
    "Action",
    "Close",
    "Closed",
    "Connect",
    "CreateKey",
    "DeleteKey",
    "Deliver",
    "Fail",
    "Keepalive",
    "RestError",
    "SendPing",
    "SendPong",
    "mask_key",
]


def mask_key(key: str | None) -> str:
    """A listen key as it may appear in logs and events: its last 4 characters."""
    if not key:
        return "<none>"
    return "…" + key[-4:]


@dataclass(frozen=True)
class RestError:
    """A failed listen-key REST call, as the driver reports it to the core.

    :ivar status: HTTP status, 0 for a transport failure (refused, DNS, timeout).
    :ivar code: Binance error code (e.g. -1125), or None.
    :ivar retry_after: seconds from a ``Retry-After`` header (429/418), or None.
    :ivar message: a human-readable description (never contains secrets).
    :ivar error: the original exception, passed through :class:`Fail` when fatal.
    """

    status: int
    code: int | None = None
    retry_after: float | None = None
    message: str = ""
    error: BaseException | None = None


@dataclass(frozen=True)
class CreateKey:
    """``POST /dapi/v1/listenKey``; answer with ``create_key_ok`` / ``create_key_failed``."""

    reason: str


@dataclass(frozen=True)
class Keepalive:
    """``PUT /dapi/v1/listenKey``; answer with ``keepalive_ok`` / ``keepalive_failed``."""


@dataclass(frozen=True)
class DeleteKey:
    """``DELETE /dapi/v1/listenKey``; answer with ``delete_key_done``."""


@dataclass(frozen=True)
class Connect:
    """Open a WebSocket; answer with ``connection_opened`` or ``connection_closed``.

    :ivar url: the real URL (contains the listen key: never log it).
    :ivar masked_url: the same with the key masked.
    :ivar purpose: ``"initial"``, ``"reconnect"``, ``"renewal"`` or ``"rotation"``.
    """

    conn_id: int
    url: str
    masked_url: str
    purpose: str


@dataclass(frozen=True)
class Close:
    """Close (or abandon, if still opening) a connection. The core already forgot it.

    :ivar abort: the peer is presumed dead: drop the socket without a closing handshake.
    """

    conn_id: int
    reason: str
    abort: bool = False


@dataclass(frozen=True)
class SendPing:
    conn_id: int
    payload: bytes = b""


@dataclass(frozen=True)
class SendPong:
    conn_id: int
    payload: bytes = b""


@dataclass(frozen=True)
class Deliver:
    """Hand ``message`` to the consumer, after every earlier ``Deliver``."""

    message: StreamMessage


@dataclass(frozen=True)
class Fail:
    """Unrecoverable (e.g. the API key is rejected): stop and raise ``error`` to the consumer."""

    error: BaseException
    reason: str


@dataclass(frozen=True)
class Closed:
    """``close()`` finished: nothing is left to do."""


Action = Union[  # noqa: UP007
    CreateKey, Keepalive, DeleteKey, Connect, Close, SendPing, SendPong, Deliver, Fail, Closed
]
