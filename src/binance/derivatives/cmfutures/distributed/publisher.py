"""Publishing stream messages into JetStream, through NATS outages, with honest gaps."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import events as ev
from .codec import encode_message, message_id
from .options import JetStreamOptions

if TYPE_CHECKING:
    from nats.js.client import JetStreamContext

__all__ = ["JetStreamPublisher", "message_time"]

_log = logging.getLogger("binance.derivatives.cmfutures.distributed")


def message_time(message: ev.StreamMessage) -> float | None:
    """The message's own time in epoch seconds: ``E`` of an event, ``at``/``until`` of a notice."""
    if isinstance(message, ev.StreamGap):
        return message.until
    at = getattr(message, "at", None)
    if isinstance(at, int | float):
        return float(at)
    event_time = getattr(message, "event_time", None)
    if isinstance(event_time, int):
        return event_time / 1000
    return None


@dataclass
class _Dropped:
    since: float
    until: float
    count: int


class JetStreamPublisher:
    """Publishes ``(account, message)`` pairs to ``<subject_prefix>.<account>`` in order.

    :meth:`publish` never blocks and never fails: messages wait in a bounded in-memory buffer
    while NATS is unreachable and are published, in order, when it returns. Past
    ``buffer_size`` the oldest are dropped, and a ``StreamGap`` covering exactly the dropped
    messages' times (reason ``"publish buffer overflow: N messages dropped"``) is published
    ahead of that account's next message, so a consumer is told of every loss. Each message
    carries ``Nats-Msg-Id`` (:func:`~.codec.message_id`); a retry after an ambiguous timeout is
    stored once.

    Up to ``window`` publishes are in flight at once, pipelined on the one connection, so the
    server stores them in order. If one of them fails (NATS went away mid-batch), everything
    from it on is sent again in order; those already stored are recognised by their id. Only
    then can a message be stored after a later one of the same account (the later one got
    through on the first try): order is kept exactly unless NATS fails in the middle of a
    window.

    Use as an async context manager, or call :meth:`start` and :meth:`close`.
    """

    def __init__(
        self,
        js: JetStreamContext,
        options: JetStreamOptions | None = None,
        *,
        buffer_size: int = 100_000,
        retry_delay: float = 0.5,
        publish_timeout: float = 2.0,
        window: int = 256,
    ) -> None:
        self._js = js
        self.options = options or JetStreamOptions()
        self._buffer: deque[tuple[str, ev.StreamMessage]] = deque()
        self._buffer_size = buffer_size
        self._dropped: dict[str, _Dropped] = {}
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._retry_delay = retry_delay
        self._window = window
        self._publish_timeout = publish_timeout
        self._task: asyncio.Task[None] | None = None
        self._in_flight = 0
        self.published = 0
        self.dropped = 0
        self.failures = 0

    async def __aenter__(self) -> JetStreamPublisher:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def start(self) -> None:
        """Start the background publishing task."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="jetstream-pub")

    @property
    def pending(self) -> int:
        """Messages (and overflow gaps) not yet acknowledged by JetStream."""
        return len(self._buffer) + len(self._dropped) + self._in_flight

    def publish(self, account: str, message: ev.StreamMessage) -> None:
        """Queue ``message`` of ``account`` for publishing (returns at once)."""
        if len(self._buffer) >= self._buffer_size:
            self._drop_oldest()
        self._buffer.append((account, message))
        self._idle.clear()
        self._wakeup.set()

    async def flush(self) -> None:
        """Wait until everything queued so far is stored in JetStream."""
        await self._idle.wait()

    async def close(self) -> None:
        """Stop publishing (what is still buffered is abandoned; call :meth:`flush` first)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])  # never swallows the caller's own cancellation

    def _drop_oldest(self) -> None:
        account, message = self._buffer.popleft()
        self.dropped += 1
        at = message_time(message)
        if at is None:
            return
        gap = self._dropped.get(account)
        if gap is None:
            self._dropped[account] = _Dropped(at, at, 1)
        else:
            gap.since, gap.until, gap.count = min(gap.since, at), max(gap.until, at), gap.count + 1

    async def _run(self) -> None:
        while True:
            batch = self._take_batch()
            if not batch:
                self._idle.set()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            await self._send(batch)

    def _take_batch(self) -> list[tuple[str, ev.StreamMessage]]:
        """Up to ``window`` messages, oldest first; a loss is announced (a gap notice) before
        anything newer of the same account."""
        batch: list[tuple[str, ev.StreamMessage]] = []
        while len(batch) < self._window:
            if self._dropped:
                account = self._buffer[0][0] if self._buffer else next(iter(self._dropped))
                gap = self._dropped.pop(account, None)
                if gap is not None:
                    notice = ev.StreamGap(
                        since=gap.since,
                        until=gap.until,
                        reason=f"publish buffer overflow: {gap.count} messages dropped",
                    )
                    batch.append((account, notice))
                    continue
            if not self._buffer:
                break
            batch.append(self._buffer.popleft())
        return batch

    async def _send(self, batch: list[tuple[str, ev.StreamMessage]]) -> None:
        """Publish ``batch`` (requests pipelined on the one connection, so the server receives
        them in order), retrying from the first unacknowledged message until all are stored."""
        pending = [
            (
                self.options.subject(account),
                encode_message(account, message),
                {"Nats-Msg-Id": message_id(account, message)},
            )
            for account, message in batch
        ]
        self._in_flight = len(pending)
        while pending:
            results = await asyncio.gather(
                *(
                    self._js.publish(
                        subject, payload, timeout=self._publish_timeout, headers=headers
                    )
                    for subject, payload, headers in pending
                ),
                return_exceptions=True,
            )
            failed = next((i for i, r in enumerate(results) if isinstance(r, BaseException)), None)
            if failed is None:
                self.published += len(pending)
                break
            error = results[failed]
            if isinstance(error, asyncio.CancelledError):
                raise error
            # NATS down, a timeout, no responders: resend from the first failure, in order;
            # later messages that were stored are recognised by their Nats-Msg-Id
            self.published += failed
            self.failures += 1
            if self.failures == 1 or self.failures % 100 == 0:
                _log.warning("publishing failed (%s); retrying", type(error).__name__)
            pending = pending[failed:]
            self._in_flight = len(pending)
            await asyncio.sleep(self._retry_delay)
        self._in_flight = 0
