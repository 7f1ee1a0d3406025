"""mypy --strict accepts the sync and async uses of the same API classes, and rejects mixing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
pytestmark = pytest.mark.skipif(
    shutil.which("mypy", path=str(Path(sys.executable).parent)) is None
    and subprocess.run([sys.executable, "-m", "mypy", "--version"], capture_output=True).returncode
    != 0,
    reason="mypy not installed",
)


def _mypy(target: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), str(target)],
        capture_output=True,
        text=True,
        cwd=HERE.parent.parent,
    )


def test_both_clients_type_check(tmp_path: Path) -> None:
    result = _mypy(HERE / "typing_check.py", tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_misuse_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from binance.derivatives.cmfutures import ApiClient, AsyncApiClient, UserDataStreamsApi\n"
        "async def f(c: ApiClient, a: AsyncApiClient) -> None:\n"
        "    await UserDataStreamsApi(c).cmfutures_create_listen_key_v1()\n"
        "    UserDataStreamsApi(a).cmfutures_create_listen_key_v1().listen_key\n"
    )
    result = _mypy(bad, tmp_path / "cache")
    assert result.returncode == 1
    assert "bad.py:3" in result.stdout and "bad.py:4" in result.stdout
