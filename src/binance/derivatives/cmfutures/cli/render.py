"""Turning stream messages into terminal output: JSON lines or one readable line each.

JSON lines: a Binance event is printed exactly as Binance's wire JSON (decimals as strings),
except that a listen key (``listenKeyExpired.listenKey``, or a top-level ``listenKey`` of an
unknown event) is masked to its last 4 characters like everywhere else; a control event as
``{"e": "<ClassName>", ...its fields}``, so one ``e`` dispatch handles both.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from .. import events as ev
from ..stream.actions import mask_key

_json = msgspec.json.Encoder(decimal_format="string")

_CONTROL = (ev.StreamConnected, ev.StreamDisconnected, ev.StreamGap, ev.ListenKeyRenewed)
_EVENTS = (
    ev.ListenKeyExpired, ev.AccountUpdate, ev.MarginCall, ev.OrderTradeUpdate,
    ev.AccountConfigUpdate, ev.StrategyUpdate, ev.GridUpdate, ev.UnknownEvent,
)


def to_json_line(message: Any, account: str | None = None) -> str:
    """One JSON object, no newline, for any stream message; with ``account`` (a pool), an
    ``"account"`` field first, beside the wire fields."""
    if isinstance(message, _CONTROL) or not isinstance(message, _EVENTS):
        fields = msgspec.structs.asdict(message)
        head: dict[str, Any] = {"account": account} if account is not None else {}
        return _json.encode({**head, "e": type(message).__name__, **fields}).decode()
    wire = ev.encode_event(_masked(message)).decode()
    if account is None:
        return wire
    return '{"account":' + _json.encode(account).decode() + "," + wire[1:]


def _masked(message: Any) -> Any:
    """``message`` with its listen key (if any) masked by :func:`~..stream.actions.mask_key`."""
    if isinstance(message, ev.ListenKeyExpired) and message.listen_key:
        return msgspec.structs.replace(message, listen_key=mask_key(message.listen_key))
    if isinstance(message, ev.UnknownEvent) and isinstance(message.payload, dict):
        key = message.payload.get("listenKey")
        if isinstance(key, str) and key:
            payload = {**message.payload, "listenKey": mask_key(key)}
            return msgspec.structs.replace(message, payload=payload)
    return message


def event_type(message: Any) -> str:
    """The Binance ``e`` value, or the control event's class name."""
    if isinstance(message, ev.UnknownEvent):
        return message.event_type or "?"
    tag = msgspec.inspect.type_info(type(message))
    return str(getattr(tag, "tag", None) or type(message).__name__)


def _clock(seconds: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(seconds)) + f".{int(seconds * 1000) % 1000:03d}"


def summary(message: Any) -> str:
    """A short human description of ``message`` (no type, no time)."""
    if isinstance(message, ev.OrderTradeUpdate):
        o = message.order
        text = (
            f"{o.symbol} {o.side} {o.order_type} {o.original_quantity} @ {o.original_price} "
            f"{o.execution_type}/{o.order_status} filled {o.cumulative_filled_quantity}"
        )
        if o.last_filled_quantity:
            text += f" (last {o.last_filled_quantity} @ {o.last_filled_price})"
        return text + f" #{o.order_id}"
    if isinstance(message, ev.AccountUpdate):
        parts = [message.data.reason]
        parts += [f"{b.asset} wallet {b.wallet_balance}" for b in message.data.balances]
        parts += [
            f"{p.symbol} {p.position_side} {p.position_amount} @ {p.entry_price}"
            for p in message.data.positions
        ]
        return "  ".join(parts)
    if isinstance(message, ev.MarginCall):
        return "  ".join(
            f"{p.symbol} {p.position_side} {p.position_amount} mark {p.mark_price} "
            f"maint {p.maintenance_margin}"
            for p in message.positions
        )
    if isinstance(message, ev.AccountConfigUpdate):
        lev = message.leverage
        return f"{lev.symbol} leverage {lev.leverage}x" if lev else "configuration changed"
    if isinstance(message, ev.ListenKeyExpired):
        return "listen key expired"
    if isinstance(message, ev.StrategyUpdate):
        s = message.strategy
        return f"{s.symbol} {s.strategy_type} #{s.strategy_id} {s.strategy_status}"
    if isinstance(message, ev.GridUpdate):
        g = message.grid
        return f"{g.symbol} grid #{g.strategy_id} realized {g.realized_pnl}"
    if isinstance(message, ev.UnknownEvent):
        raw = _json.encode(_masked(message).payload).decode()
        return f"unknown event, passed on raw: {raw[:120]}"
    if isinstance(message, ev.StreamConnected):
        return f"connected to {message.url} (connection {message.connection_id})"
    if isinstance(message, ev.StreamDisconnected):
        return f"disconnected: {message.reason}"
    if isinstance(message, ev.StreamGap):
        return (
            f"GAP {_clock(message.since)} -> {_clock(message.until)}: events may be missed "
            f"({message.reason})"
        )
    if isinstance(message, ev.ListenKeyRenewed):
        return f"new listen key {message.new_key_tail} ({message.reason})"
    if type(message).__name__ == "AccountFailed":
        return f"ACCOUNT STOPPED: {message.reason}"
    return repr(message)


def message_time(message: Any, now: float) -> float:
    """The message's own time in epoch seconds (``E`` or ``at``), else ``now``."""
    event_time = getattr(message, "event_time", None)
    if isinstance(event_time, int):
        return event_time / 1000
    at = getattr(message, "at", None) or getattr(message, "until", None)
    return float(at) if at is not None else now


def to_text_line(message: Any, now: float) -> str:
    """``HH:MM:SS.mmm  TYPE  summary``."""
    return f"{_clock(message_time(message, now))}  {event_type(message):<22} {summary(message)}"
