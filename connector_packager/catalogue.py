"""The rule catalogue: every check that can produce a finding, with its identity and documentation.

A rule is declared once, with :func:`declare`, at the top of the module that holds its code::

    FIELD_DUPLICATE = declare(
        "field-duplicate", "connection-fields", Severity.ERROR,
        "no two connection fields share a name",
        doc="Tableau keys a dialog's values by field name: a second field of the same name would overwrite "
            "the first.",
        passes='<field name="server" .../><field name="port" .../>',
        fails='<field name="server" .../><field name="server" .../>')

and emitted through the returned object (``findings.error(FIELD_DUPLICATE, ...)``), never through a bare
string, so a mistyped name fails in mypy and at import. :class:`~connector_packager.findings.Finding`
refuses an id that is not in the catalogue, so no code path can emit an unregistered one.

``applies_to`` says what a rule looks at: a connector file kind (the tag of the element whose ``file=``
names the file: ``manifest``, ``connection-fields``, ``connection-resolver``, ``dialect``, ...,
:data:`CONNECTOR_FILE_KINDS`), ``connector`` (the connector as a whole, or any of its files), ``trex``
(an extension manifest), ``archive`` (a .taco as a zip/JAR) or ``signature`` (a .taco's signature files).
Rules about archives and signatures are declared the same way, in the modules that check them::

    ZIP_NAME_UNSAFE = declare("zip-name-unsafe", "archive", Severity.ERROR, "...", doc="...")

The catalogue is complete once the modules that declare rules are imported: :func:`all_rules` imports them
(:data:`DECLARING_MODULES`; a module that declares rules must be listed there, a test checks it) and returns
every rule, sorted by id. ``connector-packager rules`` prints it and docs/rules.md is generated from it
(``python -m connector_packager.catalogue > docs/rules.md``; a test fails when the two differ).

This module imports nothing of the project, so every other module may import it.
"""

from __future__ import annotations

import enum
import importlib
import sys
from dataclasses import dataclass

#: File kinds of a connector a rule may apply to (see connector.ConnectorFile.kind).
CONNECTOR_FILE_KINDS = (
    "manifest",
    "connection-fields",
    "connection-metadata",
    "connection-dialog",
    "connection-resolver",
    "dialect",
    "oauth-config",
    "resource",
    "script",
)
#: What else a rule may apply to.
SCOPES = ("connector", "trex", "archive", "signature")

#: Every module that declares rules, imported by :func:`all_rules`.
DECLARING_MODULES = (
    "connector_packager.xmlsafe",
    "connector_packager.discovery",
    "connector_packager.schemas",
    "connector_packager.validation",
    "connector_packager.results",
    "connector_packager.rules",
    "connector_packager.trex.icon",
    "connector_packager.trex.validator",
    "connector_packager.archive.input_file",
    "connector_packager.archive.zip_reader",
    "connector_packager.taco_info",
    "connector_packager.signing.algorithm_policy",
    "connector_packager.signing.cms_block",
    "connector_packager.signing.chain",
    "connector_packager.signing.timestamp",
    "connector_packager.signing.truststore",
    "connector_packager.signing.verify",
    "connector_packager.signing.sign",
)


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


@dataclass(frozen=True)
class Rule:
    """One registered check: what it is called, what it looks at, how bad it is, and why."""

    id: str
    applies_to: tuple[str, ...]
    severity: Severity
    summary: str
    doc: str
    passes: str
    fails: str
    module: str
    #: A finding of this rule means an input is missing or cannot be read, so it was not checked: the commands
    #: exit 2 for it (the tool could not do the job), not 1.
    unreadable: bool = False

    def __str__(self) -> str:
        return self.id


_CATALOGUE: dict[str, Rule] = {}


def declare(
    rule_id: str,
    applies_to: str | tuple[str, ...],
    severity: Severity,
    summary: str,
    *,
    doc: str,
    passes: str = "",
    fails: str = "",
    unreadable: bool = False,
) -> Rule:
    """Register a rule and return it; the id must be new, lower-case words joined by hyphens.

    ``summary`` is one line; ``doc`` says what the rule checks and why; ``passes`` and ``fails`` are short
    examples (the rule's tests hold the full inputs)."""
    kinds = (applies_to,) if isinstance(applies_to, str) else applies_to
    unknown = [k for k in kinds if k not in CONNECTOR_FILE_KINDS and k not in SCOPES]
    if unknown:
        raise ValueError(f"rule {rule_id}: unknown applies-to {unknown}")
    if not rule_id or rule_id != rule_id.lower() or not all(part.isalnum() for part in rule_id.split("-")):
        raise ValueError(f"rule id {rule_id!r} is not lower-case words joined by hyphens")
    if rule_id in _CATALOGUE:
        raise ValueError(f"rule {rule_id} is declared twice ({_CATALOGUE[rule_id].module})")
    module = sys._getframe(1).f_globals.get("__name__", "?")
    rule = Rule(
        rule_id, kinds, severity, " ".join(summary.split()), " ".join(doc.split()), passes, fails, module, unreadable
    )
    _CATALOGUE[rule_id] = rule
    return rule


def is_registered(rule_id: str) -> bool:
    return rule_id in _CATALOGUE


def get(rule_id: str) -> Rule:
    """The registered rule ``rule_id`` (KeyError when there is none)."""
    return _CATALOGUE[rule_id]


def all_rules() -> list[Rule]:
    """Every rule the tool can emit, sorted by id."""
    for name in DECLARING_MODULES:
        importlib.import_module(name)
    return sorted(_CATALOGUE.values(), key=lambda r: r.id)


def as_json(rules: list[Rule]) -> list[dict[str, object]]:
    return [
        {
            "id": r.id,
            "applies_to": list(r.applies_to),
            "severity": r.severity.value,
            "summary": r.summary,
            "module": r.module,
            "doc": r.doc,
            "passes": r.passes,
            "fails": r.fails,
        }
        for r in rules
    ]


def as_text(rules: list[Rule]) -> str:
    width = max((len(r.id) for r in rules), default=0)
    return "\n".join(f"{r.id:<{width}}  {r.severity.value:<7}  {', '.join(r.applies_to)}: {r.summary}" for r in rules)


def as_markdown(rules: list[Rule]) -> str:
    """docs/rules.md: a table of every rule, then each rule's documentation."""
    lines = [
        "# Rules",
        "",
        "<!-- Generated from the rule catalogue by `python -m connector_packager.catalogue > docs/rules.md`;",
        "     do not edit by hand (tests/test_catalogue.py fails when this file and the catalogue differ). -->",
        "",
        "Every finding names its rule in brackets, `[rule-id]`. Each rule is declared once, in the module",
        "named below, where its code is (search that module for the id). `connector-packager rules` prints",
        "the same list.",
        "",
        "| rule | severity | applies to | summary |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| [`{r.id}`](#{r.id}) | {r.severity.value} | {', '.join(r.applies_to)} | {_cell(r.summary)} |" for r in rules
    ]
    for r in rules:
        path = r.module.replace(".", "/") + ("/__init__" if r.module == "connector_packager.rules" else "") + ".py"
        lines += [
            "",
            f"## {r.id}",
            "",
            f"{r.severity.value}; applies to {', '.join(r.applies_to)}; declared in [`{path}`](../{path}).",
            "",
            r.summary[:1].upper() + r.summary[1:] + ". " + r.doc,
        ]
        if r.passes or r.fails:
            lines.append("")
        if r.passes:
            lines.append(f"- passes: `{r.passes}`")
        if r.fails:
            lines.append(f"- fails: `{r.fails}`")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


if __name__ == "__main__":
    # Run as a script this file is __main__, a module apart from the catalogue the rules register in.
    from connector_packager import catalogue

    sys.stdout.write(catalogue.as_markdown(catalogue.all_rules()))
