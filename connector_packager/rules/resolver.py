"""Rules for the .tdr connection resolver."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from connector_packager.catalogue import Severity, declare
from connector_packager.connector import ConnectorFacts, ConnectorFile
from connector_packager.findings import Finding, error, warning
from connector_packager.rules import element_children, rule

ATTRIBUTE_LIST = ".//connection-normalizer/required-attributes/attribute-list"

TCD_NEEDS_ATTRIBUTE_LIST = declare(
    "tcd-needs-attribute-list",
    "connection-resolver",
    Severity.ERROR,
    "a connector with a .tcd dialog lists its required attributes",
    doc="Without an attribute-list Tableau infers the required attributes from the connection fields, which "
    "a .tcd (connection dialogs v1) does not have; Tableau's packager refuses it.",
    passes="<connection-normalizer><required-attributes><attribute-list><attr>server</attr>...",
    fails="a .tcd dialog and a .tdr with no <attribute-list>",
)
FIELD_NOT_IN_ATTRIBUTE_LIST = declare(
    "field-not-in-attribute-list",
    "connection-resolver",
    Severity.ERROR,
    "every connection field but instanceurl is in the attribute-list",
    doc="Attributes left out of the list are not part of the connection's identity: two connections that differ "
    "only there would be pooled together. Tableau's packager refuses it.",
    passes='<field name="v-db" .../> and <attr>v-db</attr>',
    fails='<field name="v-db" .../> and no <attr>v-db</attr>',
)
DBNAME_NOT_IN_ATTRIBUTE_LIST = declare(
    "dbname-not-in-attribute-list",
    "connection-resolver",
    Severity.WARNING,
    "dbname is in the attribute-list when connection-metadata's database is on",
    doc="With the metadata database enabled the dialog provides dbname; the scripts then usually read it, so "
    "it should be part of the connection's identity.",
    passes="<attr>dbname</attr>",
    fails="connection fields, metadata database on, and no <attr>dbname</attr>",
)
JDBC_CONNECTION_PROPERTIES = declare(
    "jdbc-connection-properties",
    "connection-resolver",
    Severity.ERROR,
    "a JDBC connector's resolver has a non-empty <connection-properties>",
    doc="A connector with superclass jdbc passes its properties to the driver through the "
    "connection-properties script; Tableau's packager refuses a JDBC connector without one.",
    passes='<connection-properties><script file="properties.js"/></connection-properties>',
    fails='superclass="jdbc" and no <connection-properties>',
)
ATTRIBUTE_LIST_LACKS_AUTHENTICATION = declare(
    "attribute-list-lacks-authentication",
    "connection-resolver",
    Severity.WARNING,
    "the attribute-list names authentication",
    doc="Connections that differ only in their authentication mode would be pooled together.",
    passes="<attr>authentication</attr>",
    fails="an <attribute-list> without <attr>authentication</attr>",
)
ATTRIBUTE_LIST_LACKS_SERVER = declare(
    "attribute-list-lacks-server",
    "connection-resolver",
    Severity.WARNING,
    "the attribute-list names server",
    doc="Connections to different servers would be pooled together.",
    passes="<attr>server</attr>",
    fails="an <attribute-list> without <attr>server</attr>",
)


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
        yield error(
            TCD_NEEDS_ATTRIBUTE_LIST,
            "connectors with a .tcd dialog cannot use the inferred connection "
            "resolver: list connection-normalizer/required-attributes/attribute-list",
            file.name,
            root.sourceline,
        )


@rule("connection-resolver")
def fields_in_attribute_list(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """Every connection field but instanceurl is a required attribute; dbname too, where metadata needs it."""
    attributes = required_attributes(root)
    if not facts.connection_fields or attributes is None:
        return
    line = root.find(ATTRIBUTE_LIST).sourceline  # type: ignore[union-attr]
    for name in facts.connection_fields:
        if name != "instanceurl" and name not in attributes:
            yield error(
                FIELD_NOT_IN_ATTRIBUTE_LIST,
                f"connection field {name!r} is missing from the required-attributes attribute-list",
                file.name,
                line,
            )
    if facts.metadata_database and not facts.uses_tcd and "dbname" not in attributes:
        yield warning(
            DBNAME_NOT_IN_ATTRIBUTE_LIST,
            "connection-metadata's database is enabled but 'dbname' is not in the required-attributes attribute-list",
            file.name,
            line,
            hint="add it if the connection-builder or connection-properties script uses the value",
        )


@rule("connection-resolver")
def jdbc_connection_properties(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """A JDBC connector declares a non-empty ``<connection-properties>``."""
    if facts.is_jdbc and not element_children(root.find(".//connection-properties")):
        yield error(
            JDBC_CONNECTION_PROPERTIES,
            "connectors with superclass 'jdbc' must declare a non-empty <connection-properties> element",
            file.name,
            root.sourceline,
        )


@rule("connection-resolver")
def attribute_list_basics(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """Warn when a listed attribute-list lacks 'authentication' or 'server'."""
    attributes = required_attributes(root)
    if attributes is None:
        return
    line = root.find(ATTRIBUTE_LIST).sourceline  # type: ignore[union-attr]
    for name, lacks in (
        ("authentication", ATTRIBUTE_LIST_LACKS_AUTHENTICATION),
        ("server", ATTRIBUTE_LIST_LACKS_SERVER),
    ):
        if name not in attributes:
            yield warning(
                lacks,
                f"'{name}' is missing from connection-normalizer/required-attributes/attribute-list",
                file.name,
                line,
            )
