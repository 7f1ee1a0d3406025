"""The pool's own control event (beside the stream's StreamConnected / StreamDisconnected /
StreamGap / ListenKeyRenewed, which a pool yields per account exactly as a stream does)."""

from __future__ import annotations

import msgspec

__all__ = ["AccountFailed"]


class AccountFailed(msgspec.Struct, frozen=True, tag="AccountFailed"):
    """This account stopped for good (its API key was rejected: revoked, wrong, no
    permission); the other accounts of the pool are not affected. Nothing more is delivered
    for it; ``pool.remove(account)`` forgets it.

    :ivar at: when (epoch seconds).
    :ivar reason: what the server said (no secrets).
    :ivar status: the HTTP status of the final answer (0 for none).
    :ivar code: the Binance error code, if any.
    """

    at: float
    reason: str
    status: int = 0
    code: int | None = None
