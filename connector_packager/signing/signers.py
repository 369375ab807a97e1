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
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from connector_packager.errors import CannotRun, PackagerError
from connector_packager.signing.certificates import order_chain, public_key_bytes
from connector_packager.signing.key_files import (
    MAX_CHAIN_CERTIFICATES,
    check_certificate_count,
    pem_certificate_count,
    read_key_file,
    where,
)
from connector_packager.signing.key_limits import check_rsa_size, pkcs8_cost_problem, refuse_costly


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
    raise PackagerError(
        f"the key in {source} is {type(key).__name__.lstrip('_')}; only RSA and EC keys can sign a .taco"
    )


def matching_chain(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, certs: list[x509.Certificate], source: str
) -> list[x509.Certificate]:
    wanted = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    leaf = next((c for c in certs if public_key_bytes(c) == wanted), None)
    if leaf is None:
        raise PackagerError(
            f"no certificate in {source} belongs to the private key",
            hint="the certificate chain must start with the certificate issued for this key",
        )
    return order_chain(leaf, certs)


def from_pkcs12(path: Path, alias: str, storepass: str | None, keypass: str | None) -> SoftwareSigner:
    """The key and chain in a PKCS#12 keystore. JKS and JCEKS keystores are refused with the command that converts
    them."""
    from connector_packager.signing.keystore import open_entry

    entry = open_entry(path, alias, storepass, keypass)
    return SoftwareSigner(entry.key, entry.chain)


def from_pem(key_path: Path, chain_path: Path, keypass: str | None) -> SoftwareSigner:
    """A PEM (or DER) private key and a PEM certificate chain, each read bounded (:mod:`key_files`); the key's
    derivation cost and RSA size are checked (:mod:`key_limits`) before the key is decrypted and validated."""
    raw_key = read_key_file(key_path, "the private key", "a PEM or DER private key")
    shown_key = where("the private key", key_path)
    refuse_costly(pkcs8_cost_problem(raw_key), shown_key)
    loader = serialization.load_pem_private_key if b"-----BEGIN" in raw_key else serialization.load_der_private_key
    password = keypass.encode() if keypass else None
    try:  # first unchecked, to learn the size (checking a huge RSA key alone takes hours), then checked
        unchecked = loader(raw_key, password, unsafe_skip_rsa_key_validation=True)
        if isinstance(unchecked, rsa.RSAPrivateKey):
            check_rsa_size(unchecked.key_size, shown_key)
        loaded = loader(raw_key, password)
    except TypeError:
        if password is None:
            raise CannotRun(f"{shown_key} is encrypted", hint="give its password with --keypass") from None
        raise CannotRun(f"{shown_key} is not encrypted, but --keypass was given", hint="leave out --keypass") from None
    except ValueError:
        raise CannotRun(f"cannot read {shown_key}: not a PEM/DER key, or the password is wrong") from None
    except UnsupportedAlgorithm:
        raise CannotRun(f"cannot read {shown_key}: its kind of key or encryption is not supported") from None
    key = usable_key(loaded, shown_key)
    return SoftwareSigner(
        key, matching_chain(key, read_certificates(chain_path), where("the certificate chain", chain_path))
    )


def read_certificates(path: Path) -> list[x509.Certificate]:
    """The PEM certificates in ``path`` (a chain: the signer's certificate, then its issuers), read bounded: at most
    :data:`MAX_CHAIN_CERTIFICATES` of them."""
    data = read_key_file(path, "the certificate chain", "a PEM certificate chain")
    shown_path = where("the certificate chain", path)
    check_certificate_count(pem_certificate_count(data), MAX_CHAIN_CERTIFICATES, shown_path)
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CannotRun(f"cannot read {shown_path}: it must hold PEM certificates") from None
