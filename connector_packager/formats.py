"""The one output layer: every command's results (:class:`~connector_packager.results.Result`) as text for people,
JSON for programs, or GitHub annotations for CI, through the table :data:`FORMATTERS`.

The JSON report has a ``version`` field; its shape, the same for every command, is documented in
docs/json-report.md and described by ``report_schema.json`` (JSON Schema).

Where output goes (decided here once, documented in the README): the result, in the format asked for, is the only
thing on standard output; progress, log lines, prompts, next-step hints and warnings about options go to standard
error.

Light to import: the command line reads :data:`FORMATS` at start-up, so everything heavy is imported inside the
functions that need it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from connector_packager import __version__

if TYPE_CHECKING:  # light to import: the command line reads FORMATS at start-up
    from connector_packager.findings import Finding
    from connector_packager.results import Result
    from connector_packager.signing.chain import Chain
    from connector_packager.signing.verify import SignerReport, Verification
    from connector_packager.taco_info import TacoInfo

JSON_REPORT_VERSION = 2


def finding_line(finding: Finding, base: str) -> str:
    """``path:line:column: severity: message [rule]`` (the compiler-style line editors understand)."""
    text = f"{finding.location(base)}: {finding.severity.value}: {finding.message} [{finding.rule}]"
    if finding.hint:
        text += f"\n    hint: {finding.hint}"
    return text


def finding_base(result: Result) -> str:
    """Findings of a connector are relative to its folder (or to the .taco that holds it); a .trex finding names
    the file itself."""
    if result.kind == "trex":
        parent = str(Path(result.path).parent)
        return "" if parent == "." else parent
    return result.path


def finding_json(finding: Finding, result: Result) -> dict[str, object]:
    """A finding as JSON; ``path`` is a path usable from the working directory: the file in the connector folder,
    or the .taco itself for an entry inside one (``file`` names the entry)."""
    base = finding_base(result)
    if result.kind == "taco":
        path = result.path
    else:
        path = f"{base.rstrip('/')}/{finding.file}" if base and finding.file else (finding.file or result.path)
    return {
        "severity": finding.severity.value,
        "rule": finding.rule,
        "file": finding.file,
        "path": path,
        "line": finding.line,
        "column": finding.column,
        "message": finding.message,
        "hint": finding.hint,
    }


# --- text -----------------------------------------------------------------------------------------------------


def render_text(results: Sequence[Result], *, quiet: bool = False) -> str:
    """What each result says, for people: ``validate`` and ``package`` print the same finding lines and the same
    summary; ``inspect``, ``sign`` and ``verify`` print one fact a line (``verify``'s verdict last)."""
    if results and results[0].command in _TEXT_BY_COMMAND:
        return "\n".join(_TEXT_BY_COMMAND[results[0].command](result) for result in results)
    shown = [r for r in results if not (quiet and r.ok)]
    lines = [finding_line(f, finding_base(r)) for r in shown for f in r.findings]
    if len(results) == 1 and results[0].kind == "trex":
        lines.append(trex_line(results[0]))
    else:
        lines.append(summary_table(results, shown))
    return "\n".join(line for line in lines if line)


def trex_line(result: Result) -> str:
    """One line for a single .trex file, so that a passing one says so."""
    return (
        f"{result.path}: {'ok' if result.ok else 'FAIL'} ({_counted(result.error_count, 'error')}, "
        f"{_counted(result.warning_count, 'warning')})"
    )


def summary_table(results: Sequence[Result], shown: Sequence[Result] | None = None) -> str:
    """A row per result in ``shown`` (default: all), then the totals over all ``results``."""
    header = ("", "path", "class", "version", "errors", "warnings", "min Tableau")
    rows = []
    for r in results if shown is None else shown:
        connector = r.connector
        class_name = connector.class_name if connector else None
        rows.append(
            (
                "ok" if r.ok else "FAIL",
                r.path,
                class_name or ("(trex)" if r.kind == "trex" else ""),
                (connector.plugin_version if connector else None) or "",
                str(r.error_count),
                str(r.warning_count),
                (connector.min_version_tableau if connector else None) or "",
            )
        )
    out = []
    if rows:
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        out = [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [header, *rows]
        ]
    failed = sum(1 for r in results if not r.ok)
    connectors = sum(1 for r in results if r.kind == "connector")
    errors = sum(r.error_count for r in results)
    warnings = sum(r.warning_count for r in results)
    out.append(
        f"{len(results)} checked, {failed} failed ({_counted(connectors, 'connector')}, "
        f"{_counted(len(results) - connectors, '.trex file')}; {_counted(errors, 'error')}, "
        f"{_counted(warnings, 'warning')})"
    )
    return "\n".join(out)


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def inspect_text(result: Result) -> str:
    """``inspect``: the archive's entries, the connector's identity and stamped version, its signature files, and
    what was found; every line escaped so that no entry name can add or reorder a line."""
    from connector_packager.archive.entry_names import shown

    info = result.archive
    if info is None:
        raise ValueError("an inspect result without its archive section")
    lines = [result.path]
    lines.append(
        f"  connector:   {info.display_name or '?'} (class {info.class_name or '?'}, "
        f"version {info.plugin_version or '?'})"
    )
    lines.append(f"  min-version-tableau: {info.min_version or 'not stamped'}")
    if info.signers:
        lines.append(
            f"  signature:   signature files present for {', '.join(info.signers)} "
            f"(not checked here: run connector-packager verify {result.path})"
        )
    else:
        lines.append("  signature:   unsigned (Tableau will not load an unsigned .taco)")
    lines.append(f"  entries ({len(info.entries)}):")
    width = max((len(shown(e.name)) for e in info.entries), default=0)
    for entry in info.entries:
        lines.append(f"    {shown(entry.name):<{width}}  {entry.size:>9,} bytes  ({entry.compressed:,} compressed)")
    for finding in info.findings:  # the connector's; a finding's hint is a line of its own
        lines += ["  " + part for part in finding_line(finding, "").split("\n")]
    for label, listed in (("warning", info.warnings), ("problem", info.problems)):
        for finding in listed:
            lines.append(f"  {label}: {finding.message} [{finding.rule}]")
            lines += [f"    hint: {finding.hint}"] if finding.hint else []
    if not info.problems:
        lines.append("  OK: a well-formed connector archive")
    return "\n".join(shown(line) for line in lines)


def sign_text(result: Result) -> str:
    """``sign``: its warnings, then one line saying what was signed, as what, and by which timestamp authority."""
    from connector_packager.archive.entry_names import shown

    signed = result.signed
    if signed is None:
        raise ValueError("a sign result without its signed section")
    stamp = f", timestamped by {signed.tsa}" if signed.tsa else " without a timestamp"
    lines = [f"warning: {warning.message} [{warning.rule}]" for warning in signed.warnings]
    lines.append(f"Signed {signed.taco} as {signed.signature_name}{stamp}.")
    return "\n".join(shown(line) for line in lines)


def _chain_text(chain: Chain | None) -> str:
    if chain is None:
        return "?"
    text = " -> ".join(c.subject.rfc4514_string() for c in chain.certs)
    return text + (" (trusted root)" if chain.trusted else " (NOT trusted)")


def _signer_lines(signer: SignerReport) -> list[str]:
    from connector_packager.signing.certificates import describe

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
        lines.append(
            f"  valid until: {signer.valid_until:%Y-%m-%d} "
            f"({'timestamp authority certificate' if signer.timestamp else 'signer certificate'})"
        )
    return lines


def verify_text(result: Result) -> str:
    """``verify``: one fact a line; every line escaped, so that no name can add a line or reorder one, and the
    verdict stays the last line."""
    from connector_packager.archive.entry_names import shown

    verification = _verification(result)
    lines = [result.path]
    if verification.signers:
        lines.append(f"  entries:     {verification.entries} signed entries checked")
    if verification.truststore:
        lines.append(f"  truststore:  {verification.truststore}")
    for signer in verification.signers:
        lines += _signer_lines(signer)
    for label, findings in (("problem", verification.problems), ("warning", verification.warnings)):
        for finding in findings:
            lines.append(f"  {label + ':':<12} {finding.message} [{finding.rule}]")
            lines += [f"               hint: {finding.hint}"] if finding.hint else []
    lines.append(verification.verdict)
    return "\n".join(shown(line) for line in lines)


def _verification(result: Result) -> Verification:
    if result.verification is None:
        raise ValueError("a verify result without its verification section")
    return result.verification


_TEXT_BY_COMMAND: dict[str, Callable[[Result], str]] = {
    "inspect": inspect_text,
    "sign": sign_text,
    "verify": verify_text,
}


# --- JSON -----------------------------------------------------------------------------------------------------


def render_json(results: Sequence[Result]) -> str:
    """One JSON object, the same shape for every command (docs/json-report.md, report_schema.json)."""
    report = {
        "version": JSON_REPORT_VERSION,
        "tool": {"name": "connector-packager", "version": __version__},
        "command": results[0].command if results else None,
        "ok": all(r.ok for r in results),
        "results": [result_json(r) for r in results],
    }
    return json.dumps(report, indent=2)


def result_json(result: Result) -> dict[str, object]:
    connector, packaged, signed = result.connector, result.packaged, result.signed
    body: dict[str, object] = {
        "path": result.path,
        "kind": result.kind,
        "ok": result.ok,
        "errors": result.error_count,
        "warnings": result.warning_count,
        "findings": [finding_json(f, result) for f in result.findings],
        "connector": None
        if connector is None
        else {
            "class": connector.class_name,
            "plugin_version": connector.plugin_version,
            "name": connector.name,
            "min_version_tableau": connector.min_version_tableau,
            "min_version_reasons": list(connector.min_version_reasons),
            "vendor_defined_fields": list(connector.vendor_defined_fields),
        },
        "package": None if packaged is None else {"taco": packaged.taco, "forced": packaged.forced},
        "signed": None
        if signed is None
        else {"taco": str(signed.taco), "signature": signed.signature_name, "tsa": signed.tsa},
        "archive": None if result.archive is None else _archive_json(result.archive),
        "verification": None if result.verification is None else _verification_json(result.verification),
    }
    if result.kind == "taco":  # names from an archive are escaped as the text output shows them
        return {key: _shown_strings(value) for key, value in body.items()}
    return body


def _archive_json(info: TacoInfo) -> dict[str, object]:
    return {
        "entries": [{"name": e.name, "size": e.size, "compressed": e.compressed} for e in info.entries],
        "min_version_stamped": info.min_version,
        "signature_files": info.signers,
        "unreferenced": info.unreferenced,
    }


def _when(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _chain_json(chain: Chain | None) -> dict[str, object] | None:
    if chain is None:
        return None
    return {
        "certificates": [
            {
                "subject": c.subject.rfc4514_string(),
                "issuer": c.issuer.rfc4514_string(),
                "not_before": _when(c.not_valid_before_utc),
                "not_after": _when(c.not_valid_after_utc),
            }
            for c in chain.certs
        ],
        "trusted": chain.trusted,
        "problem": chain.problem,
    }


def _verification_json(verification: Verification) -> dict[str, object]:
    from connector_packager.signing.certificates import describe

    return {
        "checked_at": _when(verification.at),
        "verdict": verification.verdict,
        "entries": verification.entries,
        "truststore": verification.truststore,
        "signers": [
            {
                "name": s.name,
                "chain": _chain_json(s.chain),
                "timestamp": None
                if s.timestamp is None
                else {
                    "time": _when(s.timestamp.time),
                    "authority": describe(s.timestamp.tsa),
                    "policy": s.timestamp.policy,
                    "chain": _chain_json(s.timestamp_chain),
                },
                "valid_until": _when(s.valid_until),
            }
            for s in verification.signers
        ],
    }


def _shown_strings(value: object) -> object:
    """Every string in a JSON value escaped as in the text output, so that a program printing a field prints what
    a person would have seen."""
    from connector_packager.archive.entry_names import shown

    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {key: _shown_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown_strings(item) for item in value]
    return value


# --- GitHub annotations ---------------------------------------------------------------------------------------


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workspace_path(path: str) -> str:
    """``path`` relative to the workspace (``GITHUB_WORKSPACE``, else the current folder), as GitHub needs it to
    attach an annotation to a pull request's file; a path outside the workspace stays absolute."""
    workspace = os.path.abspath(os.environ.get("GITHUB_WORKSPACE") or os.getcwd())
    absolute = os.path.abspath(path)
    try:
        if os.path.commonpath([absolute, workspace]) != workspace:
            return absolute
    except ValueError:  # another drive (Windows)
        return absolute
    return Path(os.path.relpath(absolute, workspace)).as_posix()


def render_github(results: Sequence[Result]) -> str:
    """GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per finding (titled with
    its rule id); ``verify`` ends with its verdict. Findings about a .taco are attached to the .taco, escaped."""
    from connector_packager.archive.entry_names import shown

    lines = []
    for result in results:
        escape = shown if result.kind == "taco" else str
        for finding in result.findings:
            path = workspace_path(escape(str(finding_json(finding, result)["path"])))
            props = [f"file={escape_property(path)}"]
            if finding.line is not None:
                props.append(f"line={finding.line}")
            if finding.column is not None:
                props.append(f"col={finding.column}")
            props.append(f"title={escape_property(finding.rule)}")
            message = finding.message + (f" (hint: {finding.hint})" if finding.hint else "")
            level = {"error": "error", "warning": "warning"}.get(finding.severity.value, "notice")
            lines.append(f"::{level} {','.join(props)}::{escape_data(escape(message))}")
        if result.verification is not None:
            where = escape_property(workspace_path(shown(result.path)))
            lines.append(
                f"::{'notice' if result.verification.ok else 'error'} file={where},title=verdict::"
                f"{escape_data(shown(result.verification.verdict))}"
            )
    return "\n".join(lines)


# --- the table --------------------------------------------------------------------------------------------------


def _render_text(results: Sequence[Result]) -> str:
    return render_text(results)


#: The formatters by name: ``--format`` offers exactly these (:data:`FORMATS`).
FORMATTERS: dict[str, Callable[[Sequence[Result]], str]] = {
    "text": _render_text,
    "json": render_json,
    "github": render_github,
}
FORMATS = tuple(FORMATTERS)


def render(fmt: str, results: Sequence[Result], *, quiet: bool = False) -> str:
    """``results`` in the format ``fmt``; ``quiet`` (text only) shows failures and the totals alone."""
    if fmt == "text":
        return render_text(results, quiet=quiet)
    return FORMATTERS[fmt](results)
