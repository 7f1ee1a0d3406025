"""The aiohttp application: REST ``/dapi/v1/...``, WebSocket ``/ws`` and ``/stream``, control.

REST requests pass, in order: fault injection (``fail_next_rest``; no weight used), the
weight limiter (429, then 418), then the handler. Every ``/dapi`` response carries
``X-MBX-USED-WEIGHT-1M``; order responses also ``X-MBX-ORDER-COUNT-10S``/``-1M``. Errors are
``{"code": n, "msg": "..."}`` with ``Content-Type: application/json``.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .auth import SimRestError, check_api_key, parse_params, verify_signed
from .engine import Exchange
from .errors import SimError
from .listen_keys import NoActiveListenKey
from .sapi import capital_config_rows, margin_all_pairs
from .websocket import Connection

if TYPE_CHECKING:
    from .simulator import Simulator

log = logging.getLogger("binance.derivatives.cmfutures.simulator")

__all__ = ["RestApi", "build_app", "json_response", "parse_params", "request_weight"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

WEIGHTS: dict[tuple[str, str], int] = {
    ("POST", "/dapi/v1/listenKey"): 1,
    ("PUT", "/dapi/v1/listenKey"): 1,
    ("DELETE", "/dapi/v1/listenKey"): 1,
    ("GET", "/dapi/v1/ping"): 1,
    ("GET", "/dapi/v1/time"): 1,
    ("GET", "/dapi/v1/exchangeInfo"): 1,
    ("POST", "/dapi/v1/order"): 1,
    ("DELETE", "/dapi/v1/order"): 1,
    ("GET", "/dapi/v1/account"): 5,
    ("GET", "/dapi/v1/balance"): 1,
    ("GET", "/dapi/v1/positionRisk"): 1,
    ("POST", "/dapi/v1/leverage"): 1,
    ("GET", "/dapi/v1/order"): 1,
    ("PUT", "/dapi/v1/order"): 1,
    ("DELETE", "/dapi/v1/allOpenOrders"): 1,
    ("GET", "/dapi/v1/positionSide/dual"): 30,
    ("POST", "/dapi/v1/positionSide/dual"): 1,
    ("POST", "/dapi/v1/marginType"): 1,
    ("GET", "/dapi/v1/leverageBracket"): 1,
    ("GET", "/dapi/v2/leverageBracket"): 1,
    ("GET", "/dapi/v1/income"): 20,
}
"""Request weights (spec §1.1, §5.3). ``GET /dapi/v1/openOrders``: 1 with symbol, else 40;
``GET /dapi/v1/userTrades``: 20 with symbol, 40 with pair (Binance's documentation)."""


def request_weight(method: str, path: str, query: dict[str, str]) -> int:
    """The IP weight of a REST request (1 for paths not in the table)."""
    if method == "GET" and path == "/dapi/v1/openOrders":
        return 1 if query.get("symbol") else 40
    if method == "GET" and path == "/dapi/v1/userTrades":
        return 20 if query.get("symbol") else 40
    return WEIGHTS.get((method, path), 1)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A compact JSON response (Decimals as fixed-point strings)."""
    body = json.dumps(data, separators=(",", ":"), default=_json_default)
    return web.Response(
        text=body, status=status, content_type="application/json", headers=headers
    )


def error_response(err: SimRestError) -> web.Response:
    return json_response({"code": err.code, "msg": err.msg}, err.status, dict(err.headers))


class RestApi:
    """REST handlers bound to one simulator."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._handshakes: dict[str, deque[float]] = {}

    def _handshake_allowed(self, request: web.Request) -> bool:
        """Count a WebSocket handshake against its IP's rolling connection budget."""
        opts = self.sim.options
        now = self.sim.clock.time()
        recent = self._handshakes.setdefault(request.remote or "?", deque())
        while recent and recent[0] <= now - opts.connection_window:
            recent.popleft()
        if len(recent) >= opts.connections_per_window:
            return False
        recent.append(now)
        return True

    # ------------------------------------------------------------------ middleware

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if not path.startswith("/dapi/"):
            return await handler(request)
        sim = self.sim
        sim.sweep()
        now = sim.clock.time()
        failure = sim.faults.take_rest_failure(path)
        if failure is not None:
            extra = (
                {"Retry-After": str(failure.retry_after)}
                if failure.retry_after is not None
                else None
            )
            response: web.StreamResponse = json_response(
                {"code": failure.code, "msg": failure.msg}, failure.status, extra
            )
        else:
            query = dict(request.rel_url.query)
            decision = sim.limiter.charge(request_weight(request.method, path, query), now)
            if not decision.allowed:
                sim.hub.violation(f"HTTP {decision.status}: IP weight limit ({path})")
                headers = {"Retry-After": str(decision.retry_after)}
                response = json_response(
                    {"code": decision.code, "msg": decision.msg}, decision.status, headers
                )
            else:
                try:
                    response = await handler(request)
                except SimRestError as err:
                    response = error_response(err)
                except (ValueError, ArithmeticError) as exc:
                    # malformed input the handlers did not anticipate: still the client's
                    # fault (4xx, Binance's shape), never a 500; logged to find the gap
                    log.warning("unanticipated bad input on %s %s: %r", request.method, path, exc)
                    response = json_response(
                        {"code": -1100, "msg": "Illegal characters found in a parameter."}, 400
                    )
                except web.HTTPNotFound:
                    response = json_response(
                        {"code": -1000, "msg": f"Unknown path {path}."}, 404
                    )
                except web.HTTPMethodNotAllowed:
                    response = json_response(
                        {"code": -1000, "msg": f"Method {request.method} not allowed on {path}."},
                        405,
                    )
        response.headers["X-MBX-USED-WEIGHT-1M"] = str(sim.limiter.used(now))
        return response

    # ------------------------------------------------------------------ helpers

    def _api_key(self, request: web.Request) -> str:
        return check_api_key(
            request.headers.get("X-MBX-APIKEY"),
            self.sim.has_api_key,
            missing_code=self.sim.options.missing_api_key_code,
        )

    async def _signed(self, request: web.Request) -> tuple[str, dict[str, str]]:
        api_key = self._api_key(request)
        body = (await request.read()).decode("utf-8", errors="replace")
        credential = self.sim.credential(api_key)
        assert credential is not None
        params = verify_signed(
            request.rel_url.raw_query_string,
            body,
            credential,
            self.sim.now_ms(),
            max_recv_window=self.sim.options.max_recv_window,
        )
        return api_key, params

    def _engine(self) -> Exchange:
        return self.sim.exchange

    def _call(self, func: Callable[..., Any], *args: Any) -> Any:
        try:
            return func(*args)
        except SimError as err:
            raise SimRestError(err.status, err.code, err.msg) from None

    # ------------------------------------------------------------------ listen keys

    async def post_listen_key(self, request: web.Request) -> web.StreamResponse:
        api_key = self._api_key(request)
        return json_response({"listenKey": self.sim.create_listen_key(api_key)})

    async def put_listen_key(self, request: web.Request) -> web.StreamResponse:
        api_key = self._api_key(request)
        try:
            key = self.sim.keepalive_listen_key(api_key)
        except NoActiveListenKey:
            raise self._no_key() from None
        if self.sim.options.keepalive_response == "empty":
            return json_response({})
        return json_response({"listenKey": key})

    async def delete_listen_key(self, request: web.Request) -> web.StreamResponse:
        api_key = self._api_key(request)
        try:
            self.sim.delete_listen_key(api_key)
        except NoActiveListenKey:
            raise self._no_key() from None
        return json_response({})

    def _no_key(self) -> SimRestError:
        return SimRestError(
            self.sim.options.invalid_listen_key_status, -1125, "This listenKey does not exist."
        )

    # ------------------------------------------------------------------ market data

    async def ping(self, request: web.Request) -> web.StreamResponse:
        return json_response({})

    async def time(self, request: web.Request) -> web.StreamResponse:
        return json_response({"serverTime": self.sim.now_ms()})

    async def exchange_info(self, request: web.Request) -> web.StreamResponse:
        info = self._call(self._engine().exchange_info)
        if isinstance(info, dict):
            info = dict(info)
            info["serverTime"] = self.sim.now_ms()
            info["rateLimits"] = [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                 "limit": self.sim.options.weight_limit},
                {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1,
                 "limit": self.sim.options.orders_per_minute},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
                 "limit": self.sim.options.orders_per_10s},
            ]
        return json_response(info)

    # ------------------------------------------------------------------ signed endpoints

    async def new_order(self, request: web.Request) -> web.StreamResponse:
        return await self._counted_order_call(request, "new_order")

    async def _counted_order_call(
        self, request: web.Request, method_name: str
    ) -> web.StreamResponse:
        api_key, params = await self._signed(request)
        engine = self._engine()
        counter = self.sim.order_counter(api_key)
        now = self.sim.clock.time()
        if not counter.charge(now):
            raise SimRestError(
                429, -1015, "Too many new orders; current limit is "
                f"{self.sim.options.orders_per_minute} orders per MINUTE.",
                counter.headers(now),
            )
        try:
            result = self._call(getattr(engine, method_name), api_key, params)
        except SimRestError as err:
            err.headers.update(counter.headers(now))
            raise
        return json_response(result, headers=counter.headers(now))

    async def modify_order(self, request: web.Request) -> web.StreamResponse:
        return await self._counted_order_call(request, "modify_order")

    async def query_order(self, request: web.Request) -> web.StreamResponse:
        api_key, params = await self._signed(request)
        return json_response(self._call(self._engine().query_order, api_key, params))

    async def cancel_all(self, request: web.Request) -> web.StreamResponse:
        api_key, params = await self._signed(request)
        return json_response(self._call(self._engine().cancel_all_orders, api_key, params))

    async def get_position_mode(self, request: web.Request) -> web.StreamResponse:
        api_key, _ = await self._signed(request)
        return json_response(self._call(self._engine().position_mode, api_key))

    async def set_position_mode(self, request: web.Request) -> web.StreamResponse:
        api_key, params = await self._signed(request)
        value = params.get("dualSidePosition", "").lower()
        if value not in ("true", "false"):
            raise SimRestError(
                400, -1102, "Mandatory parameter 'dualSidePosition' was not sent, was "
                "empty/null, or malformed.",
            )
        self._call(self._engine().change_position_mode, api_key, value == "true")
        return json_response({"code": 200, "msg": "success"})

    async def margin_type(self, request: web.Request) -> web.StreamResponse:
        api_key, params = await self._signed(request)
        symbol = params.get("symbol")
        kind = params.get("marginType", "").upper()
        if not symbol:
            raise SimRestError(
                400, -1102,
                "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
            )
        if kind not in ("ISOLATED", "CROSSED"):
            raise SimRestError(
                400, -1102,
                "Mandatory parameter 'marginType' was not sent, was empty/null, or malformed.",
            )
        self._call(self._engine().change_margin_type, api_key, symbol, kind == "ISOLATED")
        return json_response({"code": 200, "msg": "success"})

    async def cancel_order(self, request: web.Request) -> web.StreamResponse:
        api_key, params = await self._signed(request)
        return json_response(self._call(self._engine().cancel_order, api_key, params))

    async def open_orders(self, request: web.Request) -> web.StreamResponse:
        api_key, params = await self._signed(request)
        return json_response(self._call(self._engine().open_orders, api_key, params))

    async def account(self, request: web.Request) -> web.StreamResponse:
        api_key, _ = await self._signed(request)
        return json_response(self._call(self._engine().account, api_key))

    async def balance(self, request: web.Request) -> web.StreamResponse:
        api_key, _ = await self._signed(request)
        return json_response(self._call(self._engine().balance, api_key))

    async def position_risk(self, request: web.Request) -> web.StreamResponse:
        api_key, params = await self._signed(request)
        return json_response(self._call(self._engine().position_risk, api_key, params))

    async def signed_get(self, request: web.Request) -> web.StreamResponse:
        """A signed read answered by the engine method the route is named after."""
        api_key, params = await self._signed(request)
        resource = request.match_info.route.resource
        method = getattr(self._engine(), resource.name if resource and resource.name else "")
        return json_response(self._call(method, api_key, params))

    async def sapi_capital_config(self, request: web.Request) -> web.StreamResponse:
        """``GET /sapi/v1/capital/config/getall`` (signed), for ccxt's ``load_markets``."""
        try:
            api_key, _ = await self._signed(request)
        except SimRestError as err:
            return error_response(err)
        coins = self._engine().state(api_key).balances
        return json_response(capital_config_rows(coins))

    async def sapi_margin_pairs(self, request: web.Request) -> web.StreamResponse:
        """``GET /sapi/v1/margin/allPairs`` (API key), for ccxt's ``load_markets``."""
        try:
            self._api_key(request)
        except SimRestError as err:
            return error_response(err)
        return json_response(margin_all_pairs())

    async def leverage(self, request: web.Request) -> web.StreamResponse:
        api_key, params = await self._signed(request)
        return json_response(self._call(self._engine().change_leverage, api_key, params))

    # ------------------------------------------------------------------ WebSocket

    async def ws_key(self, request: web.Request) -> web.StreamResponse:
        return await self._serve_ws(request, [request.match_info["key"]], combined=False)

    async def ws_bare(self, request: web.Request) -> web.StreamResponse:
        return await self._serve_ws(request, [], combined=False)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        streams = request.rel_url.query.get("streams", "")
        keys = list(dict.fromkeys(k for k in streams.split("/") if k))
        limit = self.sim.options.max_streams_per_connection
        if len(keys) > limit:
            return json_response(
                {"code": -1000, "msg": f"A connection can subscribe to at most {limit} streams."},
                400,
            )
        return await self._serve_ws(request, keys, combined=True)

    async def _serve_ws(
        self, request: web.Request, keys: list[str], *, combined: bool
    ) -> web.StreamResponse:
        sim = self.sim
        sim.sweep()
        if not self._handshake_allowed(request):
            sim.hub.violation(
                f"more than {sim.options.connections_per_window} connections in "
                f"{sim.options.connection_window:.0f}s from {request.remote}"
            )
            return json_response(
                {"code": -1003, "msg": "Too many connection attempts from this IP."},
                429,
                {"Retry-After": str(int(sim.options.connection_window))},
            )
        if sim.options.unknown_key_on_connect == "reject" and not all(
            sim.hub.key_is_live(k) for k in keys
        ):
            return json_response({"code": -1125, "msg": "This listenKey does not exist."}, 400)
        ws = web.WebSocketResponse(
            autoping=False, max_msg_size=1 << 20, timeout=sim.options.close_timeout
        )
        # Registered before the handshake completes, so that a client that hears the 101
        # and moves the clock finds the connection (and its start time) already in place.
        conn = Connection(sim.hub, ws, request, combined=combined)
        sim.hub.add(conn)
        try:
            for key in keys:
                conn.subscribe(key)
            await ws.prepare(request)
            await conn.run()
        finally:
            conn.closed = True
            sim.hub.remove(conn)
        return ws


def build_app(sim: Simulator) -> web.Application:
    """The aiohttp application for ``sim`` (REST, WebSocket and ``/_sim`` control routes)."""
    api = RestApi(sim)
    app = web.Application(middlewares=[api.middleware])
    app.add_routes(
        [
            web.post("/dapi/v1/listenKey", api.post_listen_key),
            web.put("/dapi/v1/listenKey", api.put_listen_key),
            web.delete("/dapi/v1/listenKey", api.delete_listen_key),
            web.get("/dapi/v1/ping", api.ping),
            web.get("/dapi/v1/time", api.time),
            web.get("/dapi/v1/exchangeInfo", api.exchange_info),
            web.post("/dapi/v1/order", api.new_order),
            web.delete("/dapi/v1/order", api.cancel_order),
            web.get("/dapi/v1/order", api.query_order),
            web.put("/dapi/v1/order", api.modify_order),
            web.delete("/dapi/v1/allOpenOrders", api.cancel_all),
            web.get("/dapi/v1/positionSide/dual", api.get_position_mode),
            web.post("/dapi/v1/positionSide/dual", api.set_position_mode),
            web.post("/dapi/v1/marginType", api.margin_type),
            web.get("/dapi/v1/openOrders", api.open_orders),
            web.get("/dapi/v1/account", api.account),
            web.get("/dapi/v1/balance", api.balance),
            web.get("/dapi/v1/positionRisk", api.position_risk),
            web.post("/dapi/v1/leverage", api.leverage),
            web.get("/dapi/v2/leverageBracket", api.signed_get, name="leverage_brackets"),
            web.get("/dapi/v1/leverageBracket", api.signed_get,
                    name="leverage_brackets_by_pair"),
            web.get("/dapi/v1/userTrades", api.signed_get, name="user_trades"),
            web.get("/dapi/v1/income", api.signed_get, name="income"),
            web.get("/sapi/v1/capital/config/getall", api.sapi_capital_config),
            web.get("/sapi/v1/margin/allPairs", api.sapi_margin_pairs),
            web.get("/ws/{key}", api.ws_key),
            web.get("/ws", api.ws_bare),
            web.get("/stream", api.stream),
        ]
    )
    from .control import add_control_routes

    add_control_routes(app, sim)
    return app

