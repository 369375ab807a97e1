"""Rules for the .tdd dialect."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from connector_packager.connector import ConnectorFacts, ConnectorFile
from connector_packager.findings import Finding, warning
from connector_packager.rules import rule


@rule("dialect")
def default_sql_dialect_base(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """Inheriting from DefaultSQLDialect works but is discouraged (warning)."""
    if root.get("base") == "DefaultSQLDialect":
        yield warning("dialect-default-base", "DefaultSQLDialect is not a recommended base to inherit from",
                      file.name, root.sourceline,
                      hint="see https://tableau.github.io/connector-plugin-sdk/docs/design#choose-a-dialect")
