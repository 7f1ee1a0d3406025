"""Bounded time and memory for every REST call (issue 9, items 6-8 and 11), on both clients.

A local misbehaving server (``hostile_server``) trickles bytes, never ends a chunked body,
sends 50 MB, a gzip bomb, JSON nested 100,000 deep, ``Retry-After: inf``. Every call must end
within its deadline with a typed :class:`ApiException`. These tests run in real time by
nature (the deadline is a wall-clock promise); timeouts are short so each takes about 1 s.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from binance.derivatives.cmfutures import (
    AccountApi,
    ApiClient,
    BinanceAuth,
    Configuration,
    UserDataStreamsApi,
)
from binance.derivatives.cmfutures import exceptions as exc

from . import hostile_server as hs
from .conftest import Factory, resolve
from .stub_server import BALANCE

TIMEOUT = (0.5, 0.5)  # the attempt's deadline is 1.0 s
DEADLINE = 1.0
SLACK = 1.2  # scheduling slack on a loaded 2-core machine; the server gives up after 4 s


@pytest.fixture(scope="module")
def _hostile() -> Iterator[hs.HostileServer]:
    server = hs.HostileServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def hostile(_hostile: hs.HostileServer) -> hs.HostileServer:
    _hostile.sent = 0
    _hostile.requests = 0
    _hostile.behaviour = hs.respond(200, b"{}")
    return _hostile


def config(server: hs.HostileServer, **kwargs: Any) -> Configuration:
    kwargs.setdefault("retries", 0)
    kwargs.setdefault("timeout", TIMEOUT)
    return Configuration(host=server.url, auth=BinanceAuth(api_key="k", secret_key="s"), **kwargs)


async def call(client: Any, what: str = "keepalive") -> Any:
    if what == "balance":
        result = AccountApi(client).cmfutures_get_balance_v1()
    else:
        result = UserDataStreamsApi(client).cmfutures_update_listen_key_v1()
    return await resolve(result)


async def timed_failure(client: Any, what: str = "keepalive") -> tuple[exc.ApiException, float]:
    start = time.monotonic()
    with pytest.raises(exc.ApiException) as info:
        await call(client, what)
    return info.value, time.monotonic() - start


# ---------------------------------------------------------------- item 6: one deadline


@pytest.mark.parametrize(
    "behaviour",
    [hs.trickle_body(0.1), hs.trickle_head(0.1), hs.endless_chunks(0.1)],
    ids=["trickled-body", "trickled-headers", "endless-chunked"],
)
async def test_a_trickling_server_cannot_hold_a_call_past_its_deadline(
    hostile: hs.HostileServer, make_client: Factory, behaviour: hs.Behaviour
) -> None:
    hostile.behaviour = behaviour
    error, elapsed = await timed_failure(make_client(config(hostile)))
    assert isinstance(error, exc.NetworkException)
    assert error.kind == "read_timeout" and error.outcome_unknown
    assert "deadline" in str(error)
    assert DEADLINE * 0.9 <= elapsed < DEADLINE + SLACK


async def test_the_deadline_is_per_attempt_and_retries_stay_bounded(
    hostile: hs.HostileServer, make_client: Factory
) -> None:
    hostile.behaviour = hs.trickle_body(0.1)
    cfg = config(hostile, retries=1, retry_backoff=0)
    error, elapsed = await timed_failure(make_client(cfg))
    assert isinstance(error, exc.NetworkException) and error.kind == "read_timeout"
    assert hostile.requests == 2
    assert 2 * DEADLINE * 0.9 <= elapsed < 2 * DEADLINE + SLACK


async def test_a_normal_response_after_a_cut_one_still_works(
    hostile: hs.HostileServer, make_client: Factory
) -> None:
    client = make_client(config(hostile))
    hostile.behaviour = hs.trickle_body(0.1)
    await timed_failure(client)
    hostile.behaviour = hs.respond(200, b"{}")
    assert await call(client) is not None


# ---------------------------------------------------------------- item 7: body caps


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_the_cap_is_refused_without_reading_it(
    hostile: hs.HostileServer, make_client: Factory, chunked: bool
) -> None:
    hostile.behaviour = hs.huge_body(50 << 20, chunked=chunked)
    cfg = config(hostile, max_response_bytes=1 << 20, timeout=(5, 5))
    error, _ = await timed_failure(make_client(cfg))
    assert isinstance(error, exc.ResponseTooLargeException)
    assert isinstance(error, exc.InvalidResponseException)
    assert error.status == 200 and error.limit == 1 << 20
    assert "max_response_bytes" in str(error)
    assert hostile.sent < 20 << 20  # socket buffers only, not the 50 MB


@pytest.fixture(scope="module")
def bomb() -> hs.Behaviour:
    return hs.gzip_bomb(64 << 20)


async def test_a_gzip_bomb_is_refused_once_decompressed_past_the_cap(
    hostile: hs.HostileServer, make_client: Factory, bomb: hs.Behaviour
) -> None:
    hostile.behaviour = bomb
    cfg = config(hostile, max_response_bytes=1 << 20, timeout=(5, 5))
    error, _ = await timed_failure(make_client(cfg))
    assert isinstance(error, exc.ResponseTooLargeException)
    assert "decompressed" in str(error)
    assert hostile.sent < 1 << 20  # the compressed body itself is small


async def test_gzip_bodies_within_the_cap_are_decoded(
    hostile: hs.HostileServer, make_client: Factory
) -> None:
    import gzip

    body = gzip.compress(json.dumps(BALANCE).encode())
    hostile.behaviour = hs.respond(200, body, {"Content-Encoding": "gzip"})
    balances = await call(make_client(config(hostile)), "balance")
    assert balances[0].asset == "BTC"


async def test_an_unsupported_content_encoding_is_an_invalid_response(
    hostile: hs.HostileServer, make_client: Factory
) -> None:
    hostile.behaviour = hs.respond(200, b"\x00\x01", {"Content-Encoding": "br"})
    error, _ = await timed_failure(make_client(config(hostile)))
    assert type(error) is exc.InvalidResponseException
    assert "Content-Encoding" in str(error)


async def test_a_huge_error_body_keeps_its_class_and_is_cut_on_the_exception(
    hostile: hs.HostileServer, make_client: Factory
) -> None:
    hostile.behaviour = hs.huge_body(20 << 20, status=500)
    error, _ = await timed_failure(make_client(config(hostile, timeout=(5, 5))))
    assert type(error) is exc.ServiceException and error.status == 500
    assert error.body is not None and len(error.body) <= exc.MAX_KEPT_BODY + 100
    assert len(str(error)) < 80_000
    assert hostile.sent < 15 << 20


def test_exceptions_cut_bodies_given_to_them() -> None:
    error = exc.ApiException(500, "x", body="y" * (52 << 20))
    assert len(error.body or "") < exc.MAX_KEPT_BODY + 100
    assert "cut" in (error.body or "")
    assert len(str(error)) < 80_000


def test_max_response_bytes_is_validated() -> None:
    assert Configuration().max_response_bytes == 8 << 20
    with pytest.raises(exc.ApiValueError):
        Configuration(max_response_bytes=0)
    with pytest.raises(exc.ApiValueError):
        Configuration().max_response_bytes = True  # type: ignore[assignment]


# ---------------------------------------------------------------- items 8, 9: hostile JSON


async def test_deeply_nested_json_is_an_invalid_response_not_a_recursion_error(
    hostile: hs.HostileServer, make_client: Factory
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    client = make_client(config(hostile))
    hostile.behaviour = hs.respond(200, deep)  # an endpoint decoding to "any JSON"
    error, _ = await timed_failure(client)
    assert type(error) is exc.InvalidResponseException
    assert "nested too deeply" in str(error.reason)
    hostile.behaviour = hs.respond(200, b'[{"asset":"BTC","extra":' + deep + b"}]")
    error, _ = await timed_failure(client, "balance")  # typed, deep inside an unknown key
    assert type(error) is exc.InvalidResponseException
    assert "nested too deeply" in str(error.reason)


async def test_deeply_nested_json_in_an_error_body_keeps_the_status_class(
    hostile: hs.HostileServer, make_client: Factory
) -> None:
    hostile.behaviour = hs.respond(400, b'{"code":' + b"[" * 100_000)
    error, _ = await timed_failure(make_client(config(hostile)))
    assert type(error) is exc.BadRequestException and error.code is None


@pytest.mark.parametrize("value", ["NaN", "sNaN", "-Infinity", "1e100000000", "1E-31"])
async def test_decimals_out_of_range_are_an_invalid_response(
    hostile: hs.HostileServer, make_client: Factory, value: str
) -> None:
    body = json.dumps([{**BALANCE[0], "balance": value}]).encode()
    hostile.behaviour = hs.respond(200, body)
    error, _ = await timed_failure(make_client(config(hostile)), "balance")
    assert type(error) is exc.InvalidResponseException
    assert "number out of range" in str(error.reason) and "balance" in str(error.reason)


def test_the_seed_deserialize_helper_rejects_the_same(hostile: hs.HostileServer) -> None:
    from binance.derivatives.cmfutures.models import Balance

    with ApiClient(config(hostile)) as client:
        with pytest.raises(exc.InvalidResponseException):
            client.deserialize(b"[" * 50_000, "object", None)
        body = json.dumps({**BALANCE[0], "balance": "sNaN"})
        with pytest.raises(exc.InvalidResponseException):
            client.deserialize(body, Balance, None)


def test_the_seed_request_helper_is_capped_too(hostile: hs.HostileServer) -> None:
    hostile.behaviour = hs.huge_body(50 << 20)
    with ApiClient(config(hostile, max_response_bytes=1 << 20)) as client:
        response = client.call_api("GET", hostile.url + "/x")
        with pytest.raises(exc.ResponseTooLargeException):
            response.read()


# ---------------------------------------------------------------- item 11: Retry-After


@pytest.mark.parametrize(
    ("status", "headers", "body", "cap"),
    [
        (429, {"Retry-After": "inf"}, {"code": -1003, "msg": "Too many requests"}, 300.0),
        (429, {"Retry-After": "1e400"}, {"code": -1003, "msg": "Too many requests"}, 300.0),
        (429, {"Retry-After": "86400"}, {"code": -1003, "msg": "Too many requests"}, 300.0),
        (
            418,
            {},
            {"code": -1003, "msg": "Way too many requests; IP banned until 99999999999999."},
            3 * 86400.0,
        ),
        (418, {"Retry-After": "Infinity"}, {"code": -1003, "msg": "banned"}, 3 * 86400.0),
    ],
    ids=["429-inf", "429-1e400", "429-a-day", "418-until-year-5138", "418-inf"],
)
async def test_retry_after_is_capped_and_the_request_is_kept(
    hostile: hs.HostileServer,
    make_client: Factory,
    caplog: pytest.LogCaptureFixture,
    status: int,
    headers: dict[str, str],
    body: dict[str, Any],
    cap: float,
) -> None:
    hostile.behaviour = hs.respond(status, json.dumps(body).encode(), headers)
    with caplog.at_level(logging.WARNING, logger="binance.derivatives.cmfutures"):
        error, _ = await timed_failure(make_client(config(hostile)))
    assert isinstance(error, exc.RateLimitedException) and error.status == status
    assert error.retry_after == cap
    assert error.retry_after_requested is not None and error.retry_after_requested > cap
    assert any("capped" in r.getMessage() for r in caplog.records)


def test_a_nan_or_negative_retry_after_is_ignored() -> None:
    from binance.derivatives.cmfutures._http.errors import (
        parse_retry_after,
        requested_retry_after,
    )

    assert parse_retry_after({"Retry-After": "nan"}, None, 0.0, cap=300) is None
    assert parse_retry_after({"Retry-After": "-5"}, None, 0.0, cap=300) == 0.0
    assert requested_retry_after({"Retry-After": "-5"}, None, 0.0) == -5.0
    assert parse_retry_after({"Retry-After": "12"}, None, 0.0, cap=300) == 12.0
    assert parse_retry_after({"Retry-After": "inf"}, None, 0.0) == float("inf")  # no cap given
    digits = "9" * 5000  # int() refuses > 4300 digits: must not raise
    assert parse_retry_after({}, f"banned until {digits}", 0.0, cap=10) == 10.0
