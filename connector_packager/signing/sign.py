"""Signing a .taco as jarsigner does, on its list of entries: the signed manifest, the .SF file, the signature block
with its timestamp.

``package`` signs the entries it is about to zip; ``sign`` signs the entries the strict reader read. Either way the
archive is zipped once, after signing, and the signature block is built once, with the timestamp in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography.x509.oid import ExtendedKeyUsageOID

from connector_packager.archive.entry_names import name_problem, quoted
from connector_packager.archive.jar_manifest import (
    JAR_DIR,
    JAR_MANIFEST,
    ManifestSyntaxError,
    Section,
    main_section,
    parse_sections,
)
from connector_packager.archive.signature_files import (
    is_signature_related,
    signature_file,
    signature_file_base,
    signed_manifest,
)
from connector_packager.archive.taco_writer import CREATED_BY, DEFAULT_TIMESTAMP, JarEntry, jar_bytes
from connector_packager.archive.zip_reader import (
    MAX_ENTRIES,
    MAX_UNPACKED_BYTES,
    ZIP_NAME_UNSAFE,
    ZIP_TOO_MANY_ENTRIES,
    ZIP_UNPACKED_TOO_LARGE,
    ArchiveError,
    case_warnings,
    parse_archive,
)
from connector_packager.catalogue import Severity, declare
from connector_packager.errors import PackagerError
from connector_packager.findings import Finding, error, warning
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
    sign_content,
    signature_block,
    signer_info,
    verify_signer_info,
)
from connector_packager.signing.signers import Signer
from connector_packager.signing.timestamp import request_timestamp

SIGN_CERTIFICATE_NOT_VALID = declare(
    "sign-certificate-not-valid",
    "signature",
    Severity.ERROR,
    "the signer certificate is valid now",
    doc="`sign` refuses to sign with a certificate that has expired or is not valid yet: Tableau would refuse the "
    "connector.",
    passes="a certificate valid today",
    fails="a certificate that expired yesterday",
)
SIGN_CERTIFICATE_USAGE = declare(
    "sign-certificate-usage",
    "signature",
    Severity.ERROR,
    "the signer certificate is for code signing",
    doc="`sign` refuses a certificate whose key usage, extended key usage or Netscape certificate type excludes "
    "code signing: Java would refuse the signature.",
    passes="extended key usage codeSigning",
    fails="a TLS server certificate",
)
SIGN_KEY_TOO_WEAK = declare(
    "sign-key-too-weak",
    "signature",
    Severity.ERROR,
    "the signer key is one Java allows for JAR signatures",
    doc="jdk.jar.disabledAlgorithms refuses RSA and DSA keys under 1024 bits.",
    passes="RSA 2048",
    fails="RSA 512",
)
SIGN_ALGORITHM_REFUSED = declare(
    "sign-algorithm-refused",
    "signature",
    Severity.ERROR,
    "every certificate of the chain uses algorithms Java allows",
    doc="jdk.certpath.disabledAlgorithms refuses MD2 and MD5 certificate signatures and small keys anywhere in the "
    "chain.",
    passes="SHA-256 certificate signatures",
    fails="an intermediate signed with MD5",
)
SIGN_NO_TIMESTAMP = declare(
    "sign-no-timestamp",
    "signature",
    Severity.WARNING,
    "the signature is timestamped",
    doc="`sign` without --tsa writes a signature Tableau will not load; it is allowed for tests and warned about.",
    passes="sign --tsa URL",
    fails="sign without --tsa",
)
SIGN_SELF_SIGNED = declare(
    "sign-self-signed",
    "signature",
    Severity.WARNING,
    "the signer certificate is issued by a CA",
    doc="Tableau loads a connector signed with a self-signed certificate only where that certificate is trusted.",
    passes="a certificate from a public code-signing CA",
    fails="a certificate made with keytool -genkeypair",
)


@dataclass
class Signed:
    """The signed archive's entries, in the order they are zipped, and what the author should know about it."""

    entries: list[JarEntry]
    signature_name: str
    warnings: list[Finding] = field(default_factory=list)

    @property
    def data(self) -> bytes:
        """The signed archive zipped (each use zips it anew: write :attr:`entries` with ``write_taco`` instead)."""
        return jar_bytes(self.entries)


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
        algorithm = (
            signature_hash_problem(cert, when) if not is_self_signed(cert) else None
        ) or certificate_key_problem(cert)
        if algorithm:
            problems.append(
                error(
                    SIGN_ALGORITHM_REFUSED,
                    f"the certificate {describe(cert)} uses an algorithm Java refuses: {algorithm}",
                )
            )
    return problems


def read_entries(data: bytes, source: str) -> list[JarEntry]:
    """The entries of the archive in ``data`` (named ``source`` in messages), read by the strict reader, each with
    its name, bytes, time and compression."""
    return [JarEntry(e.name, e.data, e.date_time, e.method) for e in parse_archive(data, source).entries]


def sign_jar(
    data: bytes,
    signer: Signer,
    alias: str,
    tsa_url: str | None,
    *,
    check_certificate: bool = True,
    now: dt.datetime | None = None,
    source: str = "the archive",
) -> Signed:
    """Sign the archive in ``data`` (named ``source`` in messages) as :func:`sign_entries` does."""
    when = now or dt.datetime.now(dt.timezone.utc)
    if check_certificate:
        _refuse_unusable(signer, when)
    return sign_entries(read_entries(data, source), signer, alias, tsa_url, check_certificate=False, now=when)


def _refuse_unusable(signer: Signer, when: dt.datetime) -> None:
    problems = certificate_problems(signer, when)
    if problems:
        raise PackagerError(
            f"will not sign: {problems[0].message}; Tableau would refuse the connector",
            hint="sign with a valid code-signing certificate",
        )


def _check_unsigned(entries: list[JarEntry]) -> list[Finding]:
    """Refuse what the strict reader refuses (so that ``verify`` reads what ``package`` signs) and an archive that is
    signed already; warn about names that differ only in case."""
    size = sum(len(e.data) for e in entries)
    if len(entries) > MAX_ENTRIES or size > MAX_UNPACKED_BYTES:
        rule = ZIP_TOO_MANY_ENTRIES if len(entries) > MAX_ENTRIES else ZIP_UNPACKED_TOO_LARGE
        raise ArchiveError(
            f"the archive would hold {len(entries)} entries of {size:,} bytes, more than the "
            f"{MAX_ENTRIES} entries or {MAX_UNPACKED_BYTES // 2**20} MB a .taco reader takes",
            rule,
        )
    unsafe = [f"{quoted(e.name)} {problem}" for e in entries if (problem := name_problem(e.name))]
    if unsafe:
        raise ArchiveError("the archive has unsafe entry names: " + "; ".join(unsafe), ZIP_NAME_UNSAFE)
    signatures = [e.name for e in entries if is_signature_related(e.name) and e.name not in (JAR_DIR, JAR_MANIFEST)]
    if signatures:
        raise PackagerError(
            f"the archive is already signed ({', '.join(quoted(n) for n in signatures)})",
            hint="sign the unsigned .taco that `package` wrote",
        )
    return case_warnings([e.name for e in entries])


def sign_entries(
    entries: list[JarEntry],
    signer: Signer,
    alias: str,
    tsa_url: str | None,
    *,
    check_certificate: bool = True,
    now: dt.datetime | None = None,
) -> Signed:
    """Sign an archive's ``entries`` (in archive order, ``META-INF/MANIFEST.MF`` among them or not) as ``alias``;
    timestamped by ``tsa_url`` unless it is None. The result's entries are the archive to zip.

    As jarsigner lays it out: ``META-INF/`` first when it was first, then the signed manifest, the .SF file and the
    signature block (at the time of the manifest there was), then every other entry as it was. Refuses a
    certificate Tableau would refuse (expired, or not for code signing) unless ``check_certificate`` is False,
    which tests use to make such archives.
    """
    when = now or dt.datetime.now(dt.timezone.utc)
    if check_certificate:
        _refuse_unusable(signer, when)
    warnings = _check_unsigned(entries)
    base = signature_file_base(alias)
    if not base:
        raise PackagerError(f"--alias {alias!r} gives no usable signature file name")
    old_manifest = next((e for e in entries if e.name == JAR_MANIFEST), None)
    manifest = signed_manifest(
        _manifest_sections(old_manifest),
        [(e.name, e.data) for e in entries if not e.is_dir and not is_signature_related(e.name)],
    )
    sf = signature_file(manifest, CREATED_BY)
    attributes, signature = sign_content(sf, signer, when)
    info = signer_info(signer, attributes, signature)
    try:
        verify_signer_info(info, sf, signer.chain[0], "data", when)
    except SignatureProblem:
        raise PackagerError(
            f"the certificate {describe(signer.chain[0])} does not belong to the signing key",
            hint="the certificate chain must start with the key's own certificate",
        ) from None
    token = request_timestamp(tsa_url, signature) if tsa_url else None
    block = signature_block(signer, info, token)

    if token is None:
        warnings.append(
            warning(
                SIGN_NO_TIMESTAMP,
                "the signature has no timestamp: Tableau will not load this connector",
                hint="sign again with --tsa URL (a timestamp authority)",
            )
        )
    if is_self_signed(signer.chain[0]):
        warnings.append(
            warning(
                SIGN_SELF_SIGNED,
                f"the signer certificate {describe(signer.chain[0])} is "
                "self-signed: Tableau loads the connector only where that certificate is trusted",
                hint="sign with a code-signing certificate from a CA for connectors you distribute",
            )
        )
    signed_at = old_manifest.date_time if old_manifest else entries[0].date_time if entries else DEFAULT_TIMESTAMP
    dir_first = bool(entries) and entries[0].name == JAR_DIR
    added = [
        JarEntry(JAR_MANIFEST, manifest.data, signed_at),
        JarEntry(f"META-INF/{base}.SF", sf, signed_at),
        JarEntry(f"META-INF/{base}.{signer.key_type}", block, signed_at),
    ]
    rest = [e for e in entries[1 if dir_first else 0 :] if e.name != JAR_MANIFEST]
    return Signed([*entries[: 1 if dir_first else 0], *added, *rest], base, warnings)


def _manifest_sections(old: JarEntry | None) -> list[Section]:
    """The sections of the manifest there was (the packager's own when there was none or it was empty), read
    once."""
    try:
        return parse_sections(old.data if old is not None and old.data else main_section(CREATED_BY))
    except ManifestSyntaxError as exc:
        raise PackagerError(f"the archive's {JAR_MANIFEST} cannot be read: {exc}") from None
