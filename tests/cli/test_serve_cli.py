"""``cmfutures serve`` options, checked before anything connects."""

from __future__ import annotations

from pathlib import Path

from ..cli_process import clean_env, one_line, run_cli


async def test_a_handover_max_below_the_handover_timeout_is_named(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.jsonl"
    accounts.write_text('{"id": "a1", "api_key": "k", "secret_key": "s"}\n')
    accounts.chmod(0o600)
    code, _, err = await run_cli(
        "serve", "--nats", "nats://127.0.0.1:9", "--accounts-file", str(accounts),
        "--handover-max", "5", env=clean_env(),
    )
    assert code != 0
    line = one_line(err)
    assert "handover_max must be at least handover_timeout (30 s), got 5.0" in line
