"""Small aiohttp WebSocket helpers shared by the stream and pool drivers."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable

import aiohttp

__all__ = ["abort", "quietly"]


async def quietly(send: Awaitable[None]) -> None:
    """Await a send whose failure the reader will notice anyway (a closed socket)."""
    with contextlib.suppress(Exception):
        await send


async def abort(ws: aiohttp.ClientWebSocketResponse[bool]) -> None:
    """Drop the socket without a closing handshake (the peer is presumed dead)."""
    # aiohttp has no public abort; closing the underlying response drops the TCP connection.
    response = getattr(ws, "_response", None)
    if response is not None:
        response.close()
    else:  # pragma: no cover - other aiohttp versions
        with contextlib.suppress(Exception):
            await ws.close()
