"""One published message: the JSON line ``cmfutures stream --json`` prints, plus ``account``.

The payload is Binance's wire JSON for an event (decimals as exact strings) and
``{"e": "StreamGap", ...}`` for a control event, with ``"account": "<id>"`` added, so a consumer
in any language reads it with one ``e`` dispatch. :func:`message_id` gives the stable identity
JetStream de-duplicates on (the ``Nats-Msg-Id`` header): the same event published twice, by two
workers during a handover or by one worker retrying, carries the same id and is stored once.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, Final

import msgspec

from .. import events as ev
from ..accounts import validate_account_id

__all__ = ["MessageDecodeError", "decode_message", "encode_message", "message_id"]

_CONTROL_TYPES: Final[dict[str, type[Any]]] = {
    "StreamConnected": ev.StreamConnected,
    "StreamDisconnected": ev.StreamDisconnected,
    "StreamGap": ev.StreamGap,
    "ListenKeyRenewed": ev.ListenKeyRenewed,
}
_CONTROL = (ev.StreamConnected, ev.StreamDisconnected, ev.StreamGap, ev.ListenKeyRenewed)
_json = msgspec.json.Encoder(decimal_format="string")
_any = msgspec.json.Decoder()


class MessageDecodeError(ValueError):
    """A published payload is not a message this package wrote (not JSON, no account, ...)."""


def encode_message(account: str, message: ev.StreamMessage) -> bytes:
    """The payload for ``message`` of ``account``: one JSON object, no newline."""
    if isinstance(message, _CONTROL):
        body: dict[str, Any] = {"e": type(message).__name__, **msgspec.structs.asdict(message)}
    else:
        body = _any.decode(ev.encode_event(message))
    body["account"] = account
    return _json.encode(body)


def decode_message(payload: bytes) -> tuple[str, ev.StreamMessage]:
    """``(account, typed message)`` from a payload written by :func:`encode_message`.

    :raises MessageDecodeError: if the payload is not such a message.
    """
    try:
        body = _any.decode(payload)
    except msgspec.DecodeError as exc:
        raise MessageDecodeError(f"payload is not JSON: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("account"), str):
        raise MessageDecodeError("payload is not a JSON object with an 'account' string")
    account = body.pop("account")
    control = _CONTROL_TYPES.get(body.get("e", ""))
    if control is not None:
        body.pop("e")
        try:
            return account, msgspec.convert(body, control)
        except msgspec.ValidationError as exc:
            raise MessageDecodeError(f"invalid {control.__name__}: {exc}") from None
    try:
        return account, ev.decode_event(_json.encode(body))
    except ev.MalformedEvent as exc:
        raise MessageDecodeError(str(exc)) from None


def message_id(account: str, message: ev.StreamMessage) -> str:
    """A stable id for ``message`` of ``account``: equal for two deliveries of one event.

    Events use :func:`~binance.derivatives.cmfutures.events.event_identity` (the stream's own
    de-duplication key); control events their type and every field. The id is
    ``<account>:<type>:<digest>`` (at most 64 + 1 + 24 + 1 + 32 characters).
    """
    validate_account_id(account)
    if isinstance(message, _CONTROL):
        kind = type(message).__name__
        identity: Any = (kind, msgspec.structs.astuple(message))
    else:
        identity = ev.event_identity(message)
        kind = str(identity[0])[:24]
    digest = hashlib.blake2b(_json.encode(_plain(identity)), digest_size=16).hexdigest()
    return f"{account}:{kind}:{digest}"


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
