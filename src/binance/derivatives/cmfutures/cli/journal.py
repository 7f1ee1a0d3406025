"""``cmfutures journal``: read a journal written by ``cmfutures stream --journal``.

``tail PATH [--from OFFSET] [--follow] [--account ID] [--json]`` prints entries with offset >
OFFSET (one line each; ``--json``: the object ``cmfutures stream --json`` prints plus
``offset``, ``account`` and ``received_at``). ``stats PATH`` prints counts by account and
type, gaps, sizes, oldest/newest and consumer positions. ``export PATH --jsonl`` writes every
entry as a JSON line. Reading never blocks the writer. SIGINT ends ``--follow`` with exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Awaitable
from typing import Any

from .errors import EXIT_CONFIG, CliError


def register(subparsers: Any) -> None:
    """Add the ``journal`` subcommand (``tail``, ``stats``, ``export``)."""
    parser = subparsers.add_parser(
        "journal",
        help="read a durable journal (tail, stats, export)",
        description="Read a journal written by `cmfutures stream --journal PATH`.",
    )
    commands = parser.add_subparsers(dest="journal_command", metavar="ACTION", required=True)
    tail = commands.add_parser("tail", help="print entries (optionally following new ones)")
    tail.add_argument("path", metavar="PATH")
    tail.add_argument(
        "--from", dest="after", type=int, default=0, metavar="OFFSET",
        help="print entries with offset > OFFSET (default 0: from the start)",
    )
    tail.add_argument("--follow", action="store_true", help="wait for new entries until SIGINT")
    tail.add_argument("--account", metavar="ID", help="only this account's entries")
    tail.add_argument("--json", action="store_true", help="print JSON lines")
    tail.set_defaults(func=run_tail)
    stats = commands.add_parser("stats", help="counts by account and type, gaps, size, range")
    stats.add_argument("path", metavar="PATH")
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.set_defaults(func=run_stats)
    export = commands.add_parser("export", help="write every entry to stdout")
    export.add_argument("path", metavar="PATH")
    export.add_argument("--jsonl", action="store_true", required=True, help="as JSON lines")
    export.set_defaults(func=run_export)


def _open(path: str) -> Any:
    from ..journal import Journal, JournalError

    try:
        return Journal(path, create=False)
    except JournalError as exc:
        raise CliError(str(exc), EXIT_CONFIG) from None


def _run(main: Awaitable[None]) -> int:
    async def guarded() -> None:
        from ..journal import JournalError

        task = asyncio.ensure_future(main)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            pass
        except JournalError as exc:
            raise CliError(str(exc), EXIT_CONFIG) from None

    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        asyncio.run(guarded())
    return 0


def run_tail(args: argparse.Namespace) -> int:
    """``journal tail``: 0 at the end (or on SIGINT with ``--follow``)."""
    journal = _open(args.path)
    if args.after < 0:
        raise CliError("--from takes an offset >= 0", EXIT_CONFIG)

    async def tail() -> None:
        async for entry in journal.read(after=args.after, account=args.account, follow=args.follow):
            sys.stdout.write((entry.to_json() if args.json else text_line(entry)) + "\n")
            if args.follow:
                sys.stdout.flush()

    return _run(tail())


def run_export(args: argparse.Namespace) -> int:
    """``journal export --jsonl``: every entry, oldest first."""
    journal = _open(args.path)

    async def export() -> None:
        write = sys.stdout.write
        async for entry in journal.read():
            write(entry.to_json() + "\n")

    return _run(export())


def run_stats(args: argparse.Namespace) -> int:
    """``journal stats``."""
    journal = _open(args.path)

    async def stats() -> None:
        import dataclasses
        import json

        result = await journal.stats()
        if args.json:
            print(json.dumps(dataclasses.asdict(result)))
        else:
            print(format_stats(result))

    return _run(stats())


def text_line(entry: Any) -> str:
    """``OFFSET  ACCOUNT  HH:MM:SS.mmm  TYPE  summary``."""
    from .render import to_text_line

    if entry.type == "AccountSnapshot":
        snap = entry.message
        body = (
            f"{_clock(entry.received_at)}  {'AccountSnapshot':<22} {snap.reason}: "
            f"{len(snap.snapshot.balances)} balances, {len(snap.snapshot.positions)} positions, "
            f"{len(snap.snapshot.orders)} open orders (events after offset {snap.after_offset})"
        )
    else:
        body = to_text_line(entry.message, entry.received_at)
    return f"{entry.offset:>8}  {entry.account}  {body}"


def _clock(seconds: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(seconds)) + f".{int(seconds * 1000) % 1000:03d}"


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + "Z"


def format_stats(stats: Any) -> str:
    lines = [
        f"journal {stats.path}",
        f"  entries   {stats.entries}  (offsets {stats.oldest_offset or '-'} .. "
        f"{stats.newest_offset or '-'})",
        f"  oldest    {_when(stats.oldest_received_at)}",
        f"  newest    {_when(stats.newest_received_at)}",
        f"  size      {stats.file_bytes} bytes + WAL {stats.wal_bytes} bytes "
        f"({stats.data_bytes} bytes of data)",
        f"  writer    {stats.writer or 'none'}",
    ]
    for account, types in stats.by_account.items():
        lines.append(f"  account {account}: {sum(types.values())} entries, "
                     f"{stats.gaps.get(account, 0)} gaps")
        for type_name, count in sorted(types.items()):
            lines.append(f"    {type_name:<24} {count}")
    for name, offset in sorted(stats.consumers.items()):
        lines.append(f"  consumer {name}: committed through offset {offset}")
    return "\n".join(lines)
