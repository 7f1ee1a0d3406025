"""Many accounts' user data streams in one process: :class:`StreamPool`.

``StreamPool`` (asyncio, :mod:`.aio`), its blocking facade (:mod:`.sync`), the sans-I/O
decisions behind both (:mod:`.core`), :class:`PoolOptions`, the accounts-file format
(:mod:`.accounts_file`) and the :class:`AccountFailed` control event. Importing this package
is light: aiohttp is loaded only when ``StreamPool`` is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "StreamPool": "aio",
    "PoolStats": "aio",
    "InvalidAccountId": "aio",
    "check_account_id": "aio",
    "SyncStreamPool": "sync",
    "PoolOptions": "options",
    "AccountFailed": "events",
    "PoolCore": "core",
    "PoolTotals": "core",
    "AccountSpec": "accounts_file",
    "read_accounts_file": "accounts_file",
    "write_accounts_file": "accounts_file",
}

__all__ = [
    "AccountFailed",
    "AccountSpec",
    "InvalidAccountId",
    "PoolCore",
    "PoolOptions",
    "PoolStats",
    "PoolTotals",
    "StreamPool",
    "SyncStreamPool",
    "check_account_id",
    "read_accounts_file",
    "write_accounts_file",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)

if TYPE_CHECKING:
    from .accounts_file import AccountSpec, read_accounts_file, write_accounts_file
    from .aio import InvalidAccountId, PoolStats, StreamPool, check_account_id
    from .core import PoolCore, PoolTotals
    from .events import AccountFailed
    from .options import PoolOptions
    from .sync import SyncStreamPool
