"""Reading the files the signing path takes from the user, bounded: keystores, private keys, certificate chains,
CA replies and trust stores.

Each is read once, only when it is a regular file, and only up to a size no real one comes near; the number of
certificates it may hold is limited before they are parsed, and the work a password-based key derivation may ask
for (PKCS#12 iteration counts, PKCS#8 PBKDF2 and scrypt parameters) and the size of an RSA key are checked before
any of that work is done. Past a limit the tool cannot do the job: :class:`CannotRun` (exit 2), naming the file
and the limit.
"""

from __future__ import annotations

from pathlib import Path

from connector_packager.archive.entry_names import shown
from connector_packager.archive.input_file import read_regular_file
from connector_packager.errors import CannotRun, InputOutputProblem

#: The largest keystore, private key, certificate chain or CA reply read (real ones are a few KB).
MAX_KEY_FILE_BYTES = 1024 * 1024
#: The largest trust store read (a Java runtime's cacerts is about 200 KB, certifi's bundle about 300 KB).
MAX_TRUSTSTORE_BYTES = 8 * 1024 * 1024
#: The most certificates a keystore, a certificate chain or a CA reply may hold (real chains hold 2 to 5).
MAX_CHAIN_CERTIFICATES = 100
#: The most certificates a trust store may hold (cacerts holds about 150).
MAX_TRUSTSTORE_CERTIFICATES = 10_000
_PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"


def read_key_file(path: Path, what: str, kind: str) -> bytes:
    """The bytes of the keystore, key, chain or reply ``path`` (``what`` says which, e.g. "the keystore"; ``kind``
    what it should be, e.g. "a PKCS#12 keystore")."""
    return read_regular_file(
        path,
        MAX_KEY_FILE_BYTES,
        what=what,
        kind=kind,
        too_large=InputOutputProblem,
        too_large_reason=f"not {kind} (those are a few KB)",
    )


def read_truststore_file(path: Path) -> bytes:
    return read_regular_file(
        path,
        MAX_TRUSTSTORE_BYTES,
        what="the truststore",
        kind="a truststore",
        too_large=InputOutputProblem,
        too_large_reason="not a truststore this tool reads (a Java runtime's cacerts is about 200 KB)",
    )


def check_certificate_count(count: int, limit: int, where: str) -> None:
    """Refuse ``where`` (already shown) when it holds more than ``limit`` certificates."""
    if count > limit:
        raise CannotRun(f"{where} holds {count} certificates, more than the {limit} this tool reads")


def pem_certificate_count(data: bytes) -> int:
    """How many PEM certificate blocks ``data`` holds (counted before any is parsed)."""
    return data.count(_PEM_CERTIFICATE)


def where(what: str, path: Path) -> str:
    """``what`` and the file name, as messages name a file (the name shown so that it cannot forge output)."""
    return f"{what} {shown(str(path))}"
