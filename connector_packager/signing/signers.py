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
from cryptography.hazmat.primitives.serialization import pkcs12

from connector_packager.errors import PackagerError
from connector_packager.signing.certificates import order_chain, public_key_bytes
from connector_packager.signing.truststore import JCEKS_MAGIC, JKS_MAGIC


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

    def sign(self, data: bytes) -> bytes:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))


def _usable_key(key: object, source: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return key
    raise PackagerError(f"the key in {source} is {type(key).__name__.lstrip('_')}; only RSA and EC keys can sign "
                        "a .taco")


def _matching_chain(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, certs: list[x509.Certificate],
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
    data = _read(path, "keystore")
    if data.startswith((JKS_MAGIC, JCEKS_MAGIC)):
        kind = "JKS" if data.startswith(JKS_MAGIC) else "JCEKS"
        raise PackagerError(f"{path} is a {kind} keystore; only PKCS#12 keystores are read",
                            hint=f"convert it once with: keytool -importkeystore -srckeystore {path} "
                                 f"-srcstoretype {kind} -destkeystore {path.with_suffix('.p12')} "
                                 "-deststoretype PKCS12")
    store = None
    for password in dict.fromkeys(p for p in (storepass, keypass) if p is not None):
        try:
            store = pkcs12.load_pkcs12(data, password.encode())
            break
        except ValueError:
            continue
    if store is None:
        raise PackagerError(f"cannot open the keystore {path}: not a PKCS#12 file, or the password is wrong",
                            hint="give the keystore password with --storepass-env (or --storepass)")
    if store.key is None or store.cert is None:
        raise PackagerError(f"the keystore {path} holds no private key with its certificate")
    name = store.cert.friendly_name
    if name is not None and name.decode("utf-8", "replace").lower() != alias.lower():
        raise PackagerError(f"the keystore {path} holds the key {name.decode('utf-8', 'replace')!r}, "
                            f"not {alias!r}", hint="pass that name as --alias")
    key = _usable_key(store.key, str(path))
    return SoftwareSigner(key, _matching_chain(key, [store.cert.certificate,
                                                     *(c.certificate for c in store.additional_certs)], str(path)))


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
    key = _usable_key(loaded, str(key_path))
    return SoftwareSigner(key, _matching_chain(key, read_certificates(chain_path), str(chain_path)))


def read_certificates(path: Path) -> list[x509.Certificate]:
    """The PEM certificates in ``path`` (a chain: the signer's certificate, then its issuers)."""
    try:
        return x509.load_pem_x509_certificates(_read(path, "certificate chain"))
    except ValueError:
        raise PackagerError(f"cannot read the certificate chain {path}: it must hold PEM certificates") from None
