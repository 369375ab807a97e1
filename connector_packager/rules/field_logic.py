"""Warnings about the logic of connection fields: conditions and boolean defaults.

Tableau refuses a dialog whose conditions name unknown fields or go round in a circle; its packager does
not check either, so these are warnings (the verdict stays the packager's).
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterator

from lxml import etree

from connector_packager.catalogue import Severity, declare
from connector_packager.connector import ConnectorFacts, ConnectorFile
from connector_packager.findings import Finding, warning
from connector_packager.rules import rule

CONDITION_UNKNOWN_FIELD = declare(
    "condition-unknown-field",
    "connection-fields",
    Severity.WARNING,
    "a condition names a field of the same dialog",
    doc="Tableau refuses a dialog whose conditions name an unknown field; its packager does not check it, "
    "so this is a warning (the verdict stays the packager's). A close field name is given as a hint.",
    passes='<condition field="authentication" value="oauth"/>',
    fails='<condition field="authentcation" value="oauth"/>',
)
CONDITION_CIRCULAR = declare(
    "condition-circular",
    "connection-fields",
    Severity.WARNING,
    "conditions do not go round in a circle",
    doc="A field shown depending, in the end, on itself is never shown; Tableau refuses the dialog, its "
    "packager does not check it (a warning).",
    passes="v-a depends on v-b",
    fails="v-a depends on v-b and v-b on v-a",
)
BOOLEAN_DEFAULT_NOT_OPTION = declare(
    "boolean-default-not-option",
    "connection-fields",
    Severity.WARNING,
    "a boolean field's default-value is its true-value or its false-value",
    doc="A default that is neither option leaves the checkbox in no state Tableau can show.",
    passes='default-value="yes" with <true-value value="yes"/>',
    fails='default-value="true" with <true-value value="yes"/>',
)


def _field_conditions(field: etree._Element) -> list[etree._Element]:
    """The conditions of a field and of its selection groups."""
    return [
        c
        for holder in (field, *field.findall("selection-group"))
        for conditions in holder.findall("conditions")
        for c in conditions.iter("condition")
    ]


@rule("connection-fields")
def condition_fields_exist(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """A condition names a field of the same dialog."""
    names = [f.get("name") or "" for f in root.iter("field")]
    for field in root.iter("field"):
        for condition in _field_conditions(field):
            target = condition.get("field") or ""
            if target not in names:
                close = difflib.get_close_matches(target, names, n=1)
                yield warning(
                    CONDITION_UNKNOWN_FIELD,
                    f"field {field.get('name')!r} has a condition on "
                    f"{target!r}, which is not a field of this dialog (Tableau refuses the connector)",
                    file.name,
                    condition.sourceline,
                    hint=f"did you mean {close[0]!r}?" if close else None,
                )


def _strongly_connected(depends: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components of the graph (Tarjan's algorithm with an explicit stack: linear)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in depends:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, next_edge = work.pop()
            if next_edge == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = depends.get(node, [])
            if next_edge < len(targets):
                work.append((node, next_edge + 1))
                target = targets[next_edge]
                if target not in depends:
                    continue
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _cycle_through(start: str, members: set[str], depends: dict[str, list[str]]) -> list[str] | None:
    """A shortest path from ``start`` back to itself inside ``members`` (breadth first), or None."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        name = queue.popleft()
        for target in depends.get(name, []):
            if target == start:
                path = [name]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target in members and target not in came_from:
                came_from[target] = name
                queue.append(target)
    return None


@rule("connection-fields")
def conditions_not_circular(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """Conditions do not go round in a circle (a field shown depending, in the end, on itself).

    One warning per group of fields that depend on each other, showing one shortest circle through the first
    of them in document order; linear in the number of conditions, whatever the dialog holds.
    """
    depends: dict[str, list[str]] = {}
    lines: dict[str, int | None] = {}
    for field in root.iter("field"):
        name = field.get("name") or ""
        depends.setdefault(name, []).extend(c.get("field") or "" for c in _field_conditions(field))
        lines.setdefault(name, field.sourceline)
    order = {name: position for position, name in enumerate(depends)}
    for component in sorted(_strongly_connected(depends), key=lambda c: min(order[n] for n in c)):
        start = min(component, key=order.__getitem__)
        cycle = _cycle_through(start, set(component), depends)
        if cycle is not None:
            yield warning(
                CONDITION_CIRCULAR,
                "circular conditions: " + " -> ".join(cycle) + " (Tableau refuses the connector)",
                file.name,
                lines.get(start),
            )


@rule("connection-fields")
def boolean_default_is_an_option(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """A boolean field's default-value is its true-value or its false-value."""
    for field in root.iter("field"):
        default = field.get("default-value")
        if field.get("value-type") != "boolean" or default is None:
            continue
        values = [
            el.get("value")
            for el in (field.find("boolean-options/true-value"), field.find("boolean-options/false-value"))
            if el is not None
        ]
        if default not in values:
            yield warning(
                BOOLEAN_DEFAULT_NOT_OPTION,
                f"boolean field {field.get('name')!r} has default-value "
                f"{default!r}, which is neither its true-value nor its false-value "
                f"({', '.join(repr(v) for v in values)})",
                file.name,
                field.sourceline,
            )
