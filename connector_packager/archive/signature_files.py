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

from connector_packager.archive.jar_manifest import section

#: The digest names the JDK's providers know (upper case, as ``MessageDigest.getInstance`` matches them, aliases
#: included) and the hashlib names they stand for. Java checks every digest it knows and allows, so each one here
#: must match; MD2 is always disabled, and names with ``/`` cannot be header names.
HASHLIB_NAMES = {"SHA-256": "sha256", "SHA256": "sha256", "SHA-384": "sha384", "SHA384": "sha384",
                 "SHA-512": "sha512", "SHA512": "sha512", "SHA-224": "sha224", "SHA224": "sha224",
                 "SHA3-224": "sha3_224", "SHA3-256": "sha3_256", "SHA3-384": "sha3_384", "SHA3-512": "sha3_512",
                 "SHA-1": "sha1", "SHA1": "sha1", "SHA": "sha1", "MD5": "md5"}
DIGEST = "SHA-256"
#: The signature block extensions the JDK knows (``SignatureFileVerifier.isBlockOrSF``).
BLOCK_SUFFIXES = (".RSA", ".EC", ".DSA")
#: The JDK's cap on the manifest, a .SF file and a signature block (``jdk.jar.maxSignatureFileSize``, default
#: since JDK 17.0.8.1); larger ones make Java refuse the archive.
MAX_SIGNATURE_FILE_BYTES = 16_000_000
#: Java reads manifest lines into a 512-byte buffer, the line end included; a longer line is "line too long".
MAX_LINE_WITH_END = 512
_META = "META-INF/"
#: Cap on the lines of a manifest or .SF file (Java has none; a .taco needs a few per file), counted before any
#: line is looked at, so that the work per line stays bounded.
MAX_LINES = 100_000
#: A header line: its name, then ": ", then its value up to the line end.
_HEADER = re.compile(rb"([A-Za-z0-9_-]{1,70}): ([^\r\n]*)(?:\r\n|\r|\n)?")
_LINE_END_BYTES = b"\r\n"
_SIG_EXTENSION = re.compile(r"[A-Z0-9]{1,3}")


def b64digest(data: bytes, algorithm: str = DIGEST) -> str:
    return base64.b64encode(hashlib.new(HASHLIB_NAMES[algorithm], data).digest()).decode("ascii")


def signature_file_base(alias: str) -> str:
    """jarsigner's default signature file name: the alias's first 8 characters, upper case, others as ``_``."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in alias[:8].upper())


def _meta_base(name: str) -> str | None:
    """The part after ``META-INF/``, upper case, for a file directly in ``META-INF/`` (else None)."""
    upper = name.upper()
    if not upper.startswith(_META) or "/" in upper[len(_META):]:
        return None
    return upper[len(_META):]


def is_signature_related(name: str) -> bool:
    """Entries no signature covers, as the JDK decides (``SignatureFileVerifier.isSigningRelated``): ``META-INF/``
    itself, the manifest, .SF files, signature blocks (.RSA, .EC, .DSA), and ``SIG-*`` files whose extension, if
    any, is 1 to 3 letters or digits. Every other file, in ``META-INF/`` or not, must be signed."""
    if name.upper() == _META:
        return True
    base = _meta_base(name)
    if base is None:
        return False
    if base == "MANIFEST.MF" or base.endswith((".SF", *BLOCK_SUFFIXES)):
        return True
    if not base.startswith("SIG-"):
        return False
    _, dot, extension = base.rpartition(".")
    return not dot or _SIG_EXTENSION.fullmatch(extension) is not None


def is_signature_block(name: str) -> bool:
    """``META-INF/<NAME>.RSA`` (or .EC, .DSA): a signature block."""
    base = _meta_base(name)
    return base is not None and base.endswith(BLOCK_SUFFIXES)


def is_signature_file(name: str) -> bool:
    """``META-INF/<NAME>.SF``: a signature file."""
    base = _meta_base(name)
    return base is not None and base.endswith(".SF")


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
        raise ManifestSyntaxError(f"it has {len(lines)} lines, more than {MAX_LINES}; a .taco's manifest has a "
                                  "few per file")
    if not lines[-1].endswith((b"\r", b"\n")):
        raise ManifestSyntaxError("its last line has no line end (Java ignores such a line)")
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))
    if len(lines[longest]) > MAX_LINE_WITH_END:
        raise ManifestSyntaxError(f"line {longest + 1} is longer than {MAX_LINE_WITH_END} bytes with its "
                                  "line end, which Java does not read")
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
        joined = b"".join(line.rstrip(b"\r\n")[1:] if line[0] == 0x20 else b"\n" + line.rstrip(b"\r\n")
                          for line in lines)
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
