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
from connector_packager.signing.certificates import describe, earliest_expiry, usage_problem
from connector_packager.signing.chain import Chain, build_chain
from connector_packager.signing.cms_block import (
    SignatureProblem,
    certificates,
    load_signed_data,
    signer_certificate,
    verify_signer_info,
)
from connector_packager.signing.jar_signature import (
    HASHLIB_NAMES,
    WEAK_DIGESTS,
    ManifestSyntaxError,
    Section,
    b64digest,
    is_signature_block,
    is_signature_related,
    parse_sections,
)
from connector_packager.signing.timestamp import Timestamp, check_token
from connector_packager.taco import JAR_MANIFEST

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
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def verdict(self) -> str:
        if self.ok:
            return "Tableau will load this connector"
        return f"Tableau will refuse this connector: {self.problems[0]}"


def verify_taco(path: Path, anchors: list[x509.Certificate], at: dt.datetime | None = None) -> Verification:
    """Verify ``path`` against the trusted roots ``anchors``, as of ``at`` (now by default)."""
    result = Verification(path, at or dt.datetime.now(dt.timezone.utc))
    try:
        archive = read_archive(path)
    except ArchiveError as exc:
        result.problems.append(exc.message)
        return result
    names, contents = archive.names, archive.contents
    result.warnings += archive.warnings
    signed_names = [n for n in names if not n.endswith("/") and not is_signature_related(n)]
    result.entries = len(signed_names)
    blocks = {PurePosixPath(n).stem.upper(): n for n in names if is_signature_block(n)}
    sf_files = {PurePosixPath(n).stem.upper(): n for n in names
                if is_signature_related(n) and n.upper().endswith(".SF")}
    if JAR_MANIFEST not in contents or not blocks:
        result.problems.append("the .taco is not signed")
        return result
    try:
        manifest_bytes = contents[JAR_MANIFEST]
        manifest = parse_sections(manifest_bytes)
    except ManifestSyntaxError as exc:
        result.problems.append(f"{JAR_MANIFEST} cannot be read: {exc}")
        return result
    for name in sorted(set(sf_files) ^ set(blocks)):
        result.problems.append(f"the signature {name} lacks its {'.SF file' if name in blocks else 'block'}")
    _check_entry_digests(manifest, signed_names, contents, result)
    covered: set[str] = set()
    for name in sorted(set(sf_files) & set(blocks)):
        report = SignerReport(name)
        result.signers.append(report)
        try:
            covered |= _check_signer(report, contents[sf_files[name]], contents[blocks[name]], manifest_bytes,
                                     manifest, anchors, result)
        except (ValueError, TypeError, KeyError, IndexError) as exc:  # asn1crypto's errors on malformed parts
            result.problems.append(f"the signature block of {name} cannot be read: {exc}")
    for entry in signed_names:
        if entry not in covered and any(s.name == entry for s in manifest[1:]):
            result.problems.append(f"the entry {entry} is not covered by any signature file")
    return result


def _check_entry_digests(manifest: list[Section], entries: list[str], contents: dict[str, bytes],
                         result: Verification) -> None:
    sections = {s.name: s for s in manifest[1:] if s.name is not None}
    for entry in entries:
        section = sections.get(entry)
        digests = section.digests() if section else {}
        if not digests:
            result.problems.append(f"the entry {entry} is not signed (added after signing?)")
            continue
        problem = _digest_problem(digests, contents[entry])
        if problem:
            result.problems.append(f"the entry {entry} was changed after signing ({problem})")
    present = set(entries)
    for name, section in sections.items():
        if name not in present and section.digests():
            result.problems.append(f"the manifest signs {name}, which the archive does not hold (removed after "
                                   "signing?)")


def _digest_problem(digests: dict[str, str], data: bytes) -> str | None:
    usable = {alg: value for alg, value in digests.items() if alg in HASHLIB_NAMES}
    if not usable:
        return f"no digest algorithm it knows among {', '.join(digests)}"
    strong = {alg: value for alg, value in usable.items() if alg not in WEAK_DIGESTS}
    if not strong:
        return f"only the weak digest {', '.join(usable)}, which is not accepted"
    for algorithm, value in strong.items():
        if b64digest(data, algorithm) != value:
            return f"its {algorithm} digest does not match"
    return None


def _check_signer(report: SignerReport, sf: bytes, block: bytes, manifest_bytes: bytes, manifest: list[Section],
                  anchors: list[x509.Certificate], result: Verification) -> set[str]:
    """Check one signature; return the entries its .SF file signs."""
    problems = result.problems
    try:
        signed_data = load_signed_data(block, f"the signature block of {report.name}")
        infos = signed_data["signer_infos"]
        if len(infos) != 1:
            raise SignatureProblem(f"the signature block of {report.name} has {len(infos)} signers, not one")
        signer_info = infos[0]
        pool = certificates(signed_data)
        leaf = signer_certificate(signer_info, pool)
        verify_signer_info(signer_info, sf, leaf)
    except SignatureProblem as exc:
        problems.append(f"the signature file {report.name}.SF does not verify: {exc}")
        return set()
    signed = _check_signature_file(report.name, sf, manifest_bytes, manifest, problems)
    stamp, stamped = _timestamp(report, signer_info, problems)
    when = stamp.time if stamp else result.at
    usage = usage_problem(leaf, ExtendedKeyUsageOID.CODE_SIGNING)
    if usage:
        problems.append(f"Bad key usage: the signer certificate {describe(leaf)}: {usage}")
    report.chain = build_chain(leaf, pool, anchors, when)
    if report.chain.problem:
        problems.append(f"the signer's certificate chain is not validated: {report.chain.problem}")
    if stamp is None:
        if not stamped:
            problems.append("the signature has no timestamp; Tableau refuses connectors signed without one")
        report.valid_until = earliest_expiry(report.chain.certs)
    else:
        report.timestamp_chain = build_chain(stamp.tsa, stamp.certificates, anchors, stamp.time)
        if report.timestamp_chain.problem:
            problems.append(f"the timestamp authority's certificate chain is not validated: "
                            f"{report.timestamp_chain.problem}")
        authority = report.timestamp_chain.certs
        report.valid_until = earliest_expiry(authority[:-1] if len(authority) > 1 else authority)
        if result.at > report.valid_until:
            problems.append(f"the timestamp expired on {report.valid_until:%Y-%m-%d} (its authority's certificate "
                            "is no longer valid)")
    if result.ok and report.valid_until - result.at < EXPIRY_WARNING:
        result.warnings.append(f"the signature of {report.name} stays valid only until "
                               f"{report.valid_until:%Y-%m-%d}, less than five years from now "
                               "(Tableau asks partners for at least five)")
    return signed


def _timestamp(report: SignerReport, signer_info: cms.SignerInfo,
               problems: list[str]) -> tuple[Timestamp | None, bool]:
    """The checked timestamp (None if absent or bad), and whether there was a token at all."""
    unsigned = signer_info["unsigned_attrs"]
    tokens = [a["values"][0] for a in ([] if isinstance(unsigned, core.Void) else unsigned)
              if a["type"].native == "signature_time_stamp_token"]
    if not tokens:
        return None, False
    try:
        report.timestamp = check_token(tokens[0], signer_info["signature"].native)
    except SignatureProblem as exc:
        problems.append(f"the timestamp of {report.name} is not valid: {exc}")
    return report.timestamp, True


def _check_signature_file(name: str, sf: bytes, manifest_bytes: bytes, manifest: list[Section],
                          problems: list[str]) -> set[str]:
    """Check the .SF file against the manifest as the JDK does; return the entry names it signs."""
    try:
        sections = parse_sections(sf)
    except ManifestSyntaxError as exc:
        problems.append(f"the signature file {name}.SF cannot be read: {exc}")
        return set()
    listed = {s.name for s in sections[1:] if s.name is not None}
    whole = sections[0].digests("-Digest-Manifest")
    if whole and _digest_problem(whole, manifest_bytes) is None:
        return listed
    main = sections[0].digests("-Digest-Manifest-Main-Attributes")
    if main and _digest_problem(main, manifest[0].raw) is not None:
        problems.append(f"the manifest's main section was changed after {name} signed it")
    by_name = {s.name: s for s in manifest[1:]}
    signed = set()
    for section in sections[1:]:
        if section.name is None:
            continue
        entry = by_name.get(section.name)
        problem = _digest_problem(section.digests(), entry.raw) if entry is not None else "it is gone"
        if problem:
            problems.append(f"the manifest section for {section.name} does not match {name}.SF ({problem})")
        else:
            signed.add(section.name)
    return signed
