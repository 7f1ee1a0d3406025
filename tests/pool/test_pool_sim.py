"""StreamPool against the simulator: delivery per account, shared connections, isolation."""

from __future__ import annotations

from typing import Any

import pytest

from binance.derivatives.cmfutures.events import (
    ListenKeyRenewed,
    OrderTradeUpdate,
    StreamConnected,
    StreamDisconnected,
    StreamGap,
)

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")


async def test_accounts_share_connections_and_get_their_own_events(pool_harness: Any) -> None:
    h = pool_harness
    ids = h.make_accounts(5)
    pool = await h.open(keys_per_connection=2)
    h.add_all()
    await h.advance(3, step=0.5)
    for account in ids:
        assert len(h.of(account, StreamConnected)) == 1, account
    totals = pool.stats.totals
    assert totals.live_accounts == 5
    assert totals.connections == 3
    assert sorted(totals.keys_per_connection) == [1, 2, 2]
    assert h.sim.hub.count() == 3
    for account in ids:
        h.emit(account, 2)
    await h.advance(0.5)
    for account in ids:
        events = h.of(account, OrderTradeUpdate)
        assert len(events) == 2
        assert all(e.account_alias == account for e in events)
        h.check_accounted(account)
    assert h.sim.hub.violations == []

