"""Listen-key lifetime rules, over raw HTTP and in the sans-I/O registry (spec §1.2)."""

from __future__ import annotations

import random
import re

import aiohttp
import pytest

from binance.derivatives.cmfutures.simulator import Simulator, SimulatorOptions
from binance.derivatives.cmfutures.simulator.listen_keys import (
    ListenKeyRegistry,
    NoActiveListenKey,
)

KEY_RE = re.compile(r"[A-Za-z0-9]{64}")


def _session(sim: Simulator, api_key: str | None = None) -> aiohttp.ClientSession:
    headers = {"X-MBX-APIKEY": api_key or sim.account.api_key}
    return aiohttp.ClientSession(sim.rest_url, headers=headers)


# ---------------------------------------------------------------------- registry (no I/O)


def test_registry_create_returns_and_extends_active_key() -> None:
    reg = ListenKeyRegistry(random.Random(1))
    first, created = reg.create("A", 0.0)
    assert created and KEY_RE.fullmatch(first.key)
    again, created = reg.create("A", 1000.0)
    assert not created and again.key == first.key
    assert again.expires_at == 4600.0
    assert reg.active("A", 4599.0) is not None
    assert reg.active("A", 4600.0) is None


def test_registry_new_key_after_expiry_and_errors() -> None:
    reg = ListenKeyRegistry(random.Random(1))
    first, _ = reg.create("A", 0.0)
    assert [r.key for r in reg.expire_due(3600.0)] == [first.key]
    assert first.state == "expired"
    with pytest.raises(NoActiveListenKey):
        reg.keepalive("A", 3600.0)
    with pytest.raises(NoActiveListenKey):
        reg.delete("A", 3600.0)
    second, created = reg.create("A", 3600.0)
    assert created and second.key != first.key


def test_registry_accounts_are_independent_and_delete_is_final() -> None:
    reg = ListenKeyRegistry(random.Random(1))
    a, _ = reg.create("A", 0.0)
    b, _ = reg.create("B", 0.0)
    assert a.key != b.key
    reg.delete("A", 10.0)
    assert reg.lookup(a.key) is not None and reg.lookup(a.key).state == "deleted"  # type: ignore[union-attr]
    assert reg.active("A", 10.0) is None
    assert reg.active("B", 10.0) is b
    assert reg.next_expiry() == 3600.0


def test_registry_keys_are_reproducible_from_the_seed() -> None:
    one = ListenKeyRegistry(random.Random(7)).create("A", 0.0)[0].key
    two = ListenKeyRegistry(random.Random(7)).create("A", 0.0)[0].key
    assert one == two


# ---------------------------------------------------------------------- over HTTP


async def test_lifetime_rules_over_http(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with _session(sim) as http:
        r = await http.post("/dapi/v1/listenKey")
        assert r.status == 200
        key = (await r.json())["listenKey"]
        assert KEY_RE.fullmatch(key)
        assert sim.listen_key() == key

        await sim.advance(3000)
        r = await http.post("/dapi/v1/listenKey")  # same key, extended to 3000 + 3600
        assert (await r.json())["listenKey"] == key

        await sim.advance(3599)
        assert sim.listen_key() == key
        r = await http.put("/dapi/v1/listenKey")  # extends to 6599 + 3600
        assert r.status == 200 and await r.json() == {"listenKey": key}

        await sim.advance(3599)
        assert sim.listen_key() == key
        await sim.advance(1)
        assert sim.listen_key() is None

        for method in ("PUT", "DELETE"):
            r = await http.request(method, "/dapi/v1/listenKey")
            assert r.status == 400
            assert await r.json() == {"code": -1125, "msg": "This listenKey does not exist."}

        r = await http.post("/dapi/v1/listenKey")
        new_key = (await r.json())["listenKey"]
        assert new_key != key and KEY_RE.fullmatch(new_key)

        r = await http.delete("/dapi/v1/listenKey")
        assert r.status == 200 and await r.json() == {}
        assert sim.listen_key() is None
        r = await http.delete("/dapi/v1/listenKey")
        assert (await r.json())["code"] == -1125


@pytest.mark.cmfutures_simulator(options=SimulatorOptions(keepalive_response="empty"))
async def test_put_body_empty_variant(cmfutures_simulator: Simulator) -> None:
    async with _session(cmfutures_simulator) as http:
        await http.post("/dapi/v1/listenKey")
        r = await http.put("/dapi/v1/listenKey")
        assert r.status == 200 and await r.json() == {}


async def test_superfluous_listen_key_param_is_tolerated(cmfutures_simulator: Simulator) -> None:
    async with _session(cmfutures_simulator) as http:
        key = (await (await http.post("/dapi/v1/listenKey")).json())["listenKey"]
        r = await http.put("/dapi/v1/listenKey", params={"listenKey": key})
        assert (await r.json()) == {"listenKey": key}
        r = await http.put("/dapi/v1/listenKey", data={"listenKey": "whatever"})
        assert (await r.json()) == {"listenKey": key}
        r = await http.delete("/dapi/v1/listenKey", params={"listenKey": key})
        assert r.status == 200


async def test_api_key_errors(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession(sim.rest_url) as http:
        r = await http.post("/dapi/v1/listenKey")
        assert r.status == 401
        assert (await r.json())["code"] == -2014
        assert "X-MBX-USED-WEIGHT-1M" in r.headers
        r = await http.post("/dapi/v1/listenKey", headers={"X-MBX-APIKEY": "not a key!"})
        assert r.status == 401 and (await r.json())["code"] == -2014
        r = await http.post("/dapi/v1/listenKey", headers={"X-MBX-APIKEY": "A" * 64})
        assert r.status == 401
        assert await r.json() == {
            "code": -2015,
            "msg": "Invalid API-key, IP, or permissions for action.",
        }


@pytest.mark.cmfutures_simulator(options=SimulatorOptions(missing_api_key_code=-2015))
async def test_missing_api_key_code_option(cmfutures_simulator: Simulator) -> None:
    async with aiohttp.ClientSession(cmfutures_simulator.rest_url) as http:
        r = await http.put("/dapi/v1/listenKey")
        assert r.status == 401 and (await r.json())["code"] == -2015


async def test_one_active_key_per_account(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    other = sim.add_account()
    async with _session(sim) as a, _session(sim, other.api_key) as b:
        key_a = (await (await a.post("/dapi/v1/listenKey")).json())["listenKey"]
        key_b = (await (await b.post("/dapi/v1/listenKey")).json())["listenKey"]
        assert key_a != key_b
        await b.delete("/dapi/v1/listenKey")
        assert sim.listen_key() == key_a
        assert sim.listen_key(other) is None


async def test_server_time_follows_the_clock(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    async with aiohttp.ClientSession(sim.rest_url) as http:
        first = (await (await http.get("/dapi/v1/time")).json())["serverTime"]
        await sim.advance(90)
        second = (await (await http.get("/dapi/v1/time")).json())["serverTime"]
    assert first == sim.now_ms() - 90_000
    assert second - first == 90_000


@pytest.mark.cmfutures_simulator(options=SimulatorOptions(invalid_listen_key_status=404))
async def test_invalid_listen_key_status_option(cmfutures_simulator: Simulator) -> None:
    async with _session(cmfutures_simulator) as http:
        r = await http.put("/dapi/v1/listenKey")
        assert r.status == 404 and (await r.json())["code"] == -1125


def test_options_and_constructor_validation() -> None:
    with pytest.raises(ValueError, match="ping_interval"):
        SimulatorOptions(ping_interval=0)
    with pytest.raises(ValueError, match="missing_api_key_code"):
        SimulatorOptions(missing_api_key_code=-1)
    with pytest.raises(ValueError, match="random_walk_interval"):
        SimulatorOptions(random_walk_interval=-5)
    with pytest.raises(ValueError, match="at least one"):
        Simulator(accounts=[])
    sim = Simulator(seed=5, accounts=[{"api_key": "first", "secret_key": "s1"}, {}])
    assert sim.account.api_key == "first" and len(sim.accounts) == 2
    with pytest.raises(RuntimeError, match="not running"):
        _ = sim.rest_url
    assert Simulator(seed=5).account.api_key == Simulator(seed=5).account.api_key
    assert Simulator(seed=5).account.api_key != Simulator(seed=6).account.api_key
