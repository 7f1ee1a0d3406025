"""``cmfutures``: the command line.

Subcommands live in their own modules and are imported only when chosen, so
``cmfutures --version`` and ``--help`` stay instant. Every failure a user can cause (missing
key, unreadable key file, wrong passphrase, rejected key, unreachable host, rate limit) ends
as one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from .errors import EXIT_INTERRUPTED, describe_error

# subcommand name -> module that has `register(subparsers)`
_COMMANDS = {
    "demo": "demo",
    "stream": "stream",
    "listen-key": "listen_key",
    "simulate": "simulate",
    "journal": "journal",
    "serve": "serve",
    "consume": "consume",
}


def build_parser() -> argparse.ArgumentParser:
    """The full ``cmfutures`` argument parser."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="cmfutures",
        description="Binance COIN-M futures user data stream: demo, stream, listen keys, simulator",
    )
    parser.add_argument("--version", action="version", version=f"cmfutures {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log the library's decisions to stderr (-v info, -vv debug); never logs secrets",
    )
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
    _configure_logging(args.verbose)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # one clear line, no traceback: the CLI's promise
        message, code = describe_error(exc)
        print(f"cmfutures: error: {message}", file=sys.stderr)
    return code


def _configure_logging(verbosity: int) -> None:
    """Quiet by default: gaps and renewals are in-band events and errors end as one line.

    ``-v`` shows the library's info log, ``-vv`` its debug log, on stderr. The warning about
    a plain ``http://``/``ws://`` host that is not loopback is shown even when quiet.
    """
    logger = logging.getLogger("binance.derivatives.cmfutures")
    if verbosity <= 0:
        logger.setLevel(logging.CRITICAL + 1)
        _show_plaintext_warnings(quiet=True)
        return
    _show_plaintext_warnings(quiet=False)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)



def _show_plaintext_warnings(quiet: bool) -> None:
    """When ``quiet``, print the plain-text-host warning on stderr as ``cmfutures: warning:``;
    otherwise let it flow to the package logger like every other record."""
    from ..base_url import PLAINTEXT_LOGGER

    warner = logging.getLogger(PLAINTEXT_LOGGER)
    for handler in [h for h in warner.handlers if getattr(h, "_cmfutures_cli", False)]:
        warner.removeHandler(handler)
    warner.propagate = not quiet
    if quiet:
        warner.setLevel(logging.WARNING)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("cmfutures: warning: %(message)s"))
        handler._cmfutures_cli = True  # type: ignore[attr-defined]
        warner.addHandler(handler)
    else:
        warner.setLevel(logging.NOTSET)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
