"""Read-only views of an account: the Binance-shaped JSON of ``GET /dapi/v1/account``,
``/balance`` and ``/positionRisk``, and the exact :class:`~.state.AccountState` snapshot.

Pure functions of the account, the contracts, the mark prices and the options; figures come
from :mod:`.margin`, decimals are written as Binance writes them (:func:`~._money.dec_str`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ._money import ZERO, coin8, dec_str, nz8, price_str
from .accounts import Account
from .contracts import Contract
from .errors import SimError
from .margin import balance_state, order_margin, position_state
from .options import EngineOptions
from .state import AccountState

__all__ = ["account_body", "account_state", "balance_rows", "position_risk_rows"]


def account_body(acct: Account, marks: Mapping[str, Decimal],
                 options: EngineOptions) -> dict[str, Any]:
    """``GET /dapi/v1/account``: ``assets[]`` (every coin held) and ``positions[]`` (every
    position row)."""
    assets = []
    for asset in sorted(acct.wallet):
        b = balance_state(acct, asset, marks, options)
        assets.append({
            "asset": asset,
            "walletBalance": coin8(b.wallet_balance),
            "unrealizedProfit": coin8(b.unrealized_profit),
            "marginBalance": coin8(b.margin_balance),
            "maintMargin": coin8(b.maint_margin),
            "initialMargin": coin8(b.initial_margin),
            "positionInitialMargin": coin8(b.position_initial_margin),
            "openOrderInitialMargin": coin8(b.open_order_initial_margin),
            "maxWithdrawAmount": coin8(b.max_withdraw_amount),
            "crossWalletBalance": coin8(b.cross_wallet_balance),
            "crossUnPnl": coin8(b.cross_un_pnl),
            "availableBalance": coin8(b.available_balance),
            "updateTime": b.update_time,
        })
    positions = []
    for pos in acct.positions.values():
        p = position_state(acct, pos, marks, options)
        precision = pos.contract.price_precision
        positions.append({
            "symbol": p.symbol,
            "positionAmt": dec_str(p.position_amount),
            "initialMargin": nz8(p.initial_margin + order_margin(acct, pos)),
            "maintMargin": nz8(p.maint_margin),
            "unrealizedProfit": coin8(p.unrealized_profit),
            "positionInitialMargin": nz8(p.initial_margin),
            "openOrderInitialMargin": nz8(order_margin(acct, pos)),
            "leverage": str(p.leverage),
            "isolated": p.margin_type == "isolated",
            "positionSide": p.position_side,
            "entryPrice": price_str(p.entry_price, precision),
            "breakEvenPrice": price_str(p.break_even_price, precision),
            "maxQty": dec_str(pos.contract.max_qty(p.leverage)),
            "notionalValue": nz8(p.notional_value),
            "isolatedWallet": nz8(p.isolated_wallet),
            "updateTime": p.update_time,
        })
    return {
        "assets": assets,
        "positions": positions,
        "canDeposit": True,
        "canTrade": True,
        "canWithdraw": True,
        "feeTier": 0,
        "updateTime": 0,
    }


def balance_rows(acct: Account, marks: Mapping[str, Decimal],
                 options: EngineOptions) -> list[dict[str, Any]]:
    """``GET /dapi/v1/balance``: one row per coin held."""
    rows = []
    for asset in sorted(acct.wallet):
        b = balance_state(acct, asset, marks, options)
        rows.append({
            "accountAlias": acct.alias,
            "asset": asset,
            "balance": coin8(b.wallet_balance),
            "withdrawAvailable": coin8(b.max_withdraw_amount),
            "crossWalletBalance": coin8(b.cross_wallet_balance),
            "crossUnPnl": coin8(b.cross_un_pnl),
            "availableBalance": coin8(b.available_balance),
            "updateTime": b.update_time,
        })
    return rows


def position_risk_rows(
    acct: Account, contracts: Mapping[str, Contract], params: Mapping[str, str],
    marks: Mapping[str, Decimal], options: EngineOptions,
) -> list[dict[str, Any]]:
    """``GET /dapi/v1/positionRisk`` rows, filtered by ``marginAsset``/``pair`` params.

    Numbers as Binance writes them: ``markPrice``/``unRealizedProfit``/``isolatedMargin``
    with 8 decimals (``markPrice`` ``"0.00000000"`` on flat rows unless
    ``options.flat_row_mark_price`` is ``"mark"``), ``liquidationPrice``/``notionalValue``/
    ``isolatedWallet`` ``"0"`` or 8 decimals, a zero ``entryPrice`` at the price precision.
    ``notionalValue`` is signed (negative for shorts); ``maxQty`` is in the base asset.

    :raises SimError: -4087 unknown pair.
    """
    margin_asset = params.get("marginAsset")
    pair = params.get("pair")
    if pair and pair not in {c.pair for c in contracts.values()}:
        raise SimError(-4087, "Invalid pair.")
    rows = []
    for pos in acct.positions.values():
        c = pos.contract
        if (margin_asset and c.margin_asset != margin_asset) or (pair and c.pair != pair):
            continue
        p = position_state(acct, pos, marks, options)
        iso = p.margin_type == "isolated"
        precision = c.price_precision
        flat = p.position_amount == 0 and options.flat_row_mark_price == "zero"
        rows.append({
            "symbol": p.symbol,
            "positionAmt": dec_str(p.position_amount),
            "entryPrice": price_str(p.entry_price, precision),
            "breakEvenPrice": price_str(p.break_even_price, precision),
            "markPrice": coin8(ZERO if flat else p.mark_price),
            "unRealizedProfit": coin8(p.unrealized_profit),
            "liquidationPrice": nz8(p.liquidation_price),
            "leverage": str(p.leverage),
            "maxQty": dec_str(c.max_qty(p.leverage)),
            "marginType": p.margin_type,
            "isolatedMargin": coin8(p.isolated_wallet + p.unrealized_profit if iso
                                    else ZERO),
            "isAutoAddMargin": "false",
            "positionSide": p.position_side,
            "notionalValue": nz8(p.notional_value),
            "isolatedWallet": nz8(p.isolated_wallet if iso else ZERO),
            "updateTime": p.update_time,
        })
    return rows


def account_state(acct: Account, contracts: Mapping[str, Contract],
                  marks: Mapping[str, Decimal], options: EngineOptions) -> AccountState:
    """Exact, immutable snapshot of ``acct`` at ``marks`` (read-only mappings)."""
    return AccountState(
        alias=acct.alias,
        hedge_mode=acct.hedge_mode,
        balances=MappingProxyType(
            {a: balance_state(acct, a, marks, options) for a in sorted(acct.wallet)}),
        positions=MappingProxyType(
            {k: position_state(acct, p, marks, options) for k, p in acct.positions.items()}),
        open_orders=MappingProxyType(
            {i: o.snapshot() for i, o in sorted(acct.orders.items())}),
        leverage=MappingProxyType(dict(acct.leverage)),
        margin_types=MappingProxyType({s: acct.margin_type(s) for s in contracts}),
        mark_prices=MappingProxyType(dict(marks)),
    )
