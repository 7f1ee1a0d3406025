"""``APIError``: Binance's error body ``{"code": -1125, "msg": "..."}``."""

from __future__ import annotations

from ._base import SeedModel

__all__ = ["APIError"]


class APIError(SeedModel, kw_only=True):
    """An error body. ``str(err)`` is ``code=-1125 msg='...'``.

    :ivar code: Binance's (negative) error code, compare with ``exceptions.BinanceCode``.
    :ivar msg: the message; its text varies for the same code.
    """

    code: int | None = None
    msg: str | None = None
