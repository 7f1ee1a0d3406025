"""An :class:`~binance.derivatives.cmfutures.AccountMirror` fed from the workers' JetStream log.

The mirror needs one account's messages as a stream with control events in band; the log has
them (each worker publishes ``StreamConnected``, ``StreamGap``...). :class:`JetStreamFeed`
reads the account's subject from *now on* (a mirror starts from a REST snapshot, not from
history) and begins with a ``StreamConnected`` of its own, so the mirror snapshots at once;
every ``StreamGap`` a worker published (a failover, a buffer overflow) makes it resync.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .. import events as ev
from ..accounts import check_account_id
from .codec import MessageDecodeError, decode_message
from .options import JetStreamOptions

if TYPE_CHECKING:
    from ..configuration import Configuration
    from ..mirror.aio import AccountMirror

__all__ = ["JetStreamFeed", "mirror_from_jetstream"]


class JetStreamFeed:
    """One account's new messages from JetStream, as a stream an AccountMirror consumes.

    :param nats_url: ``nats://HOST:PORT``.
    :param account: the account id.
    :param options: where the workers publish (:class:`~.options.JetStreamOptions`).

    Uses an ordered, ephemeral JetStream consumer (nothing to clean up, no acks): it resumes
    by itself after a NATS reconnect, with no message skipped. Payloads it cannot decode are
    counted in :attr:`skipped`.
    """

    def __init__(
        self, nats_url: str, account: str, options: JetStreamOptions | None = None
    ) -> None:
        self.nats_url = nats_url
        self.account = check_account_id(account)
        self.options = options or JetStreamOptions()
        self.skipped = 0
        self._nc: Any = None
        self._sub: Any = None
        self._first: ev.StreamMessage | None = None

    async def __aenter__(self) -> JetStreamFeed:
        import nats
        from nats.js.api import DeliverPolicy

        self._nc = await nats.connect(self.nats_url, max_reconnect_attempts=-1)
        self._sub = await self._nc.jetstream().subscribe(
            self.options.subject(self.account),
            stream=self.options.stream,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
        )
        self._first = ev.StreamConnected(at=time.time(), url=self.nats_url, connection_id=0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._nc is not None:
            await self._nc.close()
        self._nc = self._sub = None

    def __aiter__(self) -> JetStreamFeed:
        return self

    async def __anext__(self) -> ev.StreamMessage:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        if self._sub is None:
            raise StopAsyncIteration
        while True:
            msg = await self._sub.next_msg(timeout=None)
            try:
                _, message = decode_message(msg.data)
            except MessageDecodeError:
                self.skipped += 1
                continue
            return message  # type: ignore[no-any-return]


def mirror_from_jetstream(
    configuration: Configuration,
    nats_url: str,
    account: str,
    *,
    options: JetStreamOptions | None = None,
    **mirror_kwargs: Any,
) -> AccountMirror:
    """An AccountMirror of ``account`` whose events come from the workers' log.

    ``configuration`` carries the account's own auth and REST host: the mirror's snapshots
    (and fill recovery after a gap) are REST calls of that account; events cost no connection
    to Binance. Use it as ``async with mirror_from_jetstream(...) as mirror:``.
    """
    from ..mirror.aio import AccountMirror

    feed = JetStreamFeed(nats_url, account, options)
    return AccountMirror(configuration, stream=feed, **mirror_kwargs)
