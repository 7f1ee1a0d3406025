"""Task helpers for the asyncio drivers (stream, mirror) that never swallow cancellation.

``with contextlib.suppress(BaseException): await task`` is the usual way to reap a cancelled
task, and it is wrong: if the *caller* is cancelled while it waits, its ``CancelledError`` is
suppressed too and the caller carries on as if nothing happened. :func:`reap` waits with
:func:`asyncio.wait`, which never raises the tasks' errors but does raise the caller's own
cancellation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any

__all__ = ["race", "reap"]


async def reap(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Wait until every task in ``tasks`` is done (cancel them first if that is the intent).

    Their results and errors are retrieved and discarded (no "exception was never retrieved"
    warning). The caller's own cancellation propagates: the tasks are then left to finish on
    their own.
    """
    pending = [t for t in tasks if not t.done()]
    if pending:
        await asyncio.wait(pending)
    for t in tasks:
        if t.done() and not t.cancelled():
            t.exception()


async def race(*aws: Awaitable[Any], name: str = "race") -> None:
    """Wait until the first of ``aws`` finishes; cancel (and reap) the others.

    The errors of ``aws`` are not raised; the caller's cancellation is (the others are still
    cancelled).
    """
    tasks = [asyncio.ensure_future(a) for a in aws]
    for t in tasks:
        if isinstance(t, asyncio.Task):
            t.set_name(name)
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            if not t.done():
                t.cancel()
        await reap(tasks)
