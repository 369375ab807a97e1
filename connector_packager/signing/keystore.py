"""PKCS#12 keystores holding one signing key: opening one, making a new one, installing the CA's reply in one.

A keystore is never overwritten by ``key new`` and is rewritten by
``import-cert`` only when it holds nothing but the one key and its chain
(``cryptography`` writes one key per file, so anything else would be lost);
the new file is read back and checked before it atomically replaces the old.
Keystores are written as keytool (JDK 17) reads them: AES-256 and SHA-256.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from connector_packager.archive.atomic_write import write_file
from connector_packager.archive.entry_names import shown
from connector_packager.errors import CannotRun, PackagerError, UsageProblem
from connector_packager.signing.certificates import describe
from connector_packager.signing.key_files import (
    MAX_CHAIN_CERTIFICATES,
    check_certificate_count,
    read_key_file,
    where,
)
from connector_packager.signing.key_limits import check_pkcs12_key_sizes, pkcs12_cost_problem, refuse_costly
from connector_packager.signing.signers import matching_chain, usable_key
from connector_packager.signing.truststore import JCEKS_MAGIC, JKS_MAGIC

if TYPE_CHECKING:
    from connector_packager.signing.certificate_requests import RequestDetails
    from connector_packager.signing.key_types import KeyType

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
#: Keystores hold private keys: only their owner may read them.
KEYSTORE_MODE = 0o600


@dataclass
class KeystoreEntry:
    """The key in a keystore, its alias, its chain (leaf first), and the password that opened it."""

    key: PrivateKey
    alias: str
    chain: list[x509.Certificate]
    password: str
    others: list[str]  #: other entries' names, which a rewrite would lose


def read_keystore(path: Path) -> bytes:
    """The bytes of the keystore ``path``, read bounded (:mod:`key_files`); a JKS or JCEKS keystore is refused with
    the command that converts it."""
    if not os.path.lexists(path):
        raise UsageProblem(
            f"{where('the keystore', path)} does not exist",
            hint="make one with: connector-packager key new --alias NAME --keystore FILE",
        )
    data = read_key_file(path, "the keystore", "a PKCS#12 keystore")
    if data.startswith((JKS_MAGIC, JCEKS_MAGIC)):
        kind = "JKS" if data.startswith(JKS_MAGIC) else "JCEKS"
        raise CannotRun(
            f"{shown(str(path))} is a {kind} keystore; only PKCS#12 keystores are read",
            hint=shown(
                f"convert it once with: keytool -importkeystore -srckeystore {path} "
                f"-srcstoretype {kind} -destkeystore {path.with_suffix('.p12')} "
                "-deststoretype PKCS12"
            ),
        )
    return data


def open_entry(path: Path, alias: str, storepass: str | None, keypass: str | None = None) -> KeystoreEntry:
    """The key called ``alias`` in the keystore ``path``, with its chain."""
    data = read_keystore(path)
    shown_path = where("the keystore", path)
    try:
        refuse_costly(pkcs12_cost_problem(data), shown_path)
    except ValueError as exc:
        reason = (str(exc).splitlines() or ["unreadable"])[0]
        raise CannotRun(
            f"cannot open {shown_path}: it is not a PKCS#12 file ({reason})",
            hint="keytool and openssl pkcs12 -export make PKCS#12 keystores",
        ) from None
    store, password = None, ""
    for password in dict.fromkeys(p for p in (storepass, keypass) if p is not None):
        check_pkcs12_key_sizes(data, password.encode(), shown_path)
        try:
            store = pkcs12.load_pkcs12(data, password.encode())
            break
        except ValueError:
            continue
    if store is None:
        raise CannotRun(
            f"cannot open {shown_path}: the password is wrong, or it is not a PKCS#12 file this tool reads",
            hint="give the keystore password with --storepass-env (or --storepass)",
        )
    if store.key is None or store.cert is None:
        raise CannotRun(f"{shown_path} holds no private key with its certificate")
    name = store.cert.friendly_name
    if name is not None and name.decode("utf-8", "replace").lower() != alias.lower():
        raise PackagerError(
            f"{shown_path} holds the key {name.decode('utf-8', 'replace')!r}, not {alias!r}",
            hint="pass that name as --alias",
        )
    key = usable_key(store.key, shown_path)
    certs = [store.cert.certificate, *(c.certificate for c in store.additional_certs)]
    check_certificate_count(len(certs), MAX_CHAIN_CERTIFICATES, shown_path)
    chain = matching_chain(key, certs, shown_path)
    others = sorted(
        {
            c.friendly_name.decode("utf-8", "replace")
            for c in store.additional_certs
            if c.friendly_name is not None and c.friendly_name.lower() != alias.lower().encode()
        }
        | {
            _describe_extra(c.certificate)
            for c in store.additional_certs
            if c.friendly_name is None and c.certificate not in chain
        }
    )
    return KeystoreEntry(key, name.decode("utf-8", "replace") if name else alias, chain, password, others)


def _describe_extra(cert: x509.Certificate) -> str:
    return f"a certificate for {describe(cert)}"


def _serialize(alias: str, key: PrivateKey, chain: list[x509.Certificate], password: str) -> bytes:
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(10000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )
    return pkcs12.serialize_key_and_certificates(alias.encode(), key, chain[0], chain[1:] or None, encryption)


def refuse_existing(path: Path) -> None:
    """``key new`` never replaces a file."""
    if path.exists() or path.is_symlink():
        raise UsageProblem(
            f"{path} already exists; it is left as it is (a keystore made here holds one key)",
            hint="choose a new --keystore file name",
        )


def create_keystore(
    path: Path, alias: str, kind: KeyType, details: RequestDetails, days: int, password: str, *, self_signed: bool
) -> x509.Certificate:
    """A new keystore at ``path`` holding a new key of ``kind`` with a self-signed certificate (a development
    code-signing one when ``self_signed``, else keytool's placeholder); an existing file is never replaced."""
    refuse_existing(path)
    from connector_packager.signing.certificate_requests import build_self_signed
    from connector_packager.signing.signers import SoftwareSigner

    key = kind.generate()
    cert = build_self_signed(SoftwareSigner(key, []), details, days, code_signing=self_signed)
    write_file(path, _serialize(alias, key, [cert], password), mode=KEYSTORE_MODE, replace=False)
    return cert


def install_chain(path: Path, entry: KeystoreEntry, chain: list[x509.Certificate]) -> None:
    """Replace the key's chain in the keystore ``path`` with ``chain`` (leaf first), atomically; refused when the
    keystore holds other entries, which rewriting it would lose."""
    if entry.others:
        raise PackagerError(
            f"the keystore {path} holds other entries besides {entry.alias!r} "
            f"({shown(', '.join(entry.others))}); rewriting it would lose them, so it is left as it is",
            hint="export the key to a keystore of its own with keytool -importkeystore "
            "-srcalias ALIAS, or install the reply with keytool -importcert",
        )
    data = _serialize(entry.alias, entry.key, chain, entry.password)
    check = pkcs12.load_pkcs12(data, entry.password.encode())
    if check.cert is None or check.cert.certificate != chain[0] or check.key is None:
        raise PackagerError(f"the rewritten keystore did not read back as written; {path} is left as it is")
    write_file(path, data, mode=path.stat().st_mode & 0o777)
