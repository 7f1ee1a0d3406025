"""Parsing and validation of REST request parameters and control-API arguments.

Each function takes the decoded query/form params (``str -> str``) and returns a typed value
or raises the :class:`~.errors.SimError` Binance answers with (``-1102`` missing, ``-1100``
malformed, ``-1130`` invalid value, ...). Control-API values (:func:`control_decimal`) raise
:class:`ValueError` instead: they come from Python callers, not from the wire.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from .contracts import Contract
from .errors import SimError

__all__ = [
    "ALGO_TYPES",
    "CLIENT_ID_RE",
    "ID_CHARS",
    "TIFS",
    "bool_param",
    "control_decimal",
    "decimal_param",
    "order_id_param",
    "price",
    "quantity",
    "required",
    "symbol_param",
]

CLIENT_ID_RE = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")
ID_CHARS = string.ascii_letters + string.digits
ALGO_TYPES = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
TIFS = ("GTC", "IOC", "FOK", "GTX")
_MAX_QTY = Decimal(1_000_000)
_ORDER_ID = re.compile(r"[0-9]{1,19}")


def required(params: Mapping[str, str], name: str) -> str:
    """The non-empty value of ``name``. :raises SimError: -1102 when missing or empty."""
    value = params.get(name)
    if value is None or value == "":
        raise SimError.mandatory(name)
    return value


def symbol_param(contracts: Mapping[str, Contract], params: Mapping[str, str]) -> Contract:
    """The listed contract named by ``symbol``. :raises SimError: -1102, -1121 unlisted."""
    contract = contracts.get(required(params, "symbol"))
    if contract is None:
        raise SimError.invalid_symbol()
    return contract


_required = required  # decimal_param's keyword argument shadows the function's name


def decimal_param(params: Mapping[str, str], name: str, *, required: bool) -> Decimal:
    """``name`` as a finite Decimal (``"0"`` when optional and absent).

    :raises SimError: -1102 when required and missing, -1100 when not a finite number.
    """
    raw = _required(params, name) if required else params.get(name, "0")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise SimError(
            -1100,
            f"Illegal characters found in parameter '{name}'; "
            "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        ) from None
    if not value.is_finite():
        raise SimError(-1100, f"Illegal characters found in parameter '{name}'.")
    exponent = value.as_tuple().exponent
    if value.adjusted() >= 20 or (isinstance(exponent, int) and exponent < -20):
        # Binance's legal range: at most 20 digits before and 20 after the point
        raise SimError(
            -1100,
            f"Illegal characters found in parameter '{name}'; "
            "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        )
    return value


def bool_param(params: Mapping[str, str], name: str) -> bool:
    """``"true"``/``"false"`` (any case) as a bool; absent or empty is False.

    :raises SimError: -1130 for any other value.
    """
    raw = params.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() not in ("true", "false"):
        raise SimError(-1130, f"Data sent for parameter '{name}' is not valid.")
    return raw.lower() == "true"


def order_id_param(params: Mapping[str, str]) -> int | None:
    """``orderId`` as int (None if absent); -1102 if neither it nor ``origClientOrderId``."""
    raw = params.get("orderId")
    if not raw:
        if not params.get("origClientOrderId"):
            raise SimError(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        return None
    if not _ORDER_ID.fullmatch(raw):  # ASCII digits: str.isdigit() accepts "²"
        raise SimError.illegal_chars("orderId")
    return int(raw)


def quantity(qty: Decimal) -> Decimal:
    """A valid order quantity: whole contracts in ``(0, 1_000_000]``.

    :raises SimError: -4003 not positive, -1111 fractional, -4005 above the maximum.
    """
    if qty <= 0:
        raise SimError(-4003, "Quantity less than zero.")
    if qty != qty.to_integral_value():
        raise SimError(-1111, "Precision is over the maximum defined for this asset.")
    if qty > _MAX_QTY:
        raise SimError(-4005, "Quantity greater than max quantity.")
    return qty.quantize(Decimal(1))


def price(value: Decimal, contract: Contract) -> Decimal:
    """A valid order price of ``contract``. :raises SimError: -4001 not positive, -4014 not a
    multiple of the tick size."""
    if value <= 0:
        raise SimError(-4001, "Price less than 0.")
    if value % contract.tick_size != 0:
        raise SimError(-4014, "Price not increased by tick size.")
    return value


def control_decimal(value: object, name: str) -> Decimal:
    """A Decimal from a control-API argument; floats are refused (they are inexact).

    :raises ValueError: not a Decimal, int or numeric str.
    """
    if isinstance(value, (Decimal, int, str)) and not isinstance(value, bool):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    raise ValueError(f"{name} must be a Decimal (or int/str of a number), got {value!r}")
