"""Building a :class:`Configuration` from the environment and the common CLI options.

Keys come from the environment only (never from the command line, where they would land in
shell history and ``ps``): ``BINANCE_API_KEY`` plus ``BINANCE_SECRET_KEY`` (HMAC) or
``BINANCE_PRIVATE_KEY_PATH`` (RSA / Ed25519, with ``BINANCE_PRIVATE_KEY_PASSPHRASE`` if it is
encrypted). Hosts: ``--host`` / ``--stream-host`` override ``--testnet``, which overrides
``BINANCE_CMFUTURES_HOST`` / ``BINANCE_CMFUTURES_STREAM_HOST``, which override production.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from .errors import CliError

if TYPE_CHECKING:
    from ..configuration import Configuration


def add_connection_options(parser: argparse.ArgumentParser, *, stream: bool = True) -> None:
    """Add ``--testnet``, ``--host`` and (if ``stream``) ``--stream-host`` to ``parser``."""
    parser.add_argument(
        "--testnet", action="store_true", help="use the Binance futures testnet hosts"
    )
    parser.add_argument("--host", metavar="URL", help="REST base URL, e.g. http://127.0.0.1:8080")
    if stream:
        parser.add_argument(
            "--stream-host", metavar="URL", help="WebSocket base URL, e.g. ws://127.0.0.1:8080"
        )


def configuration_from_args(args: argparse.Namespace) -> Configuration:
    """A Configuration with auth from the environment and hosts from ``args``.

    :raises CliError: if ``BINANCE_API_KEY`` or a key source is missing.
    :raises ValueError: (from :class:`BinanceAuth` or :class:`Configuration`) if the key file
        is unreadable, the passphrase is wrong, a key contains a control character or a host
        URL is unusable; the message names the problem and the fix (exit code 3).
    """
    from ..configuration import Configuration
    from ..signing import BinanceAuth

    api_key = os.environ.get("BINANCE_API_KEY", "")
    secret = os.environ.get("BINANCE_SECRET_KEY") or None
    key_path = os.environ.get("BINANCE_PRIVATE_KEY_PATH") or None
    passphrase = os.environ.get("BINANCE_PRIVATE_KEY_PASSPHRASE") or None
    if not api_key:
        raise CliError(
            "BINANCE_API_KEY is not set: export your API key, plus BINANCE_SECRET_KEY (HMAC) "
            "or BINANCE_PRIVATE_KEY_PATH (RSA/Ed25519)"
        )
    if secret is None and key_path is None:
        raise CliError(
            "no signing key: set BINANCE_SECRET_KEY (HMAC) or BINANCE_PRIVATE_KEY_PATH "
            "(RSA/Ed25519 private key file)"
        )
    if secret is not None and key_path is not None:
        raise CliError(
            "both BINANCE_SECRET_KEY and BINANCE_PRIVATE_KEY_PATH are set: unset one of them"
        )
    auth = BinanceAuth(
        api_key=api_key, secret_key=secret, private_key_path=key_path, passphrase=passphrase
    )
    from ..configuration import TESTNET_HOST, TESTNET_STREAM_HOST

    # Hosts go to the constructor (not assigned afterwards), so only the hosts actually used
    # are checked for plain text (an overridden environment variable draws no warning).
    host = args.host or (TESTNET_HOST if args.testnet else None)
    stream_host = getattr(args, "stream_host", None) or (
        TESTNET_STREAM_HOST if args.testnet else None
    )
    return Configuration(auth=auth, host=host, stream_host=stream_host)
