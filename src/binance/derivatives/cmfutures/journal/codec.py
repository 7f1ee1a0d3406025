"""Messages to and from the bytes the journal stores.

A Binance event is stored as Binance's wire JSON (:func:`~..events.encode_event`); a control
event or :class:`~.records.AccountSnapshot` as ``{"e": "<ClassName>", ...fields}``: exactly the
objects ``cmfutures stream --json`` prints, so ``journal tail --json`` only appends the
entry's ``offset``, ``account`` and ``received_at``.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

import msgspec

from .. import events as ev
from .records import AccountSnapshot

__all__ = [
    "CONTROL",
    "EVENT",
    "SNAPSHOT",
    "Encoded",
    "decode_message",
    "encode_message",
    "identity_digest",
]

EVENT: Final = 0
CONTROL: Final = 1
SNAPSHOT: Final = 2

_CONTROL_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (ev.StreamConnected, ev.StreamDisconnected, ev.StreamGap, ev.ListenKeyRenewed)
}
_RECORD_TYPES: dict[str, type[Any]] = {"AccountSnapshot": AccountSnapshot}
_encoder = msgspec.json.Encoder(decimal_format="string")
_decoder = msgspec.json.Decoder()


class Encoded(msgspec.Struct, frozen=True, array_like=True):
    """One message ready to store."""

    kind: int
    type: str
    event_time: int | None
    identity: bytes | None
    payload: bytes


def identity_digest(event: ev.Event) -> bytes:
    """16 bytes equal for two deliveries of the same event (see ``events.event_identity``)."""
    return hashlib.blake2b(repr(ev.event_identity(event)).encode(), digest_size=16).digest()


_EVENT_TAGS: dict[type[Any], str] = {
    cls: str(cls.__struct_config__.tag)
    for cls in (
        ev.ListenKeyExpired, ev.AccountUpdate, ev.MarginCall, ev.OrderTradeUpdate,
        ev.AccountConfigUpdate, ev.StrategyUpdate, ev.GridUpdate,
    )
}


def encode_message(message: Any) -> Encoded:
    """:raises TypeError: for something that is not a stream message or a journal record."""
    tag = _EVENT_TAGS.get(type(message))
    if tag is not None:
        return Encoded(
            EVENT, tag, message.event_time, identity_digest(message), _wire(message)
        )
    name = type(message).__name__
    if name in _CONTROL_TYPES or name in _RECORD_TYPES:
        fields = msgspec.structs.asdict(message)
        payload = _encoder.encode({"e": name, **fields})
        return Encoded(
            SNAPSHOT if name in _RECORD_TYPES else CONTROL, name, None, None, payload
        )
    if isinstance(message, ev.UnknownEvent):
        return Encoded(
            EVENT,
            message.event_type or "?",
            message.event_time,
            identity_digest(message),
            _encoder.encode(message.payload),
        )
    raise TypeError(f"the journal stores stream messages and AccountSnapshot, not {name}")


def _wire(event: Any) -> bytes:
    """``encode_event(event)``, fast: msgspec writes the same bytes unless a Decimal prints
    with an exponent (``3.1E-7``) or an ACCOUNT_UPDATE has an empty array; then the slow path."""
    if not isinstance(event, ev.AccountUpdate):
        raw = _encoder.encode(event)
        if b"E-" not in raw and b"E+" not in raw:
            return raw
    return ev.encode_event(event)


def decode_message(kind: int, type_name: str, payload: bytes) -> Any:
    """The typed message back from what :func:`encode_message` stored.

    :raises ValueError: if the payload does not decode (a damaged entry).
    """
    if kind == EVENT:
        return ev.decode_event(payload)
    cls = _CONTROL_TYPES.get(type_name) or _RECORD_TYPES.get(type_name)
    if cls is None:
        raise ValueError(f"unknown journal entry type {type_name!r}")
    obj = _decoder.decode(payload)
    obj.pop("e", None)
    return msgspec.convert(obj, cls)
