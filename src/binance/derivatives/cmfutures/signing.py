"""``BinanceAuth``: API key plus one signing key (HMAC secret, RSA or Ed25519 private key).

Only SIGNED endpoints (``TRADE``/``USER_DATA``) are signed; ``USER_STREAM`` endpoints such as
the listen-key calls send just the ``X-MBX-APIKEY`` header and compute no signature.

Key material is loaded with :mod:`cryptography`, imported only when an RSA/Ed25519 key is
loaded (HMAC needs only the standard library). Accepted: RSA in PKCS#1
(``BEGIN RSA PRIVATE KEY``), PKCS#8 and encrypted PKCS#8; Ed25519 in PKCS#8, encrypted
PKCS#8 and OpenSSH (``BEGIN OPENSSH PRIVATE KEY``); PEM or DER; from a file
(``private_key_path``) or a string/bytes (``private_key_pem``). A passphrase given for an
unencrypted key is ignored.

Every problem with the inputs raises :class:`KeyLoadError` (a :class:`ValueError`) naming the
problem and the fix: missing API key, no or several key sources, an empty secret, a public
key instead of a private one, an unsupported key type (EC P-256...), a missing or wrong
passphrase, unparsable data. Subclasses say more:

* :class:`CredentialFormatError`: the API key or the HMAC secret contains a character that is
  not printable ASCII (a CR/LF from a Windows ``.env`` file, a space, a tab, a control
  character). The message names the character and where it is, never the value. Also a
  passphrase that decrypts the key only without the line break it ends with.
* :class:`KeyMaterialAsPathError`: ``private_key_path`` holds the key text itself (PEM or
  OpenSSH) or something that looks like a secret, not a file path. The value is not shown;
  the message names the right parameter (``private_key_pem=`` / ``secret_key=``).
* :class:`KeyFileError`: the key file is not a regular file (a directory, a FIFO, a device
  such as ``/dev/zero``), is larger than :data:`MAX_KEY_FILE_SIZE` (64 KiB), or cannot be
  read. Checked on the open file before reading, so a FIFO or a device fails at once.
  :class:`KeyFileNotFoundError` (also a :class:`FileNotFoundError`) for a missing file.

No message, ``repr`` or log line contains the API key, the secret, the key material or the
passphrase. A key file's path is shown only when it does not look like key material.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import stat
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import quote

from .exceptions import ApiValueError

__all__ = [
    "MAX_KEY_FILE_SIZE",
    "BinanceAuth",
    "CredentialFormatError",
    "KeyFileError",
    "KeyFileNotFoundError",
    "KeyLoadError",
    "KeyMaterialAsPathError",
    "KeyType",
]

#: The largest private key file read, in bytes (a 4096-bit RSA PEM is about 3.3 KB).
MAX_KEY_FILE_SIZE: Final = 64 * 1024


class KeyType:
    """The values of :attr:`BinanceAuth.key_type`."""

    HMAC: Final = "HMAC"
    RSA: Final = "RSA"
    ED25519: Final = "ED25519"


class KeyLoadError(ApiValueError):
    """The credentials given to :class:`BinanceAuth` are unusable; the message says why and
    how to fix it."""


class CredentialFormatError(KeyLoadError):
    """The API key or the HMAC secret contains a character other than printable ASCII
    (typically the CR of a Windows line ending), or a key's passphrase only decrypts it
    without the line break it ends with. The value is never part of the message."""


class KeyMaterialAsPathError(KeyLoadError):
    """``private_key_path`` holds key text or a secret instead of a file path (not shown)."""


class KeyFileError(KeyLoadError):
    """The key file cannot be used: not a regular file, larger than
    :data:`MAX_KEY_FILE_SIZE`, or unreadable."""


class KeyFileNotFoundError(KeyFileError, FileNotFoundError):
    """``private_key_path`` does not exist."""


def _fail(problem: str, fix: str) -> KeyLoadError:
    return KeyLoadError(f"{problem}. Fix: {fix}")


class BinanceAuth:
    """Credentials for Binance REST calls.

    :param api_key: the API key, sent as ``X-MBX-APIKEY``. Required.
    :param secret_key: the HMAC secret (for HMAC keys).
    :param private_key_path: path of an RSA or Ed25519 private key file.
    :param private_key_pem: the private key itself, as PEM/OpenSSH text or DER bytes.
    :param passphrase: the key's passphrase if it is encrypted (``str`` or ``bytes``).

    Exactly one of ``secret_key``, ``private_key_path``, ``private_key_pem`` must be given
    (None counts as not given). The key type is detected and exposed as :attr:`key_type`
    (a :class:`KeyType` value); :attr:`private_key` is the ``cryptography`` key object (None for
    HMAC).

    :raises KeyLoadError: see the module docstring.
    """

    def __init__(
        self,
        api_key: str | None,
        secret_key: str | None = None,
        private_key_path: str | os.PathLike[str] | None = None,
        private_key_pem: str | bytes | None = None,
        passphrase: str | bytes | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise _fail(
                "api_key is missing or empty (is the environment variable, e.g. BINANCE_API_KEY,"
                " set?)",
                "pass api_key='<your Binance API key>'",
            )
        _check_printable(api_key, "api_key")
        sources = [s for s in (secret_key, private_key_path, private_key_pem) if s is not None]
        if not sources:
            raise _fail(
                "no signing key given",
                "pass exactly one of secret_key= (HMAC), private_key_path= or private_key_pem="
                " (RSA/Ed25519); if you read them from the environment, check it is set",
            )
        if len(sources) > 1:
            raise _fail(
                "more than one signing key given",
                "pass only one of secret_key=, private_key_path=, private_key_pem=",
            )
        self.api_key: str = api_key
        self.secret_key: str | None = None
        self.private_key: Any = None
        self.passphrase = passphrase
        self._signer: Callable[[bytes], str]
        if secret_key is not None:
            if not isinstance(secret_key, str) or not secret_key:
                raise _fail(
                    "secret_key is empty or not a string",
                    "pass the HMAC secret shown when the API key was created",
                )
            _check_printable(secret_key, "secret_key")
            self.secret_key = secret_key
            self.key_type: str = KeyType.HMAC
            mac = hmac.new(secret_key.encode(), digestmod=hashlib.sha256)

            def sign_hmac(payload: bytes) -> str:
                m = mac.copy()
                m.update(payload)
                return m.hexdigest()

            self._signer = sign_hmac
            return
        if private_key_path is not None:
            data = _read_key_file(private_key_path)
            where = "the key file"
        else:
            if isinstance(private_key_pem, str):
                data = private_key_pem.encode()
            elif isinstance(private_key_pem, bytes):
                data = private_key_pem
            else:
                raise _fail("private_key_pem is not str or bytes", "pass the PEM text")
            where = "private_key_pem"
        if not data.strip():
            raise _fail(f"{where} is empty", "pass an RSA or Ed25519 private key")
        self.private_key, self.key_type = _load_private_key(data, passphrase, where)
        self._signer = _make_asymmetric_signer(self.private_key, self.key_type)

    def sign_payload(self, payload: str | bytes) -> str:
        """Sign ``payload`` (query string directly followed by the body, exactly as sent).

        :returns: the ``signature`` parameter value, ready for the URL or form body: HMAC as
            lowercase hex; RSA (PKCS#1 v1.5, SHA-256) and Ed25519 as URL-encoded base64.
        """
        if isinstance(payload, str):
            payload = payload.encode()
        return self._signer(payload)

    def sign(
        self,
        header_params: dict[str, Any],
        query_params: list[tuple[str, Any]],
        request_body: str | bytes | None = None,
        parameters_to_url_query: Callable[..., str] | None = None,
    ) -> None:
        """Seed-compatible helper: set ``X-MBX-APIKEY`` and append ``('signature', sig)`` to
        ``query_params`` in place, signing the URL-encoded query immediately followed by the
        body. Unlike the reference, the signature is appended even when ``query_params`` is
        empty (D2). Returns None."""
        header_params["X-MBX-APIKEY"] = self.api_key
        if parameters_to_url_query is not None:
            query = parameters_to_url_query(query_params, None)
        else:
            from urllib.parse import urlencode

            query = urlencode(query_params)
        body = request_body or b""
        payload = query.encode() + (body.encode() if isinstance(body, str) else body)
        query_params.append(("signature", self.sign_payload(payload)))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BinanceAuth:
        """Build from ``BINANCE_API_KEY`` plus ``BINANCE_SECRET_KEY`` or
        ``BINANCE_PRIVATE_KEY_PATH`` (and ``BINANCE_PRIVATE_KEY_PASSPHRASE`` if encrypted).

        :raises KeyLoadError: if the variables are missing or ambiguous.
        """
        env = os.environ if environ is None else environ
        return cls(
            api_key=env.get("BINANCE_API_KEY"),
            secret_key=env.get("BINANCE_SECRET_KEY") or None,
            private_key_path=env.get("BINANCE_PRIVATE_KEY_PATH") or None,
            passphrase=env.get("BINANCE_PRIVATE_KEY_PASSPHRASE") or None,
        )

    def __repr__(self) -> str:
        return f"BinanceAuth(key_type={self.key_type!r}, api_key=<redacted>)"

    __str__ = __repr__

    def __deepcopy__(self, memo: dict[int, Any]) -> BinanceAuth:
        return self  # immutable in practice; key objects cannot be deep-copied


_CHAR_NAMES = {
    "\r": "a carriage return (CR)",
    "\n": "a line feed (LF)",
    "\t": "a tab",
    " ": "a space",
}


def _check_printable(value: str, name: str, *, inner_spaces: bool = False) -> None:
    """Raise :class:`CredentialFormatError` unless ``value`` is printable ASCII (no spaces;
    with ``inner_spaces``, spaces other than at either end are allowed, as in any HTTP header
    value).

    Such a character cannot go in the ``X-MBX-APIKEY`` header (the sync and async transports
    fail differently, echoing the header) or silently breaks every HMAC signature."""
    last = len(value) - 1
    for index, char in enumerate(value):
        if "!" <= char <= "~" or (inner_spaces and char == " " and 0 < index < last):
            continue
        what = _CHAR_NAMES.get(char) or (
            f"the control character U+{ord(char):04X}"
            if ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0
            else f"the non-ASCII character U+{ord(char):04X}"
        )
        if index == len(value) - 1:
            where = "at the end"
        elif index == 0:
            where = "at the start"
        else:
            where = f"at position {index + 1} of {len(value)}"
        hint = " (a Windows line ending, e.g. from a .env file)" if char in "\r\n" else ""
        raise CredentialFormatError(
            f"{name} contains {what} {where}{hint}; the value is not shown. Fix: remove it"
            f" (strip the value, or convert the file with dos2unix)"
        )


_PEM_MARKERS = ("-----BEGIN", "-----END", "PRIVATE KEY", "OPENSSH")
_SECRET_LIKE = re.compile(r"[A-Za-z0-9+/=_-]{32,}")


def _looks_like_key_text(value: str) -> bool:
    return "\n" in value or "\r" in value or any(m in value for m in _PEM_MARKERS)


def _looks_like_secret(value: str) -> bool:
    """A long token with no extension and path segments that look random: an API key or
    secret (64 alphanumerics at Binance), or a base64 key body, rather than a file name."""
    if not _SECRET_LIKE.fullmatch(value) or "." in value:
        return False
    segments = [seg for seg in value.split("/") if seg]
    return "+" in value or "=" in value or max((len(seg) for seg in segments), default=0) >= 32


def _shown_path(value: str) -> str:
    """The path as it may appear in a message: quoted, or a placeholder if it could be a
    secret."""
    if (
        len(value) > 512
        or _looks_like_key_text(value)
        or _looks_like_secret(value)
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)
    ):
        return f"<{len(value)} characters, not shown>"
    return repr(value)


def _read_key_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_KEY_FILE_SIZE` bytes.

    The file is opened non-blocking (a FIFO with no writer does not hang the open) and checked
    with ``fstat`` before any read (a device or a FIFO is refused without reading it)."""
    text = os.fsdecode(os.fspath(path))
    trimmed = text.rstrip("\r\n")
    if trimmed != text and not _looks_like_key_text(trimmed):
        raise CredentialFormatError(
            f"private_key_path {_shown_path(trimmed)} ends with a line break (a Windows line"
            " ending, e.g. from a .env file). Fix: remove it (convert the file with dos2unix)"
        )
    if _looks_like_key_text(text):
        raise KeyMaterialAsPathError(
            "private_key_path holds key text (a PEM/OpenSSH private key), not a file path; the"
            " value is not shown. Fix: pass the key text as private_key_pem=..., or save it to"
            " a file and give that file's path (BINANCE_PRIVATE_KEY_PATH must be a path)"
        )
    shown = _shown_path(text)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        if _looks_like_secret(text):
            raise KeyMaterialAsPathError(
                f"private_key_path ({shown}) looks like a secret or an API key, not a file"
                " path, and no such file exists. Fix: an HMAC secret goes in secret_key=..."
                " (BINANCE_SECRET_KEY); private_key_path= (BINANCE_PRIVATE_KEY_PATH) takes the"
                " path of an RSA or Ed25519 private key file"
            ) from None
        raise KeyFileNotFoundError(
            f"private key file not found: {shown}. Fix: pass the path of your RSA or Ed25519"
            " private key (the seed's '/path/to/private_key.pem' is a placeholder)"
        ) from None
    except IsADirectoryError:
        raise _file_error(f"private_key_path {shown} is a directory", "pass the key file") from None
    except OSError as exc:
        raise _file_error(
            f"cannot open private key file {shown} ({exc.strerror})", "check the path"
        ) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _file_error(f"private_key_path {shown} is a directory", "pass the key file")
        if not stat.S_ISREG(info.st_mode):
            raise _file_error(
                f"private_key_path {shown} is not a regular file (a FIFO, socket or device)",
                "save the key to an ordinary file and pass its path",
            )
        if info.st_size > MAX_KEY_FILE_SIZE:
            raise _too_large(shown, info.st_size)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_KEY_FILE_SIZE + 1)
        if len(data) > MAX_KEY_FILE_SIZE:  # grew after the fstat
            raise _too_large(shown, len(data))
        return data
    except OSError as exc:
        raise _file_error(
            f"cannot read private key file {shown} ({exc.strerror})", "check the path"
        ) from None
    finally:
        os.close(fd)


def _file_error(problem: str, fix: str) -> KeyFileError:
    return KeyFileError(f"{problem}. Fix: {fix}")


def _too_large(shown: str, size: int) -> KeyFileError:
    return _file_error(
        f"private key file {shown} is larger than {MAX_KEY_FILE_SIZE // 1024} KiB ({size} bytes):"
        " not a private key",
        "pass the path of the RSA or Ed25519 private key file itself",
    )


def _wrong_passphrase(
    password: bytes, where: str, load: Callable[[bytes | None], Any]
) -> KeyLoadError:
    """The error for a passphrase that does not decrypt the key. A passphrase ending with a
    line break (a Windows ``.env`` file) is tried without it: if that decrypts, the error is a
    :class:`CredentialFormatError` that says so. The passphrase is never shown."""
    trimmed = password.rstrip(b"\r\n")
    if trimmed == password:
        return _fail(f"the passphrase does not decrypt {where}", "pass the correct passphrase=")
    ending = password[len(trimmed):]
    what = (
        "a Windows line ending (CR LF)" if ending.endswith(b"\r\n")
        else "a carriage return (CR)" if ending.endswith(b"\r")
        else "a line feed (LF)"
    )
    try:
        load(trimmed or None)
    except Exception:
        return _fail(
            f"the passphrase does not decrypt {where}, with or without {what} at its end",
            "pass the correct passphrase=",
        )
    return CredentialFormatError(
        f"the passphrase for {where} ends with {what} (e.g. from a Windows .env file):"
        " without it, it decrypts the key; the passphrase is not shown. Fix: remove the line"
        " break (strip BINANCE_PRIVATE_KEY_PASSPHRASE, or convert the file with dos2unix)"
    )


def _load_private_key(data: bytes, passphrase: str | bytes | None, where: str) -> tuple[Any, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    stripped = data.strip()
    head = stripped[:64]
    if b"PUBLIC KEY" in head or stripped.startswith((b"ssh-", b"ecdsa-")):
        raise _fail(
            f"{where} holds a public key",
            "pass the *private* key whose public half you registered with Binance",
        )
    password = passphrase.encode() if isinstance(passphrase, str) else passphrase
    if password is not None and not password:
        password = None

    def load(pw: bytes | None) -> Any:
        if b"BEGIN OPENSSH PRIVATE KEY" in head:
            return serialization.load_ssh_private_key(stripped, pw)
        if stripped.startswith(b"-----BEGIN"):
            return serialization.load_pem_private_key(stripped, pw)
        return serialization.load_der_private_key(data, pw)

    try:
        try:
            key = load(password)
        except TypeError as exc:
            text = str(exc).lower()
            if password is not None and "not encrypted" in text:
                key = load(None)  # a passphrase for an unencrypted key is ignored
            elif "encrypted" in text or "password" in text:
                raise _fail(f"{where} is encrypted", "pass passphrase='<its passphrase>'") from None
            else:
                raise
    except KeyLoadError:
        raise
    except ValueError as exc:
        text = str(exc).lower()
        # A wrong passphrase usually fails the padding check ("bad decrypt"), but now and
        # then it decrypts to garbage that fails later as a parse error: decide by whether
        # the data is encrypted at all, not by the message.
        if password is not None and (
            "decrypt" in text or "password" in text or _is_encrypted(load)
        ):
            raise _wrong_passphrase(password, where, load) from None
        raise _fail(
            f"{where} is not a readable private key (expected PEM, DER or OpenSSH RSA/Ed25519)",
            "check the file/contents; generate one with `openssl genpkey -algorithm ed25519`",
        ) from None
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm and friends
        if "bcrypt" in str(exc):
            raise _fail(
                f"{where} is an encrypted OpenSSH key, which needs the 'bcrypt' package",
                "pip install bcrypt, or convert it: ssh-keygen -p -m PKCS8 -f <file>",
            ) from None
        raise _fail(
            f"{where} could not be loaded ({type(exc).__name__})",
            "use an RSA or Ed25519 private key in PEM/DER/OpenSSH format",
        ) from None
    if isinstance(key, rsa.RSAPrivateKey):
        return key, KeyType.RSA
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key, KeyType.ED25519
    raise _fail(
        f"{where} is a {type(key).__name__.lstrip('_')}, which Binance does not accept",
        "use an Ed25519 (recommended) or RSA private key",
    )


def _is_encrypted(load: Callable[[bytes | None], Any]) -> bool:
    """True if ``load(None)`` says a password is needed."""
    try:
        load(None)
    except TypeError as exc:
        return "encrypted" in str(exc).lower()
    except Exception:
        return False
    return False


def _make_asymmetric_signer(key: Any, key_type: str) -> Callable[[bytes], str]:
    if key_type == KeyType.RSA:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        pad, algo = padding.PKCS1v15(), hashes.SHA256()

        def sign_rsa(payload: bytes) -> str:
            return quote(base64.b64encode(key.sign(payload, pad, algo)).decode(), safe="")

        return sign_rsa

    def sign_ed25519(payload: bytes) -> str:
        return quote(base64.b64encode(key.sign(payload)).decode(), safe="")

    return sign_ed25519
