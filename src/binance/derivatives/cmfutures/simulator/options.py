"""Options of the simulator's account engine: every UNCONFIRMED protocol choice is a switch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from .brackets import Bracket

__all__ = ["EngineOptions"]


def _default_balances() -> dict[str, Decimal]:
    return {"BTC": Decimal("1"), "ETH": Decimal("10")}


def _default_marks() -> dict[str, Decimal]:
    return {"BTC": Decimal("65000"), "ETH": Decimal("3000")}


@dataclass(frozen=True)
class EngineOptions:
    """How the account engine behaves where the spec leaves a choice.

    :param taker_fee_rate: commission rate of taker fills (fraction of the coin notional).
    :param maker_fee_rate: commission rate of maker fills. ``0`` makes maker fills carry no
        commission, so their ORDER_TRADE_UPDATE omits ``N``/``n``.
    :param maint_margin_rate: ``None`` (default): maintenance margin from the contract's
        leverage brackets (``base_qty × maintMarginRatio − cum``), as Binance computes it;
        a Decimal: one flat rate for every position size (the simulator's old behaviour).
    :param leverage_brackets: pair -> bracket table (:func:`.brackets.make_brackets`)
        replacing the built-in real tables; its first bracket must allow the contract's
        maximum leverage. Drives ``maxQty``, the ``-2027`` checks and maintenance margin.
    :param flat_row_mark_price: ``markPrice`` of positionRisk rows with no position:
        ``"zero"`` (``"0.00000000"``, as Binance's documentation example and live captures
        show) or ``"mark"`` (the current mark price).
    :param bracket_floor_key: name of a bracket's lower edge in leverageBracket responses:
        ``"qtyFloor"`` (live ``dapi`` captures) or ``"qtylFloor"`` (the spelling of Binance's
        documentation example, which the official SDK's model follows). [UNCONFIRMED which
        one production sends today]
    :param history_limit: trades and income records kept per account for
        ``GET /dapi/v1/userTrades`` and ``GET /dapi/v1/income`` (oldest dropped first).
    :param margin_call_ratio: a MARGIN_CALL is pushed when maintenance margin / margin balance
        reaches this ratio; once per crossing (again only after it fell below).
    :param default_leverage: leverage of every symbol of a new account.
    :param default_balances: wallet balances of a new account when ``add_account`` gets none.
    :param initial_mark_prices: starting mark price per base coin; quarterly contracts start
        ``quarterly_premium`` above the perpetual.
    :param quarterly_premium: relative premium of the quarterly contract's mark price.
    :param random_walk_sigma: standard deviation of one :meth:`Exchange.random_walk` step,
        as a fraction of the price.
    :param partial_fill_contracts: when set, a single fill is at most this many contracts, so
        orders pass through ``PARTIALLY_FILLED`` (see docs/simulator-engine.md for each type).
    :param account_update_positions: ``"changed"`` (USD-M behaviour, default) puts only the
        changed position rows in ``ACCOUNT_UPDATE.a.P`` for ORDER and MARGIN_TYPE_CHANGE;
        ``"all"`` puts every position row of the account (COIN-M doc wording). [UNCONFIRMED]
    :param funding_symbol_field: include ``a.S`` (the symbol) in FUNDING_FEE updates (SDK-only).
    :param margin_type_change_event: push ACCOUNT_UPDATE reason MARGIN_TYPE_CHANGE when a
        symbol's margin type changes. [UNCONFIRMED]
    :param event_latency_ms: ``E`` = ``T`` + this many ms (default 3: live events carry an
        ``E`` a few ms after ``T``, e.g. ``T`` ...309, ``E`` ...312). ``0``: ``E == T``.
    :param default_new_order_resp_type: ``"ACK"`` (Binance's default: the response shows the
        order as accepted, status NEW) or ``"RESULT"`` (the order after matching).
    :param request_weight_limit: ``REQUEST_WEIGHT`` per minute announced in exchangeInfo.
    """

    taker_fee_rate: Decimal = Decimal("0.0005")
    maker_fee_rate: Decimal = Decimal("0.0002")
    maint_margin_rate: Decimal | None = None
    margin_call_ratio: Decimal = Decimal("0.8")
    default_leverage: int = 20
    default_balances: dict[str, Decimal] = field(default_factory=_default_balances)
    initial_mark_prices: dict[str, Decimal] = field(default_factory=_default_marks)
    quarterly_premium: Decimal = Decimal("0.005")
    random_walk_sigma: float = 0.001
    partial_fill_contracts: int | None = None
    account_update_positions: Literal["changed", "all"] = "changed"
    funding_symbol_field: bool = True
    margin_type_change_event: bool = True
    event_latency_ms: int = 3
    default_new_order_resp_type: Literal["ACK", "RESULT"] = "ACK"
    request_weight_limit: int = 2400
    leverage_brackets: Mapping[str, tuple[Bracket, ...]] | None = None
    flat_row_mark_price: Literal["zero", "mark"] = "zero"
    bracket_floor_key: Literal["qtyFloor", "qtylFloor"] = "qtyFloor"
    history_limit: int = 100_000

    def __post_init__(self) -> None:
        if self.account_update_positions not in ("changed", "all"):
            raise ValueError(
                "account_update_positions must be 'changed' or 'all', "
                f"not {self.account_update_positions!r}"
            )
        if self.default_new_order_resp_type not in ("ACK", "RESULT"):
            raise ValueError("default_new_order_resp_type must be 'ACK' or 'RESULT'")
        if self.partial_fill_contracts is not None and self.partial_fill_contracts < 1:
            raise ValueError("partial_fill_contracts must be None or >= 1")
        if not 1 <= self.default_leverage <= 125:
            raise ValueError("default_leverage must be between 1 and 125")
        if self.event_latency_ms < 0:
            raise ValueError("event_latency_ms must be >= 0")
        if self.flat_row_mark_price not in ("zero", "mark"):
            raise ValueError("flat_row_mark_price must be 'zero' or 'mark'")
        if self.bracket_floor_key not in ("qtyFloor", "qtylFloor"):
            raise ValueError("bracket_floor_key must be 'qtyFloor' or 'qtylFloor'")
        if self.history_limit < 1:
            raise ValueError("history_limit must be >= 1")
        for name in ("taker_fee_rate", "maker_fee_rate", "maint_margin_rate"):
            value = getattr(self, name)
            if value is None and name == "maint_margin_rate":
                continue
            if not isinstance(value, Decimal) or value < 0 or value >= 1:
                raise ValueError(f"{name} must be a Decimal in [0, 1), got {value!r}")
