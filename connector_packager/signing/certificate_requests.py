"""Certificate signing requests (PKCS#10) and self-signed certificates, signed by any key that can sign.

Built with asn1crypto's structures so that a key on a hardware token, which
``cryptography``'s builders cannot use, signs them the same way as a key in
a keystore. The result is parsed back by ``cryptography`` and its signature
checked before it is handed out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from asn1crypto import algos, core, csr, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from connector_packager.errors import PackagerError, UsageProblem

_SIGNATURE_ALGORITHMS = {"RSA": "sha256_rsa", "EC": "sha256_ecdsa"}
#: How long a ``key new --self-signed`` development certificate lasts.
SELF_SIGNED_DAYS = 3 * 365
#: keytool's default for the certificate that holds a new key's place until the CA's reply arrives.
PLACEHOLDER_DAYS = 90
_SAN_KINDS: dict[str, Callable[[str], x509.GeneralName]] = {
    "dns": x509.DNSName,
    "email": x509.RFC822Name,
    "uri": x509.UniformResourceIdentifier,
}


class SigningKey(Protocol):
    """A private key that signs with SHA-256 (in a keystore or on a token)."""

    @property
    def key_type(self) -> str: ...

    def public_key(self) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey: ...

    def sign(self, data: bytes) -> bytes: ...


@dataclass
class RequestDetails:
    """What the request (or self-signed certificate) says about its owner."""

    subject: x509.Name
    alternative_names: list[x509.GeneralName] = field(default_factory=list)


def parse_subject(text: str) -> x509.Name:
    """``CN=...,O=...,C=...`` (RFC 4514, as keytool's -dname) as a name."""
    try:
        name = x509.Name.from_rfc4514_string(text)
    except ValueError as exc:
        raise UsageProblem(
            f"--subject {text!r} is not a distinguished name: {exc}",
            hint='write it as "CN=Your Name,O=Your Company,C=US"',
        ) from None
    if not name.get_attributes_for_oid(x509.NameOID.COMMON_NAME):
        raise UsageProblem(f"--subject {text!r} has no CN= (common name)", hint='e.g. "CN=Acme Inc,O=Acme Inc,C=US"')
    return name


def parse_alternative_names(values: tuple[str, ...], emails: tuple[str, ...]) -> list[x509.GeneralName]:
    """``--san KIND:VALUE`` (dns, email, uri) and ``--email ADDRESS`` as subject alternative names."""
    names: list[x509.GeneralName] = [x509.RFC822Name(address) for address in emails]
    for value in values:
        kind, _, rest = value.partition(":")
        maker = _SAN_KINDS.get(kind.lower())
        if maker is None or not rest:
            raise UsageProblem(f"--san {value!r} is not KIND:VALUE with KIND one of dns, email, uri")
        names.append(maker(rest))
    return names


def _code_signing_extensions(details: RequestDetails) -> list[tuple[x509.ExtensionType, bool]]:
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        ),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False),
    ]
    if details.alternative_names:
        extensions.append((x509.SubjectAlternativeName(details.alternative_names), False))
    return extensions


def _asn1_extensions(extensions: list[tuple[x509.ExtensionType, bool]]) -> list[asn1_x509.Extension]:
    return [
        asn1_x509.Extension(
            {
                "extn_id": value.oid.dotted_string,
                "critical": critical,
                "extn_value": core.ParsableOctetString(value.public_bytes()),
            }
        )
        for value, critical in extensions
    ]


def _algorithm(key: SigningKey) -> algos.SignedDigestAlgorithm:
    name = _SIGNATURE_ALGORITHMS[key.key_type]
    if key.key_type == "RSA":
        return algos.SignedDigestAlgorithm({"algorithm": name, "parameters": core.Null()})
    return algos.SignedDigestAlgorithm({"algorithm": name})


def _public_key_info(key: SigningKey) -> keys.PublicKeyInfo:
    return keys.PublicKeyInfo.load(
        key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def build_csr(key: SigningKey, details: RequestDetails) -> x509.CertificateSigningRequest:
    """A PKCS#10 request for a code-signing certificate, signed by ``key`` with SHA-256."""
    info = csr.CertificationRequestInfo(
        {
            "version": "v1",
            "subject": asn1_x509.Name.load(details.subject.public_bytes()),
            "subject_pk_info": _public_key_info(key),
            "attributes": [
                {"type": "extension_request", "values": [_asn1_extensions(_code_signing_extensions(details))]}
            ],
        }
    )
    request = csr.CertificationRequest(
        {"certification_request_info": info, "signature_algorithm": _algorithm(key), "signature": key.sign(info.dump())}
    )
    loaded = x509.load_der_x509_csr(request.dump())
    if not loaded.is_signature_valid:
        raise PackagerError("the key made a signature that does not verify; the request was not written")
    return loaded


def build_self_signed(key: SigningKey, details: RequestDetails, days: int, *, code_signing: bool) -> x509.Certificate:
    """A self-signed certificate for ``key``: a development code-signing certificate when ``code_signing``,
    else the placeholder a keystore needs to hold a key until the CA's reply replaces it (as keytool makes)."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    public = key.public_key()
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.SubjectKeyIdentifier.from_public_key(public), False),
    ]
    if code_signing:
        extensions += _code_signing_extensions(details)
    elif details.alternative_names:
        extensions.append((x509.SubjectAlternativeName(details.alternative_names), False))
    name = asn1_x509.Name.load(details.subject.public_bytes())
    tbs = asn1_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": x509.random_serial_number(),
            "signature": _algorithm(key),
            "issuer": name,
            "validity": {
                "not_before": asn1_x509.Time({"utc_time": now - dt.timedelta(minutes=5)}),
                "not_after": asn1_x509.Time(
                    {"general_time" if now.year + days // 365 >= 2050 else "utc_time": now + dt.timedelta(days=days)}
                ),
            },
            "subject": name,
            "subject_public_key_info": _public_key_info(key),
            "extensions": _asn1_extensions(extensions),
        }
    )
    certificate = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": _algorithm(key), "signature_value": key.sign(tbs.dump())}
    )
    loaded = x509.load_der_x509_certificate(certificate.dump())
    try:
        loaded.verify_directly_issued_by(loaded)
    except Exception:
        raise PackagerError("the key made a signature that does not verify; nothing was written") from None
    return loaded
