"""What a connector sends to its driver for given dialog values: the core of ``connection-string``.

Checks the connector, builds its :class:`~connector_packager.connection_model.ConnectionModel`, and runs
its scripts in the embedded engine through ``script_runtime.js``. Never prints; the CLI formats.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector_packager import __version__
from connector_packager.connection_model import ConnectionModel, build_model
from connector_packager.errors import UsageProblem
from connector_packager.findings import Finding, cannot_read
from connector_packager.formats import finding_line

JSON_VERSION = 1
#: What the output says about facts the SDK documentation does not state.
INFERRED = (
    "fields hidden by their conditions pass no value to the scripts; non-editable fields pass their default",
    "which values FormatKeyValuePair wraps in braces: those with ';', '{', '}' or leading/trailing spaces",
    "the driver is the first <driver-name> of the .tdr's driver-resolver (no drivers are installed here)",
)
INFERRED_V1 = "the dialog is read from a .tcd (v1): the field list is approximate"


@dataclass
class ConnectionStringRun:
    """The outcome of one ``connection-string`` computation."""

    folder: Path
    findings: list[Finding]
    model: ConnectionModel | None = None
    result: dict[str, Any] | None = None
    unknown_values: list[str] = field(default_factory=list)
    limit: str | None = None

    @property
    def input_unreadable(self) -> bool:
        return cannot_read(self.findings)

    @property
    def connector_ok(self) -> bool:
        return not any(f.is_error for f in self.findings)

    @property
    def ok(self) -> bool:
        return self.connector_ok and self.limit is None and self.result is not None and self.result.get("error") is None


def parse_assignments(assignments: tuple[str, ...]) -> dict[str, str]:
    """``--set name=value`` options as a dict; a usage problem for anything else."""
    values: dict[str, str] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageProblem(f"--set {item!r} is not name=value", hint="for example --set server=db.example.com")
        values[name.strip()] = value
    return values


def compute(
    folder: Path, values: dict[str, str], *, platform: str = "win", driver: str | None = None
) -> ConnectionStringRun:
    """Check the connector in ``folder`` and run its scripts on ``values`` (unset fields take defaults)."""
    from connector_packager.script_engine import ScriptLimit, evaluate
    from connector_packager.validation import check_connector

    if not folder.is_dir():
        raise UsageProblem(f"{folder} does not exist or is not a folder")
    report = check_connector(folder)
    run = ConnectionStringRun(folder, list(report.findings))
    if not report.ok:
        return run
    run.model = model = build_model(report)
    known = {f.name for f in model.fields} | {"class", *model.secrets}
    run.unknown_values = [name for name in values if name not in known]
    options = {"platform": platform, "driver": driver or ""}
    try:
        run.result = evaluate(model.as_json(), values, options)
    except ScriptLimit as exc:
        run.limit = str(exc)
    return run


def _suggestion(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def notes(run: ConnectionStringRun) -> list[str]:
    """Remarks for the reader: values for unknown attributes, inferred facts."""
    found: list[str] = []
    fields = [f.name for f in run.model.fields] if run.model else []
    for name in run.unknown_values:
        found.append(
            f"--set {name}: not a field of this connector; passed to the scripts as an attribute"
            + _suggestion(name, fields)
        )
    if run.model is not None and run.model.dialog == "v1":
        found.append("inferred: " + INFERRED_V1)
    found.extend("inferred: " + fact for fact in INFERRED)
    return found


def error_line(run: ConnectionStringRun) -> str | None:
    """``file:line:column: error: message`` for a script failure or a limit, else None."""
    base = str(run.folder).rstrip("/")
    if run.limit is not None:
        return f"{base}: error: {run.limit} [script-limit]"
    error = (run.result or {}).get("error")
    if not error:
        return None
    where = f"{base}/{error['file']}"
    if error.get("line"):
        where += f":{error['line']}" + (f":{error['column']}" if error.get("column") else "")
    what = {
        "tableau": "ThrowTableauException",
        "exception": "exception",
        "syntax": "syntax error",
        "result": "bad result",
    }.get(error["kind"], error["kind"])
    return f"{where}: error: {error['role']} script: {what}: {error['message']} [script-{error['kind']}]"


def render_text(run: ConnectionStringRun) -> str:
    base = str(run.folder)
    lines = [finding_line(f, base) for f in run.findings]
    if run.model is None:
        lines.append("The connector is not valid: no connection string was computed.")
        return "\n".join(lines)
    model, result = run.model, run.result or {}
    kind = "JDBC" if model.jdbc else "ODBC"
    dialog = {"v2": "connection fields (v2)", "v1": "connection dialog .tcd (v1, approximate)"}.get(
        model.dialog or "", "none"
    )
    lines.append(f"connector:   {model.class_name} ({kind}), dialog: {dialog}")
    driver = result.get("driver") or {}
    if driver.get("name"):
        matched = "" if driver.get("matched") in (True, None) else " (matches no driver-resolver rule)"
        lines.append(f"driver:      {driver['name']} ({driver.get('source')}){matched}")
    else:
        lines.append("driver:      (the .tdr has no driver-resolver)")
    failure = error_line(run)
    if failure is None:
        if model.jdbc:
            lines.append(f"url:         {result.get('url')}")
            for key, value in (result.get("properties") or {}).items():
                lines.append(f"property:    {key}={value}")
        else:
            lines.append(f"connect:     {result.get('connectString')}")
    else:
        lines.append(failure)
    for message in result.get("logs") or []:
        lines.append(f"logging.Log: {message}")
    lines.append("attributes passed to the scripts:")
    lines.extend(f"  {a['name']} = {a['value']}" for a in result.get("attributes") or [])
    normalizer = result.get("normalizer")
    if normalizer is not None:
        lines.append("normalizer attributes:")
        lines.extend(f"  {n['name']}" + ("" if n["set"] else "  (no value)") for n in normalizer)
    problems = result.get("problems") or []
    lines.append(
        "Sign In:     "
        + ("enabled" if result.get("signIn") else "disabled: " + "; ".join(p["message"] for p in problems))
    )
    lines.extend(f"note: {note}" for note in notes(run))
    return "\n".join(lines)


def render_json(run: ConnectionStringRun) -> str:
    from connector_packager.formats import finding_json
    from connector_packager.results import Result

    checked = Result("connection-string", str(run.folder), "connector", tuple(run.findings))
    result = run.result or {}
    model = run.model
    report = {
        "version": JSON_VERSION,
        "tool": {"name": "connector-packager", "version": __version__},
        "ok": run.ok,
        "path": str(run.folder),
        "valid": run.connector_ok,
        "class": model.class_name if model else None,
        "kind": ("jdbc" if model.jdbc else "odbc") if model else None,
        "dialog": model.dialog if model else None,
        "driver": result.get("driver"),
        "connect_string": result.get("connectString"),
        "url": result.get("url"),
        "parts": result.get("parts"),
        "properties": result.get("properties"),
        "attributes": {a["name"]: a["value"] for a in result.get("attributes") or []},
        "normalizer": result.get("normalizer"),
        "sign_in": result.get("signIn"),
        "problems": result.get("problems") or [],
        "logs": result.get("logs") or [],
        "error": result.get("error") or ({"kind": "limit", "message": run.limit} if run.limit else None),
        "findings": [finding_json(f, checked) for f in run.findings],
        "notes": notes(run) if model else [],
    }
    return json.dumps(report, indent=2, ensure_ascii=False)
