"""The request life cycle as a generator (sans-I/O): retries, time resync, decoding.

Protocol between :func:`call_flow` and a driver (the sync or async client):

* the flow yields a :class:`~.request.PreparedRequest`; the driver sends it and sends back a
  :class:`RawResponse` or, if no HTTP response arrived, a :class:`~..exceptions.NetworkException`
  (it never raises transport errors into the flow);
* the flow yields a :class:`Sleep`; the driver waits that long (async: ``clock.sleep``) and
  sends back None;
* the flow returns the call's result (``StopIteration.value``) or raises an
  :class:`~..exceptions.ApiException`.

Policy implemented here, once:

* retries: only idempotent methods (GET, PUT, DELETE), only after a
  :class:`~..exceptions.NetworkException` (unless ``permanent``: a rejected TLS certificate)
  or HTTP 500/502/503/504, at most
  ``Configuration.max_retries`` times, waiting ``retry_backoff * 2**n`` seconds (capped at 8 s)
  between attempts. POST is never retried; 418/429 are never retried (they raise with
  ``retry_after``).
* a SIGNED request answered with -1021 (timestamp outside recvWindow) triggers one
  ``GET /dapi/v1/time``, updates the client's server-time offset and is resent once, freshly
  timestamped and signed.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

import msgspec

from .._decimals import check_decimals
from ..exceptions import BinanceCode, InvalidResponseException, NetworkException
from .errors import error_from_response
from .ratelimit import RateLimits
from .request import CallOptions, Endpoint, PreparedRequest, Security, build_request

if TYPE_CHECKING:
    from ..clock import Clock
    from ..configuration import Configuration

__all__ = [
    "MODE_DATA",
    "MODE_HTTP_INFO",
    "MODE_RAW",
    "Action",
    "Outcome",
    "RawResponse",
    "RequestCore",
    "Sleep",
    "call_flow",
    "retry_delay",
    "run_sync",
    "sync_time_flow",
]

MODE_DATA = 0
MODE_HTTP_INFO = 1
MODE_RAW = 2
_log = logging.getLogger("binance.derivatives.cmfutures")
RETRY_STATUSES = frozenset({500, 502, 503, 504})
MAX_BACKOFF = 8.0


@dataclass(eq=False)
class Sleep:
    """Action: wait ``delay`` seconds."""

    delay: float


@dataclass(eq=False)
class RawResponse:
    """Outcome: an HTTP response. ``data`` is None when the body was not read (stream mode);
    ``native`` is the transport's own response object."""

    status: int
    reason: str
    headers: Mapping[str, str]
    data: bytes | None
    native: Any = None
    #: the body could not be accepted (too large, unsupported encoding): the call raises it
    problem: InvalidResponseException | None = None


Action = Union[PreparedRequest, Sleep]  # noqa: UP007 (runtime alias, Python 3.10)
Outcome = Union[RawResponse, NetworkException, None]  # noqa: UP007

TIME_ENDPOINT = Endpoint("GET", "/dapi/v1/time", Security.NONE)


def retry_delay(backoff: float, retry_number: int) -> float:
    """Seconds before retry number ``retry_number`` (1-based)."""
    return float(min(MAX_BACKOFF, backoff * (2 ** (retry_number - 1))))


class RequestCore:
    """State shared by every call of one client: configuration, default headers, clock,
    server-time offset and the latest rate-limit counters."""

    def __init__(
        self, config: Configuration, default_headers: dict[str, str], clock: Clock
    ) -> None:
        self.config = config
        self.default_headers = default_headers
        self.clock = clock
        #: server time minus local time, in ms (updated from GET /dapi/v1/time).
        self.time_offset_ms = 0
        self.rate_limits = RateLimits()

    def now_ms(self) -> int:
        return int(self.clock.time() * 1000) + self.time_offset_ms


def _decode(endpoint: Endpoint, raw: RawResponse) -> Any:
    payload = raw.data or b""
    if not payload.strip() and endpoint.response_type is None:
        return {}
    try:
        result = endpoint.decoder().decode(payload)
    except (msgspec.DecodeError, RecursionError) as exc:
        detail = "JSON nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise _invalid(raw, detail, payload) from exc
    problem = check_decimals(result)
    if problem is not None:
        raise _invalid(raw, f"number out of range: {problem}", payload)
    return result


def _invalid(raw: RawResponse, detail: str, payload: bytes) -> InvalidResponseException:
    error = InvalidResponseException(
        raw.status, f"{raw.reason}; {detail}", body=payload.decode("utf-8", "replace")
    )
    error.headers = raw.headers
    return error


def _http_info(result: Any, raw: RawResponse) -> Any:
    from ..api_response import ApiResponse

    return ApiResponse(
        status_code=raw.status, headers=raw.headers, data=result, raw_data=raw.data or b""
    )


def sync_time_flow(core: RequestCore) -> Generator[Action, Outcome, int]:
    """Measure the server-time offset with ``GET /dapi/v1/time`` (no retries)."""
    from ..models.account import ServerTime

    before = core.clock.time()
    request = build_request(
        TIME_ENDPOINT, core.config, core.default_headers, None, None, core.now_ms()
    )
    outcome = yield request
    after = core.clock.time()
    if isinstance(outcome, NetworkException):
        raise outcome
    assert isinstance(outcome, RawResponse)
    core.rate_limits.update(outcome.headers)
    if outcome.problem is not None:
        raise outcome.problem
    if not 200 <= outcome.status < 300:
        raise error_from_response(outcome, after)
    try:
        server = msgspec.json.decode(outcome.data or b"", type=ServerTime).server_time
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InvalidResponseException(
            outcome.status, f"bad /dapi/v1/time body: {exc}", body=repr(outcome.data)
        ) from exc
    core.time_offset_ms = server - int((before + after) * 500)
    return core.time_offset_ms


def call_flow(
    core: RequestCore,
    endpoint: Endpoint,
    params: Sequence[tuple[str, str]] | None,
    opts: CallOptions | None,
    mode: int,
) -> Generator[Action, Outcome, Any]:
    """One API call; see the module docstring for the protocol and the policy."""
    config = core.config
    max_retries = config.max_retries if endpoint.idempotent else 0
    retries = 0
    resynced = False
    stream = mode == MODE_RAW
    while True:
        request = build_request(
            endpoint, config, core.default_headers, params, opts, core.now_ms(), stream
        )
        outcome = yield request
        if _log.isEnabledFor(logging.DEBUG):
            # the path only: never headers (API key) or the signed query
            result_text = getattr(outcome, "status", None) or repr(
                outcome.reason if outcome else None
            )
            _log.debug("%s %s -> %s", endpoint.method, endpoint.path, result_text)
        if isinstance(outcome, NetworkException):
            if retries < max_retries and not outcome.permanent:
                retries += 1
                yield Sleep(retry_delay(config.retry_backoff, retries))
                continue
            raise outcome
        assert isinstance(outcome, RawResponse)
        status = outcome.status
        core.rate_limits.update(outcome.headers)
        if outcome.problem is not None:
            outcome.problem.headers = outcome.headers
            raise outcome.problem
        if stream:
            return outcome.native
        if 200 <= status < 300:
            result = _decode(endpoint, outcome)
            return result if mode == MODE_DATA else _http_info(result, outcome)
        error = error_from_response(outcome, core.clock.time())
        retry_after = getattr(error, "retry_after", None)
        if status in (418, 429):
            core.rate_limits.retry_after = retry_after
        if (
            error.code == BinanceCode.INVALID_TIMESTAMP
            and endpoint.security == Security.SIGNED
            and not resynced
        ):
            resynced = True
            yield from sync_time_flow(core)
            continue
        if status in RETRY_STATUSES and retries < max_retries:
            retries += 1
            yield Sleep(retry_delay(config.retry_backoff, retries))
            continue
        raise error


def run_sync(flow: Generator[Action, Outcome, Any], send: Any, sleep: Any) -> Any:
    """Drive ``flow`` with a blocking ``send(PreparedRequest) -> Outcome`` and ``sleep``."""
    try:
        action = next(flow)
        while True:
            if type(action) is Sleep:
                sleep(action.delay)
                action = flow.send(None)
            else:
                action = flow.send(send(action))
    except StopIteration as stop:
        return stop.value
