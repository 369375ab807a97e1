"""Where the signing key comes from: a PKCS#12 keystore, PEM files, or (in ``pkcs11_signer``) a hardware token.

A signer holds the certificate chain (leaf first) and signs bytes with
SHA-256, returning the signature as CMS carries it (PKCS#1 v1.5 for RSA,
DER-encoded for ECDSA).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from connector_packager.errors import PackagerError
from connector_packager.signing.certificates import order_chain, public_key_bytes


class Signer(Protocol):
    """A key that signs, with its certificate chain."""

    @property
    def chain(self) -> list[x509.Certificate]: ...

    @property
    def key_type(self) -> str:
        """``RSA`` or ``EC``: the signature block's file suffix and algorithm."""
        ...

    def sign(self, data: bytes) -> bytes: ...


@dataclass
class SoftwareSigner:
    """A private key held in memory."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    chain: list[x509.Certificate]

    @property
    def key_type(self) -> str:
        return "RSA" if isinstance(self.key, rsa.RSAPrivateKey) else "EC"

    def public_key(self) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
        return self.key.public_key()

    def sign(self, data: bytes) -> bytes:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))


def usable_key(key: object, source: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return key
    raise PackagerError(f"the key in {source} is {type(key).__name__.lstrip('_')}; only RSA and EC keys can sign "
                        "a .taco")


def matching_chain(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, certs: list[x509.Certificate],
                    source: str) -> list[x509.Certificate]:
    wanted = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    leaf = next((c for c in certs if public_key_bytes(c) == wanted), None)
    if leaf is None:
        raise PackagerError(f"no certificate in {source} belongs to the private key",
                            hint="the certificate chain must start with the certificate issued for this key")
    return order_chain(leaf, certs)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PackagerError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None


def from_pkcs12(path: Path, alias: str, storepass: str | None, keypass: str | None) -> SoftwareSigner:
    """The key and chain in a PKCS#12 keystore. JKS and JCEKS keystores are refused with the command that converts
    them."""
    from connector_packager.signing.keystore import open_entry

    entry = open_entry(path, alias, storepass, keypass)
    return SoftwareSigner(entry.key, entry.chain)


def from_pem(key_path: Path, chain_path: Path, keypass: str | None) -> SoftwareSigner:
    """A PEM (or DER) private key and a PEM certificate chain."""
    raw_key = _read(key_path, "private key")
    try:
        loaded = (serialization.load_pem_private_key if b"-----BEGIN" in raw_key
                  else serialization.load_der_private_key)(raw_key, keypass.encode() if keypass else None)
    except TypeError:
        raise PackagerError(f"the private key {key_path} is encrypted", hint="give its password with --keypass") \
            from None
    except ValueError:
        raise PackagerError(f"cannot read the private key {key_path}: not a PEM/DER key, or the password is wrong") \
            from None
    key = usable_key(loaded, str(key_path))
    return SoftwareSigner(key, matching_chain(key, read_certificates(chain_path), str(chain_path)))


def read_certificates(path: Path) -> list[x509.Certificate]:
    """The PEM certificates in ``path`` (a chain: the signer's certificate, then its issuers)."""
    try:
        return x509.load_pem_x509_certificates(_read(path, "certificate chain"))
    except ValueError:
        raise PackagerError(f"cannot read the certificate chain {path}: it must hold PEM certificates") from None
