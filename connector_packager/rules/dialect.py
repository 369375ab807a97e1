"""Rules for the .tdd dialect."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from connector_packager.catalogue import Severity, declare
from connector_packager.connector import ConnectorFacts, ConnectorFile
from connector_packager.findings import Finding, warning
from connector_packager.rules import rule

DIALECT_DEFAULT_BASE = declare(
    "dialect-default-base",
    "dialect",
    Severity.WARNING,
    "the dialect does not inherit from DefaultSQLDialect",
    doc="DefaultSQLDialect works but generates generic SQL; the SDK recommends the dialect closest to the "
    "database's (see 'Choose a dialect' in the SDK documentation).",
    passes='<dialect base="PostgreSQL90Dialect" ...>',
    fails='<dialect base="DefaultSQLDialect" ...>',
)


@rule("dialect")
def default_sql_dialect_base(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """Inheriting from DefaultSQLDialect works but is discouraged (warning)."""
    if root.get("base") == "DefaultSQLDialect":
        yield warning(
            DIALECT_DEFAULT_BASE,
            "DefaultSQLDialect is not a recommended base to inherit from",
            file.name,
            root.sourceline,
            hint="see https://tableau.github.io/connector-plugin-sdk/docs/design#choose-a-dialect",
        )
