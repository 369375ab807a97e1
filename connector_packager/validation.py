"""Checking a connector folder: discovery, schemas, file rules, minimum Tableau version."""

from __future__ import annotations

import logging
from pathlib import Path

from connector_packager import findings as fnd
from connector_packager.connector import ConnectorFacts, Report
from connector_packager.discovery import discover
from connector_packager.min_version import minimum_tableau_version
from connector_packager.rules import connector_rules, rules_for
from connector_packager.schemas import XSD_FOR_TYPE, violations

log = logging.getLogger("connector_packager")


def check_connector(folder: Path, *, backwards_compatible: bool = False) -> Report:
    """Check the connector in ``folder``; never raises for a bad connector, never writes anything."""
    report = Report(folder=folder, facts=ConnectorFacts(backwards_compatible=backwards_compatible))
    discover(folder, report)
    _validate_files(report)
    for rule in connector_rules():
        report.findings.extend(rule(report))
    if report.ok:
        report.min_version, report.min_version_reasons = minimum_tableau_version(report)
    return report


def _validate_files(report: Report) -> None:
    """Schema and file rules for every XML file, in file order (the order facts flow in)."""
    facts = report.facts
    for file in report.files:
        if not file.is_xml:
            continue
        if file.kind == "connection-dialog":
            facts.uses_tcd = True
        schema = XSD_FOR_TYPE.get(file.kind)
        if schema is None:
            report.findings.append(fnd.error("no-schema", f"{file.name} is referenced as <{file.kind}>, a file "
                                             "type with no schema to validate it against", file.name))
            continue
        if file.tree is None:
            continue  # not readable as XML: already reported
        log.debug("Validating %s against %s", file.name, schema)
        problems = violations(schema, file.tree)
        for problem in problems:
            report.findings.append(fnd.error("xsd", f"{file.name} does not match {schema}: {problem.message}",
                                             file.name, problem.line, hint=problem.hint))
        if problems:
            continue
        root = file.tree.getroot()
        for rule in rules_for(file.kind):
            report.findings.extend(rule(root, file, facts))
