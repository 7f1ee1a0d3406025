"""Decimal helpers: coin amounts have 8 decimal places; output strings never use exponents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["COIN_Q", "ZERO", "clean", "coin8", "dec_str", "nz8", "price_str", "q8"]

ZERO = Decimal(0)
COIN_Q = Decimal("1E-8")


def q8(value: Decimal) -> Decimal:
    """Round to 8 decimal places (half up), the precision of COIN-M coin amounts and prices."""
    return clean(value.quantize(COIN_Q, rounding=ROUND_HALF_UP))


def clean(value: Decimal) -> Decimal:
    """Drop trailing zeros (``1.50000000`` -> ``1.5``; ``-0`` -> ``0``) without an exponent."""
    if value == 0:
        return ZERO
    normal = value.normalize()
    if normal.as_tuple().exponent > 0:  # type: ignore[operator]
        return normal.quantize(Decimal(1))
    return normal


def dec_str(value: Decimal) -> str:
    """Fixed-point string as Binance writes decimals: ``"0.00000031"``, ``"64250.5"``, ``"0"``."""
    return format(clean(value), "f")


def coin8(value: Decimal) -> str:
    """Exactly 8 decimals, as Binance writes coin amounts and mark prices:
    ``"0.00000000"``, ``"30424.30000000"``, ``"-0.00012517"``."""
    return format(q8(value).quantize(COIN_Q), "f")


def nz8(value: Decimal) -> str:
    """``"0"`` for zero, else 8 decimals: how Binance writes fields such as ``notionalValue``,
    ``isolatedWallet``, ``cumBase``, ``liquidationPrice`` and position margins."""
    return "0" if value == 0 else coin8(value)


def price_str(value: Decimal, precision: int) -> str:
    """A price that may be zero: zero at the symbol's price precision (``"0.0"`` for
    BTCUSD, ``"0.00"`` for ETHUSD, as in ``avgPrice``/``entryPrice`` of a flat or unfilled
    row), else 8 decimals (``"11707.70000003"``)."""
    if value == 0:
        return format(ZERO.quantize(Decimal(1).scaleb(-precision)), "f")
    return coin8(value)
