"""Byte-level edits of sample files, shared by the property tests: delete, duplicate or rename an element or
an attribute, truncate, inject bytes."""

from __future__ import annotations

import re

from hypothesis import strategies as st

TAG = re.compile(rb"<([A-Za-z][\w.-]*)[^<>]*?(/>|>.*?</\1>)", re.DOTALL)
ATTR = re.compile(rb'\s[\w:-]+="[^"]*"')

#: One edit: (kind, a number that picks where, bytes to inject).
mutation = st.tuples(
    st.sampled_from(["delete-element", "duplicate-element", "rename-element", "delete-attribute",
                     "duplicate-attribute", "rename-attribute", "truncate", "inject"]),
    st.integers(min_value=0, max_value=10_000),
    st.binary(min_size=1, max_size=16),
)


def mutate(data: bytes, kind: str, pick: int, junk: bytes) -> bytes:
    if kind == "truncate":
        return data[: pick % (len(data) + 1)]
    if kind == "inject":
        at = pick % (len(data) + 1)
        return data[:at] + junk + data[at:]
    pattern = TAG if kind.endswith("element") else ATTR
    matches = list(pattern.finditer(data))
    if not matches:
        return data
    m = matches[pick % len(matches)]
    if kind.startswith("delete"):
        return data[: m.start()] + data[m.end():]
    if kind.startswith("duplicate"):
        return data[: m.end()] + m.group(0) + data[m.end():]
    # rename: change the first character of the name (after '<' or the leading space)
    start = m.start() + 1
    return data[:start] + b"z" + data[start + 1:]
