"""Rules for manifest.xml."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from connector_packager.connector import ConnectorFacts, ConnectorFile
from connector_packager.findings import Finding, warning
from connector_packager.rules import rule


@rule("manifest")
def superclass_jdbc(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """``superclass="jdbc"`` marks a JDBC connector (its resolver then needs connection-properties)."""
    if root.get("superclass") == "jdbc":
        facts.is_jdbc = True
    yield from ()


@rule("manifest")
def one_dialog_kind(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """A manifest names a .tcd dialog or connection fields, not both (Tableau refuses both)."""
    dialog, fields = root.find("connection-dialog"), root.find("connection-fields")
    if dialog is not None and fields is not None:
        yield warning("dialog-and-fields-both", "the manifest names both <connection-dialog> and "
                      "<connection-fields>; Tableau refuses a connector with both", file.name, fields.sourceline,
                      hint="keep <connection-fields> (connection dialogs v2) and remove the .tcd")
