"""The account mirror: an always-correct, immutable view of a COIN-M account.

:class:`AccountMirror` (asyncio) and :class:`SyncAccountMirror` (threads) keep balances,
positions and open orders from the user data stream, merged with REST snapshots taken after
connecting and after every gap. The pure merge logic is :class:`~.core.MirrorState`. See
``docs/mirror.md``.
"""

from __future__ import annotations

from .aio import AccountMirror, ChangeSubscription, MirrorClosed
from .core import MirrorState, ResyncStateError, Snapshot
from .options import MirrorOptions
from .sync import SyncAccountMirror
from .views import (
    AccountView,
    BalanceView,
    ChangeKind,
    DiffEntry,
    FillView,
    MirrorChange,
    OrderView,
    PositionKey,
    PositionView,
    ResyncDiff,
    ResyncReport,
)

__all__ = [
    "AccountMirror",
    "AccountView",
    "BalanceView",
    "ChangeKind",
    "ChangeSubscription",
    "DiffEntry",
    "FillView",
    "MirrorChange",
    "MirrorClosed",
    "MirrorOptions",
    "MirrorState",
    "OrderView",
    "PositionKey",
    "PositionView",
    "ResyncDiff",
    "ResyncReport",
    "ResyncStateError",
    "Snapshot",
    "SyncAccountMirror",
]
