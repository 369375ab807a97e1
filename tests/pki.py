"""A throwaway PKI for the signing tests: root, intermediate, code-signing and TSA leaves, and bad leaves.

Everything is made fresh by ``cryptography`` in a temporary folder; nothing
here is a real certificate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime.now(dt.timezone.utc)
DAY = dt.timedelta(days=1)
PASSWORD = "test-storepass"
Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass
class Identity:
    cert: x509.Certificate
    key: Key

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def _key(kind: str) -> Key:
    return rsa.generate_private_key(65537, 2048) if kind == "RSA" else ec.generate_private_key(ec.SECP256R1())


def issue(
    name: str,
    issuer: Identity | None,
    *,
    ca: bool = False,
    eku: list[x509.ObjectIdentifier] | None = None,
    eku_critical: bool = False,
    digital_signature: bool = True,
    not_before: dt.datetime = NOW - DAY,
    not_after: dt.datetime = NOW + 3650 * DAY,
    key_type: str = "RSA",
) -> Identity:
    key = _key(key_type)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Connector Packager Tests"),
        ]
    )
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=False,
                key_encipherment=not digital_signature,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=eku_critical)
    return Identity(builder.sign(signer_key, hashes.SHA256()), key)


@dataclass
class Pki:
    folder: Path
    root: Identity
    intermediate: Identity
    codesign: Identity
    tsa: Identity
    expired: Identity
    tls_only: Identity
    self_signed: Identity
    bad_key_usage: Identity
    ec_codesign: Identity
    other_root: Identity

    def chain(self, leaf: Identity) -> list[x509.Certificate]:
        if leaf.cert.issuer == leaf.cert.subject:
            return [leaf.cert]
        return [leaf.cert, self.intermediate.cert, self.root.cert]

    def write_pem(self, leaf: Identity, name: str) -> tuple[Path, Path]:
        """``name.key`` and ``name.chain.pem`` (leaf, intermediate, root)."""
        key, chain = self.folder / f"{name}.key", self.folder / f"{name}.chain.pem"
        key.write_bytes(leaf.key_pem)
        chain.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain(leaf)))
        return key, chain

    def write_p12(self, leaf: Identity, name: str, alias: str = "author") -> Path:
        path = self.folder / f"{name}.p12"
        chain = self.chain(leaf)
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                alias.encode(), leaf.key, chain[0], chain[1:], serialization.BestAvailableEncryption(PASSWORD.encode())
            )
        )
        return path

    @property
    def root_pem(self) -> Path:
        path = self.folder / "root.pem"
        path.write_bytes(self.root.pem)
        return path


def make_pki(folder: Path) -> Pki:
    root = issue("Test Root CA", None, ca=True, not_after=NOW + 7300 * DAY)
    intermediate = issue("Test Intermediate CA", root, ca=True, not_after=NOW + 5000 * DAY)
    code = [ExtendedKeyUsageOID.CODE_SIGNING]
    return Pki(
        folder=folder,
        root=root,
        intermediate=intermediate,
        codesign=issue("Test Code Signer", intermediate, eku=code, not_after=NOW + 1100 * DAY),
        tsa=issue("Test TSA", intermediate, eku=[ExtendedKeyUsageOID.TIME_STAMPING], eku_critical=True),
        expired=issue("Test Expired Signer", intermediate, eku=code, not_before=NOW - 800 * DAY, not_after=NOW - DAY),
        tls_only=issue("Test TLS Server", intermediate, eku=[ExtendedKeyUsageOID.SERVER_AUTH]),
        self_signed=issue("Test Self-Signed Signer", None, eku=code),
        bad_key_usage=issue("Test Key-Encipherment Signer", intermediate, eku=code, digital_signature=False),
        ec_codesign=issue("Test EC Code Signer", intermediate, eku=code, key_type="EC"),
        other_root=issue("Unrelated Root CA", None, ca=True),
    )
