"""The JSON-line form of stream messages: what ``cmfutures stream --json`` prints, what the
workers publish into NATS JetStream, and what ``journal tail --json`` builds on.

A Binance event is its wire JSON (decimals as exact strings), except that a listen key
(``listenKeyExpired.listenKey``, or a top-level ``listenKey`` of an unknown event) is masked
to its last 4 characters like everywhere else; a control event is ``{"e": "<ClassName>",
...its fields}``, so one ``e`` dispatch handles both. With an account (a pool, a worker), an
``"account"`` field comes first.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from . import events as ev
from .pool.events import AccountFailed
from .stream.actions import mask_key

__all__ = ["MessageDecodeError", "from_json_line", "is_event", "masked", "to_json_line"]

_json = msgspec.json.Encoder(decimal_format="string")
_any = msgspec.json.Decoder()

_CONTROL_TYPES: Final[dict[str, type[Any]]] = {
    cls.__name__: cls
    for cls in (
        ev.StreamConnected, ev.StreamDisconnected, ev.StreamGap, ev.ListenKeyRenewed,
        AccountFailed,
    )
}
_EVENTS = (
    ev.ListenKeyExpired, ev.AccountUpdate, ev.MarginCall, ev.OrderTradeUpdate,
    ev.AccountConfigUpdate, ev.StrategyUpdate, ev.GridUpdate, ev.UnknownEvent,
)


def is_event(message: Any) -> bool:
    """Whether ``message`` is an exchange event (typed or unknown), not a control event."""
    return isinstance(message, _EVENTS)


class MessageDecodeError(ValueError):
    """A JSON line that is not a stream message (not JSON, not an object, a bad field)."""


def to_json_line(message: Any, account: str | None = None) -> str:
    """One JSON object, no newline, for any stream message; with ``account``, an
    ``"account"`` field first, beside the wire fields."""
    if not isinstance(message, _EVENTS):
        fields = msgspec.structs.asdict(message)
        head: dict[str, Any] = {"account": account} if account is not None else {}
        return _json.encode({**head, "e": type(message).__name__, **fields}).decode()
    wire = ev.encode_event(masked(message)).decode()
    if account is None:
        return wire
    return '{"account":' + _json.encode(account).decode() + "," + wire[1:]


def from_json_line(line: bytes | str) -> tuple[str | None, Any]:
    """``(account or None, typed message)`` back from :func:`to_json_line`'s output.

    :raises MessageDecodeError: naming what is wrong.
    """
    try:
        body = _any.decode(line)
    except msgspec.DecodeError as exc:
        raise MessageDecodeError(f"not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MessageDecodeError("not a JSON object")
    account = body.pop("account", None)
    if account is not None and not isinstance(account, str):
        raise MessageDecodeError("'account' is not a string")
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


def masked(message: Any) -> Any:
    """``message`` with its listen key (if any) masked by :func:`~.stream.actions.mask_key`."""
    if isinstance(message, ev.ListenKeyExpired) and message.listen_key:
        return msgspec.structs.replace(message, listen_key=mask_key(message.listen_key))
    if isinstance(message, ev.UnknownEvent) and isinstance(message.payload, dict):
        key = message.payload.get("listenKey")
        if isinstance(key, str) and key:
            payload = {**message.payload, "listenKey": mask_key(key)}
            return msgspec.structs.replace(message, payload=payload)
    return message
