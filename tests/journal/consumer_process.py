"""A journal consumer run as its own process by the crash tests.

``python consumer_process.py JOURNAL LOG [--hold-at OFFSET] [--until OFFSET]``: for each entry
of consumer ``booking``, append its offset to LOG (flushed and fsynced: "processed"), then
commit. ``--hold-at``: after processing that offset, print ``HOLDING`` and wait (to be killed
between processing and commit). ``--until``: exit 0 after committing that offset.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from binance.derivatives.cmfutures import Journal


async def main(args: argparse.Namespace) -> int:
    journal = Journal(args.journal, create=False)
    consumer = journal.consumer("booking")
    print("READY", flush=True)
    with open(args.log, "a") as log:  # noqa: ASYNC230 - "processed" = on disk, before commit
        async for entry in consumer:
            log.write(f"{entry.offset}\n")
            log.flush()
            os.fsync(log.fileno())
            if entry.offset == args.hold_at:
                print("HOLDING", flush=True)
                await asyncio.Event().wait()
            await consumer.commit(entry.offset)
            if entry.offset == args.until:
                await consumer.aclose()
                return 0
    return 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("journal")
    parser.add_argument("log")
    parser.add_argument("--hold-at", type=int, default=-1)
    parser.add_argument("--until", type=int, default=-1)
    sys.exit(asyncio.run(main(parser.parse_args())))
