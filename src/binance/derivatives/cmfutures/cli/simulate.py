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
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "accounts_from_env",
    "parse_account",
    "parse_account_file",
    "parse_setting",
    "register",
    "run",
]

MAX_ACCOUNT_FILE = 1 << 20
ARGV_SECRET_WARNING = (
    "cmfutures simulate: warning: --account KEY:SECRET puts the secret in the process list; "
    "prefer --account-file FILE or --account-env"
)

_KEY_KINDS = {"ed25519": "ed25519_public_key", "rsa": "rsa_public_key"}


class SimulateError(ValueError):
    """A bad ``simulate`` argument; the message names the problem and the fix."""


def parse_account(spec: str) -> dict[str, Any]:
    """``KEY:SECRET``, ``KEY:ed25519:PUBLIC.pem`` or ``KEY:rsa:PUBLIC.pem`` -> add_account kwargs.

    :raises SimulateError: malformed spec or unreadable key file (the message never contains
        the secret).
    """
    api_key, sep, rest = spec.partition(":")
    if not sep or not api_key or not rest:
        raise SimulateError(
            "--account takes KEY:SECRET, KEY:ed25519:PUBLIC.pem or KEY:rsa:PUBLIC.pem"
        )
    kind, sep, path = rest.partition(":")
    if sep and kind.lower() in _KEY_KINDS:
        try:
            pem = Path(path).read_bytes()
        except OSError as exc:
            raise SimulateError(
                f"--account: cannot read {kind} public key file {path!r}: {exc.strerror}"
            ) from None
        return {"api_key": api_key, _KEY_KINDS[kind.lower()]: pem}
    return {"api_key": api_key, "secret_key": rest}


def _public_pem_from_private(path: Path, passphrase: str | None, where: str) -> dict[str, Any]:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    try:
        data = _read_small(path)
    except OSError as exc:
        raise SimulateError(f"{where}: cannot read private key file {str(path)!r}: "
                            f"{exc.strerror or exc}") from None
    password = passphrase.encode() if passphrase else None
    loaders = (
        serialization.load_pem_private_key,
        serialization.load_der_private_key,
        serialization.load_ssh_private_key,
    )
    key: Any = None
    for load in loaders:
        try:
            key = load(data, password)
            break
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
    if key is None:
        raise SimulateError(
            f"{where}: {str(path)!r} is not a readable RSA or Ed25519 private key (wrong or "
            "missing private_key_passphrase?)"
        )
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return {"ed25519_public_key": pem}
    if isinstance(key, rsa.RSAPrivateKey):
        return {"rsa_public_key": pem}
    raise SimulateError(f"{where}: {str(path)!r} is neither an RSA nor an Ed25519 key")


def _read_small(path: Path) -> bytes:
    if not path.is_file():
        raise OSError(0, "not a regular file")
    with path.open("rb") as handle:
        data = handle.read(MAX_ACCOUNT_FILE + 1)
    if len(data) > MAX_ACCOUNT_FILE:
        raise OSError(0, f"larger than {MAX_ACCOUNT_FILE} bytes")
    return data


def _account_from_fields(fields: dict[str, Any], where: str, base: Path) -> dict[str, Any]:
    api_key = fields.get("api_key")
    if not isinstance(api_key, str) or not api_key:
        raise SimulateError(f"{where}: 'api_key' (a string) is required")
    sources = [k for k in ("secret_key", "private_key_path", "public_key_path") if fields.get(k)]
    if len(sources) != 1:
        raise SimulateError(
            f"{where}: give exactly one of secret_key, private_key_path, public_key_path"
        )
    account: dict[str, Any] = {"api_key": api_key}
    source = sources[0]
    value = fields[source]
    if not isinstance(value, str):
        raise SimulateError(f"{where}: '{source}' must be a string")
    if source == "secret_key":
        account["secret_key"] = value
    elif source == "private_key_path":
        passphrase = fields.get("private_key_passphrase")
        if passphrase is not None and not isinstance(passphrase, str):
            raise SimulateError(f"{where}: 'private_key_passphrase' must be a string")
        account.update(_public_pem_from_private(base / value, passphrase, where))
    else:
        from ..simulator.auth import load_public_key

        try:
            pem = _read_small(base / value)
            kind = load_public_key(pem).kind
        except OSError as exc:
            raise SimulateError(f"{where}: cannot read public key file {value!r}: "
                                f"{exc.strerror or exc}") from None
        except ValueError as exc:
            raise SimulateError(f"{where}: {exc}") from None
        account[_KEY_KINDS[kind.lower()]] = pem
    for extra in ("balances", "hedge_mode"):
        if extra in fields:
            account[extra] = fields[extra]
    return account


def parse_account_file(path: str) -> list[dict[str, Any]]:
    """Accounts from a JSON Lines file, one object a line (blank lines and ``#`` comments
    skipped): ``api_key`` and one of ``secret_key`` (HMAC), ``private_key_path`` (RSA or
    Ed25519 private key; the simulator keeps only its public half; with
    ``private_key_passphrase`` if encrypted) or ``public_key_path``; optional ``balances``
    and ``hedge_mode``; ``id`` and other fields are ignored. Relative key paths are relative
    to the file.

    :raises SimulateError: unreadable file, bad JSON or fields (never echoing a secret).
    """
    file = Path(path)
    try:
        text = _read_small(file).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SimulateError(f"--account-file: cannot read {path!r}: {reason}") from None
    accounts = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"--account-file {path}:{number}"
        try:
            fields = json.loads(line)
        except ValueError:
            raise SimulateError(f"{where}: not a JSON object") from None
        if not isinstance(fields, dict):
            raise SimulateError(f"{where}: not a JSON object")
        accounts.append(_account_from_fields(fields, where, file.parent))
    if not accounts:
        raise SimulateError(f"--account-file: {path!r} has no accounts")
    return accounts


def accounts_from_env(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The account named by ``BINANCE_API_KEY`` + ``BINANCE_SECRET_KEY`` (HMAC) or
    ``BINANCE_PRIVATE_KEY_PATH`` (+ ``BINANCE_PRIVATE_KEY_PASSPHRASE``), as the client reads
    them, so that one environment serves both the simulator and the program under test.

    :raises SimulateError: a variable is missing, or both key sources are set.
    """
    env = os.environ if environ is None else environ
    fields: dict[str, Any] = {
        "api_key": env.get("BINANCE_API_KEY", ""),
        "secret_key": env.get("BINANCE_SECRET_KEY") or None,
        "private_key_path": env.get("BINANCE_PRIVATE_KEY_PATH") or None,
        "private_key_passphrase": env.get("BINANCE_PRIVATE_KEY_PASSPHRASE") or None,
    }
    if not fields["api_key"]:
        raise SimulateError("--account-env: BINANCE_API_KEY is not set")
    if fields["secret_key"] is None and fields["private_key_path"] is None:
        raise SimulateError(
            "--account-env: set BINANCE_SECRET_KEY (HMAC) or BINANCE_PRIVATE_KEY_PATH"
        )
    return _account_from_fields(fields, "--account-env", Path.cwd())


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
    clock = ManualClock() if args.manual_clock else SystemClock()
    try:
        return Simulator(
            clock=clock, host=args.host, port=args.port, seed=args.seed,
            options=options, accounts=accounts or None,
        )
    except ValueError as exc:
        raise SimulateError(f"--account: {exc}") from None


async def _serve(sim: Any, stop: asyncio.Event) -> None:
    async with sim:
        print(f"rest: {sim.rest_url}", flush=True)
        print(f"ws: {sim.stream_url}", flush=True)
        print(f"token: {sim.control_token}", flush=True)
        print(f"control: {sim.rest_url}/_sim (Authorization: Bearer TOKEN)", flush=True)
        for account in sim.accounts:
            print(f"account: {account.alias} ({account.key_type})", flush=True)
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
        await _serve(sim, stop)

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
