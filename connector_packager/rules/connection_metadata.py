"""Rules for the connection-metadata file."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from connector_packager.connector import ConnectorFacts, ConnectorFile
from connector_packager.findings import Finding
from connector_packager.rules import rule


@rule("connection-metadata")
def database_enabled(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """A ``<database enabled=...>`` other than "true" turns the metadata database off."""
    for database in root.iter("database"):
        enabled = database.get("enabled")
        if enabled is not None and enabled != "true":
            facts.metadata_database = False
    yield from ()
