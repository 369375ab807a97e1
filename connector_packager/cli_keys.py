"""The commands from nothing to a signing certificate: ``key new``, ``csr``, ``import-cert``, ``export-cert``.

They follow Tableau's signing guide (keytool -genkeypair, -certreq, -importcert, -export) for a key in a
PKCS#12 keystore or on a PKCS#11 token, without a JDK. Messages go to standard error; a request or certificate
asked for on standard output is the only thing written there.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from connector_packager.cli_command import Command, Group
from connector_packager.cli_common import CONTEXT_SETTINGS, EXIT_OK, ask, environment, failures_as_exit_codes
from connector_packager.errors import UsageProblem

if TYPE_CHECKING:
    from cryptography import x509

    from connector_packager.signing.certificate_requests import RequestDetails, SigningKey
    from connector_packager.signing.keystore import KeystoreEntry

#: keytool refuses shorter keystore passwords.
MIN_PASSWORD = 6
_FILE = click.Path(path_type=Path, dir_okay=False)


def _key_options(command: Callable[..., NoReturn]) -> Callable[..., NoReturn]:
    """Where the key is: a PKCS#12 keystore, or a PKCS#11 token."""
    options = [
        click.option(
            "--alias",
            required=True,
            metavar="ALIAS",
            help="The key's name in the keystore (or its label on the token).",
        ),
        click.option("--keystore", type=_FILE, help="PKCS#12 keystore (.p12) holding the key."),
        click.option(
            "--storepass-env",
            metavar="VAR",
            help="Environment variable holding the keystore password (asked for at a terminal when not given).",
        ),
        click.option(
            "--storepass",
            metavar="PASSWORD",
            help="Keystore password. Other users can see it in the process list: prefer --storepass-env.",
        ),
        click.option("--pkcs11-module", type=_FILE, help="PKCS#11 module (.so/.dll) of the token with the key."),
        click.option("--token-label", metavar="LABEL", help="Label of the token (--pkcs11-module)."),
        click.option("--pin-env", metavar="VAR", help="Environment variable holding the token's user PIN."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass
class KeyPlace:
    """The key the options name, and the secret that opens it."""

    alias: str
    keystore: Path | None
    secret: str
    module: Path | None
    token_label: str | None

    @classmethod
    def from_options(
        cls,
        alias: str,
        keystore: Path | None,
        storepass_env: str | None,
        storepass: str | None,
        pkcs11_module: Path | None,
        token_label: str | None,
        pin_env: str | None,
        *,
        new: bool = False,
    ) -> KeyPlace:
        if (keystore is None) == (pkcs11_module is None):
            raise UsageProblem("give either --keystore or --pkcs11-module (with --token-label)")
        if pkcs11_module is not None:
            if token_label is None:
                raise UsageProblem("--pkcs11-module needs --token-label")
            pin = environment(pin_env, "--pin-env") or ask(f"PIN of the token {token_label}")
            if pin is None:
                raise UsageProblem("the token needs its PIN: --pin-env VAR (or run it at a terminal to type it)")
            return cls(alias, None, pin, pkcs11_module, token_label)
        assert keystore is not None
        if storepass is not None and storepass_env is not None:
            raise UsageProblem("give --storepass or --storepass-env, not both")
        secret = storepass if storepass is not None else environment(storepass_env, "--storepass-env")
        if new:
            from connector_packager.signing.keystore import refuse_existing

            refuse_existing(keystore)
        if secret is None:
            secret = _new_password(keystore) if new else ask(f"Password of the keystore {keystore}")
        if secret is None:
            raise UsageProblem(
                "the keystore needs its password: --storepass-env VAR or --storepass (or run it at a "
                "terminal to type it)"
            )
        if new and len(secret) < MIN_PASSWORD:
            raise UsageProblem(f"the keystore password must have at least {MIN_PASSWORD} characters (as keytool asks)")
        return cls(alias, keystore, secret, None, None)

    @property
    def where(self) -> str:
        return str(self.keystore) if self.keystore else f"the token {self.token_label!r}"

    def entry(self) -> KeystoreEntry:
        from connector_packager.signing.keystore import open_entry

        assert self.keystore is not None
        return open_entry(self.keystore, self.alias, self.secret)

    def token(self) -> Any:
        from connector_packager.signing.pkcs11_token import open_token

        assert self.module is not None and self.token_label is not None
        return open_token(self.module, self.token_label)

    def signing_key(self) -> tuple[SigningKey, list[x509.Certificate]]:
        """The key, and the certificates stored with it (leaf first; none for a bare key on a token)."""
        if self.keystore is not None:
            from connector_packager.signing.signers import SoftwareSigner

            entry = self.entry()
            return SoftwareSigner(entry.key, entry.chain), entry.chain
        from connector_packager.signing.certificates import order_chain
        from connector_packager.signing.pkcs11_token import TokenKey, certificates, session

        token = self.token()
        key = TokenKey(token, self.secret, self.alias)
        with session(token, self.secret) as live:
            on_token = certificates(live)
        leaf = next((cert for label, cert in on_token if label == self.alias), None)
        return key, ([] if leaf is None else order_chain(leaf, [cert for _, cert in on_token]))


def _new_password(keystore: Path | None) -> str | None:
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None
    return str(
        click.prompt(f"Password for the new keystore {keystore}", hide_input=True, confirmation_prompt=True, err=True)
    )


def _say(text: str) -> None:
    click.echo(text, err=True)


def _details(
    subject: str | None, san: tuple[str, ...], email: tuple[str, ...], default: x509.Name | None
) -> RequestDetails:
    from connector_packager.signing.certificate_requests import (
        RequestDetails,
        parse_alternative_names,
        parse_subject,
    )

    if subject is None and default is None:
        raise UsageProblem('give --subject "CN=...,O=...,C=..." (the name the certificate will carry)')
    name = parse_subject(subject) if subject is not None else default
    assert name is not None
    return RequestDetails(name, parse_alternative_names(san, email))


SUBJECT = click.option(
    "--subject",
    metavar="DN",
    help="The certificate's subject, e.g. \"CN=Acme Inc,O=Acme Inc,L=Seattle,C=US\" (RFC 4514, as keytool's -dname).",
)
SAN = click.option(
    "--san",
    multiple=True,
    metavar="KIND:VALUE",
    help="A subject alternative name: dns:NAME, email:ADDRESS or uri:URI (repeatable).",
)
EMAIL = click.option(
    "--email", multiple=True, metavar="ADDRESS", help="An e-mail address (subject alternative name), repeatable."
)


@click.group("key", context_settings=CONTEXT_SETTINGS, cls=Group)
def key_group() -> None:
    """Make signing keys (step 1 of Tableau's signing guide)."""


@key_group.command("new", context_settings=CONTEXT_SETTINGS)
@_key_options
@click.option(
    "--key-type",
    type=click.Choice(["rsa-3072", "rsa-4096", "ec-p256", "ec-p384"]),
    default="rsa-3072",
    show_default=True,
    help="The kind of key.",
)
@SUBJECT
@SAN
@EMAIL
@click.option(
    "--self-signed",
    is_flag=True,
    help="Also make a self-signed code-signing certificate, for development only: Tableau does not trust "
    "it (see the README for the launch options that load such a connector).",
)
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
    help="How long the --self-signed certificate lasts (default 1095 days).",
)
def key_new_command(
    alias: str,
    key_type: str,
    subject: str | None,
    san: tuple[str, ...],
    email: tuple[str, ...],
    self_signed: bool,
    days: int | None,
    **where: Any,
) -> NoReturn:
    """Make a new key pair ALIAS in a new PKCS#12 keystore, or on a PKCS#11 token (generated there; it never
    leaves it). Never overwrites a keystore or a key.

    Without --self-signed the keystore also holds a placeholder self-signed certificate (keytool -genkeypair makes
    one too) until `import-cert` installs the CA's; a token holds the bare key pair.
    """
    with failures_as_exit_codes():
        from connector_packager.signing.certificate_requests import (
            PLACEHOLDER_DAYS,
            SELF_SIGNED_DAYS,
            build_self_signed,
        )
        from connector_packager.signing.key_types import KEY_TYPES

        if days is not None and not self_signed:
            raise UsageProblem("--days sets how long a --self-signed certificate lasts; give --self-signed too")
        place = KeyPlace.from_options(alias, **where, new=True)
        kind = KEY_TYPES[key_type]
        details = _details(subject, san, email, None if subject else _default_subject(alias))
        lifetime = (days or SELF_SIGNED_DAYS) if self_signed else PLACEHOLDER_DAYS
        if place.keystore is not None:
            from connector_packager.signing.keystore import create_keystore

            create_keystore(place.keystore, alias, kind, details, lifetime, place.secret, self_signed=self_signed)
            _say(f"Made the {kind.label.upper()} key {alias!r} in the new keystore {place.keystore}.")
        else:
            from connector_packager.signing.pkcs11_token import TokenKey, generate_key, store_certificates

            token = place.token()
            generate_key(token, place.secret, alias, kind)
            _say(
                f"Made the {kind.label.upper()} key {alias!r} on {place.where}: generated there, it cannot be exported."
            )
            if self_signed:
                token_key = TokenKey(token, place.secret, alias)
                cert = build_self_signed(token_key, details, lifetime, code_signing=True)
                store_certificates(token, place.secret, alias, token_key.key_id, [cert])
        if self_signed:
            _say(
                f"SELF-SIGNED DEVELOPMENT CERTIFICATE for {details.subject.rfc4514_string()}, valid "
                f"{lifetime} days. Tableau refuses connectors it signs unless it is trusted; while developing, "
                "start Tableau with -DDisableVerifyConnectorPluginSignature=true."
            )
        elif place.keystore is not None:
            _say(
                f"It holds a placeholder self-signed certificate ({details.subject.rfc4514_string()}, "
                f"{PLACEHOLDER_DAYS} days) until the CA's certificate replaces it."
            )
        if not self_signed:
            subject_option = "" if place.keystore is not None else ' --subject "CN=...,O=...,C=..."'
            _say(
                f"Next: connector-packager csr --alias {alias} {_where_options(place)}{subject_option} "
                "-o request.csr, and send request.csr to your certificate authority."
            )
    sys.exit(EXIT_OK)


def _default_subject(alias: str) -> x509.Name:
    from cryptography import x509

    return x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, alias)])


def _where_options(place: KeyPlace) -> str:
    if place.keystore is not None:
        return f"--keystore {place.keystore}"
    return f"--pkcs11-module {place.module} --token-label {place.token_label}"


@click.command("csr", context_settings=CONTEXT_SETTINGS, cls=Command)
@_key_options
@SUBJECT
@SAN
@EMAIL
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    default="-",
    help="Write the request here (PEM). Default: standard output.",
)
def csr_command(
    alias: str, subject: str | None, san: tuple[str, ...], email: tuple[str, ...], output: Path, **where: Any
) -> NoReturn:
    """Write a certificate signing request (PEM PKCS#10, SHA-256) for the key ALIAS, to send to a certificate
    authority (step 2). It asks for a code-signing certificate.

    The subject defaults to the one of the certificate stored with the key.
    """
    with failures_as_exit_codes():
        from cryptography.hazmat.primitives.serialization import Encoding

        from connector_packager.archive.atomic_write import write_file
        from connector_packager.signing.certificate_requests import build_csr

        place = KeyPlace.from_options(alias, **where)
        key, chain = place.signing_key()
        details = _details(subject, san, email, chain[0].subject if chain else None)
        request = build_csr(key, details).public_bytes(Encoding.PEM)
        if str(output) == "-":
            click.echo(request.decode(), nl=False)
        else:
            write_file(output, request)
            _say(f"Wrote the request for {details.subject.rfc4514_string()} to {output}.")
            _say(
                f"Next: send {output} to your certificate authority, then install its reply with: "
                f"connector-packager import-cert REPLY --alias {alias} {_where_options(place)}"
            )
    sys.exit(EXIT_OK)


@click.command("import-cert", context_settings=CONTEXT_SETTINGS, cls=Command)
@click.argument("reply", type=_FILE)
@_key_options
@click.option(
    "--truststore",
    type=_FILE,
    help="Trusted roots that complete the chain (default: as verify, the Java runtime's cacerts, else certifi's).",
)
@click.option("--truststore-pass", metavar="PASSWORD", help="Password of the truststore.")
def import_cert_command(
    reply: Path, alias: str, truststore: Path | None, truststore_pass: str | None, **where: Any
) -> NoReturn:
    """Install the certificate authority's REPLY (PEM, DER .cer, or PKCS#7 .p7b) next to the key ALIAS (step 3).

    Checks first that it is for this key, may sign code, is valid, and that its chain is complete (each
    certificate issued by the next, up to a root); says what is wrong otherwise and changes nothing.
    """
    with failures_as_exit_codes():
        from connector_packager.signing.ca_reply import check_reply, read_reply
        from connector_packager.signing.certificates import describe, public_key_bytes
        from connector_packager.signing.key_files import where as named_file
        from connector_packager.signing.truststore import named_truststore

        certs = read_reply(reply)
        source = named_file("the reply", reply)
        place = KeyPlace.from_options(alias, **where)
        trust = named_truststore(truststore, truststore_pass)
        if place.keystore is not None:
            from connector_packager.signing.keystore import install_chain

            entry = place.entry()
            checked = check_reply(certs, public_key_bytes(entry.chain[0]), trust, source=source)
            install_chain(place.keystore, entry, checked.chain)
        else:
            from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

            from connector_packager.signing.pkcs11_token import TokenKey, store_certificates

            token = place.token()
            token_key = TokenKey(token, place.secret, alias)
            spki = token_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
            checked = check_reply(certs, spki, trust, source=source)
            store_certificates(token, place.secret, alias, token_key.key_id, checked.chain)
        for warning in checked.warnings:
            _say(f"Warning: {warning}")
        _say(
            f"Installed the certificate {describe(checked.chain[0])} for {alias!r} in {place.where}, with its "
            f"chain: {' -> '.join(describe(c) for c in checked.chain)}."
        )
        _say(f"Next: sign with it: connector-packager sign FILE.taco --alias {alias} {_where_options(place)} --tsa URL")
    sys.exit(EXIT_OK)


@click.command("export-cert", context_settings=CONTEXT_SETTINGS, cls=Command)
@_key_options
@click.option("--chain", "whole_chain", is_flag=True, help="Also write the issuers' certificates.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    default="-",
    help="Write the certificate here (PEM). Default: standard output.",
)
def export_cert_command(alias: str, whole_chain: bool, output: Path, **where: Any) -> NoReturn:
    """Write the certificate of the key ALIAS as PEM (keytool -export), e.g. for those who must trust it."""
    with failures_as_exit_codes():
        from cryptography.hazmat.primitives.serialization import Encoding

        from connector_packager.archive.atomic_write import write_file
        from connector_packager.errors import PackagerError

        place = KeyPlace.from_options(alias, **where)
        _, chain = place.signing_key()
        if not chain:
            raise PackagerError(
                f"{place.where} has no certificate for {alias!r}", hint="install the CA's reply with import-cert first"
            )
        pem = b"".join(c.public_bytes(Encoding.PEM) for c in (chain if whole_chain else chain[:1]))
        if str(output) == "-":
            click.echo(pem.decode(), nl=False)
        else:
            write_file(output, pem)
            _say(f"Wrote {'the chain of' if whole_chain else 'the certificate of'} {alias!r} to {output}.")
    sys.exit(EXIT_OK)
