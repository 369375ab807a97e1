"""Gathering the cross-file facts rules need, in one explicit step before any rule runs.

Facts are read in file order (the order discovery lists the files in), from files that passed their
schema, except that any referenced .tcd marks the connector as using one. Tableau's packager learns
them while it checks files in that order, so a rule of a file sees the facts of the files before it and
of the file itself, not of later ones: :func:`gather_facts` returns that view for each file, and the
facts of the whole connector for rules over the connector.
"""

from __future__ import annotations

import dataclasses

from lxml import etree

from connector_packager.connector import ConnectorFacts, ConnectorFile

#: Field names that are vendor-defined without the ``v-`` prefix.
VENDOR_FIELD_NAMES = frozenset({"vendor1", "vendor2", "vendor3"})
VENDOR_PREFIX = "v-"


def gather_facts(files: list[ConnectorFile], valid: set[str], facts: ConnectorFacts) -> dict[str, ConnectorFacts]:
    """Fill ``facts`` from ``files`` (``valid``: the names of those that passed their schema) and return, for
    each file name, the facts as known once that file is read."""
    seen: dict[str, ConnectorFacts] = {}
    for file in files:
        if file.kind == "connection-dialog":
            facts.uses_tcd = True
        if file.name in valid and file.tree is not None:
            _learn(file.kind, file.tree.getroot(), facts)
        seen[file.name] = dataclasses.replace(
            facts,
            connection_fields=list(facts.connection_fields),
            vendor_defined_fields=list(facts.vendor_defined_fields),
        )
    return seen


def _learn(kind: str, root: etree._Element, facts: ConnectorFacts) -> None:
    if kind == "manifest" and root.get("superclass") == "jdbc":
        facts.is_jdbc = True  # its resolver then needs connection-properties
    elif kind == "connection-fields":
        for field in root.iter("field"):
            name = field.get("name")
            if name is None:
                continue
            facts.connection_fields.append(name)
            if name in VENDOR_FIELD_NAMES or name.startswith(VENDOR_PREFIX):
                facts.vendor_defined_fields.append(name)
    elif kind == "connection-dialog":
        # vendor1-prompt .. vendor3-prompt make vendor1..3 vendor-defined fields
        for number in (1, 2, 3):
            if root.find(f".//connection-config/vendor{number}-prompt") is not None:
                facts.vendor_defined_fields.append(f"vendor{number}")
    elif kind == "connection-metadata" and any(db.get("enabled") not in (None, "true") for db in root.iter("database")):
        facts.metadata_database = False  # a <database enabled=...> other than "true" turns it off
