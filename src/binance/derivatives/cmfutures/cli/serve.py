"""``cmfutures serve``: a worker streaming its share of the accounts into NATS JetStream.

Several ``serve`` processes (on several machines or IPs) share one accounts file and one NATS
server or cluster; each claims a fair share of the accounts, runs them in a StreamPool and
publishes every message to ``cmfutures.events.<account>``. SIGINT/SIGTERM hands the worker's
accounts over to the others (no gap) and exits 0. See ``docs/distributed.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from .config import add_connection_options
from .errors import CliError


def register(subparsers: Any) -> None:
    """Add the ``serve`` subcommand to ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run a worker: stream a share of the accounts into NATS JetStream",
        description=(
            "Claim a fair share of the accounts in --accounts-file (shared by every worker), "
            "stream them in a StreamPool and publish every message into the CMFUTURES "
            "JetStream stream. Accounts move to other workers when this one stops or dies. "
            "Needs the 'distributed' extra (nats-py)."
        ),
    )
    parser.add_argument("--nats", required=True, metavar="URL", help="nats://HOST:PORT[,...]")
    parser.add_argument(
        "--accounts-file", required=True, metavar="FILE",
        help="JSON Lines: id, api_key, secret_key or private_key_path (same for every worker)",
    )
    parser.add_argument(
        "--worker-id", metavar="ID", help="unique among live workers (default: HOST-PID)"
    )
    parser.add_argument(
        "--lease-ttl", type=float, default=10.0, metavar="SECONDS",
        help="a worker silent this long loses its accounts to the others (default 10)",
    )
    parser.add_argument(
        "--handover-max", type=float, default=300.0, metavar="SECONDS",
        help="stopping, hand accounts over for at most this long, then release the rest "
        "(default 300; give your process manager's stop timeout more)",
    )
    parser.add_argument(
        "--journal", metavar="PATH",
        help="also append every message to this local durable journal (SQLite)",
    )
    parser.add_argument(
        "--stream", default="CMFUTURES", metavar="NAME", help="the JetStream stream name"
    )
    add_connection_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; then hand the accounts over and return 0."""
    try:
        from ..distributed import JetStreamOptions, Worker, WorkerOptions
    except ImportError:  # pragma: no cover - the extra is missing
        raise CliError(
            "cmfutures serve needs nats-py: pip install 'binance-cmfutures[distributed]'"
        ) from None
    from ..accounts import InvalidAccountId
    from .pool_stream import hosts_from_args, load_accounts

    specs = load_accounts(args.accounts_file)
    accounts = {spec.id: spec.auth() for spec in specs}  # key errors now, as one line
    config = hosts_from_args(args)
    journal = None
    if args.journal:
        from .stream import _open_journal

        journal = _open_journal(args.journal)
    try:
        worker = Worker(
            config,
            accounts,
            args.nats,
            worker_id=args.worker_id,
            options=WorkerOptions(lease_ttl=args.lease_ttl, handover_max=args.handover_max),
            jetstream=JetStreamOptions(stream=args.stream),
            journal=journal,
        )
    except (InvalidAccountId, ValueError) as exc:
        raise CliError(str(exc)) from None
    asyncio.run(_serve(worker, args.nats))
    return 0


async def _serve(worker: Any, url: str) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, worker.stop)
    print(
        f"worker {worker.worker_id}: {len(worker.accounts)} accounts, NATS {url}",
        file=sys.stderr, flush=True,
    )
    try:
        await worker.run()
    except Exception as exc:
        if isinstance(exc, OSError) or type(exc).__module__.startswith("nats"):
            raise CliError(f"cannot reach NATS at {url}: {type(exc).__name__} {exc}", 5) from None
        raise
