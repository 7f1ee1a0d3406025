"""``cmfutures stream``: the account's user data events on stdout, forever (or ``--duration``).

Output is one line per message, control events (connected, disconnected, gap, new key)
included, so a pipeline sees every gap. ``--json`` prints JSON lines (see :mod:`.render`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import Any

from .config import add_connection_options, configuration_from_args
from .render import to_json_line, to_text_line


def register(subparsers: Any) -> None:
    """Add the ``stream`` subcommand to ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "stream",
        help="print the account's user data events (keys from the environment)",
        description=(
            "Stream the account's COIN-M user data events. Keys come from BINANCE_API_KEY plus "
            "BINANCE_SECRET_KEY or BINANCE_PRIVATE_KEY_PATH (+ BINANCE_PRIVATE_KEY_PASSPHRASE). "
            "The listen key is created (or the account's current one reused), kept alive and "
            "rotated; it is left alive on exit, because every program streaming the account "
            "shares it (delete it with `cmfutures listen-key close`)."
        ),
    )
    add_connection_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    parser.add_argument(
        "--duration", type=float, metavar="SECONDS", help="stop after this many seconds"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Stream until interrupted or ``--duration`` passes; 0 on a clean stop."""
    config = configuration_from_args(args)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_stream(config, json_lines=args.json, duration=args.duration))
    return 0


async def _stream(config: Any, *, json_lines: bool, duration: float | None) -> None:
    from ..api.user_data_streams_api import UserDataStreamsApi
    from ..async_api_client import AsyncApiClient
    from ..clock import SystemClock
    from ..stream import UserDataStream

    clock = SystemClock()
    async with AsyncApiClient(config, clock=clock) as client:
        # Preflight: the stream itself rides out network errors forever (right for a long-lived
        # consumer), so an unreachable host or a rate limit at start-up would otherwise hang
        # silently. POST returns the account's active key, so the stream reuses this one.
        await UserDataStreamsApi(client).cmfutures_create_listen_key_v1()
        await _pump(UserDataStream(api_client=client, clock=clock), clock, json_lines, duration)


async def _pump(stream: Any, clock: Any, json_lines: bool, duration: float | None) -> None:
    async with stream:

        async def pump() -> None:
            async for message in stream:
                line = to_json_line(message) if json_lines else to_text_line(message, clock.time())
                sys.stdout.write(line + "\n")
                sys.stdout.flush()

        if duration is None:
            await pump()
        else:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(pump(), timeout=duration)
