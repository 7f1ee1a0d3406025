"""Account ids: the one rule every multi-account part shares.

An id becomes a NATS subject token, a file name and a journal column, so it is restricted to
``[A-Za-z0-9_-]{1,64}``.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ACCOUNT_ID_PATTERN", "InvalidAccountIdError", "validate_account_id"]

ACCOUNT_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")


class InvalidAccountIdError(ValueError):
    """An account id outside ``[A-Za-z0-9_-]{1,64}``."""


def validate_account_id(account: object) -> str:
    """Return ``account`` if it is a valid id.

    :raises InvalidAccountIdError: naming the rule, for anything else.
    """
    if not isinstance(account, str) or ACCOUNT_ID_PATTERN.fullmatch(account) is None:
        shown = repr(account)[:80]
        raise InvalidAccountIdError(
            f"invalid account id {shown}: use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-' "
            "(ids become subject and file names)"
        )
    return account
