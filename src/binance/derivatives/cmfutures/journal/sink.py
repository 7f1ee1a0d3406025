"""The interface between a stream and whatever records what it delivers: :class:`MessageSink`."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Protocol, Union, runtime_checkable

if TYPE_CHECKING:
    from ..events import StreamMessage
    from .records import AccountSnapshot

    JournalMessage = Union[StreamMessage, AccountSnapshot]  # noqa: UP007

__all__ = ["MessageSink"]


@runtime_checkable
class MessageSink(Protocol):
    """Something a stream hands every delivered message to before its consumer sees it.

    :class:`~binance.derivatives.cmfutures.journal.Journal` is one. A stream calls
    :meth:`append` as soon as a message is delivered (in arrival order, from the event loop's
    thread) and awaits the result before handing the message out, so a sink may batch: all
    messages appended before it gets to run go into one commit.
    """

    def append(
        self, account: str, message: JournalMessage, received_at: float
    ) -> Awaitable[int | None]:
        """Record ``message`` of ``account``, received at ``received_at`` (epoch seconds).

        Must not block and must not raise: errors are delivered through the awaitable.

        :returns: an awaitable of the message's offset once it is durable, or of None if the
            sink already holds this event (a duplicate: the stream then drops it).
        """
        ...
