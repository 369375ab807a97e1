"""The certificate authority's reply to a signing request: reading it and checking it before it is installed.

A reply is a PEM file (one or more certificates, or a PKCS#7 bundle), a DER
certificate (``.cer``/``.der``) or a PKCS#7 bundle (``.p7b``). Before it is
installed next to the key it must hold a certificate for that key which may
sign code and is valid now, and a complete chain: each certificate issued by
the next, up to a self-signed root (completed from the trust store when the
reply stops at an intermediate, as keytool does).
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID

from connector_packager.archive.entry_names import shown
from connector_packager.errors import CannotRun, PackagerError
from connector_packager.signing.certificates import (
    MAX_CHAIN_LENGTH,
    describe,
    missing_issuer,
    name_text,
    order_chain,
    public_key_bytes,
    usage_problem,
    validity_problem,
)
from connector_packager.signing.key_files import (
    MAX_CHAIN_CERTIFICATES,
    check_certificate_count,
    pem_certificate_count,
    read_key_file,
    where,
)
from connector_packager.signing.truststore import TrustStore


@dataclass
class CheckedReply:
    """The chain to install (leaf first) and what the author should know."""

    chain: list[x509.Certificate]
    warnings: list[str] = field(default_factory=list)


def read_reply(path: Path) -> list[x509.Certificate]:
    """The certificates in a PEM, DER or PKCS#7 (``.p7b``) reply, read bounded (:mod:`key_files`): at most
    :data:`MAX_CHAIN_CERTIFICATES` of them."""
    data = read_key_file(path, "the reply", "a CA reply")
    shown_path = where("the reply", path)
    check_certificate_count(pem_certificate_count(data), MAX_CHAIN_CERTIFICATES, shown_path)
    readers = (
        (pkcs7.load_pem_pkcs7_certificates, x509.load_pem_x509_certificates)
        if b"-----BEGIN" in data
        else (pkcs7.load_der_pkcs7_certificates, lambda raw: [x509.load_der_x509_certificate(raw)])
    )
    for reader in readers:
        try:
            with warnings.catch_warnings():  # bundles by openssl crl2pkcs7 leave their certificates unsorted (BER)
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                warnings.simplefilter("ignore", UserWarning)
                certs = list(reader(data))
        except ValueError:
            continue
        if certs:
            check_certificate_count(len(certs), MAX_CHAIN_CERTIFICATES, shown_path)
            return certs
    raise CannotRun(
        f"{shown_path} holds no certificate this tool can read: a CA reply is a PEM or DER certificate, "
        "or a PKCS#7 (.p7b) bundle"
    )


def check_reply(
    certs: list[x509.Certificate],
    public_key: bytes,
    trust: TrustStore,
    now: dt.datetime | None = None,
    *,
    source: str = "the reply",
) -> CheckedReply:
    """The chain for the key whose SubjectPublicKeyInfo is ``public_key``; refuses a reply Tableau could not use.
    ``source`` names the reply in messages (e.g. :func:`key_files.where`'s "the reply FILE")."""
    now = now or dt.datetime.now(dt.timezone.utc)
    leaf = next((c for c in certs if public_key_bytes(c) == public_key), None)
    if leaf is None:
        names = "; ".join(describe(c) for c in certs)
        raise PackagerError(
            f"{source} holds no certificate for this key (it holds: {names})",
            hint="the CA answered another request, or this is the wrong keystore or alias",
        )
    usage = usage_problem(leaf, ExtendedKeyUsageOID.CODE_SIGNING)
    if usage:
        raise PackagerError(
            f"the certificate {describe(leaf)} in {source} cannot sign code: {usage}",
            hint="this looks like a TLS (server or client) certificate; ask the CA for a code-signing certificate",
        )
    expired = validity_problem(leaf, now)
    if expired:
        raise PackagerError(f"the certificate {expired} (in {source})")
    chain = order_chain(leaf, [*certs, *trust.certificates])
    lacking = missing_issuer(chain)
    if lacking is not None and len(chain) >= MAX_CHAIN_LENGTH:
        raise PackagerError(
            f"the chain in {source} is longer than {MAX_CHAIN_LENGTH} certificates without reaching "
            "a root; a code-signing chain has 2 to 5"
        )
    if lacking is not None:
        raise PackagerError(
            f"the chain in {source} is incomplete: {describe(chain[-1])} was issued by "
            f"{name_text(lacking)}, which is neither in the reply nor a trusted root of "
            f"{shown(trust.source)}",
            hint=f"add the intermediate CA certificate {name_text(lacking)} to the reply "
            "(your CA publishes it), then import again",
        )
    notes = []
    if chain[-1] not in trust.certificates:
        notes.append(
            f"the root {describe(chain[-1])} is not in the trust store {shown(trust.source)}: Tableau loads "
            "what this key signs only where that root is trusted"
        )
    unused = [c for c in certs if c not in chain]
    if unused:
        notes.append(
            "ignored certificates of the reply that are not in the key's chain: "
            + "; ".join(describe(c) for c in unused)
        )
    return CheckedReply(chain, notes)
