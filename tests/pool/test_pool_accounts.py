"""Adding, removing and mirroring accounts of a running pool; account ids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from binance.derivatives.cmfutures.events import OrderTradeUpdate, StreamConnected

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")


@pytest.mark.parametrize(
    "bad", ["", "a" * 65, "alice bob", "../etc", "é", "a.b", None, 7, "x\n"]
)
async def test_invalid_account_ids_are_rejected_with_the_rule(pool_harness: Any, bad: Any) -> None:
    from binance.derivatives.cmfutures.pool import InvalidAccountId

    h = pool_harness
    (good,) = h.make_accounts(1)
    pool = await h.open()
    with pytest.raises(InvalidAccountId, match="A-Z a-z 0-9 _ -"):
        pool.add(bad, h.auth(good))
    assert len(pool) == 0


async def test_add_is_idempotent_and_validates_auth(pool_harness: Any) -> None:
    h = pool_harness
    (a,) = h.make_accounts(1)
    pool = await h.open()
    pool.add(a, h.auth(a))
    pool.add(a, h.auth(a))
    with pytest.raises(TypeError, match="BinanceAuth"):
        pool.add("b", "api-key")
    await h.advance(2, step=0.5)
    assert pool.accounts() == [a]
    assert len(h.of(a, StreamConnected)) == 1
    assert pool.stats.totals.connections_opened == 1


async def test_add_and_remove_under_load(pool_harness: Any) -> None:
    h = pool_harness
    ids = h.make_accounts(8)
    pool = await h.open(keys_per_connection=3, stream={"delete_listen_key_on_close": True})
    for account in ids[:5]:
        pool.add(account, h.auth(account))
    await h.advance(2, step=0.25)
    gone, late = ids[0], ids[5:]
    for step in range(20):
        for account in ids[:5]:
            h.emit(account)
        if step == 5:
            for account in late:
                pool.add(account, h.auth(account))
        if step == 10:
            await pool.remove(gone)
            removed_at = len(h.messages)
        if step > 5:
            for account in late:
                h.emit(account)
        await h.advance(0.25)
    await h.advance(1)
    assert gone not in pool
    assert all(a != gone for a, _ in h.messages[removed_at:])
    assert h.sim.listen_key(h.accounts[gone]) is None  # its key was deleted (opted in)
    for account in ids[1:]:
        h.check_accounted(account)
        assert pool.stats.accounts[account].connected
    for account in late:
        assert len(h.of(account, OrderTradeUpdate)) >= 10
    assert h.sim.hub.violations == []
    # the removed account can come back
    pool.add(gone, h.auth(gone))
    await h.advance(2, step=0.25)
    assert pool.stats.accounts[gone].connected


async def test_mirror_fed_by_the_pool_equals_the_simulator(pool_harness: Any) -> None:
    from binance.derivatives.cmfutures.cli.demo import compare_with_simulator

    h = pool_harness
    a, _b = h.make_accounts(2)
    pool = await h.open()
    h.add_all()
    await h.advance(2, step=0.25)
    mirror = pool.mirror(a)
    assert pool.mirror(a) is mirror
    for _ in range(20):
        await h.advance(0.1)
        if not mirror.stale:
            break
    assert not mirror.stale
    h.sim.exchange.deposit(h.accounts[a].api_key, "BTC", Decimal("0.5"))
    h.sim.faults.drop_connections()
    h.sim.exchange.deposit(h.accounts[a].api_key, "BTC", Decimal("0.25"))  # missed: resync
    await h.advance(60, step=1)
    assert not mirror.stale
    assert compare_with_simulator(mirror, h.sim.state(h.accounts[a])) == []
    assert mirror.last_resync is not None
    with pytest.raises(KeyError):
        pool.mirror("nobody")
    await pool.remove(a)
    assert mirror.closed


def test_pool_options_are_checked() -> None:
    from binance.derivatives.cmfutures import PoolOptions

    with pytest.raises(ValueError, match="keys_per_connection"):
        PoolOptions(keys_per_connection=201)
    with pytest.raises(ValueError, match="messages_per_second"):
        PoolOptions(messages_per_second=10)
    with pytest.raises(TypeError, match="unknown pool option"):
        PoolOptions().replace(keys=3)
    assert PoolOptions().replace(keys_per_connection=1).keys_per_connection == 1


async def test_journal_records_every_account_before_hand_out(
    pool_harness: Any, tmp_path: Any
) -> None:
    from binance.derivatives.cmfutures import Journal

    h = pool_harness
    a, b = h.make_accounts(2)
    journal = Journal(tmp_path / "j.db", clock=h.sim.clock)
    from binance.derivatives.cmfutures import PoolOptions, StreamPool

    pool = StreamPool(h.sim.configuration(), options=PoolOptions(), clock=h.sim.clock,
                      journal=journal)
    handed: list[tuple[str, Any, int]] = []
    async with pool:
        pool.add(a, h.auth(a))
        pool.add(b, h.auth(b))

        async def consume() -> None:
            async for account, message in pool:
                handed.append((account, message, journal.last_offset))

        import asyncio

        task = asyncio.create_task(consume())
        await h.advance(2, step=0.25)
        h.emit(a, 3)
        h.emit(b, 2)
        for _ in range(50):
            await h.advance(0.05)
            await asyncio.sleep(0.01)
            if len(handed) >= 7:
                break
        task.cancel()
    entries = [e async for e in journal.read()]
    await journal.close()
    assert [(e.account, e.message) for e in entries] == [(acc, m) for acc, m, _ in handed]
    assert {e.account for e in entries} == {a, b}
    for (_, _, last), entry in zip(handed, entries, strict=True):
        assert last >= entry.offset  # on disk before it was handed out


async def test_mirrors_use_the_pools_one_rest_client_within_its_budget(
    pool_harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11: a pool's mirrors have no REST client (no session, no connection pool) of their
    own: snapshots and the fill recovery after a gap go through the pool's client as their
    account, and their weight is taken from the pool's budget first (before: one
    AsyncApiClient per mirror, and recovery pages charged to nothing)."""
    from binance.derivatives.cmfutures import async_api_client
    from binance.derivatives.cmfutures.mirror import ChangeKind

    created: list[object] = []
    real_init = async_api_client.AsyncApiClient.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        created.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(async_api_client.AsyncApiClient, "__init__", counting_init)
    h = pool_harness
    ids = h.make_accounts(3)
    pool = await h.open()
    h.add_all()
    await h.advance(2, step=0.25)
    mirrors = {a: pool.mirror(a) for a in ids}
    for _ in range(40):
        await h.advance(0.25)
        if not any(m.stale for m in mirrors.values()):
            break
    assert not any(m.stale for m in mirrors.values())
    assert len(created) == 1  # the pool's, shared by its listen-key calls and its mirrors
    weight_after_snapshots = pool.stats.totals.weight_used
    assert weight_after_snapshots >= 3 * pool.options.snapshot_weight + 3  # + 3 key creations

    a = ids[0]
    sub = mirrors[a].changes()
    sim, acct = h.sim, h.accounts[a]
    sim.faults.drop_connections()
    for _ in range(2):  # fills nobody streams: recovered from userTrades after the gap
        sim.exchange.new_order(acct.api_key, {"symbol": "BTCUSD_PERP", "side": "BUY",
                                              "type": "MARKET", "quantity": "1"})
    await h.advance(30, step=0.5)
    fills = []
    while sub._queue:
        change = await sub.__anext__()
        if change.kind == ChangeKind.FILL:
            fills.append(change)
    assert len(fills) == 2 and all(c.after.recovered for c in fills)
    # the gap's resyncs and the recovery page(s) were charged to the pool
    charged = pool.stats.totals.weight_used - weight_after_snapshots
    assert charged >= pool.options.snapshot_weight + pool.options.trades_weight
    assert len(created) == 1
    assert h.sim.hub.violations == []
