"""One published message: the JSON line ``cmfutures stream --json`` prints, plus ``account``.

The payload is :func:`~..json_lines.to_json_line` with the account id: Binance's wire JSON for
an event (decimals as exact strings, listen keys masked) and ``{"e": "StreamGap", ...}`` for a
control event, so a consumer in any language reads it with one ``e`` dispatch.
:func:`message_id` gives the stable identity JetStream de-duplicates on (the ``Nats-Msg-Id``
header): the same event published twice, by two workers during a handover or by one worker
retrying, carries the same id and is stored once.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import msgspec

from .. import events as ev
from ..accounts import check_account_id
from ..json_lines import MessageDecodeError, from_json_line, is_event, to_json_line

__all__ = ["MessageDecodeError", "decode_message", "encode_message", "message_id"]

_json = msgspec.json.Encoder(decimal_format="string")


def encode_message(account: str, message: Any) -> bytes:
    """The payload for ``message`` of ``account``: one JSON object, no newline."""
    return to_json_line(message, check_account_id(account)).encode()


def decode_message(payload: bytes) -> tuple[str, Any]:
    """``(account, typed message)`` from a payload written by :func:`encode_message`.

    :raises MessageDecodeError: if the payload is not such a message.
    """
    account, message = from_json_line(payload)
    if account is None:
        raise MessageDecodeError("payload has no 'account' string")
    return account, message


def message_id(account: str, message: Any) -> str:
    """A stable id for ``message`` of ``account``: equal for two deliveries of one event.

    Events use :func:`~binance.derivatives.cmfutures.events.event_identity` (the stream's own
    de-duplication key); control events their type and every field. The id is
    ``<account>:<type>:<digest>`` (at most 64 + 1 + 24 + 1 + 32 characters).
    """
    check_account_id(account)
    if is_event(message):
        identity: Any = ev.event_identity(message)
        kind = str(identity[0])[:24]
    else:
        kind = type(message).__name__[:24]
        identity = (kind, msgspec.structs.astuple(message))
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
