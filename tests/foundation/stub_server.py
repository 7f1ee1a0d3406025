"""A small Binance-like REST server on 127.0.0.1, run in a background thread.

It verifies what the client sends (API key, timestamp window, the signature over
query + body exactly as received, with ``signature`` last) and records every request, so
tests can assert on the wire. ``push()`` scripts the next response(s) for fault injection.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from aiohttp import web
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

LISTEN_KEY = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"


@dataclass
class Recorded:
    method: str
    path: str
    query: str  # raw, as received
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query)) | dict(parse_qsl(self.body.decode()))


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    path: str | None = None
    content_type: str = "application/json"


ORDER = {
    "orderId": 22542179,
    "symbol": "BTCUSD_PERP",
    "pair": "BTCUSD",
    "status": "NEW",
    "clientOrderId": "abc",
    "price": "60000",
    "avgPrice": "0.0",
    "origQty": "1",
    "executedQty": "0",
    "cumQty": "0",
    "cumBase": "0",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "reduceOnly": False,
    "closePosition": False,
    "side": "BUY",
    "positionSide": "BOTH",
    "stopPrice": "0",
    "workingType": "CONTRACT_PRICE",
    "priceProtect": False,
    "origType": "LIMIT",
    "updateTime": 1767225600000,
    "someNewField": [1, 2],
}
ACCOUNT = {
    "assets": [
        {
            "asset": "BTC",
            "walletBalance": "0.00241969",
            "unrealizedProfit": "0.00000000",
            "marginBalance": "0.00241969",
            "maintMargin": "0.00000000",
            "initialMargin": "0.00000000",
            "positionInitialMargin": "0.00000000",
            "openOrderInitialMargin": "0.00000000",
            "maxWithdrawAmount": "0.00241969",
            "crossWalletBalance": "0.00241969",
            "crossUnPnl": "0.00000000",
            "availableBalance": "0.00241969",
            "updateTime": 1767225600000,
        }
    ],
    "positions": [
        {
            "symbol": "BTCUSD_PERP",
            "positionAmt": "1",
            "initialMargin": "0",
            "maintMargin": "0",
            "unrealizedProfit": "0.00000000",
            "positionInitialMargin": "0",
            "openOrderInitialMargin": "0",
            "leverage": "20",
            "isolated": False,
            "positionSide": "BOTH",
            "entryPrice": "60000.0",
            "maxQty": "250",
            "updateTime": 0,
        }
    ],
    "canDeposit": True,
    "canTrade": True,
    "canWithdraw": True,
    "feeTier": 2,
    "updateTime": 0,
}
BALANCE = [
    {
        "accountAlias": "SgsR",
        "asset": "BTC",
        "balance": "0.00250000",
        "withdrawAvailable": "0.00250000",
        "crossWalletBalance": "0.00241969",
        "crossUnPnl": "0.00000000",
        "availableBalance": "0.00241969",
        "updateTime": 1592468353979,
    }
]
POSITION_RISK = [
    {
        "symbol": "BTCUSD_PERP",
        "positionAmt": "1",
        "entryPrice": "60000.0",
        "breakEvenPrice": "60010.0",
        "markPrice": "61000.00000000",
        "unRealizedProfit": "0.00002732",
        "liquidationPrice": "0",
        "leverage": "20",
        "maxQty": "250",
        "marginType": "cross",
        "isolatedMargin": "0.00000000",
        "isAutoAddMargin": "false",
        "positionSide": "BOTH",
        "updateTime": 1767225600000,
    }
]


class StubServer:
    """See the module docstring. ``accounts`` maps API key -> ("HMAC", secret) or
    ("RSA"/"ED25519", public key object)."""

    def __init__(self) -> None:
        self.accounts: dict[str, tuple[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.script: deque[Reply] = deque()
        self.put_body: dict[str, Any] = {}
        self.skew_ms = 0  # server clock minus real clock
        self.weight = 0
        self.generation = 0  # bumped by reset(): late replies of a past test change nothing
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # ------------------------------------------------------------------ control

    def reset(self) -> None:
        self.generation += 1
        self.requests.clear()
        self.script.clear()
        self.put_body = {}
        self.skew_ms = 0
        self.weight = 0

    def push(
        self,
        status: int,
        body: Any,
        *,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        path: str | None = None,
        times: int = 1,
        content_type: str = "application/json",
    ) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        for _ in range(times):
            self.script.append(Reply(status, raw, dict(headers or {}), delay, path, content_type))

    def start(self) -> str:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.url = f"http://127.0.0.1:{port}"
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="stub-binance", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self.url

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    # ------------------------------------------------------------------ handling

    def _json(self, status: int, body: Any, extra: dict[str, str] | None = None) -> web.Response:
        self.weight += 1
        headers = {"X-MBX-USED-WEIGHT-1M": str(self.weight), **(extra or {})}
        return web.Response(
            status=status,
            body=json.dumps(body).encode(),
            headers=headers,
            content_type="application/json",
        )

    def _error(self, status: int, code: int, msg: str) -> web.Response:
        return self._json(status, {"code": code, "msg": msg})

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        generation = self.generation
        body = await request.read()
        rec = Recorded(
            request.method,
            request.path,
            request.rel_url.raw_query_string,
            {k.lower(): v for k, v in request.headers.items()},
            body,
        )
        self.requests.append(rec)
        for i, reply in enumerate(self.script):
            if reply.path is None or reply.path == request.path:
                del self.script[i]
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                if generation == self.generation:
                    self.weight += 1
                return web.Response(
                    status=reply.status,
                    body=reply.body,
                    headers={"X-MBX-USED-WEIGHT-1M": str(self.weight), **reply.headers},
                    content_type=reply.content_type,
                )
        path, method = request.path, request.method
        if path == "/dapi/v1/time":
            return self._json(200, {"serverTime": self._now_ms()})
        if path == "/dapi/v1/exchangeInfo":
            return self._json(200, {"timezone": "UTC", "rateLimits": [], "symbols": []})
        key = rec.headers.get("x-mbx-apikey")
        if key is None or key not in self.accounts:
            return self._error(401, -2015, "Invalid API-key, IP, or permissions for action.")
        if path == "/dapi/v1/listenKey":
            if method == "POST":
                return self._json(200, {"listenKey": LISTEN_KEY})
            if method == "PUT":
                return self._json(200, self.put_body)
            if method == "DELETE":
                return self._json(200, {})
        problem = self._check_signed(rec)
        if problem is not None:
            return problem
        if path == "/dapi/v1/account":
            return self._json(200, ACCOUNT)
        if path == "/dapi/v1/balance":
            return self._json(200, BALANCE)
        if path == "/dapi/v1/positionRisk":
            return self._json(200, POSITION_RISK)
        if path == "/dapi/v1/openOrders":
            return self._json(200, [ORDER])
        if path == "/dapi/v1/order":
            counts = {"X-MBX-ORDER-COUNT-10S": "1", "X-MBX-ORDER-COUNT-1M": "3"}
            status = "CANCELED" if method == "DELETE" else "NEW"
            return self._json(200, {**ORDER, "status": status}, counts)
        if path == "/dapi/v1/leverage":
            params = rec.params
            return self._json(
                200,
                {"symbol": params["symbol"], "leverage": int(params["leverage"]), "maxQty": "100"},
            )
        return self._error(404, -1000, "not found")

    def _now_ms(self) -> int:
        return int(time.time() * 1000) + self.skew_ms

    def _check_signed(self, rec: Recorded) -> web.Response | None:
        total = rec.query + rec.body.decode()
        head, sep, sig = total.rpartition("signature=")
        if not sep or "&" in sig or not head.endswith("&"):
            return self._error(400, -1102, "Mandatory parameter 'signature' was not sent last.")
        payload = head[:-1].encode()
        params = rec.params
        try:
            ts = int(params["timestamp"])
            window = int(params.get("recvWindow", "5000"))
        except (KeyError, ValueError):
            return self._error(400, -1102, "Mandatory parameter 'timestamp' was not sent.")
        now = self._now_ms()
        if not (ts < now + 1000 and now - ts <= window):
            return self._error(
                400, -1021, "Timestamp for this request is outside of the recvWindow."
            )
        kind, material = self.accounts[rec.headers["x-mbx-apikey"]]
        if not _verify(kind, material, payload, sig):
            return self._error(400, -1022, "Signature for this request is not valid.")
        return None


def _verify(kind: str, material: Any, payload: bytes, sig: str) -> bool:
    if kind == "HMAC":
        expected = hmac.new(material.encode(), payload, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, sig)
    raw = base64.b64decode(unquote(sig))
    try:
        if isinstance(material, rsa.RSAPublicKey):
            material.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(material, ed25519.Ed25519PublicKey):
            material.verify(raw, payload)
        else:
            return False
    except Exception:
        return False
    return True
