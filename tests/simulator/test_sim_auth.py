"""Signed-request verification (spec §2): known answers, error codes, each key type over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from binance.derivatives.cmfutures.simulator import Simulator
from binance.derivatives.cmfutures.simulator.auth import (
    Credential,
    SimRestError,
    check_api_key,
    load_public_key,
    verify_signed,
)

SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
PAYLOAD = (
    "symbol=BTCUSD_PERP&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=60000"
    "&recvWindow=5000&timestamp=1767225600000"
)
HMAC_SIG = "ef8c764204853db086884aa74319c9b424588b6d63222665a08129b78e32df0c"
ED_SIG = "1XcSl84ueIKt7sn5tukV19RSahWfbUBDWc5ECTGaff1YjMPL5UTFbkgef4xjOUNraDlrHFAYvZcWiJfOwR72BQ=="
NOW = 1767225600000
HMAC_CRED = Credential("HMAC", secret=SECRET)


def _ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def _public_pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _code(exc: pytest.ExceptionInfo[SimRestError]) -> tuple[int, int]:
    return exc.value.status, exc.value.code


def test_hmac_known_answer_in_body_and_in_query() -> None:
    params = verify_signed("", f"{PAYLOAD}&signature={HMAC_SIG}", HMAC_CRED, NOW)
    assert params["symbol"] == "BTCUSD_PERP" and "signature" not in params
    verify_signed(f"{PAYLOAD}&signature={HMAC_SIG.upper()}", "", HMAC_CRED, NOW)


def test_signature_covers_query_concatenated_with_body() -> None:
    query = "symbol=BTCUSD_PERP&side=BUY"
    body = "type=LIMIT&timestamp=1767225600000"
    sig = hmac.new(SECRET.encode(), (query + body).encode(), hashlib.sha256).hexdigest()
    verify_signed(query, f"{body}&signature={sig}", HMAC_CRED, NOW)
    with pytest.raises(SimRestError) as info:  # "&"-joined is a different payload
        verify_signed(query, f"{body}&signature=" + hmac.new(
            SECRET.encode(), (query + "&" + body).encode(), hashlib.sha256
        ).hexdigest(), HMAC_CRED, NOW)
    assert _code(info) == (400, -1022)


def test_signature_must_be_last() -> None:
    with pytest.raises(SimRestError) as info:
        verify_signed(f"signature={HMAC_SIG}&{PAYLOAD}", "", HMAC_CRED, NOW)
    assert _code(info) == (400, -1022)


def test_ed25519_known_answer() -> None:
    credential = load_public_key(_public_pem(_ed_key()))
    assert credential.kind == "ED25519"
    verify_signed(PAYLOAD + "&signature=" + quote(ED_SIG, safe=""), "", credential, NOW)


def test_rsa_signature() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sig = base64.b64encode(key.sign(PAYLOAD.encode(), padding.PKCS1v15(), hashes.SHA256()))
    credential = load_public_key(_public_pem(key))
    assert credential.kind == "RSA"
    verify_signed("", PAYLOAD + "&signature=" + quote(sig.decode(), safe=""), credential, NOW)
    with pytest.raises(SimRestError) as info:
        verify_signed("", PAYLOAD + "&signature=" + quote(ED_SIG, safe=""), credential, NOW)
    assert _code(info) == (400, -1022)


@pytest.mark.parametrize(
    ("now", "code"),
    [
        (NOW + 5000, None),  # exactly recvWindow old: accepted
        (NOW + 5001, -1021),  # too old
        (NOW - 999, None),  # < 1000 ms ahead of the server: accepted
        (NOW - 1000, -1021),  # 1000 ms ahead: refused
    ],
)
def test_timestamp_window(now: int, code: int | None) -> None:
    body = f"{PAYLOAD}&signature={HMAC_SIG}"
    if code is None:
        verify_signed("", body, HMAC_CRED, now)
    else:
        with pytest.raises(SimRestError) as info:
            verify_signed("", body, HMAC_CRED, now)
        assert _code(info) == (400, code)


def test_missing_parameters_and_bad_recv_window() -> None:
    with pytest.raises(SimRestError) as info:
        verify_signed("symbol=X&signature=00", "", HMAC_CRED, NOW)
    assert _code(info) == (400, -1102) and "timestamp" in info.value.msg
    with pytest.raises(SimRestError) as info:
        verify_signed(f"timestamp={NOW}", "", HMAC_CRED, NOW)
    assert _code(info) == (400, -1102) and "signature" in info.value.msg
    with pytest.raises(SimRestError) as info:
        verify_signed(f"timestamp={NOW}&recvWindow=60001&signature=00", "", HMAC_CRED, NOW)
    assert _code(info) == (400, -1130)


def test_check_api_key() -> None:
    assert check_api_key("abc", lambda k: True) == "abc"
    for header, known, code in ((None, True, -2014), ("a-b", True, -2014), ("abc", False, -2015)):
        with pytest.raises(SimRestError) as info:
            check_api_key(header, lambda k, known=known: known)
        assert _code(info) == (401, code)


def test_load_public_key_rejects_non_keys() -> None:
    with pytest.raises(ValueError, match="PEM public key"):
        load_public_key("not a key")


# ---------------------------------------------------------------------- over HTTP


def _signed_query(params: dict[str, str], sign: object) -> str:
    query = urlencode(params)
    return f"{query}&signature={sign(query)}"  # type: ignore[operator]


async def _get_balance(sim: Simulator, api_key: str, query: str) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http:
        r = await http.get(
            f"{sim.rest_url}/dapi/v1/balance?{query}", headers={"X-MBX-APIKEY": api_key}
        )
        await r.read()
        return r


async def test_signed_endpoints_with_each_key_type(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    ts = {"timestamp": str(sim.now_ms())}
    account = sim.account
    assert account.secret_key is not None
    secret = account.secret_key.encode()

    def hmac_sig(q: str) -> str:
        return hmac.new(secret, q.encode(), hashlib.sha256).hexdigest()

    r = await _get_balance(sim, account.api_key, _signed_query(ts, hmac_sig))
    assert r.status == 200 and isinstance(await r.json(), list)

    ed = _ed_key()
    ed_account = sim.add_account(ed25519_public_key=_public_pem(ed))
    assert ed_account.key_type == "ED25519" and ed_account.secret_key is None
    r = await _get_balance(sim, ed_account.api_key, _signed_query(
        ts, lambda q: quote(base64.b64encode(ed.sign(q.encode())).decode(), safe="")
    ))
    assert r.status == 200

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_account = sim.add_account(rsa_public_key=_public_pem(rsa_key))
    r = await _get_balance(sim, rsa_account.api_key, _signed_query(
        ts, lambda q: quote(base64.b64encode(
            rsa_key.sign(q.encode(), padding.PKCS1v15(), hashes.SHA256())).decode(), safe="")
    ))
    assert r.status == 200

    r = await _get_balance(sim, account.api_key, _signed_query(ts, lambda q: "0" * 64))
    assert r.status == 400 and await r.json() == {
        "code": -1022, "msg": "Signature for this request is not valid."
    }
    await sim.advance(10)
    r = await _get_balance(sim, account.api_key, _signed_query(ts, hmac_sig))
    assert r.status == 400 and (await r.json())["code"] == -1021
    r = await _get_balance(sim, account.api_key, "")
    assert r.status == 400 and (await r.json())["code"] == -1102
    r = await _get_balance(sim, "Z" * 64, _signed_query(ts, hmac_sig))
    assert r.status == 401 and (await r.json())["code"] == -2015


async def test_form_body_signature_for_post(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    secret = (sim.account.secret_key or "").encode()
    query = "symbol=BTCUSD_PERP"
    body = f"leverage=7&timestamp={sim.now_ms()}"
    sig = hmac.new(secret, (query + body).encode(), hashlib.sha256).hexdigest()
    async with aiohttp.ClientSession() as http:
        r = await http.post(
            f"{sim.rest_url}/dapi/v1/leverage?{query}",
            data=f"{body}&signature={sig}",
            headers={
                "X-MBX-APIKEY": sim.account.api_key,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert r.status == 200, await r.text()
        assert (await r.json())["leverage"] == 7


def test_add_account_validation(cmfutures_simulator: Simulator) -> None:
    sim = cmfutures_simulator
    with pytest.raises(ValueError, match="A-Za-z0-9"):
        sim.add_account(api_key="bad key")
    with pytest.raises(ValueError, match="already exists"):
        sim.add_account(api_key=sim.account.api_key)
    with pytest.raises(ValueError, match="RSA"):
        sim.add_account(rsa_public_key=_public_pem(_ed_key()))
    with pytest.raises(ValueError, match="at most one"):
        sim.add_account(secret_key="s", ed25519_public_key=_public_pem(_ed_key()))
    assert "secret" not in repr(sim.account) and sim.account.api_key not in repr(sim.account)
