"""``cmfutures simulate``: run the offline exchange until interrupted.

Prints (and flushes) ``rest: http://HOST:PORT`` then ``ws: ws://HOST:PORT`` as its first two
lines, then ``token: TOKEN`` (the per-run secret the ``/_sim`` control path requires as
``Authorization: Bearer TOKEN``), the control URL and the accounts (aliases only: keys are
never printed). Runs on real time unless ``--manual-clock`` (then time moves with
``POST /_sim/advance``). SIGINT or SIGTERM stops it with exit code 0. Bad arguments end as
one line on stderr.

Accounts: by default one HMAC account whose key and secret are drawn at random on every run
(read them with ``GET /_sim/accounts?keys=true``). ``--account-file FILE`` (JSON Lines,
the accounts-file format) and ``--account-env`` (``BINANCE_API_KEY`` with
``BINANCE_SECRET_KEY`` or ``BINANCE_PRIVATE_KEY_PATH``) bring your own keys without putting
them on the command line; ``--account KEY:SECRET`` still works but warns (``ps`` shows it
to every user of the machine).

Runnable on its own: ``python -m binance.derivatives.cmfutures.cli.simulate --port 0``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import signal
import sys
from collections.abc import Sequence
from typing import Any

from .sim_accounts import (
    ARGV_SECRET_WARNING,
    SimulateError,
    accounts_from_env,
    parse_account,
    parse_account_file,
)

__all__ = [
    "accounts_from_env",
    "parse_account",
    "parse_account_file",
    "parse_setting",
    "register",
    "run",
]

def parse_setting(spec: str) -> tuple[str, Any]:
    """``NAME=VALUE`` for a :class:`SimulatorOptions` field, converted to the field's type.

    :raises SimulateError: unknown name or a value of the wrong type.
    """
    from ..simulator.sim_options import SimulatorOptions

    name, sep, value = spec.partition("=")
    fields = {f.name: f for f in dataclasses.fields(SimulatorOptions)}
    fields.pop("engine_options", None)
    if not sep or name not in fields:
        raise SimulateError(f"--set takes NAME=VALUE with NAME one of: {', '.join(sorted(fields))}")
    default = getattr(SimulatorOptions(), name)
    try:
        if isinstance(default, bool):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return name, value.lower() in ("true", "1", "yes")
        if isinstance(default, int):
            return name, int(value)
        if isinstance(default, float) or default is None:
            return name, None if value.lower() == "none" else float(value)
    except ValueError:
        raise SimulateError(
            f"--set {name}: {value!r} is not a valid {type(default).__name__}"
        ) from None
    return name, value


def register(subparsers: Any) -> None:
    """Add the ``simulate`` subcommand to ``cmfutures``' subparsers."""
    parser = subparsers.add_parser(
        "simulate",
        help="run the offline exchange (REST + user data stream) on this machine",
        description=(
            "Run a local Binance COIN-M REST + user data stream simulator until interrupted. "
            "Prints 'rest: URL', 'ws: URL' and 'token: TOKEN' (the /_sim control token) "
            "first. Loopback only unless --host is given."
        ),
    )
    _add_arguments(parser)
    parser.set_defaults(func=run)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one")
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="SPEC",
        help="KEY:SECRET (HMAC; warns: the secret shows in ps), KEY:ed25519:PUBLIC.pem or "
        "KEY:rsa:PUBLIC.pem; repeatable. Default: one account with keys drawn at random on "
        "every run (GET /_sim/accounts?keys=true with the token shows them)",
    )
    parser.add_argument(
        "--account-file",
        action="append",
        default=[],
        metavar="FILE",
        help="accounts from a JSON Lines file (api_key + secret_key / private_key_path / "
        "public_key_path per line); repeatable",
    )
    parser.add_argument(
        "--account-env",
        action="store_true",
        help="an account from BINANCE_API_KEY + BINANCE_SECRET_KEY or BINANCE_PRIVATE_KEY_PATH",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="reproducible run: keys, listen keys and prices from this seed (default: keys "
        "drawn at random, prices from seed 0)",
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=None,
        metavar="N",
        help="create N accounts with random HMAC keys (in addition to any --account)",
    )
    parser.add_argument(
        "--accounts-out",
        metavar="FILE",
        help="write every HMAC account to FILE as JSON Lines {id, api_key, secret_key} "
        "(id = the simulator alias; mode 600), the format of 'cmfutures stream --accounts-file'",
    )
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument(
        "--real-time", dest="manual_clock", action="store_false", help="real time (default)"
    )
    clock.add_argument(
        "--manual-clock",
        dest="manual_clock",
        action="store_true",
        help="simulated time that moves only with POST /_sim/advance",
    )
    parser.set_defaults(manual_clock=False)
    parser.add_argument(
        "--random-walk",
        type=float,
        default=None,
        metavar="SECONDS",
        help="move mark prices by a seeded random walk every SECONDS of clock time",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a SimulatorOptions switch, e.g. --set expired_event_time=number",
    )


def _build(args: argparse.Namespace) -> Any:
    from ..clock import ManualClock, SystemClock
    from ..simulator.sim_options import SimulatorOptions
    from ..simulator.simulator import Simulator

    if not 0 <= args.port <= 65535:
        raise SimulateError(f"--port must be 0-65535, got {args.port}")
    if args.random_walk is not None and args.random_walk <= 0:
        raise SimulateError("--random-walk takes a positive number of seconds")
    settings = dict(parse_setting(s) for s in args.set)
    if args.random_walk is not None:
        settings["random_walk_interval"] = args.random_walk
    try:
        options = SimulatorOptions(**settings)
    except ValueError as exc:
        raise SimulateError(f"--set: {exc}") from None
    accounts: list[dict[str, Any]] = []
    if args.account_env:
        accounts.append(accounts_from_env())
    for path in args.account_file:
        accounts.extend(parse_account_file(path))
    accounts.extend(parse_account(spec) for spec in args.account)
    if any(a.get("secret_key") for a in map(parse_account, args.account)):
        print(ARGV_SECRET_WARNING, file=sys.stderr, flush=True)
    count = getattr(args, "accounts", None)
    if count is not None:
        if not 1 <= count <= 100_000:
            raise SimulateError(f"--accounts takes a number from 1 to 100000, got {count}")
        accounts += [{} for _ in range(count)]
    clock = ManualClock() if args.manual_clock else SystemClock()
    try:
        return Simulator(
            clock=clock, host=args.host, port=args.port, seed=args.seed,
            options=options, accounts=accounts or None,
        )
    except ValueError as exc:
        raise SimulateError(f"--account: {exc}") from None


def write_accounts(sim: Any, path: str) -> int:
    """Write the simulator's HMAC accounts to ``path`` as an accounts file; return how many."""
    from ..pool.accounts_file import AccountSpec, write_accounts_file

    specs = [
        AccountSpec(a.alias, a.api_key, a.secret_key)
        for a in sim.accounts
        if a.secret_key is not None
    ]
    write_accounts_file(path, specs)
    return len(specs)


async def _serve(sim: Any, stop: asyncio.Event, accounts_out: str | None = None) -> None:
    async with sim:
        written = write_accounts(sim, accounts_out) if accounts_out else 0
        print(f"rest: {sim.rest_url}", flush=True)
        print(f"ws: {sim.stream_url}", flush=True)
        print(f"token: {sim.control_token}", flush=True)
        print(f"control: {sim.rest_url}/_sim (Authorization: Bearer TOKEN)", flush=True)
        accounts = list(sim.accounts)
        if len(accounts) <= 20:
            for account in accounts:
                print(f"account: {account.alias} ({account.key_type})", flush=True)
        else:
            print(f"accounts: {len(accounts)}", flush=True)
        if accounts_out:
            print(f"accounts-out: {accounts_out} ({written} accounts)", flush=True)
        await stop.wait()


def run(args: argparse.Namespace) -> int:
    """Handler of ``cmfutures simulate``: serve until SIGINT/SIGTERM; return 0.

    :raises SimulateError: bad arguments. :raises RuntimeError: the port cannot be bound.
    """
    sim = _build(args)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await _serve(sim, stop, getattr(args, "accounts_out", None))

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry point (``python -m ...cli.simulate``)."""
    parser = argparse.ArgumentParser(prog="cmfutures simulate")
    _add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (ValueError, RuntimeError, OSError) as exc:
        text = str(exc).strip().splitlines()
        print(f"cmfutures simulate: error: {text[0] if text else type(exc).__name__}",
              file=sys.stderr)
        return 3 if isinstance(exc, ValueError) else 1


if __name__ == "__main__":
    sys.exit(main())
