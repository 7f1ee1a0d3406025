"""Decimal helpers: coin amounts have 8 decimal places; output strings never use exponents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["COIN_Q", "ZERO", "clean", "dec_str", "q8"]

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
