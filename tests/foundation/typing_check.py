"""Static check (run ``mypy --strict tests/foundation/typing_check.py``): the same API classes
type-check with both clients — results for ApiClient, awaitables for AsyncApiClient."""

from __future__ import annotations

from typing import Any

import aiohttp
import urllib3
from typing_extensions import assert_type

from binance.derivatives.cmfutures import (
    AccountApi,
    ApiClient,
    AsyncApiClient,
    Configuration,
    MarketDataApi,
    TradeApi,
    UserDataStreamsApi,
)
from binance.derivatives.cmfutures.api_response import ApiResponse
from binance.derivatives.cmfutures.models import (
    AccountInformation,
    Balance,
    CmfuturesCreateListenKeyV1Resp,
    Income,
    Order,
    ServerTime,
    UserTrade,
)


def sync_usage(cfg: Configuration) -> None:
    with ApiClient(cfg) as client:
        api = UserDataStreamsApi(client)
        assert_type(api.cmfutures_create_listen_key_v1(), CmfuturesCreateListenKeyV1Resp)
        assert_type(
            api.cmfutures_create_listen_key_v1_with_http_info(),
            ApiResponse[CmfuturesCreateListenKeyV1Resp],
        )
        assert_type(
            api.cmfutures_update_listen_key_v1_without_preload_content(), urllib3.BaseHTTPResponse
        )
        assert_type(api.cmfutures_delete_listen_key_v1(), Any)
        assert_type(AccountApi(client).cmfutures_get_account_v1(), AccountInformation)
        assert_type(AccountApi(client).cmfutures_get_balance_v1(), list[Balance])
        assert_type(MarketDataApi(client).cmfutures_get_time_v1(), ServerTime)
        order = TradeApi(client).cmfutures_create_order_v1(symbol="X", side="BUY", type="MARKET")
        assert_type(order, Order)
        assert_type(TradeApi(client).cmfutures_get_user_trades_v1(symbol="X"), list[UserTrade])
        assert_type(AccountApi(client).cmfutures_get_income_history_v1(), list[Income])
    default = UserDataStreamsApi()
    assert_type(default.cmfutures_create_listen_key_v1(), CmfuturesCreateListenKeyV1Resp)


async def async_usage(cfg: Configuration) -> None:
    async with AsyncApiClient(cfg) as client:
        api = UserDataStreamsApi(client)
        key = await api.cmfutures_create_listen_key_v1()
        assert_type(key, CmfuturesCreateListenKeyV1Resp)
        info = await api.cmfutures_create_listen_key_v1_with_http_info()
        assert_type(info, ApiResponse[CmfuturesCreateListenKeyV1Resp])
        raw = await api.cmfutures_update_listen_key_v1_without_preload_content()
        assert_type(raw, aiohttp.ClientResponse)
        assert_type(await AccountApi(client).cmfutures_get_open_orders_v1(), list[Order])
        assert_type(await client.sync_time(), int)
        trades = await TradeApi(client).cmfutures_get_user_trades_v1(pair="X")
        assert_type(trades, list[UserTrade])
        income = await AccountApi(client).cmfutures_get_income_history_v1_with_http_info()
        assert_type(income, ApiResponse[list[Income]])
