"""Binance errors raised by the simulator's account engine.

The REST layer turns a :class:`SimError` into an HTTP response with status ``status`` and the
JSON body ``{"code": code, "msg": msg}``, exactly as Binance answers.
"""

from __future__ import annotations

__all__ = ["SimError"]


class SimError(Exception):
    """A Binance error: HTTP ``status``, Binance ``code`` (negative int) and ``msg``.

    :ivar status: HTTP status the REST layer must answer with (400 for request errors).
    :ivar code: Binance error code, e.g. ``-2011``.
    :ivar msg: Binance error message text.
    """

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        self.status = status
        self.code = code
        self.msg = msg
        super().__init__(f"{code}: {msg}")

    def body(self) -> dict[str, object]:
        """The JSON error body Binance sends: ``{"code": code, "msg": msg}``."""
        return {"code": self.code, "msg": self.msg}

    # ------------------------------------------------------------------ common Binance errors

    @classmethod
    def mandatory(cls, name: str) -> SimError:
        """-1102: a mandatory parameter is missing or empty."""
        return cls(
            -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
        )

    @classmethod
    def illegal_chars(cls, name: str) -> SimError:
        """-1100: a parameter has a malformed value."""
        return cls(
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
        )

    @classmethod
    def invalid_symbol(cls) -> SimError:
        """-1121: the symbol is not listed."""
        return cls(-1121, "Invalid symbol.")

    @classmethod
    def unknown_order(cls) -> SimError:
        """-2011: no such open order."""
        return cls(-2011, "Unknown order sent.")

    @classmethod
    def margin_insufficient(cls) -> SimError:
        """-2019: not enough available balance for the order's initial margin."""
        return cls(-2019, "Margin is insufficient.")

    @classmethod
    def max_position_exceeded(cls) -> SimError:
        """-2027: the position would exceed the bracket limit (``maxQty``) at the leverage."""
        return cls(-2027, "Exceeded the maximum allowable position at current leverage.")
