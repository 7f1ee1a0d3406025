"""AccountMirror with a journal: snapshots journaled, the account rebuilt at any offset, and a
restarted mirror starting from the journal before its first resync."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest

from binance.derivatives.cmfutures import Journal
from binance.derivatives.cmfutures.clock import ManualClock
from binance.derivatives.cmfutures.journal import AccountSnapshot, rebuild_account
from binance.derivatives.cmfutures.mirror import AccountMirror, MirrorOptions

from .conftest import T0, collect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mirror"))
from mirror_sim import assert_matches, limit_order, market_order, mirrored

SYM = "BTCUSD_PERP"


async def settle(sim: Any, mirror: AccountMirror, journal: Journal, *, step: float = 0.25,
                 limit: float = 120.0) -> None:
    """mirror_sim.settle, waiting for the journal's commits at each step: they run in the
    writer's thread, which ManualClock.settle cannot see, so simulated time would otherwise
    run ahead of them on a loaded machine (the mirror awaits its snapshot's append)."""
    waited = 0.0
    await sim.advance(0.05)
    await journal.flush()
    while mirror.stale or mirror._state.resync_pending:
        if waited >= limit:
            raise AssertionError(f"mirror still stale after {limit} s of simulated time")
        await sim.advance(step)
        await journal.flush()
        waited += step
    await sim.advance(0.05)
    await journal.flush()


def mirror_for(sim: Any, journal: Journal) -> AccountMirror:
    return AccountMirror(
        sim.configuration(), clock=sim.clock, rng=random.Random(1), journal=journal,
        options=MirrorOptions(retry_initial=0.5, retry_max=4),
    )


def view_of(state: Any) -> dict[str, Any]:
    class _M:
        view = state.view

    return mirrored(_M())


@pytest.fixture
async def sim() -> Any:
    from binance.derivatives.cmfutures.simulator import Simulator

    async with Simulator(clock=ManualClock(start=T0), seed=5) as sim:
        yield sim


async def test_snapshots_are_journaled_and_the_account_rebuilds_at_any_offset(
    sim: Any, tmp_path: Path
) -> None:
    from decimal import Decimal

    journal = Journal(tmp_path / "j.db", clock=sim.clock)
    async with mirror_for(sim, journal) as mirror:
        await settle(sim, mirror, journal)
        limit_order(sim, sim.account, "BUY", 3, "60000")
        market_order(sim, sim.account, "BUY", 2)
        await settle(sim, mirror, journal)
        await journal.flush()
        middle_offset = journal.last_offset
        middle = mirrored(mirror)
        sim.faults.drop_connections()  # a gap: the mirror resyncs and journals that snapshot
        sim.exchange.set_mark_price(SYM, Decimal("59000"))
        await settle(sim, mirror, journal)
        limit_order(sim, sim.account, "SELL", 1, "95000")
        await settle(sim, mirror, journal)
        await journal.flush()
        final = mirrored(mirror)
        assert_matches(mirror, sim)
    await journal.close()
    snapshots = [e for e in await collect(journal.read()) if e.type == "AccountSnapshot"]
    assert [s.message.reason for s in snapshots][:1] == ["initial"]
    assert len(snapshots) >= 2, [s.message.reason for s in snapshots]
    assert all(isinstance(s.message, AccountSnapshot) for s in snapshots)
    rebuilt = await rebuild_account(journal)
    assert rebuilt is not None and view_of(rebuilt) == final and not rebuilt.stale
    at_middle = await rebuild_account(journal, upto=middle_offset)
    assert at_middle is not None and view_of(at_middle) == middle


async def test_restarted_mirror_starts_from_the_journal(sim: Any, tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    journal = Journal(path, clock=sim.clock)
    async with mirror_for(sim, journal) as mirror:
        await settle(sim, mirror, journal)
        limit_order(sim, sim.account, "BUY", 3, "60000")
        market_order(sim, sim.account, "BUY", 1)
        await settle(sim, mirror, journal)
        before = mirrored(mirror)
    await journal.close()
    limit_order(sim, sim.account, "BUY", 1, "61000")  # while the mirror is down

    journal = Journal(path, clock=sim.clock)
    mirror = mirror_for(sim, journal)
    await mirror.start()
    try:
        assert mirrored(mirror) == before  # from the journal, before any REST snapshot
        assert mirror.stale
        await settle(sim, mirror, journal)
        assert_matches(mirror, sim)  # then resynced: the order placed meanwhile is there
    finally:
        await mirror.close()
        await journal.close()
    types = [e.type for e in await collect(journal.read())]
    assert types.count("StreamGap") >= 1 and types.count("AccountSnapshot") == 2


async def test_without_a_snapshot_there_is_nothing_to_rebuild(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.db")
    assert await rebuild_account(journal) is None
