"""The :class:`Simulator`: one aiohttp server (REST + WebSocket) around the account engine.

Usage::

    async with Simulator() as sim:               # ManualClock, 127.0.0.1, ephemeral port
        cfg = sim.configuration()                # Configuration for the default account
        ...
        await sim.advance(3600)                  # the listen key expires; pings flow

Everything timed (listen-key expiry, pings, pong timeout, 24 h cut, rate-limit windows,
random walk) runs on :attr:`Simulator.clock`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from ..clock import Clock, ManualClock
from ..events import ListenKeyExpired, UnknownEvent, encode_event
from .auth import API_KEY_PATTERN, Credential, load_public_key
from .engine import Exchange
from .faults import FaultRecord, Faults
from .listen_keys import KEY_ALPHABET, ListenKey, ListenKeyRegistry
from .rate_limit import OrderCounter, WeightLimiter
from .sim_options import EmittedEvent, SimAccount, SimulatorOptions
from .state import AccountState
from .websocket import ConnectionHub

if TYPE_CHECKING:
    from ..configuration import Configuration

__all__ = ["Simulator"]

_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")


class _AccountRecord:
    __slots__ = ("account", "credential", "orders")

    def __init__(self, account: SimAccount, credential: Credential, orders: OrderCounter) -> None:
        self.account = account
        self.credential = credential
        self.orders = orders


class Simulator:
    """An offline Binance COIN-M REST + user data stream exchange, on one loopback port.

    :param clock: the time source; default a new :class:`ManualClock` (time moves only with
        :meth:`advance`). Use :class:`~..clock.SystemClock` for real time.
    :param host: interface to bind; loopback by default.
    :param port: TCP port; 0 picks a free one (see :attr:`port` after start).
    :param seed: makes the simulation reproducible: with a seed, the API keys, secrets and
        listen keys it draws and the engine's random walk are the same on every run (for
        tests). Without one (None, the default) keys, secrets and listen keys come from
        :mod:`secrets`, different on every run, and the engine uses seed 0.
    :param options: behaviour switches, see :class:`SimulatorOptions`.
    :param accounts: accounts to create, each a mapping of :meth:`add_account` keyword
        arguments; the first becomes :attr:`account`. Default: one HMAC account with random
        keys and the engine's default balances.
    :param control_token: the secret the HTTP control path ``/_sim`` requires
        (``Authorization: Bearer TOKEN``, see :mod:`.control`); default: a new random one
        per simulator (:attr:`control_token`).

    :raises OSError: from ``__aenter__`` if the address cannot be bound.
    """

    exchange: Exchange
    """The account engine (pure, no I/O): orders, fills, margin, funding, mark prices."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
        options: SimulatorOptions | None = None,
        accounts: Iterable[Mapping[str, Any]] | None = None,
        control_token: str | None = None,
    ) -> None:
        if control_token is not None and not _TOKEN_PATTERN.fullmatch(control_token):
            raise ValueError("control_token must be 16-128 characters [A-Za-z0-9_-]")
        self.control_token: str = (
            control_token if control_token is not None else secrets.token_urlsafe(32)
        )
        self.clock: Clock = clock if clock is not None else ManualClock()
        self.host = host
        self.port = port
        self.seed = seed
        self.options = options if options is not None else SimulatorOptions()
        # credentials and listen keys are secrets: unpredictable unless a seed is asked for
        self._rng: random.Random = (
            random.Random(f"cmfutures-simulator:{seed}") if seed is not None
            else random.SystemRandom()
        )
        self.listen_keys = ListenKeyRegistry(
            random.Random(f"cmfutures-listen-keys:{seed}") if seed is not None
            else random.SystemRandom(),
            self.options.listen_key_lifetime,
        )
        self.limiter = WeightLimiter(
            self.options.weight_limit, 60.0, self.options.ban_seconds
        )
        self.hub = ConnectionHub(
            self.clock,
            self.options,
            key_is_live=self._key_is_live,
            dead_key_frame=self._dead_key_frame,
        )
        self.faults = Faults(self)
        self._accounts: dict[str, _AccountRecord] = {}
        self._emitted: list[tuple[str | None, EmittedEvent]] = []
        self._seq = 0
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self.exchange = Exchange(
            self.now_ms,
            random.Random(f"cmfutures-engine:{seed if seed is not None else 0}"),
            self.options.engine_options,
        )
        self.exchange.on_event = self._on_engine_event
        specs = list(accounts) if accounts is not None else [{}]
        if not specs:
            raise ValueError("accounts= must name at least one account (or be None)")
        for spec in specs:
            self.add_account(**spec)

    def __repr__(self) -> str:
        where = f"{self.host}:{self.port}" if self._runner else "not started"
        return f"Simulator({where}, accounts={len(self._accounts)}, clock={self.clock!r})"

    # ------------------------------------------------------------------ engine

    def now_ms(self) -> int:
        """The clock's time in integer milliseconds, rounded to the *nearest* millisecond.

        Rounded, not truncated: a :class:`ManualClock`'s float sums fall just short of the
        intended instant (``T0 + 0.1 + 0.1`` reads ``...199.9998`` ms), and truncating would
        stamp them a millisecond early. On a real clock this is up to 0.5 ms ahead of
        ``int(time.time() * 1000)``: bound a server time by ``now_ms()`` readings, not by that.
        """
        return round(self.clock.time() * 1000)

    # ------------------------------------------------------------------ accounts

    def _random_key(self) -> str:
        return "".join(self._rng.choice(KEY_ALPHABET) for _ in range(64))

    def add_account(
        self,
        api_key: str | None = None,
        secret_key: str | None = None,
        *,
        ed25519_public_key: bytes | str | None = None,
        rsa_public_key: bytes | str | None = None,
        balances: Mapping[str, Decimal | str | int] | None = None,
        hedge_mode: bool = False,
    ) -> SimAccount:
        """Create an account and return it.

        Without key material it is an HMAC account with a random secret. Give
        ``ed25519_public_key`` or ``rsa_public_key`` (PEM) for an asymmetric-key account; the
        caller keeps the private key.

        :raises ValueError: duplicate or malformed API key (must be ``[A-Za-z0-9]{1,128}``),
            more than one kind of key material, a PEM that is not the named key type.
        """
        if sum(x is not None for x in (secret_key, ed25519_public_key, rsa_public_key)) > 1:
            raise ValueError("give at most one of secret_key, ed25519_public_key, rsa_public_key")
        if api_key is None:
            api_key = self._random_key()
        if not API_KEY_PATTERN.fullmatch(api_key):
            raise ValueError("api_key must be 1-128 characters [A-Za-z0-9] (as Binance issues)")
        if api_key in self._accounts:
            raise ValueError("an account with this api_key already exists")
        credential: Credential
        kind: Literal["HMAC", "RSA", "ED25519"]
        if ed25519_public_key is not None or rsa_public_key is not None:
            pem = ed25519_public_key if ed25519_public_key is not None else rsa_public_key
            assert pem is not None
            credential = load_public_key(pem)
            expected = "ED25519" if ed25519_public_key is not None else "RSA"
            if credential.kind != expected:
                raise ValueError(
                    f"the PEM given as {expected} public key is a {credential.kind} key"
                )
            kind = credential.kind
            secret_key = None
        else:
            if secret_key is None:
                secret_key = self._random_key()
            if not secret_key:
                raise ValueError("secret_key must not be empty")
            credential = Credential("HMAC", secret=secret_key)
            kind = "HMAC"
        alias = self._register_in_engine(api_key, balances, hedge_mode)
        account = SimAccount(api_key, secret_key, alias, kind)
        self._accounts[api_key] = _AccountRecord(
            account,
            credential,
            OrderCounter(self.options.orders_per_10s, self.options.orders_per_minute),
        )
        return account

    def _register_in_engine(
        self, api_key: str, balances: Mapping[str, Any] | None, hedge_mode: bool
    ) -> str:
        converted = (
            {asset: Decimal(str(amount)) for asset, amount in balances.items()}
            if balances is not None
            else None
        )
        created = self.exchange.add_account(api_key, balances=converted, hedge_mode=hedge_mode)
        return str(created.alias)

    @property
    def account(self) -> SimAccount:
        """The default account (the first one created)."""
        return next(iter(self._accounts.values())).account

    @property
    def accounts(self) -> list[SimAccount]:
        """Every account, in creation order."""
        return [record.account for record in self._accounts.values()]

    def resolve(self, account: SimAccount | str | None) -> SimAccount:
        """The account for a :class:`SimAccount`, an API key or an alias (None: default).

        :raises KeyError: no such account.
        """
        if account is None:
            return self.account
        if isinstance(account, SimAccount):
            account = account.api_key
        record = self._accounts.get(account)
        if record is not None:
            return record.account
        for record in self._accounts.values():
            if record.account.alias == account:
                return record.account
        raise KeyError("no such simulator account (give a SimAccount, API key or alias)")

    def credential(self, api_key: str) -> Credential | None:
        """The verification credential for ``api_key``, or None if unknown."""
        record = self._accounts.get(api_key)
        return record.credential if record else None

    def order_counter(self, api_key: str) -> OrderCounter:
        return self._accounts[api_key].orders

    def has_api_key(self, api_key: str) -> bool:
        return api_key in self._accounts

    # ------------------------------------------------------------------ listen keys

    def _key_is_live(self, key: str) -> bool:
        record = self.listen_keys.lookup(key)
        return record is not None and record.state == "active" and (
            record.expires_at > self.clock.time()
        )

    def listen_key(self, account: SimAccount | str | None = None) -> str | None:
        """The account's active listen key, or None."""
        record = self.listen_keys.active(self.resolve(account).api_key, self.clock.time())
        return record.key if record else None

    def create_listen_key(self, api_key: str) -> str:
        """POST semantics (used by the REST handler)."""
        self.sweep()
        record, created = self.listen_keys.create(api_key, self.clock.time())
        if created:
            self._wake.set()
        return record.key

    def keepalive_listen_key(self, api_key: str) -> str:
        """PUT semantics. :raises NoActiveListenKey:"""
        self.sweep()
        return self.listen_keys.keepalive(api_key, self.clock.time()).key

    def delete_listen_key(self, api_key: str) -> None:
        """DELETE semantics; connections on the key react per ``options.on_delete``."""
        self.sweep()
        record = self.listen_keys.delete(api_key, self.clock.time())
        mode = self.options.on_delete
        if mode == "expired_event":
            emitted = self._record_expired(record)
            self.hub.end_key(record.key, emitted.raw, close=self.options.close_after_expired,
                             on_sent=emitted.received)
        else:
            self.hub.end_key(record.key, None, close=mode == "close")

    def expire_listen_key_now(self, account: SimAccount | str | None) -> str | None:
        """Expire the account's active key immediately (fault)."""
        self.sweep()
        record = self.listen_keys.expire_now(self.resolve(account).api_key, self.clock.time())
        if record is None:
            return None
        self._key_expired(record)
        return record.key

    def sweep(self) -> None:
        """Expire every key whose time has come (pushing ``listenKeyExpired``)."""
        for record in self.listen_keys.expire_due(self.clock.time()):
            self._key_expired(record)

    def _key_expired(self, record: ListenKey) -> None:
        emitted = self._record_expired(record)
        self.hub.end_key(record.key, emitted.raw, close=self.options.close_after_expired,
                         on_sent=emitted.received)

    def _expired_raw(self, key: str) -> tuple[ListenKeyExpired, bytes]:
        now_ms = self.now_ms()
        body: dict[str, Any] = {
            "e": "listenKeyExpired",
            "E": str(now_ms) if self.options.expired_event_time == "string" else now_ms,
        }
        if self.options.expired_include_listen_key:
            body["listenKey"] = key
        event = ListenKeyExpired(
            event_time=now_ms, listen_key=key if self.options.expired_include_listen_key else None
        )
        return event, json.dumps(body, separators=(",", ":")).encode()

    def _record_expired(self, record: ListenKey) -> EmittedEvent:
        event, raw = self._expired_raw(record.key)
        return self._record(record.api_key, record.key, event, raw)

    def _dead_key_frame(self, key: str) -> bytes:
        _, raw = self._expired_raw(key)
        return raw

    # ------------------------------------------------------------------ emission

    def _record(
        self,
        api_key: str | None,
        key: str | None,
        event: Any,
        raw: bytes,
        *,
        dropped: bool = False,
        duplicated: bool = False,
        injected: bool = False,
    ) -> EmittedEvent:
        self._seq += 1
        alias = ""
        if api_key is not None and api_key in self._accounts:
            alias = self._accounts[api_key].account.alias
        emitted = EmittedEvent(self._seq, self.clock.time(), key, event, raw, alias,
                               dropped=dropped, duplicated=duplicated, injected=injected)
        self._emitted.append((api_key, emitted))
        return emitted

    def _on_engine_event(self, api_key: str, event: Any) -> None:
        self.emit(api_key, event, encode_event(event))

    def emit(self, api_key: str, event: Any, raw: bytes) -> EmittedEvent:
        """Record ``event`` for the account and deliver it on its active key (if any)."""
        self.sweep()
        record = self.listen_keys.active(api_key, self.clock.time())
        key = record.key if record else None
        fault = self.faults.take_event_fault()
        emitted = self._record(
            api_key, key, event, raw, dropped=fault == "drop", duplicated=fault == "duplicate"
        )
        if key is not None and fault != "drop":
            self.hub.deliver(key, raw, copies=2 if fault == "duplicate" else 1,
                             on_sent=emitted.received)
        return emitted

    def inject_frame(
        self, kind: Literal["malformed", "unknown"], account: SimAccount | str | None,
        *, event_type: str = "SIM_UNKNOWN_EVENT",
    ) -> int:
        """Send a malformed frame or an unknown event type on live keys (fault helper)."""
        self.sweep()
        if account is None:
            keys = {k for c in self.hub.select(None) for k, live in c.subscriptions.items() if live}
        else:
            key = self.listen_key(account)
            keys = {key} if key else set()
        count = 0
        now_ms = self.now_ms()
        for key in sorted(keys):
            record = self.listen_keys.lookup(key)
            api_key = record.api_key if record else None
            alias = self._accounts[api_key].account.alias if api_key in self._accounts else ""
            event: Any
            if kind == "malformed":
                raw = b'{"e":"ORDER_TRADE_UPDATE","E":' + str(now_ms).encode() + b',"o":{"s":'
                event = None
            else:
                payload = {"e": event_type, "E": now_ms, "T": now_ms, "i": alias,
                           "x": {"note": "injected by the simulator"}}
                raw = json.dumps(payload, separators=(",", ":")).encode()
                event = UnknownEvent(event_type, now_ms, payload)
            emitted = self._record(api_key, key, event, raw, injected=True)
            count += self.hub.deliver(key, raw, on_sent=emitted.received)
        return count

    def emitted(self, account: SimAccount | str | None = None) -> list[EmittedEvent]:
        """Every frame emitted for the account (default account if None), in order."""
        api_key = self.resolve(account).api_key
        return [e for owner, e in self._emitted if owner == api_key]

    def all_emitted(self) -> list[EmittedEvent]:
        """Every frame emitted, for every account (and unknown keys), in order."""
        return [e for _, e in self._emitted]

    @property
    def fault_log(self) -> list[FaultRecord]:
        """Every fault injected, in order."""
        return self.faults.log

    # ------------------------------------------------------------------ queries

    def state(self, account: SimAccount | str | None = None) -> AccountState:
        """The engine's state of the account (balances, positions, open orders; Decimal).

        :raises KeyError: no such account.
        """
        return self.exchange.state(self.resolve(account).api_key)

    def connections(self, account: SimAccount | str | None = None) -> int:
        """Open connections: all of them (None), or those live on the account's key."""
        if account is None:
            return self.hub.count()
        key = self.listen_key(account)
        return self.hub.count(key) if key else 0

    def configuration(
        self,
        account: SimAccount | str | None = None,
        *,
        private_key_pem: bytes | str | None = None,
        **kwargs: Any,
    ) -> Configuration:
        """A client :class:`~..configuration.Configuration` pointed at this simulator.

        HMAC accounts need nothing more; RSA/Ed25519 accounts need ``private_key_pem``
        (the simulator only knows the public key). Extra ``kwargs`` go to ``Configuration``.

        :raises RuntimeError: not started (no URL yet).
        :raises ValueError: asymmetric-key account without ``private_key_pem``.
        """
        from ..configuration import Configuration
        from ..signing import BinanceAuth

        acct = self.resolve(account)
        if acct.key_type == "HMAC":
            auth = BinanceAuth(api_key=acct.api_key, secret_key=acct.secret_key)
        elif private_key_pem is None:
            raise ValueError(
                f"account {acct.alias} uses an {acct.key_type} key: pass private_key_pem="
            )
        else:
            auth = BinanceAuth(api_key=acct.api_key, private_key_pem=private_key_pem)
        return Configuration(host=self.rest_url, stream_host=self.stream_url, auth=auth, **kwargs)

    @property
    def control_headers(self) -> dict[str, str]:
        """The headers a ``/_sim`` control request needs: the token (and JSON for POSTs)."""
        return {
            "Authorization": f"Bearer {self.control_token}",
            "Content-Type": "application/json",
        }

    @property
    def rest_url(self) -> str:
        """``http://HOST:PORT`` (REST base; paths are ``/dapi/v1/...``)."""
        return f"http://{self._url_host()}:{self._bound_port()}"

    @property
    def stream_url(self) -> str:
        """``ws://HOST:PORT`` (append ``/ws/<listenKey>`` or ``/stream?streams=<listenKey>``)."""
        return f"ws://{self._url_host()}:{self._bound_port()}"

    def _url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def _bound_port(self) -> int:
        if self._runner is None:
            raise RuntimeError("the simulator is not running: use 'async with Simulator() as sim'")
        return self.port

    # ------------------------------------------------------------------ time

    async def advance(self, seconds: float) -> None:
        """Move simulated time forward (ManualClock only), running everything due.

        :raises TypeError: the simulator runs on a real clock.
        """
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs a ManualClock; this simulator runs on real time")
        await self.clock.advance(seconds)

    async def _expiry_loop(self) -> None:
        while True:
            self.sweep()
            nxt = self.listen_keys.next_expiry()
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            waiting: set[asyncio.Future[Any]] = {waiter}
            if nxt is not None:
                delay = max(0.0, nxt - self.clock.time())
                waiting.add(asyncio.ensure_future(self.clock.sleep(delay)))
            try:
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in waiting:
                    task.cancel()

    async def _random_walk_loop(self, interval: float, first_at: float) -> None:
        next_at = first_at
        while True:
            await self.clock.sleep(max(0.0, next_at - self.clock.time()))
            next_at += interval
            self.sweep()
            self.exchange.random_walk()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind and serve. Prefer ``async with``."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        from .app import build_app

        runner = web.AppRunner(build_app(self), access_log=None, handle_signals=False,
                               shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            error = OSError(f"cannot listen on {self.host}:{self.port}: {reason}")
            error.errno = exc.errno
            raise error from exc
        address = runner.addresses[0]
        self.port = int(address[1])
        self._runner = runner
        self._wake = asyncio.Event()
        self._tasks = [asyncio.ensure_future(self._expiry_loop())]
        if self.options.random_walk_interval is not None:
            interval = self.options.random_walk_interval
            self._tasks.append(
                asyncio.ensure_future(
                    self._random_walk_loop(interval, self.clock.time() + interval)
                )
            )
        for _ in range(3):  # let the timers register their first clock sleeps
            await asyncio.sleep(0)

    async def stop(self) -> None:
        """Close every connection (1001), stop the timers and the server. Idempotent."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.hub.shutdown()
        await runner.cleanup()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
