"""Reading the shared log: a durable JetStream consumer as an async iterator."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .. import events as ev
from ..accounts import check_account_id
from .codec import MessageDecodeError, decode_message
from .options import JetStreamOptions

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.js.client import JetStreamContext

__all__ = ["JetStreamConsumer"]


class JetStreamConsumer:
    """``(account, message)`` pairs from the ``CMFUTURES`` stream, in order per account.

    :param nats: a connected ``nats.aio.client.Client``, or a server URL to connect to (the
        connection is then closed with the consumer).
    :param durable: a durable consumer name: a restarted consumer with the same name resumes
        after the last acknowledged message. Without it, every run reads from the start.
    :param account: only this account's messages (default: every account).
    :param ack_wait: seconds before an unacknowledged message is delivered again.

    Acknowledgement is *after processing*: a message is acknowledged when the loop asks for
    the next one (or on :meth:`ack`). If the loop ends by ``break``, an exception or a crash,
    the last message handed out is not acknowledged and a durable consumer receives it again,
    once: at-least-once, with at most that one message repeated. On :meth:`close` it is
    returned at once (a negative acknowledgement); after a crash JetStream redelivers it when
    ``ack_wait`` has passed. Payloads this package did not
    write are acknowledged and skipped (counted in :attr:`skipped`), never fatal.
    """

    def __init__(
        self,
        nats: Client | str,
        *,
        durable: str | None = None,
        account: str | None = None,
        options: JetStreamOptions | None = None,
        ack_wait: float = 60.0,
        batch: int = 256,
    ) -> None:
        if account is not None:
            check_account_id(account)
        if durable is not None:
            check_account_id(durable)  # the same token rule applies to consumer names
        self.options = options or JetStreamOptions()
        self.durable = durable
        self.account = account
        self._nats_arg = nats
        self._nc: Client | None = None
        self._owns_connection = isinstance(nats, str)
        self._ack_wait = ack_wait
        self._batch = batch
        self._sub: Any = None
        self._pending: list[Msg] = []
        self._unacked: Msg | None = None
        self.skipped = 0

    async def __aenter__(self) -> JetStreamConsumer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Connect (if given a URL) and bind the pull consumer."""
        if self._sub is not None:
            return
        import nats
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        if isinstance(self._nats_arg, str):
            self._nc = await nats.connect(self._nats_arg)
        else:
            self._nc = self._nats_arg
        js: JetStreamContext = self._nc.jetstream()
        subject = self.options.subject(self.account or "*")
        self._sub = await js.pull_subscribe(
            subject,
            durable=self.durable,
            stream=self.options.stream,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=self._ack_wait,
            ),
        )

    async def close(self) -> None:
        """Stop reading; the last message handed out is returned for redelivery."""
        unacked = [self._unacked] if self._unacked is not None else []
        returned, self._pending, self._unacked = unacked + self._pending, [], None
        if self._nc is not None and self._nc.is_connected:
            for msg in returned:  # fetched but not processed: redeliver them at once
                await msg.nak()
        sub, self._sub = self._sub, None
        if sub is not None and self.durable is None:
            await sub.unsubscribe()
        if self._owns_connection and self._nc is not None:
            await self._nc.close()
        self._nc = None

    async def ack(self) -> None:
        """Acknowledge the last message handed out now (the loop otherwise does it later)."""
        msg, self._unacked = self._unacked, None
        if msg is not None:
            await msg.ack()

    def __aiter__(self) -> JetStreamConsumer:
        return self

    async def __anext__(self) -> tuple[str, ev.StreamMessage]:
        await self.ack()
        if self._sub is None:
            await self.start()
        while True:
            while not self._pending:
                self._pending = await self._fetch()
            msg = self._pending.pop(0)
            try:
                pair = decode_message(msg.data)
            except MessageDecodeError:
                self.skipped += 1
                await msg.ack()
                continue
            self._unacked = msg
            return pair

    async def _fetch(self) -> list[Msg]:
        from nats.errors import TimeoutError as NatsTimeout

        try:
            msgs: list[Msg] = await self._sub.fetch(self._batch, timeout=1.0)
        except (NatsTimeout, asyncio.TimeoutError):
            return []
        return msgs
