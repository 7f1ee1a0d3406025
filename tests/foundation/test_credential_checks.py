"""Credentials that are wrong in shape fail at construction, typed, never echoed
(issue 9, items 1, 2, 12).

* key *text* (or a secret) where a file path is expected: the value is not shown and the
  message names the right parameter;
* an API key or secret with CR/LF or another control character: :class:`CredentialFormatError`
  from :class:`BinanceAuth`, identical for the sync and async clients (nothing is sent);
* key files: regular files only, at most ``MAX_KEY_FILE_SIZE`` bytes; ``/dev/zero`` and a
  FIFO fail at once.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

from binance.derivatives.cmfutures import BinanceAuth, Configuration
from binance.derivatives.cmfutures.signing import (
    MAX_KEY_FILE_SIZE,
    CredentialFormatError,
    KeyFileError,
    KeyFileNotFoundError,
    KeyLoadError,
    KeyMaterialAsPathError,
)

from .conftest import PASSPHRASE, Keys

SECRET = "Xq7bT2mN9vK4pL8wR3sY6zA1cD5eF0gH2jJ4kM6nP8qS0tU3vW5xY7zB9dC1fE3h"  # 64 alnum


# --------------------------------------------------------------------------- item 1


@pytest.mark.parametrize("fmt", ["pkcs8", "pkcs1", "openssh"])
def test_pem_text_as_a_path_is_named_and_not_echoed(keys: Keys, fmt: str) -> None:
    pem = keys.pem(keys.rsa if fmt == "pkcs1" else keys.ed, fmt).decode()
    with pytest.raises(KeyMaterialAsPathError) as info:
        BinanceAuth(api_key="k", private_key_path=pem)
    text = str(info.value)
    assert isinstance(info.value, KeyLoadError) and isinstance(info.value, ValueError)
    assert "key text" in text and "private_key_pem=" in text
    body = pem.splitlines()[1]
    assert body[:16] not in text and "BEGIN" not in text
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_pem_text_without_newlines_is_recognised(keys: Keys) -> None:
    one_line = " ".join(keys.pem(keys.ed).decode().split())
    with pytest.raises(KeyMaterialAsPathError, match="key text"):
        BinanceAuth(api_key="k", private_key_path=one_line)


@pytest.mark.parametrize(
    "value",
    [SECRET, "MC4CAQAwBQYDK2VwBCIEIG+2wB/lq0yVqk3D8wq1Fq0z5bW7gXxFvKkS2kQ9p8Ls", "a" * 40],
)
def test_a_secret_as_a_path_is_named_and_not_echoed(value: str) -> None:
    with pytest.raises(KeyMaterialAsPathError) as info:
        BinanceAuth(api_key="k", private_key_path=value)
    text = str(info.value)
    assert value not in text and value[:12] not in text
    assert "secret_key=" in text and "BINANCE_SECRET_KEY" in text
    assert f"{len(value)} characters, not shown" in text


def test_an_ordinary_missing_path_is_still_shown(tmp_path: Path) -> None:
    for path in ("/path/to/private_key.pem", str(tmp_path / "keys" / "binance_ed25519")):
        with pytest.raises(KeyFileNotFoundError) as info:
            BinanceAuth(api_key="k", private_key_path=path)
        assert repr(path) in str(info.value)


def test_a_path_with_a_windows_line_ending_is_not_mistaken_for_key_text(keys: Keys) -> None:
    path = keys.write("crlf.pem", keys.pem(keys.ed))
    with pytest.raises(CredentialFormatError, match="ends with a line break") as info:
        BinanceAuth(api_key="k", private_key_path=path + "\r")
    assert repr(path) in str(info.value) and "key text" not in str(info.value)


def test_from_env_with_key_text_in_the_path_variable(keys: Keys) -> None:
    pem = keys.pem(keys.ed).decode()
    env = {"BINANCE_API_KEY": "k", "BINANCE_PRIVATE_KEY_PATH": pem}
    with pytest.raises(KeyMaterialAsPathError) as info:
        Configuration.from_env(env)
    assert pem.splitlines()[1][:16] not in str(info.value)


# --------------------------------------------------------------------------- item 2


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"api_key": "APIKEYVALUE\r", "secret_key": "s"}, "api_key contains a carriage return"),
        ({"api_key": "APIKEYVALUE\n", "secret_key": "s"}, "api_key contains a line feed"),
        ({"api_key": "APIKEY\x00VALUE", "secret_key": "s"}, "control character U+0000"),
        ({"api_key": "APIKEY VALUE", "secret_key": "s"}, "a space at position 7"),
        ({"api_key": "APIKEYVALUÉ", "secret_key": "s"}, "non-ASCII character U+00C9"),
        ({"api_key": "k", "secret_key": "SECRETVALUE\r"}, "secret_key contains a carriage"),
        ({"api_key": "k", "secret_key": "\tSECRETVALUE"}, "a tab at the start"),
        ({"api_key": "k", "secret_key": "SECRET\x7fVALUE"}, "control character U+007F"),
    ],
)
def test_control_characters_are_rejected_at_construction(
    kwargs: dict[str, str], needle: str
) -> None:
    with pytest.raises(CredentialFormatError, match=re.escape(needle)) as info:
        BinanceAuth(**kwargs)
    text = str(info.value)
    assert isinstance(info.value, KeyLoadError) and isinstance(info.value, ValueError)
    assert "APIKEY" not in text and "SECRET" not in text and "VALUE" not in text
    assert "not shown" in text and "Fix:" in text
    if "\r" in kwargs["api_key"] + kwargs["secret_key"]:
        assert "Windows line ending" in text


def test_control_characters_from_the_environment() -> None:
    env = {"BINANCE_API_KEY": "APIKEYVALUE\r", "BINANCE_SECRET_KEY": "SECRETVALUE\r"}
    with pytest.raises(CredentialFormatError) as info:
        Configuration.from_env(env)
    assert "APIKEYVALUE" not in str(info.value)


def test_ordinary_keys_still_work() -> None:
    auth = BinanceAuth(api_key=SECRET[::-1], secret_key=SECRET)
    assert auth.sign_payload("a=1") and auth.key_type == "HMAC"


@pytest.mark.parametrize(
    ("ending", "needle"),
    [
        ("\r", "ends with a carriage return (CR)"),
        ("\n", "ends with a line feed (LF)"),
        ("\r\n", "ends with a Windows line ending (CR LF)"),
    ],
)
@pytest.mark.parametrize("fmt", ["pkcs8", "pkcs1"])
def test_a_passphrase_with_a_trailing_line_break_is_named(
    keys: Keys, ending: str, needle: str, fmt: str
) -> None:
    key = keys.rsa if fmt == "pkcs1" else keys.ed
    pem = keys.pem(key, fmt, PASSPHRASE)
    with pytest.raises(CredentialFormatError, match=re.escape(needle)) as info:
        BinanceAuth(api_key="k", private_key_pem=pem, passphrase=PASSPHRASE.decode() + ending)
    text = str(info.value)
    assert "without it, it decrypts" in text and "Fix:" in text
    assert PASSPHRASE.decode() not in text and "horse" not in text
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_passphrase_with_a_line_break_from_the_environment(keys: Keys) -> None:
    path = keys.write("enc-crlf.pem", keys.pem(keys.ed, "pkcs8", PASSPHRASE))
    env = {
        "BINANCE_API_KEY": "k",
        "BINANCE_PRIVATE_KEY_PATH": path,
        "BINANCE_PRIVATE_KEY_PASSPHRASE": PASSPHRASE.decode() + "\r",
    }
    with pytest.raises(CredentialFormatError, match="BINANCE_PRIVATE_KEY_PASSPHRASE") as info:
        Configuration.from_env(env)
    assert "horse" not in str(info.value)


def test_a_wrong_passphrase_with_a_line_break_is_still_a_wrong_passphrase(keys: Keys) -> None:
    pem = keys.pem(keys.ed, "pkcs8", PASSPHRASE)
    with pytest.raises(KeyLoadError) as info:
        BinanceAuth(api_key="k", private_key_pem=pem, passphrase="wrong-horse\r\n")
    text = str(info.value)
    assert not isinstance(info.value, CredentialFormatError)
    assert "does not decrypt" in text
    assert "with or without a Windows line ending (CR LF) at its end" in text
    assert "horse" not in text


# --------------------------------------------------------------------------- item 12


def test_dev_zero_fails_fast_and_typed() -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero on this platform")
    with pytest.raises(KeyFileError, match="not a regular file") as info:
        BinanceAuth(api_key="k", private_key_path="/dev/zero")
    assert "'/dev/zero'" in str(info.value) and "Fix:" in str(info.value)


def test_a_fifo_without_a_writer_fails_at_once(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "key.pem"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            BinanceAuth(api_key="k", private_key_path=str(fifo))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(10)  # a bound on a hang, not a timing assertion: it returns in microseconds
    if worker.is_alive():  # unblock the open() so the thread ends, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("loading a key from a FIFO hung")
    assert len(outcome) == 1 and isinstance(outcome[0], KeyFileError), outcome
    assert "not a regular file" in str(outcome[0])


def test_a_key_file_over_the_cap_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.pem"
    with open(big, "wb") as fh:
        fh.truncate(MAX_KEY_FILE_SIZE + 1)  # sparse
    with pytest.raises(KeyFileError, match="larger than 64 KiB") as info:
        BinanceAuth(api_key="k", private_key_path=str(big))
    assert str(MAX_KEY_FILE_SIZE + 1) in str(info.value)
    huge = tmp_path / "huge.pem"
    with open(huge, "wb") as fh:
        fh.truncate(1 << 40)  # 1 TiB, sparse: would be a MemoryError if read
    with pytest.raises(KeyFileError, match="larger than 64 KiB"):
        BinanceAuth(api_key="k", private_key_path=str(huge))


def test_a_key_file_at_the_cap_is_read(keys: Keys, tmp_path: Path) -> None:
    pem = keys.pem(keys.ed)
    path = tmp_path / "padded.pem"
    path.write_bytes(pem + b"\n" * (MAX_KEY_FILE_SIZE - len(pem)))
    assert BinanceAuth(api_key="k", private_key_path=str(path)).key_type == "ED25519"


def test_a_symlink_to_a_regular_key_file_is_fine(keys: Keys, tmp_path: Path) -> None:
    target = Path(keys.write("linked.pem", keys.pem(keys.ed)))
    link = tmp_path / "link.pem"
    link.symlink_to(target)
    assert BinanceAuth(api_key="k", private_key_path=str(link)).key_type == "ED25519"


def test_a_directory_is_a_key_file_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="is a directory"):
        BinanceAuth(api_key="k", private_key_path=str(tmp_path))


def test_missing_file_error_is_a_key_file_error() -> None:
    with pytest.raises(KeyFileError) as info:
        BinanceAuth(api_key="k", private_key_path="/nonexistent/key.pem")
    assert isinstance(info.value, FileNotFoundError)
