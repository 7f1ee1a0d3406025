"""Account ids: the one rule every multi-account part shares (pool, journal, workers).

An id becomes a NATS subject token, a file name and a journal column, so it is restricted to
``[A-Za-z0-9_-]{1,64}``.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ACCOUNT_ID_PATTERN", "InvalidAccountId", "check_account_id"]

ACCOUNT_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""Account ids: 1 to 64 of ``A-Z a-z 0-9 _ -`` (they become subject and file names)."""


class InvalidAccountId(ValueError):
    """An account id that does not match ``[A-Za-z0-9_-]{1,64}``."""


def check_account_id(account: object) -> str:
    """``account`` if it is a valid account id.

    :raises InvalidAccountId: naming the problem and the fix.
    """
    if not isinstance(account, str):
        raise InvalidAccountId(
            f"account id must be a string of 1-64 characters A-Z a-z 0-9 _ -, "
            f"got {type(account).__name__}"
        )
    if ACCOUNT_ID_PATTERN.fullmatch(account) is None:
        shown = account if len(account) <= 80 else account[:80] + "..."
        raise InvalidAccountId(
            f"invalid account id {shown!r}: use 1-64 characters from A-Z a-z 0-9 _ - "
            "(ids become subject and file names), e.g. 'alice' or 'sub-account_7'"
        )
    return account
