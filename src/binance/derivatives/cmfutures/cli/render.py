"""Turning stream messages into terminal output: JSON lines or one readable line each.

JSON lines are :func:`~..json_lines.to_json_line` (re-exported here): Binance's wire JSON
with listen keys masked; control events as ``{"e": "<ClassName>", ...its fields}``.
"""

from __future__ import annotations

__all__ = ["event_type", "summary", "to_json_line", "to_text_line"]

import time
from typing import Any

import msgspec

from .. import events as ev
from ..json_lines import masked, to_json_line

_json = msgspec.json.Encoder(decimal_format="string")


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
        raw = _json.encode(masked(message).payload).decode()
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
