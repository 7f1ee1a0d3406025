"""Recovering the fills a stream gap hid: which symbols, which windows, which trades are new.
Pure: no I/O, no clock.

After a gap the resync corrects balances, positions and orders, but a bot that books trades
from ``fill`` changes would still miss the trades made while the stream was down. The mirror
therefore asks ``GET /dapi/v1/userTrades`` for the gap window and reports each trade it has
not seen live as a ``fill`` change with ``FillView.recovered`` set, exactly once: fills are
de-duplicated by ``(order id, trade id)`` against those seen on the stream (and a trade
recovered first is not reported again when its event arrives late).

* **Window**: from the start of the first unrecovered gap, minus :attr:`RecoveryOptions.margin_ms`
  (fills stamped just before the gap was noticed), to the end of the resync that followed.
  The window stays open until a recovery completes, so a recovery cut short by another gap is
  redone (de-duplication makes that harmless) over the union of both gaps.
* **Symbols**: those with an open order before the gap or after the resync, those whose
  position rows or orders the resync corrected, and, when a coin's balance was corrected, the
  symbols margined in that coin (``BTCUSD_*`` for BTC): a round trip inside the gap leaves no
  trace in positions but does in the wallet (commission, realized PnL).
* **Queries**: per symbol, per chunk of at most 7 days (Binance's limit), ``limit`` 1000,
  oldest first; a full page continues from its last trade time (or, when the page does not
  advance time, from its last trade id + 1). Each query costs 20 request weight;
  :attr:`RecoveryOptions.max_requests` bounds one recovery, after which it stops and is
  reported incomplete.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import msgspec

from .views import DiffEntry, FillView, OrderView, PositionKey, PositionView

__all__ = [
    "FillRecoveryPlan",
    "RecoveryOptions",
    "TradeQuery",
    "TradeRow",
    "fill_from_trade",
    "symbols_to_recover",
]

WEEK_MS = 7 * 24 * 3600 * 1000
"""Longest ``startTime``..``endTime`` span ``/dapi/v1/userTrades`` accepts."""


class TradeRow(Protocol):
    """What a recovery needs of a ``userTrades`` row (``models.UserTrade`` has it)."""

    symbol: str
    id: int
    order_id: int
    side: str
    price: Decimal
    qty: Decimal
    realized_pnl: Decimal
    commission: Decimal
    commission_asset: str | None
    time: int
    position_side: str
    maker: bool


@dataclass(frozen=True)
class RecoveryOptions:
    """Bounds of one fill recovery.

    :param max_requests: most ``userTrades`` calls per recovery (20 weight each).
    :param page_limit: ``limit`` of each call (Binance's maximum is 1000).
    :param margin_ms: the window starts this long before the gap was noticed.
    """

    max_requests: int = 20
    page_limit: int = 1000
    margin_ms: int = 1000

    def __post_init__(self) -> None:
        if self.max_requests < 1:
            raise ValueError(f"max_requests must be >= 1, got {self.max_requests}")
        if not 1 <= self.page_limit <= 1000:
            raise ValueError(f"page_limit must be within [1, 1000], got {self.page_limit}")
        if self.margin_ms < 0:
            raise ValueError(f"margin_ms must be >= 0, got {self.margin_ms}")


class TradeQuery(msgspec.Struct, frozen=True, kw_only=True):
    """One ``GET /dapi/v1/userTrades`` call to make: ``symbol``, and either a time range
    (``start_time``..``end_time``, ms, inclusive) or ``from_id``; ``end_time`` always bounds
    the rows that count."""

    symbol: str
    start_time: int | None
    end_time: int
    from_id: int | None = None
    limit: int = 1000


def symbols_to_recover(
    orders_before: Mapping[int, OrderView],
    orders_after: Mapping[int, OrderView],
    positions: Mapping[PositionKey, PositionView],
    diff: Iterable[DiffEntry],
) -> set[str]:
    """The symbols whose trades a gap may have hidden (see the module docstring)."""
    symbols = {o.symbol for o in orders_before.values()}
    symbols |= {o.symbol for o in orders_after.values()}
    assets: set[str] = set()
    for entry in diff:
        if entry.section == "position":
            symbols.add(entry.key[0])
        elif entry.section == "order":
            view = entry.after if entry.after is not None else entry.before
            symbols.add(view.symbol)
        elif entry.section == "balance":
            assets.add(entry.key)
    for symbol, _side in positions:
        if any(symbol.startswith(asset + "USD") for asset in assets):
            symbols.add(symbol)
    return symbols


class FillRecoveryPlan:
    """The queries of one recovery, fed with their answers; yields the trades to report.

    :param symbols: from :func:`symbols_to_recover`.
    :param start_ms: window start (ms, inclusive), :param end_ms: window end (inclusive).
    """

    def __init__(self, symbols: Iterable[str], start_ms: int, end_ms: int,
                 options: RecoveryOptions | None = None) -> None:
        self.options = options or RecoveryOptions()
        self.symbols = tuple(sorted(set(symbols)))
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.requests = 0
        self.truncated = False
        self._queue: deque[TradeQuery] = deque()
        limit = self.options.page_limit
        for symbol in self.symbols:
            chunk_start = start_ms
            while chunk_start <= end_ms:
                chunk_end = min(end_ms, chunk_start + WEEK_MS - 1)
                self._queue.append(TradeQuery(symbol=symbol, start_time=chunk_start,
                                              end_time=chunk_end, limit=limit))
                chunk_start = chunk_end + 1

    @property
    def done(self) -> bool:
        """True when every query was answered (or the request bound cut the plan short)."""
        return not self._queue or self.truncated

    def next_query(self) -> TradeQuery | None:
        """The next call to make, or None when done. Counts towards ``max_requests``."""
        if self.done:
            return None
        if self.requests >= self.options.max_requests:
            self.truncated = True
            return None
        self.requests += 1
        return self._queue[0]

    def answer(self, query: TradeQuery, rows: Sequence[Any]) -> list[Any]:
        """Feed the rows ``query`` returned. Returns those inside the window (the caller
        de-duplicates); queues the next page when the page was full."""
        if self._queue and self._queue[0] == query:
            self._queue.popleft()
        inside = [r for r in rows if r.symbol == query.symbol
                  and self.start_ms <= r.time <= query.end_time]
        if len(rows) >= query.limit and rows:
            last_time = max(r.time for r in rows)
            last_id = max(r.id for r in rows)
            if last_time > (query.start_time or 0) and last_time <= query.end_time:
                nxt = TradeQuery(symbol=query.symbol, start_time=last_time,
                                 end_time=query.end_time, limit=query.limit)
            elif last_time <= query.end_time:
                nxt = TradeQuery(symbol=query.symbol, start_time=None, end_time=query.end_time,
                                 from_id=last_id + 1, limit=query.limit)
            else:
                nxt = None
            if nxt is not None and nxt != query:
                self._queue.appendleft(nxt)
        return inside


def fill_from_trade(row: TradeRow) -> FillView:
    """A ``userTrades`` row as a recovered :class:`FillView` (``recovered=True``; the order's
    cumulative quantity and status at that trade are unknown: None)."""
    return FillView(
        order_id=row.order_id,
        trade_id=row.id,
        symbol=row.symbol,
        side=row.side,
        position_side=row.position_side or "BOTH",
        price=row.price,
        quantity=row.qty,
        cumulative_quantity=None,
        order_status=None,
        commission=row.commission if row.commission != 0 else None,
        commission_asset=row.commission_asset if row.commission != 0 else None,
        realized_profit=row.realized_pnl,
        is_maker=row.maker,
        trade_time=row.time,
        event_time=0,
        recovered=True,
    )
