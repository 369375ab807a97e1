"""Trusted roots: the system CA bundle, or a PEM file, a PKCS#12 file, or a Java keystore (``cacerts``).

Java keystores (JKS) are read for their trusted-certificate entries only, and
their integrity hash is checked with the store password (Java's default for
``cacerts`` is ``changeit``). The JKS layout is a plain binary format; the
certificates inside are DER, parsed by ``cryptography``.
"""

from __future__ import annotations

import hashlib
import re
import ssl
import struct
import warnings
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.utils import CryptographyDeprecationWarning

from connector_packager.errors import PackagerError

JKS_MAGIC = b"\xfe\xed\xfe\xed"
JCEKS_MAGIC = b"\xce\xce\xce\xce"
JAVA_DEFAULT_STOREPASS = "changeit"
_JKS_TRUSTED_CERT, _JKS_PRIVATE_KEY = 2, 1
_JKS_HASH_SALT = b"Mighty Aphrodite"  # fixed by the JKS format
_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


def system_bundle() -> Path:
    """The system CA bundle OpenSSL uses (``SSL_CERT_FILE`` honoured)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise PackagerError("no system CA bundle found", hint="pass --truststore with a PEM, PKCS#12 or Java keystore file")


def load_truststore(path: Path | None, password: str | None = None) -> list[x509.Certificate]:
    """The trusted certificates in ``path`` (the system bundle when None)."""
    source = path if path is not None else system_bundle()
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise PackagerError(f"cannot read the truststore {source}: {exc.strerror or exc}") from None
    with warnings.catch_warnings():  # some long-lived system roots have a negative serial number
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        certs = _parse(data, source, password)
    if not certs:
        raise PackagerError(f"the truststore {source} holds no certificates")
    return certs


def _parse(data: bytes, source: Path, password: str | None) -> list[x509.Certificate]:
    if data.startswith(JKS_MAGIC):
        return read_jks_certificates(data, password if password is not None else JAVA_DEFAULT_STOREPASS, source)
    if data.startswith(JCEKS_MAGIC):
        raise PackagerError(f"{source} is a JCEKS keystore, which is not read",
                            hint=f"convert it: keytool -importkeystore -srckeystore {source} -srcstoretype JCEKS "
                                 f"-destkeystore {source}.p12 -deststoretype PKCS12")
    if b"-----BEGIN CERTIFICATE-----" in data:
        certs = []
        for block in _PEM_BLOCK.findall(data):
            try:
                certs.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue  # a root this library cannot read cannot anchor a chain either
        return certs
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        pass
    return _pkcs12_certificates(data, source, password)


def _pkcs12_certificates(data: bytes, source: Path, password: str | None) -> list[x509.Certificate]:
    tries = [password] if password is not None else [None, "", JAVA_DEFAULT_STOREPASS]
    for attempt in tries:
        try:
            store = pkcs12.load_pkcs12(data, attempt.encode() if attempt is not None else None)
        except ValueError:
            continue
        certs = [store.cert.certificate] if store.cert else []
        return certs + [c.certificate for c in store.additional_certs]
    raise PackagerError(f"the truststore {source} is neither PEM, DER nor a PKCS#12 file this password opens",
                        hint="pass --truststore-pass for a password-protected PKCS#12 truststore")


def read_jks_certificates(data: bytes, password: str, source: Path) -> list[x509.Certificate]:
    """The trusted-certificate entries of a JKS keystore, after checking its integrity hash."""
    try:
        certs, end = _jks_entries(data)
    except (struct.error, IndexError, UnicodeDecodeError, ValueError):
        raise PackagerError(f"{source} looks like a Java keystore but cannot be read") from None
    expected = hashlib.sha1(password.encode("utf-16-be") + _JKS_HASH_SALT + data[:end]).digest()
    if data[end:end + 20] != expected:
        raise PackagerError(f"the Java keystore {source} fails its integrity check",
                            hint="the store password is wrong (pass --truststore-pass) or the file was changed")
    return certs


def _jks_entries(data: bytes) -> tuple[list[x509.Certificate], int]:
    version, count = struct.unpack_from(">II", data, 4)
    if version not in (1, 2):
        raise ValueError(f"JKS version {version}")
    pos = 12
    certs: list[x509.Certificate] = []

    def utf() -> str:
        nonlocal pos
        (length,) = struct.unpack_from(">H", data, pos)
        pos += 2 + length
        return data[pos - length:pos].decode("utf-8")

    def blob() -> bytes:
        nonlocal pos
        (length,) = struct.unpack_from(">I", data, pos)
        pos += 4 + length
        if pos > len(data):
            raise ValueError("truncated")
        return data[pos - length:pos]

    def certificate() -> bytes:
        if version == 2:
            utf()  # certificate type, "X.509"
        return blob()

    for _ in range(count):
        (tag,) = struct.unpack_from(">I", data, pos)
        pos += 4
        utf()  # alias
        pos += 8  # creation time
        if tag == _JKS_TRUSTED_CERT:
            certs.append(x509.load_der_x509_certificate(certificate()))
        elif tag == _JKS_PRIVATE_KEY:
            blob()  # the protected key
            (chain_length,) = struct.unpack_from(">I", data, pos)
            pos += 4
            for _ in range(chain_length):
                certificate()
        else:
            raise ValueError(f"JKS entry tag {tag}")
    return certs, pos
