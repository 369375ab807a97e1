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

from connector_packager.archive.zip_reader import ArchiveError, read_archive
from connector_packager.catalogue import Severity, declare
from connector_packager.findings import Finding, error, warning
from connector_packager.signing.algorithm_policy import digest_problem, legacy_warning
from connector_packager.signing.certificates import describe, earliest_expiry, netscape_type_problem, usage_problem
from connector_packager.signing.chain import Chain, validate_chain
from connector_packager.signing.cms_block import (
    SignatureProblem,
    certificates,
    load_signed_data,
    signer_certificate,
    verify_signer_info,
)
from connector_packager.signing.jar_signature import (
    HASHLIB_NAMES,
    MAX_SIGNATURE_FILE_BYTES,
    ManifestSyntaxError,
    Section,
    b64digest,
    is_signature_block,
    is_signature_file,
    is_signature_related,
    merged,
    named_sections,
    parse_sections,
)
from connector_packager.signing.timestamp import Timestamp, check_token
from connector_packager.taco import JAR_MANIFEST

SIGNATURE_REFUSED = declare(
    "signature-refused", "signature", Severity.ERROR, "the .taco's signature verifies as Java verifies it",
    doc="Tableau loads a .taco only when jarsigner -verify -strict would accept it.",
    passes="a .taco signed by `sign` with a trusted code-signing certificate and a timestamp",
    fails="a .taco whose entry was edited after signing")
SIGNATURE_WARNING = declare(
    "signature-warning", "signature", Severity.WARNING, "the signature stays valid and uses current algorithms",
    doc="Things the author should act on before they make Tableau refuse the connector.",
    passes="a .taco signed by `sign` with a trusted code-signing certificate and a timestamp",
    fails="a .taco whose timestamp authority certificate expires within five years")


def _refused(message: str, entry: str | None = None) -> Finding:
    return error(SIGNATURE_REFUSED, message, entry)


def _warned(message: str, entry: str | None = None) -> Finding:
    return warning(SIGNATURE_WARNING, message, entry)


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
        result.problems.append(_refused("the .taco is not signed"))
        return result
    result.entries = len(signed_names)
    for name in names:
        if is_signature_related(name) and _meta_name(name).startswith("SIG-"):
            result.warnings.append(_warned(f"{name} is not checked: Java treats META-INF/SIG-* files as signature "
                                           "files and ignores those it does not know", name))
    try:
        manifest_bytes = contents[JAR_MANIFEST]
        manifest = named_sections_of(parse_sections(manifest_bytes))
    except ManifestSyntaxError as exc:
        result.problems.append(_refused(f"{JAR_MANIFEST} cannot be read: {exc}"))
        return result
    for name in sorted(set(sf_files) ^ set(blocks)):
        result.problems.append(_refused(f"the signature {name} lacks its {'.SF file' if name in blocks else 'block'}"))
    covered: set[str] = set()
    dates: list[dt.datetime] = []
    for name in sorted(set(sf_files) & set(blocks)):
        report = SignerReport(name)
        result.signers.append(report)
        try:
            covered |= _check_signer(report, contents[sf_files[name]], contents[blocks[name]], manifest_bytes,
                                     manifest, anchors, result)
        except (ValueError, TypeError, KeyError, IndexError) as exc:  # asn1crypto's errors on malformed parts
            reason = str(exc).split("\n", 1)[0]  # asn1crypto adds lines naming the structures it was in
            result.problems.append(_refused(f"the signature block of {name} cannot be read: {reason}"))
        dates.append(report.timestamp.time if report.timestamp else result.at)
    result.problems[:0] = _entry_digest_problems(manifest, signed_names, contents, min(dates, default=result.at))
    for entry in signed_names:
        if entry not in covered and entry in manifest.sections:
            result.problems.append(_refused(f"the entry {entry} is not covered by any signature file"))
    return result


def _by_signature_name(files: list[str], kind: str, result: Verification) -> dict[str, str]:
    """Signature files by their signature's name (upper case, as Java matches them); a name with two files of one
    kind is a problem, since Java checks each and we would check one."""
    found: dict[str, str] = {}
    for name in files:
        key = PurePosixPath(name).stem.upper()
        if key in found:
            result.problems.append(_refused(f"the signature {key} has more than one {kind} ({found[key]}, {name})"))
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


def _entry_digest_problems(manifest: _Manifest, entries: list[str], contents: dict[str, bytes],
                           when: dt.datetime) -> list[Finding]:
    problems = []
    for entry in entries:
        section = manifest.sections.get(entry)
        digests = section.digests() if section else {}
        if not digests:
            problems.append(_refused(f"the entry {entry} is not signed (added after signing?)"))
            continue
        problem = _digest_problem(digests, contents[entry], when)
        if problem:
            problems.append(_refused(f"the entry {entry} was changed after signing ({problem})"))
    present = set(entries)
    for name, section in manifest.sections.items():
        if name not in present and section.digests():
            problems.append(_refused(f"the manifest signs {name}, which the archive does not hold (removed after "
                                     "signing?)", name))
    return problems


def _digest_problem(digests: dict[str, str], data: bytes, when: dt.datetime) -> str | None:
    """Why the digests do not vouch for ``data``: as the JDK, digests it does not know are skipped, digests it
    disables do not count, and every other one must match."""
    usable = {alg: value for alg, value in digests.items() if alg in HASHLIB_NAMES}
    if not usable:
        return f"no digest algorithm it knows among {', '.join(digests)}"
    allowed = {alg: value for alg, value in usable.items() if digest_problem(alg, when) is None}
    if not allowed:
        return "; ".join(filter(None, (digest_problem(alg, when) for alg in usable)))
    for algorithm, value in allowed.items():
        if b64digest(data, algorithm) != value:
            return f"its {algorithm} digest does not match"
    return None


def _check_signer(report: SignerReport, sf: bytes, block: bytes, manifest_bytes: bytes, manifest: _Manifest,
                  anchors: list[x509.Certificate], result: Verification) -> set[str]:
    """Check one signature; return the entries its .SF file signs."""
    problems = result.problems
    if len(block) > MAX_SIGNATURE_FILE_BYTES:
        problems.append(_refused(f"the signature block of {report.name} is {len(block)} bytes, more than Java reads "
                        f"({MAX_SIGNATURE_FILE_BYTES})"))
        return set()
    try:
        signed_data = load_signed_data(block, f"the signature block of {report.name}")
        infos = signed_data["signer_infos"]
        if len(infos) != 1:
            raise SignatureProblem(f"the signature block of {report.name} has {len(infos)} signers, not one")
        signer_info = infos[0]
        pool = certificates(signed_data)
        leaf = signer_certificate(signer_info, pool)
    except SignatureProblem as exc:
        problems.append(_refused(f"the signature file {report.name}.SF does not verify: {exc}"))
        return set()
    stamp, stamped = _timestamp(report, signer_info, problems)
    when = stamp.time if stamp else result.at
    try:
        verify_signer_info(signer_info, sf, leaf, "data", when)
    except SignatureProblem as exc:
        problems.append(_refused(f"the signature file {report.name}.SF does not verify: {exc}"))
        return set()
    signed = _check_signature_file(report.name, sf, manifest_bytes, manifest, when, problems)
    if stamp is not None and result.at < stamp.time:
        problems.append(_refused(f"the signature of {report.name} was timestamped on {stamp.time:%Y-%m-%d %H:%M} UTC, "
                                 "after "
                        f"{result.at:%Y-%m-%d %H:%M} UTC: it did not exist yet at the time asked about"))
    usage = usage_problem(leaf, ExtendedKeyUsageOID.CODE_SIGNING) or netscape_type_problem(leaf)
    if usage:
        problems.append(_refused(f"Bad key usage: the signer certificate {describe(leaf)}: {usage}"))
    report.chain = validate_chain(leaf, pool, anchors, when)
    if report.chain.problem:
        problems.append(_refused(f"the signer's certificate chain is not validated: {report.chain.problem}"))
    _legacy_warnings(report.name, report.chain.certs, result)
    if stamp is None:
        if not stamped:
            problems.append(_refused("the signature has no timestamp; Tableau refuses connectors signed without one"))
        report.valid_until = earliest_expiry(report.chain.certs)
    else:
        report.timestamp_chain = validate_chain(stamp.tsa, stamp.certificates, anchors, stamp.time,
                                                "the timestamp authority's certificate")
        if report.timestamp_chain.problem:
            problems.append(_refused(f"the timestamp authority's certificate chain is not validated: "
                            f"{report.timestamp_chain.problem}"))
        _legacy_warnings(report.name, report.timestamp_chain.certs, result)
        authority = report.timestamp_chain.certs
        report.valid_until = earliest_expiry(authority[:-1] if len(authority) > 1 else authority)
        if result.at > report.valid_until:
            problems.append(_refused(f"the timestamp expired on {report.valid_until:%Y-%m-%d} (its authority's "
                                     "certificate "
                            "is no longer valid)"))
    if result.ok and report.valid_until - result.at < EXPIRY_WARNING:
        result.warnings.append(_warned(f"the signature of {report.name} stays valid only until "
                               f"{report.valid_until:%Y-%m-%d}, less than five years from now "
                               "(Tableau asks partners for at least five)"))
    return signed


def _legacy_warnings(name: str, chain: list[x509.Certificate], result: Verification) -> None:
    for cert in chain:
        algorithm = cert.signature_hash_algorithm
        legacy = legacy_warning(algorithm.name if algorithm else None, None) if cert is not chain[-1] else None
        legacy = legacy or legacy_warning(None, cert.public_key())
        if legacy and f"{describe(cert)}: {legacy}" not in [w.message for w in result.warnings]:
            result.warnings.append(_warned(f"{describe(cert)}: {legacy}"))


def _timestamp(report: SignerReport, signer_info: cms.SignerInfo,
               problems: list[Finding]) -> tuple[Timestamp | None, bool]:
    """The checked timestamp (None if absent or bad), and whether there was a token at all.

    As the JDK reads unsigned attributes, the timestamp attribute may appear once, with one value."""
    unsigned = signer_info["unsigned_attrs"]
    attributes = [a for a in ([] if isinstance(unsigned, core.Void) else unsigned)
                  if a["type"].native == "signature_time_stamp_token"]
    if not attributes:
        return None, False
    if len(attributes) > 1 or len(attributes[0]["values"]) != 1:
        count = len(attributes) if len(attributes) > 1 else len(attributes[0]["values"])
        problems.append(_refused(f"the signature of {report.name} carries {count} timestamps where Java reads "
                                 "exactly one"))
        return None, True
    try:
        report.timestamp = check_token(attributes[0]["values"][0], signer_info["signature"].native)
    except SignatureProblem as exc:
        problems.append(_refused(f"the timestamp of {report.name} is not valid: {exc}"))
    return report.timestamp, True


def _check_signature_file(name: str, sf: bytes, manifest_bytes: bytes, manifest: _Manifest, when: dt.datetime,
                          problems: list[Finding]) -> set[str]:
    """Check the .SF file against the manifest as the JDK does; return the entry names it signs."""
    try:
        sections = parse_sections(sf)
    except ManifestSyntaxError as exc:
        problems.append(_refused(f"the signature file {name}.SF cannot be read: {exc}"))
        return set()
    version = sections[0].get("Signature-Version")
    if version is None or version.lower() != "1.0":
        problems.append(_refused(f"the signature file {name}.SF does not say Signature-Version: 1.0, so Java "
                                 "ignores it"))
        return set()
    listed = named_sections(sections)
    whole = sections[0].digests("-Digest-Manifest")
    if whole and _digest_problem(whole, manifest_bytes, when) is None:
        return set(listed)
    main = sections[0].digests("-Digest-Manifest-Main-Attributes")
    if main and _digest_problem(main, manifest.main.raw, when) is not None:
        problems.append(_refused(f"the manifest's main section was changed after {name} signed it"))
    signed = set()
    for entry_name, group in listed.items():
        entry = manifest.sections.get(entry_name)
        problem = _digest_problem(merged(group).digests(), entry.raw, when) if entry is not None else "it is gone"
        if problem:
            problems.append(_refused(f"the manifest section for {entry_name} does not match {name}.SF ({problem})"))
        else:
            signed.add(entry_name)
    return signed
