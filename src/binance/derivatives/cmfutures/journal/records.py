"""What the journal stores besides stream messages: :class:`AccountSnapshot`."""

from __future__ import annotations

import msgspec

from ..mirror.core import Snapshot

__all__ = ["AccountSnapshot"]


class AccountSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A REST snapshot an :class:`~binance.derivatives.cmfutures.AccountMirror` merged.

    The account at any offset is this snapshot with the account's events of offsets above
    ``after_offset`` applied on top (the events the mirror buffered while the snapshot was
    being taken come after ``after_offset``; replaying an older one changes nothing).

    :ivar at: when the resync finished (epoch seconds).
    :ivar reason: why it was taken (``initial``, ``gap: ...``, ``audit``...).
    :ivar after_offset: the journal's last offset when the snapshot request started.
    :ivar snapshot: the balances, position rows, open orders and leverage REST returned.
    """

    at: float
    reason: str
    after_offset: int
    snapshot: Snapshot
