"""Which algorithms a signed .taco may use: the JDK 17 defaults, as ``jarsigner -verify`` and Java's class loader
apply them.

From the JDK's ``conf/security/java.security``:

- ``jdk.jar.disabledAlgorithms=MD2, MD5, RSA keySize < 1024, DSA keySize < 1024, SHA1 denyAfter 2019-01-01``
  (the signature block, the .SF and manifest digests, the timestamp token);
- ``jdk.certpath.disabledAlgorithms=MD2, MD5, SHA1 jdkCA & usage TLSServer, RSA keySize < 1024,
  DSA keySize < 1024, EC keySize < 224, SHA1 usage SignedJAR & denyAfter 2019-01-01`` (the certificates of the
  signer's and the timestamp authority's paths);
- ``jdk.security.legacyAlgorithms=SHA1, RSA keySize < 2048, DSA keySize < 2048``: still accepted, with a warning.

``denyAfter`` is judged at the signature's date: the timestamp's time when there is one, else the time the
archive is checked at. A disabled algorithm makes Java treat the archive as unsigned.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

from connector_packager.catalogue import Severity, declare

SIG_ALGORITHM_DISABLED = declare(
    "sig-algorithm-disabled",
    "signature",
    Severity.ERROR,
    "the signature uses algorithms and key sizes Java allows",
    doc="Java's jdk.jar.disabledAlgorithms and jdk.certpath.disabledAlgorithms refuse MD2, MD5, SHA-1 signatures "
    "made after 2019 without a timestamp, and RSA or DSA keys under 1024 bits; a signature that relies on them "
    "does not verify, so Tableau refuses the connector.",
    passes="SHA-256 with RSA 2048",
    fails="an entry digest in MD5, or a 512-bit RSA signer key",
)
SIG_ALGORITHM_LEGACY = declare(
    "sig-algorithm-legacy",
    "signature",
    Severity.WARNING,
    "the signature's algorithms are not on Java's legacy list",
    doc="jarsigner warns about SHA-1 certificate signatures and RSA or DSA keys under 2048 bits: Java still accepts "
    "them today, but they are next to be disabled.",
    passes="SHA-256 with RSA 2048",
    fails="an intermediate certificate signed with SHA-1",
)

SHA1_DENIED_AFTER = dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc)
_ALWAYS_DISABLED = frozenset({"MD2", "MD5"})
JAR_MINIMUM_BITS = {"RSA": 1024, "DSA": 1024}
CERTPATH_MINIMUM_BITS = {"RSA": 1024, "DSA": 1024, "EC": 224}
LEGACY_MINIMUM_BITS = {"RSA": 2048, "DSA": 2048}


def canonical(name: str) -> str:
    """``sha1``, ``SHA-1`` and ``SHA1`` all read ``SHA1``; ``sha256`` reads ``SHA256``."""
    return name.upper().replace("-", "").replace("_", "")


def digest_problem(name: str, when: dt.datetime) -> str | None:
    """Why the JDK refuses the digest ``name`` for a signature dated ``when``, or None."""
    algorithm = canonical(name)
    if algorithm in _ALWAYS_DISABLED:
        return f"{algorithm} is a disabled algorithm (jdk.jar.disabledAlgorithms)"
    if algorithm == "SHA1" and when >= SHA1_DENIED_AFTER:
        return (
            f"SHA-1 is a disabled algorithm for signatures dated after {SHA1_DENIED_AFTER:%Y-%m-%d} "
            "(jdk.jar.disabledAlgorithms: SHA1 denyAfter 2019-01-01)"
        )
    return None


def key_size(key: object) -> tuple[str, int] | None:
    """The key's family (RSA, DSA, EC) and size in bits, or None for another kind of key."""
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.key_size
    return None


def key_problem(key: object, minimums: dict[str, int], setting: str) -> str | None:
    """Why the JDK refuses ``key`` under ``minimums`` (named ``setting`` in the message), or None."""
    size = key_size(key)
    if size is None or size[0] not in minimums or size[1] >= minimums[size[0]]:
        return None
    return f"a {size[1]}-bit {size[0]} key is a disabled algorithm ({setting}: {size[0]} keySize < {minimums[size[0]]})"


def certificate_key_problem(cert: x509.Certificate) -> str | None:
    """Why the JDK's certificate path checks refuse ``cert``'s own key, or None."""
    try:
        key = cert.public_key()
    except (ValueError, TypeError):  # a key cryptography cannot read (the path check names what it cannot verify)
        return None
    return key_problem(key, CERTPATH_MINIMUM_BITS, "jdk.certpath.disabledAlgorithms")


def signature_hash_problem(cert: x509.Certificate, when: dt.datetime) -> str | None:
    """Why the JDK refuses the digest ``cert`` is signed with (for a signature dated ``when``), or None."""
    algorithm = cert.signature_hash_algorithm
    return digest_problem(algorithm.name, when) if algorithm is not None else None


def legacy_warning(digest: str | None, key: object | None) -> str | None:
    """What ``jdk.security.legacyAlgorithms`` says of an accepted digest and key (jarsigner warns), or None."""
    if digest is not None and canonical(digest) == "SHA1":
        return "SHA-1 is a legacy algorithm Java will disable in a future update (jdk.security.legacyAlgorithms)"
    size = key_size(key) if key is not None else None
    if size is not None and size[0] in LEGACY_MINIMUM_BITS and size[1] < LEGACY_MINIMUM_BITS[size[0]]:
        return (
            f"a {size[1]}-bit {size[0]} key is a legacy algorithm Java will disable in a future update "
            "(jdk.security.legacyAlgorithms)"
        )
    return None
