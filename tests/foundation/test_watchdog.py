"""The sync client's deadline watchdog frees what it tracks (issue 9 follow-up).

Every attempt of the sync client arms a guard on the process-wide watchdog. A finished guard
must leave its heap when it finishes, not when its deadline comes round: otherwise the heap
grows with request rate × deadline (10 s of guards at 1,000 calls/s: 10,000 entries).
"""

from __future__ import annotations

from binance.derivatives.cmfutures import ApiClient, Configuration, MarketDataApi
from binance.derivatives.cmfutures._http.watchdog import Guard, watchdog

from .stub_server import StubServer

N = 50


def test_nothing_is_pending_after_completed_requests(server: StubServer) -> None:
    cfg = Configuration(host=server.url, timeout=(5.0, 30.0))  # 35 s deadlines
    with ApiClient(cfg) as client:
        api = MarketDataApi(client)
        for _ in range(N):
            assert api.cmfutures_get_time_v1().server_time > 0
        assert len(server.requests) >= N
        assert watchdog.pending() == 0


def test_guards_finished_out_of_order_do_not_accumulate() -> None:
    """Guards finishing while an earlier-deadline one still runs are buried in the heap:
    they are dropped once they outnumber the running ones, not at their deadline."""
    first = Guard(600.0).__enter__()
    later = [Guard(600.0 + i).__enter__() for i in range(1, 200)]
    for guard in later:
        guard.finish()
    assert watchdog.pending() <= 2 * 1 + 8
    first.finish()
    assert watchdog.pending() == 0
