"""A hardware token (HSM, smart card) through its PKCS#11 module: opening it, its keys and its certificates.

Private keys are generated on the token and never leave it: the token signs.
Needs the optional ``python-pkcs11`` package.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from connector_packager.archive.entry_names import shown
from connector_packager.errors import CannotRun, PackagerError
from connector_packager.signing.key_types import KeyType

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def library() -> Any:
    try:
        import pkcs11
    except ImportError:
        raise PackagerError(
            "using a PKCS#11 token needs the python-pkcs11 package", hint="pip install 'connector-packager[pkcs11]'"
        ) from None
    return pkcs11


def check_module_file(module: Path) -> None:
    """Refuse a module that is not a regular file (links followed) before the loader opens it: opening a FIFO would
    wait forever, and a folder or device is no library. What a real library does once loaded is native code the user
    chose to run: it is not sandboxed."""
    name = shown(str(module))
    try:
        info = os.stat(module)
    except OSError as exc:
        raise CannotRun(f"cannot load the PKCS#11 module {name}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe, device or socket)"
        raise CannotRun(
            f"the PKCS#11 module {name} is {kind}, not a shared library",
            hint="--pkcs11-module names the token's library, e.g. /usr/lib/softhsm/libsofthsm2.so",
        )


def open_token(module: Path, token_label: str) -> Any:
    """The token labelled ``token_label``; when there is none, the message lists the tokens the module has."""
    pkcs11 = library()
    check_module_file(module)
    try:
        lib = pkcs11.lib(str(module))
        return lib.get_token(token_label=token_label)
    except pkcs11.exceptions.NoSuchToken:
        labels = [token.label for token in lib.get_tokens()]
        present = (
            ("it has the tokens " + ", ".join(repr(label) for label in labels))
            if labels
            else "it has no initialised token"
        )
        raise PackagerError(
            f"no token labelled {token_label!r} in the PKCS#11 module {shown(str(module))}; {shown(present)}",
            hint="pass one of them as --token-label" if labels else None,
        ) from None
    except (RuntimeError, OSError, pkcs11.exceptions.PKCS11Error) as exc:
        raise CannotRun(
            f"cannot load the PKCS#11 module {shown(str(module))}: {shown(str(exc)) or type(exc).__name__}",
            hint="--pkcs11-module names the token's PKCS#11 library (it exports C_GetFunctionList)",
        ) from None


@contextmanager
def session(token: Any, pin: str, *, write: bool = False) -> Iterator[Any]:
    """A logged-in session on ``token`` (read-write when ``write``)."""
    pkcs11 = library()
    try:
        opened = token.open(user_pin=pin, rw=write)
    except (pkcs11.exceptions.PinIncorrect, pkcs11.exceptions.PinLenRange):
        raise PackagerError("the token refused the PIN", hint="check the variable named by --pin-env") from None
    except pkcs11.exceptions.PKCS11Error as exc:
        raise PackagerError(f"cannot open a session on the token: {type(exc).__name__}") from None
    with opened as live:
        yield live


def private_key(live: Any, alias: str) -> Any:
    pkcs11 = library()
    try:
        return live.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=alias)
    except pkcs11.exceptions.NoSuchKey:
        raise PackagerError(
            f"the token has no private key labelled {alias!r}", hint="--alias names the key's label on the token"
        ) from None
    except pkcs11.exceptions.MultipleObjectsReturned:
        raise PackagerError(f"the token has several private keys labelled {alias!r}") from None


def has_private_key(live: Any, alias: str) -> bool:
    pkcs11 = library()
    return any(
        True
        for _ in live.get_objects(
            {pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY, pkcs11.Attribute.LABEL: alias}
        )
    )


def certificates(live: Any) -> list[tuple[str, x509.Certificate]]:
    """Every X.509 certificate on the token that can be read, with its label; one whose value is not a certificate
    (damaged, or put there by another program) is left out, as if it were not there."""
    pkcs11 = library()
    found = []
    for obj in live.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE}):
        try:
            cert = x509.load_der_x509_certificate(obj[pkcs11.Attribute.VALUE])
            found.append((str(obj[pkcs11.Attribute.LABEL]), cert))
        except (ValueError, TypeError, pkcs11.exceptions.PKCS11Error):
            continue
    return found


class TokenKey:
    """The private key labelled ``alias`` on a token: it signs with SHA-256 and shows its public half."""

    def __init__(self, token: Any, pin: str, alias: str) -> None:
        pkcs11 = library()
        self._token, self._pin, self.alias = token, pin, alias
        with session(token, pin) as live:
            key = private_key(live, alias)
            if key.key_type not in (pkcs11.KeyType.RSA, pkcs11.KeyType.EC):
                raise PackagerError(
                    f"the key {alias!r} on the token is {key.key_type.name}; only RSA and EC keys can sign a .taco"
                )
            self.key_type = "RSA" if key.key_type == pkcs11.KeyType.RSA else "EC"
            self.key_id: bytes = key[pkcs11.Attribute.ID]
            self._public = _public_key(live, alias, key)

    def public_key(self) -> PublicKey:
        if self._public is None:
            raise PackagerError(f"the token holds neither the public key nor a certificate labelled {self.alias!r}")
        return self._public

    def sign(self, data: bytes) -> bytes:
        """PKCS#1 v1.5 for RSA, DER-encoded ECDSA: as CMS, X.509 and PKCS#10 carry signatures."""
        pkcs11 = library()
        with session(self._token, self._pin) as live:
            key = private_key(live, self.alias)
            try:
                if self.key_type == "RSA":
                    return bytes(key.sign(data, mechanism=pkcs11.Mechanism.SHA256_RSA_PKCS))
                raw = bytes(key.sign(hashlib.sha256(data).digest(), mechanism=pkcs11.Mechanism.ECDSA))
            except pkcs11.exceptions.PKCS11Error as exc:
                raise PackagerError(f"the token failed to sign: {type(exc).__name__}") from None
        half = len(raw) // 2
        return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


def _public_key(live: Any, alias: str, private: Any) -> PublicKey | None:
    """The public key object labelled ``alias``, else the key in the certificate labelled ``alias``."""
    pkcs11 = library()
    try:
        public = live.get_key(object_class=pkcs11.ObjectClass.PUBLIC_KEY, label=alias)
    except (pkcs11.exceptions.NoSuchKey, pkcs11.exceptions.MultipleObjectsReturned):
        public = None
    if public is not None:
        if private.key_type == pkcs11.KeyType.RSA:
            return rsa.RSAPublicNumbers(
                int.from_bytes(public[pkcs11.Attribute.PUBLIC_EXPONENT], "big"),
                int.from_bytes(public[pkcs11.Attribute.MODULUS], "big"),
            ).public_key()
        from pkcs11.util.ec import encode_ec_public_key

        loaded = serialization.load_der_public_key(encode_ec_public_key(public))
        assert isinstance(loaded, ec.EllipticCurvePublicKey)
        return loaded
    cert = next((c for label, c in certificates(live) if label == alias), None)
    key = cert.public_key() if cert is not None else None
    return key if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey) else None


def generate_key(token: Any, pin: str, alias: str, kind: KeyType) -> None:
    """A new key pair labelled ``alias``, made on the token; the private key is sensitive and never extractable.
    Refuses when the token already has a private key with that label."""
    pkcs11 = library()
    attribute = pkcs11.Attribute
    with session(token, pin, write=True) as live:
        if has_private_key(live, alias):
            raise PackagerError(
                f"the token already has a private key labelled {alias!r}; it is left as it is",
                hint="choose another --alias",
            )
        key_id = os.urandom(8)
        private = {
            attribute.SENSITIVE: True,
            attribute.EXTRACTABLE: False,
            attribute.SIGN: True,
            attribute.PRIVATE: True,
            attribute.TOKEN: True,
        }
        public = {attribute.VERIFY: True, attribute.TOKEN: True}
        try:
            if kind.family == "RSA":
                live.generate_keypair(
                    pkcs11.KeyType.RSA,
                    kind.size,
                    id=key_id,
                    label=alias,
                    store=True,
                    public_template=public,
                    private_template=private,
                )
            else:
                from pkcs11.util.ec import encode_named_curve_parameters

                parameters = live.create_domain_parameters(
                    pkcs11.KeyType.EC, {attribute.EC_PARAMS: encode_named_curve_parameters(kind.curve_name)}, local=True
                )
                parameters.generate_keypair(
                    id=key_id, label=alias, store=True, public_template=public, private_template=private
                )
        except pkcs11.exceptions.PKCS11Error as exc:
            raise PackagerError(f"the token could not make a {kind.label} key: {type(exc).__name__}") from None


def store_certificates(token: Any, pin: str, alias: str, key_id: bytes, chain: list[x509.Certificate]) -> None:
    """Put ``chain`` on the token: the leaf labelled ``alias`` with the key's id (replacing the certificate that had
    that label), the issuers labelled by their common names, each only once."""
    pkcs11 = library()
    attribute = pkcs11.Attribute
    with session(token, pin, write=True) as live:
        present = {cert for _, cert in certificates(live)}
        old_leaves = list(live.get_objects({attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE, attribute.LABEL: alias}))
        for index, cert in enumerate(chain):
            if index > 0 and cert in present:
                continue
            names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
            label = alias if index == 0 else (str(names[0].value) if names else cert.subject.rfc4514_string())
            live.create_object(
                {
                    attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE,
                    attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                    attribute.TOKEN: True,
                    attribute.LABEL: label,
                    attribute.ID: key_id if index == 0 else b"",
                    attribute.SUBJECT: cert.subject.public_bytes(),
                    attribute.ISSUER: cert.issuer.public_bytes(),
                    attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                }
            )
        for old in old_leaves:  # only once the new one is stored
            old.destroy()
