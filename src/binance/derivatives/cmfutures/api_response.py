"""``ApiResponse``: what the ``*_with_http_info`` methods return."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["ApiResponse"]

T = TypeVar("T")


@dataclass
class ApiResponse(Generic[T]):
    """The decoded body plus the HTTP details.

    :ivar status_code: the HTTP status.
    :ivar headers: the response headers, a *case-insensitive* mapping (the reference turned
        them into a case-sensitive dict, D18).
    :ivar data: the decoded body (a model, or a dict for ``object`` endpoints).
    :ivar raw_data: the undecoded body bytes.
    """

    status_code: int
    headers: Mapping[str, str] | None
    data: T
    raw_data: bytes
