"""Accounts for ``cmfutures simulate``: from ``--account`` specs, accounts files and the
environment, without ever echoing a secret in an error.

Accounts files are JSON Lines, one account a line (the accounts-file format): ``api_key`` and
one of ``secret_key`` (HMAC), ``private_key_path`` (RSA or Ed25519; the simulator keeps only
the public half; ``private_key_passphrase`` if encrypted) or ``public_key_path``; optional
``balances`` and ``hedge_mode``; ``id`` and other fields are ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = [
    "ARGV_SECRET_WARNING",
    "MAX_ACCOUNT_FILE",
    "SimulateError",
    "accounts_from_env",
    "parse_account",
    "parse_account_file",
]

MAX_ACCOUNT_FILE = 1 << 20
ARGV_SECRET_WARNING = (
    "cmfutures simulate: warning: --account KEY:SECRET puts the secret in the process list; "
    "prefer --account-file FILE or --account-env"
)

_KEY_KINDS = {"ed25519": "ed25519_public_key", "rsa": "rsa_public_key"}


class SimulateError(ValueError):
    """A bad ``simulate`` argument; the message names the problem and the fix."""


def parse_account(spec: str) -> dict[str, Any]:
    """``KEY:SECRET``, ``KEY:ed25519:PUBLIC.pem`` or ``KEY:rsa:PUBLIC.pem`` -> add_account kwargs.

    :raises SimulateError: malformed spec or unreadable key file (the message never contains
        the secret).
    """
    api_key, sep, rest = spec.partition(":")
    if not sep or not api_key or not rest:
        raise SimulateError(
            "--account takes KEY:SECRET, KEY:ed25519:PUBLIC.pem or KEY:rsa:PUBLIC.pem"
        )
    kind, sep, path = rest.partition(":")
    if sep and kind.lower() in _KEY_KINDS:
        try:
            pem = Path(path).read_bytes()
        except OSError as exc:
            raise SimulateError(
                f"--account: cannot read {kind} public key file {path!r}: {exc.strerror}"
            ) from None
        return {"api_key": api_key, _KEY_KINDS[kind.lower()]: pem}
    return {"api_key": api_key, "secret_key": rest}


def _public_pem_from_private(path: Path, passphrase: str | None, where: str) -> dict[str, Any]:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    try:
        data = _read_small(path)
    except OSError as exc:
        raise SimulateError(f"{where}: cannot read private key file {str(path)!r}: "
                            f"{exc.strerror or exc}") from None
    password = passphrase.encode() if passphrase else None
    loaders = (
        serialization.load_pem_private_key,
        serialization.load_der_private_key,
        serialization.load_ssh_private_key,
    )
    key: Any = None
    for load in loaders:
        try:
            key = load(data, password)
            break
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
    if key is None:
        raise SimulateError(
            f"{where}: {str(path)!r} is not a readable RSA or Ed25519 private key (wrong or "
            "missing private_key_passphrase?)"
        )
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return {"ed25519_public_key": pem}
    if isinstance(key, rsa.RSAPrivateKey):
        return {"rsa_public_key": pem}
    raise SimulateError(f"{where}: {str(path)!r} is neither an RSA nor an Ed25519 key")


def _read_small(path: Path) -> bytes:
    if not path.is_file():
        raise OSError(0, "not a regular file")
    with path.open("rb") as handle:
        data = handle.read(MAX_ACCOUNT_FILE + 1)
    if len(data) > MAX_ACCOUNT_FILE:
        raise OSError(0, f"larger than {MAX_ACCOUNT_FILE} bytes")
    return data


def _account_from_fields(fields: dict[str, Any], where: str, base: Path) -> dict[str, Any]:
    api_key = fields.get("api_key")
    if not isinstance(api_key, str) or not api_key:
        raise SimulateError(f"{where}: 'api_key' (a string) is required")
    sources = [k for k in ("secret_key", "private_key_path", "public_key_path") if fields.get(k)]
    if len(sources) != 1:
        raise SimulateError(
            f"{where}: give exactly one of secret_key, private_key_path, public_key_path"
        )
    account: dict[str, Any] = {"api_key": api_key}
    source = sources[0]
    value = fields[source]
    if not isinstance(value, str):
        raise SimulateError(f"{where}: '{source}' must be a string")
    if source == "secret_key":
        account["secret_key"] = value
    elif source == "private_key_path":
        passphrase = fields.get("private_key_passphrase")
        if passphrase is not None and not isinstance(passphrase, str):
            raise SimulateError(f"{where}: 'private_key_passphrase' must be a string")
        account.update(_public_pem_from_private(base / value, passphrase, where))
    else:
        from ..simulator.auth import load_public_key

        try:
            pem = _read_small(base / value)
            kind = load_public_key(pem).kind
        except OSError as exc:
            raise SimulateError(f"{where}: cannot read public key file {value!r}: "
                                f"{exc.strerror or exc}") from None
        except ValueError as exc:
            raise SimulateError(f"{where}: {exc}") from None
        account[_KEY_KINDS[kind.lower()]] = pem
    for extra in ("balances", "hedge_mode"):
        if extra in fields:
            account[extra] = fields[extra]
    return account


def parse_account_file(path: str) -> list[dict[str, Any]]:
    """Accounts from a JSON Lines file, one object a line (blank lines and ``#`` comments
    skipped): ``api_key`` and one of ``secret_key`` (HMAC), ``private_key_path`` (RSA or
    Ed25519 private key; the simulator keeps only its public half; with
    ``private_key_passphrase`` if encrypted) or ``public_key_path``; optional ``balances``
    and ``hedge_mode``; ``id`` and other fields are ignored. Relative key paths are relative
    to the file.

    :raises SimulateError: unreadable file, bad JSON or fields (never echoing a secret).
    """
    file = Path(path)
    try:
        text = _read_small(file).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SimulateError(f"--account-file: cannot read {path!r}: {reason}") from None
    accounts = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"--account-file {path}:{number}"
        try:
            fields = json.loads(line)
        except ValueError:
            raise SimulateError(f"{where}: not a JSON object") from None
        if not isinstance(fields, dict):
            raise SimulateError(f"{where}: not a JSON object")
        accounts.append(_account_from_fields(fields, where, file.parent))
    if not accounts:
        raise SimulateError(f"--account-file: {path!r} has no accounts")
    return accounts


def accounts_from_env(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The account named by ``BINANCE_API_KEY`` + ``BINANCE_SECRET_KEY`` (HMAC) or
    ``BINANCE_PRIVATE_KEY_PATH`` (+ ``BINANCE_PRIVATE_KEY_PASSPHRASE``), as the client reads
    them, so that one environment serves both the simulator and the program under test.

    :raises SimulateError: a variable is missing, or both key sources are set.
    """
    env = os.environ if environ is None else environ
    fields: dict[str, Any] = {
        "api_key": env.get("BINANCE_API_KEY", ""),
        "secret_key": env.get("BINANCE_SECRET_KEY") or None,
        "private_key_path": env.get("BINANCE_PRIVATE_KEY_PATH") or None,
        "private_key_passphrase": env.get("BINANCE_PRIVATE_KEY_PASSPHRASE") or None,
    }
    if not fields["api_key"]:
        raise SimulateError("--account-env: BINANCE_API_KEY is not set")
    if fields["secret_key"] is None and fields["private_key_path"] is None:
        raise SimulateError(
            "--account-env: set BINANCE_SECRET_KEY (HMAC) or BINANCE_PRIVATE_KEY_PATH"
        )
    return _account_from_fields(fields, "--account-env", Path.cwd())
