"""``cmfutures stream``: the account's user data events on stdout, forever (or ``--duration``).

Output is one line per message, control events (connected, disconnected, gap, new key)
included, so a pipeline sees every gap. ``--json`` prints JSON lines (see :mod:`.render`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
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
            "The listen key is created, kept alive, rotated and deleted on exit."
        ),
    )
    add_connection_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    parser.add_argument(
        "--accounts-file",
        metavar="FILE",
        help="stream every account of FILE (JSON Lines: id, api_key, secret_key or "
        "private_key_path) through one StreamPool; each line carries the account id",
    )
    parser.add_argument(
        "--duration", type=float, metavar="SECONDS", help="stop after this many seconds"
    )
    parser.add_argument(
        "--journal", metavar="PATH",
        help="append every message to this durable journal (SQLite) before printing it",
    )
    parser.add_argument(
        "--account-id", default="default", metavar="ID",
        help="the account id messages are journaled under (default: default)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Stream until interrupted or ``--duration`` passes; 0 on a clean stop."""
    if getattr(args, "accounts_file", None):
        from .pool_stream import run_pool

        return run_pool(args)
    config = configuration_from_args(args)
    journal = _open_journal(args.journal) if args.journal else None
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            _stream(
                config, json_lines=args.json, duration=args.duration, journal=journal,
                account_id=args.account_id,
            )
        )
    return 0


def _open_journal(path: str) -> Any:
    """The journal, its writer lock taken now (a second writer fails here, in one line)."""
    from ..journal import Journal, JournalError
    from .errors import CliError

    try:
        journal = Journal(path)
        journal.open_writer()
    except JournalError as exc:
        raise CliError(str(exc)) from None
    return journal


async def _stream(
    config: Any, *, json_lines: bool, duration: float | None, journal: Any = None,
    account_id: str = "default",
) -> None:
    if journal is not None:
        # SIGINT/SIGTERM: stop consuming, close the stream, commit what is queued, exit 0
        main = asyncio.current_task()
        assert main is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, main.cancel)
        try:
            await _stream_to(config, json_lines, duration, {"journal": journal,
                                                            "account": account_id})
        except asyncio.CancelledError:
            pass
        finally:
            await journal.close()
        return
    await _stream_to(config, json_lines, duration, {})


async def _stream_to(
    config: Any, json_lines: bool, duration: float | None, journaling: dict[str, Any]
) -> None:
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
        stream = UserDataStream(api_client=client, clock=clock, **journaling)
        await _pump(stream, clock, json_lines, duration)


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
