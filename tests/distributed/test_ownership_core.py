"""The ownership rules, with no NATS: a small in-memory cluster drives several cores."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from binance.derivatives.cmfutures.distributed.ownership import (
    AnnounceShadow,
    Claim,
    ClusterView,
    Lease,
    Mode,
    OwnershipAction,
    OwnershipCore,
    Release,
    Renew,
    RequestHandover,
    StartStream,
    StopStream,
    Transfer,
    WithdrawRequest,
    desired_owner,
    handover_value,
    parse_handover,
)

ACCOUNTS = [f"acct-{i}" for i in range(60)]


class Cluster:
    """The KV buckets' semantics (create-if-absent, compare-and-set) and the workers' streams."""

    def __init__(self) -> None:
        self.owners: dict[str, Lease] = {}
        self.requests: dict[str, Lease] = {}
        self.pending: dict[str, Lease] = {}
        self.rev = 0
        self.now = 0.0
        self.slow = False  # streams connect only when connect() says so
        self.connecting: dict[str, set[str]] = {}
        self.releases: list[tuple[float, str, str]] = []  # (time, worker, account)
        self.cores: dict[str, OwnershipCore] = {}
        self.streaming: dict[str, set[str]] = {}
        self.failover_starts: list[tuple[str, str]] = []
        self.started_while_unowned: list[str] = []

    def join(self, worker: str, **options: float) -> OwnershipCore:
        core = OwnershipCore(worker, ACCOUNTS, **options)
        self.cores[worker] = core
        self.streaming[worker] = set()
        self.connecting[worker] = set()
        return core

    def kill(self, worker: str) -> None:
        del self.cores[worker]
        del self.streaming[worker]
        del self.connecting[worker]

    def connect(self, worker: str, accounts: set[str] | None = None) -> None:
        """Streams of ``worker`` that were still connecting (``slow``) connect now."""
        ready = self.connecting[worker] if accounts is None else accounts
        for account in sorted(ready & self.connecting[worker]):
            self.connecting[worker].discard(account)
            self.cores[worker].stream_live(account)

    def expire_leases_of(self, worker: str) -> None:
        for account, lease in list(self.owners.items()):
            if lease.worker == worker:
                del self.owners[account]

    def view(self) -> ClusterView:
        return ClusterView(
            workers=frozenset(self.cores),
            leaving=frozenset(w for w, c in self.cores.items() if c.leaving),
            owners=dict(self.owners),
            requests=dict(self.requests),
            pending=dict(self.pending),
        )

    def _next(self) -> int:
        self.rev += 1
        return self.rev

    def apply(self, worker: str, actions: list[OwnershipAction]) -> None:
        core = self.cores[worker]
        queue = list(actions)
        while queue:
            action = queue.pop(0)
            account = action.account
            match action:
                case Claim():
                    if account not in self.owners:
                        self.owners[account] = Lease(worker, self._next())
                        queue += core.claimed(account)
                    else:
                        queue += core.lease_lost(account)
                case Renew(revision=rev):
                    lease = self.owners.get(account)
                    if lease is not None and lease.revision == rev and lease.worker == worker:
                        self.owners[account] = Lease(worker, self._next())
                    else:
                        queue += core.lease_lost(account)
                case Transfer(to=to, revision=rev):
                    lease = self.owners.get(account)
                    if lease is not None and lease.revision == rev:
                        self.owners[account] = Lease(to, self._next())
                        queue += core.transferred(account)
                case Release(revision=rev):
                    if (lease := self.owners.get(account)) is not None and lease.revision == rev:
                        del self.owners[account]
                        self.releases.append((self.now, worker, account))
                case RequestHandover():  # one key: the live request replaces the pending one
                    self.pending.pop(account, None)
                    self.requests[account] = Lease(worker, self._next())
                case AnnounceShadow():
                    self.requests.pop(account, None)
                    self.pending[account] = Lease(worker, self._next())
                case WithdrawRequest():
                    for bucket in (self.requests, self.pending):
                        if (req := bucket.get(account)) and req.worker == worker:
                            del bucket[account]
                case StartStream(failover=failover):
                    self.streaming[worker].add(account)
                    if failover:
                        self.failover_starts.append((worker, account))
                    if self.slow:
                        self.connecting[worker].add(account)
                    else:
                        core.stream_live(account)  # connects at once
                case StopStream():
                    self.streaming[worker].discard(account)
                    self.connecting[worker].discard(account)

    def round(self, now: float | None = None) -> None:
        if now is not None:
            self.now = now
        for worker in list(self.cores):
            self.apply(worker, self.cores[worker].decide(self.view(), self.now))

    def settle(self, rounds: int = 6) -> None:
        for _ in range(rounds):
            self.round()

    def streamers(self, account: str) -> list[str]:
        return [w for w, accounts in self.streaming.items() if account in accounts]


def test_desired_owner_is_deterministic_and_balanced() -> None:
    workers = {"w1", "w2", "w3"}
    owners = Counter(desired_owner(a, workers) for a in (f"a{i}" for i in range(3000)))
    assert set(owners) == workers
    assert min(owners.values()) > 850  # fair share 1000 each
    assert desired_owner("x", []) is None
    assert desired_owner("x", ["w1", "w2"]) == desired_owner("x", ["w2", "w1"])


def test_single_worker_claims_everything_once() -> None:
    cluster = Cluster()
    cluster.join("w1")
    cluster.settle()
    assert all(cluster.owners[a].worker == "w1" for a in ACCOUNTS)
    assert cluster.streaming["w1"] == set(ACCOUNTS)
    # first start of an account is a "failover" start: the worker publishes a gap from the
    # last stored message (none on a fresh log) to its first connection
    assert len(cluster.failover_starts) == len(ACCOUNTS)


def test_joining_worker_takes_its_share_make_before_break() -> None:
    cluster = Cluster()
    cluster.join("w1")
    cluster.settle()
    cluster.failover_starts.clear()
    cluster.join("w2")
    seen_unstreamed = set()
    for _ in range(6):
        cluster.round()
        seen_unstreamed |= {a for a in ACCOUNTS if not cluster.streamers(a)}
    assert not seen_unstreamed  # at every step each account was streamed by someone
    assert cluster.failover_starts == []  # no gap for a handover
    share = {a for a in ACCOUNTS if desired_owner(a, {"w1", "w2"}) == "w2"}
    assert {a for a, lease in cluster.owners.items() if lease.worker == "w2"} == share
    assert cluster.streaming["w2"] == share
    assert cluster.streaming["w1"] == set(ACCOUNTS) - share
    assert cluster.requests == {}


def test_killed_worker_accounts_are_claimed_after_expiry_with_a_failover_start() -> None:
    cluster = Cluster()
    cluster.join("w1")
    cluster.join("w2")
    cluster.settle()
    w2_accounts = set(cluster.streaming["w2"])
    assert w2_accounts
    cluster.kill("w2")
    cluster.failover_starts.clear()
    cluster.settle()
    # the lease has not expired yet: nobody takes over (two owners must never overlap)
    assert all(cluster.owners[a].worker == "w2" for a in w2_accounts)
    assert cluster.streaming["w1"].isdisjoint(w2_accounts)
    cluster.expire_leases_of("w2")
    cluster.settle()
    assert cluster.streaming["w1"] == set(ACCOUNTS)
    assert {a for _, a in cluster.failover_starts} == w2_accounts


def test_graceful_leave_hands_everything_over_without_gaps() -> None:
    cluster = Cluster()
    for w in ("w1", "w2", "w3"):
        cluster.join(w)
    cluster.settle()
    cluster.failover_starts.clear()
    leaver = cluster.cores["w3"]
    leaver.leave(cluster.now)
    for _ in range(6):
        cluster.round()
        assert all(cluster.streamers(a) for a in ACCOUNTS)
    assert leaver.done_leaving
    assert cluster.failover_starts == []
    assert all(lease.worker in {"w1", "w2"} for lease in cluster.owners.values())


def test_a_lost_lease_stops_the_stream() -> None:
    cluster = Cluster()
    core = cluster.join("w1")
    cluster.settle()
    # another worker took the account while w1 was partitioned
    cluster.owners["acct-0"] = Lease("w9", cluster._next())
    cluster.round()
    assert "acct-0" not in cluster.streaming["w1"]
    assert core.running.get("acct-0") is None


def test_a_lease_expired_during_a_nats_outage_is_taken_back_without_a_restart() -> None:
    cluster = Cluster()
    cluster.join("w1")
    cluster.settle()
    cluster.failover_starts.clear()
    cluster.expire_leases_of("w1")  # NATS was down longer than the TTL
    cluster.round()
    assert cluster.streaming["w1"] == set(ACCOUNTS)  # never stopped
    assert all(cluster.owners[a].worker == "w1" for a in ACCOUNTS)
    assert cluster.failover_starts == []


def test_an_expired_lease_claimed_first_by_another_worker_stops_the_old_stream() -> None:
    cluster = Cluster()
    core = cluster.join("w1")
    cluster.settle()
    cluster.expire_leases_of("w1")
    cluster.apply("w1", [Claim("acct-1")])
    cluster.owners["acct-2"] = Lease("w9", cluster._next())  # w9 claimed it meanwhile
    cluster.apply("w1", [Claim("acct-2")])  # refused: w9 holds it
    assert "acct-2" not in core.running
    assert "acct-2" not in cluster.streaming["w1"]
    assert core.running["acct-1"] is Mode.OWNED


def test_a_restarted_worker_adopts_leases_it_still_holds() -> None:
    cluster = Cluster()
    cluster.join("w1")
    cluster.settle()
    cluster.kill("w1")
    cluster.join("w1")  # same id, within the TTL
    cluster.failover_starts.clear()
    cluster.round()
    assert cluster.streaming["w1"] == set(ACCOUNTS)
    assert {a for _, a in cluster.failover_starts} == set(ACCOUNTS)
    assert all(m is Mode.OWNED for m in cluster.cores["w1"].running.values())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["join", "leave", "kill", "expire", "round"]), max_size=25))
def test_never_two_owners_and_always_converges(steps: list[str]) -> None:
    cluster = Cluster()
    cluster.join("w0")
    n = 1
    dead: list[str] = []
    for step in steps:
        live = [w for w, c in cluster.cores.items() if not c.leaving]
        if step == "join":
            cluster.join(f"w{n}")
            n += 1
        elif step == "leave" and len(live) > 1:
            cluster.cores[live[-1]].leave(cluster.now)
        elif step == "kill" and len(live) > 1:
            cluster.kill(live[0])
            dead.append(live[0])
        elif step == "expire" and dead:
            cluster.expire_leases_of(dead.pop(0))
        cluster.round()
        for w in [w for w, c in cluster.cores.items() if c.done_leaving]:
            cluster.kill(w)
        # a lease names at most one worker, and only its holder streams in OWNED mode
        for account in ACCOUNTS:
            owned = [w for w, c in cluster.cores.items() if c.running.get(account) is Mode.OWNED]
            assert len(owned) <= 1
    for w in dead:
        cluster.expire_leases_of(w)
    cluster.settle(8)
    live = {w for w, c in cluster.cores.items() if not c.leaving}
    for account in ACCOUNTS:
        assert cluster.owners[account].worker == desired_owner(account, live)
        assert cluster.streamers(account) == [cluster.owners[account].worker]


def test_a_vanished_lease_is_left_to_its_holder_for_the_grace_period() -> None:
    # w1 held acct-x; NATS was down past the TTL, so its lease vanished; w2 is the desired owner
    account = next(a for a in ACCOUNTS if desired_owner(a, {"w1", "w2"}) == "w2")
    w2 = OwnershipCore("w2", [account], claim_grace=3.0)
    view = ClusterView(workers=frozenset({"w1", "w2"}), previous={account: "w1"})
    assert w2.decide(view, now=100.0) == []
    assert w2.decide(view, now=102.9) == []
    assert w2.decide(view, now=103.0) == [Claim(account)]  # w1 did not take it back
    # the holder itself claims at once, and keeps streaming
    w1 = OwnershipCore("w1", [account], claim_grace=3.0)
    w1.running[account] = Mode.OWNED
    assert w1.decide(view, now=100.0) == [Claim(account)]
    # never held (a fresh log): no grace
    fresh = OwnershipCore("w2", [account], claim_grace=3.0)
    assert fresh.decide(ClusterView(workers=frozenset({"w2"})), now=0.0) == [Claim(account)]


def test_a_handover_request_that_vanished_is_made_again() -> None:
    account = next(a for a in ACCOUNTS if desired_owner(a, {"w1", "w2"}) == "w2")
    w2 = OwnershipCore("w2", [account])
    view = ClusterView(workers=frozenset({"w1", "w2"}), owners={account: Lease("w1", 1)})
    assert w2.decide(view) == [StartStream(account, failover=False), AnnounceShadow(account)]
    w2.stream_live(account)
    assert w2.decide(view) == [RequestHandover(account)]
    # the put failed, or the request expired before w1 acted: ask again
    assert w2.decide(view) == [RequestHandover(account)]
    asked = ClusterView(workers=view.workers, owners=view.owners,
                        requests={account: Lease("w2", 2)})
    assert w2.decide(asked) == []  # visible: wait for the owner


def test_leases_are_renewed_when_due_not_on_every_decision() -> None:
    # every renewal is a bucket change that wakes every other worker: renewing on each
    # decision would make two workers wake each other for ever
    core = OwnershipCore("w1", ["a"], renew_every=3.0)
    assert core.decide(ClusterView(workers=frozenset({"w1"})), now=0.0) == [Claim("a")]
    core.claimed("a")
    view = ClusterView(workers=frozenset({"w1"}), owners={"a": Lease("w1", 7)})
    assert core.decide(view, now=1.0) == []
    assert core.decide(view, now=2.9) == []
    assert core.decide(view, now=3.0) == [Renew("a", 7)]
    assert core.decide(view, now=3.5) == []


# ---------------------------------------------------------------- a leave with a slow new owner
# A worker taking accounts over brings their streams up at its pool's pace: a listen key per
# account under a REST weight budget the exchange may say is nearly spent (a whole minute's
# wait), then subscriptions paced per connection. The leaver must wait for it, not release
# (a release ends with a failover gap on the new owner), however long that takes, as long as
# the new owner is alive and says it is taking the account (its pending request).

TIMEOUT, MAX = 30.0, 300.0


def leaving_pair(**options: float) -> tuple[Cluster, OwnershipCore, set[str]]:
    """w1 and w2 settled; then w1's new streams connect only when told; w2 starts leaving."""
    cluster = Cluster()
    cluster.join("w1")
    leaver = cluster.join("w2", handover_timeout=TIMEOUT, handover_max=MAX, **options)
    cluster.settle()
    moving = set(cluster.streaming["w2"])
    assert moving
    cluster.failover_starts.clear()
    cluster.slow = True
    leaver.leave(cluster.now)
    return cluster, leaver, moving


def test_handover_values_round_trip() -> None:
    assert parse_handover(handover_value("w-1", live=True)) == ("w-1", True)
    assert parse_handover(handover_value("w-1", live=False)) == ("w-1", False)
    assert handover_value("w-1", live=True) == "w-1"  # a live request is the bare worker id


def test_a_leaver_waits_for_a_slow_new_owner_past_the_handover_timeout() -> None:
    cluster, leaver, moving = leaving_pair()
    for t in range(0, 240, 3):  # 8 handover timeouts with no stream connecting at all
        cluster.round(float(t))
        assert cluster.releases == []
        assert {a for a, lease in cluster.owners.items() if lease.worker == "w2"} == moving
        assert set(cluster.pending) == moving  # announced, kept announced
        assert all(cluster.streamers(a) for a in ACCOUNTS)
    # the new owner's pool gets there, a few accounts at a time: each moves as it goes live
    for batch in range(0, len(moving), 7):
        cluster.connect("w1", set(sorted(moving)[batch : batch + 7]))
        cluster.round(cluster.now + 1.0)
    cluster.round(cluster.now + 1.0)
    assert leaver.done_leaving
    assert cluster.releases == []
    assert cluster.failover_starts == []  # no gap
    assert all(lease.worker == "w1" for lease in cluster.owners.values())
    assert cluster.requests == {} and cluster.pending == {}


def test_an_expired_pending_request_is_announced_again_and_the_leaver_keeps_waiting() -> None:
    cluster, _leaver, moving = leaving_pair()
    cluster.round(1.0)
    assert set(cluster.pending) == moving
    cluster.pending.clear()  # the handover bucket's max_age ran out
    cluster.round(29.0)
    cluster.round(40.0)
    assert set(cluster.pending) == moving
    assert cluster.releases == []


def test_an_account_nobody_takes_over_is_released_after_the_handover_timeout() -> None:
    cluster, leaver, moving = leaving_pair()
    cluster.kill("w1")  # the only other worker dies before taking anything over
    gone = ClusterView(workers=frozenset({"w2"}), leaving=frozenset({"w2"}),
                       owners=dict(cluster.owners))
    assert not any(isinstance(a, Release) for a in leaver.decide(gone, TIMEOUT - 0.1))
    actions = leaver.decide(gone, TIMEOUT)
    assert {a.account for a in actions if isinstance(a, Release)} == moving
    assert {a.account for a in actions if isinstance(a, StopStream)} == moving
    assert leaver.done_leaving


def test_a_new_owner_that_dies_mid_handover_gets_its_accounts_released() -> None:
    cluster, _leaver, moving = leaving_pair()
    cluster.round(10.0)
    assert set(cluster.pending) == moving  # last seen being taken at 10 s
    cluster.kill("w1")  # its heartbeat expired: its pending requests no longer count
    cluster.round(10.0 + TIMEOUT - 0.5)
    assert cluster.releases == []
    cluster.round(10.0 + TIMEOUT)
    assert {a for _, _, a in cluster.releases} == moving


def test_handover_max_bounds_the_leave_and_the_new_owner_announces_the_gap() -> None:
    cluster, leaver, moving = leaving_pair()
    for t in range(0, int(MAX), 5):
        cluster.round(float(t))
    assert cluster.releases == []
    cluster.round(MAX)
    assert {a for _, _, a in cluster.releases} == moving
    assert leaver.done_leaving
    cluster.kill("w2")
    cluster.round(MAX + 1)
    # w1 claims what it was still connecting: it starts them as failovers, so the time
    # between the leaver's stop and its own connection is published as a StreamGap
    assert {a for _, a in cluster.failover_starts} == moving
    assert all(cluster.owners[a].worker == "w1" for a in moving)


def test_a_claimed_shadow_that_is_live_needs_no_gap() -> None:
    core = OwnershipCore("w1", ["a"])
    core.running["a"] = Mode.SHADOW
    assert core.needs_gap_on_claim("a")
    core.stream_live("a")
    assert not core.needs_gap_on_claim("a")
    assert core.claimed("a") == []
    assert OwnershipCore("w1", ["a"]).needs_gap_on_claim("a")  # not streaming at all


@settings(max_examples=80, deadline=None)
@given(
    delays=st.lists(st.floats(min_value=0, max_value=250), min_size=len(ACCOUNTS),
                    max_size=len(ACCOUNTS)),
    step=st.floats(min_value=0.5, max_value=10),
    expiries=st.sets(st.integers(min_value=0, max_value=80), max_size=10),
)
def test_a_leave_never_releases_what_a_live_new_owner_is_taking_over(
    delays: list[float], step: float, expiries: set[int]
) -> None:
    """Whatever each stream's connection time (up to 250 s, under handover_max) and however
    often the pending requests expire, a leave ends with every account handed over: no
    release, no failover gap, every account streamed at every step."""
    cluster, leaver, moving = leaving_pair()
    connect_at = dict(zip(ACCOUNTS, delays, strict=True))
    rounds = 0
    while not leaver.done_leaving:
        rounds += 1
        assert rounds < 2000
        now = cluster.now + step
        if rounds in expiries:
            cluster.pending.clear()
        cluster.connect("w1", {a for a in moving if connect_at[a] <= now})
        cluster.round(now)
        assert cluster.releases == []
        assert all(cluster.streamers(a) for a in ACCOUNTS)
    assert cluster.failover_starts == []
    assert all(lease.worker == "w1" for lease in cluster.owners.values())
