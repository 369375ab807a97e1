"""Warnings about the connector's JavaScript (Tableau's packager does not read scripts at all).

Every script the .tdr names is evaluated in the embedded engine (bounded: see ``script_engine``) to find
syntax errors, and read with tree-sitter for its shape, the attributes it reads and the calls it makes.
All findings are warnings, so verdicts stay those of Tableau's packager.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterator

from connector_packager.catalogue import Severity, declare
from connector_packager.connector import Report
from connector_packager.findings import Finding, warning
from connector_packager.rules import connector_rule

#: Attributes Tableau passes to every script besides the dialog's fields (inferred from the SDK samples
#: and the connectionHelper constants: the documentation gives no complete list).
PLATFORM_ATTRIBUTES = (
    "class",
    "one-time-sql",
    "odbc-connect-string-extras",
    "tableau-server-auth-mode",
    "tableau-server-user",
)
#: Seconds that checking all of a connector's scripts may take (each is also bounded by the engine's limits):
#: past it, the remaining scripts are not checked and one warning says so.
CHECK_BUDGET_SECONDS = 10.0
#: Attributes an OAuth connector's scripts receive (inferred from the SDK's OAuth samples).
OAUTH_ATTRIBUTES = ("ACCESSTOKEN", "REFRESHTOKEN", "id-token", "instanceurl", "username")

SCRIPT_SYNTAX_ERROR = declare(
    "script-syntax-error",
    "script",
    Severity.WARNING,
    "a script the .tdr names is valid JavaScript",
    doc="Each script is evaluated in the embedded engine (bounded in time and memory); a syntax error means "
    "Tableau cannot connect. Tableau's packager does not read scripts, so this is a warning.",
    passes="(function (attr) { return [attr.server]; })",
    fails="(function (attr) { return [attr.server; })",
)
SCRIPT_EVALUATION_ERROR = declare(
    "script-evaluation-error",
    "script",
    Severity.WARNING,
    "evaluating a script's file does not throw",
    doc="Tableau evaluates the file and calls its value; a file whose evaluation throws (a reference to an "
    "undefined name at the top level, say) gives no function to call.",
    passes="(function (attr) { return []; })",
    fails="undefinedName(function (attr) { return []; })",
)
SCRIPT_NOT_FUNCTION_EXPRESSION = declare(
    "script-not-function-expression",
    "script",
    Severity.WARNING,
    "a script's file is a single function expression",
    doc="Tableau evaluates the file and calls its value: anything but one function expression (statements "
    "around it, a declaration, two expressions) is not called as intended.",
    passes="(function (attr) { return []; })",
    fails="var x = 1; (function (attr) { return []; })",
)
SCRIPT_UNKNOWN_ATTRIBUTE = declare(
    "script-unknown-attribute",
    "script",
    Severity.WARNING,
    "a script reads only attributes the dialog, metadata or platform provide",
    doc="attr[name] for a name no connection field, metadata field or platform attribute provides is always "
    "undefined: usually a typo (the closest provided name is given as a hint).",
    passes="attr[connectionHelper.attributeServer]",
    fails='attr["sevrer"]',
)
SCRIPT_UNKNOWN_HELPER_CONSTANT = declare(
    "script-unknown-helper-constant",
    "script",
    Severity.WARNING,
    "a connectionHelper constant a script uses exists",
    doc="connectionHelper.attributeXxx constants name attributes; an unknown one is undefined at run time.",
    passes="connectionHelper.attributeServer",
    fails="connectionHelper.attributeSever",
)
SCRIPT_DEPRECATED = declare(
    "script-deprecated",
    "connection-resolver",
    Severity.WARNING,
    "no <connection-matcher> or <connection-normalizer> script",
    doc="Tableau 2021.2 and later refuse to load a connector that has one; list the attributes in "
    "<required-attributes> instead.",
    passes="<connection-normalizer><required-attributes>...",
    fails='<connection-matcher><script file="m.js"/>',
)
SCRIPT_LOGGING_LOG = declare(
    "script-logging-log",
    "script",
    Severity.WARNING,
    "scripts do not call logging.Log",
    doc="logging.Log is deprecated since Tableau 2022.1; use logging.LogInfo and its siblings.",
    passes='logging.LogInfo("connecting")',
    fails='logging.Log("connecting")',
)
SCRIPT_UNAVAILABLE_API = declare(
    "script-unavailable-api",
    "script",
    Severity.WARNING,
    "scripts call no API Tableau's script engine lacks",
    doc="Connector scripts run in a bare JavaScript engine: browser and Node APIs (require, fetch, "
    "XMLHttpRequest, import(), ...) do not exist there.",
    passes="JSON.stringify(attr)",
    fails='require("fs")',
)
SCRIPT_TOO_LARGE = declare(
    "script-too-large",
    "script",
    Severity.WARNING,
    "a script is small enough to check",
    doc="Scripts over the analysis limit are not read (bounded work on hostile input); they are not checked.",
    passes="a 2 KB connectionBuilder.js",
    fails="a script over the analysis size limit",
)


def _did_you_mean(name: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


@connector_rule
def script_checks(report: Report) -> Iterator[Finding]:
    """The script rules declared above, over every script the .tdr names."""
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
            yield warning(
                SCRIPT_EVALUATION_ERROR,
                f"{skipped} of the {len(model.scripts)} scripts were not checked "
                f"(from {script.file} on): checking the scripts took more than {CHECK_BUDGET_SECONDS:g} s",
                script.file,
            )
            return
        checked += 1
        if script.role in DEPRECATED_SCRIPT_ROLES:
            yield warning(
                SCRIPT_DEPRECATED,
                f"<{script.role}> scripts are deprecated: Tableau 2021.2 and later "
                f"refuse to load a connector that has one ({script.file})",
                model.resolver_file,
                script.line,
                hint="remove it; list the attributes in <required-attributes> instead",
            )
        problem = syntax_problem(script.source)
        if problem is not None:
            rule_id = SCRIPT_SYNTAX_ERROR if problem.kind == "syntax" else SCRIPT_EVALUATION_ERROR
            yield warning(
                rule_id, f"{script.role} script: {problem.message}", script.file, problem.line, problem.column
            )
            if problem.kind == "syntax":
                continue
        shape = analyse(script.source, constants)
        if shape.too_large:
            yield warning(SCRIPT_TOO_LARGE, f"{script.file} is too large to check", script.file)
            continue
        if shape.shape_problem is not None:
            place = shape.shape_place
            yield warning(
                SCRIPT_NOT_FUNCTION_EXPRESSION,
                f"{script.role} script is not a single function expression: {shape.shape_problem}",
                script.file,
                place.line if place else None,
                place.column if place else None,
                hint="Tableau evaluates the file and calls its value: write (function (attr) { ... })",
            )
        for read in shape.reads:
            where = (script.file, read.place.line, read.place.column)
            if read.name is None:
                yield warning(
                    SCRIPT_UNKNOWN_HELPER_CONSTANT,
                    f"connectionHelper has no {read.constant}",
                    *where,
                    hint=_did_you_mean(read.constant or "", list(constants)),
                )
            # a .tcd's attributes are only approximated
            elif read.name not in provided and fields_known and model.dialog != "v1":
                yield warning(
                    SCRIPT_UNKNOWN_ATTRIBUTE,
                    f"the script reads attribute {read.name!r}, which no "
                    "connection field, metadata field or platform attribute provides",
                    *where,
                    hint=_did_you_mean(read.name, provided),
                )
        for place in shape.log_calls:
            yield warning(
                SCRIPT_LOGGING_LOG,
                "logging.Log is deprecated since Tableau 2022.1",
                script.file,
                place.line,
                place.column,
            )
        for name, place in shape.unavailable:
            yield warning(
                SCRIPT_UNAVAILABLE_API,
                f"{name} is not available to connector scripts in Tableau",
                script.file,
                place.line,
                place.column,
            )
