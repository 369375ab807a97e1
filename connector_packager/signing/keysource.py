"""Which signing key the command line names, checked for sense before anything is read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from connector_packager.errors import UsageProblem

if TYPE_CHECKING:  # the cryptography imports are paid only when a key is opened
    from connector_packager.signing.signers import Signer


@dataclass
class KeySource:
    """The signing options: one of a PKCS#12 keystore, PEM files, or a PKCS#11 token."""

    alias: str | None = None
    keystore: Path | None = None
    storepass: str | None = None
    keypass: str | None = None
    key: Path | None = None
    cert_chain: Path | None = None
    pkcs11_module: Path | None = None
    token_label: str | None = None
    pin: str | None = None
    tsa: str | None = None
    no_timestamp: bool = False

    def check(self) -> None:
        """Refuse combinations that cannot work, with the option to fix."""
        sources = [
            name
            for name, given in (
                ("--keystore", self.keystore),
                ("--key", self.key),
                ("--pkcs11-module", self.pkcs11_module),
            )
            if given is not None
        ]
        if not sources:
            raise UsageProblem("signing needs a key: give --keystore, --key with --cert-chain, or --pkcs11-module")
        if len(sources) > 1:
            raise UsageProblem(f"give only one key source, not {' and '.join(sources)}")
        if not self.alias:
            raise UsageProblem("signing needs --alias (the key's name; it also names META-INF/<ALIAS>.SF)")
        if self.key is not None and self.cert_chain is None:
            raise UsageProblem("--key needs --cert-chain (a PEM file: the certificate, then its issuers)")
        if self.pkcs11_module is not None and (self.token_label is None or self.pin is None):
            raise UsageProblem(
                "--pkcs11-module needs --token-label and the PIN: --pin-env VAR (or run it at a terminal to type it)"
            )
        if self.keystore is not None and self.storepass is None:
            raise UsageProblem(
                "the keystore needs its password: --storepass-env VAR or --storepass (or run it at a "
                "terminal to type it)"
            )
        if self.tsa is None and not self.no_timestamp:
            raise UsageProblem(
                "Tableau refuses signatures without a timestamp: give --tsa URL (a RFC 3161 "
                "timestamp authority), or --no-timestamp for a test signature"
            )
        if self.tsa is not None and self.no_timestamp:
            raise UsageProblem("--tsa and --no-timestamp contradict each other")

    def open(self) -> Signer:
        """The signer: reads the keystore or key files, or opens the token."""
        self.check()
        assert self.alias is not None
        if self.keystore is not None:
            from connector_packager.signing.signers import from_pkcs12

            return from_pkcs12(self.keystore, self.alias, self.storepass, self.keypass)
        if self.key is not None and self.cert_chain is not None:
            from connector_packager.signing.signers import from_pem

            return from_pem(self.key, self.cert_chain, self.keypass)
        from connector_packager.signing.pkcs11_signer import Pkcs11Signer

        assert self.pkcs11_module is not None and self.token_label is not None and self.pin is not None
        chain = None
        if self.cert_chain is not None:
            from connector_packager.signing.signers import read_certificates

            chain = read_certificates(self.cert_chain)
        return Pkcs11Signer(self.pkcs11_module, self.token_label, self.pin, self.alias, chain)
