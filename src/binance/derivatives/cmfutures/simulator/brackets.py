"""Leverage brackets of COIN-M contracts: maximum position per leverage and the
maintenance margin rate per position size.

A bracket covers positions whose size in the *base asset* (coin notional:
``contracts × contract_size / mark``) lies in ``[qty_floor, qty_cap)``. Binance serves them
at ``GET /dapi/v2/leverageBracket`` (per symbol) and ``GET /dapi/v1/leverageBracket`` (per
pair) with the fields ``bracket``, ``initialLeverage``, ``qtyCap``, ``qtyFloor``,
``maintMarginRatio`` and ``cum``. ``cum`` is the maintenance amount that makes the margin
continuous across brackets: maintenance margin = ``base_qty × maintMarginRatio − cum``.

The default tables are real Binance values (see ``docs/simulator.md`` and
``tests/fixtures/real/README.md`` for the sources): BTCUSD's floors and rates come from ccxt's
static ``binance.json`` fixture (``BTC/USD:BTC``); its leverages and caps are those of
Binance's FAQ "Leverage and Margin in Coin-Margined Futures Contracts" (125x up to 5 BTC,
100x 10, 50x 20, 20x 50, 10x 100, 5x 200, 4x 400, 3x 1000) and agree with live ``maxQty``
captures (``"200"`` at 5x, ``"100"`` at 10x, ``"1500"`` at 2x). ETHUSD's leverages and caps
come from the same FAQ (100x up to 100 ETH, 75x 500, 50x 1000, 20x 2000, 10x 4000, 5x 6000,
4x 8000, 3x 10000, 2x above); its first three rates from a live ``dapi`` capture (ccxt issue
#9500), the remaining rates follow BTCUSD's (0.025 ... 0.25).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "UNBOUNDED_QTY",
    "Bracket",
    "bracket_for",
    "bracket_json",
    "default_brackets",
    "make_brackets",
    "max_qty",
]

UNBOUNDED_QTY = 9223372036854775807
"""``qtyCap`` of the last bracket, as Binance writes it (Java's ``Long.MAX_VALUE``)."""


@dataclass(frozen=True)
class Bracket:
    """One leverage bracket; quantities in the base asset (coin)."""

    bracket: int
    initial_leverage: int
    qty_floor: Decimal
    qty_cap: Decimal
    maint_margin_ratio: Decimal
    cum: Decimal

    def json(self, floor_key: str = "qtyFloor") -> dict[str, Any]:
        """The bracket as Binance writes it: integers and JSON numbers (not strings).
        ``floor_key`` is ``"qtyFloor"`` (live responses) or ``"qtylFloor"`` (the spelling of
        Binance's documentation example and of the official SDK's model)."""
        return {
            "bracket": self.bracket,
            "initialLeverage": self.initial_leverage,
            "qtyCap": _number(self.qty_cap),
            floor_key: _number(self.qty_floor),
            "maintMarginRatio": float(self.maint_margin_ratio),
            "cum": float(self.cum),
        }


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def make_brackets(rows: Iterable[tuple[int, str | int, str]]) -> tuple[Bracket, ...]:
    """Build a bracket table from ``(initial_leverage, qty_floor, maint_margin_ratio)`` rows,
    in increasing floor order: each cap is the next floor (the last is
    :data:`UNBOUNDED_QTY`), ``cum`` follows Binance's formula
    ``cum[n] = cum[n-1] + floor[n] × (mmr[n] − mmr[n-1])``.

    :raises ValueError: empty table, floors not increasing from 0, leverages not decreasing,
        rates not increasing, or a rate or ``cum`` that JSON would write with an exponent
        (below 0.0001: Binance never sends exponents).
    """
    items = [(int(lev), Decimal(str(floor)), Decimal(mmr)) for lev, floor, mmr in rows]
    if not items or items[0][1] != 0:
        raise ValueError("a bracket table starts at qty_floor 0")
    brackets: list[Bracket] = []
    cum = Decimal(0)
    for i, (lev, floor, mmr) in enumerate(items):
        if i:
            prev_lev, prev_floor, prev_mmr = items[i - 1]
            if floor <= prev_floor or lev >= prev_lev or mmr <= prev_mmr:
                raise ValueError("floors and rates must increase and leverages decrease")
            cum += floor * (mmr - prev_mmr)
        cap = items[i + 1][1] if i + 1 < len(items) else Decimal(UNBOUNDED_QTY)
        brackets.append(Bracket(i + 1, lev, floor, cap, mmr, cum))
    for b in brackets:
        if any("e" in repr(float(v)) for v in (b.maint_margin_ratio, b.cum, b.qty_floor)):
            raise ValueError(f"bracket {b.bracket}: a value would be written with an exponent")
    return tuple(brackets)


_BTCUSD = make_brackets([
    (125, 0, "0.004"), (100, 5, "0.005"), (50, 10, "0.01"), (20, 20, "0.025"),
    (10, 50, "0.05"), (5, 100, "0.1"), (4, 200, "0.125"), (3, 400, "0.15"),
    (2, 1000, "0.25"), (1, 1500, "0.5"),
])
_ETHUSD = make_brackets([
    (100, 0, "0.005"), (75, 100, "0.0065"), (50, 500, "0.01"), (20, 1000, "0.025"),
    (10, 2000, "0.05"), (5, 4000, "0.1"), (4, 6000, "0.125"), (3, 8000, "0.15"),
    (2, 10000, "0.25"),
])


def default_brackets() -> dict[str, tuple[Bracket, ...]]:
    """pair -> bracket table (BTCUSD, ETHUSD); every symbol of a pair shares it."""
    return {"BTCUSD": _BTCUSD, "ETHUSD": _ETHUSD}


def bracket_for(brackets: Sequence[Bracket], base_qty: Decimal) -> Bracket:
    """The bracket a position of ``base_qty`` (absolute, in coin) falls in."""
    size = abs(base_qty)
    for b in brackets:
        if size < b.qty_cap:
            return b
    return brackets[-1]


def max_qty(brackets: Sequence[Bracket], leverage: int) -> Decimal:
    """Largest position (base asset) allowed at ``leverage``: the cap of the largest
    bracket whose ``initialLeverage`` is at least ``leverage`` (``maxQty`` in positionRisk)."""
    allowed = [b for b in brackets if b.initial_leverage >= leverage]
    return allowed[-1].qty_cap if allowed else Decimal(0)


def bracket_json(key: str, value: str, brackets: Sequence[Bracket],
                 floor_key: str = "qtyFloor") -> dict[str, Any]:
    """One entry of a leverageBracket response: ``{key: value, "brackets": [...]}``."""
    return {key: value, "brackets": [b.json(floor_key) for b in brackets]}

