"""The JAR manifest (``META-INF/MANIFEST.MF``), read and written: sections of ``Name: value`` lines.

What we write: lines end in CRLF and are at most 72 bytes; longer ones
continue on lines that start with a single space; a section ends with an empty
line. What we read, as ``java.util.jar.Manifest`` reads it: see
:func:`parse_sections`. The .SF signature files use the same syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

JAR_DIR = "META-INF/"
JAR_MANIFEST = "META-INF/MANIFEST.MF"

MAX_LINE_BYTES = 72
#: The JDK's cap on the manifest, a .SF file and a signature block (``jdk.jar.maxSignatureFileSize``, default
#: since JDK 17.0.8.1); larger ones make Java refuse the archive.
MAX_SIGNATURE_FILE_BYTES = 16_000_000
#: Java reads manifest lines into a 512-byte buffer, the line end included; a longer line is "line too long".
MAX_LINE_WITH_END = 512
#: Cap on the lines of a manifest or .SF file (Java has none; a .taco needs a few per file), counted before any
#: line is looked at, so that the work per line stays bounded.
MAX_LINES = 100_000
#: A header line: its name, then ": ", then its value up to the line end.
_HEADER = re.compile(rb"([A-Za-z0-9_-]{1,70}): ([^\r\n]*)(?:\r\n|\r|\n)?")
_LINE_END_BYTES = b"\r\n"


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


class ManifestSyntaxError(ValueError):
    """A manifest or signature file that Java would not read (or would read otherwise than we do)."""


@dataclass(frozen=True)
class Section:
    """One section: its exact bytes (with the empty line that ends it) and its headers, continuations joined."""

    raw: bytes
    headers: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        """The header's value; the last one when it is given twice, as Java keeps it."""
        lowered = key.lower()
        return next((value for name, value in reversed(self.headers) if name.lower() == lowered), None)

    @property
    def name(self) -> str | None:
        return self.get("Name")

    def digests(self, suffix: str = "-Digest") -> dict[str, str]:
        """``{algorithm: base64 value}`` for headers named ``<algorithm><suffix>`` (the last of each)."""
        found = {}
        for name, value in self.headers:
            if name.upper().endswith(suffix.upper()):
                found[name[: -len(suffix)].upper()] = value
        return found


def parse_sections(data: bytes) -> list[Section]:
    """Split manifest-syntax bytes into sections, with Java's rules; the first is the main section.

    As ``java.util.jar.Manifest`` reads it: lines end in CRLF, LF or CR and are at most 512 bytes with their end;
    a header is ``Name: value`` with a name of 1 to 70 letters, digits, ``-`` or ``_``; a line starting with a space
    continues the header before it; an empty line ends a section; every section after the main one starts with
    ``Name:``, and empty lines between sections are skipped. Time and memory are linear in the size of ``data``.
    """
    if len(data) > MAX_SIGNATURE_FILE_BYTES:
        raise ManifestSyntaxError(f"it is {len(data)} bytes, more than Java reads ({MAX_SIGNATURE_FILE_BYTES})")
    if not data:
        raise ManifestSyntaxError("it is empty")
    if data.count(b"\n") + data.count(b"\r") > MAX_LINES * 2:  # a quick bound first; CRLF counts twice
        raise ManifestSyntaxError(f"it has more than {MAX_LINES} lines; a .taco's manifest has a few per file")
    lines = data.splitlines(keepends=True)
    if len(lines) > MAX_LINES:
        raise ManifestSyntaxError(
            f"it has {len(lines)} lines, more than {MAX_LINES}; a .taco's manifest has a few per file"
        )
    if not lines[-1].endswith((b"\r", b"\n")):
        raise ManifestSyntaxError("its last line has no line end (Java ignores such a line)")
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))
    if len(lines[longest]) > MAX_LINE_WITH_END:
        raise ManifestSyntaxError(
            f"line {longest + 1} is longer than {MAX_LINE_WITH_END} bytes with its line end, which Java does not read"
        )
    sections: list[Section] = []
    headers: list[bytes] = []  # a continued header is joined once its section ends, so that joining stays linear
    start = pos = 0
    for number, line in enumerate(lines, 1):
        pos += len(line)
        if line[0] == 0x20:  # a space: the header before goes on
            if not headers:
                raise ManifestSyntaxError(f"line {number} continues no header")
            headers.append(line)
        elif line[0] not in _LINE_END_BYTES:
            headers.append(line)
        elif headers or not sections:  # an empty line ends a section (the main section may be empty)
            sections.append(_section(data[start:pos], headers, not sections))
            headers = []
        if not headers:
            start = pos
    if headers:
        sections.append(_section(data[start:], headers, not sections))
    return sections


def _section(raw: bytes, lines: list[bytes], main: bool) -> Section:
    if any(line[0] == 0x20 for line in lines):
        joined = b"".join(
            line.rstrip(b"\r\n")[1:] if line[0] == 0x20 else b"\n" + line.rstrip(b"\r\n") for line in lines
        )
        lines = joined.split(b"\n")[1:]
    headers: list[tuple[str, str]] = []
    for line in lines:
        match = _HEADER.fullmatch(line)
        if match is None:
            raise _header_error(line.rstrip(b"\r\n"))
        if not headers and not main and match[1].lower() != b"name":
            raise ManifestSyntaxError(f"a section starts with {match[1].decode('ascii')!r}, not 'Name:'")
        try:
            headers.append((match[1].decode("ascii"), match[2].decode("utf-8")))
        except UnicodeDecodeError:
            raise ManifestSyntaxError(f"the header {line[:60]!r} is not UTF-8") from None
    return Section(raw, tuple(headers))


def _header_error(header: bytes) -> ManifestSyntaxError:
    name, sep, value = header.partition(b":")
    if not sep or not value.startswith(b" "):
        return ManifestSyntaxError(f"the header {header[:60]!r} is not 'Name: value'")
    return ManifestSyntaxError(f"the header name {name[:80]!r} is not 1 to 70 letters, digits, '-' or '_'")


def named_sections(sections: list[Section]) -> dict[str, list[Section]]:
    """The sections after the main one, by name; Java merges sections that repeat a name."""
    by_name: dict[str, list[Section]] = {}
    for entry in sections[1:]:
        if entry.name is not None:
            by_name.setdefault(entry.name, []).append(entry)
    return by_name


def merged(sections: list[Section]) -> Section:
    """Sections that repeat a name, as the JDK reads them: the .SF digest covers their bytes one after the other
    (``ManifestDigester``), and a header given in several takes its last value (``Manifest.read``)."""
    if len(sections) == 1:
        return sections[0]
    return Section(b"".join(s.raw for s in sections), tuple(h for s in sections for h in s.headers))
