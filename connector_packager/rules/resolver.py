"""Rules for the .tdr connection resolver."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from connector_packager.connector import ConnectorFacts, ConnectorFile
from connector_packager.findings import Finding, error, warning
from connector_packager.rules import element_children, rule

ATTRIBUTE_LIST = ".//connection-normalizer/required-attributes/attribute-list"


def required_attributes(root: etree._Element) -> list[str] | None:
    """The texts of ``<attr>`` in the normalizer's attribute-list; None without a (non-empty) list."""
    attribute_list = root.find(ATTRIBUTE_LIST)
    if not element_children(attribute_list):
        return None
    assert attribute_list is not None
    return [attr.text or "" for attr in attribute_list.iter("attr")]


@rule("connection-resolver")
def tcd_needs_attribute_list(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """A connector with a .tcd dialog cannot use the inferred resolver."""
    if facts.uses_tcd and required_attributes(root) is None:
        yield error("tcd-needs-attribute-list", "connectors with a .tcd dialog cannot use the inferred connection "
                    "resolver: list connection-normalizer/required-attributes/attribute-list", file.name,
                    root.sourceline)


@rule("connection-resolver")
def fields_in_attribute_list(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """Every connection field but instanceurl is a required attribute; dbname too, where metadata needs it."""
    attributes = required_attributes(root)
    if not facts.connection_fields or attributes is None:
        return
    line = root.find(ATTRIBUTE_LIST).sourceline  # type: ignore[union-attr]
    for name in facts.connection_fields:
        if name != "instanceurl" and name not in attributes:
            yield error("field-not-in-attribute-list", f"connection field {name!r} is missing from the "
                        "required-attributes attribute-list", file.name, line)
    if facts.metadata_database and not facts.uses_tcd and "dbname" not in attributes:
        yield warning("dbname-not-in-attribute-list", "connection-metadata's database is enabled but 'dbname' is "
                      "not in the required-attributes attribute-list", file.name, line,
                      hint="add it if the connection-builder or connection-properties script uses the value")


@rule("connection-resolver")
def jdbc_connection_properties(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """A JDBC connector declares a non-empty ``<connection-properties>``."""
    if facts.is_jdbc and not element_children(root.find(".//connection-properties")):
        yield error("jdbc-connection-properties", "connectors with superclass 'jdbc' must declare a non-empty "
                    "<connection-properties> element", file.name, root.sourceline)


@rule("connection-resolver")
def attribute_list_basics(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """Warn when a listed attribute-list lacks 'authentication' or 'server'."""
    attributes = required_attributes(root)
    if attributes is None:
        return
    line = root.find(ATTRIBUTE_LIST).sourceline  # type: ignore[union-attr]
    for name in ("authentication", "server"):
        if name not in attributes:
            yield warning(f"attribute-list-lacks-{name}", f"'{name}' is missing from connection-normalizer/"
                          "required-attributes/attribute-list", file.name, line)
