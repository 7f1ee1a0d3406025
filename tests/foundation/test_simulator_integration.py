"""The clients against the project's offline simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from binance.derivatives.cmfutures import (
    AccountApi,
    ApiClient,
    AsyncApiClient,
    TradeApi,
    UserDataStreamsApi,
)
from binance.derivatives.cmfutures import exceptions as exc

from .conftest import Keys


@pytest.fixture
async def sim() -> AsyncIterator[Any]:
    from binance.derivatives.cmfutures.simulator import Simulator

    async with Simulator(seed=0) as simulator:
        yield simulator


def _pub(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _configuration(sim: Any, keys: Keys, key_kind: str) -> Any:
    if key_kind == "HMAC":
        return sim.configuration(sim.account, retry_backoff=0)
    if key_kind == "RSA":
        acct = sim.add_account(rsa_public_key=_pub(keys.rsa), balances={"BTC": Decimal("1")})
        return sim.configuration(acct, private_key_pem=keys.pem(keys.rsa), retry_backoff=0)
    acct = sim.add_account(ed25519_public_key=_pub(keys.ed), balances={"BTC": Decimal("1")})
    return sim.configuration(acct, private_key_pem=keys.pem(keys.ed), retry_backoff=0)


async def test_async_client_against_simulator(sim: Any, keys: Keys, key_kind: str) -> None:
    cfg = _configuration(sim, keys, key_kind)
    async with AsyncApiClient(cfg, clock=sim.clock) as client:
        streams = UserDataStreamsApi(client)
        key = (await streams.cmfutures_create_listen_key_v1()).listen_key
        assert isinstance(key, str) and len(key) == 64
        await streams.cmfutures_update_listen_key_v1()
        assert client.used_weight
        account = AccountApi(client)
        info = await account.cmfutures_get_account_v1()
        assert info.assets
        assert await account.cmfutures_get_balance_v1()
        await account.cmfutures_get_position_risk_v1()
        assert await account.cmfutures_get_open_orders_v1() == []
        await streams.cmfutures_delete_listen_key_v1()
        with pytest.raises(exc.BadRequestException) as info_err:
            await streams.cmfutures_update_listen_key_v1()
        assert info_err.value.code == exc.BinanceCode.INVALID_LISTEN_KEY


async def test_orders_against_simulator(sim: Any, keys: Keys) -> None:
    cfg = _configuration(sim, keys, "ED25519")
    async with AsyncApiClient(cfg, clock=sim.clock) as client:
        trade = TradeApi(client)
        lev = await trade.cmfutures_create_leverage_v1(symbol="BTCUSD_PERP", leverage=5)
        assert lev.leverage == 5
        order = await trade.cmfutures_create_order_v1(
            symbol="BTCUSD_PERP",
            side="BUY",
            type="LIMIT",
            quantity=Decimal("1"),
            price=Decimal("10000"),
            time_in_force="GTC",
        )
        assert order.status == "NEW"
        opened = await AccountApi(client).cmfutures_get_open_orders_v1(symbol="BTCUSD_PERP")
        assert [o.order_id for o in opened] == [order.order_id]
        cancelled = await trade.cmfutures_delete_order_v1(
            symbol="BTCUSD_PERP", order_id=order.order_id
        )
        assert cancelled.status == "CANCELED"


async def test_retry_and_errors_against_simulator(sim: Any) -> None:
    cfg = sim.configuration(sim.account, retry_backoff=0)
    async with AsyncApiClient(cfg, clock=sim.clock) as client:
        streams = UserDataStreamsApi(client)
        await streams.cmfutures_create_listen_key_v1()
        sim.faults.fail_next_rest(2, status=503, code=-1001, path="/dapi/v1/listenKey")
        await streams.cmfutures_update_listen_key_v1()  # retried twice, then succeeds
        sim.faults.fail_next_rest(1, status=503, code=-1001, path="/dapi/v1/listenKey")
        with pytest.raises(exc.ServiceException):
            await streams.cmfutures_create_listen_key_v1()  # POST: never retried
        sim.faults.fail_next_rest(1, status=429, code=-1003, retry_after=7)
        with pytest.raises(exc.TooManyRequestsException) as info:
            await streams.cmfutures_create_listen_key_v1()
        assert info.value.retry_after == 7


async def test_sync_client_against_simulator(sim: Any) -> None:
    cfg = sim.configuration(sim.account)

    def run() -> tuple[Any, Any, Any]:
        with ApiClient(cfg, clock=sim.clock) as client:
            api = UserDataStreamsApi(client)
            return (
                api.cmfutures_create_listen_key_v1(),
                api.cmfutures_update_listen_key_v1(),
                api.cmfutures_delete_listen_key_v1(),
            )

    created, updated, deleted = await asyncio.to_thread(run)
    assert created.listen_key and isinstance(updated, dict) and deleted == {}
