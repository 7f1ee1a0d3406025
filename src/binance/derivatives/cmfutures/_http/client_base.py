"""State and accessors shared by :class:`~..api_client.ApiClient` and
:class:`~..async_api_client.AsyncApiClient` (written once; the clients add a transport)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .flow import RequestCore
from .ratelimit import RateLimits
from .request import USER_AGENT

if TYPE_CHECKING:
    from ..clock import Clock
    from ..configuration import Configuration

__all__ = ["ClientBase"]


class ClientBase:
    """Configuration, default headers, clock, server-time offset and rate-limit counters.

    ``configuration=None`` means :meth:`Configuration.get_default`; ``clock=None`` means
    :class:`~..clock.SystemClock` (timestamps of SIGNED requests come from it). ``cookie`` is
    sent as a ``Cookie`` header; ``header_name``/``header_value`` add one default header.
    """

    def __init__(
        self,
        configuration: Configuration | None = None,
        header_name: str | None = None,
        header_value: str | None = None,
        cookie: str | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        if configuration is None:
            from ..configuration import Configuration

            configuration = Configuration.get_default()
        self.configuration = configuration
        if clock is None:
            from ..clock import SystemClock

            clock = SystemClock()
        self.clock = clock
        self.default_headers: dict[str, str] = {"User-Agent": USER_AGENT}
        if header_name is not None:
            self.default_headers[header_name] = header_value or ""
        self.cookie = cookie
        if cookie:
            self.default_headers["Cookie"] = cookie
        self._core = RequestCore(configuration, self.default_headers, clock)
        self.closed = False

    @property
    def user_agent(self) -> str:
        return self.default_headers["User-Agent"]

    @user_agent.setter
    def user_agent(self, value: str) -> None:
        self.default_headers["User-Agent"] = value

    def set_default_header(self, header_name: str, header_value: str) -> None:
        self.default_headers[header_name] = header_value

    @property
    def rate_limits(self) -> RateLimits:
        """Counters from the ``X-MBX-USED-WEIGHT-*``/``X-MBX-ORDER-COUNT-*`` headers of the
        latest responses."""
        return self._core.rate_limits

    @property
    def used_weight(self) -> dict[str, int]:
        """IP weight used per interval as of the last response, e.g. ``{"1M": 7}``."""
        return self._core.rate_limits.used_weight

    @property
    def order_count(self) -> dict[str, int]:
        """Account order counts per interval as of the last order response."""
        return self._core.rate_limits.order_count

    @property
    def time_offset_ms(self) -> int:
        """Server time minus local (clock) time in ms, used for ``timestamp``."""
        return self._core.time_offset_ms

    @time_offset_ms.setter
    def time_offset_ms(self, value: int) -> None:
        self._core.time_offset_ms = int(value)
