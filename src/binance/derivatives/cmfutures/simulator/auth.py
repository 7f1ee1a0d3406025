"""Request authentication as Binance does it: API-key header, SIGNED parameters (spec §2).

Sans-I/O: functions take the raw query string, raw body, the current time and the account's
credential, and either return the parsed parameters or raise :class:`SimRestError` carrying
the HTTP status and Binance error code to answer with.

* API key: a missing ``X-MBX-APIKEY`` header answers ``missing_api_key_code`` (default
  ``-2014``, HTTP 401; which code Binance uses is UNCONFIRMED); a key not matching
  ``[A-Za-z0-9]{1,128}`` answers ``-2014``; a well-formed unknown key ``-2015`` (HTTP 401).
* Signature payload: the query string concatenated with the body, exactly as transmitted,
  without the ``signature`` parameter, which must be the last parameter of the query string
  or of the body. HMAC-SHA256 lowercase hex (compared case-insensitively), RSA PKCS#1 v1.5
  SHA-256 base64, Ed25519 base64 (both percent-decoded first). Mismatch: ``-1022`` (400).
* Timing: ``timestamp`` mandatory (``-1102``); ``recvWindow`` default 5000 ms, at most
  ``max_recv_window`` (``-1130``); accepted iff ``timestamp < now + 1000`` and
  ``now - timestamp <= recvWindow``, otherwise ``-1021`` (400).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

__all__ = [
    "API_KEY_PATTERN",
    "Credential",
    "SimRestError",
    "check_api_key",
    "load_public_key",
    "parse_params",
    "verify_signed",
]

API_KEY_PATTERN = re.compile(r"[A-Za-z0-9]{1,128}")
KeyKind = Literal["HMAC", "RSA", "ED25519"]


class SimRestError(Exception):
    """An error the simulator answers with ``{"code": code, "msg": msg}`` and ``status``."""

    def __init__(
        self, status: int, code: int, msg: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"HTTP {status} {code}: {msg}")
        self.status = status
        self.code = code
        self.msg = msg
        self.headers = headers or {}


@dataclass(frozen=True)
class Credential:
    """How an account's requests are verified. ``secret`` only for HMAC; never shown."""

    kind: KeyKind
    secret: str | None = field(default=None, repr=False)
    public_key: ed25519.Ed25519PublicKey | rsa.RSAPublicKey | None = field(
        default=None, repr=False
    )


def load_public_key(pem: bytes | str) -> Credential:
    """A :class:`Credential` for a PEM public key (RSA or Ed25519).

    :raises ValueError: not a PEM public key, or a key type Binance does not accept.
    """
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise ValueError(
            "not a PEM public key (expected '-----BEGIN PUBLIC KEY-----'); "
            "give the public half of an RSA or Ed25519 key"
        ) from exc
    if isinstance(key, ed25519.Ed25519PublicKey):
        return Credential("ED25519", public_key=key)
    if isinstance(key, rsa.RSAPublicKey):
        return Credential("RSA", public_key=key)
    raise ValueError(f"unsupported public key type {type(key).__name__}: use RSA or Ed25519")


def check_api_key(
    header: str | None, is_known: Callable[[str], bool], *, missing_code: int = -2014
) -> str:
    """Validate the ``X-MBX-APIKEY`` header value and return it.

    :raises SimRestError: 401 ``-2014`` (missing/malformed; missing uses ``missing_code``)
        or 401 ``-2015`` (unknown key).
    """
    if header is None or header == "":
        if missing_code == -2015:
            raise SimRestError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        raise SimRestError(401, missing_code, "API-key format invalid.")
    if not API_KEY_PATTERN.fullmatch(header):
        raise SimRestError(401, -2014, "API-key format invalid.")
    if not is_known(header):
        raise SimRestError(401, -2015, "Invalid API-key, IP, or permissions for action.")
    return header


def parse_params(query: str, body: str) -> dict[str, str]:
    """Merge query-string and form-body parameters; the query string wins on duplicates."""
    params = dict(parse_qsl(body, keep_blank_values=True))
    params.update(parse_qsl(query, keep_blank_values=True))
    return params


def _mandatory(name: str) -> SimRestError:
    return SimRestError(
        400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def _strip_signature(part: str) -> tuple[str, str] | None:
    """Split ``part`` into (payload, signature) if it ends with the signature parameter."""
    if part.startswith("signature="):
        rest = part[len("signature=") :]
        return ("", rest) if "&" not in rest else None
    index = part.rfind("&signature=")
    if index < 0:
        return None
    rest = part[index + len("&signature=") :]
    if "&" in rest:
        return None
    return part[:index], rest


def _signed_payload(query: str, body: str) -> tuple[str, str]:
    split = _strip_signature(body)
    if split is not None:
        return query + split[0], split[1]
    split = _strip_signature(query)
    if split is not None:
        return split[0] + body, split[1]
    if "signature=" in query or "signature=" in body:
        raise SimRestError(400, -1022, "Signature for this request is not valid.")
    raise _mandatory("signature")


_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() accepts "²" and "٣"


def _check_timing(params: dict[str, str], now_ms: int, max_recv_window: int) -> None:
    raw = params.get("timestamp", "")
    if not _DIGITS.fullmatch(raw):
        raise _mandatory("timestamp")
    timestamp = int(raw)
    recv_raw = params.get("recvWindow")
    recv_window = 5000
    if recv_raw is not None:
        if not _DIGITS.fullmatch(recv_raw) or int(recv_raw) > max_recv_window:
            raise SimRestError(400, -1130, "Data sent for parameter 'recvWindow' is not valid.")
        recv_window = int(recv_raw)
    if timestamp >= now_ms + 1000:
        raise SimRestError(
            400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."
        )
    if now_ms - timestamp > recv_window:
        raise SimRestError(400, -1021, "Timestamp for this request is outside of the recvWindow.")


def _verify(credential: Credential, payload: str, signature: str) -> bool:
    if not signature.isascii():  # hex or (percent-encoded) base64: ASCII or wrong
        return False
    data = payload.encode("utf-8", "surrogateescape")
    if credential.kind == "HMAC":
        assert credential.secret is not None
        expected = hmac.new(credential.secret.encode(), data, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature.lower())
    try:
        raw = base64.b64decode(unquote(signature), validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        if isinstance(credential.public_key, rsa.RSAPublicKey):
            credential.public_key.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(credential.public_key, ed25519.Ed25519PublicKey):
            credential.public_key.verify(raw, data)
        else:  # pragma: no cover - Credential construction prevents it
            return False
    except InvalidSignature:
        return False
    return True


def verify_signed(
    query: str,
    body: str,
    credential: Credential,
    now_ms: int,
    *,
    max_recv_window: int = 60000,
) -> dict[str, str]:
    """Check a SIGNED request; return its parameters without ``signature``.

    :param query: the raw (still percent-encoded) query string, without ``?``.
    :param body: the raw form body as text.
    :raises SimRestError: -1102 (missing timestamp/signature), -1130 (bad recvWindow),
        -1021 (outside the window), -1022 (bad signature).
    """
    params = parse_params(query, body)
    _check_timing(params, now_ms, max_recv_window)
    payload, signature = _signed_payload(query, body)
    if not _verify(credential, payload, signature):
        raise SimRestError(400, -1022, "Signature for this request is not valid.")
    params.pop("signature", None)
    return params
