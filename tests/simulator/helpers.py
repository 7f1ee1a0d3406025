"""Helpers shared by the simulator tests: signed raw HTTP calls, and polling a condition
under real time (for tests of third-party clients that run on the real clock)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp

from binance.derivatives.cmfutures.simulator import Simulator


class SignedRest:
    """HMAC-signed raw HTTP calls as the simulator's default account; every response body is
    kept (``bodies``) and must be JSON."""

    def __init__(self, sim: Simulator, http: aiohttp.ClientSession) -> None:
        self.sim, self.http = sim, http
        self.bodies: list[str] = []

    async def call(self, method: str, path: str, **params: str) -> tuple[int, Any, Any]:
        """``(status, decoded JSON body, headers)``: raises if the body is not JSON."""
        query = urlencode({**params, "timestamp": str(self.sim.now_ms())})
        secret = (self.sim.account.secret_key or "").encode()
        sig = hmac.new(secret, query.encode(), hashlib.sha256).hexdigest()
        r = await self.http.request(
            method, f"{self.sim.rest_url}{path}?{query}&signature={sig}",
            headers={"X-MBX-APIKEY": self.sim.account.api_key},
        )
        body = await r.json()  # also checks the Content-Type is JSON
        self.bodies.append(await r.text())
        return r.status, body, r.headers

    async def get(self, path: str, **params: str) -> Any:
        """The body of a GET that must answer 200."""
        status, body, _ = await self.call("GET", path, **params)
        assert status == 200, body
        return body


async def until(condition: Callable[[], bool], what: str, timeout: float) -> None:
    """Poll ``condition`` every 10 ms of real time; AssertionError naming ``what`` if it is
    still false after ``timeout`` seconds (a bound, never a timing assumption)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
