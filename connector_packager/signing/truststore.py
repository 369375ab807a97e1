"""Trusted roots as Tableau trusts: a Java runtime's ``cacerts`` when one is found, else the public roots bundled
with ``certifi``; or a PEM file, a PKCS#12 file, or a Java keystore the user names.

Java keystores (JKS) are read for their trusted-certificate entries only, and
their integrity hash is checked with the store password (Java's default for
``cacerts`` is ``changeit``). The JKS layout is a plain binary format; the
certificates inside are DER, parsed by ``cryptography``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.utils import CryptographyDeprecationWarning

from connector_packager.archive.entry_names import shown
from connector_packager.catalogue import Severity, declare
from connector_packager.errors import CannotRun, PackagerError
from connector_packager.findings import Finding, warning
from connector_packager.signing.key_files import (
    MAX_CHAIN_CERTIFICATES,
    MAX_TRUSTSTORE_CERTIFICATES,
    check_certificate_count,
    pem_certificate_count,
    read_truststore_file,
    where,
)
from connector_packager.signing.key_limits import check_pkcs12_key_sizes, pkcs12_cost_problem, refuse_costly

SIGN_CHAIN_INCOMPLETE = declare(
    "sign-chain-incomplete",
    "signature",
    Severity.WARNING,
    "the signature carries the chain up to a trusted root",
    doc="After signing, the chain the signature carries is compared with the default truststore: a chain that "
    "stops at a certificate whose issuer is neither in it nor a trusted root lacks an intermediate, and "
    "Tableau cannot build the path.",
    passes="--cert-chain leaf.pem intermediate.pem",
    fails="--cert-chain leaf.pem (the intermediate left out)",
)
SIGN_CHAIN_UNCHECKED = declare(
    "sign-chain-unchecked",
    "signature",
    Severity.WARNING,
    "the default truststore can be read after signing",
    doc="The check for a missing intermediate needs the default truststore (a Java runtime's cacerts, else "
    "certifi's roots); when it cannot be read the signature is written anyway and this says the check was "
    "skipped.",
    passes="a readable cacerts",
    fails="JAVA_HOME naming a runtime whose cacerts is damaged",
)

JKS_MAGIC = b"\xfe\xed\xfe\xed"
JCEKS_MAGIC = b"\xce\xce\xce\xce"
JAVA_DEFAULT_STOREPASS = "changeit"
_JKS_TRUSTED_CERT, _JKS_PRIVATE_KEY = 2, 1
_JKS_HASH_SALT = b"Mighty Aphrodite"  # fixed by the JKS format
_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


#: Where a Java runtime keeps its trusted roots, below its home (JDK 9 and later; then JDK 8's JRE layout).
CACERTS_PATHS = ("lib/security/cacerts", "jre/lib/security/cacerts")


@dataclass
class TrustStore:
    """Trusted root certificates and where they came from (said in every verification)."""

    certificates: list[x509.Certificate]
    source: str


def java_cacerts(
    env: Mapping[str, str] | None = None, which: Callable[[str], str | None] = shutil.which
) -> tuple[Path, str] | None:
    """The ``cacerts`` of the Java runtime at ``JAVA_HOME``, else of the ``java`` on PATH (links resolved), with
    how it was found; None when there is none."""
    env = os.environ if env is None else env
    homes: list[tuple[Path, str]] = []
    if env.get("JAVA_HOME"):
        homes.append((Path(env["JAVA_HOME"]), "JAVA_HOME"))
    java = which("java")
    if java:
        homes.append((Path(os.path.realpath(java)).parent.parent, f"java on PATH at {java}"))
    for home, how in homes:
        for relative in CACERTS_PATHS:
            candidate = home / relative
            if candidate.is_file():
                return candidate, how
    return None


def bundled_roots() -> Path:
    """The public roots shipped with ``certifi`` (Mozilla's list), the same on every platform."""
    import certifi

    return Path(certifi.where())


def default_truststore(
    env: Mapping[str, str] | None = None, which: Callable[[str], str | None] = shutil.which
) -> TrustStore:
    """The roots Tableau's Java runtime trusts when a Java runtime is found here, else the bundled public roots."""
    found = java_cacerts(env, which)
    if found is not None:
        path, how = found
        return TrustStore(load_truststore(path), f"{path} (the Java runtime's cacerts, found through {how})")
    import certifi

    path = bundled_roots()
    return TrustStore(
        load_truststore(path),
        f"{path} (the public roots bundled with certifi {certifi.__version__}; no Java runtime found)",
    )


def named_truststore(path: Path | None, password: str | None = None) -> TrustStore:
    """``--truststore`` when given, else the default."""
    if path is None:
        return default_truststore()
    return TrustStore(load_truststore(path, password), shown(str(path)))


def chain_gap(chain: list[x509.Certificate], trust: TrustStore) -> Finding | None:
    """Why ``chain`` may lack an intermediate: it stops before a self-signed root at a certificate no trusted root
    issued. None when it is complete."""
    from connector_packager.signing.certificates import describe, issued_by, missing_issuer, name_text

    lacking = missing_issuer(chain)
    if lacking is None or any(issued_by(chain[-1], root) for root in trust.certificates):
        return None
    return warning(
        SIGN_CHAIN_INCOMPLETE,
        f"the certificate chain stops at {describe(chain[-1])}, issued by "
        f"{name_text(lacking)}, which is neither in the chain nor a trusted root ({trust.source}): "
        "if it is an intermediate CA, add its certificate to the chain, or Tableau cannot build the chain "
        "to a trusted root",
        hint="add the intermediate CA's certificate to --cert-chain",
    )


def chain_unchecked(problem: PackagerError) -> Finding:
    """The warning when the default truststore cannot be read, so :func:`chain_gap` could not look."""
    return warning(
        SIGN_CHAIN_UNCHECKED,
        f"the certificate chain was not checked for a missing intermediate: {problem.message}",
        hint=problem.hint,
    )


def load_truststore(path: Path, password: str | None = None) -> list[x509.Certificate]:
    """The trusted certificates in ``path``, read bounded (:mod:`key_files`): at most
    :data:`MAX_TRUSTSTORE_CERTIFICATES` of them."""
    data = read_truststore_file(path)
    source = where("the truststore", path)
    with warnings.catch_warnings():  # some long-lived public roots have a negative serial number
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        certs = _parse(data, source, password)
    if not certs:
        raise CannotRun(f"{source} holds no certificates")
    check_certificate_count(len(certs), MAX_TRUSTSTORE_CERTIFICATES, source)
    return certs


def _parse(data: bytes, source: str, password: str | None) -> list[x509.Certificate]:
    if data.startswith(JKS_MAGIC):
        return read_jks_certificates(data, password if password is not None else JAVA_DEFAULT_STOREPASS, source)
    if data.startswith(JCEKS_MAGIC):
        raise CannotRun(
            f"{source} is a JCEKS keystore, which is not read",
            hint="convert it: keytool -importkeystore -srckeystore FILE -srcstoretype JCEKS "
            "-destkeystore FILE.p12 -deststoretype PKCS12",
        )
    if b"-----BEGIN CERTIFICATE-----" in data:
        check_certificate_count(pem_certificate_count(data), MAX_TRUSTSTORE_CERTIFICATES, source)
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


def _pkcs12_certificates(data: bytes, source: str, password: str | None) -> list[x509.Certificate]:
    try:
        refuse_costly(pkcs12_cost_problem(data), source)
    except ValueError:
        raise CannotRun(f"{source} is neither PEM, DER, a Java keystore nor a PKCS#12 file") from None
    tries = [password] if password is not None else [None, "", JAVA_DEFAULT_STOREPASS]
    for attempt in tries:
        check_pkcs12_key_sizes(data, attempt.encode() if attempt is not None else None, source)
        try:
            store = pkcs12.load_pkcs12(data, attempt.encode() if attempt is not None else None)
        except ValueError:
            continue
        certs = [store.cert.certificate] if store.cert else []
        return certs + [c.certificate for c in store.additional_certs]
    raise CannotRun(
        f"{source} is neither PEM, DER nor a PKCS#12 file this password opens",
        hint="pass --truststore-pass for a password-protected PKCS#12 truststore",
    )


def read_jks_certificates(data: bytes, password: str, source: str) -> list[x509.Certificate]:
    """The trusted-certificate entries of a JKS keystore (``source`` names it), after checking its integrity hash.
    Every length field is checked against what is left of ``data``, so a crafted count or length cannot make the
    reading outgrow the file."""
    try:
        certs, end = _jks_entries(data)
    except (struct.error, IndexError, UnicodeDecodeError, ValueError):
        raise CannotRun(f"{source} looks like a Java keystore but cannot be read") from None
    expected = hashlib.sha1(password.encode("utf-16-be") + _JKS_HASH_SALT + data[:end]).digest()
    if data[end : end + 20] != expected:
        raise CannotRun(
            f"{source} (a Java keystore) fails its integrity check",
            hint="the store password is wrong (pass --truststore-pass) or the file was changed",
        )
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
        if pos > len(data):
            raise ValueError("truncated")
        return data[pos - length : pos].decode("utf-8")

    def blob() -> bytes:
        nonlocal pos
        (length,) = struct.unpack_from(">I", data, pos)
        pos += 4 + length
        if pos > len(data):
            raise ValueError("truncated")
        return data[pos - length : pos]

    def certificate() -> bytes:
        if version == 2:
            utf()  # certificate type, "X.509"
        return blob()

    if count > MAX_TRUSTSTORE_CERTIFICATES:
        raise ValueError(f"{count} entries")
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
            if chain_length > MAX_CHAIN_CERTIFICATES:
                raise ValueError(f"a chain of {chain_length}")
            for _ in range(chain_length):
                certificate()
        else:
            raise ValueError(f"JKS entry tag {tag}")
    return certs, pos
