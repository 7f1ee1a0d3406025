"""A bounded memory of recently seen event identities."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

__all__ = ["RecentIdentities"]


class RecentIdentities:
    """Remembers the last ``size`` identities; :meth:`seen` answers "duplicate?" and records.

    Least recently seen identities are forgotten first, so memory is bounded. A duplicate that
    arrives after ``size`` newer distinct events is no longer recognised.
    """

    __slots__ = ("_items", "_size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"RecentIdentities size must be >= 1, got {size}")
        self._size = size
        self._items: OrderedDict[Hashable, None] = OrderedDict()

    def seen(self, identity: Hashable) -> bool:
        """True if ``identity`` was recorded recently; records it either way."""
        items = self._items
        if identity in items:
            items.move_to_end(identity)
            return True
        items[identity] = None
        if len(items) > self._size:
            items.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._items)
