"""Wallet changes outside trading: funding fee settlement and deposits/withdrawals.

Both are control-API operations (the simulator's operator calls them, not a REST client):
bad arguments raise :class:`ValueError`/:class:`KeyError`, never :class:`~.errors.SimError`.
Each pushes one ACCOUNT_UPDATE per affected account, then checks its margin calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from ._money import ZERO, q8
from .accounts import Account, Position
from .contracts import Contract
from .emit import Emitter
from .margin import balance_state
from .options import EngineOptions
from .params import control_decimal

__all__ = ["apply_funding", "deposit"]


def apply_funding(accounts: Iterable[Account], contract: Contract, rate: Decimal,
                  marks: Mapping[str, Decimal], options: EngineOptions,
                  emitter: Emitter) -> None:
    """Settle funding at ``rate`` on every open position in ``contract`` at its mark.

    Per position ``-rate * amount * contract_size / mark`` (8 places); isolated positions'
    isolated wallets take it too. One ACCOUNT_UPDATE FUNDING_FEE and one FUNDING_FEE income
    record (the total) per account with a position.
    :raises ValueError: ``rate`` not a finite Decimal.
    """
    rate = control_decimal(rate, "rate")
    if not rate.is_finite():
        raise ValueError(f"funding rate must be finite, got {rate!r}")
    mark = marks[contract.symbol]
    cs = contract.contract_size
    for acct in accounts:
        rows = [p for p in acct.positions.values()
                if p.contract.symbol == contract.symbol and p.amount != 0]
        if not rows:
            continue
        t, _ = emitter.times()
        total = ZERO
        iso_rows: list[Position] = []
        for pos in rows:
            amount = q8(-rate * pos.amount * cs / mark)
            total += amount
            if acct.isolated[contract.symbol]:
                pos.isolated_wallet = q8(pos.isolated_wallet + amount)
                pos.update_time = t
                iso_rows.append(pos)
        asset = contract.margin_asset
        acct.wallet[asset] = q8(acct.wallet[asset] + total)
        acct.record_income(contract.symbol, "FUNDING_FEE", total, asset, t)
        acct.balance_time[asset] = t
        emitter.account_update(
            acct, "FUNDING_FEE", [(asset, total)], iso_rows,
            symbol=contract.symbol if options.funding_symbol_field else None,
        )
        emitter.check_margin_calls(acct)


def deposit(acct: Account, asset: str, amount: Decimal, marks: Mapping[str, Decimal],
            options: EngineOptions, emitter: Emitter) -> None:
    """Deposit ``amount`` of ``asset`` (negative: withdraw); ACCOUNT_UPDATE DEPOSIT/WITHDRAW.

    :raises ValueError: zero amount or more than 8 decimals, bad asset name, or a withdrawal
        above the coin's max withdraw amount.
    """
    amount = control_decimal(amount, "amount")
    if not amount.is_finite() or amount == 0 or q8(amount) != amount:
        raise ValueError("amount must be a non-zero Decimal with at most 8 decimals")
    if not asset.isalnum() or not asset.isupper():
        raise ValueError(f"asset must be an upper-case coin name like 'BTC', got {asset!r}")
    if amount < 0:
        held = (balance_state(acct, asset, marks, options).max_withdraw_amount
                if asset in acct.wallet else 0)
        if -amount > held:
            raise ValueError(f"cannot withdraw {-amount} {asset}: max withdraw is {held}")
    t, _ = emitter.times()
    acct.wallet[asset] = q8(acct.wallet.get(asset, ZERO) + amount)
    acct.balance_time[asset] = t
    acct.record_income("", "TRANSFER", amount, asset, t,
                       info="DEPOSIT" if amount > 0 else "WITHDRAW")
    emitter.account_update(acct, "DEPOSIT" if amount > 0 else "WITHDRAW",
                           [(asset, amount)], [])
    emitter.check_margin_calls(acct)
