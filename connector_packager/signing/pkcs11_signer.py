"""A signing key held on a hardware token (HSM, smart card) and used through its PKCS#11 module.

The key never leaves the token: the module signs. The certificate chain comes
from ``--cert-chain`` when given, otherwise from the certificate object with
the key's label on the token. Needs the optional ``python-pkcs11`` package.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from connector_packager.errors import PackagerError
from connector_packager.signing.certificates import order_chain


def _library() -> Any:
    try:
        import pkcs11
    except ImportError:
        raise PackagerError("signing with a PKCS#11 token needs the python-pkcs11 package",
                            hint="pip install 'connector-packager[pkcs11]'") from None
    return pkcs11


class Pkcs11Signer:
    """The private key labelled ``alias`` on the token labelled ``token_label``."""

    def __init__(self, module: Path, token_label: str, pin: str, alias: str,
                 chain: list[x509.Certificate] | None = None) -> None:
        pkcs11 = _library()
        self._pkcs11 = pkcs11
        self.alias, self._pin = alias, pin
        try:
            self._token = pkcs11.lib(str(module)).get_token(token_label=token_label)
        except pkcs11.exceptions.NoSuchToken:
            raise PackagerError(f"no token labelled {token_label!r} in the PKCS#11 module {module}") from None
        except (RuntimeError, OSError, pkcs11.exceptions.PKCS11Error) as exc:
            raise PackagerError(f"cannot load the PKCS#11 module {module}: {exc or type(exc).__name__}") from None
        with self._session() as session:
            key = self._key(session)
            self.key_type = "RSA" if key.key_type == pkcs11.KeyType.RSA else "EC"
            if key.key_type not in (pkcs11.KeyType.RSA, pkcs11.KeyType.EC):
                raise PackagerError(f"the key {alias!r} on the token is {key.key_type.name}; only RSA and EC keys "
                                    "can sign a .taco")
            self.chain = self._chain(session, chain)

    def _session(self) -> Any:
        pkcs11 = self._pkcs11
        try:
            return self._token.open(user_pin=self._pin)
        except (pkcs11.exceptions.PinIncorrect, pkcs11.exceptions.PinLenRange):
            raise PackagerError("the token refused the PIN", hint="check the variable named by --pin-env") from None
        except pkcs11.exceptions.PKCS11Error as exc:
            raise PackagerError(f"cannot open a session on the token: {type(exc).__name__}") from None

    def _key(self, session: Any) -> Any:
        pkcs11 = self._pkcs11
        try:
            return session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=self.alias)
        except pkcs11.exceptions.NoSuchKey:
            raise PackagerError(f"the token has no private key labelled {self.alias!r}",
                                hint="--alias names the key's label on the token") from None
        except pkcs11.exceptions.MultipleObjectsReturned:
            raise PackagerError(f"the token has several private keys labelled {self.alias!r}") from None

    def _chain(self, session: Any, given: list[x509.Certificate] | None) -> list[x509.Certificate]:
        """The given chain (leaf first), else the token's certificate labelled like the key, with the token's
        other certificates as its issuers. The signer checks the leaf against the key after signing."""
        if given:
            return order_chain(given[0], given)
        pkcs11 = self._pkcs11
        objects = list(session.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE}))
        certs = [(obj[pkcs11.Attribute.LABEL], x509.load_der_x509_certificate(obj[pkcs11.Attribute.VALUE]))
                 for obj in objects]
        leaf = next((cert for label, cert in certs if label == self.alias), None)
        if leaf is None:
            raise PackagerError(f"the token has no certificate labelled {self.alias!r}",
                                hint="store the certificate on the token with the key's label, or pass --cert-chain")
        return order_chain(leaf, [cert for _, cert in certs])

    def sign(self, data: bytes) -> bytes:
        pkcs11 = self._pkcs11
        with self._session() as session:
            key = self._key(session)
            try:
                if self.key_type == "RSA":
                    return bytes(key.sign(data, mechanism=pkcs11.Mechanism.SHA256_RSA_PKCS))
                raw = bytes(key.sign(hashlib.sha256(data).digest(), mechanism=pkcs11.Mechanism.ECDSA))
            except pkcs11.exceptions.PKCS11Error as exc:
                raise PackagerError(f"the token failed to sign: {type(exc).__name__}") from None
        half = len(raw) // 2
        return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
