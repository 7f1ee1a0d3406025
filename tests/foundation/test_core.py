"""The sans-I/O core: request building, signing placement, retry policy, resync, errors."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from urllib3 import HTTPHeaderDict

from binance.derivatives.cmfutures import BinanceAuth, Configuration
from binance.derivatives.cmfutures import exceptions as exc
from binance.derivatives.cmfutures._http.errors import exception_class_for, parse_retry_after
from binance.derivatives.cmfutures._http.flow import (
    MODE_DATA,
    RawResponse,
    RequestCore,
    Sleep,
    call_flow,
    retry_delay,
)
from binance.derivatives.cmfutures._http.ratelimit import RateLimits
from binance.derivatives.cmfutures._http.request import (
    CallOptions,
    Endpoint,
    PreparedRequest,
    Security,
    build_request,
)
from binance.derivatives.cmfutures.clock import ManualClock

SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
NOW = 1767225600.0


def _core(**cfg: Any) -> RequestCore:
    cfg.setdefault("auth", BinanceAuth(api_key="k", secret_key=SECRET))
    config = Configuration(host="http://h", **cfg)
    return RequestCore(config, {"User-Agent": "ua"}, ManualClock(NOW))


def _ok(
    body: bytes = b"{}", status: int = 200, headers: dict[str, str] | None = None
) -> RawResponse:
    return RawResponse(status, "OK", HTTPHeaderDict(headers or {}), body)


def test_user_stream_has_no_timestamp_and_no_signature() -> None:
    class Spy(BinanceAuth):
        def sign_payload(self, payload: str | bytes) -> str:
            raise AssertionError("USER_STREAM must not sign")

    core = _core(auth=Spy(api_key="k", secret_key="s"))
    ep = Endpoint("POST", "/dapi/v1/listenKey", Security.USER_STREAM)
    req = build_request(ep, core.config, core.default_headers, None, None, 1)
    assert req.target == "/dapi/v1/listenKey" and req.body is None
    assert req.headers == {"Accept": "application/json", "User-Agent": "ua", "X-MBX-APIKEY": "k"}


def test_public_endpoint_sends_no_key_and_needs_no_auth() -> None:
    core = _core(auth=None)
    req = build_request(
        Endpoint("GET", "/dapi/v1/time", Security.NONE), core.config, {}, None, None, 1
    )
    assert "X-MBX-APIKEY" not in req.headers


def test_missing_auth_is_a_typed_error() -> None:
    core = _core(auth=None)
    ep = Endpoint("POST", "/dapi/v1/listenKey", Security.USER_STREAM)
    with pytest.raises(exc.MissingAuthError, match=r"Configuration\.auth is None"):
        build_request(ep, core.config, {}, None, None, 1)


def test_signed_get_query_matches_known_vector() -> None:
    core = _core()
    ep = Endpoint("GET", "/dapi/v1/x", Security.SIGNED)
    params = [
        ("symbol", "BTCUSD_PERP"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("quantity", "1"),
        ("price", "60000"),
    ]
    req = build_request(ep, core.config, {}, params, None, 1767225600000)
    assert req.target == (
        "/dapi/v1/x?symbol=BTCUSD_PERP&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1"
        "&price=60000&recvWindow=5000&timestamp=1767225600000"
        "&signature=ef8c764204853db086884aa74319c9b424588b6d63222665a08129b78e32df0c"
    )


def test_signed_post_uses_form_body_with_signature_last() -> None:
    core = _core()
    ep = Endpoint("POST", "/dapi/v1/order", Security.SIGNED, form_body=True)
    req = build_request(ep, core.config, {}, [("symbol", "A B")], None, 5)
    assert req.target == "/dapi/v1/order"
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    body = req.body.decode()  # type: ignore[union-attr]
    assert body.startswith("symbol=A+B&recvWindow=5000&timestamp=5&signature=")
    payload, sig = body.rsplit("&signature=", 1)
    auth = core.config.auth
    assert auth is not None and sig == auth.sign_payload(payload)


def test_signature_covers_query_then_body_without_separator() -> None:
    """Binance's totalParams rule: query string directly followed by the body."""
    core = _core()
    ep = Endpoint(
        "POST", "/dapi/v1/mixed", Security.SIGNED, form_body=True, query_names=frozenset({"symbol"})
    )
    req = build_request(
        ep, core.config, {}, [("symbol", "BTCUSD_PERP"), ("quantity", "1")], None, 7
    )
    assert req.target == "/dapi/v1/mixed?symbol=BTCUSD_PERP"
    body = req.body.decode()  # type: ignore[union-attr]
    assert body.startswith("quantity=1&recvWindow=5000&timestamp=7&signature=")
    payload, sig = body.rsplit("&signature=", 1)
    auth = core.config.auth
    assert auth is not None
    assert sig == auth.sign_payload("symbol=BTCUSD_PERP" + payload)


def test_header_precedence_per_call_wins_d13() -> None:
    core = _core()
    ep = Endpoint("PUT", "/dapi/v1/listenKey", Security.USER_STREAM)
    opts = CallOptions.parse(None, None, None, {"user-agent": "mine", "Accept": "text/plain"})
    req = build_request(ep, core.config, core.default_headers, None, opts, 1)
    assert req.headers["user-agent"] == "mine" and "User-Agent" not in req.headers
    assert req.headers["Accept"] == "text/plain"
    assert req.headers["X-MBX-APIKEY"] == "k"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"host_index": 1}, exc.ApiValueError),
        ({"host_index": "0"}, exc.ApiTypeError),
        ({"request_timeout": 0}, exc.ApiValueError),
        ({"request_timeout": (1, 2, 3)}, exc.ApiValueError),
        ({"request_timeout": "1"}, exc.ApiTypeError),
        ({"request_auth": {"in": "cookie"}}, exc.ApiValueError),
        ({"request_auth": 5}, exc.ApiTypeError),
        ({"headers": [("a", "b")]}, exc.ApiTypeError),
        ({"recv_window": 70000}, exc.ApiValueError),
    ],
)
def test_call_option_validation(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        CallOptions.parse(**kwargs)


def test_call_option_forms() -> None:
    opts = CallOptions.parse(2)
    assert opts is not None and opts.timeout == (None, None, 2.0)
    opts = CallOptions.parse((1, 3))
    assert opts is not None and opts.timeout == (1.0, 3.0, None)
    other = BinanceAuth(api_key="other", secret_key="x")
    opts = CallOptions.parse(None, other)
    assert opts is not None and opts.auth is other
    opts = CallOptions.parse(None, {"in": "header", "type": "binance"})
    assert opts is not None and opts.use_auth
    opts = CallOptions.parse(None, {"in": "header", "key": "X-Custom", "value": "v"})
    assert opts is not None and opts.auth_header == ("X-Custom", "v") and not opts.use_auth


def _drive(flow: Generator[Any, Any, Any], outcomes: list[Any]) -> tuple[list[Any], Any]:
    """Feed outcomes to the flow; return the actions it produced and its result."""
    actions: list[Any] = []
    try:
        action = next(flow)
        while True:
            actions.append(action)
            outcome = None if isinstance(action, Sleep) else outcomes.pop(0)
            action = flow.send(outcome)
    except StopIteration as stop:
        return actions, stop.value


def _net() -> exc.NetworkException:
    return exc.NetworkException("connect", "refused")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_idempotent_methods_retry_with_backoff(method: str) -> None:
    core = _core(retries=3, retry_backoff=0.5)
    ep = Endpoint(method, "/p", Security.USER_STREAM)
    outcomes = [_net(), _ok(b"x", 503), _ok(b"<html>", 502), _ok(b'{"a":1}')]
    actions, result = _drive(call_flow(core, ep, None, None, MODE_DATA), outcomes)
    assert result == {"a": 1}
    assert [a.delay for a in actions if isinstance(a, Sleep)] == [0.5, 1.0, 2.0]
    assert sum(isinstance(a, PreparedRequest) for a in actions) == 4


def test_retries_are_bounded() -> None:
    core = _core(retries=2, retry_backoff=0)
    ep = Endpoint("GET", "/p", Security.NONE)
    with pytest.raises(exc.NetworkException):
        _drive(call_flow(core, ep, None, None, MODE_DATA), [_net(), _net(), _net()])
    with pytest.raises(exc.ServiceException):
        _drive(call_flow(core, ep, None, None, MODE_DATA), [_ok(b"", 500)] * 3)


def test_post_is_never_retried() -> None:
    core = _core(retries=5, retry_backoff=0)
    ep = Endpoint("POST", "/dapi/v1/listenKey", Security.USER_STREAM)
    with pytest.raises(exc.NetworkException):
        _drive(call_flow(core, ep, None, None, MODE_DATA), [_net()])
    with pytest.raises(exc.ServiceException):
        _drive(call_flow(core, ep, None, None, MODE_DATA), [_ok(b"", 503)])


def test_4xx_and_rate_limits_are_not_retried() -> None:
    core = _core(retries=5, retry_backoff=0)
    ep = Endpoint("GET", "/p", Security.NONE)
    with pytest.raises(exc.TooManyRequestsException) as info:
        _drive(
            call_flow(core, ep, None, None, MODE_DATA),
            [_ok(b'{"code":-1003,"msg":"Too many"}', 429, {"Retry-After": "7"})],
        )
    assert info.value.retry_after == 7.0
    assert core.rate_limits.retry_after == 7.0


def test_retry_delay_caps() -> None:
    assert [retry_delay(1.0, n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 8.0]


def test_minus_1021_resyncs_time_once_then_resends() -> None:
    core = _core()
    ep = Endpoint("GET", "/dapi/v1/account", Security.SIGNED)
    skew = 3000
    server_now = int(NOW * 1000) + skew
    outcomes = [
        _ok(b'{"code":-1021,"msg":"Timestamp outside recvWindow"}', 400),
        _ok(b'{"serverTime":%d}' % server_now),
        _ok(b'{"ok":true}'),
    ]
    actions, result = _drive(call_flow(core, ep, None, None, MODE_DATA), outcomes)
    requests = [a for a in actions if isinstance(a, PreparedRequest)]
    assert [r.target.split("?")[0] for r in requests] == [
        "/dapi/v1/account",
        "/dapi/v1/time",
        "/dapi/v1/account",
    ]
    assert core.time_offset_ms == skew
    stamps = [
        dict(parse_qsl(r.target.split("?")[1]))["timestamp"] for r in (requests[0], requests[2])
    ]
    assert int(stamps[1]) - int(stamps[0]) == skew
    assert result == {"ok": True}
    # a second -1021 is raised, not resynced again
    with pytest.raises(exc.BadRequestException) as info:
        _drive(
            call_flow(core, ep, None, None, MODE_DATA),
            [
                _ok(b'{"code":-1021,"msg":"x"}', 400),
                _ok(b'{"serverTime":%d}' % server_now),
                _ok(b'{"code":-1021,"msg":"x"}', 400),
            ],
        )
    assert info.value.code == exc.BinanceCode.INVALID_TIMESTAMP


def test_user_stream_minus_1021_is_not_resynced() -> None:
    core = _core()
    ep = Endpoint("PUT", "/dapi/v1/listenKey", Security.USER_STREAM)
    with pytest.raises(exc.BadRequestException):
        _drive(call_flow(core, ep, None, None, MODE_DATA), [_ok(b'{"code":-1021,"msg":"x"}', 400)])


@pytest.mark.parametrize(
    ("status", "code", "msg", "klass"),
    [
        (400, -1125, "This listenKey does not exist.", exc.BadRequestException),
        (401, -2015, "Invalid API-key", exc.UnauthorizedException),
        (403, None, None, exc.ForbiddenException),
        (404, None, None, exc.NotFoundException),
        (409, None, None, exc.ConflictException),
        (422, None, None, exc.UnprocessableEntityException),
        (418, -1003, "banned", exc.IpBannedException),
        (429, -1003, "Too many", exc.TooManyRequestsException),
        (
            503,
            -1000,
            "Unknown error, please check your request or try again later.",
            exc.UnknownOutcomeException,
        ),
        (503, None, "Service Unavailable.", exc.ServiceException),
        (503, -1008, "Request throttled by system-level protection.", exc.ServiceException),
        (500, -1006, "An unexpected response was received", exc.UnknownOutcomeException),
        (408, -1007, "Timeout waiting for response", exc.UnknownOutcomeException),
        (502, None, None, exc.ServiceException),
        (405, None, None, exc.ApiException),
    ],
)
def test_exception_class_for(status: int, code: int | None, msg: str | None, klass: type) -> None:
    assert exception_class_for(status, code, msg) is klass


def test_parse_retry_after() -> None:
    assert parse_retry_after({"Retry-After": "120"}, None, 0) == 120.0
    assert parse_retry_after({"Retry-After": "Thu, 01 Jan 1970 00:01:40 GMT"}, None, 40.0) == 60.0
    msg = "Way too many requests; IP banned until 1700000060000. Please use websocket."
    assert parse_retry_after({}, msg, 1700000000.0) == 60.0
    assert parse_retry_after(None, None, 0) is None


def test_rate_limit_headers() -> None:
    limits = RateLimits()
    limits.update(HTTPHeaderDict({"X-MBX-USED-WEIGHT-1M": "12", "x-mbx-used-weight-1s": "2"}))
    assert limits.used_weight == {"1M": 12, "1S": 2}
    limits.update(HTTPHeaderDict({"X-MBX-ORDER-COUNT-10S": "1", "X-MBX-USED-WEIGHT-1M": "13"}))
    assert limits.used_weight == {"1M": 13} and limits.order_count == {"10S": 1}
    limits.update(HTTPHeaderDict({"X-MBX-ORDER-COUNT-1M": "4", "X-MBX-USED-WEIGHT-1M": "bad"}))
    assert limits.order_count == {"10S": 1, "1M": 4} and limits.used_weight == {}


def test_malformed_and_wrong_typed_success_bodies() -> None:
    from binance.derivatives.cmfutures.models.cmfutures_create_listen_key_v1_resp import (
        CmfuturesCreateListenKeyV1Resp,
    )

    core = _core()
    ep = Endpoint(
        "POST", "/dapi/v1/listenKey", Security.USER_STREAM, CmfuturesCreateListenKeyV1Resp
    )
    for body in (b'{"listenKey": 12345}', b"<html>oops</html>", b"[1,2]"):
        with pytest.raises(exc.InvalidResponseException) as info:
            _drive(call_flow(core, ep, None, None, MODE_DATA), [_ok(body)])
        assert info.value.status == 200 and info.value.body == body.decode()
