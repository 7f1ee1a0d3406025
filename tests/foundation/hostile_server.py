"""A misbehaving HTTP server on 127.0.0.1, in a background thread, for the bounds tests.

It speaks just enough HTTP/1.1 to misbehave precisely: each connection reads one request head
and then runs the current ``behaviour`` (an async function of the writer). Behaviours never
run longer than ``MAX_SECONDS``, so a client that ignores its deadline fails its test by
taking too long instead of hanging the suite. ``sent`` counts the body bytes written.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import threading
from collections.abc import Awaitable, Callable

MAX_SECONDS = 4.0

Behaviour = Callable[["HostileServer", asyncio.StreamWriter], Awaitable[None]]


class HostileServer:
    def __init__(self) -> None:
        self.behaviour: Behaviour = respond(200, b"{}")
        self.sent = 0
        self.requests = 0
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            server = loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
            port = server.sockets[0].getsockname()[1]
            self.url = f"http://127.0.0.1:{port}"
            ready.set()
            loop.run_forever()
            server.close()
            loop.close()

        self._thread = threading.Thread(target=run, name="hostile-server", daemon=True)
        self._thread.start()
        ready.wait(10)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                self.requests += 1
                await asyncio.wait_for(self.behaviour(self, writer), MAX_SECONDS)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.TimeoutError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()


def respond(
    status: int, body: bytes, headers: dict[str, str] | None = None
) -> Behaviour:
    """A normal response (the connection stays open for the next request)."""

    async def behave(server: HostileServer, writer: asyncio.StreamWriter) -> None:
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n".encode()
            + body
        )
        server.sent += len(body)
        await writer.drain()

    return behave


def trickle_body(interval: float) -> Behaviour:
    """Headers at once, then a 1000-byte body one byte every ``interval`` seconds."""

    async def behave(server: HostileServer, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        await writer.drain()
        while True:
            await asyncio.sleep(interval)
            writer.write(b" ")
            server.sent += 1
            await writer.drain()

    return behave


def trickle_head(interval: float) -> Behaviour:
    """The status line and headers, one byte every ``interval`` seconds, never finished."""

    async def behave(server: HostileServer, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n")
        while True:
            await asyncio.sleep(interval)
            writer.write(b"X")
            await writer.drain()

    return behave


def endless_chunks(interval: float) -> Behaviour:
    """A chunked body that never ends: a small chunk every ``interval`` seconds."""

    async def behave(server: HostileServer, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while True:
            writer.write(b"1\r\n \r\n")
            server.sent += 1
            await writer.drain()
            await asyncio.sleep(interval)

    return behave


def huge_body(size: int, status: int = 200, chunked: bool = False) -> Behaviour:
    """``size`` bytes of JSON-ish filler, as fast as the client reads."""

    async def behave(server: HostileServer, writer: asyncio.StreamWriter) -> None:
        framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
        writer.write(f"HTTP/1.1 {status} X\r\n{framing}\r\n\r\n".encode())
        block = b"[" + b" " * (64 * 1024 - 2) + b"]"
        left = size
        while left > 0:
            part = block[: min(left, len(block))]
            writer.write(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
            server.sent += len(part)
            left -= len(part)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    return behave


def gzip_bomb(size: int) -> Behaviour:
    """``size`` bytes of spaces, gzip-compressed (about 1000:1), sent with Content-Encoding."""
    body = gzip.compress(b" " * size, compresslevel=9)
    return respond(200, body, {"Content-Encoding": "gzip"})
