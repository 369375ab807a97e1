"""Output formats over check results: text for people, JSON for programs, GitHub annotations for CI.

The JSON report has a ``version`` field; its shape is documented in
docs/json-report.md and described by ``report_schema.json`` (JSON Schema).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from connector_packager import __version__

if TYPE_CHECKING:  # light to import: the command line reads FORMATS at start-up
    from connector_packager.findings import Finding
    from connector_packager.results import CheckResult

FORMATS = ("text", "json", "github")
JSON_REPORT_VERSION = 1


def finding_line(finding: Finding, base: str) -> str:
    """``path:line:column: severity: message [rule]`` (the compiler-style line editors understand)."""
    text = f"{finding.location(base)}: {finding.severity.value}: {finding.message} [{finding.rule}]"
    if finding.hint:
        text += f"\n    hint: {finding.hint}"
    return text


def finding_base(result: CheckResult) -> str:
    """Findings of a connector are relative to its folder; a .trex finding names the file itself."""
    if result.kind == "trex":
        parent = str(Path(result.path).parent)
        return "" if parent == "." else parent
    return result.path


def finding_json(finding: Finding, result: CheckResult) -> dict[str, object]:
    base = finding_base(result)
    path = f"{base.rstrip('/')}/{finding.file}" if base and finding.file else (finding.file or result.path)
    return {"severity": finding.severity.value, "rule": finding.rule, "file": finding.file, "path": path,
            "line": finding.line, "column": finding.column, "message": finding.message, "hint": finding.hint}


def render_json(results: Sequence[CheckResult]) -> str:
    report = {
        "version": JSON_REPORT_VERSION,
        "tool": {"name": "connector-packager", "version": __version__},
        "ok": all(r.ok for r in results),
        "results": [{
            "path": r.path, "kind": r.kind, "valid": r.ok, "errors": r.error_count, "warnings": r.warning_count,
            "class": r.class_name, "plugin_version": r.plugin_version, "name": r.name,
            "min_version_tableau": r.min_version_tableau, "taco": r.taco,
            "findings": [finding_json(f, r) for f in r.findings],
        } for r in results],
    }
    return json.dumps(report, indent=2)


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


def render_github(results: Sequence[CheckResult]) -> str:
    """GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per finding."""
    lines = []
    for result in results:
        for finding in result.findings:
            path = workspace_path(str(finding_json(finding, result)["path"]))
            props = [f"file={escape_property(path)}"]
            if finding.line is not None:
                props.append(f"line={finding.line}")
            if finding.column is not None:
                props.append(f"col={finding.column}")
            props.append(f"title={escape_property(finding.rule)}")
            message = finding.message + (f" (hint: {finding.hint})" if finding.hint else "")
            level = {"error": "error", "warning": "warning"}.get(finding.severity.value, "notice")
            lines.append(f"::{level} {','.join(props)}::{escape_data(message)}")
    return "\n".join(lines)


def render_text(results: Sequence[CheckResult], *, quiet: bool = False) -> str:
    """Findings, then a table of what was checked and the totals; ``quiet`` leaves out what passed."""
    shown = [r for r in results if not (quiet and r.ok)]
    lines = [finding_line(f, finding_base(r)) for r in shown for f in r.findings]
    if len(results) == 1 and results[0].kind == "trex":
        lines.append(trex_line(results[0]))
    else:
        lines.append(summary_table(results, shown))
    return "\n".join(line for line in lines if line)


def trex_line(result: CheckResult) -> str:
    """One line for a single .trex file, so that a passing one says so."""
    return f"{result.path}: {'ok' if result.ok else 'FAIL'} ({_counted(result.error_count, 'error')}, " \
           f"{_counted(result.warning_count, 'warning')})"


def summary_table(results: Sequence[CheckResult], shown: Sequence[CheckResult] | None = None) -> str:
    """A row per result in ``shown`` (default: all), then the totals over all ``results``."""
    header = ("", "path", "class", "version", "errors", "warnings", "min Tableau")
    rows = [("ok" if r.ok else "FAIL", r.path, r.class_name or ("(trex)" if r.kind == "trex" else ""),
             r.plugin_version or "", str(r.error_count), str(r.warning_count), r.min_version_tableau or "")
            for r in (results if shown is None else shown)]
    out = []
    if rows:
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        out = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
               for row in [header, *rows]]
    failed = sum(1 for r in results if not r.ok)
    connectors = sum(1 for r in results if r.kind == "connector")
    errors = sum(r.error_count for r in results)
    warnings = sum(r.warning_count for r in results)
    out.append(f"{len(results)} checked, {failed} failed ({_counted(connectors, 'connector')}, "
               f"{_counted(len(results) - connectors, '.trex file')}; {_counted(errors, 'error')}, "
               f"{_counted(warnings, 'warning')})")
    return "\n".join(out)


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def render(fmt: str, results: Sequence[CheckResult], *, quiet: bool = False) -> str:
    """``results`` in the format ``fmt``; ``quiet`` (text only) shows failures and the totals alone."""
    if fmt == "text":
        return render_text(results, quiet=quiet)
    return {"json": render_json, "github": render_github}[fmt](results)
