"""Reading a connector script without running it: its shape, the attributes it reads, the calls it makes.

Parsed with tree-sitter's JavaScript grammar (a C parser: linear in the input, no recursion in Python,
nothing executed). Files larger than :data:`MAX_SCRIPT_BYTES` are not analysed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

#: Scripts above this size are not analysed (connector scripts are a few kilobytes).
MAX_SCRIPT_BYTES = 512 * 1024
#: Globals a connector script cannot use in Tableau (the runtime makes each throw).
UNAVAILABLE_CALLS = ("require", "fetch", "XMLHttpRequest", "importScripts", "WebSocket", "EventSource")


@dataclass(frozen=True)
class Place:
    line: int
    column: int


@dataclass(frozen=True)
class AttributeRead:
    """``attr["x"]``, ``attr.x`` or ``attr[connectionHelper.attributeX]`` (``constant`` names the last)."""

    name: str | None  # None when connectionHelper has no such constant
    place: Place
    constant: str | None = None


@dataclass
class ScriptShape:
    shape_problem: str | None = None  # why the file is not one parenthesised function expression
    shape_place: Place | None = None
    reads: list[AttributeRead] = field(default_factory=list)
    log_calls: list[Place] = field(default_factory=list)
    unavailable: list[tuple[str, Place]] = field(default_factory=list)
    too_large: bool = False


@cache
def _parser() -> Any:
    import tree_sitter_javascript
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_javascript.language()))


def _place(node: Any) -> Place:
    row, column = node.start_point
    return Place(row + 1, column + 1)


def _nodes(root: Any) -> Iterator[Any]:
    """Every node below ``root`` in document order, without recursion."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _text(node: Any) -> str:
    return bytes(node.text or b"").decode("utf-8", errors="replace")


def _string_value(node: Any) -> str | None:
    if node.type != "string":
        return None
    parts = [c for c in node.children if c.type not in ('"', "'")]
    if any(c.type != "string_fragment" for c in parts):
        return None  # escapes: not worth decoding for a lint
    return "".join(_text(c) for c in parts)


def _function(root: Any) -> tuple[Any | None, str | None, Any]:
    """The single function expression of the file, or None with the reason and the node to point at."""
    statements = [c for c in root.named_children if c.type not in ("comment", "empty_statement")]
    if len(statements) != 1:
        where = statements[1] if len(statements) > 1 else root
        return None, f"the file holds {len(statements)} statements", where
    statement = statements[0]
    expression = (
        statement.named_children[0] if statement.type == "expression_statement" and statement.named_children else None
    )
    while expression is not None and expression.type == "parenthesized_expression" and expression.named_children:
        expression = expression.named_children[0]
    if expression is None or expression.type not in ("function_expression", "function", "arrow_function"):
        what = expression.type if expression is not None else statement.type
        return None, f"the file holds a {what.replace('_', ' ')}", statement
    return expression, None, statement


def analyse(source: str, constants: dict[str, str]) -> ScriptShape:
    """The shape of ``source`` and what it reads; ``constants`` are connectionHelper's attribute names."""
    shape = ScriptShape()
    data = source.encode("utf-8")
    if len(data) > MAX_SCRIPT_BYTES:
        shape.too_large = True
        return shape
    root = _parser().parse(data).root_node
    function, problem, where = _function(root)
    if problem is not None:
        shape.shape_problem, shape.shape_place = problem, _place(where)
    parameter = None
    if function is not None:
        parameters = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
        names = [
            p
            for p in (
                [parameters]
                if parameters is not None and parameters.type == "identifier"
                else (parameters.named_children if parameters is not None else [])
            )
            if p.type == "identifier"
        ]
        parameter = _text(names[0]) if names else None
    for node in _nodes(root):
        kind = node.type
        if kind == "call_expression":
            callee = node.child_by_field_name("function")
            if callee is not None and callee.type == "import":
                shape.unavailable.append(("import()", _place(node)))
            elif callee is not None and callee.type == "member_expression" and _text(callee) == "logging.Log":
                shape.log_calls.append(_place(node))
        if kind in ("identifier",) and _text(node) in UNAVAILABLE_CALLS:
            parent = node.parent
            if parent is not None and parent.type in ("call_expression", "new_expression"):
                shape.unavailable.append((_text(node), _place(node)))
        if parameter is None or kind not in ("subscript_expression", "member_expression"):
            continue
        target = node.child_by_field_name("object")
        if target is None or target.type != "identifier" or _text(target) != parameter:
            continue
        if kind == "member_expression":
            parent = node.parent
            if (
                parent is not None
                and parent.type == "call_expression"
                and parent.child_by_field_name("function") == node
            ):
                continue  # attr.hasOwnProperty(...): a method, not an attribute
            prop = node.child_by_field_name("property")
            if prop is not None:
                shape.reads.append(AttributeRead(_text(prop), _place(node)))
            continue
        index = node.child_by_field_name("index")
        if index is None:
            continue
        literal = _string_value(index)
        if literal is not None:
            shape.reads.append(AttributeRead(literal, _place(node)))
        elif index.type == "member_expression" and _text(index.child_by_field_name("object")) == "connectionHelper":
            constant = _text(index.child_by_field_name("property"))
            shape.reads.append(AttributeRead(constants.get(constant), _place(node), constant))
    return shape
