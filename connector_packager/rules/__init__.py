"""File-specific rules, one module per connector file type.

A rule is a function registered for a file type with :func:`rule`. It gets
the file's parsed root, the file, and the cross-file facts gathered so far,
and yields findings. Rules run only on files that passed their schema, in
file order, so facts from earlier files (the manifest's superclass, the
connection fields, whether a .tcd is used) are known when a later file needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lxml import etree

from connector_packager.connector import ConnectorFacts, ConnectorFile
from connector_packager.findings import Finding

Rule = Callable[[etree._Element, ConnectorFile, ConnectorFacts], Iterator[Finding]]

_RULES: dict[str, list[Rule]] = {}


def rule(kind: str) -> Callable[[Rule], Rule]:
    """Register the decorated function as a rule for files of type ``kind``."""

    def register(func: Rule) -> Rule:
        _RULES.setdefault(kind, []).append(func)
        return func

    return register


def rules_for(kind: str) -> list[Rule]:
    return list(_RULES.get(kind, ()))


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


def only_true_note(attribute: str, value: str | None) -> str:
    """For a flag Tableau reads as false although XSD reads it as true (``1``, `` true``): a sentence that
    says so, to append to a message; otherwise empty."""
    if value is None or value == "true" or value.strip() not in ("true", "1"):
        return ""
    return f" ({attribute}={value!r} is not true to Tableau's packager: only {attribute}=\"true\" counts)"


# Importing the modules registers their rules.
from connector_packager.rules import (  # noqa: E402
    connection_fields,
    connection_metadata,
    dialect,
    dialog,
    manifest,
    resolver,
)

__all__ = [
    "Rule",
    "connection_fields",
    "connection_metadata",
    "dialect",
    "dialog",
    "element_children",
    "is_true",
    "manifest",
    "only_true_note",
    "resolver",
    "rule",
    "rules_for",
]
