"""Checking a connector folder: discovery, schemas, facts, file rules, connector rules, minimum Tableau version."""

from __future__ import annotations

import logging
from pathlib import Path

from connector_packager import findings as fnd
from connector_packager.connector import ConnectorFacts, ConnectorFile, Report
from connector_packager.discovery import discover
from connector_packager.facts import gather_facts
from connector_packager.findings import Finding
from connector_packager.min_version import minimum_tableau_version
from connector_packager.rules import connector_rules, rules_for
from connector_packager.schemas import NO_SCHEMA, SCHEMA, XSD_FOR_TYPE, violations

log = logging.getLogger("connector_packager")


def check_connector(folder: Path, *, backwards_compatible: bool = False) -> Report:
    """Check the connector in ``folder``; never raises for a bad connector, never writes anything.

    Discovery (which parses every XML file), then each XML file against its schema, then the facts
    (facts.py), then the rules of each file in file order, then the rules over the whole connector."""
    report = Report(folder=folder, facts=ConnectorFacts(backwards_compatible=backwards_compatible))
    discover(folder, report)
    schema_findings = {file.name: _schema_findings(file) for file in report.files if file.is_xml}
    valid = {name for name, found in schema_findings.items() if not found}
    facts_at = gather_facts(report.files, valid, report.facts)
    for file in report.files:
        if not file.is_xml:
            continue
        report.findings.extend(schema_findings[file.name])
        if file.name in valid and file.tree is not None:
            root = file.tree.getroot()
            for rule in rules_for(file.kind):
                report.findings.extend(rule(root, file, facts_at[file.name]))
    for connector_rule in connector_rules():
        report.findings.extend(connector_rule(report))
    if report.ok:
        report.min_version, report.min_version_reasons = minimum_tableau_version(report)
    return report


def _schema_findings(file: ConnectorFile) -> list[Finding]:
    """The file against the schema of its kind: a finding per violation; one when its kind has no schema."""
    schema = XSD_FOR_TYPE.get(file.kind)
    if schema is None:
        return [
            fnd.error(
                NO_SCHEMA,
                f"{file.name} is referenced as <{file.kind}>, a file type with no schema to validate it against",
                file.name,
            )
        ]
    if file.tree is None:
        return []  # not readable as XML: already reported, and no rule runs on it
    log.debug("Validating %s against %s", file.name, schema)
    return [
        fnd.error(
            SCHEMA,
            f"{file.name} does not match {schema}: {problem.message}",
            file.name,
            problem.line,
            hint=problem.hint,
        )
        for problem in violations(schema, file.tree)
    ]
