"""The HTTP control path ``/_sim/...``: drive a running simulator from outside Python.

Anyone who can reach the control path can move money and read the accounts' secrets, so
every request must pass, in order (each check answers ``{"error": "..."}``):

1. ``Host`` names a loopback host (``127.0.0.0/8``, ``localhost``, ``::1``) or the exact
   address the simulator is bound to: 403 otherwise (DNS rebinding).
2. No ``Origin`` header, no ``Sec-Fetch-Site`` other than ``none``/``same-origin``: a web
   page in the user's browser is refused with 403 (browsers always send them cross-site).
3. ``Authorization: Bearer TOKEN`` with the simulator's per-run
   :attr:`~.simulator.Simulator.control_token` (printed by ``cmfutures simulate``): 401
   otherwise (compared in constant time).
4. ``POST`` bodies are ``Content-Type: application/json`` (415 otherwise, even when
   empty: a browser can send ``text/plain`` or a form cross-site without asking first), at
   most :data:`MAX_BODY` bytes (413), a JSON object whose numbers are finite (400:
   ``NaN``, ``Infinity``, ``1e999`` and nesting deeper than :data:`MAX_DEPTH` are refused).

Answers are JSON. Errors answer ``{"error": "..."}`` with status 400 (bad input, including
numbers out of range), 401, 403, 404 (unknown account or fault), 409 (not possible in this
state, e.g. advancing a real clock), 413 or 415. Control calls use no request weight.
``account`` is an API key or an alias; omitted means the default account. Decimal amounts
(``price``, ``rate``, ``amount``, balances) are strings or numbers of at most
:data:`MAX_DECIMAL` in magnitude with at most 18 decimal places; ``seconds`` of
``advance`` is at most :data:`MAX_ADVANCE_SECONDS`.

=========================  ==========================================================
``GET  /_sim/state``       engine state of ``?account=``
``GET  /_sim/emitted``     emitted frames of ``?account=`` (``raw`` as text)
``GET  /_sim/faults``      the fault log
``GET  /_sim/accounts``    aliases and key types; ``?keys=true`` adds the keys
``GET  /_sim/time``        ``{"time": epoch seconds, "manual": bool}``
``POST /_sim/faults/NAME`` inject fault NAME; body = its keyword arguments
``POST /_sim/mark-price``  ``{"symbol", "price"}``
``POST /_sim/funding``     ``{"symbol", "rate"}``
``POST /_sim/deposit``     ``{"account"?, "asset", "amount"}``
``POST /_sim/random-walk`` one random-walk step
``POST /_sim/advance``     ``{"seconds"}`` (ManualClock only)
``POST /_sim/accounts``    add an HMAC account ``{"api_key"?, "secret_key"?, "balances"?,
                           "hedge_mode"?}``; answers its keys and alias
=========================  ==========================================================
"""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import json
import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..clock import ManualClock
from .app import json_response
from .engine import Exchange

if TYPE_CHECKING:
    from .simulator import Simulator

__all__ = [
    "FAULT_NAMES",
    "MAX_ADVANCE_SECONDS",
    "MAX_BODY",
    "MAX_DECIMAL",
    "MAX_DEPTH",
    "add_control_routes",
]

MAX_BODY = 64 * 1024
"""Largest control request body, in bytes."""
MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in a control request body."""
MAX_DECIMAL = Decimal(10) ** 15
"""Largest magnitude of a decimal amount (price, rate, amount, balance) on the control path."""
MAX_DECIMAL_PLACES = 18
MAX_ADVANCE_SECONDS = 366 * 86400.0
"""Longest single ``POST /_sim/advance`` (one year of simulated time)."""

FAULT_NAMES = frozenset(
    {
        "drop_connections",
        "close_connections",
        "half_open",
        "delay",
        "duplicate_next_event",
        "drop_next_events",
        "send_malformed_frame",
        "send_unknown_event",
        "fail_next_rest",
        "expire_listen_key",
        "clear",
    }
)


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _reject_constant(name: str) -> Any:
    raise _BadRequest(400, f"{name} is not a number JSON allows: numbers must be finite")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadRequest(400, f"number {text[:40]!r} is out of range: numbers must be finite")
    return value


def _check_depth(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise _BadRequest(400, f"body nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for item in value.values():
            _check_depth(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_depth(item, depth + 1)


def parse_body(raw: bytes) -> dict[str, Any]:
    """A control request body: empty (``{}``) or a JSON object of finite numbers.

    :raises _BadRequest: 400 for anything else.
    """
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise _BadRequest(400, f"body nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # UnicodeDecodeError too
        raise _BadRequest(400, f"body is not JSON: {str(exc)[:200]}") from None
    if not isinstance(body, dict):
        raise _BadRequest(400, "body must be a JSON object")
    _check_depth(body)
    return body


def control_amount(value: Any, name: str, *, positive: bool = False) -> Decimal:
    """``value`` (a JSON string or number) as a bounded, exact Decimal.

    :raises _BadRequest: 400 if it is not a finite number, its magnitude exceeds
        :data:`MAX_DECIMAL`, it has more than 18 decimal places, or (``positive``) it is not
        above zero.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _BadRequest(400, f"'{name}' must be a decimal number (a string or a number)")
    text = str(value)
    if len(text) > 64:
        raise _BadRequest(400, f"'{name}' is too long to be a decimal amount")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _BadRequest(400, f"'{name}' must be a decimal number") from None
    if not amount.is_finite():
        raise _BadRequest(400, f"'{name}' must be finite")
    if abs(amount) > MAX_DECIMAL:
        raise _BadRequest(400, f"'{name}' is out of range (at most {MAX_DECIMAL:E} in size)")
    exponent = amount.normalize().as_tuple().exponent
    if amount and isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        raise _BadRequest(400, f"'{name}' has more than {MAX_DECIMAL_PLACES} decimal places")
    if positive and amount <= 0:
        raise _BadRequest(400, f"'{name}' must be above zero")
    return amount


_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    """The host part of a ``Host`` header (``[::1]:80`` -> ``::1``)."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")] if "]" in host_header else ""
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def to_json_value(value: Any) -> Any:
    """Engine state as JSON: dataclasses as objects, Decimals as strings, tuple keys joined
    with ``:`` (``"BTCUSD_PERP:BOTH"``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {
            ":".join(map(str, k)) if isinstance(k, tuple) else str(k): to_json_value(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _emitted_json(item: Any) -> dict[str, Any]:
    return {
        "seq": item.seq,
        "at": item.at,
        "listenKey": item.listen_key,
        "account": item.account_alias,
        "raw": item.raw.decode("utf-8", errors="replace"),
        "delivered": item.delivered,
        "receivedBy": list(item.received_by),
        "dropped": item.dropped,
        "duplicated": item.duplicated,
        "injected": item.injected,
    }


class Control:
    """Control handlers bound to one simulator."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise _BadRequest(413, f"body larger than {MAX_BODY} bytes")
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            raise _BadRequest(413, f"body larger than {MAX_BODY} bytes")
        return parse_body(raw)

    def _account(self, ref: Any) -> Any:
        if ref is not None and not isinstance(ref, str):
            raise _BadRequest(400, "account must be an API key or alias string")
        try:
            return self.sim.resolve(ref)
        except KeyError:
            raise _BadRequest(404, "no such account") from None

    @staticmethod
    def _decimal(body: dict[str, Any], name: str, *, positive: bool = False) -> Decimal:
        if name not in body:
            raise _BadRequest(400, f"missing '{name}'")
        return control_amount(body[name], name, positive=positive)

    def _engine(self) -> Exchange:
        return self.sim.exchange

    def _allowed_host(self, host: str) -> bool:
        if _is_loopback(host):
            return True
        bound = self.sim.host
        return bool(host) and host == bound and bound not in ("0.0.0.0", "::", "")

    def _check_caller(self, request: web.Request) -> None:
        host = _host_name(request.headers.get("Host", ""))
        if not self._allowed_host(host):
            raise _BadRequest(
                403, "the control path answers only requests to a loopback host name "
                "(127.0.0.1, localhost, ::1) or the simulator's bound address",
            )
        site = request.headers.get("Sec-Fetch-Site", "none").lower()
        if "Origin" in request.headers or site not in ("none", "same-origin"):
            raise _BadRequest(403, "cross-origin requests to the control path are refused")
        expected = f"Bearer {self.sim.control_token}".encode()
        given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            raise _BadRequest(
                401, "missing or wrong control token: send 'Authorization: Bearer TOKEN' "
                "with the token 'cmfutures simulate' printed (Simulator.control_token)",
            )
        if request.method == "POST" and request.content_type != "application/json":
            raise _BadRequest(415, "control requests carry JSON: Content-Type: application/json")

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not (request.path.startswith("/_sim/") or request.path == "/_sim"):
            response: web.StreamResponse = await handler(request)
            return response
        try:
            self._check_caller(request)
            result: web.StreamResponse = await handler(request)
            return result
        except _BadRequest as exc:
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            return json_response({"error": exc.message}, exc.status, headers)
        except (TypeError, ValueError, ArithmeticError) as exc:
            return json_response({"error": str(exc)[:500]}, 400)

    async def state(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request.query.get("account"))
        state = self._engine().state(account.api_key)
        return json_response(to_json_value(state))

    async def emitted(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request.query.get("account"))
        return json_response([_emitted_json(e) for e in self.sim.emitted(account)])

    async def fault_log(self, request: web.Request) -> web.StreamResponse:
        return json_response(
            [
                {"at": f.at, "name": f.name, "params": f.params, "affected": f.affected}
                for f in self.sim.fault_log
            ]
        )

    async def accounts(self, request: web.Request) -> web.StreamResponse:
        reveal = request.query.get("keys", "").lower() in ("1", "true", "yes")
        items: list[dict[str, Any]] = []
        for a in self.sim.accounts:
            item: dict[str, Any] = {"alias": a.alias, "keyType": a.key_type}
            if reveal:
                item["apiKey"] = a.api_key
                item["secretKey"] = a.secret_key
            items.append(item)
        return json_response(items)

    async def time(self, request: web.Request) -> web.StreamResponse:
        return json_response(
            {"time": self.sim.clock.time(), "manual": isinstance(self.sim.clock, ManualClock)}
        )

    async def fault(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in FAULT_NAMES:
            raise _BadRequest(404, f"unknown fault {name!r}; known: {sorted(FAULT_NAMES)}")
        kwargs = await self._body(request)
        if "account" in kwargs:
            kwargs["account"] = self._account(kwargs["account"])
        result = getattr(self.sim.faults, name)(**kwargs)
        return json_response({"ok": True, "result": result})

    async def mark_price(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        symbol = body.get("symbol")
        if not isinstance(symbol, str):
            raise _BadRequest(400, "missing 'symbol'")
        self.sim.sweep()
        self._engine().set_mark_price(symbol, self._decimal(body, "price", positive=True))
        return json_response({"ok": True})

    async def funding(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        symbol = body.get("symbol")
        if not isinstance(symbol, str):
            raise _BadRequest(400, "missing 'symbol'")
        self.sim.sweep()
        self._engine().apply_funding(symbol, self._decimal(body, "rate"))
        return json_response({"ok": True})

    async def deposit(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        account = self._account(body.get("account"))
        asset = body.get("asset")
        if not isinstance(asset, str):
            raise _BadRequest(400, "missing 'asset'")
        self.sim.sweep()
        self._engine().deposit(account.api_key, asset, self._decimal(body, "amount"))
        return json_response({"ok": True})

    async def random_walk(self, request: web.Request) -> web.StreamResponse:
        self.sim.sweep()
        self._engine().random_walk()
        return json_response({"ok": True})

    async def advance(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        seconds = body.get("seconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not 0 <= seconds <= MAX_ADVANCE_SECONDS
        ):
            raise _BadRequest(
                400, f"'seconds' must be a number from 0 to {MAX_ADVANCE_SECONDS:.0f}"
            )
        if not isinstance(self.sim.clock, ManualClock):
            raise _BadRequest(409, "this simulator runs on real time; start it with a manual clock")
        await self.sim.advance(float(seconds))
        return json_response({"ok": True, "time": self.sim.clock.time()})

    async def add_account(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        allowed = {"api_key", "secret_key", "balances", "hedge_mode"}
        unknown = set(body) - allowed
        if unknown:
            raise _BadRequest(400, f"unknown fields {sorted(unknown)}; allowed: {sorted(allowed)}")
        balances = body.get("balances")
        if balances is not None:
            if not isinstance(balances, dict):
                raise _BadRequest(400, "'balances' must be an object of asset -> amount")
            body["balances"] = {
                str(asset): control_amount(amount, f"balances.{asset}")
                for asset, amount in balances.items()
            }
        account = self.sim.add_account(**body)
        return json_response(
            {"apiKey": account.api_key, "secretKey": account.secret_key, "alias": account.alias}
        )


def add_control_routes(app: web.Application, sim: Simulator) -> None:
    """Add the ``/_sim/...`` routes and their error middleware to ``app``."""
    control = Control(sim)
    app.middlewares.append(control.middleware)
    app.add_routes(
        [
            web.get("/_sim/state", control.state),
            web.get("/_sim/emitted", control.emitted),
            web.get("/_sim/faults", control.fault_log),
            web.get("/_sim/accounts", control.accounts),
            web.get("/_sim/time", control.time),
            web.post("/_sim/faults/{name}", control.fault),
            web.post("/_sim/mark-price", control.mark_price),
            web.post("/_sim/funding", control.funding),
            web.post("/_sim/deposit", control.deposit),
            web.post("/_sim/random-walk", control.random_walk),
            web.post("/_sim/advance", control.advance),
            web.post("/_sim/accounts", control.add_account),
        ]
    )
