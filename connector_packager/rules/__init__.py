"""Connector rules, one module per connector file type (and one for scripts).

Each module declares its rules in the catalogue (catalogue.py: id, applies-to,
severity, summary, documentation) at its top, and holds the checks that emit
them. A check is a function registered for a file type with :func:`rule`. It
gets the file's parsed root, the file, and the cross-file facts (facts.py,
gathered before any rule runs, as known once that file is read), and yields
findings. Checks run only on files that passed their schema, in file order.

A check that needs several files at once (a script and the fields it reads) is
registered with :func:`connector_rule`; it gets the whole report once every file
has been checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lxml import etree

from connector_packager.connector import ConnectorFacts, ConnectorFile, Report
from connector_packager.findings import Finding

Rule = Callable[[etree._Element, ConnectorFile, ConnectorFacts], Iterator[Finding]]
ConnectorRule = Callable[[Report], Iterator[Finding]]

_RULES: dict[str, list[Rule]] = {}
_CONNECTOR_RULES: list[ConnectorRule] = []


def rule(kind: str) -> Callable[[Rule], Rule]:
    """Register the decorated function as a check of files of type ``kind``."""

    def register(func: Rule) -> Rule:
        _RULES.setdefault(kind, []).append(func)
        return func

    return register


def rules_for(kind: str) -> list[Rule]:
    return list(_RULES.get(kind, ()))


def connector_rule(func: ConnectorRule) -> ConnectorRule:
    """Register the decorated function as a check over the whole checked connector."""
    _CONNECTOR_RULES.append(func)
    return func


def connector_rules() -> list[ConnectorRule]:
    return list(_CONNECTOR_RULES)


def element_children(el: etree._Element | None) -> list[etree._Element]:
    """Child elements only (comments and processing instructions do not count)."""
    if el is None:
        return []
    return [child for child in el if isinstance(child.tag, str)]


def is_true(value: str | None, default: bool) -> bool:
    """A flag attribute as Tableau's packager reads it: only the literal string ``true`` is true (``1`` and
    `` true`` are not, although XSD's boolean allows them); ``default`` when the attribute is absent."""
    if value is None:
        return default
    return value == "true"


def xs_boolean(value: str | None, default: bool) -> bool:
    """A flag attribute read as an XSD boolean (``true``/``1``/``false``/``0``, spaces trimmed), or ``default`` when
    absent: how the connection dialog preview reads flags (inferred: Tableau's runtime reading is not documented;
    the packager's verdicts use :func:`is_true`)."""
    if value is None:
        return default
    return value.strip() in ("true", "1")


def only_true_note(attribute: str, value: str | None) -> str:
    """For a flag Tableau reads as false although XSD reads it as true (``1``, `` true``): a sentence that
    says so, to append to a message; otherwise empty."""
    if value is None or value == "true" or value.strip() not in ("true", "1"):
        return ""
    return f' ({attribute}={value!r} is not true to Tableau\'s packager: only {attribute}="true" counts)'


# Importing the modules registers their rules.
from connector_packager.rules import (  # noqa: E402
    connection_fields,
    dialect,
    field_logic,
    manifest,
    resolver,
    scripts,
)

__all__ = [
    "ConnectorRule",
    "Rule",
    "connection_fields",
    "connector_rule",
    "connector_rules",
    "dialect",
    "element_children",
    "field_logic",
    "is_true",
    "manifest",
    "only_true_note",
    "resolver",
    "rule",
    "rules_for",
    "scripts",
    "xs_boolean",
]
