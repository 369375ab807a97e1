"""Signing a .taco: the signed manifest, the .SF file, the signature block, the timestamp, a new archive."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from cryptography.x509.oid import ExtendedKeyUsageOID

from connector_packager import __version__
from connector_packager.archive.entry_names import quoted
from connector_packager.archive.zip_reader import ZipArchive, ZipEntry, parse_archive
from connector_packager.catalogue import Severity, declare
from connector_packager.errors import PackagerError
from connector_packager.findings import Finding, error, warning
from connector_packager.jar_manifest import main_section
from connector_packager.signing.algorithm_policy import (
    JAR_MINIMUM_BITS,
    certificate_key_problem,
    key_problem,
    signature_hash_problem,
)
from connector_packager.signing.certificates import (
    describe,
    is_self_signed,
    netscape_type_problem,
    usage_problem,
    validity_problem,
)
from connector_packager.signing.cms_block import (
    SignatureProblem,
    load_signed_data,
    sign_content,
    signature_block,
    verify_signer_info,
)
from connector_packager.signing.jar_signature import (
    ManifestSyntaxError,
    is_signature_related,
    signature_file,
    signature_file_base,
    signed_manifest,
)
from connector_packager.signing.signers import Signer
from connector_packager.signing.timestamp import request_timestamp
from connector_packager.taco import DEFAULT_TIMESTAMP, JAR_DIR, JAR_MANIFEST, entry_info

CREATED_BY = f"connector-packager {__version__}"

SIGN_CERTIFICATE_NOT_VALID = declare(
    "sign-certificate-not-valid", "signature", Severity.ERROR, "the signer certificate is valid now",
    doc="`sign` refuses to sign with a certificate that has expired or is not valid yet: Tableau would refuse the "
        "connector.", passes="a certificate valid today", fails="a certificate that expired yesterday")
SIGN_CERTIFICATE_USAGE = declare(
    "sign-certificate-usage", "signature", Severity.ERROR, "the signer certificate is for code signing",
    doc="`sign` refuses a certificate whose key usage, extended key usage or Netscape certificate type excludes "
        "code signing: Java would refuse the signature.", passes="extended key usage codeSigning",
    fails="a TLS server certificate")
SIGN_KEY_TOO_WEAK = declare(
    "sign-key-too-weak", "signature", Severity.ERROR, "the signer key is one Java allows for JAR signatures",
    doc="jdk.jar.disabledAlgorithms refuses RSA and DSA keys under 1024 bits.", passes="RSA 2048",
    fails="RSA 512")
SIGN_ALGORITHM_REFUSED = declare(
    "sign-algorithm-refused", "signature", Severity.ERROR, "every certificate of the chain uses algorithms Java "
    "allows",
    doc="jdk.certpath.disabledAlgorithms refuses MD2 and MD5 certificate signatures and small keys anywhere in the "
        "chain.", passes="SHA-256 certificate signatures", fails="an intermediate signed with MD5")
SIGN_NO_TIMESTAMP = declare(
    "sign-no-timestamp", "signature", Severity.WARNING, "the signature is timestamped",
    doc="`sign` without --tsa writes a signature Tableau will not load; it is allowed for tests and warned about.",
    passes="sign --tsa URL", fails="sign without --tsa")
SIGN_SELF_SIGNED = declare(
    "sign-self-signed", "signature", Severity.WARNING, "the signer certificate is issued by a CA",
    doc="Tableau loads a connector signed with a self-signed certificate only where that certificate is trusted.",
    passes="a certificate from a public code-signing CA", fails="a certificate made with keytool -genkeypair")


@dataclass
class Signed:
    """The signed archive's bytes and what the author should know about it."""

    data: bytes
    signature_name: str
    warnings: list[Finding] = field(default_factory=list)


def certificate_problems(signer: Signer, when: dt.datetime) -> list[Finding]:
    """Why Tableau would refuse anything this certificate signs, whatever the truststore."""
    leaf = signer.chain[0]
    problems = []
    expired = validity_problem(leaf, when)
    if expired:
        problems.append(error(SIGN_CERTIFICATE_NOT_VALID, f"the signer certificate {expired}"))
    usage = usage_problem(leaf, ExtendedKeyUsageOID.CODE_SIGNING) or netscape_type_problem(leaf)
    if usage:
        problems.append(error(SIGN_CERTIFICATE_USAGE, f"the signer certificate {describe(leaf)}: {usage}"))
    key = key_problem(leaf.public_key(), JAR_MINIMUM_BITS, "jdk.jar.disabledAlgorithms")
    if key:
        problems.append(error(SIGN_KEY_TOO_WEAK, f"the signer certificate {describe(leaf)} has {key}"))
    for cert in signer.chain:
        algorithm = (signature_hash_problem(cert, when) if not is_self_signed(cert) else None) or \
            certificate_key_problem(cert)
        if algorithm:
            problems.append(error(SIGN_ALGORITHM_REFUSED, f"the certificate {describe(cert)} uses an algorithm Java "
                                  f"refuses: {algorithm}"))
    return problems


def _read_archive(data: bytes, source: str) -> ZipArchive:
    archive = parse_archive(data, source)
    signatures = [n for n in archive.names if is_signature_related(n) and n not in (JAR_DIR, JAR_MANIFEST)]
    if signatures:
        raise PackagerError(f"the archive is already signed ({', '.join(quoted(n) for n in signatures)})",
                            hint="sign the unsigned .taco that `package` wrote")
    return archive


def _copy_info(old: ZipEntry) -> zipfile.ZipInfo:
    """The entry's name, time and compression; POSIX permission bits are dropped, since no signature covers them
    (jarsigner warns about them).

    The name is written as the same bytes: the reader takes only ASCII names, or UTF-8 names with the UTF-8 flag,
    and zipfile writes an ASCII name as ASCII and any other as UTF-8 with the flag. (It clears the flag on an ASCII
    name, where it changes nothing: ASCII reads the same in every encoding.)"""
    return entry_info(old.name, old.date_time, old.method)


def sign_jar(data: bytes, signer: Signer, alias: str, tsa_url: str | None, *, check_certificate: bool = True,
             now: dt.datetime | None = None, source: str = "the archive") -> Signed:
    """Sign the archive in ``data`` (named ``source`` in messages) as ``alias``; timestamped by ``tsa_url`` unless it
    is None.

    Refuses a certificate Tableau would refuse (expired, or not for code signing) unless
    ``check_certificate`` is False, which tests use to make such archives.
    """
    when = now or dt.datetime.now(dt.timezone.utc)
    if check_certificate:
        problems = certificate_problems(signer, when)
        if problems:
            raise PackagerError(f"will not sign: {problems[0].message}; Tableau would refuse the connector",
                                hint="sign with a valid code-signing certificate")
    archive = _read_archive(data, source)
    infos, contents = archive.entries, archive.contents
    base = signature_file_base(alias)
    if not base:
        raise PackagerError(f"--alias {alias!r} gives no usable signature file name")
    entries = [(i.name, i.data) for i in infos if not i.is_dir and not is_signature_related(i.name)]
    try:
        manifest = signed_manifest(contents.get(JAR_MANIFEST) or main_section(CREATED_BY), entries)
    except ManifestSyntaxError as exc:
        raise PackagerError(f"the archive's {JAR_MANIFEST} cannot be read: {exc}") from None
    sf = signature_file(manifest, CREATED_BY)
    attributes, signature = sign_content(sf, signer, when)
    try:
        unstamped = load_signed_data(signature_block(signer, attributes, signature, None), "the signature block")
        verify_signer_info(unstamped["signer_infos"][0], sf, signer.chain[0], "data", when)
    except SignatureProblem:
        raise PackagerError(f"the certificate {describe(signer.chain[0])} does not belong to the signing key",
                            hint="the certificate chain must start with the key's own certificate") from None
    token = request_timestamp(tsa_url, signature) if tsa_url else None
    block = signature_block(signer, attributes, signature, token)

    warnings = list(archive.warnings)
    if token is None:
        warnings.append(warning(SIGN_NO_TIMESTAMP, "the signature has no timestamp: Tableau will not load this "
                                "connector", hint="sign again with --tsa URL (a timestamp authority)"))
    if is_self_signed(signer.chain[0]):
        warnings.append(warning(SIGN_SELF_SIGNED, f"the signer certificate {describe(signer.chain[0])} is "
                                "self-signed: Tableau loads the connector only where that certificate is trusted",
                                hint="sign with a code-signing certificate from a CA for connectors you distribute"))
    old_manifest = next((i for i in infos if i.name == JAR_MANIFEST), None)
    signed_at = old_manifest.date_time if old_manifest else infos[0].date_time if infos else DEFAULT_TIMESTAMP
    out = io.BytesIO()
    dir_first = bool(infos) and infos[0].name == JAR_DIR
    with zipfile.ZipFile(out, "w") as jar:
        if dir_first:
            jar.writestr(_copy_info(infos[0]), b"")
        for name, content in ((JAR_MANIFEST, manifest), (f"META-INF/{base}.SF", sf),
                              (f"META-INF/{base}.{signer.key_type}", block)):
            jar.writestr(entry_info(name, signed_at), content, compresslevel=9)
        for info in infos:
            if info.name == JAR_MANIFEST or (info.name == JAR_DIR and dir_first):
                continue
            jar.writestr(_copy_info(info), info.data, compresslevel=9)
    return Signed(out.getvalue(), base, warnings)
