"""Rules for manifest.xml."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from connector_packager.connector import ConnectorFacts, ConnectorFile, Report
from connector_packager.findings import Finding, warning
from connector_packager.rules import connector_rule, rule


@rule("manifest")
def superclass_jdbc(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """``superclass="jdbc"`` marks a JDBC connector (its resolver then needs connection-properties)."""
    if root.get("superclass") == "jdbc":
        facts.is_jdbc = True
    yield from ()



@connector_rule
def one_dialog_kind(report: Report) -> Iterator[Finding]:
    """A manifest names a .tcd dialog or connection fields, not both (Tableau refuses both).

    The schema refuses it too, as "unexpected child"; this says why. A connector rule, so that it runs
    although the manifest failed its schema.
    """
    manifest = report.manifest
    if manifest is None or manifest.tree is None:
        return
    root = manifest.tree.getroot()
    dialog, fields = root.find("connection-dialog"), root.find("connection-fields")
    if dialog is not None and fields is not None:
        yield warning("dialog-and-fields-both", "the manifest names both <connection-dialog> and "
                      "<connection-fields>; Tableau refuses a connector with both", manifest.name,
                      dialog.sourceline, hint="keep <connection-fields> (connection dialogs v2) and remove the .tcd")
