"""BinanceAuth: known-answer vectors, the key-loading matrix and every loading error."""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding

from binance.derivatives.cmfutures import BinanceAuth
from binance.derivatives.cmfutures.signing import KeyFileNotFoundError, KeyLoadError, KeyType

from .conftest import PASSPHRASE, Keys

SPOT_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
COINM_SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
REST_PAYLOAD = (
    "symbol=BTCUSD_PERP&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=60000"
    "&recvWindow=5000&timestamp=1767225600000"
)


# ---------------------------------------------------------------- known-answer vectors (§2.5)


@pytest.mark.parametrize(
    ("secret", "payload", "expected"),
    [
        (
            SPOT_SECRET,
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
            "&recvWindow=5000&timestamp=1499827319559",
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
        ),
        (
            COINM_SECRET,
            "symbol=BTCUSD_200925&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=9000"
            "&recvWindow=5000&timestamp= 1591702613943",
            "f3129e7c72c7727037891ad8a86b76a7dc514ba125a536775c8ba403b2d1b222",
        ),
        (
            COINM_SECRET,
            REST_PAYLOAD,
            "ef8c764204853db086884aa74319c9b424588b6d63222665a08129b78e32df0c",
        ),
        (
            COINM_SECRET,
            "apiKey=testApiKey&price=60000&quantity=1&side=BUY&symbol=BTCUSD_PERP"
            "&timeInForce=GTC&timestamp=1767225600000&type=LIMIT",
            "d591a5ec5f3f047cb228559da32fd3016d8cd953bd470b29a5484b21712397ef",
        ),
    ],
)
def test_hmac_known_answers(secret: str, payload: str, expected: str) -> None:
    assert BinanceAuth(api_key="k", secret_key=secret).sign_payload(payload) == expected


def test_ed25519_known_answer() -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert public.hex() == "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    auth = BinanceAuth(api_key="k", private_key_pem=pem)
    expected = (
        "1XcSl84ueIKt7sn5tukV19RSahWfbUBDWc5ECTGaff1YjMPL5UTFbkgef4xjOUNraDlrHFAYvZcWiJfOwR72BQ=="
    )
    sig = auth.sign_payload(REST_PAYLOAD)
    assert sig.endswith("72BQ%3D%3D")
    assert unquote(sig) == expected


def test_rsa_signature_verifies_and_is_url_encoded(keys: Keys) -> None:
    auth = BinanceAuth(api_key="k", private_key_pem=keys.pem(keys.rsa, "pkcs1"))
    sig = auth.sign_payload(REST_PAYLOAD)
    assert "+" not in sig and "/" not in sig and "=" not in sig
    keys.rsa.public_key().verify(
        base64.b64decode(unquote(sig)), REST_PAYLOAD.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_seed_sign_helper_appends_signature_even_with_empty_query() -> None:
    auth = BinanceAuth(api_key="k", secret_key=SPOT_SECRET)
    headers: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    auth.sign(headers, query, "a=1")
    assert headers == {"X-MBX-APIKEY": "k"}
    assert query == [("signature", auth.sign_payload("a=1"))]


# ---------------------------------------------------------------- loading matrix


@pytest.mark.parametrize(
    ("which", "fmt", "password", "expected"),
    [
        ("rsa", "pkcs1", None, KeyType.RSA),
        ("rsa", "pkcs8", None, KeyType.RSA),
        ("rsa", "pkcs8", PASSPHRASE, KeyType.RSA),
        ("ed", "pkcs8", None, KeyType.ED25519),
        ("ed", "pkcs8", PASSPHRASE, KeyType.ED25519),
        ("ed", "openssh", None, KeyType.ED25519),
    ],
)
@pytest.mark.parametrize("source", ["path", "pem_str", "pem_bytes"])
def test_key_loading_matrix(
    keys: Keys, which: str, fmt: str, password: bytes | None, expected: str, source: str
) -> None:
    key = keys.rsa if which == "rsa" else keys.ed
    data = keys.pem(key, fmt, password)
    passphrase = password.decode() if password else None
    if source == "path":
        auth = BinanceAuth(
            api_key="k",
            private_key_path=keys.write(f"{which}-{fmt}-{bool(password)}.pem", data),
            passphrase=passphrase,
        )
    else:
        pem = data.decode() if source == "pem_str" else data
        auth = BinanceAuth(api_key="k", private_key_pem=pem, passphrase=passphrase)
    assert auth.key_type == expected
    assert auth.secret_key is None
    assert auth.private_key is not None


def test_der_and_ignored_passphrase(keys: Keys) -> None:
    der = keys.ed.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert BinanceAuth(api_key="k", private_key_pem=der).key_type == KeyType.ED25519
    unencrypted = keys.pem(keys.rsa)
    auth = BinanceAuth(api_key="k", private_key_pem=unencrypted, passphrase="unused")
    assert auth.key_type == KeyType.RSA


def test_hmac_key_type_and_no_cryptography_import() -> None:
    code = (
        "import sys\n"
        "from binance.derivatives.cmfutures import BinanceAuth\n"
        "a = BinanceAuth(api_key='k', secret_key='s')\n"
        "a.sign_payload('x=1')\n"
        "print(a.key_type, 'cryptography' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["HMAC", "False"]


# ---------------------------------------------------------------- loading errors


def _pub_pem(key: object) -> bytes:
    return key.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda k: {"private_key_pem": _pub_pem(k.rsa)}, "public key"),
        (lambda k: {"private_key_pem": _pub_pem(k.ed)}, "public key"),
        (
            lambda k: {
                "private_key_pem": k.ed.public_key().public_bytes(
                    serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
                )
            },
            "public key",
        ),
        (
            lambda k: {"private_key_pem": k.pem(ec.generate_private_key(ec.SECP256R1()))},
            "does not accept",
        ),
        (
            lambda k: {
                "private_key_pem": "-----BEGIN PRIVATE KEY-----\ngarbage\n"
                "-----END PRIVATE KEY-----\n"
            },
            "not a readable private key",
        ),
        (lambda k: {"private_key_pem": b"\x00\x01garbage"}, "not a readable private key"),
        (lambda k: {"private_key_pem": "   "}, "empty"),
        (lambda k: {"private_key_pem": k.pem(k.ed, "pkcs8", PASSPHRASE)}, "passphrase="),
        (lambda k: {"private_key_pem": k.pem(k.rsa, "pkcs8", PASSPHRASE)}, "passphrase="),
        (
            lambda k: {"private_key_pem": k.pem(k.rsa, "pkcs8", PASSPHRASE), "passphrase": "wrong"},
            "does not decrypt",
        ),
        (
            lambda k: {"private_key_pem": k.pem(k.ed, "pkcs8", PASSPHRASE), "passphrase": "wrong"},
            "does not decrypt",
        ),
        (lambda k: {"secret_key": ""}, "secret_key is empty"),
        (lambda k: {}, "no signing key"),
        (lambda k: {"secret_key": "s", "private_key_pem": k.pem(k.ed)}, "more than one"),
        (lambda k: {"private_key_path": str(k.dir)}, "directory"),
    ],
)
def test_key_loading_errors(keys: Keys, make: object, needle: str) -> None:
    kwargs = make(keys)  # type: ignore[operator]
    with pytest.raises(KeyLoadError) as info:
        BinanceAuth(api_key="k", **kwargs)
    assert isinstance(info.value, ValueError)
    assert needle in str(info.value)
    assert "Fix:" in str(info.value)
    assert info.value.__cause__ is None  # no chained traceback echoing key material


@pytest.mark.parametrize("api_key", [None, "", "  "])
def test_missing_api_key(api_key: str | None) -> None:
    with pytest.raises(KeyLoadError, match="api_key is missing"):
        BinanceAuth(api_key=api_key, secret_key="s")


def test_missing_file_is_both_filenotfound_and_valueerror() -> None:
    with pytest.raises(KeyFileNotFoundError) as info:
        BinanceAuth(api_key="k", private_key_path="/path/to/private_key.pem")
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value, ValueError)
    assert "/path/to/private_key.pem" in str(info.value)


def test_secrets_never_shown(keys: Keys, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret, api_key = "TOPSECRETVALUE", "APIKEYVALUE"
    auth = BinanceAuth(api_key=api_key, secret_key=secret)
    pem = keys.pem(keys.ed, "pkcs8", PASSPHRASE).decode()
    with pytest.raises(KeyLoadError) as info:
        BinanceAuth(api_key=api_key, private_key_pem=pem, passphrase="wrong-passphrase")
    texts = [repr(auth), str(auth), str(info.value), repr(info.value), caplog.text]
    for text in texts:
        for needle in (secret, api_key, "wrong-passphrase", pem[40:80]):
            assert needle not in text


def test_every_wrong_passphrase_is_reported_as_such(keys: Keys) -> None:
    # About 1 wrong passphrase in 256 passes the padding check and decrypts to garbage; it
    # must still be reported as a wrong passphrase, not as an unreadable key.
    pem = keys.pem(keys.ed, "pkcs8", PASSPHRASE)
    for n in range(2000):
        with pytest.raises(KeyLoadError, match="passphrase does not decrypt") as info:
            BinanceAuth(api_key="k", private_key_pem=pem, passphrase=f"wrong-{n}")
        assert f"wrong-{n}" not in str(info.value)
