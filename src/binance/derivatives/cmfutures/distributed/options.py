"""Settings of the JetStream log and of the workers' leases."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["JetStreamOptions", "WorkerOptions"]

SEVEN_DAYS: float = 7 * 24 * 3600


@dataclass(frozen=True)
class JetStreamOptions:
    """Where messages go and how long JetStream keeps them.

    :ivar stream: the JetStream stream, created if missing.
    :ivar subject_prefix: messages of account ``A`` go to ``<prefix>.A``.
    :ivar max_age: retention in seconds (default 7 days; 0 keeps forever).
    :ivar max_bytes: retention by size (-1: unlimited).
    :ivar replicas: stream replicas (1 for a single server; 3 in a cluster).
    :ivar duplicate_window: how long JetStream remembers a ``Nats-Msg-Id`` (seconds). A message
        re-published later than this after the first copy is stored twice, so it must exceed
        the longest handover overlap and retry; the default 10 minutes does.
    :ivar owners_bucket: the KV bucket holding account -> worker id leases.
    :ivar workers_bucket: the KV bucket where live workers announce themselves.
    :ivar handover_bucket: the KV bucket where a joining worker asks for an account.
    """

    stream: str = "CMFUTURES"
    subject_prefix: str = "cmfutures.events"
    max_age: float = SEVEN_DAYS
    max_bytes: int = -1
    replicas: int = 1
    duplicate_window: float = 600.0
    owners_bucket: str = "cmfutures-owners"
    workers_bucket: str = "cmfutures-workers"
    handover_bucket: str = "cmfutures-handover"

    def subject(self, account: str) -> str:
        """The subject of ``account``'s messages."""
        return f"{self.subject_prefix}.{account}"


@dataclass(frozen=True)
class WorkerOptions:
    """A worker's lease and buffer settings.

    :ivar lease_ttl: a lease not renewed for this long expires and the account moves
        (seconds; default 10). Leases are renewed every ``lease_ttl / 3``.
    :ivar buffer_size: messages kept in memory while NATS is unreachable; past it the oldest
        are dropped and a ``StreamGap`` covering them is published when NATS returns.
    :ivar handover_timeout: a leaving worker releases an account (its new owner then fails it
        over, with a gap) that no live worker has been taking over for this long (seconds). A
        worker taking an account over says so in the handover bucket as soon as it starts the
        stream, and keeps saying so until that stream is live, however long its pool needs.
        Also the handover bucket's ``max_age``.
    :ivar handover_max: a leaving worker releases whatever it still owns this long after it
        began leaving, even accounts still being taken over (seconds; the longest a graceful
        leave lasts; give the process manager's stop timeout at least this).
    """

    lease_ttl: float = 10.0
    buffer_size: int = 100_000
    handover_timeout: float = 30.0
    handover_max: float = 300.0

    def __post_init__(self) -> None:
        if not self.lease_ttl > 0.5:
            raise ValueError(f"lease_ttl must be more than 0.5 s, got {self.lease_ttl!r}")
        if not self.handover_timeout >= 1.0:
            raise ValueError(
                "handover_timeout must be at least 1 s (the shortest max_age NATS accepts for "
                f"the handover bucket), got {self.handover_timeout!r}"
            )
        if not self.handover_max >= self.handover_timeout:
            raise ValueError(
                f"handover_max must be at least handover_timeout ({self.handover_timeout:g} s), "
                f"got {self.handover_max!r}"
            )
        if self.buffer_size < 1:
            raise ValueError(f"buffer_size must be at least 1, got {self.buffer_size!r}")

    @property
    def renew_interval(self) -> float:
        """Seconds between lease renewals."""
        return self.lease_ttl / 3
