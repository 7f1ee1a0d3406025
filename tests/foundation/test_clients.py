"""ApiClient and AsyncApiClient against the stub server: every test runs on both clients.

The stub server verifies API keys and signatures itself (HMAC, RSA, Ed25519), so a passing
signed call proves the bytes on the wire were signed correctly.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import urllib3

from binance.derivatives.cmfutures import (
    AccountApi,
    ApiClient,
    AsyncApiClient,
    BinanceAuth,
    Configuration,
    MarketDataApi,
    TradeApi,
    UserDataStreamsApi,
)
from binance.derivatives.cmfutures import exceptions as exc
from binance.derivatives.cmfutures.api_response import ApiResponse
from binance.derivatives.cmfutures.models import (
    AccountInformation,
    Balance,
    CmfuturesCreateListenKeyV1Resp,
    LeverageChange,
    Order,
    PositionRisk,
    ServerTime,
)
from binance.derivatives.cmfutures.signing import CredentialFormatError

from .conftest import HMAC_SECRET, Factory, resolve
from .stub_server import LISTEN_KEY, StubServer

Client = Any


METHODS = {
    "create": ("POST", "cmfutures_create_listen_key_v1"),
    "update": ("PUT", "cmfutures_update_listen_key_v1"),
    "delete": ("DELETE", "cmfutures_delete_listen_key_v1"),
}


def assert_user_stream_wire(server: StubServer, method: str, api_key: str) -> None:
    assert len(server.requests) == 1
    rec = server.requests[0]
    assert (rec.method, rec.path, rec.query, rec.body) == (method, "/dapi/v1/listenKey", "", b"")
    assert rec.headers["x-mbx-apikey"] == api_key
    assert rec.headers["accept"] == "application/json"
    assert rec.headers["user-agent"].startswith("binance-cmfutures/")
    assert "timestamp" not in rec.query and "signature" not in rec.query


# ---------------------------------------------------------------- listen-key success matrix


@pytest.mark.parametrize("op", list(METHODS))
async def test_listen_key_methods(
    make_client: Factory, config: Configuration, server: StubServer, op: str
) -> None:
    method, name = METHODS[op]
    client = make_client(config)
    api = UserDataStreamsApi(client)
    result = await resolve(getattr(api, name)())
    if op == "create":
        assert result == CmfuturesCreateListenKeyV1Resp(listen_key=LISTEN_KEY)
    else:
        assert result == {}
    assert config.auth is not None
    assert_user_stream_wire(server, method, config.auth.api_key)
    assert client.used_weight == {"1M": 1}


@pytest.mark.parametrize("op", list(METHODS))
async def test_with_http_info_and_without_preload(
    make_client: Factory, hmac_config: Configuration, server: StubServer, op: str
) -> None:
    _, name = METHODS[op]
    client = make_client(hmac_config)
    api = UserDataStreamsApi(client)
    info = await resolve(getattr(api, name + "_with_http_info")())
    assert isinstance(info, ApiResponse) and info.status_code == 200
    assert info.headers is not None and info.headers["content-type"] == "application/json"
    assert info.raw_data.startswith(b"{")
    raw = await resolve(getattr(api, name + "_without_preload_content")())
    if isinstance(client, ApiClient):
        assert isinstance(raw, urllib3.BaseHTTPResponse) and raw.status == 200
        assert raw.read().startswith(b"{")
    else:
        assert isinstance(raw, aiohttp.ClientResponse) and raw.status == 200
        assert (await raw.read()).startswith(b"{")
        raw.release()
    # the unread variant does not check the status (seed behaviour, D16)
    server.push(400, {"code": -1125, "msg": "This listenKey does not exist."})
    raw = await resolve(getattr(api, name + "_without_preload_content")())
    assert raw.status == 400
    raw.release() if isinstance(raw, aiohttp.ClientResponse) else raw.release_conn()


async def test_put_accepts_listen_key_body(
    make_client: Factory, hmac_config: Configuration, server: StubServer
) -> None:
    server.put_body = {"listenKey": LISTEN_KEY}
    api = UserDataStreamsApi(make_client(hmac_config))
    assert await resolve(api.cmfutures_update_listen_key_v1()) == {"listenKey": LISTEN_KEY}


# ---------------------------------------------------------------- error matrix

ERRORS: dict[str, tuple[int, Any, dict[str, str], type[exc.ApiException], int | None]] = {
    "400-1125": (
        400,
        {"code": -1125, "msg": "This listenKey does not exist."},
        {},
        exc.BadRequestException,
        -1125,
    ),
    "401-2015": (
        401,
        {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
        {},
        exc.UnauthorizedException,
        -2015,
    ),
    "418": (
        418,
        {"code": -1003, "msg": "Way too many requests; IP banned until 1999999999999."},
        {"Retry-After": "120"},
        exc.IpBannedException,
        -1003,
    ),
    "429": (
        429,
        {"code": -1003, "msg": "Too many requests."},
        {"Retry-After": "30"},
        exc.TooManyRequestsException,
        -1003,
    ),
    "503-unknown": (
        503,
        {"code": -1000, "msg": "Unknown error, please check your request or try again later."},
        {},
        exc.UnknownOutcomeException,
        -1000,
    ),
    "503-definite": (
        503,
        {"code": -1001, "msg": "Service Unavailable."},
        {},
        exc.ServiceException,
        -1001,
    ),
    "502-html": (502, b"<html><body>Bad Gateway</body></html>", {}, exc.ServiceException, None),
    "200-malformed": (200, b"{not json", {}, exc.InvalidResponseException, None),
}


@pytest.mark.parametrize("case", list(ERRORS))
@pytest.mark.parametrize("op", list(METHODS))
async def test_error_classes(
    make_client: Factory,
    server: StubServer,
    auths: dict[str, BinanceAuth],
    key_kind: str,
    op: str,
    case: str,
) -> None:
    status, body, headers, klass, code = ERRORS[case]
    cfg = Configuration(host=server.url, auth=auths[key_kind], retries=0)
    server.push(status, body, headers=headers)
    api = UserDataStreamsApi(make_client(cfg))
    with pytest.raises(klass) as info:
        await resolve(getattr(api, METHODS[op][1])())
    error = info.value
    assert type(error) is klass
    assert error.status == status and error.code == code
    assert error.headers is not None and error.headers["X-MBX-USED-WEIGHT-1M"]
    if isinstance(error, exc.RateLimitedException):
        assert error.retry_after == float(headers["Retry-After"])
    assert error.outcome_unknown is (klass is exc.UnknownOutcomeException)
    if case == "502-html":
        assert error.data is None and "Bad Gateway" in (error.body or "")
    if case == "400-1125":
        assert error.msg == "This listenKey does not exist."
        assert "code=-1125 msg='This listenKey does not exist.'" in str(error)


async def test_wrong_typed_200_is_an_api_exception(
    make_client: Factory, hmac_config: Configuration, server: StubServer
) -> None:
    server.push(200, {"listenKey": 12345})
    api = UserDataStreamsApi(make_client(hmac_config))
    with pytest.raises(exc.InvalidResponseException) as info:
        await resolve(api.cmfutures_create_listen_key_v1())
    assert info.value.status == 200 and "12345" in (info.value.body or "")


# ---------------------------------------------------------------- transport failures


@pytest.mark.parametrize("op", list(METHODS))
async def test_connection_refused(
    make_client: Factory, auths: dict[str, BinanceAuth], refused_url: str, op: str
) -> None:
    cfg = Configuration(host=refused_url, auth=auths["HMAC"], retries=0)
    api = UserDataStreamsApi(make_client(cfg))
    with pytest.raises(exc.NetworkException) as info:
        await resolve(getattr(api, METHODS[op][1])())
    assert info.value.status == 0 and info.value.kind == "connect"
    assert not info.value.outcome_unknown


@pytest.mark.parametrize("op", list(METHODS))
async def test_read_timeout(
    make_client: Factory, hmac_config: Configuration, server: StubServer, op: str
) -> None:
    hmac_config.retries = 0
    server.push(200, {}, delay=0.5)
    api = UserDataStreamsApi(make_client(hmac_config))
    with pytest.raises(exc.NetworkException) as info:
        await resolve(getattr(api, METHODS[op][1])(_request_timeout=(2, 0.1)))
    assert info.value.kind == "read_timeout" and info.value.outcome_unknown


async def test_default_timeout_from_configuration(
    make_client: Factory, hmac_config: Configuration, server: StubServer
) -> None:
    hmac_config.retries = 0
    hmac_config.timeout = (2, 0.1)
    server.push(200, {}, delay=0.5)
    api = UserDataStreamsApi(make_client(hmac_config))
    with pytest.raises(exc.NetworkException, match="read"):
        await resolve(api.cmfutures_update_listen_key_v1())


async def test_tls_failure(
    make_client: Factory, auths: dict[str, BinanceAuth], server: StubServer
) -> None:
    cfg = Configuration(
        host=server.url.replace("http://", "https://"), auth=auths["HMAC"], retries=0
    )
    api = UserDataStreamsApi(make_client(cfg))
    with pytest.raises(exc.NetworkException) as info:
        await resolve(api.cmfutures_create_listen_key_v1())
    assert info.value.kind in ("tls", "connection_lost")


async def test_dns_failure(make_client: Factory, auths: dict[str, BinanceAuth]) -> None:
    cfg = Configuration(host="http://no-such-host.invalid", auth=auths["HMAC"], retries=0)
    api = UserDataStreamsApi(make_client(cfg))
    with pytest.raises(exc.NetworkException) as info:
        await resolve(api.cmfutures_create_listen_key_v1(_request_timeout=2))
    assert info.value.kind in ("dns", "connect", "connect_timeout")


# ---------------------------------------------------------------- retry policy (live)


@pytest.mark.parametrize("op", ["update", "delete"])
async def test_idempotent_calls_are_retried(
    make_client: Factory, hmac_config: Configuration, server: StubServer, op: str
) -> None:
    server.push(503, {"code": -1001, "msg": "Service Unavailable."})
    server.push(502, b"<html>")
    api = UserDataStreamsApi(make_client(hmac_config))
    assert await resolve(getattr(api, METHODS[op][1])()) == {}
    assert len(server.requests) == 3


async def test_post_is_never_retried(
    make_client: Factory, hmac_config: Configuration, server: StubServer
) -> None:
    hmac_config.retries = 5
    server.push(503, {"code": -1001, "msg": "Service Unavailable."})
    api = UserDataStreamsApi(make_client(hmac_config))
    with pytest.raises(exc.ServiceException):
        await resolve(api.cmfutures_create_listen_key_v1())
    assert len(server.requests) == 1
    server.reset()
    server.push(200, {}, delay=0.5)
    with pytest.raises(exc.NetworkException):
        await resolve(api.cmfutures_create_listen_key_v1(_request_timeout=(2, 0.1)))
    assert len(server.requests) == 1


async def test_retries_are_bounded_live(
    make_client: Factory, hmac_config: Configuration, server: StubServer
) -> None:
    server.push(500, {"code": -1000, "msg": "x"}, times=5)
    api = UserDataStreamsApi(make_client(hmac_config))
    with pytest.raises(exc.ServiceException):
        await resolve(api.cmfutures_delete_listen_key_v1())
    assert len(server.requests) == 3  # 1 + retries=2


# ---------------------------------------------------------------- options, headers, auth


async def test_header_precedence(
    make_client: Factory, hmac_config: Configuration, server: StubServer
) -> None:
    client = make_client(hmac_config)
    client.set_default_header("X-Extra", "default")
    api = UserDataStreamsApi(client)
    await resolve(
        api.cmfutures_create_listen_key_v1(_headers={"User-Agent": "mine", "X-Extra": "call"})
    )
    rec = server.requests[0]
    assert rec.headers["user-agent"] == "mine" and rec.headers["x-extra"] == "call"
    headers = {"User-Agent": "mine"}
    await resolve(api.cmfutures_create_listen_key_v1(_headers=headers))
    assert headers == {"User-Agent": "mine"}  # not mutated


async def test_seed_constructor_extras(
    make_client: Factory, hmac_config: Configuration, server: StubServer
) -> None:
    klass = type(make_client(hmac_config))
    client = klass(hmac_config, "X-Name", "value", "c=1")
    try:
        await resolve(UserDataStreamsApi(client).cmfutures_delete_listen_key_v1())
    finally:
        await resolve(client.close())
    rec = server.requests[0]
    assert rec.headers["x-name"] == "value" and rec.headers["cookie"] == "c=1"


async def test_host_index_and_timeout_validation(
    make_client: Factory, hmac_config: Configuration
) -> None:
    api = UserDataStreamsApi(make_client(hmac_config))
    with pytest.raises(exc.ApiValueError, match="_host_index"):
        await resolve(api.cmfutures_create_listen_key_v1(_host_index=1))
    with pytest.raises(exc.ApiValueError):
        await resolve(api.cmfutures_update_listen_key_v1(_request_timeout=0))


async def test_missing_auth_is_clear(make_client: Factory, server: StubServer) -> None:
    client = make_client(Configuration(host=server.url))
    with pytest.raises(exc.MissingAuthError, match="BinanceAuth"):
        await resolve(UserDataStreamsApi(client).cmfutures_create_listen_key_v1())
    assert server.requests == []
    server_time = await resolve(MarketDataApi(client).cmfutures_get_time_v1())
    assert isinstance(server_time, ServerTime) and server_time.server_time > 0
    assert "x-mbx-apikey" not in server.requests[0].headers


async def test_per_call_request_auth(
    make_client: Factory, server: StubServer, auths: dict[str, BinanceAuth]
) -> None:
    client = make_client(Configuration(host=server.url, auth=auths["HMAC"]))
    api = UserDataStreamsApi(client)
    await resolve(api.cmfutures_create_listen_key_v1(_request_auth=auths["ED25519"]))
    assert server.requests[-1].headers["x-mbx-apikey"] == "ed-key"
    balances = await resolve(
        AccountApi(client).cmfutures_get_balance_v1(_request_auth=auths["RSA"])
    )
    assert balances[0].asset == "BTC"
    with pytest.raises(exc.UnauthorizedException):
        await resolve(
            api.cmfutures_create_listen_key_v1(
                _request_auth={"in": "header", "key": "X-Other", "value": "v"}
            )
        )


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("TOKENVALUE\r", "carriage return (CR) at the end"),
        ("TOKENVALUE\n", "line feed (LF) at the end"),
        ("TOKEN\r\nX-Injected: 1", "carriage return (CR) at position 6"),
        ("TOKEN\x00VALUE", "control character U+0000"),
        ("TOKENVALUÉ", "non-ASCII character U+00C9"),
    ],
)
async def test_per_call_header_auth_with_control_characters_is_rejected_unsent(
    make_client: Factory, server: StubServer, value: str, needle: str
) -> None:
    """The same typed error as BinanceAuth's (issue 9 item 2), for both clients, the value
    hidden, before anything is sent."""
    client = make_client(Configuration(host=server.url, retries=0))
    sent = len(server.requests)
    with pytest.raises(CredentialFormatError, match=re.escape(needle)) as info:
        await resolve(
            UserDataStreamsApi(client).cmfutures_create_listen_key_v1(
                _request_auth={"in": "header", "key": "X-Token", "value": value}
            )
        )
    text = str(info.value)
    assert "TOKEN" not in text and "VALU" not in text and "Injected" not in text
    assert "_request_auth" in text and "not shown" in text and "Fix:" in text
    assert len(server.requests) == sent


async def test_per_call_header_auth_may_contain_inner_spaces(
    make_client: Factory, server: StubServer
) -> None:
    client = make_client(Configuration(host=server.url, retries=0))
    with pytest.raises(exc.UnauthorizedException):
        await resolve(
            UserDataStreamsApi(client).cmfutures_create_listen_key_v1(
                _request_auth={"in": "header", "key": "Authorization", "value": "Bearer t0k"}
            )
        )
    assert server.requests[-1].headers["authorization"] == "Bearer t0k"


async def test_secrets_absent_from_logs_and_errors(
    make_client: Factory, server: StubServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    auth = BinanceAuth(api_key="hmac-key", secret_key=HMAC_SECRET)
    cfg = Configuration(host=server.url, auth=auth, debug=True, retries=0)
    client = make_client(cfg)
    await resolve(UserDataStreamsApi(client).cmfutures_create_listen_key_v1())
    await resolve(AccountApi(client).cmfutures_get_balance_v1())
    server.push(401, {"code": -2015, "msg": "Invalid API-key"})
    with pytest.raises(exc.ApiException) as info:
        await resolve(UserDataStreamsApi(client).cmfutures_create_listen_key_v1())
    assert "/dapi/v1/listenKey" in caplog.text
    for text in (
        caplog.text,
        str(info.value),
        repr(info.value),
        repr(cfg),
        repr(client.rate_limits),
    ):
        assert "hmac-key" not in text and HMAC_SECRET not in text
    cfg.debug = False


# ---------------------------------------------------------------- signed calls


async def test_signed_snapshot_calls(
    make_client: Factory, config: Configuration, server: StubServer
) -> None:
    client = make_client(config)
    account = AccountApi(client)
    info = await resolve(account.cmfutures_get_account_v1())
    assert isinstance(info, AccountInformation) and info.assets[0].wallet_balance == Decimal(
        "0.00241969"
    )
    balances = await resolve(account.cmfutures_get_balance_v1())
    assert isinstance(balances[0], Balance) and balances[0].account_alias == "SgsR"
    risk = await resolve(account.cmfutures_get_position_risk_v1(pair="BTCUSD"))
    assert isinstance(risk[0], PositionRisk) and risk[0].leverage == 20
    orders = await resolve(
        account.cmfutures_get_open_orders_v1(symbol="BTCUSD_PERP", recv_window=3000)
    )
    assert isinstance(orders[0], Order) and orders[0].price == Decimal("60000")
    for rec in server.requests:
        assert rec.method == "GET" and rec.query.rsplit("&", 1)[1].startswith("signature=")
        assert "timestamp=" in rec.query and rec.body == b""
    assert "pair=BTCUSD&recvWindow=5000" in server.requests[2].query
    assert "symbol=BTCUSD_PERP&recvWindow=3000" in server.requests[3].query
    assert client.used_weight == {"1M": 4}


async def test_trade_calls_sign_what_they_send(
    make_client: Factory, config: Configuration, server: StubServer
) -> None:
    client = make_client(config)
    trade = TradeApi(client)
    order = await resolve(
        trade.cmfutures_create_order_v1(
            symbol="BTCUSD_PERP",
            side="BUY",
            type="LIMIT",
            quantity=Decimal("1"),
            price=Decimal("60000.0"),
            time_in_force="GTC",
            reduce_only=False,
        )
    )
    assert isinstance(order, Order) and order.status == "NEW"
    post = server.requests[0]
    assert post.query == "" and post.headers["content-type"] == "application/x-www-form-urlencoded"
    assert post.body.decode().startswith(
        "symbol=BTCUSD_PERP&side=BUY&type=LIMIT&quantity=1&price=60000.0&timeInForce=GTC&reduceOnly=false&recvWindow="
    )
    assert client.order_count == {"10S": 1, "1M": 3}
    cancelled = await resolve(
        trade.cmfutures_delete_order_v1(symbol="BTCUSD_PERP", order_id=22542179)
    )
    assert cancelled.status == "CANCELED"
    assert server.requests[1].query.startswith("symbol=BTCUSD_PERP&orderId=22542179&recvWindow=")
    lev = await resolve(trade.cmfutures_create_leverage_v1(symbol="BTCUSD_PERP", leverage=5))
    assert lev == LeverageChange(symbol="BTCUSD_PERP", leverage=5, max_qty=Decimal("100"))


async def test_exchange_info_is_a_dict(make_client: Factory, hmac_config: Configuration) -> None:
    info = await resolve(MarketDataApi(make_client(hmac_config)).cmfutures_get_exchange_info_v1())
    assert info["timezone"] == "UTC"


async def test_minus_1021_resyncs_with_server_time(
    make_client: Factory, config: Configuration, server: StubServer
) -> None:
    server.skew_ms = 120_000  # the server is 2 minutes ahead of us
    client = make_client(config)
    balances = await resolve(AccountApi(client).cmfutures_get_balance_v1())
    assert balances[0].asset == "BTC"
    assert [r.path for r in server.requests] == [
        "/dapi/v1/balance",
        "/dapi/v1/time",
        "/dapi/v1/balance",
    ]
    assert 119_000 < client.time_offset_ms < 121_000
    server.requests.clear()
    await resolve(AccountApi(client).cmfutures_get_balance_v1())
    assert len(server.requests) == 1  # the offset is kept


async def test_timestamps_come_from_the_clock(
    make_client: Factory, hmac_config: Configuration, server: StubServer
) -> None:
    from binance.derivatives.cmfutures.clock import ManualClock

    clock = ManualClock(start=1_000_000.0)
    client = make_client(hmac_config, clock=clock)
    server.push(400, {"code": -1021, "msg": "outside"}, path="/dapi/v1/balance")
    server.push(200, {"serverTime": 1_000_000_500}, path="/dapi/v1/time")
    server.push(200, [], path="/dapi/v1/balance")
    assert await resolve(AccountApi(client).cmfutures_get_balance_v1()) == []
    assert "timestamp=1000000000&" in server.requests[0].query
    assert client.time_offset_ms == 500
    assert "timestamp=1000000500&" in server.requests[2].query
    assert await resolve(client.sync_time()) > 0


# ---------------------------------------------------------------- life cycle


def test_sync_context_manager_closes_pool(hmac_config: Configuration) -> None:
    with ApiClient(hmac_config) as client:
        UserDataStreamsApi(client).cmfutures_create_listen_key_v1()
        assert len(client.rest_client.pool_manager.pools) == 1
    assert len(client.rest_client.pool_manager.pools) == 0 and client.closed


async def test_async_context_manager_closes_session(hmac_config: Configuration) -> None:
    async with AsyncApiClient(hmac_config) as client:
        await UserDataStreamsApi(client).cmfutures_create_listen_key_v1()
        session = client._session
        assert session is not None and not session.closed
    assert session.closed and client.closed


def test_default_api_client(monkeypatch: pytest.MonkeyPatch, hmac_config: Configuration) -> None:
    Configuration.set_default(hmac_config)
    ApiClient.set_default(None)
    try:
        api = UserDataStreamsApi()
        assert api.api_client is ApiClient.get_default()
        assert api.cmfutures_create_listen_key_v1().listen_key == LISTEN_KEY
    finally:
        ApiClient.get_default().close()
        ApiClient.set_default(None)
        Configuration.set_default(None)


def test_seed_helpers(hmac_config: Configuration, server: StubServer) -> None:
    with ApiClient(hmac_config) as client:
        method, url, headers, body, post = client.param_serialize(
            "POST", "/dapi/v1/listenKey", auth_settings=["ApiKey"]
        )
        resp = client.call_api(method, url, headers, body, post)
        parsed = client.response_deserialize(resp, {"200": "CmfuturesCreateListenKeyV1Resp"})
        assert parsed.data == CmfuturesCreateListenKeyV1Resp(listen_key=LISTEN_KEY)
        server.push(400, {"code": -1125, "msg": "gone"})
        resp = client.call_api("PUT", url, headers)
        with pytest.raises(exc.BadRequestException):
            client.response_deserialize(resp, {"200": "object"})
        assert (
            client.parameters_to_url_query([("a", True), ("b", Decimal("1.50"))], None)
            == "a=true&b=1.50"
        )
        assert client.select_header_accept(["text/plain", "application/json"]) == "application/json"
        assert client.user_agent.startswith("binance-cmfutures/")


def test_host_changes_beyond_the_pool_limit_keep_working(
    hmac_config: Configuration, server: StubServer
) -> None:
    # The host is read on every call and the client caches one pool per host while urllib3
    # keeps at most num_pools (4): switching among more hosts and back must keep working.
    import socket

    refused = []
    for _ in range(5):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            refused.append(f"http://127.0.0.1:{sock.getsockname()[1]}")
    hmac_config.retries = 0
    with ApiClient(hmac_config) as client:
        api = UserDataStreamsApi(client)
        api.cmfutures_create_listen_key_v1()
        for url in refused:
            hmac_config.host = url
            with pytest.raises(exc.NetworkException):
                api.cmfutures_create_listen_key_v1(_request_timeout=2)
        hmac_config.host = server.url
        assert api.cmfutures_create_listen_key_v1().listen_key
    assert len(server.requests) == 2
