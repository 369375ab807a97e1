"""Rules for the .tcd connection dialog."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from connector_packager.connector import ConnectorFacts, ConnectorFile
from connector_packager.findings import Finding
from connector_packager.rules import rule


@rule("connection-dialog")
def vendor_prompts(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """``vendor1-prompt`` .. ``vendor3-prompt`` make vendor1..3 vendor-defined fields."""
    for number in (1, 2, 3):
        if root.find(f".//connection-config/vendor{number}-prompt") is not None:
            facts.vendor_defined_fields.append(f"vendor{number}")
    yield from ()
