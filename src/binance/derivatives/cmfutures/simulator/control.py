"""The HTTP control path ``/_sim/...``: drive a running simulator from outside Python.

All bodies and answers are JSON. Errors answer ``{"error": "..."}`` with status 400 (bad
input), 404 (unknown account or fault) or 409 (not possible in this state, e.g. advancing a
real clock). Control calls use no request weight. ``account`` is an API key or an alias;
omitted means the default account.

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
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..clock import ManualClock
from .app import json_response

if TYPE_CHECKING:
    from .simulator import Simulator

__all__ = ["FAULT_NAMES", "add_control_routes"]

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
        text = await request.text()
        if not text.strip():
            return {}
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise _BadRequest(400, f"body is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise _BadRequest(400, "body must be a JSON object")
        return body

    def _account(self, ref: Any) -> Any:
        if ref is not None and not isinstance(ref, str):
            raise _BadRequest(400, "account must be an API key or alias string")
        try:
            return self.sim.resolve(ref)
        except KeyError:
            raise _BadRequest(404, "no such account") from None

    @staticmethod
    def _decimal(body: dict[str, Any], name: str) -> Decimal:
        try:
            return Decimal(str(body[name]))
        except KeyError:
            raise _BadRequest(400, f"missing '{name}'") from None
        except InvalidOperation:
            raise _BadRequest(400, f"'{name}' must be a decimal number") from None

    def _engine(self) -> Any:
        if self.sim.exchange is None:
            raise _BadRequest(409, "the account engine is not available")
        return self.sim.exchange

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/_sim/"):
            response: web.StreamResponse = await handler(request)
            return response
        try:
            result: web.StreamResponse = await handler(request)
            return result
        except _BadRequest as exc:
            return json_response({"error": exc.message}, exc.status)
        except (TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)

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
        self._engine().set_mark_price(symbol, self._decimal(body, "price"))
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
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise _BadRequest(400, "'seconds' must be a non-negative number")
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
