"""Creating (or binding to) the JetStream stream and KV buckets the workers share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .options import JetStreamOptions, WorkerOptions

if TYPE_CHECKING:
    from nats.js.client import JetStreamContext
    from nats.js.kv import KeyValue

__all__ = ["Buckets", "ensure_buckets", "ensure_stream"]


async def ensure_stream(js: JetStreamContext, options: JetStreamOptions) -> None:
    """Create the events stream if it is missing; an existing one is used as it is.

    Retention is by age (``options.max_age``) and size; ``duplicate_window`` is how long
    ``Nats-Msg-Id`` de-duplication remembers an id.
    """
    from nats.js.api import StreamConfig
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(options.stream)
        return
    except NotFoundError:
        pass
    await js.add_stream(
        StreamConfig(
            name=options.stream,
            subjects=[f"{options.subject_prefix}.*"],
            max_age=options.max_age or None,
            max_bytes=options.max_bytes,
            num_replicas=options.replicas,
            duplicate_window=options.duplicate_window,
        )
    )


class Buckets:
    """The three KV buckets: owner leases, worker heartbeats, handover requests."""

    def __init__(self, owners: KeyValue, workers: KeyValue, handover: KeyValue) -> None:
        self.owners = owners
        self.workers = workers
        self.handover = handover


async def ensure_buckets(
    js: JetStreamContext, options: JetStreamOptions, worker: WorkerOptions
) -> Buckets:
    """Create or bind the KV buckets; the lease TTL is the owners' and workers' ``max_age``."""

    async def bucket(name: str, ttl: float) -> KeyValue:
        from nats.js.errors import BucketNotFoundError

        try:
            return await js.key_value(name)
        except BucketNotFoundError:
            # limit_marker_ttl: the server writes a marker when an entry ages out, so
            # watchers see an expired lease as a removal (nats-server 2.11+)
            return await js.create_key_value(
                bucket=name, ttl=ttl, history=1, replicas=options.replicas, limit_marker_ttl=ttl
            )

    return Buckets(
        owners=await bucket(options.owners_bucket, worker.lease_ttl),
        workers=await bucket(options.workers_bucket, worker.lease_ttl),
        handover=await bucket(options.handover_bucket, worker.handover_timeout),
    )
