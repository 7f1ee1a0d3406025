"""Issue 10 item 5 (client half): TradeApi.cmfutures_get_user_trades_v1 and
AccountApi.cmfutures_get_income_history_v1, sync and async, against the stub server serving
Binance's documented response examples (tests/fixtures/real)."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from binance.derivatives.cmfutures import (
    AccountApi,
    ApiClient,
    AsyncApiClient,
    Configuration,
    TradeApi,
)
from binance.derivatives.cmfutures.models import Income, UserTrade

from .stub_server import StubServer

REAL = Path(__file__).parent.parent / "fixtures" / "real"


def _payload(name: str) -> Any:
    return json.loads((REAL / name).read_text())["payload"]


@pytest.fixture(params=["sync", "async"])
async def client(request: pytest.FixtureRequest, hmac_config: Configuration
                 ) -> AsyncIterator[Any]:
    klass = ApiClient if request.param == "sync" else AsyncApiClient
    made = klass(hmac_config)
    yield made
    closed = made.close()
    if inspect.isawaitable(closed):
        await closed


async def resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def test_user_trades_by_symbol(client: Any, server: StubServer) -> None:
    server.push(200, _payload("dapi_v1_userTrades.doc.json"), path="/dapi/v1/userTrades")
    trades = await resolve(TradeApi(client).cmfutures_get_user_trades_v1(
        symbol="BTCUSD_200626", start_time=1590743000000, end_time=1590744000000,
        from_id=5, limit=1000))
    (trade,) = trades
    assert isinstance(trade, UserTrade)
    assert (trade.symbol, trade.id, trade.order_id) == ("BTCUSD_200626", 6, 28)
    assert trade.pair == "BTCUSD"
    assert trade.price == Decimal("8800") and trade.qty == 1
    assert trade.base_qty == Decimal("0.01136364") and trade.commission == Decimal("0.00000454")
    assert (trade.margin_asset, trade.commission_asset, trade.position_side) == ("BTC", "BTC",
                                                                                 "BOTH")
    assert trade.buyer is False and trade.maker is False and trade.time == 1590743483586
    (rec,) = server.requests
    assert rec.method == "GET" and rec.path == "/dapi/v1/userTrades"
    assert rec.query.startswith("symbol=BTCUSD_200626&startTime=1590743000000&"
                                "endTime=1590744000000&fromId=5&limit=1000&recvWindow=")
    assert rec.query.rsplit("&", 1)[1].startswith("signature=")


async def test_user_trades_by_pair(client: Any, server: StubServer) -> None:
    server.push(200, [], path="/dapi/v1/userTrades")
    assert await resolve(TradeApi(client).cmfutures_get_user_trades_v1(pair="BTCUSD")) == []
    assert server.requests[0].params["pair"] == "BTCUSD"
    assert "symbol" not in server.requests[0].params


async def test_income_history(client: Any, server: StubServer) -> None:
    server.push(200, _payload("dapi_v1_income.doc.json"), path="/dapi/v1/income")
    rows = await resolve(AccountApi(client).cmfutures_get_income_history_v1(
        symbol="BTCUSD_200925", income_type="COMMISSION", start_time=1, end_time=2, limit=10))
    assert [type(r) for r in rows] == [Income, Income]
    transfer, commission = rows
    assert (transfer.income_type, transfer.income, transfer.asset) == (
        "TRANSFER", Decimal("-0.375"), "BTC")
    assert transfer.symbol == "" and transfer.info == "WITHDRAW" and transfer.trade_id == ""
    assert commission.tran_id == 9689322392 and commission.trade_id == "2059192"
    params = server.requests[0].params
    assert params["incomeType"] == "COMMISSION" and params["symbol"] == "BTCUSD_200925"
    assert (params["startTime"], params["endTime"], params["limit"]) == ("1", "2", "10")


async def test_history_with_http_info_keeps_unknown_fields_reachable(
    client: Any, server: StubServer
) -> None:
    row = dict(_payload("dapi_v1_userTrades.doc.json")[0], futureField="x")
    server.push(200, [row], path="/dapi/v1/userTrades")
    response = await resolve(
        TradeApi(client).cmfutures_get_user_trades_v1_with_http_info(symbol="BTCUSD_200626"))
    assert response.status_code == 200 and response.data[0].id == 6
    assert json.loads(response.raw_data)[0]["futureField"] == "x"


