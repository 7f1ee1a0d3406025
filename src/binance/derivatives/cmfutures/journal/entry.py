"""One journal entry: :class:`JournalEntry`."""

from __future__ import annotations

from typing import Any

import msgspec

from .codec import decode_message

__all__ = ["JournalEntry"]

_extras = msgspec.json.Encoder()


class JournalEntry:
    """A message as the journal recorded it. Immutable.

    :ivar offset: its position; offsets increase by one per entry, across all accounts.
    :ivar account: the account id it was journaled under (``"default"`` for a lone stream).
    :ivar received_at: when the stream received it (epoch seconds, the writer's clock).
    :ivar type: the Binance ``e`` value, or the control/record class name (``StreamGap``...).
    :ivar payload: the stored JSON (Binance's wire form for events).

    :attr:`message` is the typed event, control event or
    :class:`~.records.AccountSnapshot`, decoded on first access.
    """

    __slots__ = ("_message", "account", "kind", "offset", "payload", "received_at", "type")

    def __init__(
        self, offset: int, account: str, received_at: float, kind: int, type: str, payload: bytes
    ) -> None:
        self.offset = offset
        self.account = account
        self.received_at = received_at
        self.kind = kind
        self.type = type
        self.payload = payload
        self._message: Any = None

    @property
    def message(self) -> Any:
        """The typed message (decoded once, then cached).

        :raises ValueError: the stored payload does not decode (a damaged entry).
        """
        if self._message is None:
            self._message = decode_message(self.kind, self.type, self.payload)
        return self._message

    def to_json(self) -> str:
        """The object ``cmfutures stream --json`` prints, plus ``offset``, ``account`` and
        ``received_at``: one line, no newline."""
        extras = _extras.encode(
            {"offset": self.offset, "account": self.account, "received_at": self.received_at}
        )
        payload = bytes(self.payload)
        if payload.startswith(b"{") and payload.endswith(b"}") and len(payload) > 2:
            return (payload[:-1] + b"," + extras[1:]).decode()
        return extras.decode()  # pragma: no cover - every stored payload is an object

    def __repr__(self) -> str:
        return f"JournalEntry(offset={self.offset}, account={self.account!r}, type={self.type})"
