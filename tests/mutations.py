"""Byte-level edits of sample files, shared by the property tests: delete, duplicate or rename an element or
an attribute, add an attribute (some in the xsi: and xml: namespaces), add a comment or a processing
instruction inside an element, truncate, inject bytes."""

from __future__ import annotations

import re

from hypothesis import strategies as st

TAG = re.compile(rb"<([A-Za-z][\w.-]*)[^<>]*?(/>|>.*?</\1>)", re.DOTALL)
ATTR = re.compile(rb'\s[\w:-]+="[^"]*"')
TEXT = re.compile(rb">([^<>]*)<")
XSI = b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
EXTRA_ATTRIBUTES = [
    XSI + b' xsi:type="en"',
    XSI + b' xsi:type="xs:string"',
    XSI + b' xsi:nil="true"',
    XSI + b' xsi:noNamespaceSchemaLocation="http://127.0.0.1:9/x.xsd"',
    b' xml:space="x"',
    b' xml:lang="en"',
    b' bogus="1"',
    b' class="other"',
]

#: One edit: (kind, a number that picks where, bytes to inject).
mutation = st.tuples(
    st.sampled_from(
        [
            "delete-element",
            "duplicate-element",
            "rename-element",
            "delete-attribute",
            "duplicate-attribute",
            "rename-attribute",
            "add-attribute",
            "add-comment",
            "add-pi",
            "truncate",
            "inject",
        ]
    ),
    st.integers(min_value=0, max_value=10_000),
    st.binary(min_size=1, max_size=16),
)


def mutate(data: bytes, kind: str, pick: int, junk: bytes) -> bytes:
    if kind == "truncate":
        return data[: pick % (len(data) + 1)]
    if kind == "inject":
        at = pick % (len(data) + 1)
        return data[:at] + junk + data[at:]
    if kind in ("add-comment", "add-pi"):
        runs = list(TEXT.finditer(data))  # text between tags: element text, or whitespace between elements
        if not runs:
            return data
        run = runs[pick % len(runs)]
        at = run.start(1) + pick % (len(run.group(1)) + 1)
        if b"&" in data[run.start(1) : at] and b";" not in data[data.rindex(b"&", 0, at) : at]:
            at = run.start(1)  # not inside an entity reference
        return data[:at] + (b"<!-- note -->" if kind == "add-comment" else b"<?note x?>") + data[at:]
    pattern = TAG if kind.endswith("element") or kind == "add-attribute" else ATTR
    matches = list(pattern.finditer(data))
    if not matches:
        return data
    m = matches[pick % len(matches)]
    if kind == "add-attribute":
        at = m.start() + 1 + len(m.group(1))
        return data[:at] + EXTRA_ATTRIBUTES[pick % len(EXTRA_ATTRIBUTES)] + data[at:]
    if kind.startswith("delete"):
        return data[: m.start()] + data[m.end() :]
    if kind.startswith("duplicate"):
        return data[: m.end()] + m.group(0) + data[m.end() :]
    # rename: change the first character of the name (after '<' or the leading space)
    start = m.start() + 1
    return data[:start] + b"z" + data[start + 1 :]
