"""Per-account settings: leverage, position mode (one-way/hedge) and margin type
(cross/isolated), with Binance's preconditions and the events each change pushes.

Functions take the resolved :class:`~.accounts.Account`; error codes per endpoint are listed
on the matching :class:`~.engine.Exchange` methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ._money import dec_str
from .accounts import Account
from .contracts import Contract
from .emit import Emitter
from .errors import SimError
from .options import EngineOptions
from .params import required, symbol_param

__all__ = ["change_leverage", "change_margin_type", "change_position_mode", "has_position"]


def has_position(acct: Account, symbol: str) -> bool:
    """Whether any position row of ``symbol`` is open."""
    return any(p.amount != 0 for p in acct.positions.values()
               if p.contract.symbol == symbol)


def change_leverage(acct: Account, contracts: Mapping[str, Contract],
                    params: Mapping[str, str], emitter: Emitter,
                    marks: Mapping[str, Decimal]) -> dict[str, Any]:
    """``POST /dapi/v1/leverage``: set, push ACCOUNT_CONFIG_UPDATE, check margin calls.

    Raising the leverage is refused with -2027 when a position of the symbol is larger
    (base asset, at the current mark) than the new leverage's ``maxQty``."""
    contract = symbol_param(contracts, params)
    raw = required(params, "leverage")
    if not raw.isdigit():
        raise SimError.illegal_chars("leverage")
    lev = int(raw)
    if not 1 <= lev <= contract.max_leverage:
        raise SimError(-4028, f"Leverage {lev} is not valid")
    if (acct.isolated[contract.symbol] and lev < acct.leverage[contract.symbol]
            and has_position(acct, contract.symbol)):
        raise SimError(
            -4150,
            "Leverage reduction is not supported in Isolated Margin Mode with open "
            "positions.",
        )
    if lev > acct.leverage[contract.symbol] and any(
            p.amount != 0 and p.notional(marks[contract.symbol]) > contract.max_qty(lev)
            for p in acct.positions.values() if p.contract.symbol == contract.symbol):
        raise SimError.max_position_exceeded()
    acct.leverage[contract.symbol] = lev
    t, e = emitter.times()
    acct.update_time = t
    emitter.leverage_update(acct, contract.symbol, lev, t, e)
    emitter.check_margin_calls(acct)
    return {"leverage": lev, "maxQty": dec_str(contract.max_qty(lev)),
            "symbol": contract.symbol}


def change_position_mode(acct: Account, contracts: dict[str, Contract],
                         dual_side: bool) -> None:
    """Switch one-way/hedge mode and rebuild the position rows. No event."""
    if acct.hedge_mode == dual_side:
        raise SimError(-4059, "No need to change position side.")
    if acct.orders:
        raise SimError(-4067, "Position side cannot be changed if there exists open orders.")
    if any(p.amount != 0 for p in acct.positions.values()):
        raise SimError(-4068, "Position side cannot be changed if there exists position.")
    acct.hedge_mode = dual_side
    acct.reset_positions(contracts)


def change_margin_type(acct: Account, contracts: Mapping[str, Contract], symbol: str,
                       isolated: bool, emitter: Emitter, options: EngineOptions) -> None:
    """Cross <-> isolated for one symbol; pushes ACCOUNT_UPDATE MARGIN_TYPE_CHANGE if
    ``options.margin_type_change_event``."""
    if symbol not in contracts:
        raise SimError.invalid_symbol()
    if acct.isolated[symbol] == isolated:
        raise SimError(-4046, "No need to change margin type.")
    if any(o.symbol == symbol for o in acct.orders.values()):
        raise SimError(-4047, "Margin type cannot be changed if there exists open orders.")
    if has_position(acct, symbol):
        raise SimError(-4048, "Margin type cannot be changed if there exists position.")
    acct.isolated[symbol] = isolated
    t, _ = emitter.times()
    rows = [p for p in acct.positions.values() if p.contract.symbol == symbol]
    for pos in rows:
        pos.update_time = t
    if options.margin_type_change_event:
        emitter.account_update(acct, "MARGIN_TYPE_CHANGE", [], rows)
