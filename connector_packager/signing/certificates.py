"""Certificate facts the signing and verifying code share: chain order, usages, names, validity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import ExtendedKeyUsageOID

from connector_packager.archive.entry_names import shown

ANY_EKU = x509.ObjectIdentifier("2.5.29.37.0")
_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
}


#: The longest chain :func:`order_chain` builds (real ones have 2 to 5 certificates).
MAX_CHAIN_LENGTH = 20


def describe(cert: x509.Certificate) -> str:
    """The subject as people read it (``CN=..., O=...``), shown so that it cannot forge output."""
    return name_text(cert.subject) or f"(empty subject, serial {cert.serial_number:x})"


def name_text(name: x509.Name) -> str:
    """``name`` in RFC 4514 form with every unprintable character (line breaks, control characters, bidirectional
    overrides) escaped, as messages show names a certificate's author chose."""
    return shown(name.rfc4514_string())


def public_key_bytes(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s name and key signed ``cert``, whatever digest it signed with (whether that digest is
    allowed is the algorithm policy's business, which then names it)."""
    if cert.issuer != issuer.subject:
        return False
    algorithm = cert.signature_hash_algorithm
    try:
        key = issuer.public_key()
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        else:
            cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def is_self_signed(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject and issued_by(cert, cert)


def order_chain(leaf: x509.Certificate, others: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    """``leaf`` followed by the certificates among ``others`` that issued it, in order, as far as they go: each
    certificate used once (an issuer loop ends), at most :data:`MAX_CHAIN_LENGTH` of them, candidates looked up
    by name so that a large pool costs one pass."""
    by_subject: dict[bytes, list[x509.Certificate]] = {}
    for cert in others:
        by_subject.setdefault(cert.subject.public_bytes(), []).append(cert)
    chain, used = [leaf], {leaf}
    while len(chain) < MAX_CHAIN_LENGTH and not is_self_signed(chain[-1]):
        candidates = by_subject.get(chain[-1].issuer.public_bytes(), [])
        parent = next((c for c in candidates if c not in used and issued_by(chain[-1], c)), None)
        if parent is None:
            break
        chain.append(parent)
        used.add(parent)
    return chain


def missing_issuer(chain: Sequence[x509.Certificate]) -> x509.Name | None:
    """The issuer a chain lacks when it stops before a self-signed root, else None."""
    return None if is_self_signed(chain[-1]) else chain[-1].issuer


def _extension(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def usage_problem(cert: x509.Certificate, purpose: x509.ObjectIdentifier) -> str | None:
    """Why ``cert`` may not sign for ``purpose`` (code signing or time stamping), or None.

    Key usage, when present, must allow digitalSignature; extended key usage, when present, must
    name the purpose (or anyExtendedKeyUsage, except for time stamping, where RFC 3161 wants the
    purpose itself).
    """
    key_usage = _extension(cert, x509.KeyUsage)
    if isinstance(key_usage, x509.KeyUsage) and not key_usage.digital_signature:
        return "its key usage does not allow digitalSignature"
    eku = _extension(cert, x509.ExtendedKeyUsage)
    wanted = "codeSigning" if purpose == ExtendedKeyUsageOID.CODE_SIGNING else "timeStamping"
    if purpose == ExtendedKeyUsageOID.TIME_STAMPING:
        if not isinstance(eku, x509.ExtendedKeyUsage) or purpose not in eku:
            return f"its extended key usage does not include {wanted}"
    elif isinstance(eku, x509.ExtendedKeyUsage) and purpose not in eku and ANY_EKU not in eku:
        names = ", ".join(_EKU_NAMES.get(oid, oid.dotted_string) for oid in eku)
        return f"its extended key usage ({names}) does not include {wanted}"
    return None


#: The Netscape certificate type extension; jarsigner refuses a signer whose type leaves out object signing.
NETSCAPE_CERT_TYPE = x509.ObjectIdentifier("2.16.840.1.113730.1.1")
_OBJECT_SIGNING_BIT = 3


def netscape_type_problem(cert: x509.Certificate) -> str | None:
    """Why the Netscape certificate type of ``cert``, when it has one, does not allow code (object) signing."""
    from asn1crypto import core

    try:
        extension = cert.extensions.get_extension_for_oid(NETSCAPE_CERT_TYPE).value
    except x509.ExtensionNotFound:
        return None
    except ValueError:
        return "its extensions cannot be read"
    try:
        bits = core.BitString.load(
            extension.value if isinstance(extension, x509.UnrecognizedExtension) else b"", strict=True
        ).native
    except (ValueError, TypeError):
        return "its Netscape certificate type cannot be read"
    if len(bits) <= _OBJECT_SIGNING_BIT or not bits[_OBJECT_SIGNING_BIT]:
        return "its Netscape certificate type does not include object signing"
    return None


def validity_problem(cert: x509.Certificate, at: dt.datetime) -> str | None:
    if at < cert.not_valid_before_utc:
        return f"{describe(cert)} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    if at > cert.not_valid_after_utc:
        return f"{describe(cert)} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    return None


def is_ca(cert: x509.Certificate) -> bool:
    constraints = _extension(cert, x509.BasicConstraints)
    if not isinstance(constraints, x509.BasicConstraints) or not constraints.ca:
        return False
    key_usage = _extension(cert, x509.KeyUsage)
    return not isinstance(key_usage, x509.KeyUsage) or key_usage.key_cert_sign


def earliest_expiry(chain: Sequence[x509.Certificate]) -> dt.datetime:
    return min(c.not_valid_after_utc for c in chain)
