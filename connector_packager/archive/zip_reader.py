"""The strict zip reader: a .taco's bytes become entries only when every zip reader would see the same entries.

It parses the end record, the central directory and every local header itself (zlib only inflates), and refuses
whatever two readers could read differently (Java's ``ZipFile`` trusts the central directory, streaming readers the
local headers, Python's ``zipfile`` its own guesses): a second end record, bytes the structure does not account for,
local headers that disagree with the central directory, duplicate or unsafe names, encryption, compression methods
Java cannot read, ZIP64. See the README's signing section for the list and the reasons.

Inflating is bounded: no entry may inflate past its declared size, and the declared sizes together stay under
:data:`MAX_UNPACKED_BYTES`.
"""

from __future__ import annotations

import stat
import struct
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from connector_packager.archive.entry_names import case_collisions, name_problem, quoted, shown
from connector_packager.archive.input_file import read_input
from connector_packager.archive.refusal import ArchiveError
from connector_packager.catalogue import Severity, declare
from connector_packager.findings import Finding, warning

__all__ = ["ArchiveError", "ZipArchive", "ZipEntry", "parse_archive", "read_archive"]

#: Refuse archives whose entries together declare more than this (a .taco unpacks to a few MB at most).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: Refuse archives with more entries than this (a connector has tens of files).
MAX_ENTRIES = 10_000

STORED, DEFLATED = 0, 8
FLAG_ENCRYPTED = 0x0001
FLAG_DATA_DESCRIPTOR = 0x0008
FLAG_STRONG_ENCRYPTION = 0x0040
FLAG_UTF8 = 0x0800
FLAG_MASKED_DIRECTORY = 0x2000
#: Flags a zip writer sets on a plain .taco: deflate speed (bits 1-2), data descriptor, UTF-8 names.
_KNOWN_FLAGS = 0x0002 | 0x0004 | FLAG_DATA_DESCRIPTOR | FLAG_UTF8

_METHOD_NAMES = {
    1: "shrink",
    6: "implode",
    9: "deflate64",
    12: "bzip2",
    14: "lzma",
    93: "zstandard",
    95: "xz",
    98: "ppmd",
    99: "AE-x encryption",
}
#: "Version made by" high byte of archives made on Unix, whose external attributes hold a file mode.
_UNIX = 3
_ZIP64_EXTRA = 0x0001
#: Info-ZIP's Unicode path field: some readers take the name from it, Java never does.
_UNICODE_PATH_EXTRA = 0x7075

_END = struct.Struct("<4s4H2LH")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")
_DESCRIPTOR = struct.Struct("<3L")
_END_SIG, _CENTRAL_SIG, _LOCAL_SIG = b"PK\x05\x06", b"PK\x01\x02", b"PK\x03\x04"
_DESCRIPTOR_SIG, _ZIP64_LOCATOR_SIG = b"PK\x07\x08", b"PK\x06\x07"
_MAX_COMMENT = 0xFFFF
_CHUNK = 64 * 1024


ZIP_NOT_A_ZIP = declare(
    "zip-not-a-zip",
    "archive",
    Severity.ERROR,
    "the file is a zip archive with an end-of-central-directory record",
    doc="Every zip reader starts from the end record at the end of the file; a file without a whole one is not a "
    ".taco (or was cut off while copied).",
    passes="a .taco written by `package`",
    fails="a text file renamed x.taco; a .taco cut short",
)
ZIP_SEVERAL_END_RECORDS = declare(
    "zip-several-end-records",
    "archive",
    Severity.ERROR,
    "the archive has one end-of-central-directory record",
    doc="Readers search the end record from different sides: with two that some reader would take, two readers can "
    "see two different archives in one file (one of them unsigned).",
    passes="one archive",
    fails="one archive appended to another",
)
ZIP_END_COMMENT_MISMATCH = declare(
    "zip-end-comment-mismatch",
    "archive",
    Severity.ERROR,
    "the end record's comment length ends the file",
    doc="Bytes after the end record that its comment length does not account for leave readers disagreeing on "
    "where the archive ends.",
    passes="an end record with no comment, last in the file",
    fails="bytes appended after the end record",
)
ZIP64_REFUSED = declare(
    "zip64-refused",
    "archive",
    Severity.ERROR,
    "the archive does not use ZIP64",
    doc="A .taco is far below the 4 GB and 65,535-entry limits ZIP64 lifts; ZIP64 records are a second set of "
    "sizes and offsets that readers honour differently, so they are not read.",
    passes="a .taco written by `package`",
    fails="an archive with a ZIP64 end record or ZIP64 extra field",
)
ZIP_SEVERAL_DISKS = declare(
    "zip-several-disks",
    "archive",
    Severity.ERROR,
    "the archive is one file, not a multi-disk set",
    doc="A .taco is one file; disk numbers other than 0 make Java and other readers disagree.",
    passes="disk numbers 0",
    fails="an end record or entry that names disk 1",
)
ZIP_TOO_MANY_ENTRIES = declare(
    "zip-too-many-entries",
    "archive",
    Severity.ERROR,
    "the archive declares at most 10,000 entries",
    doc="A connector has tens of files; the cap keeps reading bounded.",
    passes="a .taco with 12 entries",
    fails="an end record that declares 60,000 entries",
)
ZIP_UNACCOUNTED_BYTES = declare(
    "zip-unaccounted-bytes",
    "archive",
    Severity.ERROR,
    "every byte of the file belongs to an entry or a directory record",
    doc="Bytes before the first entry, between entries or around the central directory can hold a second archive "
    "that a streaming reader (which reads local headers in order) sees and Java (which trusts the central "
    "directory) does not.",
    passes="entries back to back, then the central directory, then the end record",
    fails="a hidden entry between two entries",
)
ZIP_ENTRIES_OVERLAP = declare(
    "zip-entries-overlap",
    "archive",
    Severity.ERROR,
    "no two entries share bytes",
    doc="Entries that overlap (two central records pointing into one local entry) are a known way to make a small "
    "file unpack to a huge one, and to show different readers different contents.",
    passes="entries back to back",
    fails="two central directory records with one local header offset",
)
ZIP_CENTRAL_DIRECTORY_DAMAGED = declare(
    "zip-central-directory-damaged",
    "archive",
    Severity.ERROR,
    "every central directory record is whole",
    doc="The central directory is where Java reads the entry list from; a record that is missing, has a wrong "
    "signature or runs past the directory leaves the list unknown.",
    passes="a .taco written by `package`",
    fails="an end record that declares more records than the directory holds",
)
ZIP_ENTRY_SYMLINK = declare(
    "zip-entry-symlink",
    "archive",
    Severity.ERROR,
    "no entry is a symbolic link",
    doc="unzip and other tools create a link where Java reads the link's target path as the file's content: the "
    "two would load different connectors, and a link can point outside the unpacked folder.",
    passes="regular files",
    fails="an entry with Unix mode 0120777",
)
ZIP_UNPACKED_TOO_LARGE = declare(
    "zip-unpacked-too-large",
    "archive",
    Severity.ERROR,
    "the entries together declare at most 64 MB",
    doc="A connector unpacks to a few MB at most; the cap keeps inflating bounded (no zip bomb).",
    passes="a .taco that unpacks to 300 KB",
    fails="an entry that declares a size of 100 MB",
)
ZIP_NAME_ENCODING = declare(
    "zip-name-encoding",
    "archive",
    Severity.ERROR,
    "every entry name is ASCII, or UTF-8 with the UTF-8 flag",
    doc="Java reads names as UTF-8, other tools a name without the UTF-8 flag (bit 11) as code page 437: a name "
    "that is not ASCII must carry the flag, and a flagged name must be valid UTF-8.",
    passes="résumé.js written with the UTF-8 flag",
    fails="résumé.js in UTF-8 without the flag",
)
ZIP_ENTRY_ENCRYPTED = declare(
    "zip-entry-encrypted",
    "archive",
    Severity.ERROR,
    "no entry is encrypted",
    doc="Tableau cannot read an encrypted entry.",
    passes="plain entries",
    fails="an entry with flag bit 0 set",
)
ZIP_UNKNOWN_FLAGS = declare(
    "zip-unknown-flags",
    "archive",
    Severity.ERROR,
    "entries set only the general-purpose flags .taco writers set",
    doc="Flags beyond deflate speed, data descriptor and UTF-8 names change how some readers read the entry.",
    passes="flags 0x0808",
    fails="flag bit 3 of 'patched data' (0x0020)",
)
ZIP_COMPRESSION_METHOD = declare(
    "zip-compression-method",
    "archive",
    Severity.ERROR,
    "entries are stored or deflated",
    doc="Java reads only methods 0 (stored) and 8 (deflated).",
    passes="deflated entries",
    fails="an entry compressed with bzip2 (method 12)",
)
ZIP_STORED_SIZE_MISMATCH = declare(
    "zip-stored-size-mismatch",
    "archive",
    Severity.ERROR,
    "a stored entry's compressed size equals its size",
    doc="A stored entry is its bytes as they are; two different sizes let readers read different lengths.",
    passes="stored, 10 and 10 bytes",
    fails="stored, 10 compressed bytes for a size of 12",
)
ZIP_STORED_WITH_DESCRIPTOR = declare(
    "zip-stored-with-descriptor",
    "archive",
    Severity.ERROR,
    "a stored entry has no data descriptor",
    doc="With a data descriptor the local header leaves the size out: a streaming reader cannot tell where a "
    "stored entry's data ends, and may read other bytes as the entry.",
    passes="a deflated entry with a data descriptor",
    fails="a stored entry with flag bit 3",
)
ZIP_DIRECTORY_WITH_CONTENT = declare(
    "zip-directory-with-content",
    "archive",
    Severity.ERROR,
    "a directory entry has no content",
    doc="An entry whose name ends in / is a folder to unzip tools and a file to others.",
    passes="META-INF/ with 0 bytes",
    fails="META-INF/ declaring 12 bytes",
)
ZIP_EXTRA_FIELD_MALFORMED = declare(
    "zip-extra-field-malformed",
    "archive",
    Severity.ERROR,
    "every extra field is whole",
    doc="An extra field is a list of tag, length and data; a fragment or a length past the end is read "
    "differently by different readers.",
    passes="no extra field",
    fails="an extra field 0x5455 whose length runs past the header",
)
ZIP_UNICODE_PATH_EXTRA = declare(
    "zip-unicode-path-extra",
    "archive",
    Severity.ERROR,
    "no entry carries a second, Unicode name",
    doc="Info-ZIP's Unicode path field (0x7075) names the entry again; some readers use it and Java ignores it, "
    "so the two would unpack the entry under different names.",
    passes="no extra field",
    fails="an entry named a.js with a Unicode path field naming b.js",
)
ZIP_NAME_UNSAFE = declare(
    "zip-name-unsafe",
    "archive",
    Severity.ERROR,
    "entry names are relative paths that unpack inside one folder",
    doc="An absolute name, a drive letter, .. or a backslash can unpack a file outside the folder (zip slip); "
    "names too deep or with a component over 255 bytes cannot be unpacked on common file systems.",
    passes="connectionBuilder.js, dialogs/fields.xml",
    fails="../../evil.js, /etc/x, C:x, a\\b.js",
)
ZIP_DUPLICATE_NAME = declare(
    "zip-duplicate-name",
    "archive",
    Severity.ERROR,
    "no two entries share a name",
    doc="Readers pick different entries of one name (Java's ZipFile the last, streaming readers the first): a "
    "signature can cover one while Tableau loads the other.",
    passes="a.js, b.js",
    fails="a.js, a.js",
)
ZIP_NAMES_DIFFER_IN_CASE = declare(
    "zip-names-differ-in-case",
    "archive",
    Severity.WARNING,
    "no two entry names differ only in case",
    doc="Windows and macOS file systems ignore case: unpacked there, one of the two entries overwrites the other.",
    passes="connectionBuilder.js, connectionResolver.tdr",
    fails="a.js, A.js",
)
ZIP_LOCAL_HEADER_DAMAGED = declare(
    "zip-local-header-damaged",
    "archive",
    Severity.ERROR,
    "every entry's local header is where the central directory says, and whole",
    doc="Streaming readers read the local headers; a missing local header, or one that runs into the central "
    "directory, leaves the entry unreadable to them.",
    passes="a .taco written by `package`",
    fails="a central record whose offset points at other bytes",
)
ZIP_LOCAL_HEADER_MISMATCH = declare(
    "zip-local-header-mismatch",
    "archive",
    Severity.ERROR,
    "every local header agrees with its central record",
    doc="Name, flags, method, CRC-32 and sizes are in both headers; where they differ, Java (central directory) and "
    "streaming readers (local headers) read different entries.",
    passes="equal headers",
    fails="a local header named evil.js for the central record a.js",
)
ZIP_ENTRY_TRUNCATED = declare(
    "zip-entry-truncated",
    "archive",
    Severity.ERROR,
    "every entry's data ends before the central directory",
    doc="Compressed data that runs into the central directory means the file was cut or the sizes are wrong.",
    passes="a .taco written by `package`",
    fails="a compressed size larger than the bytes there",
)
ZIP_DATA_DESCRIPTOR_MISMATCH = declare(
    "zip-data-descriptor-mismatch",
    "archive",
    Severity.ERROR,
    "a data descriptor follows the data and agrees with the central directory",
    doc="With flag bit 3, streaming readers take the CRC-32 and sizes from the descriptor after the data; it must be "
    "there and hold the central directory's values.",
    passes="a descriptor with the central record's values",
    fails="a descriptor whose size differs",
)
ZIP_SIZE_MISMATCH = declare(
    "zip-size-mismatch",
    "archive",
    Severity.ERROR,
    "every entry inflates to exactly its declared size",
    doc="Readers that trust the declared size and readers that inflate to the end of the stream would see "
    "different contents; inflating past the declared size is also how zip bombs work.",
    passes="a .taco written by `package`",
    fails="an entry that inflates to 1 MB while declaring 10 bytes",
)
ZIP_CRC_MISMATCH = declare(
    "zip-crc-mismatch",
    "archive",
    Severity.ERROR,
    "every entry's content matches its CRC-32",
    doc="A CRC-32 that does not match means the entry was damaged or edited in place.",
    passes="a .taco written by `package`",
    fails="a stored entry with one byte changed",
)
ZIP_DEFLATE_CORRUPT = declare(
    "zip-deflate-corrupt",
    "archive",
    Severity.ERROR,
    "every deflated entry is one whole deflate stream",
    doc="Corrupt or truncated deflate data cannot be read, and bytes after the end of the stream are read by some "
    "readers and not by others.",
    passes="a .taco written by `package`",
    fails="a deflated entry with its last bytes cut",
)


@dataclass(frozen=True)
class ZipEntry:
    """One entry as the central directory declares it (and its local header confirms), with its inflated bytes
    (empty until the local entry is checked)."""

    name: str
    raw_name: bytes
    flags: int
    method: int
    dos_time: int
    dos_date: int
    crc: int
    compressed_size: int
    size: int
    offset: int
    data: bytes = b""

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")

    @property
    def date_time(self) -> tuple[int, int, int, int, int, int]:
        """The MS-DOS time as ``zipfile`` spells it (year, month, day, hour, minute, second)."""
        d, t = self.dos_date, self.dos_time
        return (d >> 9) + 1980, (d >> 5) & 0xF, d & 0x1F, t >> 11, (t >> 5) & 0x3F, (t & 0x1F) * 2


@dataclass(frozen=True)
class ZipArchive:
    """The entries in central-directory order, and what the author should know (names equal but for case)."""

    entries: tuple[ZipEntry, ...]
    warnings: tuple[Finding, ...]

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    @property
    def contents(self) -> dict[str, bytes]:
        return {e.name: e.data for e in self.entries}


def parse_archive(data: bytes, source: str) -> ZipArchive:
    """Read ``data`` (the whole file) strictly; raise :class:`ArchiveError` naming the entry, offset and what is
    wrong."""
    where = shown(source)
    view = memoryview(data)
    try:
        end, count, directory_at = _end_record(view, where)
        records = _central_directory(view, directory_at, end, count, where)
        _check_names(records, where)
        entries = _local_entries(view, records, directory_at, where)
    finally:
        view.release()
    return ZipArchive(tuple(entries), tuple(case_warnings([e.name for e in entries])))


def _end_record(view: memoryview, where: str) -> tuple[int, int, int]:
    """The end record's offset, the entry count and where the central directory starts."""
    size = len(view)
    if size < _END.size:
        raise ArchiveError(f"{where} is not a .taco (zip) file: it is only {size} bytes long", ZIP_NOT_A_ZIP)
    window_start = max(0, size - _END.size - _MAX_COMMENT)
    found = [window_start + i for i in _find_all(bytes(view[window_start:]), _END_SIG)]
    if not found:
        raise ArchiveError(
            f"{where} is not a .taco (zip) file: it has no end-of-central-directory record", ZIP_NOT_A_ZIP
        )
    end = found[-1]
    if end + _END.size > size:
        raise ArchiveError(
            f"{where} is truncated: its end-of-central-directory record at offset {end} is cut off", ZIP_NOT_A_ZIP
        )
    others = [at for at in found[:-1] if _looks_like_end(view, at)]
    if others:
        raise ArchiveError(
            f"{where} has {len(others) + 1} end-of-central-directory records (at offsets "
            f"{', '.join(map(str, [*others, end]))}): readers would disagree on which archive it is",
            ZIP_SEVERAL_END_RECORDS,
        )
    _, disk, directory_disk, disk_count, count, directory_size, directory_at, comment = _END.unpack_from(view, end)
    if end + _END.size + comment != size:
        raise ArchiveError(
            f"{where}: the end record at offset {end} declares a {comment}-byte comment, but "
            f"{size - end - _END.size} bytes follow it: readers would disagree on where the archive "
            "ends",
            ZIP_END_COMMENT_MISMATCH,
        )
    if (
        (end >= 20 and view[end - 20 : end - 16] == _ZIP64_LOCATOR_SIG)
        or 0xFFFF in (disk_count, count)
        or 0xFFFFFFFF in (directory_size, directory_at)
    ):
        raise ArchiveError(f"{where} is a ZIP64 archive; a .taco never needs ZIP64, and it is not read", ZIP64_REFUSED)
    if disk or directory_disk or disk_count != count:
        raise ArchiveError(f"{where} claims to span several disks; a .taco is one file", ZIP_SEVERAL_DISKS)
    if count > MAX_ENTRIES:
        raise ArchiveError(
            f"{where} declares {count} entries, more than the {MAX_ENTRIES} this tool reads", ZIP_TOO_MANY_ENTRIES
        )
    if directory_at + directory_size != end:
        raise ArchiveError(
            f"{where}: the central directory (offset {directory_at}, {directory_size} bytes) does not "
            f"end where the end record starts (offset {end}): bytes are unaccounted for",
            ZIP_UNACCOUNTED_BYTES,
        )
    return end, count, directory_at


def _looks_like_end(view: memoryview, at: int) -> bool:
    """Whether the end-record signature at ``at`` is one some reader would take: its comment length ends the file
    (Python's and Go's test), or its directory size leads back to a central directory record (Java's)."""
    if at + _END.size > len(view):
        return False
    (directory_size,) = struct.unpack_from("<L", view, at + 12)
    (comment,) = struct.unpack_from("<H", view, at + 20)
    back = at - directory_size
    return at + _END.size + comment == len(view) or (0 < directory_size <= at and view[back : back + 4] == _CENTRAL_SIG)


def _find_all(haystack: bytes, needle: bytes) -> Iterator[int]:
    at = haystack.find(needle)
    while at >= 0:
        yield at
        at = haystack.find(needle, at + 1)


def _central_directory(view: memoryview, at: int, end: int, count: int, where: str) -> list[ZipEntry]:
    records = []
    for index in range(count):
        if at + _CENTRAL.size > end or view[at : at + 4] != _CENTRAL_SIG:
            raise ArchiveError(
                f"{where}: central directory record {index + 1} of {count} (offset {at}) is missing or damaged",
                ZIP_CENTRAL_DIRECTORY_DAMAGED,
            )
        (
            _,
            made_by,
            _,
            flags,
            method,
            dos_time,
            dos_date,
            crc,
            compressed,
            size,
            name_len,
            extra_len,
            comment_len,
            disk,
            _,
            attributes,
            offset,
        ) = _CENTRAL.unpack_from(view, at)
        name_at = at + _CENTRAL.size
        after = name_at + name_len + extra_len + comment_len
        if after > end:
            raise ArchiveError(
                f"{where}: central directory record {index + 1} (offset {at}) runs past the directory",
                ZIP_CENTRAL_DIRECTORY_DAMAGED,
            )
        raw_name = bytes(view[name_at : name_at + name_len])
        label = f"{where}: entry {quoted(raw_name.decode('utf-8', 'replace'))} (central directory offset {at})"
        name = _decode_name(raw_name, flags, label)
        label = f"{where}: entry {quoted(name)} (central directory offset {at})"
        _check_extra(view[name_at + name_len : name_at + name_len + extra_len], name, label, "central directory")
        _check_record(flags, method, compressed, size, offset, disk, name, label)
        if made_by >> 8 == _UNIX and stat.S_ISLNK(attributes >> 16):
            raise ArchiveError(
                f"{label} is a symbolic link: unzip tools create a link where Java reads a file",
                ZIP_ENTRY_SYMLINK,
                entry=name,
            )
        records.append(ZipEntry(name, raw_name, flags, method, dos_time, dos_date, crc, compressed, size, offset))
        at = after
    if at != end:
        raise ArchiveError(
            f"{where}: {end - at} bytes at offset {at} lie between the central directory's last record "
            "and the end record",
            ZIP_UNACCOUNTED_BYTES,
        )
    declared = sum(r.size for r in records)
    if declared > MAX_UNPACKED_BYTES:
        raise ArchiveError(
            f"{where} unpacks to {declared:,} bytes, more than {MAX_UNPACKED_BYTES // 2**20} MB; not a .taco",
            ZIP_UNPACKED_TOO_LARGE,
        )
    return records


def _decode_name(raw: bytes, flags: int, label: str) -> str:
    if flags & FLAG_UTF8:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ArchiveError(
                f"{label}: the name is flagged UTF-8 but is not valid UTF-8",
                ZIP_NAME_ENCODING,
                entry=raw.decode("utf-8", "replace"),
            ) from None
    if not raw.isascii():
        raise ArchiveError(
            f"{label}: the name is not ASCII and lacks the UTF-8 flag (bit 11), so readers decode it "
            "differently (Java as UTF-8, others as code page 437)",
            ZIP_NAME_ENCODING,
            entry=raw.decode("utf-8", "replace"),
        )
    return raw.decode("ascii")


def _check_record(
    flags: int, method: int, compressed: int, size: int, offset: int, disk: int, name: str, label: str
) -> None:
    if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_DIRECTORY):
        raise ArchiveError(
            f"{label} is encrypted; Tableau cannot read an encrypted .taco", ZIP_ENTRY_ENCRYPTED, entry=name
        )
    if flags & ~_KNOWN_FLAGS:
        raise ArchiveError(
            f"{label} sets general-purpose flags 0x{flags & ~_KNOWN_FLAGS:04x}, which no .taco writer sets",
            ZIP_UNKNOWN_FLAGS,
            entry=name,
        )
    if method not in (STORED, DEFLATED):
        kind = _METHOD_NAMES.get(method, "an unknown method")
        raise ArchiveError(
            f"{label} is compressed with method {method} ({kind}); Java reads only stored and deflated entries",
            ZIP_COMPRESSION_METHOD,
            entry=name,
        )
    if disk:
        raise ArchiveError(f"{label} starts on disk {disk}; a .taco is one file", ZIP_SEVERAL_DISKS, entry=name)
    if 0xFFFFFFFF in (compressed, size, offset):
        raise ArchiveError(
            f"{label} uses ZIP64 sizes; a .taco never needs ZIP64, and it is not read", ZIP64_REFUSED, entry=name
        )
    if method == STORED and compressed != size:
        raise ArchiveError(
            f"{label} is stored, yet declares {compressed} stored bytes for a size of {size}",
            ZIP_STORED_SIZE_MISMATCH,
            entry=name,
        )
    if method == STORED and flags & FLAG_DATA_DESCRIPTOR:
        raise ArchiveError(
            f"{label} is stored with a data descriptor: a streaming reader cannot tell where its "
            "data ends, and may read other bytes as the entry",
            ZIP_STORED_WITH_DESCRIPTOR,
            entry=name,
        )
    if name.endswith("/") and size:
        raise ArchiveError(
            f"{label} is a directory, yet declares {size} bytes of content", ZIP_DIRECTORY_WITH_CONTENT, entry=name
        )


def _check_extra(extra: memoryview, name: str, label: str, header: str) -> None:
    at = 0
    while at < len(extra):
        if at + 4 > len(extra):
            raise ArchiveError(
                f"{label}: the {header} extra field is malformed (a {len(extra) - at}-byte fragment)",
                ZIP_EXTRA_FIELD_MALFORMED,
                entry=name,
            )
        tag, length = struct.unpack_from("<2H", extra, at)
        if at + 4 + length > len(extra):
            raise ArchiveError(
                f"{label}: the {header} extra field 0x{tag:04x} runs past its header",
                ZIP_EXTRA_FIELD_MALFORMED,
                entry=name,
            )
        if tag == _ZIP64_EXTRA:
            raise ArchiveError(
                f"{label} carries a ZIP64 extra field; a .taco never needs ZIP64, and it is not read",
                ZIP64_REFUSED,
                entry=name,
            )
        if tag == _UNICODE_PATH_EXTRA:
            raise ArchiveError(
                f"{label} carries a second, Unicode name (extra field 0x7075) that some readers use and Java ignores",
                ZIP_UNICODE_PATH_EXTRA,
                entry=name,
            )
        at += 4 + length


def _check_names(records: list[ZipEntry], where: str) -> None:
    unsafe = [(r.name, f"{quoted(r.name)} {problem}") for r in records if (problem := name_problem(r.name))]
    if unsafe:
        raise ArchiveError(
            f"{where} has unsafe entry names: " + "; ".join(text for _, text in unsafe),
            ZIP_NAME_UNSAFE,
            entry=unsafe[0][0],
        )
    twice = sorted(name for name, times in Counter(r.name for r in records).items() if times > 1)
    if twice:
        raise ArchiveError(
            f"{where} has duplicate entries (readers would pick different ones): "
            + ", ".join(quoted(n) for n in twice),
            ZIP_DUPLICATE_NAME,
            entry=twice[0],
        )


def case_warnings(names: list[str]) -> list[Finding]:
    """A warning for each group of names that differ only in case (one file when unpacked on Windows or macOS)."""
    return [
        warning(
            ZIP_NAMES_DIFFER_IN_CASE,
            "entries whose names differ only in case collide when unpacked on "
            f"Windows or macOS: {', '.join(quoted(n) for n in group)}",
            group[1],
            hint="rename one of the files in the connector folder and package it again",
        )
        for group in case_collisions(names)
    ]


def _local_entries(view: memoryview, records: list[ZipEntry], directory_at: int, where: str) -> list[ZipEntry]:
    """Check that the local entries, in file order, fill the file from offset 0 to the central directory exactly,
    each agreeing with its central record; inflate each."""
    inflated: dict[int, ZipEntry] = {}
    at = 0
    for index in sorted(range(len(records)), key=lambda i: records[i].offset):
        record = records[index]
        label = f"{where}: entry {quoted(record.name)} (local header offset {record.offset})"
        if record.offset != at:
            what = "before the first entry" if at == 0 else "between entries"
            gap = record.offset - at
            detail = f"{gap} bytes lie {what} at offset {at}" if gap > 0 else "overlaps the previous entry"
            rule = ZIP_UNACCOUNTED_BYTES if gap > 0 else ZIP_ENTRIES_OVERLAP
            raise ArchiveError(
                f"{label}: {detail}; readers would disagree on the archive's contents", rule, entry=record.name
            )
        data_at = _check_local(view, record, directory_at, label)
        data_end = data_at + record.compressed_size
        if data_end > directory_at:
            raise ArchiveError(
                f"{label}: its {record.compressed_size} compressed bytes run into the central directory (truncated?)",
                ZIP_ENTRY_TRUNCATED,
                entry=record.name,
            )
        data = _inflate(view[data_at:data_end], record, label)
        at = _after_descriptor(view, record, data_end, directory_at, label)
        inflated[index] = replace(record, data=data)
    if records and at != directory_at:
        raise ArchiveError(
            f"{where}: {directory_at - at} bytes at offset {at} lie between the last entry and the central directory",
            ZIP_UNACCOUNTED_BYTES,
        )
    if not records and directory_at:
        raise ArchiveError(f"{where}: {directory_at} bytes precede an empty central directory", ZIP_UNACCOUNTED_BYTES)
    return [inflated[index] for index in range(len(records))]


def _check_local(view: memoryview, record: ZipEntry, limit: int, label: str) -> int:
    """Check the local header against the central record; return where the entry's data starts."""
    at = record.offset
    if at + _LOCAL.size > limit or view[at : at + 4] != _LOCAL_SIG:
        raise ArchiveError(f"{label}: there is no local header there", ZIP_LOCAL_HEADER_DAMAGED, entry=record.name)
    _, _, flags, method, _, _, crc, compressed, size, name_len, extra_len = _LOCAL.unpack_from(view, at)
    name_at = at + _LOCAL.size
    data_at: int = name_at + name_len + extra_len
    if data_at > limit:
        raise ArchiveError(
            f"{label}: the local header runs into the central directory", ZIP_LOCAL_HEADER_DAMAGED, entry=record.name
        )
    differs = []
    if bytes(view[name_at : name_at + name_len]) != record.raw_name:
        differs.append(f"name {quoted(bytes(view[name_at : name_at + name_len]).decode('utf-8', 'replace'))}")
    if flags != record.flags:
        differs.append(f"flags 0x{flags:04x} (central directory: 0x{record.flags:04x})")
    if method != record.method:
        differs.append(f"method {method} (central directory: {record.method})")
    central = {"CRC-32": record.crc, "compressed size": record.compressed_size, "size": record.size}
    for field, value in zip(central, (crc, compressed, size), strict=True):
        # With a data descriptor the local header's CRC and sizes are zero (APPNOTE 4.4.4); the descriptor holds
        # them. Without one they must equal the central directory's.
        expected = (0, central[field]) if record.flags & FLAG_DATA_DESCRIPTOR else (central[field],)
        if value not in expected:
            differs.append(f"{field} {value} (central directory: {central[field]})")
    if differs:
        raise ArchiveError(
            f"{label}: the local header disagrees with the central directory: {', '.join(differs)}",
            ZIP_LOCAL_HEADER_MISMATCH,
            entry=record.name,
        )
    _check_extra(view[name_at + name_len : data_at], record.name, label, "local header")
    return data_at


def _after_descriptor(view: memoryview, record: ZipEntry, data_end: int, limit: int, label: str) -> int:
    """Where the next entry must start: after the data, and after the data descriptor when the entry has one (with
    or without its optional signature; its values must be the central directory's)."""
    if not record.flags & FLAG_DATA_DESCRIPTOR:
        return data_end
    expected = (record.crc, record.compressed_size, record.size)
    for start, length in ((data_end + 4, 16), (data_end, 12)):
        if start == data_end + 4 and view[data_end : data_end + 4] != _DESCRIPTOR_SIG:
            continue
        if start + _DESCRIPTOR.size <= limit and _DESCRIPTOR.unpack_from(view, start) == expected:
            return data_end + length
    raise ArchiveError(
        f"{label}: its data descriptor at offset {data_end} is missing or disagrees with the central directory",
        ZIP_DATA_DESCRIPTOR_MISMATCH,
        entry=record.name,
    )


def _inflate(raw: memoryview, record: ZipEntry, label: str) -> bytes:
    """The entry's bytes, inflated in chunks that never exceed its declared size; CRC checked."""
    data = bytes(raw) if record.method == STORED else _inflate_bounded(raw, record.size, record.name, label)
    if len(data) != record.size:
        raise ArchiveError(
            f"{label} holds {len(data)} bytes, not the {record.size} its headers declare",
            ZIP_SIZE_MISMATCH,
            entry=record.name,
        )
    if zlib.crc32(data) != record.crc:
        raise ArchiveError(
            f"{label}: its content does not match its CRC-32 (damaged or edited)", ZIP_CRC_MISMATCH, entry=record.name
        )
    return data


def _inflate_bounded(raw: memoryview, declared: int, name: str, label: str) -> bytes:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    out = bytearray()
    try:
        for start in range(0, len(raw), _CHUNK):
            pending = bytes(raw[start : start + _CHUNK])
            while pending and not inflater.eof:
                # max_length is never 0 here (0 would mean "no limit"): out holds at most `declared` bytes.
                out += inflater.decompress(pending, declared + 1 - len(out))
                if len(out) > declared:
                    raise ArchiveError(
                        f"{label} inflates to more than the {declared} bytes its headers declare",
                        ZIP_SIZE_MISMATCH,
                        entry=name,
                    )
                pending = inflater.unconsumed_tail
            if inflater.eof:
                if pending or inflater.unused_data or start + _CHUNK < len(raw):
                    raise ArchiveError(
                        f"{label}: bytes follow the end of its deflate stream", ZIP_DEFLATE_CORRUPT, entry=name
                    )
                break
    except zlib.error as exc:
        raise ArchiveError(f"{label}: its deflate data is corrupt ({exc})", ZIP_DEFLATE_CORRUPT, entry=name) from None
    if not inflater.eof:
        raise ArchiveError(f"{label}: its deflate data is truncated", ZIP_DEFLATE_CORRUPT, entry=name)
    return bytes(out)


def read_archive(path: Path) -> ZipArchive:
    """Read the regular file ``path`` once (bounded) and parse it strictly."""
    return parse_archive(read_input(path), str(path))
