"""The README's examples, extracted from README.md at test time and run against the simulator
(never Binance): change an example and these tests run the changed one."""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from binance.derivatives.cmfutures.configuration import Configuration
from binance.derivatives.cmfutures.simulator import Simulator

from .readme_snippets import README, python_block, run_snippet

# every python block of the README, by section and position, and the test that runs it
RUN = {
    ("The seed API", 0): "test_seed_api_example",
    ("The managed stream", 0): "test_managed_stream_example",
    ("The account mirror", 0): "test_account_mirror_example",
    ("The simulator in your own tests", 0): "test_simulator_in_your_own_tests_example",
    ("The journal: what survives what", 0): "test_journal_example",
    ("Past one machine: workers and NATS JetStream", 0): "test_jetstream_consumer_example",
    ("Many accounts: StreamPool", 0): "test_pool_example",
}


def test_every_python_block_of_the_readme_is_run() -> None:
    found = set()
    for section in re.split(r"^## ", README.read_text(), flags=re.M)[1:]:
        heading = section.splitlines()[0]
        count = len(re.findall(r"^```python\n", section, flags=re.M))
        found |= {(heading, i) for i in range(count)}
    assert found == set(RUN)
    assert all(name in globals() for name in RUN.values())


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = README.read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, flags=re.S)
    test_command = next(b for b in blocks if "pytest" in b)
    ci = (README.parent / ".ci" / "run").read_text()
    assert test_command in ci.splitlines()


@pytest.mark.parametrize(
    "name", ["rest-client", "stream", "mirror", "simulator", "journal", "pool", "distributed"]
)
def test_every_linked_reference_exists(name: str) -> None:
    assert f"docs/{name}.md" in README.read_text()
    assert (README.parent / "docs" / f"{name}.md").is_file()


@pytest.fixture
def simulator_env(cmfutures_simulator: Simulator, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """``Configuration.from_env()`` and an unchanged ``Configuration()`` point at the
    simulator, with its default account's keys."""
    sim = cmfutures_simulator
    for name in ("BINANCE_PRIVATE_KEY_PATH", "BINANCE_PRIVATE_KEY_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BINANCE_API_KEY", sim.account.api_key)
    monkeypatch.setenv("BINANCE_SECRET_KEY", str(sim.account.secret_key))
    monkeypatch.setenv("BINANCE_CMFUTURES_HOST", sim.rest_url)
    monkeypatch.setenv("BINANCE_CMFUTURES_STREAM_HOST", sim.stream_url)
    return sim


async def test_seed_api_example(
    simulator_env: Simulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim = simulator_env
    private = ed25519.Ed25519PrivateKey.generate()
    path = tmp_path / "private_key.pem"
    path.write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    account = sim.add_account(ed25519_public_key=private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    monkeypatch.setenv("BINANCE_API_KEY", account.api_key)
    monkeypatch.delenv("BINANCE_SECRET_KEY")
    source = python_block("The seed API")
    assert '"/path/to/private_key.pem"' in source
    await run_snippet(source.replace("/path/to/private_key.pem", str(path)), {})
    out = capsys.readouterr().out
    assert "Exception" not in out, out
    assert "CmfuturesCreateListenKeyV1Resp(listen_key=" in out
    issued = [k for k in sim.listen_keys._keys.values() if k.api_key == account.api_key]
    assert [k.state for k in issued] == ["deleted"]  # created, kept alive, deleted: on 127.0.0.1


async def test_managed_stream_example(
    simulator_env: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = simulator_env
    from binance.derivatives.cmfutures import UserDataStream

    sync_streams: list[Any] = []  # the example leaves its sync stream open: closed below
    original_sync = UserDataStream.sync

    def recording_sync(*args: Any, **kwargs: Any) -> Any:
        sync_streams.append(original_sync(*args, **kwargs))
        return sync_streams[-1]

    monkeypatch.setattr(UserDataStream, "sync", recording_sync)
    printed: list[tuple[Any, ...]] = []
    handled: list[Any] = []
    namespace: dict[str, Any] = {
        "print": lambda *args: printed.append(args),
        "handler": handled.append,
        "configuration": Configuration.from_env(),
    }

    async def drive(statement: ast.stmt) -> None:
        if not isinstance(statement, ast.AsyncWith):
            return
        for _ in range(1000):  # until the example's stream is connected
            await sim.advance(0)
            if sim.connections(sim.account):
                break
        sim.exchange.new_order(sim.account.api_key, {
            "symbol": "BTCUSD_PERP", "side": "BUY", "type": "MARKET", "quantity": "1"})
        for _ in range(1000):  # until it has printed the fill
            await sim.advance(0)
            if any(args[1] == "FILLED" for args in printed):
                break
        await namespace["stream"].close()  # ends the example's `async for`

    try:
        await run_snippet(python_block("The managed stream"), namespace, alongside=drive)
    finally:
        for stream in sync_streams:
            await asyncio.to_thread(stream.close)
    assert len(sync_streams) == 1
    assert printed and printed[-1][0] == "BTCUSD_PERP" and printed[-1][1] == "FILLED"
    assert str(printed[-1][2]) == "1"  # cumulative filled quantity, a Decimal
    assert namespace["message"] is not None  # the sync loop received a message too


async def test_account_mirror_example(simulator_env: Simulator) -> None:
    sim = simulator_env
    namespace: dict[str, Any] = {"configuration": Configuration.from_env()}

    async def drive(statement: ast.stmt) -> None:
        for _ in range(2000):  # deposits until the example's `async for change` has one
            await sim.advance(0)
            mirror = namespace.get("mirror")
            if mirror is not None and not mirror.stale:
                sim.exchange.deposit(sim.account.api_key, "BTC", 1)

    await run_snippet(python_block("The account mirror"), namespace, alongside=drive)
    mirror = namespace["mirror"]
    assert mirror.closed
    assert namespace["change"] is not None
    state = sim.state()
    assert mirror.balances["BTC"].wallet_balance == state.balances["BTC"].wallet_balance


async def test_simulator_in_your_own_tests_example(
    cmfutures_simulator: Simulator, cmfutures_configuration: Configuration
) -> None:
    namespace: dict[str, Any] = {}
    await run_snippet(python_block("The simulator in your own tests"), namespace)
    await namespace["test_my_bot_sees_its_fill"](cmfutures_simulator, cmfutures_configuration)
    assert cmfutures_simulator.emitted(), "the example's order reached the stream"


async def test_journal_example(
    simulator_env: Simulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = simulator_env
    monkeypatch.chdir(tmp_path)  # the example's Journal("events.db")
    booked: list[Any] = []
    namespace: dict[str, Any] = {"cfg": Configuration.from_env(), "book": booked.append}

    async def drive(statement: ast.stmt) -> bool | None:
        if isinstance(statement, ast.AsyncWith):  # the stream: a fill once it is connected
            for _ in range(1000):
                await sim.advance(0)
                if sim.connections(sim.account):
                    break
            sim.exchange.new_order(sim.account.api_key, {
                "symbol": "BTCUSD_PERP", "side": "BUY", "type": "MARKET", "quantity": "1"})
            return None
        if isinstance(statement, ast.AsyncFor) and "consumer" in ast.unparse(statement.iter):
            journal = namespace["journal"]
            last = [e.offset async for e in journal.read()][-1]
            for _ in range(5000):  # the consumer follows forever: stop it once all is booked
                await asyncio.sleep(0)
                if await namespace["consumer"].committed() == last:
                    return True
            raise AssertionError("the consumer did not commit every entry")
        return None

    await run_snippet(python_block("The journal: what survives what"), namespace, alongside=drive)
    journal = namespace["journal"]
    entries = [e async for e in journal.read()]
    assert entries[0].offset == 1 and entries[0].account == "default"
    assert type(entries[0].message).__name__ == "StreamConnected"
    assert namespace["entry"].offset == entries[-1].offset
    assert booked == [e.message for e in entries]
    await namespace["consumer"].aclose()
    await journal.close()


async def test_pool_example(
    simulator_env: Simulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    sim = simulator_env
    alice, bob = sim.add_account(), sim.add_account()
    lines = [
        f'{{"id": "{name}", "api_key": "{a.api_key}", "secret_key": "{a.secret_key}"}}'
        for name, a in (("alice", alice), ("bob", bob))
    ]
    (tmp_path / "accounts.jsonl").write_text("\n".join(lines) + "\n")
    os.chmod(tmp_path / "accounts.jsonl", 0o600)
    monkeypatch.chdir(tmp_path)
    printed: list[tuple[Any, ...]] = []
    namespace: dict[str, Any] = {"print": lambda *args: printed.append(args)}

    async def drive(statement: ast.stmt) -> None:
        if not isinstance(statement, ast.AsyncWith):
            return
        for _ in range(2000):  # until the example has printed its first message
            await sim.advance(0)
            await asyncio.sleep(0.001)
            if printed:
                break

    await run_snippet(python_block("Many accounts: StreamPool"), namespace, alongside=drive)
    account, message = printed[0]
    assert account in ("alice", "bob") and type(message).__name__ == "StreamConnected"
    totals = printed[-1][0]
    assert totals.accounts == 1  # alice removed, bob left
    assert namespace["mirror"].closed  # closed with the pool
    assert namespace["pool"].closed
    # removed, but its key is kept: Binance shares one key among every client of an account
    # (StreamOptions.delete_listen_key_on_close is False by default)
    assert sim.listen_key(alice) is not None


async def test_jetstream_consumer_example(tmp_path: Path) -> None:
    import nats

    from binance.derivatives.cmfutures.distributed import JetStreamPublisher
    from binance.derivatives.cmfutures.distributed.local_server import LocalNatsServer
    from binance.derivatives.cmfutures.distributed.options import JetStreamOptions
    from binance.derivatives.cmfutures.distributed.setup import ensure_stream
    from binance.derivatives.cmfutures.events import StreamGap

    server = LocalNatsServer(tmp_path / "js")
    server.start()
    try:
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        await ensure_stream(js, JetStreamOptions())
        gap = StreamGap(since=1.0, until=2.0, reason="example")
        async with JetStreamPublisher(js) as publisher:
            publisher.publish("alice", gap)
            await publisher.flush()
        await nc.close()
        source = python_block("Past one machine: workers and NATS JetStream")
        assert '"nats://127.0.0.1:4222"' in source
        printed: list[tuple[Any, ...]] = []
        namespace: dict[str, Any] = {"print": lambda *args: printed.append(args)}
        await asyncio.wait_for(
            run_snippet(source.replace("nats://127.0.0.1:4222", server.url), namespace), 30
        )
        assert printed == [("alice", gap)]
    finally:
        server.kill()
