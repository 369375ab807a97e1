"""JAR manifest syntax (``META-INF/MANIFEST.MF``): sections of ``Name: value`` lines.

Lines end in CRLF and are at most 72 bytes; longer ones continue on lines
that start with a single space. A section ends with an empty line.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_LINE_BYTES = 72


def fold(line: str) -> bytes:
    """One header line, folded to 72-byte lines (never splitting a UTF-8 character), CRLF-terminated."""
    data = line.encode("utf-8")
    out = []
    limit = MAX_LINE_BYTES
    while len(data) > limit:
        cut = limit
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # do not split inside a character
            cut -= 1
        out.append(data[:cut] + b"\r\n")
        data = b" " + data[cut:]
        limit = MAX_LINE_BYTES
    out.append(data + b"\r\n")
    return b"".join(out)


def section(headers: Iterable[tuple[str, str]]) -> bytes:
    """A manifest section: the folded header lines and the empty line that ends it."""
    return b"".join(fold(f"{name}: {value}") for name, value in headers) + b"\r\n"


def main_section(created_by: str) -> bytes:
    """The main section the packager writes: manifest version and the tool that made the archive."""
    return section([("Manifest-Version", "1.0"), ("Created-By", created_by)])
