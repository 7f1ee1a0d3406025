"""Who streams which account: the workers' ownership decisions, sans I/O.

Every worker runs one :class:`OwnershipCore`. It is told what the KV buckets hold (a
:class:`ClusterView`: live workers, owner leases, handover requests) and what its own streams are
doing, and answers with actions; :mod:`.worker` carries them out against NATS and a
:class:`~binance.derivatives.cmfutures.StreamPool`. The engine does the hard parts: a lease is a
KV entry in a bucket whose ``max_age`` is the lease TTL, renewed by a compare-and-set update, so
a worker that stops renewing (killed, partitioned) loses it without anyone deciding so, and two
workers can never both hold one.

The rules, per account ``A``, with ``desired(A)`` the live worker of highest rendezvous hash
(so a worker joining or leaving moves only its fair share):

* **Owner**: renew the lease. If ``desired(A)`` asks for ``A`` (a handover request, written only
  once its own stream of ``A`` is live), transfer the lease to it, then stop: make before break.
* **Unowned** (lease expired or released) and ``desired(A)`` is this worker: claim it. A claim
  of an account this worker is not already streaming live starts its stream with a failover gap
  (the worker publishes ``StreamGap`` from the last stored message to its new connection).
* **Owned by another worker, desired here**: start a *shadow* stream (published too; JetStream
  de-duplicates the overlap) and announce it (a *pending* handover request: "I am taking this
  over"); once it is live, request the handover.
* **Shadowing an account no longer desired here**: stop and withdraw the request.
* **Lease lost** (a renewal or claim refused: another worker holds it now): stop streaming it.
  A lease that merely expired (NATS was unreachable longer than the TTL) is claimed back
  without stopping: the stream never stopped, so there is nothing to announce.
* **Leaving** (:meth:`OwnershipCore.leave`): this worker no longer counts as live, so every
  account moves by handover. An account is released (its new owner then fails it over, with a
  gap) only when no live worker has been taking it over for ``handover_timeout`` seconds: one
  whose desired owner keeps its pending request up is waited for, however slowly that
  worker's pool brings the streams up (its REST weight budget, the exchange's reported
  weight), up to ``handover_max`` seconds after the leave began.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "AnnounceShadow",
    "Claim",
    "ClusterView",
    "Lease",
    "Mode",
    "OwnershipAction",
    "OwnershipCore",
    "Release",
    "Renew",
    "RequestHandover",
    "StartStream",
    "StopStream",
    "Transfer",
    "WithdrawRequest",
    "desired_owner",
    "handover_value",
    "parse_handover",
]

_PENDING = " starting"


def handover_value(worker: str, live: bool) -> str:
    """The handover bucket's value: the bare worker id once its stream is live (a request the
    owner acts on), ``"<worker> starting"`` while it is still being brought up."""
    return worker if live else worker + _PENDING


def parse_handover(value: str) -> tuple[str, bool]:
    """``(worker, live)`` of a handover bucket value (see :func:`handover_value`)."""
    if value.endswith(_PENDING):
        return value[: -len(_PENDING)], False
    return value, True


@dataclass(frozen=True)
class Lease:
    """A KV entry: the worker id it holds and its revision (for compare-and-set)."""

    worker: str
    revision: int


@dataclass(frozen=True)
class ClusterView:
    """What the buckets say right now.

    :ivar workers: ids of the workers whose heartbeat has not expired.
    :ivar leaving: those of them that announced a graceful exit (alive, but no longer given
        accounts).
    :ivar owners: account -> owner lease.
    :ivar requests: account -> handover request (the requesting worker, its stream live).
    :ivar pending: account -> the worker that has started a shadow of it, not live yet.
    :ivar previous: account -> the worker whose lease of it was last seen to vanish.
    """

    workers: frozenset[str]
    leaving: frozenset[str] = frozenset()
    previous: Mapping[str, str] = field(default_factory=dict)
    owners: Mapping[str, Lease] = field(default_factory=dict)
    requests: Mapping[str, Lease] = field(default_factory=dict)
    pending: Mapping[str, Lease] = field(default_factory=dict)


def desired_owner(account: str, workers: Iterable[str]) -> str | None:
    """The worker that should stream ``account`` (rendezvous hashing), or None if none is live."""
    best: tuple[bytes, str] | None = None
    for worker in workers:
        score = hashlib.blake2b(f"{account}\x00{worker}".encode(), digest_size=8).digest()
        if best is None or (score, worker) > best:
            best = (score, worker)
    return None if best is None else best[1]


class Mode(enum.Enum):
    """How this worker runs an account's stream."""

    OWNED = "owned"
    SHADOW = "shadow"


@dataclass(frozen=True)
class Claim:
    """Create the owner lease of ``account`` (only if there is none)."""

    account: str


@dataclass(frozen=True)
class Renew:
    """Renew the owner lease (compare-and-set on ``revision``)."""

    account: str
    revision: int


@dataclass(frozen=True)
class Transfer:
    """Hand the owner lease to ``to`` (compare-and-set on ``revision``)."""

    account: str
    to: str
    revision: int


@dataclass(frozen=True)
class Release:
    """Delete the owner lease (leaving with nobody ready to take the account)."""

    account: str
    revision: int


@dataclass(frozen=True)
class RequestHandover:
    """Ask the owner for ``account``: this worker's stream of it is live."""

    account: str


@dataclass(frozen=True)
class AnnounceShadow:
    """Tell the owner that this worker is taking ``account`` over: its stream is starting
    (a pending handover request, replaced by :class:`RequestHandover` once live)."""

    account: str


@dataclass(frozen=True)
class WithdrawRequest:
    """Delete this worker's handover request for ``account``."""

    account: str


@dataclass(frozen=True)
class StartStream:
    """Start streaming ``account``; ``failover``: publish a gap up to its first connection."""

    account: str
    failover: bool


@dataclass(frozen=True)
class StopStream:
    """Stop streaming ``account``."""

    account: str


OwnershipAction = (
    Claim
    | Renew
    | Transfer
    | Release
    | RequestHandover
    | AnnounceShadow
    | WithdrawRequest
    | StartStream
    | StopStream
)


class OwnershipCore:
    """The ownership decisions of worker ``worker_id`` over ``accounts``. No I/O, no clock.

    Call :meth:`decide` with a fresh :class:`ClusterView` every renewal interval (and whenever
    the buckets change), carry out the actions in order, and report outcomes with
    :meth:`claimed`, :meth:`lease_lost`, :meth:`transferred` and :meth:`stream_live`.

    :param handover_timeout: leaving, an account that no live worker has been seen taking over
        (a pending or live handover request from its desired owner) for this long is released.
    :param handover_max: leaving, everything still owned this long after :meth:`leave` is
        released, however the handovers are going.
    """

    def __init__(
        self,
        worker_id: str,
        accounts: Iterable[str],
        *,
        claim_grace: float = 0.0,
        renew_every: float = 0.0,
        handover_timeout: float = 30.0,
        handover_max: float = 300.0,
    ) -> None:
        self.worker_id = worker_id
        self.accounts: tuple[str, ...] = tuple(dict.fromkeys(accounts))
        self.claim_grace = claim_grace
        self.renew_every = renew_every
        self._renewed_at: dict[str, float] = {}
        self._free_since: dict[str, float] = {}
        self.running: dict[str, Mode] = {}
        self.live: set[str] = set()
        self.requested: set[str] = set()
        self.handover_timeout = handover_timeout
        self.handover_max = max(handover_max, handover_timeout)
        self.leaving = False
        self._left_at = 0.0
        self._taken_seen: dict[str, float] = {}  # leaving: account -> last seen being taken
        self._now = 0.0

    # ----------------------------------------------------------------- inputs

    def stream_live(self, account: str) -> None:
        """This worker's stream of ``account`` is connected."""
        if account in self.running:
            self.live.add(account)

    def needs_gap_on_claim(self, account: str) -> bool:
        """Would a successful :class:`Claim` of ``account`` start it with a failover gap?
        (Then the worker reads where the stored log ends *before* claiming: once the lease is
        ours, other workers may start shadows that publish.)"""
        mode = self.running.get(account)
        return mode is None or (mode is Mode.SHADOW and account not in self.live)

    def claimed(self, account: str) -> list[OwnershipAction]:
        """A :class:`Claim` succeeded: this worker owns ``account`` now.

        A refused claim is reported with :meth:`lease_lost`.
        """
        gap = self.needs_gap_on_claim(account)
        self.running[account] = Mode.OWNED
        self._renewed_at[account] = self._now
        actions: list[OwnershipAction] = []
        if account in self.requested:
            self.requested.discard(account)
            actions.append(WithdrawRequest(account))
        if gap:
            # a new stream, or a shadow not yet connected when its owner let go (released,
            # not handed over): what nobody streamed meanwhile is a gap, up to its connection
            actions.append(StartStream(account, failover=True))
        return actions

    def lease_lost(self, account: str) -> list[OwnershipAction]:
        """A renewal or transfer was refused, or the lease vanished: another worker has it."""
        if self.running.get(account) is Mode.OWNED:
            return self._stop(account)
        return []

    def transferred(self, account: str) -> list[OwnershipAction]:
        """A :class:`Transfer` succeeded: stop streaming (the new owner already is)."""
        return self._stop(account)

    def leave(self, now: float) -> None:
        """Begin a graceful exit at ``now``: stop counting this worker as live."""
        if not self.leaving:
            self.leaving = True
            self._left_at = now

    @property
    def leave_deadline(self) -> float:
        """Leaving: the time by which every account has been handed over or released."""
        return self._left_at + self.handover_max

    def release_all(self, view: ClusterView) -> list[OwnershipAction]:
        """Leaving with nobody to hand over to (or past :attr:`leave_deadline`): give up what
        is still owned."""
        actions: list[OwnershipAction] = []
        for account, mode in list(self.running.items()):
            lease = view.owners.get(account)
            if mode is Mode.OWNED and lease is not None and lease.worker == self.worker_id:
                actions.append(Release(account, lease.revision))
            actions += self._stop(account)
        return actions

    @property
    def done_leaving(self) -> bool:
        """Leaving, and nothing is streamed any more."""
        return self.leaving and not self.running

    # ----------------------------------------------------------------- decisions

    def decide(self, view: ClusterView, now: float = 0.0) -> list[OwnershipAction]:
        """The actions that bring this worker's share in line with ``view`` at time ``now``.

        An account whose lease another worker held is claimed only ``claim_grace`` seconds
        after its lease was first seen gone: if that worker is alive and still streaming it
        (NATS was unreachable longer than the TTL), it takes the lease back meanwhile, and no
        needless failover (with its gap) happens.
        """
        self._now = now
        workers = set(view.workers) - view.leaving
        if self.leaving:
            workers.discard(self.worker_id)
        else:
            workers.add(self.worker_id)
        actions: list[OwnershipAction] = []
        for account in self.accounts:
            if account in view.owners:
                self._free_since.pop(account, None)
            else:
                self._free_since.setdefault(account, now)
            actions += self._decide_one(account, view, desired_owner(account, workers))
        return actions

    def _renew_if_due(self, account: str, revision: int) -> list[OwnershipAction]:
        """Renew every ``renew_every`` seconds, not on every decision: a decision runs on every
        bucket change, and renewals are bucket changes for every other worker."""
        last = self._renewed_at.get(account)
        if last is not None and self._now - last < self.renew_every:
            return []
        self._renewed_at[account] = self._now
        return [Renew(account, revision)]

    def _handover_abandoned(self, account: str, view: ClusterView, desired: str | None) -> bool:
        """Leaving: give ``account`` up? Not while its desired owner is taking it over (its
        pending request is in the bucket, kept there as long as its shadow is coming up): a
        slow new owner must not be overtaken by a release and a failover gap. Yes once nobody
        has been seen taking it for ``handover_timeout``, or past ``handover_max``."""
        now = self._now
        if now - self._left_at >= self.handover_max:
            return True
        taker = view.pending.get(account)
        if desired is not None and taker is not None and taker.worker == desired:
            self._taken_seen[account] = now
        seen = max(self._left_at, self._taken_seen.get(account, self._left_at))
        return now - seen >= self.handover_timeout

    def _may_claim(self, account: str, view: ClusterView) -> bool:
        previous = view.previous.get(account)
        if previous is None or previous == self.worker_id:
            return True
        return self._now - self._free_since.get(account, self._now) >= self.claim_grace

    def _decide_one(
        self, account: str, view: ClusterView, desired: str | None
    ) -> list[OwnershipAction]:
        me = self.worker_id
        lease = view.owners.get(account)
        mode = self.running.get(account)
        if lease is not None and lease.worker == me:
            if mode is not Mode.OWNED:
                # a lease we hold but did not know of (a restart within the TTL): adopt it
                return [Renew(account, lease.revision), *self.claimed(account)]
            request = view.requests.get(account)
            if request is not None and request.worker == desired and desired != me:
                return [Transfer(account, desired, lease.revision)]
            if self.leaving and self._handover_abandoned(account, view, desired):
                return [Release(account, lease.revision), *self._stop(account)]
            return self._renew_if_due(account, lease.revision)
        if mode is Mode.OWNED:
            if lease is None:
                # our lease expired while NATS was unreachable: we never stopped streaming,
                # so take it back (a refused claim means another worker won: then we stop)
                return [Claim(account)]
            return self.lease_lost(account)
        if lease is None:
            if desired == me and not self.leaving:
                return [Claim(account)] if self._may_claim(account, view) else []
            if mode is Mode.SHADOW and desired != me:
                return self._stop(account)
            return []
        # owned by another worker
        if desired != me or self.leaving:
            return self._stop(account) if mode is Mode.SHADOW else []
        if lease.worker not in view.workers:
            return []  # its owner is gone: wait for the lease to expire, then claim
        if mode is None:
            self.running[account] = Mode.SHADOW
            self.requested.add(account)
            return [StartStream(account, failover=False), AnnounceShadow(account)]
        # (again) until the bucket shows it: a put that failed, or a request that expired
        # (the bucket's max_age) before the owner acted, must not leave the handover waiting
        # for ever, nor a leaving owner thinking nobody is taking the account
        self.requested.add(account)
        if account in self.live:
            request = view.requests.get(account)
            if request is None or request.worker != me:
                return [RequestHandover(account)]
            return []
        pending = view.pending.get(account)
        if pending is None or pending.worker != me:
            return [AnnounceShadow(account)]
        return []

    def _stop(self, account: str) -> list[OwnershipAction]:
        actions: list[OwnershipAction] = []
        if self.running.pop(account, None) is not None:
            actions.append(StopStream(account))
        self.live.discard(account)
        if account in self.requested:
            self.requested.discard(account)
            actions.append(WithdrawRequest(account))
        return actions

    def fair_share(self, view: ClusterView) -> int:
        """How many accounts rendezvous hashing gives this worker under ``view``."""
        workers = (set(view.workers) - view.leaving) | {self.worker_id}
        return sum(1 for a in self.accounts if desired_owner(a, workers) == self.worker_id)
