"""Past one machine: workers sharing accounts through NATS JetStream, with failover.

Needs the ``distributed`` extra (``nats-py``). See ``docs/distributed.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "JetStreamConsumer": "consumer",
    "JetStreamFeed": "mirror_feed",
    "mirror_from_jetstream": "mirror_feed",
    "JetStreamPublisher": "publisher",
    "JetStreamOptions": "options",
    "WorkerOptions": "options",
    "Worker": "worker",
    "decode_message": "codec",
    "encode_message": "codec",
    "message_id": "codec",
}

__all__ = [
    "JetStreamConsumer",
    "JetStreamFeed",
    "JetStreamOptions",
    "JetStreamPublisher",
    "Worker",
    "WorkerOptions",
    "decode_message",
    "encode_message",
    "message_id",
    "mirror_from_jetstream",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)

if TYPE_CHECKING:
    from .codec import decode_message, encode_message, message_id
    from .consumer import JetStreamConsumer
    from .mirror_feed import JetStreamFeed, mirror_from_jetstream
    from .options import JetStreamOptions, WorkerOptions
    from .publisher import JetStreamPublisher
    from .worker import Worker
