"""``cmfutures stream --accounts-file FILE``: every account's events through one StreamPool.

Each output line starts with (text) or carries (``--json``: ``"account"``) the account id.
Keys come from the accounts file, hosts from ``--host`` / ``--stream-host`` / ``--testnet`` /
the environment, as for a single account. A file readable by other users is used, with a
warning on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import warnings
from typing import Any

from .errors import CliError
from .render import to_json_line, to_text_line


def hosts_from_args(args: argparse.Namespace) -> Any:
    """A Configuration without auth: hosts from ``args``, then the environment."""
    from ..configuration import Configuration

    config = Configuration.testnet() if args.testnet else Configuration()
    host = args.host or (None if args.testnet else os.environ.get("BINANCE_CMFUTURES_HOST"))
    if host:
        config.host = host
    stream_host = getattr(args, "stream_host", None) or (
        None if args.testnet else os.environ.get("BINANCE_CMFUTURES_STREAM_HOST")
    )
    if stream_host:
        config.stream_host = stream_host
    return config


def load_accounts(path: str) -> list[Any]:
    """The accounts of ``path``; a permission warning goes to stderr as one line."""
    from ..pool.accounts_file import AccountsFilePermissionWarning, read_accounts_file

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AccountsFilePermissionWarning)
        specs = read_accounts_file(path)
    for warning in caught:
        print(f"cmfutures: warning: {warning.message}", file=sys.stderr, flush=True)
    if not specs:
        raise CliError(f"accounts file {path!r} lists no account")
    return specs


def run_pool(args: argparse.Namespace) -> int:
    specs = load_accounts(args.accounts_file)
    auths = [(spec.id, spec.auth()) for spec in specs]  # key errors now, as one line
    config = hosts_from_args(args)
    journal = None
    if getattr(args, "journal", None):
        from .stream import _open_journal

        journal = _open_journal(args.journal)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            _journaled(config, auths, json_lines=args.json, duration=args.duration,
                       journal=journal)
        )
    return 0


async def _journaled(
    config: Any, auths: list[tuple[str, Any]], *, json_lines: bool, duration: float | None,
    journal: Any,
) -> None:
    """:func:`_pool`; with a journal, SIGINT/SIGTERM stop it, commit what is queued, exit 0."""
    if journal is None:
        await _pool(config, auths, json_lines=json_lines, duration=duration)
        return
    import signal

    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, main.cancel)
    try:
        await _pool(config, auths, json_lines=json_lines, duration=duration, journal=journal)
    except asyncio.CancelledError:
        pass
    finally:
        await journal.close()


async def _pool(
    config: Any, auths: list[tuple[str, Any]], *, json_lines: bool, duration: float | None,
    journal: Any = None,
) -> None:
    from ..clock import SystemClock
    from ..pool import StreamPool

    clock = SystemClock()
    async with StreamPool(config, clock=clock, journal=journal) as pool:
        for account, auth in auths:
            pool.add(account, auth)

        async def pump() -> None:
            write = sys.stdout.write
            async for account, message in pool:
                if json_lines:
                    line = to_json_line(message, account)
                else:
                    line = f"{account:<12} " + to_text_line(message, clock.time())
                write(line + "\n")
                sys.stdout.flush()

        if duration is None:
            await pump()
        else:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(pump(), timeout=duration)
