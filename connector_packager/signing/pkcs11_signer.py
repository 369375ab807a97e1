"""A signing key held on a hardware token (HSM, smart card) and used through its PKCS#11 module.

The key never leaves the token: the module signs. The certificate chain comes
from ``--cert-chain`` when given, otherwise from the certificate object with
the key's label on the token. Needs the optional ``python-pkcs11`` package.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from connector_packager.errors import PackagerError
from connector_packager.signing.certificates import order_chain
from connector_packager.signing.pkcs11_token import TokenKey, certificates, open_token, session


class Pkcs11Signer:
    """The private key labelled ``alias`` on the token labelled ``token_label``."""

    def __init__(
        self, module: Path, token_label: str, pin: str, alias: str, chain: list[x509.Certificate] | None = None
    ) -> None:
        token = open_token(module, token_label)
        self.alias = alias
        self._key = TokenKey(token, pin, alias)
        self.key_type = self._key.key_type
        with session(token, pin) as live:
            self.chain = self._chain(certificates(live), chain)

    def _chain(
        self, on_token: list[tuple[str, x509.Certificate]], given: list[x509.Certificate] | None
    ) -> list[x509.Certificate]:
        """The given chain (leaf first), else the token's certificate labelled like the key, with the token's
        other certificates as its issuers. The signer checks the leaf against the key after signing."""
        if given:
            return order_chain(given[0], given)
        leaf = next((cert for label, cert in on_token if label == self.alias), None)
        if leaf is None:
            raise PackagerError(
                f"the token has no certificate labelled {self.alias!r}",
                hint="store the certificate on the token with the key's label (connector-packager "
                "import-cert), or pass --cert-chain",
            )
        return order_chain(leaf, [cert for _, cert in on_token])

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)
