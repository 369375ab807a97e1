"""The signed-JAR format: entry digests in ``META-INF/MANIFEST.MF`` and the signature file ``META-INF/<NAME>.SF``.

Facts from the JAR File Specification ("Signed JAR File") and from what the
JDK's ``jarsigner`` writes: a section's digest covers its exact bytes,
including the empty line that ends it; the .SF file's main section carries the
digest of the whole manifest and of its main section; each of its named
sections carries the digest of the manifest section of the same name.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from connector_packager.jar_manifest import section

#: JAR digest names and the hashlib names they stand for.
HASHLIB_NAMES = {"SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512", "SHA-1": "sha1", "MD5": "md5"}
#: Digests the JDK treats as broken for signed JARs.
WEAK_DIGESTS = frozenset({"SHA-1", "MD5"})
DIGEST = "SHA-256"
BLOCK_SUFFIXES = (".RSA", ".EC", ".DSA")
_META = "META-INF/"
_LINE_END = re.compile(rb"\r\n|\r|\n")


def b64digest(data: bytes, algorithm: str = DIGEST) -> str:
    return base64.b64encode(hashlib.new(HASHLIB_NAMES[algorithm], data).digest()).decode("ascii")


def signature_file_base(alias: str) -> str:
    """jarsigner's default signature file name: the alias's first 8 characters, upper case, others as ``_``."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in alias[:8].upper())


def is_signature_related(name: str) -> bool:
    """Entries no signature covers: ``META-INF/`` itself, the manifest, .SF files and signature blocks."""
    upper = name.upper()
    if upper == _META:
        return True
    if not upper.startswith(_META) or "/" in upper[len(_META):]:
        return False
    base = upper[len(_META):]
    return (base == "MANIFEST.MF" or base.endswith(".SF") or base.endswith(BLOCK_SUFFIXES)
            or base.startswith("SIG-"))


def is_signature_block(name: str) -> bool:
    """``META-INF/<NAME>.RSA`` (or .EC, .DSA): a signature block."""
    return is_signature_related(name) and name.upper().endswith(BLOCK_SUFFIXES)


class ManifestSyntaxError(ValueError):
    """A manifest or signature file that is not in ``Name: value`` syntax."""


@dataclass(frozen=True)
class Section:
    """One section: its exact bytes (with the empty line that ends it) and its headers, continuations joined."""

    raw: bytes
    headers: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        lowered = key.lower()
        return next((value for name, value in self.headers if name.lower() == lowered), None)

    @property
    def name(self) -> str | None:
        return self.get("Name")

    def digests(self, suffix: str = "-Digest") -> dict[str, str]:
        """``{algorithm: base64 value}`` for headers named ``<algorithm><suffix>``."""
        found = {}
        for name, value in self.headers:
            if name.upper().endswith(suffix.upper()):
                found[name[: -len(suffix)].upper()] = value
        return found


def parse_sections(data: bytes) -> list[Section]:
    """Split manifest-syntax bytes into sections; the first is the main section."""
    sections: list[Section] = []
    lines: list[bytes] = []
    start = pos = 0
    while pos < len(data):
        match = _LINE_END.search(data, pos)
        line_end, next_pos = (match.start(), match.end()) if match else (len(data), len(data))
        line = data[pos:line_end]
        if line:
            lines.append(line)
        elif lines:  # an empty line ends the section
            sections.append(_section(data[start:next_pos], lines))
            lines = []
        if not lines:
            start = next_pos
        pos = next_pos
    if lines:
        sections.append(_section(data[start:], lines))
    if not sections:
        raise ManifestSyntaxError("it is empty")
    return sections


def _section(raw: bytes, lines: list[bytes]) -> Section:
    joined: list[bytes] = []
    for line in lines:
        if line.startswith(b" "):
            if not joined:
                raise ManifestSyntaxError("a continuation line starts a section")
            joined[-1] += line[1:]
        else:
            joined.append(line)
    headers = []
    for header in joined:
        name, sep, value = header.partition(b": ")
        if not sep or not name:
            raise ManifestSyntaxError(f"line {header[:60]!r} is not 'Name: value'")
        try:
            headers.append((name.decode("ascii"), value.decode("utf-8")))
        except UnicodeDecodeError:
            raise ManifestSyntaxError(f"line {header[:60]!r} is not UTF-8") from None
    return Section(raw, tuple(headers))


def signed_manifest(existing: bytes, entries: list[tuple[str, bytes]]) -> bytes:
    """The manifest with a ``SHA-256-Digest`` section per entry, its main section kept byte for byte.

    Other attributes the existing manifest gives an entry are kept; older digests are replaced.
    """
    sections = parse_sections(existing)
    extra = {s.name: [(k, v) for k, v in s.headers if k.lower() != "name" and not k.upper().endswith("-DIGEST")]
             for s in sections[1:] if s.name is not None}
    out = [sections[0].raw if sections[0].raw.endswith((b"\r\n\r\n", b"\n\n")) else sections[0].raw + b"\r\n"]
    for name, data in entries:
        out.append(section([("Name", name), *extra.get(name, []), (f"{DIGEST}-Digest", b64digest(data))]))
    return b"".join(out)


def signature_file(manifest: bytes, created_by: str) -> bytes:
    """The .SF file for ``manifest``, as jarsigner writes it."""
    sections = parse_sections(manifest)
    out = [section([("Signature-Version", "1.0"), ("Created-By", created_by),
                    (f"{DIGEST}-Digest-Manifest", b64digest(manifest)),
                    (f"{DIGEST}-Digest-Manifest-Main-Attributes", b64digest(sections[0].raw))])]
    for entry in sections[1:]:
        if entry.name is not None:
            out.append(section([("Name", entry.name), (f"{DIGEST}-Digest", b64digest(entry.raw))]))
    return b"".join(out)
