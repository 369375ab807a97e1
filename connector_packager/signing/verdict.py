"""Writing a verification out: text for people, JSON for programs, GitHub annotations for CI."""

from __future__ import annotations

import datetime as dt
import json

from connector_packager import __version__
from connector_packager.archive.entry_names import shown
from connector_packager.findings import Finding
from connector_packager.formats import escape_data, escape_property
from connector_packager.signing.certificates import describe
from connector_packager.signing.chain import Chain
from connector_packager.signing.verify import SignerReport, Verification

JSON_VERIFY_VERSION = 1


def _when(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _chain_text(chain: Chain | None) -> str:
    if chain is None:
        return "?"
    text = " -> ".join(c.subject.rfc4514_string() for c in chain.certs)
    return text + (" (trusted root)" if chain.trusted else " (NOT trusted)")


def _signer_lines(signer: SignerReport) -> list[str]:
    lines = [f"  signature:   META-INF/{signer.name}.SF"]
    if signer.chain is not None:
        leaf = signer.chain.certs[0]
        lines.append(f"  signer:      {describe(leaf)} (certificate valid until {leaf.not_valid_after_utc:%Y-%m-%d})")
        lines.append(f"  chain:       {_chain_text(signer.chain)}")
    if signer.timestamp is not None:
        stamp = signer.timestamp
        lines.append(f"  timestamp:   {stamp.time:%Y-%m-%d %H:%M:%S} UTC by {describe(stamp.tsa)}")
        lines.append(f"  tsa chain:   {_chain_text(signer.timestamp_chain)}")
    else:
        lines.append("  timestamp:   none")
    if signer.valid_until is not None:
        lines.append(f"  valid until: {signer.valid_until:%Y-%m-%d} "
                     f"({'timestamp authority certificate' if signer.timestamp else 'signer certificate'})")
    return lines


def render_text(result: Verification) -> str:
    """One fact a line; every line escaped (:func:`shown`), so that no name can add a line or reorder one, and the
    verdict stays the last line."""
    lines = [str(result.path)]
    if result.signers:
        lines.append(f"  entries:     {result.entries} signed entries checked")
    if result.truststore:
        lines.append(f"  truststore:  {result.truststore}")
    for signer in result.signers:
        lines += _signer_lines(signer)
    for label, findings in (("problem", result.problems), ("warning", result.warnings)):
        for finding in findings:
            lines.append(f"  {label + ':':<12} {finding.message} [{finding.rule}]")
            lines += [f"               hint: {finding.hint}"] if finding.hint else []
    lines.append(result.verdict)
    return "\n".join(shown(line) for line in lines)


def _chain_json(chain: Chain | None) -> dict[str, object] | None:
    if chain is None:
        return None
    return {"certificates": [{"subject": c.subject.rfc4514_string(), "issuer": c.issuer.rfc4514_string(),
                              "not_before": _when(c.not_valid_before_utc), "not_after": _when(c.not_valid_after_utc)}
                             for c in chain.certs],
            "trusted": chain.trusted, "problem": chain.problem}


def render_json(result: Verification) -> str:
    report = {
        "version": JSON_VERIFY_VERSION,
        "tool": {"name": "connector-packager", "version": __version__},
        "path": str(result.path),
        "checked_at": _when(result.at),
        "ok": result.ok,
        "verdict": result.verdict,
        "entries": result.entries,
        "truststore": result.truststore,
        "signers": [{
            "name": s.name,
            "chain": _chain_json(s.chain),
            "timestamp": None if s.timestamp is None else {
                "time": _when(s.timestamp.time), "authority": describe(s.timestamp.tsa),
                "policy": s.timestamp.policy, "chain": _chain_json(s.timestamp_chain)},
            "valid_until": _when(s.valid_until),
        } for s in result.signers],
        "problems": [p.message for p in result.problems],
        "warnings": [w.message for w in result.warnings],
        "findings": [_finding_json(f) for f in [*result.problems, *result.warnings]],
    }
    return json.dumps(_shown_strings(report), indent=2)


def _finding_json(finding: Finding) -> dict[str, object]:
    return {"rule": finding.rule, "severity": finding.severity.value, "message": finding.message,
            "entry": finding.file, "hint": finding.hint}


def _shown_strings(value: object) -> object:
    """Every string in a JSON value escaped as in the text output, so that a program printing a field prints what
    a person would have seen."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {key: _shown_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown_strings(item) for item in value]
    return value


def render_github(result: Verification) -> str:
    where = f"file={escape_property(shown(str(result.path)))}"
    lines = [f"::error {where},title=signature::{escape_data(shown(p.message))}" for p in result.problems]
    lines += [f"::warning {where},title=signature::{escape_data(shown(w.message))}" for w in result.warnings]
    lines.append(f"::{'notice' if result.ok else 'error'} {where},title=verdict::"
                 f"{escape_data(shown(result.verdict))}")
    return "\n".join(lines)


def render(fmt: str, result: Verification) -> str:
    return {"text": render_text, "json": render_json, "github": render_github}[fmt](result)
