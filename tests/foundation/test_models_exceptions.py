"""Seed models (msgspec) and the exception tree."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

import binance.derivatives.cmfutures as cm
from binance.derivatives.cmfutures import exceptions as exc
from binance.derivatives.cmfutures import models, rest
from binance.derivatives.cmfutures.models.account import (
    AccountInformation,
    Order,
    PositionRisk,
)
from binance.derivatives.cmfutures.models.api_error import APIError
from binance.derivatives.cmfutures.models.cmfutures_create_listen_key_v1_resp import (
    CmfuturesCreateListenKeyV1Resp as Resp,
)

from .stub_server import ACCOUNT, ORDER, POSITION_RISK


def test_seed_model_surface() -> None:
    a, b = Resp(listen_key="abc"), Resp(listenKey="abc")
    assert a == b and a != Resp(listen_key="x")
    assert repr(a) == "CmfuturesCreateListenKeyV1Resp(listen_key='abc')"
    assert a.listen_key == "abc"
    assert a.to_dict() == {"listenKey": "abc"}
    assert a.to_json() == '{"listenKey": "abc"}'
    assert a.to_str() == "{'listenKey': 'abc'}"
    assert a.model_dump() == {"listen_key": "abc"}
    assert a.model_dump(by_alias=True) == {"listenKey": "abc"}
    assert Resp().to_dict() == {}
    assert Resp.from_json('{"listenKey": "z", "extra": 1}') == Resp(listen_key="z")
    assert Resp.from_dict({"listenKey": "q"}) == Resp(listen_key="q")
    assert Resp.from_dict({"listen_key": "q"}) == Resp(listen_key="q")
    assert Resp.from_dict(None) is None
    with pytest.raises(exc.ApiValueError):
        Resp.from_json('{"listenKey": 12345}')
    with pytest.raises(exc.ApiValueError):
        Resp.from_json("not json")


def test_api_error_str() -> None:
    err = APIError(code=-1125, msg="This listenKey does not exist.")
    assert str(err) == "code=-1125 msg='This listenKey does not exist.'"
    assert APIError.from_json('{"code":-1125,"msg":"m"}') == APIError(code=-1125, msg="m")


def test_models_by_class_name_and_lazy() -> None:
    assert models.CmfuturesCreateListenKeyV1Resp is Resp
    assert models.APIError is APIError
    assert models.Order is Order
    assert "Balance" in dir(models)
    with pytest.raises(AttributeError):
        _ = models.NoSuchModel  # type: ignore[attr-defined]


def test_snapshot_models_decode_decimals_and_tolerate_fields() -> None:
    acc = msgspec.json.decode(msgspec.json.encode(ACCOUNT), type=AccountInformation, strict=False)
    assert acc.can_trade is True and acc.fee_tier == 2
    assert acc.assets[0].wallet_balance == Decimal("0.00241969")
    assert acc.positions[0].leverage == 20 and acc.positions[0].break_even_price is None
    risk = msgspec.json.decode(
        msgspec.json.encode(POSITION_RISK), type=list[PositionRisk], strict=False
    )
    assert risk[0].is_auto_add_margin is False and risk[0].mark_price == Decimal("61000.00000000")
    order = msgspec.json.decode(msgspec.json.encode(ORDER), type=Order, strict=False)
    assert order.order_id == 22542179 and order.price == Decimal("60000")
    minimal = msgspec.json.decode(b'{"symbol":"X","orderId":1}', type=Order)
    assert minimal.status == "" and minimal.executed_qty == Decimal(0)


def test_exception_tree() -> None:
    assert rest.ApiException is exc.ApiException
    assert cm.ApiException is exc.ApiException
    for klass in (
        exc.BadRequestException,
        exc.UnauthorizedException,
        exc.ForbiddenException,
        exc.NotFoundException,
        exc.ConflictException,
        exc.UnprocessableEntityException,
        exc.ServiceException,
        exc.UnknownOutcomeException,
        exc.TooManyRequestsException,
        exc.IpBannedException,
        exc.NetworkException,
        exc.InvalidResponseException,
    ):
        assert issubclass(klass, exc.ApiException)
    assert issubclass(exc.UnknownOutcomeException, exc.ServiceException)
    assert issubclass(exc.ApiValueError, ValueError) and issubclass(exc.ApiTypeError, TypeError)
    assert issubclass(exc.ApiKeyError, KeyError) and issubclass(
        exc.ApiAttributeError, AttributeError
    )
    assert issubclass(exc.MissingAuthError, exc.ApiValueError)
    assert str(exc.ApiValueError("bad", ["a", 0])) == "bad at ['a'][0]"
    assert exc.BinanceCode.INVALID_LISTEN_KEY == -1125
    assert exc.BinanceCode.INVALID_TIMESTAMP == -1021
    assert exc.BinanceCode.INVALID_SIGNATURE == -1022
    assert exc.BinanceCode.BAD_API_KEY_FMT == -2014
    assert exc.BinanceCode.REJECTED_MBX_KEY == -2015
    assert exc.BinanceCode.TOO_MANY_REQUESTS == -1003


def test_api_exception_str_and_attributes() -> None:
    data = APIError(code=-1125, msg="This listenKey does not exist.")
    e = exc.BadRequestException(400, "Bad Request", body='{"code":-1125}', data=data)
    assert (e.status, e.reason, e.code, e.msg) == (400, "Bad Request", -1125, data.msg)
    assert str(e) == (
        "(400)\nReason: Bad Request\n"
        "HTTP response body: code=-1125 msg='This listenKey does not exist.'\n"
    )
    net = exc.NetworkException("read_timeout", "read timed out", request_sent=True)
    assert net.status == 0 and net.outcome_unknown and net.kind == "read_timeout"
    assert exc.UnknownOutcomeException(503).outcome_unknown
    assert not exc.ServiceException(503).outcome_unknown


def test_from_response_always_raises() -> None:
    class Resp503:
        status, reason, data, headers = 503, "Service Unavailable", b"", {}

    data = APIError(code=-1000, msg="Unknown error, please check your request or try again later.")
    with pytest.raises(exc.UnknownOutcomeException):
        exc.ApiException.from_response(http_resp=Resp503(), body=None, data=data)
