"""Exponential backoff with full jitter (shared with the REST client and the mirror)."""

from __future__ import annotations

from .._backoff import Backoff

__all__ = ["Backoff"]
