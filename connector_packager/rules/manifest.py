"""Rules for manifest.xml."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from connector_packager.connector import ConnectorFacts, ConnectorFile
from connector_packager.findings import Finding
from connector_packager.rules import rule


@rule("manifest")
def superclass_jdbc(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """``superclass="jdbc"`` marks a JDBC connector (its resolver then needs connection-properties)."""
    if root.get("superclass") == "jdbc":
        facts.is_jdbc = True
    yield from ()
