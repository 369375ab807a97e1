"""Warnings about the connector's JavaScript (Tableau's packager does not read scripts at all).

Every script the .tdr names is evaluated in the embedded engine (bounded: see ``script_engine``) to find
syntax errors, and read with tree-sitter for its shape, the attributes it reads and the calls it makes.
All findings are warnings, so verdicts stay those of Tableau's packager.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterator

from connector_packager.connector import Report
from connector_packager.findings import Finding, warning
from connector_packager.rules import connector_rule

#: Attributes Tableau passes to every script besides the dialog's fields (inferred from the SDK samples
#: and the connectionHelper constants: the documentation gives no complete list).
PLATFORM_ATTRIBUTES = ("class", "one-time-sql", "odbc-connect-string-extras", "tableau-server-auth-mode",
                       "tableau-server-user")
#: Seconds that checking all of a connector's scripts may take (each is also bounded by the engine's limits):
#: past it, the remaining scripts are not checked and one warning says so.
CHECK_BUDGET_SECONDS = 10.0
#: Attributes an OAuth connector's scripts receive (inferred from the SDK's OAuth samples).
OAUTH_ATTRIBUTES = ("ACCESSTOKEN", "REFRESHTOKEN", "id-token", "instanceurl", "username")


def _did_you_mean(name: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


@connector_rule
def script_checks(report: Report) -> Iterator[Finding]:
    """script-syntax-error, script-evaluation-error, script-not-function-expression, script-unknown-attribute,
    script-unknown-helper-constant, script-deprecated, script-logging-log, script-unavailable-api,
    script-too-large: see docs/script-rules.md."""
    from connector_packager.connection_model import DEPRECATED_SCRIPT_ROLES, build_model
    from connector_packager.script_analysis import analyse
    from connector_packager.script_engine import helper_constants, syntax_problem

    model = build_model(report)
    if not model.scripts:
        return
    provided = [f.name for f in model.fields] + list(PLATFORM_ATTRIBUTES)
    if report.oauth_configs:
        provided += list(OAUTH_ATTRIBUTES)
    constants = helper_constants()
    # A file that failed to parse may have defined fields: its parse error is reported, and no attribute is called
    # unknown while what the dialog provides is not known.
    fields_known = not any(f.is_xml and f.tree is None for f in report.files)
    started, checked = time.monotonic(), 0
    for script in model.scripts:
        if time.monotonic() - started > CHECK_BUDGET_SECONDS:
            skipped = len(model.scripts) - checked
            yield warning("script-evaluation-error", f"{skipped} of the {len(model.scripts)} scripts were not checked "
                          f"(from {script.file} on): checking the scripts took more than {CHECK_BUDGET_SECONDS:g} s",
                          script.file)
            return
        checked += 1
        if script.role in DEPRECATED_SCRIPT_ROLES:
            yield warning("script-deprecated", f"<{script.role}> scripts are deprecated: Tableau 2021.2 and later "
                          f"refuse to load a connector that has one ({script.file})", model.resolver_file,
                          script.line, hint="remove it; list the attributes in <required-attributes> instead")
        problem = syntax_problem(script.source)
        if problem is not None:
            rule_id = "script-syntax-error" if problem.kind == "syntax" else "script-evaluation-error"
            yield warning(rule_id, f"{script.role} script: {problem.message}", script.file, problem.line,
                          problem.column)
            if problem.kind == "syntax":
                continue
        shape = analyse(script.source, constants)
        if shape.too_large:
            yield warning("script-too-large", f"{script.file} is too large to check", script.file)
            continue
        if shape.shape_problem is not None:
            place = shape.shape_place
            yield warning("script-not-function-expression", f"{script.role} script is not a single function "
                          f"expression: {shape.shape_problem}", script.file, place.line if place else None,
                          place.column if place else None,
                          hint="Tableau evaluates the file and calls its value: write (function (attr) { ... })")
        for read in shape.reads:
            where = (script.file, read.place.line, read.place.column)
            if read.name is None:
                yield warning("script-unknown-helper-constant", f"connectionHelper has no {read.constant}", *where,
                              hint=_did_you_mean(read.constant or "", list(constants)))
            # a .tcd's attributes are only approximated
            elif read.name not in provided and fields_known and model.dialog != "v1":
                yield warning("script-unknown-attribute", f"the script reads attribute {read.name!r}, which no "
                              "connection field, metadata field or platform attribute provides", *where,
                              hint=_did_you_mean(read.name, provided))
        for place in shape.log_calls:
            yield warning("script-logging-log", "logging.Log is deprecated since Tableau 2022.1", script.file,
                          place.line, place.column)
        for name, place in shape.unavailable:
            yield warning("script-unavailable-api", f"{name} is not available to connector scripts in Tableau",
                          script.file, place.line, place.column)
