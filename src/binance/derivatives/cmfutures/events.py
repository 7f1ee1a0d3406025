"""Typed COIN-M user data stream events, and :func:`decode_event`.

One set of msgspec Structs serves both ends: the client decodes with them and the simulator
encodes with them, so the two cannot drift apart. Attribute names are readable; the wire
keys (``E``, ``o``, ``ap``...) are the encoded names. Money and quantities are
:class:`~decimal.Decimal`, decoded from Binance's JSON strings without passing through float.

Enumerated fields (order status, execution type, ...) are typed ``str`` so that a value
Binance adds tomorrow still decodes; the classes :class:`OrderStatus`, :class:`ExecutionType`
and friends hold the known values as ``str`` constants to compare with.

Tolerance (``shared/spec/coinm-user-data-stream.md`` §4): ``E`` may be a number or a string;
extra keys are ignored; conditional keys (``N``, ``n``, ``AP``, ``cr``, ``M``, ``listenKey``,
``a.S``, ``cw``...) may be absent; the combined-stream envelope ``{"stream":..,"data":..}`` is
unwrapped. An event type this module does not know becomes :class:`UnknownEvent` with its raw
payload; bytes that are not an event raise :class:`MalformedEvent`, which the stream reports
in band and never treats as fatal. Keys a typed event does not model are dropped from it but
stay reachable: :func:`decode_with_payload` also returns the JSON object, and
:func:`unmodelled_fields` lists what the types do not cover.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Final, Union

import msgspec

from ._decimals import check_decimals

__all__ = [
    "AccountConfigUpdate",
    "AccountUpdate",
    "AccountUpdateData",
    "BalanceUpdate",
    "ControlEvent",
    "Event",
    "ExecutionType",
    "GridUpdate",
    "GridUpdateData",
    "LeverageUpdate",
    "ListenKeyExpired",
    "ListenKeyRenewed",
    "MalformedEvent",
    "MarginCall",
    "MarginCallPosition",
    "OrderStatus",
    "OrderTradeUpdate",
    "OrderType",
    "OrderUpdate",
    "PositionSide",
    "PositionUpdate",
    "StrategyUpdate",
    "StrategyUpdateData",
    "StreamConnected",
    "StreamDisconnected",
    "StreamGap",
    "StreamMessage",
    "UnknownEvent",
    "UpdateReason",
    "UserDataEvent",
    "decode_event",
    "decode_with_payload",
    "encode_event",
    "event_identity",
    "unmodelled_fields",
]


# --------------------------------------------------------------------------- open enumerations


class OrderStatus:
    """Known values of ``o.X``. The field itself is ``str``: unknown values still decode."""

    NEW: Final = "NEW"
    PARTIALLY_FILLED: Final = "PARTIALLY_FILLED"
    FILLED: Final = "FILLED"
    CANCELED: Final = "CANCELED"
    EXPIRED: Final = "EXPIRED"
    EXPIRED_IN_MATCH: Final = "EXPIRED_IN_MATCH"
    NEW_INSURANCE: Final = "NEW_INSURANCE"
    NEW_ADL: Final = "NEW_ADL"
    TERMINAL: ClassVar[frozenset[str]] = frozenset({FILLED, CANCELED, EXPIRED, EXPIRED_IN_MATCH})


class ExecutionType:
    """Known values of ``o.x``."""

    NEW: Final = "NEW"
    CANCELED: Final = "CANCELED"
    CALCULATED: Final = "CALCULATED"
    EXPIRED: Final = "EXPIRED"
    TRADE: Final = "TRADE"
    AMENDMENT: Final = "AMENDMENT"


class OrderType:
    """Known values of ``o.o`` and ``o.ot``."""

    LIMIT: Final = "LIMIT"
    MARKET: Final = "MARKET"
    STOP: Final = "STOP"
    STOP_MARKET: Final = "STOP_MARKET"
    TAKE_PROFIT: Final = "TAKE_PROFIT"
    TAKE_PROFIT_MARKET: Final = "TAKE_PROFIT_MARKET"
    TRAILING_STOP_MARKET: Final = "TRAILING_STOP_MARKET"
    LIQUIDATION: Final = "LIQUIDATION"


class PositionSide:
    """Known values of ``ps``."""

    BOTH: Final = "BOTH"
    LONG: Final = "LONG"
    SHORT: Final = "SHORT"


class UpdateReason:
    """Known values of ``ACCOUNT_UPDATE.a.m``."""

    DEPOSIT: Final = "DEPOSIT"
    WITHDRAW: Final = "WITHDRAW"
    ORDER: Final = "ORDER"
    FUNDING_FEE: Final = "FUNDING_FEE"
    ADJUSTMENT: Final = "ADJUSTMENT"
    INSURANCE_CLEAR: Final = "INSURANCE_CLEAR"
    ADMIN_DEPOSIT: Final = "ADMIN_DEPOSIT"
    ADMIN_WITHDRAW: Final = "ADMIN_WITHDRAW"
    MARGIN_TRANSFER: Final = "MARGIN_TRANSFER"
    MARGIN_TYPE_CHANGE: Final = "MARGIN_TYPE_CHANGE"
    ASSET_TRANSFER: Final = "ASSET_TRANSFER"
    COIN_SWAP_DEPOSIT: Final = "COIN_SWAP_DEPOSIT"
    COIN_SWAP_WITHDRAW: Final = "COIN_SWAP_WITHDRAW"


_STRUCT_OPTS: dict[str, Any] = {"frozen": True, "omit_defaults": True}


# --------------------------------------------------------------------------- listenKeyExpired


class ListenKeyExpired(msgspec.Struct, tag_field="e", tag="listenKeyExpired", **_STRUCT_OPTS):
    """The listen key expired: no more events arrive on this connection (spec §4.1)."""

    event_time: int = msgspec.field(name="E")
    listen_key: str | None = msgspec.field(default=None, name="listenKey")


# --------------------------------------------------------------------------- ACCOUNT_UPDATE


class BalanceUpdate(msgspec.Struct, **_STRUCT_OPTS):
    """One changed coin balance (``a.B[]``)."""

    asset: str = msgspec.field(name="a")
    wallet_balance: Decimal = msgspec.field(name="wb")
    cross_wallet_balance: Decimal = msgspec.field(name="cw")
    balance_change: Decimal | None = msgspec.field(default=None, name="bc")


class PositionUpdate(msgspec.Struct, **_STRUCT_OPTS):
    """One position row (``a.P[]``); amounts are in contracts, signed. ``margin_asset``
    (``ma``) is the margin coin, present in live traffic though not in the docs."""

    symbol: str = msgspec.field(name="s")
    position_amount: Decimal = msgspec.field(name="pa")
    entry_price: Decimal = msgspec.field(name="ep")
    accumulated_realized: Decimal = msgspec.field(name="cr")
    unrealized_pnl: Decimal = msgspec.field(name="up")
    margin_type: str = msgspec.field(name="mt")
    isolated_wallet: Decimal = msgspec.field(name="iw")
    position_side: str = msgspec.field(name="ps")
    break_even_price: Decimal | None = msgspec.field(default=None, name="bep")
    margin_asset: str | None = msgspec.field(default=None, name="ma")


class AccountUpdateData(msgspec.Struct, **_STRUCT_OPTS):
    """The ``a`` object: reason, changed balances, position rows (a partial update)."""

    reason: str = msgspec.field(name="m")
    balances: tuple[BalanceUpdate, ...] = msgspec.field(default=(), name="B")
    positions: tuple[PositionUpdate, ...] = msgspec.field(default=(), name="P")
    symbol: str | None = msgspec.field(default=None, name="S")


class AccountUpdate(msgspec.Struct, tag_field="e", tag="ACCOUNT_UPDATE", **_STRUCT_OPTS):
    """Balances and/or positions changed (spec §4.2)."""

    event_time: int = msgspec.field(name="E")
    transaction_time: int = msgspec.field(name="T")
    data: AccountUpdateData = msgspec.field(name="a")
    account_alias: str | None = msgspec.field(default=None, name="i")


# --------------------------------------------------------------------------- MARGIN_CALL


class MarginCallPosition(msgspec.Struct, **_STRUCT_OPTS):
    """One position under margin call (``p[]``). ``margin_type`` is upper case here."""

    symbol: str = msgspec.field(name="s")
    position_side: str = msgspec.field(name="ps")
    position_amount: Decimal = msgspec.field(name="pa")
    margin_type: str = msgspec.field(name="mt")
    mark_price: Decimal = msgspec.field(name="mp")
    unrealized_pnl: Decimal = msgspec.field(name="up")
    maintenance_margin: Decimal = msgspec.field(name="mm")
    isolated_wallet: Decimal | None = msgspec.field(default=None, name="iw")


class MarginCall(msgspec.Struct, tag_field="e", tag="MARGIN_CALL", **_STRUCT_OPTS):
    """Margin ratio too high (spec §4.3). Advisory: the position may already be gone."""

    event_time: int = msgspec.field(name="E")
    positions: tuple[MarginCallPosition, ...] = msgspec.field(default=(), name="p")
    cross_wallet_balance: Decimal | None = msgspec.field(default=None, name="cw")
    account_alias: str | None = msgspec.field(default=None, name="i")


# --------------------------------------------------------------------------- ORDER_TRADE_UPDATE


class OrderUpdate(msgspec.Struct, **_STRUCT_OPTS):
    """The ``o`` object of ORDER_TRADE_UPDATE (spec §4.4).

    ``bid_quantity`` (``b``) and ``ask_quantity`` (``a``) are, in live COIN-M traffic, the
    account's open-order notional on the symbol in coin, per side (a new 1000-contract ETHUSD
    buy at 2099.21 carries ``"b":"4.76369681"``). ``strategy_id`` (``si``) and
    ``strategy_sub_id`` (``ss``) appear in live traffic (``0`` for manual orders; Binance
    documents them as "ignore"); ``good_till_date`` (``gtd``, ms, ``0`` unless GTD) and
    ``strategy_type`` (``st``) are USD-M fields that may appear after the CM/UM integration.
    """

    symbol: str = msgspec.field(name="s")
    client_order_id: str = msgspec.field(name="c")
    side: str = msgspec.field(name="S")
    order_type: str = msgspec.field(name="o")
    time_in_force: str = msgspec.field(name="f")
    original_quantity: Decimal = msgspec.field(name="q")
    original_price: Decimal = msgspec.field(name="p")
    average_price: Decimal = msgspec.field(name="ap")
    stop_price: Decimal = msgspec.field(name="sp")
    execution_type: str = msgspec.field(name="x")
    order_status: str = msgspec.field(name="X")
    order_id: int = msgspec.field(name="i")
    last_filled_quantity: Decimal = msgspec.field(name="l")
    cumulative_filled_quantity: Decimal = msgspec.field(name="z")
    last_filled_price: Decimal = msgspec.field(name="L")
    trade_time: int = msgspec.field(name="T")
    trade_id: int = msgspec.field(name="t")
    margin_asset: str | None = msgspec.field(default=None, name="ma")
    commission_asset: str | None = msgspec.field(default=None, name="N")
    commission: Decimal | None = msgspec.field(default=None, name="n")
    realized_profit: Decimal | None = msgspec.field(default=None, name="rp")
    bid_quantity: Decimal | None = msgspec.field(default=None, name="b")
    ask_quantity: Decimal | None = msgspec.field(default=None, name="a")
    is_maker: bool | None = msgspec.field(default=None, name="m")
    is_reduce_only: bool | None = msgspec.field(default=None, name="R")
    working_type: str | None = msgspec.field(default=None, name="wt")
    original_order_type: str | None = msgspec.field(default=None, name="ot")
    position_side: str | None = msgspec.field(default=None, name="ps")
    close_position: bool | None = msgspec.field(default=None, name="cp")
    activation_price: Decimal | None = msgspec.field(default=None, name="AP")
    callback_rate: Decimal | None = msgspec.field(default=None, name="cr")
    price_protect: bool | None = msgspec.field(default=None, name="pP")
    self_trade_prevention_mode: str | None = msgspec.field(default=None, name="V")
    price_match: str | None = msgspec.field(default=None, name="pm")
    expiry_reason: str | None = msgspec.field(default=None, name="er")
    modify_id: str | None = msgspec.field(default=None, name="M")
    strategy_id: int | None = msgspec.field(default=None, name="si")
    strategy_sub_id: int | None = msgspec.field(default=None, name="ss")
    good_till_date: int | None = msgspec.field(default=None, name="gtd")
    strategy_type: str | None = msgspec.field(default=None, name="st")


class OrderTradeUpdate(msgspec.Struct, tag_field="e", tag="ORDER_TRADE_UPDATE", **_STRUCT_OPTS):
    """An order was created, amended, filled, cancelled or expired (spec §4.4)."""

    event_time: int = msgspec.field(name="E")
    transaction_time: int = msgspec.field(name="T")
    order: OrderUpdate = msgspec.field(name="o")
    account_alias: str | None = msgspec.field(default=None, name="i")


# --------------------------------------------------------------------------- ACCOUNT_CONFIG_UPDATE


class LeverageUpdate(msgspec.Struct, **_STRUCT_OPTS):
    """The ``ac`` object: a symbol's new leverage."""

    symbol: str = msgspec.field(name="s")
    leverage: int = msgspec.field(name="l")


class AccountConfigUpdate(
    msgspec.Struct, tag_field="e", tag="ACCOUNT_CONFIG_UPDATE", **_STRUCT_OPTS
):
    """Leverage changed (spec §4.5)."""

    event_time: int = msgspec.field(name="E")
    transaction_time: int = msgspec.field(name="T")
    leverage: LeverageUpdate | None = msgspec.field(default=None, name="ac")
    multi_assets: dict[str, Any] | None = msgspec.field(default=None, name="ai")


# --------------------------------------------------------------------------- STRATEGY / GRID


class StrategyUpdateData(msgspec.Struct, **_STRUCT_OPTS):
    """The ``su`` object."""

    strategy_id: int = msgspec.field(name="si")
    strategy_type: str = msgspec.field(name="st")
    strategy_status: str = msgspec.field(name="ss")
    symbol: str = msgspec.field(name="s")
    update_time: int = msgspec.field(name="ut")
    op_code: int | None = msgspec.field(default=None, name="c")


class StrategyUpdate(msgspec.Struct, tag_field="e", tag="STRATEGY_UPDATE", **_STRUCT_OPTS):
    """A grid strategy was created, changed or ended (spec §4.6)."""

    event_time: int = msgspec.field(name="E")
    transaction_time: int = msgspec.field(name="T")
    strategy: StrategyUpdateData = msgspec.field(name="su")


class GridUpdateData(msgspec.Struct, **_STRUCT_OPTS):
    """The ``gu`` object."""

    strategy_id: int = msgspec.field(name="si")
    strategy_type: str = msgspec.field(name="st")
    strategy_status: str = msgspec.field(name="ss")
    symbol: str = msgspec.field(name="s")
    realized_pnl: Decimal = msgspec.field(name="r")
    unmatched_average_price: Decimal = msgspec.field(name="up")
    unmatched_quantity: Decimal = msgspec.field(name="uq")
    unmatched_fee: Decimal = msgspec.field(name="uf")
    matched_pnl: Decimal = msgspec.field(name="mp")
    update_time: int = msgspec.field(name="ut")


class GridUpdate(msgspec.Struct, tag_field="e", tag="GRID_UPDATE", **_STRUCT_OPTS):
    """A grid sub-order filled (spec §4.7)."""

    event_time: int = msgspec.field(name="E")
    transaction_time: int = msgspec.field(name="T")
    grid: GridUpdateData = msgspec.field(name="gu")


# --------------------------------------------------------------------------- unknown, malformed


class UnknownEvent(msgspec.Struct, frozen=True):
    """An event whose ``e`` this library does not know. Passed on, never dropped.

    :ivar event_type: the ``e`` value, or ``""`` if the object had none.
    :ivar event_time: ``E`` if it was an integer (or a string of digits), else None.
    :ivar payload: the decoded JSON object, unchanged.
    """

    event_type: str
    event_time: int | None
    payload: dict[str, Any]


class MalformedEvent(ValueError):
    """Raised by :func:`decode_event` for bytes that are not a user data event.

    :ivar raw: the offending frame (bytes or str), kept for logging and bug reports.
    :ivar reason: what was wrong with it.
    """

    def __init__(self, raw: bytes | str, reason: str) -> None:
        self.raw = raw
        self.reason = reason
        shown = raw if len(raw) <= 200 else raw[:200]
        super().__init__(f"malformed user data frame ({reason}): {shown!r}")


UserDataEvent = Union[  # noqa: UP007 - a runtime Union msgspec can decode into
    ListenKeyExpired,
    AccountUpdate,
    MarginCall,
    OrderTradeUpdate,
    AccountConfigUpdate,
    StrategyUpdate,
    GridUpdate,
]
"""Every typed event Binance documents for COIN-M."""

Event = Union[UserDataEvent, UnknownEvent]  # noqa: UP007
"""What :func:`decode_event` returns."""


# --------------------------------------------------------------------------- control events
# Produced by the managed stream, never by Binance; delivered in band, in order.


class StreamConnected(msgspec.Struct, frozen=True, tag="StreamConnected"):
    """A WebSocket connection is open and subscribed to the listen key.

    :ivar at: the time (epoch seconds) the connection was established.
    :ivar url: the stream URL, with the listen key masked.
    :ivar connection_id: a counter identifying this connection within the stream object.
    """

    at: float
    url: str
    connection_id: int


class StreamDisconnected(msgspec.Struct, frozen=True, tag="StreamDisconnected"):
    """A connection ended. ``reason`` says why (server close code, error, rotation, ...)."""

    at: float
    reason: str
    connection_id: int


class StreamGap(msgspec.Struct, frozen=True, tag="StreamGap"):
    """Events between ``since`` and ``until`` (epoch seconds) may have been missed.

    The stream does not replay missed events (Binance cannot): take a REST snapshot, or use
    :class:`~binance.derivatives.cmfutures.AccountMirror`, which does so automatically.
    """

    since: float
    until: float
    reason: str


class ListenKeyRenewed(msgspec.Struct, frozen=True, tag="ListenKeyRenewed"):
    """The stream replaced its listen key (expired, deleted, or -1125 on keepalive).

    Keys are shown masked: only their last 4 characters.
    """

    at: float
    old_key_tail: str
    new_key_tail: str
    reason: str


ControlEvent = Union[StreamConnected, StreamDisconnected, StreamGap, ListenKeyRenewed]  # noqa: UP007
"""In-band notices about the stream itself."""

StreamMessage = Union[Event, ControlEvent]  # noqa: UP007
"""Everything a managed stream yields."""


# --------------------------------------------------------------------------- decode / encode

_event_decoder: msgspec.json.Decoder[UserDataEvent] = msgspec.json.Decoder(
    UserDataEvent, strict=False
)


class _Envelope(msgspec.Struct):
    stream: str
    data: msgspec.Raw


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_any_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder(decimal_format="string")


def decode_event(data: bytes | str) -> Event:
    """Decode one user data frame into a typed event.

    Accepts a bare event object or the combined-stream envelope ``{"stream":..,"data":..}``.

    :returns: a typed event, or :class:`UnknownEvent` for a well-formed object with an
        unknown (or missing) ``e``.
    :raises MalformedEvent: if ``data`` is not JSON, not an object, nested too deeply
        (``RecursionError`` is never raised), or a known event type with missing or wrongly
        typed required fields, or with a Decimal outside the accepted range: NaN, sNaN,
        Infinity, or an order of magnitude outside 1e-30..1e30 (see ``_decimals``).
    """
    try:
        event: Event = _event_decoder.decode(data)
    except msgspec.ValidationError as exc:
        first_error = exc
    except msgspec.DecodeError as exc:
        raise MalformedEvent(data, f"not JSON: {exc}") from None
    except RecursionError:
        raise MalformedEvent(data, "JSON nested too deeply") from None
    else:
        problem = check_decimals(event)
        if problem is not None:
            raise MalformedEvent(data, f"invalid {_wire_tag(event)}: {problem}")
        return event
    return _decode_slow(data, first_error)


def decode_with_payload(data: bytes | str) -> tuple[Event, dict[str, Any]]:
    """Decode like :func:`decode_event`, and also return the frame's whole JSON object (the
    bare event, the combined-stream envelope unwrapped).

    The typed event ignores keys it does not model, so that a field Binance adds tomorrow
    cannot break decoding; the payload keeps them reachable (see :func:`unmodelled_fields`).
    Costs a second JSON parse: use it where the extra keys matter, not on the hot path.

    :raises MalformedEvent: as :func:`decode_event`.
    """
    event = decode_event(data)
    if isinstance(event, UnknownEvent):
        return event, event.payload
    obj = _any_decoder.decode(data)
    if "e" not in obj and isinstance(obj.get("data"), dict):
        obj = obj["data"]
    return event, obj


def unmodelled_fields(event: Any, payload: Any) -> dict[str, Any]:
    """The keys of ``payload`` (a decoded JSON object) that ``event``'s Struct does not model,
    nested objects and arrays included, as ``{"o.gtd": 0, "a.P[0].xx": ...}``.

    Empty when every field of the payload has a typed attribute. An :class:`UnknownEvent`
    models nothing: every key is returned.
    """
    out: dict[str, Any] = {}
    _collect_unmodelled(event, payload, "", out)
    return out


def _collect_unmodelled(model: Any, payload: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(payload, list):
        models = model if isinstance(model, tuple | list) else ()
        for i, item in enumerate(payload):
            sub = models[i] if i < len(models) else None
            _collect_unmodelled(sub, item, f"{prefix}[{i}]", out)
        return
    if not isinstance(payload, dict):
        return
    if not isinstance(model, msgspec.Struct):
        if prefix and not isinstance(model, dict):
            out[prefix] = payload
        return
    config = model.__struct_config__
    wire = dict(zip(model.__struct_encode_fields__, model.__struct_fields__, strict=True))
    for key, value in payload.items():
        if key == config.tag_field:
            continue
        name = f"{prefix}.{key}" if prefix else key
        attr = wire.get(key)
        if attr is None:
            out[name] = value
        else:
            _collect_unmodelled(getattr(model, attr), value, name, out)
def _wire_tag(event: Any) -> str:
    return str(type(event).__struct_config__.tag)


def _decode_slow(data: bytes | str, first_error: msgspec.ValidationError) -> Event:
    try:
        obj = _any_decoder.decode(data)
    except msgspec.DecodeError as exc:  # pragma: no cover - the fast path saw valid JSON
        raise MalformedEvent(data, f"not JSON: {exc}") from None
    except RecursionError:
        raise MalformedEvent(data, "JSON nested too deeply") from None
    if not isinstance(obj, dict):
        raise MalformedEvent(data, "not a JSON object")
    if "e" not in obj and "stream" in obj and "data" in obj:
        envelope = _envelope_decoder.decode(data)
        return decode_event(bytes(envelope.data))
    event_type = obj.get("e")
    if isinstance(event_type, str) and event_type in _KNOWN_TYPES:
        raise MalformedEvent(data, f"invalid {event_type}: {first_error}")
    return UnknownEvent(
        event_type=event_type if isinstance(event_type, str) else "",
        event_time=_as_int(obj.get("E")),
        payload=obj,
    )


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


_KNOWN_TYPES: Final = frozenset(
    {
        "listenKeyExpired",
        "ACCOUNT_UPDATE",
        "MARGIN_CALL",
        "ORDER_TRADE_UPDATE",
        "ACCOUNT_CONFIG_UPDATE",
        "STRATEGY_UPDATE",
        "GRID_UPDATE",
    }
)


def encode_event(event: UserDataEvent | UnknownEvent) -> bytes:
    """Encode an event as Binance sends it: wire keys, decimals as fixed-point JSON strings.

    Optional fields left as None are omitted, as Binance omits them. Decimals are written
    without an exponent (``"0.00000031"``, never ``"3.1E-7"``), as Binance writes them.
    """
    if isinstance(event, UnknownEvent):
        return _encoder.encode(event.payload)
    wire = _fixed_point(msgspec.to_builtins(event, builtin_types=(Decimal,)))
    if isinstance(event, AccountUpdate):
        # Binance always sends both arrays, empty ones included ("P":[] on cross funding);
        # omit_defaults would drop an empty one.
        wire["a"].setdefault("B", [])
        wire["a"].setdefault("P", [])
    return _encoder.encode(wire)


def _fixed_point(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: _fixed_point(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fixed_point(v) for v in value]
    return value


def event_identity(event: Event) -> tuple[Any, ...]:
    """A key that is equal for two deliveries of the same event and differs otherwise.

    Used to drop duplicates when two connections overlap during rotation, or when Binance
    delivers an event twice. For order updates it includes the order id, execution type,
    trade id and cumulative quantity; for other events the type, times and full content.
    """
    if isinstance(event, OrderTradeUpdate):
        o = event.order
        return (
            "ORDER_TRADE_UPDATE",
            o.order_id,
            o.execution_type,
            o.order_status,
            o.trade_id,
            o.cumulative_filled_quantity,
            o.trade_time,
            event.event_time,
        )
    if isinstance(event, UnknownEvent):
        return ("?", event.event_type, _encoder.encode(event.payload))
    return (type(event).__name__, _encoder.encode(event))
