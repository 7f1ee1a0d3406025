"""The account at any offset, from the journal alone: :func:`rebuild_account`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .codec import CONTROL, EVENT, SNAPSHOT, decode_message
from .schema import connect

if TYPE_CHECKING:
    from ..mirror.core import MirrorState
    from .journal import Journal

__all__ = ["rebuild_account"]


async def rebuild_account(
    journal: Journal, account: str = "default", upto: int | None = None, *, memory: int = 100_000
) -> MirrorState | None:
    """Rebuild the mirror state of ``account`` as of offset ``upto`` (default: the end).

    Takes the last :class:`~.records.AccountSnapshot` at or before ``upto`` and applies the
    account's events after its ``after_offset`` (up to ``upto``) with the mirror's merge
    rules. The state is :attr:`~..mirror.core.MirrorState.stale` if a ``StreamGap`` was
    journaled after the snapshot (events may be missing), and its ``last_resync.reason`` is
    ``"journal"``.

    :param memory: as ``MirrorState(memory=...)``.
    :returns: None if there is no snapshot to start from, or retention removed events it needs.
    """

    def build() -> MirrorState | None:
        from ..mirror.core import MirrorState

        conn = connect(journal.path, create=False)
        try:
            limit = upto if upto is not None else 2**62
            row = conn.execute(
                "SELECT seq, received_at, type, payload FROM entries WHERE account = ? AND "
                "kind = ? AND seq <= ? ORDER BY seq DESC LIMIT 1",
                (account, SNAPSHOT, limit),
            ).fetchone()
            if row is None:
                return None
            snap_seq, _at, type_name, payload = row
            record = decode_message(SNAPSHOT, type_name, payload)
            retained = conn.execute(
                "SELECT value FROM meta WHERE key = 'retained_through'"
            ).fetchone()
            if retained is not None and int(retained[0]) > record.after_offset:
                return None
            state = MirrorState(memory=memory)
            state.begin_resync("journal", record.at, stale=False)
            state.begin_attempt(record.at)
            stale = False
            for kind, type_name, payload, seq in conn.execute(
                "SELECT kind, type, payload, seq FROM entries WHERE account = ? AND seq > ? "
                "AND seq <= ? AND kind IN (?, ?) ORDER BY seq",
                (account, record.after_offset, limit, EVENT, CONTROL),
            ):
                if kind == EVENT:
                    state.apply(decode_message(kind, type_name, payload), record.at)
                elif type_name == "StreamGap" and seq > snap_seq:
                    stale = True
            state.finish_resync(record.snapshot, record.at)
            if stale:
                state.begin_resync("journal: a gap follows the snapshot", record.at)
            state.publish(record.at)
            return state
        finally:
            conn.close()

    return await asyncio.get_running_loop().run_in_executor(None, build)
