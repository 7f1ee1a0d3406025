"""Mark-price figures of an account: unrealized PnL, margins, balances, liquidation prices,
and margin-call detection. Pure functions of the account, the mark prices and the options.

All amounts are in the margin coin, rounded to 8 places where stored or reported (see
``docs/simulator-engine.md`` for every formula). ``marks`` maps symbol -> mark price and must
hold every symbol the account has a position row for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

from ._money import ZERO, q8
from .accounts import Account, Position, bep_for, pnl
from .brackets import bracket_for
from .options import EngineOptions
from .state import BalanceState, PositionState

__all__ = [
    "balance_state",
    "closable",
    "exceeds_max_qty",
    "liquidation_price",
    "maint_rate",
    "margin_call_crossings",
    "order_margin",
    "position_state",
    "unrealized_pnl",
]

Marks = Mapping[str, Decimal]


def unrealized_pnl(pos: Position, marks: Marks) -> Decimal:
    """Unrealized PnL of ``pos`` at its symbol's current mark price."""
    return pnl(pos.amount, pos.entry_price, marks[pos.contract.symbol],
               pos.contract.contract_size)


def closable(pos: Position, side: str) -> Decimal:
    """Contracts an order on ``side`` can close of ``pos`` (0 if it would not reduce it)."""
    if (pos.amount > 0 and side == "SELL") or (pos.amount < 0 and side == "BUY"):
        return abs(pos.amount)
    return ZERO


def exceeds_max_qty(acct: Account, pos: Position, side: str, opening: Decimal,
                    mark: Decimal, leverage: int, exclude: int | None = None) -> bool:
    """Whether opening ``opening`` more contracts on ``side`` would take ``pos`` past the
    bracket limit (``maxQty``, base asset) at ``leverage``.

    Counts the position already held in that direction, the remaining quantity of the open
    non-closing orders on the same symbol, position side and side (except order id
    ``exclude``), and ``opening``; converted to coin at ``mark``.
    """
    held = pos.amount if side == "BUY" else -pos.amount
    pending = sum((o.remaining for o in acct.orders.values()
                   if o.symbol == pos.contract.symbol and o.position_side == pos.side
                   and o.side == side and not o.closing and o.order_id != exclude), ZERO)
    contracts = max(ZERO, held) + pending + opening
    base = contracts * pos.contract.contract_size / mark
    return base > pos.contract.max_qty(leverage)


def order_margin(acct: Account, pos: Position) -> Decimal:
    """Initial margin reserved by the open orders on ``pos``'s symbol and position side."""
    return sum((acct.order_initial_margin(o) for o in acct.orders.values()
                if o.symbol == pos.contract.symbol and o.position_side == pos.side), ZERO)


def balance_state(acct: Account, asset: str, marks: Marks,
                  options: EngineOptions) -> BalanceState:
    """One coin's balance figures (available balance, margins, max withdraw) at ``marks``."""
    mmr = options.maint_margin_rate
    rows = [p for p in acct.positions.values() if p.contract.margin_asset == asset]
    up_total = cross_up = pos_im = cross_im = mm = ZERO
    for pos in rows:
        mark = marks[pos.contract.symbol]
        up = unrealized_pnl(pos, marks)
        im = acct.position_initial_margin(pos, mark)
        up_total += up
        pos_im += im
        mm += acct.position_maint_margin(pos, mark, mmr)
        if not acct.isolated[pos.contract.symbol]:
            cross_up += up
            cross_im += im
    oo_im = sum((acct.order_initial_margin(o) for o in acct.orders.values()
                 if o.contract.margin_asset == asset), ZERO)
    wb = acct.wallet.get(asset, ZERO)
    cw = acct.cross_wallet(asset)
    available = cw + cross_up - cross_im - oo_im
    return BalanceState(
        asset=asset,
        wallet_balance=wb,
        cross_wallet_balance=cw,
        unrealized_profit=up_total,
        cross_un_pnl=cross_up,
        margin_balance=wb + up_total,
        available_balance=available,
        max_withdraw_amount=max(ZERO, min(available, cw)),
        initial_margin=pos_im + oo_im,
        maint_margin=mm,
        position_initial_margin=pos_im,
        open_order_initial_margin=oo_im,
        update_time=acct.balance_time.get(asset, acct.update_time),
    )


def position_state(acct: Account, pos: Position, marks: Marks,
                   options: EngineOptions) -> PositionState:
    """One position row's figures (PnL, margins, notional, liquidation price) at ``marks``."""
    symbol = pos.contract.symbol
    mark = marks[symbol]
    cs = pos.contract.contract_size
    return PositionState(
        symbol=symbol,
        position_side=pos.side,
        position_amount=pos.amount,
        entry_price=pos.entry_price,
        break_even_price=bep_for(pos.amount, pos.entry_price, options.taker_fee_rate),
        accumulated_realized=pos.accumulated_realized,
        unrealized_profit=unrealized_pnl(pos, marks),
        margin_type=acct.margin_type(symbol),
        isolated_wallet=pos.isolated_wallet,
        leverage=acct.leverage[symbol],
        mark_price=mark,
        notional_value=q8(pos.amount * cs / mark),
        initial_margin=acct.position_initial_margin(pos, mark),
        maint_margin=acct.position_maint_margin(pos, mark, options.maint_margin_rate),
        liquidation_price=liquidation_price(acct, pos, marks, options.maint_margin_rate),
        update_time=pos.update_time,
    )


def liquidation_price(acct: Account, pos: Position, marks: Marks,
                      mmr: Decimal | None) -> Decimal:
    """Mark price at which margin balance equals maintenance margin (0 if none).

    Cross positions count the other cross positions' PnL minus maintenance margin at
    their current marks; isolated positions only their isolated wallet. The maintenance
    rate and ``cum`` are those of the position's current bracket (or the flat ``mmr``).
    """
    if pos.amount == 0:
        return ZERO
    asset = pos.contract.margin_asset
    if acct.isolated[pos.contract.symbol]:
        margin = pos.isolated_wallet
    else:
        margin = acct.cross_wallet(asset)
        for other in acct.positions.values():
            if (other is pos or other.amount == 0 or other.contract.margin_asset != asset
                    or acct.isolated[other.contract.symbol]):
                continue
            mark = marks[other.contract.symbol]
            margin += unrealized_pnl(other, marks) - acct.position_maint_margin(other, mark, mmr)
    rate, cum = maint_rate(pos, marks[pos.contract.symbol], mmr)
    qcs = abs(pos.amount) * pos.contract.contract_size
    if pos.amount > 0:
        denom = margin + cum + qcs / pos.entry_price
        return q8(qcs * (1 + rate) / denom) if denom > 0 else ZERO
    denom = qcs / pos.entry_price - margin - cum
    return q8(qcs * (1 - rate) / denom) if denom > 0 else ZERO


def maint_rate(pos: Position, mark: Decimal, mmr: Decimal | None) -> tuple[Decimal, Decimal]:
    """``(maintMarginRatio, cum)`` of ``pos`` at ``mark``: its bracket's, or ``(mmr, 0)``."""
    if mmr is not None or not pos.contract.brackets:
        return (mmr if mmr is not None else ZERO), ZERO
    b = bracket_for(pos.contract.brackets, pos.notional(mark))
    return b.maint_margin_ratio, b.cum


def margin_call_crossings(
    acct: Account, marks: Marks, options: EngineOptions
) -> Iterator[tuple[Decimal | None, list[Position]]]:
    """Yield each margin ratio of ``acct`` that has just reached ``margin_call_ratio``.

    One item per crossing, as ``(cross_wallet_balance, positions)``: first each coin's cross
    margin (``cw`` and its open cross positions), then each isolated position
    (``cw`` None). A ratio is yielded once per crossing: ``acct.margin_calls`` remembers it
    until the ratio falls below the threshold again. Lazy: the caller may push each event
    before the next ratio is examined.
    """
    ratio = options.margin_call_ratio
    mmr = options.maint_margin_rate
    for asset in sorted(acct.wallet):
        key: tuple[str, ...] = ("cross", asset)
        rows = [p for p in acct.positions.values()
                if p.contract.margin_asset == asset and p.amount != 0
                and not acct.isolated[p.contract.symbol]]
        if not rows:
            acct.margin_calls.discard(key)
            continue
        cw = acct.cross_wallet(asset)
        mm = sum((acct.position_maint_margin(p, marks[p.contract.symbol], mmr)
                  for p in rows), ZERO)
        mb = cw + sum((unrealized_pnl(p, marks) for p in rows), ZERO)
        if mb <= 0 or mm / mb >= ratio:
            if key not in acct.margin_calls:
                acct.margin_calls.add(key)
                yield cw, rows
        else:
            acct.margin_calls.discard(key)
    for pos in acct.positions.values():
        key = ("isolated", pos.contract.symbol, pos.side)
        if pos.amount == 0 or not acct.isolated[pos.contract.symbol]:
            acct.margin_calls.discard(key)
            continue
        mark = marks[pos.contract.symbol]
        mm = acct.position_maint_margin(pos, mark, mmr)
        mb = pos.isolated_wallet + unrealized_pnl(pos, marks)
        if mb <= 0 or mm / mb >= ratio:
            if key not in acct.margin_calls:
                acct.margin_calls.add(key)
                yield None, [pos]
        else:
            acct.margin_calls.discard(key)
