"""Accounts files: JSON Lines, one account a line.

::

    {"id": "alice", "api_key": "...", "secret_key": "..."}
    {"id": "bob", "api_key": "...", "private_key_path": "bob.pem", "private_key_passphrase": "..."}

``id`` follows the pool's account-id rule (``[A-Za-z0-9_-]{1,64}``); each line has ``api_key``
and exactly one of ``secret_key`` / ``private_key_path`` (relative paths are relative to the
file). Blank lines and lines starting with ``#`` are skipped. The file holds secrets: it
should be readable by its owner only (:func:`read_accounts_file` warns otherwise).
"""

from __future__ import annotations

import json
import os
import stat
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .aio import InvalidAccountId, check_account_id

if TYPE_CHECKING:
    from ..signing import BinanceAuth

__all__ = [
    "AccountSpec",
    "AccountsFileError",
    "AccountsFilePermissionWarning",
    "read_accounts_file",
    "write_accounts_file",
]

_FIELDS = {"id", "api_key", "secret_key", "private_key_path", "private_key_passphrase"}


class AccountsFileError(ValueError):
    """An accounts file that cannot be used; the message names the file, line and fix."""


class AccountsFilePermissionWarning(UserWarning):
    """The accounts file (secrets) is readable by users other than its owner."""


@dataclass(frozen=True)
class AccountSpec:
    """One line of an accounts file. The repr shows only the id."""

    id: str
    api_key: str = field(repr=False)
    secret_key: str | None = field(default=None, repr=False)
    private_key_path: str | None = field(default=None, repr=False)
    private_key_passphrase: str | None = field(default=None, repr=False)

    def auth(self) -> BinanceAuth:
        """The account's :class:`~binance.derivatives.cmfutures.BinanceAuth` (loads the key).

        :raises ~binance.derivatives.cmfutures.signing.KeyLoadError: unreadable key.
        """
        from ..signing import BinanceAuth

        return BinanceAuth(
            api_key=self.api_key,
            secret_key=self.secret_key,
            private_key_path=self.private_key_path,
            passphrase=self.private_key_passphrase,
        )

    def to_json(self) -> dict[str, str]:
        out = {"id": self.id, "api_key": self.api_key}
        for name in ("secret_key", "private_key_path", "private_key_passphrase"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


def read_accounts_file(path: str | os.PathLike[str]) -> list[AccountSpec]:
    """Parse an accounts file.

    :raises AccountsFileError: missing file, bad JSON, unknown or missing field, invalid or
        duplicate id (the message names the line, never a secret).
    :warns AccountsFilePermissionWarning: the file is readable by group or others.
    """
    file = Path(path)
    try:
        mode = file.stat().st_mode
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccountsFileError(f"accounts file {str(file)!r} not found") from None
    except OSError as exc:
        raise AccountsFileError(
            f"cannot read accounts file {str(file)!r}: {exc.strerror}"
        ) from None
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.warn(
            f"accounts file {str(file)!r} holds secrets but is readable by other users "
            f"(mode {stat.filemode(mode)}); fix: chmod 600 {file}",
            AccountsFilePermissionWarning,
            stacklevel=2,
        )
    specs: list[AccountSpec] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{file}:{number}"
        try:
            record: Any = json.loads(line)
        except ValueError:
            raise AccountsFileError(f"{where}: not a JSON object (one account a line)") from None
        if not isinstance(record, dict):
            raise AccountsFileError(f"{where}: not a JSON object (one account a line)")
        unknown = sorted(set(record) - _FIELDS)
        if unknown:
            raise AccountsFileError(
                f"{where}: unknown field(s) {', '.join(unknown)}; "
                f"valid: {', '.join(sorted(_FIELDS))}"
            )
        for name, value in record.items():
            if not isinstance(value, str):
                raise AccountsFileError(f"{where}: {name} must be a string")
        try:
            account = check_account_id(record.get("id"))
        except InvalidAccountId as exc:
            raise AccountsFileError(f"{where}: {exc}") from None
        if account in seen:
            raise AccountsFileError(f"{where}: duplicate account id {account!r}")
        seen.add(account)
        if not record.get("api_key"):
            raise AccountsFileError(f"{where}: account {account!r} has no api_key")
        has_secret = bool(record.get("secret_key"))
        key_path = record.get("private_key_path")
        if has_secret == bool(key_path):
            raise AccountsFileError(
                f"{where}: account {account!r} needs exactly one of secret_key / private_key_path"
            )
        if key_path and not os.path.isabs(key_path):
            key_path = str(file.parent / key_path)
        specs.append(
            AccountSpec(
                account,
                record["api_key"],
                record.get("secret_key") or None,
                key_path or None,
                record.get("private_key_passphrase") or None,
            )
        )
    return specs


def write_accounts_file(path: str | os.PathLike[str], specs: Iterable[AccountSpec]) -> None:
    """Write ``specs`` as JSON Lines, readable by the owner only (mode 600)."""
    file = Path(path)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for spec in specs:
            out.write(json.dumps(spec.to_json(), separators=(", ", ": ")) + "\n")
