"""Checking a signed .taco as ``jarsigner -verify -strict`` and Tableau's loader do, and saying why it fails.

Every problem found is a reason Tableau refuses the connector; warnings are
things the author should act on before they become problems.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from asn1crypto import cms, core
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from connector_packager.archive.jar_manifest import (
    JAR_MANIFEST,
    MAX_SIGNATURE_FILE_BYTES,
    ManifestSyntaxError,
    Section,
    merged,
    named_sections,
    parse_sections,
)
from connector_packager.archive.signature_files import (
    HASHLIB_NAMES,
    b64digest,
    is_signature_block,
    is_signature_file,
    is_signature_related,
)
from connector_packager.archive.zip_reader import ArchiveError, read_archive
from connector_packager.catalogue import Rule, Severity, declare
from connector_packager.findings import Finding, error, warning
from connector_packager.signing.algorithm_policy import (
    SIG_ALGORITHM_DISABLED,
    SIG_ALGORITHM_LEGACY,
    digest_problem,
    legacy_warning,
)
from connector_packager.signing.certificates import describe, earliest_expiry, netscape_type_problem, usage_problem
from connector_packager.signing.chain import (
    CHAIN_HINT,
    CHAIN_NOT_VALIDATED,
    TIMESTAMP_CHAIN_NOT_VALIDATED,
    Chain,
    validate_chain,
)
from connector_packager.signing.cms_block import (
    SIG_ALGORITHM_UNSUPPORTED,
    SIG_BLOCK_UNREADABLE,
    SIG_SIGNATURE_INVALID,
    SignatureProblem,
    certificates,
    load_signed_data,
    signer_certificate,
    verify_signer_info,
)
from connector_packager.signing.timestamp import TIMESTAMP_INVALID, Timestamp, check_token

SIG_UNSIGNED = declare(
    "sig-unsigned",
    "signature",
    Severity.ERROR,
    "the .taco is signed",
    doc="Tableau loads only signed connectors (unless started with the option that allows unsigned ones, for "
    "development): a signed .taco has META-INF/MANIFEST.MF and a signature block.",
    passes="a .taco signed by `sign`",
    fails="a .taco as `package` writes it without signing options",
)
SIG_UNKNOWN_SIGNATURE_FILE = declare(
    "sig-unknown-signature-file",
    "signature",
    Severity.WARNING,
    "no META-INF/SIG-* file is left unchecked",
    doc="Java treats META-INF/SIG-* files as signature files and ignores those it does not know, so they are not "
    "checked either; they have no place in a .taco.",
    passes="META-INF/AUTHOR.SF, META-INF/AUTHOR.RSA",
    fails="META-INF/SIG-X.TXT",
)
SIG_MANIFEST_UNREADABLE = declare(
    "sig-manifest-unreadable",
    "signature",
    Severity.ERROR,
    "META-INF/MANIFEST.MF reads as Java reads it",
    doc="The JAR manifest holds each entry's digest; a manifest Java would read differently (an unterminated last "
    "line, a line over 512 bytes, a malformed continuation) is refused rather than guessed at.",
    passes="a manifest written by `sign`",
    fails="a manifest whose last line has no line end",
)
SIG_INCOMPLETE = declare(
    "sig-incomplete",
    "signature",
    Severity.ERROR,
    "each signature has its .SF file and its block",
    doc="A signature is a pair, META-INF/NAME.SF and META-INF/NAME.RSA (or .EC, .DSA); Java ignores half of one, "
    "which hides a broken signature.",
    passes="AUTHOR.SF with AUTHOR.RSA",
    fails="AUTHOR.SF alone",
)
SIG_DUPLICATE_SIGNATURE_FILE = declare(
    "sig-duplicate-signature-file",
    "signature",
    Severity.ERROR,
    "each signature has one .SF file and one block",
    doc="Java matches signature files by name, ignoring case, and checks each; two blocks for one signature are "
    "ambiguous, so they are refused rather than one picked.",
    passes="AUTHOR.SF, AUTHOR.RSA",
    fails="AUTHOR.SF, AUTHOR.RSA, AUTHOR.EC",
)
SIG_BLOCK_TOO_LARGE = declare(
    "sig-block-too-large",
    "signature",
    Severity.ERROR,
    "the signature block is no larger than Java reads",
    doc="Java refuses signature files over its size limit; a block that large is not a .taco's signature.",
    passes="a block of a few KB",
    fails="a block of 10 MB",
)
SIG_ENTRY_UNSIGNED = declare(
    "sig-entry-unsigned",
    "signature",
    Severity.ERROR,
    "every entry has a digest in the manifest",
    doc="jarsigner -strict refuses a signed JAR with unsigned entries: an entry without a digest was added after "
    "signing.",
    passes="every entry listed in MANIFEST.MF",
    fails="a notes.txt added after signing",
)
SIG_ENTRY_CHANGED = declare(
    "sig-entry-changed",
    "signature",
    Severity.ERROR,
    "every entry matches its digest in the manifest",
    doc="The manifest holds each entry's digest; an entry whose content does not match was changed after signing "
    "(a digest in an algorithm Java does not know or disables does not count).",
    passes="entries as signed",
    fails="manifest.xml edited after signing",
)
SIG_ENTRY_MISSING = declare(
    "sig-entry-missing",
    "signature",
    Severity.ERROR,
    "every entry the manifest signs is in the archive",
    doc="An entry with a digest in the manifest but not in the archive was removed after signing.",
    passes="entries as signed",
    fails="connectionResolver.tdr removed after signing",
)
SIG_ENTRY_NOT_COVERED = declare(
    "sig-entry-not-covered",
    "signature",
    Severity.ERROR,
    "every signed entry is covered by a signature file",
    doc="An entry is signed only when a .SF file vouches for its manifest section (or the whole manifest); a "
    "section no .SF file covers was added to the manifest after signing.",
    passes="a .SF file with the whole manifest's digest",
    fails="a manifest section added after signing",
)
SIG_FILE_UNREADABLE = declare(
    "sig-file-unreadable",
    "signature",
    Severity.ERROR,
    "the .SF file reads as Java reads it",
    doc="The .SF file has the manifest's syntax; one Java would read differently is refused.",
    passes="a .SF file written by `sign`",
    fails="a .SF file whose last line has no line end",
)
SIG_FILE_VERSION = declare(
    "sig-file-version",
    "signature",
    Severity.ERROR,
    "the .SF file says Signature-Version: 1.0",
    doc="Java ignores a .SF file without Signature-Version: 1.0 in its main section, so its signature signs nothing.",
    passes="Signature-Version: 1.0",
    fails="Signature-Version: 2.0",
)
SIG_MAIN_SECTION_CHANGED = declare(
    "sig-main-section-changed",
    "signature",
    Severity.ERROR,
    "the manifest's main section is the one signed",
    doc="When the .SF file's digest of the whole manifest does not match, its digest of the main section must.",
    passes="a manifest as signed",
    fails="a main attribute added to MANIFEST.MF after signing",
)
SIG_MANIFEST_SECTION_CHANGED = declare(
    "sig-manifest-section-changed",
    "signature",
    Severity.ERROR,
    "each manifest section matches its digest in the .SF file",
    doc="When the .SF file's digest of the whole manifest does not match, each entry's section must match the "
    ".SF file's digest of it.",
    passes="a manifest as signed",
    fails="an entry's digest replaced in MANIFEST.MF",
)
SIG_KEY_USAGE = declare(
    "sig-key-usage",
    "signature",
    Severity.ERROR,
    "the signer certificate is for code signing",
    doc="Java refuses a signer certificate whose key usage, extended key usage or Netscape certificate type "
    "excludes code signing.",
    passes="a certificate with extended key usage codeSigning",
    fails="a TLS server certificate",
)
SIG_EXPIRES_SOON = declare(
    "sig-expires-soon",
    "signature",
    Severity.WARNING,
    "the signature stays valid for at least five years",
    doc="Tableau asks partners for signatures valid at least five years: the timestamp keeps a signature valid "
    "until the timestamp authority's certificate expires (the signer's, without a timestamp).",
    passes="a timestamp authority certificate valid for ten years",
    fails="one that expires next year",
)
TIMESTAMP_MISSING = declare(
    "timestamp-missing",
    "signature",
    Severity.ERROR,
    "the signature has a timestamp",
    doc="Without an RFC 3161 timestamp a signature is valid only while the signer certificate is; Tableau refuses "
    "connectors signed without one.",
    passes="signed with --tsa URL",
    fails="signed without --tsa",
)
TIMESTAMP_SEVERAL = declare(
    "timestamp-several",
    "signature",
    Severity.ERROR,
    "the signature has one timestamp",
    doc="Java reads exactly one timestamp attribute with one value; more are ambiguous.",
    passes="one timestamp token",
    fails="two timestamp attributes",
)
TIMESTAMP_IN_FUTURE = declare(
    "timestamp-in-future",
    "signature",
    Severity.ERROR,
    "the timestamp is not later than the time checked at",
    doc="A timestamp later than now (or than --at) claims a time that has not come: a wrong or forged authority "
    "clock (jarsigner only warns).",
    passes="a timestamp of the signing day",
    fails="a timestamp next month",
)
TIMESTAMP_EXPIRED = declare(
    "timestamp-expired",
    "signature",
    Severity.ERROR,
    "the timestamp authority's certificate is still valid",
    doc="A timestamp keeps the signature valid only until the authority's certificate expires.",
    passes="a current timestamp authority certificate",
    fails="verify --at a date after it expires",
)

#: What an author can do about a broken signature.
_SIGN_AGAIN = "sign the unsigned .taco again (connector-packager sign) and do not change it afterwards"

#: Tableau asks partners for signatures that stay valid at least this long.
EXPIRY_WARNING = dt.timedelta(days=5 * 365)


@dataclass
class SignerReport:
    """One signature: its name, chain, timestamp, and until when it stays valid."""

    name: str
    chain: Chain | None = None
    timestamp: Timestamp | None = None
    timestamp_chain: Chain | None = None
    valid_until: dt.datetime | None = None


@dataclass
class Verification:
    """The verdict on one .taco. ``problems`` are reasons Tableau refuses it."""

    path: Path
    at: dt.datetime
    entries: int = 0
    signers: list[SignerReport] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    truststore: str | None = None  #: where the trusted roots came from, as people read it

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def verdict(self) -> str:
        if self.ok:
            return "Tableau will load this connector"
        return f"Tableau will refuse this connector: {self.problems[0].message}"


def verify_taco(path: Path, anchors: list[x509.Certificate], at: dt.datetime | None = None) -> Verification:
    """Verify ``path`` against the trusted roots ``anchors``, as of ``at`` (now by default)."""
    result = Verification(path, at or dt.datetime.now(dt.timezone.utc))
    try:
        archive = read_archive(path)
    except ArchiveError as exc:
        result.problems.append(exc.finding)
        return result
    names, contents = archive.names, archive.contents
    result.warnings += archive.warnings
    signed_names = [n for n in names if not n.endswith("/") and not is_signature_related(n)]
    blocks = _by_signature_name([n for n in names if is_signature_block(n)], "block", result)
    sf_files = _by_signature_name([n for n in names if is_signature_file(n)], ".SF file", result)
    if JAR_MANIFEST not in contents or not blocks:
        result.problems.append(
            error(
                SIG_UNSIGNED,
                "the .taco is not signed",
                hint="sign it: connector-packager sign FILE.taco --tsa URL (with your key)",
            )
        )
        return result
    result.entries = len(signed_names)
    for name in names:
        if is_signature_related(name) and _meta_name(name).startswith("SIG-"):
            result.warnings.append(
                warning(
                    SIG_UNKNOWN_SIGNATURE_FILE,
                    f"{name} is not checked: Java treats "
                    "META-INF/SIG-* files as signature files and ignores those it does not "
                    "know",
                    name,
                    hint="remove it before signing",
                )
            )
    try:
        manifest_bytes = contents[JAR_MANIFEST]
        manifest = named_sections_of(parse_sections(manifest_bytes))
    except ManifestSyntaxError as exc:
        result.problems.append(
            error(SIG_MANIFEST_UNREADABLE, f"{JAR_MANIFEST} cannot be read: {exc}", JAR_MANIFEST, hint=_SIGN_AGAIN)
        )
        return result
    for name in sorted(set(sf_files) ^ set(blocks)):
        result.problems.append(
            error(
                SIG_INCOMPLETE,
                f"the signature {name} lacks its {'.SF file' if name in blocks else 'block'}",
                blocks.get(name) or sf_files[name],
                hint=_SIGN_AGAIN,
            )
        )
    covered: set[str] = set()
    dates: list[dt.datetime] = []
    for name in sorted(set(sf_files) & set(blocks)):
        report = SignerReport(name)
        result.signers.append(report)
        try:
            covered |= _check_signer(
                report,
                (sf_files[name], contents[sf_files[name]]),
                (blocks[name], contents[blocks[name]]),
                manifest_bytes,
                manifest,
                anchors,
                result,
            )
        except (ValueError, TypeError, KeyError, IndexError) as exc:  # asn1crypto's errors on malformed parts
            reason = str(exc).split("\n", 1)[0]  # asn1crypto adds lines naming the structures it was in
            result.problems.append(
                error(
                    SIG_BLOCK_UNREADABLE,
                    f"the signature block of {name} cannot be read: {reason}",
                    blocks[name],
                    hint=_SIGN_AGAIN,
                )
            )
        dates.append(report.timestamp.time if report.timestamp else result.at)
    result.problems[:0] = _entry_digest_problems(manifest, signed_names, contents, min(dates, default=result.at))
    for entry in signed_names:
        if entry not in covered and entry in manifest.sections:
            result.problems.append(
                error(
                    SIG_ENTRY_NOT_COVERED,
                    f"the entry {entry} is not covered by any signature file",
                    entry,
                    hint=_SIGN_AGAIN,
                )
            )
    return result


def _by_signature_name(files: list[str], kind: str, result: Verification) -> dict[str, str]:
    """Signature files by their signature's name (upper case, as Java matches them); a name with two files of one
    kind is a problem, since Java checks each and we would check one."""
    found: dict[str, str] = {}
    for name in files:
        key = PurePosixPath(name).stem.upper()
        if key in found:
            result.problems.append(
                error(
                    SIG_DUPLICATE_SIGNATURE_FILE,
                    f"the signature {key} has more than one {kind} ({found[key]}, {name})",
                    name,
                    hint=_SIGN_AGAIN,
                )
            )
        found[key] = name
    return found


def _meta_name(name: str) -> str:
    return name.upper().removeprefix("META-INF/")


@dataclass(frozen=True)
class _Manifest:
    """The manifest: its main section, and its other sections by name (a name's repeated sections merged)."""

    main: Section
    sections: dict[str, Section]


def named_sections_of(sections: list[Section]) -> _Manifest:
    return _Manifest(sections[0], {name: merged(group) for name, group in named_sections(sections).items()})


def _entry_digest_problems(
    manifest: _Manifest, entries: list[str], contents: dict[str, bytes], when: dt.datetime
) -> list[Finding]:
    problems = []
    for entry in entries:
        section = manifest.sections.get(entry)
        digests = section.digests() if section else {}
        if not digests:
            problems.append(
                error(
                    SIG_ENTRY_UNSIGNED,
                    f"the entry {entry} is not signed (added after signing?)",
                    entry,
                    hint=_SIGN_AGAIN,
                )
            )
            continue
        problem = _digest_problem(digests, contents[entry], when)
        if problem:
            problems.append(
                error(
                    problem[1] or SIG_ENTRY_CHANGED,
                    f"the entry {entry} was changed after signing ({problem[0]})",
                    entry,
                    hint=_SIGN_AGAIN,
                )
            )
    present = set(entries)
    for name, section in manifest.sections.items():
        if name not in present and section.digests():
            problems.append(
                error(
                    SIG_ENTRY_MISSING,
                    f"the manifest signs {name}, which the archive does not hold (removed after signing?)",
                    name,
                    hint=_SIGN_AGAIN,
                )
            )
    return problems


def _digest_problem(digests: dict[str, str], data: bytes, when: dt.datetime) -> tuple[str, Rule | None] | None:
    """Why the digests do not vouch for ``data``, and the rule when it is the algorithms (None when a digest does
    not match): as the JDK, digests it does not know are skipped, digests it disables do not count, and every other
    one must match."""
    usable = {alg: value for alg, value in digests.items() if alg in HASHLIB_NAMES}
    if not usable:
        return f"no digest algorithm it knows among {', '.join(digests)}", SIG_ALGORITHM_UNSUPPORTED
    allowed = {alg: value for alg, value in usable.items() if digest_problem(alg, when) is None}
    if not allowed:
        return "; ".join(filter(None, (digest_problem(alg, when) for alg in usable))), SIG_ALGORITHM_DISABLED
    for algorithm, value in allowed.items():
        if b64digest(data, algorithm) != value:
            return f"its {algorithm} digest does not match", None
    return None


def _check_signer(
    report: SignerReport,
    sf_file: tuple[str, bytes],
    block_file: tuple[str, bytes],
    manifest_bytes: bytes,
    manifest: _Manifest,
    anchors: list[x509.Certificate],
    result: Verification,
) -> set[str]:
    """Check one signature (its .SF file and its block, each as name and content); return the entries its .SF
    file signs."""
    problems = result.problems
    (sf_name, sf), (block_name, block) = sf_file, block_file
    if len(block) > MAX_SIGNATURE_FILE_BYTES:
        problems.append(
            error(
                SIG_BLOCK_TOO_LARGE,
                f"the signature block of {report.name} is {len(block)} bytes, "
                f"more than Java reads ({MAX_SIGNATURE_FILE_BYTES})",
                block_name,
                hint=_SIGN_AGAIN,
            )
        )
        return set()
    try:
        signed_data = load_signed_data(block, f"the signature block of {report.name}")
        infos = signed_data["signer_infos"]
        if len(infos) != 1:
            raise SignatureProblem(
                f"the signature block of {report.name} has {len(infos)} signers, not one", SIG_BLOCK_UNREADABLE
            )
        signer_info = infos[0]
        pool = certificates(signed_data)
        leaf = signer_certificate(signer_info, pool)
    except SignatureProblem as exc:
        problems.append(
            error(
                exc.rule or SIG_BLOCK_UNREADABLE,
                f"the signature file {report.name}.SF does not verify: {exc}",
                block_name,
                hint=_SIGN_AGAIN,
            )
        )
        return set()
    stamp, stamped = _timestamp(report, block_name, signer_info, problems)
    when = stamp.time if stamp else result.at
    try:
        verify_signer_info(signer_info, sf, leaf, "data", when)
    except SignatureProblem as exc:
        problems.append(
            error(
                exc.rule or SIG_SIGNATURE_INVALID,
                f"the signature file {report.name}.SF does not verify: {exc}",
                sf_name,
                hint=_SIGN_AGAIN,
            )
        )
        return set()
    signed = _check_signature_file(report.name, sf_name, sf, manifest_bytes, manifest, when, problems)
    if stamp is not None and result.at < stamp.time:
        problems.append(
            error(
                TIMESTAMP_IN_FUTURE,
                f"the signature of {report.name} was timestamped on "
                f"{stamp.time:%Y-%m-%d %H:%M} UTC, after {result.at:%Y-%m-%d %H:%M} UTC: it did not "
                "exist yet at the time asked about",
                block_name,
                hint="check the clock of this machine and of the timestamp authority",
            )
        )
    usage = usage_problem(leaf, ExtendedKeyUsageOID.CODE_SIGNING) or netscape_type_problem(leaf)
    if usage:
        problems.append(
            error(
                SIG_KEY_USAGE,
                f"Bad key usage: the signer certificate {describe(leaf)}: {usage}",
                block_name,
                hint="sign with a certificate issued for code signing",
            )
        )
    report.chain = validate_chain(leaf, pool, anchors, when)
    if report.chain.problem:
        problems.append(
            error(
                CHAIN_NOT_VALIDATED,
                f"the signer's certificate chain is not validated: {report.chain.problem}",
                block_name,
                hint=CHAIN_HINT,
            )
        )
    _legacy_warnings(report.name, report.chain.certs, result)
    if stamp is None:
        if not stamped:
            problems.append(
                error(
                    TIMESTAMP_MISSING,
                    "the signature has no timestamp; Tableau refuses connectors signed without one",
                    block_name,
                    hint="sign the unsigned .taco again with --tsa URL (a timestamp authority)",
                )
            )
        report.valid_until = earliest_expiry(report.chain.certs)
    else:
        report.timestamp_chain = validate_chain(
            stamp.tsa, stamp.certificates, anchors, stamp.time, "the timestamp authority's certificate"
        )
        if report.timestamp_chain.problem:
            problems.append(
                error(
                    TIMESTAMP_CHAIN_NOT_VALIDATED,
                    f"the timestamp authority's certificate chain is not validated: {report.timestamp_chain.problem}",
                    block_name,
                    hint="sign again with a timestamp authority whose root the truststore holds",
                )
            )
        _legacy_warnings(report.name, report.timestamp_chain.certs, result)
        authority = report.timestamp_chain.certs
        report.valid_until = earliest_expiry(authority[:-1] if len(authority) > 1 else authority)
        if result.at > report.valid_until:
            problems.append(
                error(
                    TIMESTAMP_EXPIRED,
                    f"the timestamp expired on {report.valid_until:%Y-%m-%d} (its "
                    "authority's certificate is no longer valid)",
                    block_name,
                    hint="sign the unsigned .taco again with a current certificate and timestamp",
                )
            )
    if result.ok and report.valid_until - result.at < EXPIRY_WARNING:
        result.warnings.append(
            warning(
                SIG_EXPIRES_SOON,
                f"the signature of {report.name} stays valid only until "
                f"{report.valid_until:%Y-%m-%d}, less than five years from now "
                "(Tableau asks partners for at least five)",
                block_name,
                hint="use a timestamp authority whose certificate stays valid longer",
            )
        )
    return signed


def _legacy_warnings(name: str, chain: list[x509.Certificate], result: Verification) -> None:
    for cert in chain:
        algorithm = cert.signature_hash_algorithm
        legacy = legacy_warning(algorithm.name if algorithm else None, None) if cert is not chain[-1] else None
        legacy = legacy or legacy_warning(None, cert.public_key())
        if legacy and f"{describe(cert)}: {legacy}" not in [w.message for w in result.warnings]:
            result.warnings.append(
                warning(
                    SIG_ALGORITHM_LEGACY,
                    f"{describe(cert)}: {legacy}",
                    hint="use certificates with SHA-256 signatures and 2048-bit keys",
                )
            )


def _timestamp(
    report: SignerReport, block_name: str, signer_info: cms.SignerInfo, problems: list[Finding]
) -> tuple[Timestamp | None, bool]:
    """The checked timestamp (None if absent or bad), and whether there was a token at all.

    As the JDK reads unsigned attributes, the timestamp attribute may appear once, with one value."""
    unsigned = signer_info["unsigned_attrs"]
    attributes = [
        a
        for a in ([] if isinstance(unsigned, core.Void) else unsigned)
        if a["type"].native == "signature_time_stamp_token"
    ]
    if not attributes:
        return None, False
    if len(attributes) > 1 or len(attributes[0]["values"]) != 1:
        count = len(attributes) if len(attributes) > 1 else len(attributes[0]["values"])
        problems.append(
            error(
                TIMESTAMP_SEVERAL,
                f"the signature of {report.name} carries {count} timestamps where Java reads exactly one",
                block_name,
                hint=_SIGN_AGAIN,
            )
        )
        return None, True
    try:
        report.timestamp = check_token(attributes[0]["values"][0], signer_info["signature"].native)
    except SignatureProblem as exc:
        problems.append(
            error(
                TIMESTAMP_INVALID,
                f"the timestamp of {report.name} is not valid: {exc}",
                block_name,
                hint="sign the unsigned .taco again with a timestamp authority that works",
            )
        )
    return report.timestamp, True


def _check_signature_file(
    name: str,
    sf_name: str,
    sf: bytes,
    manifest_bytes: bytes,
    manifest: _Manifest,
    when: dt.datetime,
    problems: list[Finding],
) -> set[str]:
    """Check the .SF file against the manifest as the JDK does; return the entry names it signs."""
    try:
        sections = parse_sections(sf)
    except ManifestSyntaxError as exc:
        problems.append(
            error(SIG_FILE_UNREADABLE, f"the signature file {name}.SF cannot be read: {exc}", sf_name, hint=_SIGN_AGAIN)
        )
        return set()
    version = sections[0].get("Signature-Version")
    if version is None or version.lower() != "1.0":
        problems.append(
            error(
                SIG_FILE_VERSION,
                f"the signature file {name}.SF does not say Signature-Version: 1.0, so Java ignores it",
                sf_name,
                hint=_SIGN_AGAIN,
            )
        )
        return set()
    listed = named_sections(sections)
    whole = sections[0].digests("-Digest-Manifest")
    if whole and _digest_problem(whole, manifest_bytes, when) is None:
        return set(listed)
    main = sections[0].digests("-Digest-Manifest-Main-Attributes")
    if main and _digest_problem(main, manifest.main.raw, when) is not None:
        problems.append(
            error(
                SIG_MAIN_SECTION_CHANGED,
                f"the manifest's main section was changed after {name} signed it",
                JAR_MANIFEST,
                hint=_SIGN_AGAIN,
            )
        )
    signed = set()
    for entry_name, group in listed.items():
        entry = manifest.sections.get(entry_name)
        problem = (
            _digest_problem(merged(group).digests(), entry.raw, when) if entry is not None else ("it is gone", None)
        )
        if problem:
            problems.append(
                error(
                    problem[1] or SIG_MANIFEST_SECTION_CHANGED,
                    f"the manifest section for {entry_name} does not match {name}.SF ({problem[0]})",
                    entry_name,
                    hint=_SIGN_AGAIN,
                )
            )
        else:
            signed.add(entry_name)
    return signed
