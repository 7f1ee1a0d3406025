"""What the pool core asks its driver to do (beside the stream's connection actions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..events import StreamMessage
from ..stream.actions import Close, Connect, SendPing, SendPong
from ..stream.connection import Send
from .events import AccountFailed

__all__ = ["AccountGone", "Deliver", "PoolAction", "RestCall"]


@dataclass(frozen=True, slots=True)
class RestCall:
    """Run listen-key call ``kind`` (``"create"``, ``"keepalive"``, ``"delete"``) for
    ``account``; answer with ``PoolCore.rest_ok`` / ``PoolCore.rest_failed``. Its weight was
    already taken from the budget. ``reason``: why (a key creation's cause, for the logs)."""

    account: str
    kind: str
    reason: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Deliver:
    """Hand ``(account, message)`` to the consumer, after every earlier ``Deliver``."""

    account: str
    message: StreamMessage | AccountFailed


@dataclass(frozen=True, slots=True)
class AccountGone:
    """``remove(account)`` finished: the account's credentials may be forgotten."""

    account: str


PoolAction = Union[RestCall, Deliver, AccountGone, Connect, Close, Send, SendPing, SendPong]  # noqa: UP007
