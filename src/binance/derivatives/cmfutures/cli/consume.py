"""``cmfutures consume``: read the workers' shared log (NATS JetStream) as lines on stdout.

Each line is a message as ``cmfutures stream`` prints it; with ``--json``, the JSON object
carries ``"account"`` beside Binance's wire fields. With ``--durable NAME`` a restarted
``consume`` resumes after the last message it printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from typing import Any

from .errors import CliError
from .render import to_text_line


def register(subparsers: Any) -> None:
    """Add the ``consume`` subcommand to ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "consume",
        help="print every account's messages from the workers' NATS JetStream log",
        description=(
            "Read the CMFUTURES JetStream stream that `cmfutures serve` workers publish into. "
            "Needs the 'distributed' extra (nats-py)."
        ),
    )
    parser.add_argument("--nats", required=True, metavar="URL", help="nats://HOST:PORT")
    parser.add_argument("--account", metavar="ID", help="only this account's messages")
    parser.add_argument(
        "--durable", metavar="NAME", help="a durable consumer name: resume where it stopped"
    )
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    parser.add_argument(
        "--stream", default="CMFUTURES", metavar="NAME", help="the JetStream stream name"
    )
    parser.add_argument(
        "--duration", type=float, metavar="SECONDS", help="stop after this many seconds"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print messages until interrupted or ``--duration`` passes; 0 on a clean stop."""
    try:
        from ..distributed import JetStreamConsumer, JetStreamOptions
    except ImportError:  # pragma: no cover - the extra is missing
        raise CliError(
            "cmfutures consume needs nats-py: pip install 'binance-cmfutures[distributed]'"
        ) from None
    from ..accounts import InvalidAccountId

    try:
        consumer = JetStreamConsumer(
            args.nats,
            durable=args.durable,
            account=args.account,
            options=JetStreamOptions(stream=args.stream),
        )
    except InvalidAccountId as exc:
        raise CliError(str(exc)) from None
    asyncio.run(_consume(consumer, args.nats, args.json, args.duration))
    return 0


async def _consume(consumer: Any, url: str, json_lines: bool, duration: float | None) -> None:
    from ..distributed.codec import encode_message

    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, main.cancel)

    async def pump() -> None:
        async for account, message in consumer:
            if json_lines:
                line = encode_message(account, message).decode()
            else:
                line = f"{account}  {to_text_line(message, time.time())}"
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
            await consumer.ack()  # printed is processed: a resumed consume starts after it

    try:
        await consumer.start()
    except Exception as exc:
        raise CliError(f"cannot reach NATS at {url}: {type(exc).__name__} {exc}", 5) from None
    try:
        with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
            await asyncio.wait_for(pump(), timeout=duration)
    finally:
        await consumer.close()

