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

from ._money import ZERO, dec_str
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
            "walletBalance": dec_str(b.wallet_balance),
            "unrealizedProfit": dec_str(b.unrealized_profit),
            "marginBalance": dec_str(b.margin_balance),
            "maintMargin": dec_str(b.maint_margin),
            "initialMargin": dec_str(b.initial_margin),
            "positionInitialMargin": dec_str(b.position_initial_margin),
            "openOrderInitialMargin": dec_str(b.open_order_initial_margin),
            "maxWithdrawAmount": dec_str(b.max_withdraw_amount),
            "crossWalletBalance": dec_str(b.cross_wallet_balance),
            "crossUnPnl": dec_str(b.cross_un_pnl),
            "availableBalance": dec_str(b.available_balance),
            "updateTime": b.update_time,
        })
    positions = []
    for pos in acct.positions.values():
        p = position_state(acct, pos, marks, options)
        positions.append({
            "symbol": p.symbol,
            "positionAmt": dec_str(p.position_amount),
            "initialMargin": dec_str(p.initial_margin + order_margin(acct, pos)),
            "maintMargin": dec_str(p.maint_margin),
            "unrealizedProfit": dec_str(p.unrealized_profit),
            "positionInitialMargin": dec_str(p.initial_margin),
            "openOrderInitialMargin": dec_str(order_margin(acct, pos)),
            "leverage": str(p.leverage),
            "isolated": p.margin_type == "isolated",
            "positionSide": p.position_side,
            "entryPrice": dec_str(p.entry_price),
            "breakEvenPrice": dec_str(p.break_even_price),
            "maxQty": str(pos.contract.max_qty(p.leverage)),
            "notionalValue": dec_str(p.notional_value),
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
            "balance": dec_str(b.wallet_balance),
            "withdrawAvailable": dec_str(b.max_withdraw_amount),
            "crossWalletBalance": dec_str(b.cross_wallet_balance),
            "crossUnPnl": dec_str(b.cross_un_pnl),
            "availableBalance": dec_str(b.available_balance),
            "updateTime": b.update_time,
        })
    return rows


def position_risk_rows(
    acct: Account, contracts: Mapping[str, Contract], params: Mapping[str, str],
    marks: Mapping[str, Decimal], options: EngineOptions,
) -> list[dict[str, Any]]:
    """``GET /dapi/v1/positionRisk`` rows, filtered by ``marginAsset``/``pair`` params.

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
        rows.append({
            "symbol": p.symbol,
            "positionAmt": dec_str(p.position_amount),
            "entryPrice": dec_str(p.entry_price),
            "breakEvenPrice": dec_str(p.break_even_price),
            "markPrice": dec_str(p.mark_price),
            "unRealizedProfit": dec_str(p.unrealized_profit),
            "liquidationPrice": dec_str(p.liquidation_price),
            "leverage": str(p.leverage),
            "maxQty": str(c.max_qty(p.leverage)),
            "marginType": p.margin_type,
            "isolatedMargin": dec_str(p.isolated_wallet + p.unrealized_profit if iso
                                      else ZERO),
            "isAutoAddMargin": "false",
            "positionSide": p.position_side,
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
