"""``cmfutures``: the command line.

Subcommands live in their own modules and are imported only when chosen, so
``cmfutures --version`` and ``--help`` stay instant. Every failure a user can cause (missing
key, unreadable key file, wrong passphrase, rejected key, unreachable host, rate limit) ends
as one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .errors import EXIT_INTERRUPTED, describe_error

# subcommand name -> module that has `register(subparsers)`
_COMMANDS = {
    "demo": "demo",
    "stream": "stream",
    "listen-key": "listen_key",
    "simulate": "simulate",
}


def build_parser() -> argparse.ArgumentParser:
    """The full ``cmfutures`` argument parser."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="cmfutures",
        description="Binance COIN-M futures user data stream: demo, stream, listen keys, simulator",
    )
    parser.add_argument("--version", action="version", version=f"cmfutures {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _COMMANDS.values():
        module = importlib.import_module(f"{__package__}.{module_name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cmfutures`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # one clear line, no traceback: the CLI's promise
        message, code = describe_error(exc)
        print(f"cmfutures: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
