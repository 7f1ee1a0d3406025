"""``cmfutures listen-key create|keepalive|close``: the three seed calls from a terminal."""

from __future__ import annotations

import argparse
from typing import Any

from .config import add_connection_options, configuration_from_args


def register(subparsers: Any) -> None:
    """Add the ``listen-key`` subcommand to ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "listen-key",
        help="create, keep alive or close the account's listen key",
        description=(
            "Manage the account's listen key over REST. `create` prints the key (it returns and "
            "extends the active key if there is one); `keepalive` extends it by 60 minutes; "
            "`close` deletes it."
        ),
    )
    parser.add_argument("action", choices=("create", "keepalive", "close"))
    add_connection_options(parser, stream=False)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run one listen-key call and print its outcome on one line."""
    from ..api.user_data_streams_api import UserDataStreamsApi
    from ..api_client import ApiClient

    config = configuration_from_args(args)
    with ApiClient(config) as client:
        api = UserDataStreamsApi(client)
        if args.action == "create":
            print(api.cmfutures_create_listen_key_v1().listen_key)
        elif args.action == "keepalive":
            api.cmfutures_update_listen_key_v1()
            print("listen key extended by 60 minutes")
        else:
            api.cmfutures_delete_listen_key_v1()
            print("listen key closed")
    return 0
