"""Listen-key registry: the lifetime rules of spec §1.2, with no I/O and no clock of its own.

Every method takes the current time (epoch seconds) from the caller:

* an account (identified by its API key) has at most one *active* key;
* a key lives :attr:`ListenKeyRegistry.lifetime` seconds (60 min) after its last create/keepalive;
* ``create`` while a key is active returns that key and extends it; otherwise a new, different
  64-character ``[A-Za-z0-9]`` key;
* ``keepalive``/``delete`` without an active key raise :class:`NoActiveListenKey` (-1125);
* a key past its expiry is *expired*; a deleted key is *deleted*; neither ever comes back.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Literal

__all__ = ["KEY_ALPHABET", "KEY_LENGTH", "ListenKey", "ListenKeyRegistry", "NoActiveListenKey"]

KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 64
DEFAULT_LIFETIME = 3600.0

KeyState = Literal["active", "expired", "deleted"]


class NoActiveListenKey(LookupError):
    """The account has no active listen key (Binance answers ``-1125``)."""


@dataclass
class ListenKey:
    """One listen key and its state. ``expires_at`` is epoch seconds."""

    key: str
    api_key: str
    created_at: float
    expires_at: float
    state: KeyState = "active"
    ended_at: float | None = None

    def __repr__(self) -> str:  # the API key is a secret: never shown
        return (
            f"ListenKey(key={self.key[:6]}..., state={self.state}, "
            f"expires_at={self.expires_at:.3f})"
        )


class ListenKeyRegistry:
    """All listen keys the simulator ever issued, and which one is active per account.

    :param rng: source of key characters (seeded by the simulator, so keys are reproducible).
    :param lifetime: seconds a key lives after creation or keepalive (default 3600).
    """

    def __init__(self, rng: random.Random, lifetime: float = DEFAULT_LIFETIME) -> None:
        if lifetime <= 0:
            raise ValueError(f"listen key lifetime must be positive, got {lifetime}")
        self._rng = rng
        self.lifetime = lifetime
        self._keys: dict[str, ListenKey] = {}
        self._active: dict[str, str] = {}
        # No active key expires before this (a lower bound): expire_due is O(1) until then.
        self._no_expiry_before = float("inf")

    def _new_key(self) -> str:
        while True:
            key = "".join(self._rng.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))
            if key not in self._keys:
                return key

    def lookup(self, key: str) -> ListenKey | None:
        """The record for ``key`` (in any state), or None if it was never issued."""
        return self._keys.get(key)

    def active(self, api_key: str, now: float) -> ListenKey | None:
        """The account's active key at ``now``, or None. Does not change state."""
        key = self._active.get(api_key)
        if key is None:
            return None
        record = self._keys[key]
        return record if record.expires_at > now else None

    def create(self, api_key: str, now: float) -> tuple[ListenKey, bool]:
        """POST: return ``(key, created)``; an active key is returned and extended."""
        self.expire_due(now)
        record = self.active(api_key, now)
        if record is not None:
            record.expires_at = now + self.lifetime
            return record, False
        record = ListenKey(self._new_key(), api_key, now, now + self.lifetime)
        self._no_expiry_before = min(self._no_expiry_before, record.expires_at)
        self._keys[record.key] = record
        self._active[api_key] = record.key
        return record, True

    def keepalive(self, api_key: str, now: float) -> ListenKey:
        """PUT: extend the active key to ``now + lifetime``.

        :raises NoActiveListenKey: no active key (never created, expired or deleted).
        """
        self.expire_due(now)
        record = self.active(api_key, now)
        if record is None:
            raise NoActiveListenKey(api_key)
        record.expires_at = now + self.lifetime
        return record

    def delete(self, api_key: str, now: float) -> ListenKey:
        """DELETE: invalidate the active key immediately.

        :raises NoActiveListenKey: no active key.
        """
        self.expire_due(now)
        record = self.active(api_key, now)
        if record is None:
            raise NoActiveListenKey(api_key)
        self._end(record, "deleted", now)
        return record

    def expire_now(self, api_key: str, now: float) -> ListenKey | None:
        """Force the active key (if any) to expire at ``now``; return it."""
        record = self.active(api_key, now)
        if record is None:
            return None
        record.expires_at = now
        self._end(record, "expired", now)
        return record

    def expire_due(self, now: float) -> list[ListenKey]:
        """Mark every active key whose expiry is ``<= now`` as expired; return those."""
        if now < self._no_expiry_before:
            return []
        due = [
            self._keys[key]
            for key in self._active.values()
            if self._keys[key].expires_at <= now
        ]
        for record in due:
            self._end(record, "expired", record.expires_at)
        self._no_expiry_before = min(
            (self._keys[key].expires_at for key in self._active.values()), default=float("inf")
        )
        return due

    def next_expiry(self) -> float | None:
        """The earliest expiry among active keys, or None."""
        expiries = [self._keys[key].expires_at for key in self._active.values()]
        return min(expiries) if expiries else None

    def _end(self, record: ListenKey, state: KeyState, at: float) -> None:
        record.state = state
        record.ended_at = at
        if self._active.get(record.api_key) == record.key:
            del self._active[record.api_key]
