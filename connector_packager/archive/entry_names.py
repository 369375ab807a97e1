"""Which entry names a .taco may hold, and how any name is shown so that it cannot forge output."""

from __future__ import annotations

import re

#: Deeper paths are refused: a connector never nests its files this deep, and unpacking one must stay bounded.
MAX_NAME_DEPTH = 64
#: The longest path component, in bytes, that common file systems store (NAME_MAX): a connector folder cannot hold
#: a longer one, so no packager writes it.
MAX_COMPONENT_BYTES = 255

_DRIVE = re.compile(r"[A-Za-z]:")


def shown(text: str) -> str:
    """``text`` with every character that is not printable (control characters, line and paragraph separators,
    bidirectional overrides and other format characters) written as a ``\\x``/``\\u`` escape, so that what a name
    holds can neither break a line nor reorder what is displayed around it. Showing shown text changes nothing, so
    messages that already show a name can be shown again as a whole. (Backslashes are left alone: the reader refuses
    names that hold one.)"""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def quoted(name: str) -> str:
    """``name`` shown (:func:`shown`) between single quotes, as messages name entries."""
    return f"'{shown(name)}'"


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def name_problem(name: str) -> str | None:
    """Why ``name`` (decoded) is refused as an entry name, or None. Directory names end with ``/``."""
    if not name:
        return "is empty"
    odd = next((c for c in name if not c.isprintable()), None)
    if odd is not None:
        return f"holds the unprintable character U+{ord(odd):04X}"
    if "\\" in name:
        return "holds a backslash (a path separator on Windows)"
    if name.startswith("/"):
        return "is an absolute path"
    if _DRIVE.match(name):
        return "starts with a drive letter"
    parts = (name[:-1] if name.endswith("/") else name).split("/")
    for part, problem in (
        ("..", "has a '..' component"),
        (".", "has a '.' component"),
        ("", "has an empty component ('//')"),
    ):
        if part in parts:
            return problem
    if len(parts) > MAX_NAME_DEPTH:
        return f"is {len(parts)} levels deep (more than {MAX_NAME_DEPTH})"
    if any(len(part.encode("utf-8")) > MAX_COMPONENT_BYTES for part in parts):
        return f"has a component longer than {MAX_COMPONENT_BYTES} bytes"
    return None


def case_collisions(names: list[str]) -> list[list[str]]:
    """The groups of names that differ only in case (one file when unpacked on Windows or macOS)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.casefold(), []).append(name)
    return [group for group in groups.values() if len(group) > 1]
