"""Bounds on one HTTP attempt, shared by both transports: its wall-clock deadline, the size
of its body and the size of that body once decompressed.

* **Deadline.** A socket read timeout bounds each ``recv``, not the response: a server that
  trickles one byte every half second, or sends an endless chunked body, never trips it.
  So every attempt also has one wall-clock deadline, :func:`attempt_deadline`: ``connect +
  read`` seconds (the ``total`` of a ``_request_timeout`` triple when given) for connecting,
  sending, the headers and the whole body. Past it the attempt fails with a
  :class:`~..exceptions.NetworkException` of kind ``"read_timeout"`` (and is retried like
  any timeout of an idempotent request).
* **Body cap.** :class:`BodyReader` keeps at most ``Configuration.max_response_bytes``
  (default 8 MiB) of a successful response, compressed *and* decompressed: beyond it the
  transport stops reading, drops the connection and the call raises
  :class:`~..exceptions.ResponseTooLargeException`. The body of an error response (non-2xx)
  is only kept up to :data:`ERROR_BODY_LIMIT` (64 KiB): enough for Binance's
  ``{"code":..,"msg":..}``, and the status alone decides the exception class.
* **Decompression.** The transports do not decompress; :class:`BodyReader` does, for
  ``gzip`` and ``deflate`` (the encodings the clients accept), with ``zlib``'s
  ``max_length`` so that a 200 KB gzip bomb never inflates past the cap. Any other
  ``Content-Encoding`` is an :class:`~..exceptions.InvalidResponseException`.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Final

from ..exceptions import InvalidResponseException, ResponseTooLargeException

__all__ = [
    "ACCEPT_ENCODING",
    "ERROR_BODY_LIMIT",
    "BodyReader",
    "attempt_deadline",
]

ERROR_BODY_LIMIT: Final = 64 << 10
ACCEPT_ENCODING: Final = "gzip, deflate"
CHUNK: Final = 64 << 10


def attempt_deadline(spec: tuple[float | None, float | None, float | None]) -> float | None:
    """Seconds one attempt may take in all, from a ``(connect, read, total)`` timeout spec:
    ``total`` if set, else ``connect + read``; None when there is no read timeout at all."""
    connect, read, total = spec
    if total is not None:
        return total
    if read is None:
        return None
    return (connect or 0.0) + read


class BodyReader:
    """Collects one response body, decompressing it, within a byte limit (sans-I/O).

    ``feed(chunk)`` each raw chunk as it arrives, then ``finish()``. For a 2xx status more
    than ``limit`` bytes (raw or decompressed) raises
    :class:`~..exceptions.ResponseTooLargeException` from ``feed``; for any other status the
    body is cut at :data:`ERROR_BODY_LIMIT` and :attr:`full` turns True (stop reading then).

    :raises ~..exceptions.InvalidResponseException: for an unsupported or corrupt
        ``Content-Encoding``.
    """

    __slots__ = ("_decoder", "_limit", "_parts", "_raw", "_size", "error", "full", "status")

    def __init__(self, status: int, headers: Mapping[str, str], limit: int) -> None:
        self.status = status
        self.error = not 200 <= status < 300
        self._limit = min(limit, ERROR_BODY_LIMIT) if self.error else limit
        self._parts: list[bytes] = []
        self._size = 0
        self._raw = 0
        self.full = False
        encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
        self._decoder: zlib._Decompress | None
        if encoding in ("identity", ""):
            self._decoder = None
        elif encoding in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._decoder = zlib.decompressobj(32 + zlib.MAX_WBITS)  # zlib or gzip header
        else:
            raise InvalidResponseException(
                status, f"unsupported Content-Encoding {encoding[:40]!r} (accepted: gzip, deflate)"
            )

    def check_length(self, content_length: int) -> None:
        """Raise ResponseTooLargeException now if a 2xx body declares more than the limit."""
        if not self.error and content_length > self._limit:
            raise self._too_large(" (Content-Length)")

    def feed(self, chunk: bytes) -> None:
        if self.full or not chunk:
            return
        self._raw += len(chunk)
        if self._raw > self._limit and not self.error:
            raise self._too_large("")
        decoder = self._decoder
        if decoder is None:
            self._keep(chunk)
            return
        data = chunk
        while data and not self.full:
            room = self._limit - self._size + 1
            try:
                out = decoder.decompress(data, room)
            except zlib.error as exc:
                raise InvalidResponseException(
                    self.status, f"corrupt compressed body: {exc}"
                ) from exc
            self._keep(out)
            data = decoder.unconsumed_tail

    def _keep(self, data: bytes) -> None:
        room = self._limit - self._size
        if len(data) > room:
            if not self.error:
                raise self._too_large(" once decompressed" if self._decoder else "")
            data = data[:room]
            self.full = True
        self._parts.append(data)
        self._size += len(data)

    def _too_large(self, how: str) -> ResponseTooLargeException:
        return ResponseTooLargeException(
            self.status,
            f"response body exceeds {self._limit} bytes{how} "
            "(Configuration.max_response_bytes); the connection was dropped",
            limit=self._limit,
        )

    def finish(self) -> bytes:
        """The (decompressed, possibly cut) body."""
        if self._decoder is not None and not self.full:
            try:
                tail = self._decoder.flush()
            except zlib.error as exc:  # pragma: no cover - flush rarely fails
                raise InvalidResponseException(
                    self.status, f"corrupt compressed body: {exc}"
                ) from exc
            if tail:
                self._keep(tail)
        if len(self._parts) == 1:
            return self._parts[0]
        return b"".join(self._parts)
