"""Writing zip archives byte by byte, with every field under the test's control (zipfile would refuse or repair
most of what the differential tests need: NUL names, disagreeing headers, second end records, gaps)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from connector_packager.archive.zip_reader import parse_archive

DESCRIPTOR_FLAG = 0x0008
UTF8_FLAG = 0x0800


@dataclass
class Craft:
    """One entry. ``None`` fields take the honest value; the ``local_*`` fields, when set, make the local header say
    something else than the central directory."""

    name: bytes
    data: bytes = b""
    method: int = 8
    flags: int = 0
    dos_time: int = 0
    dos_date: int = 0x21  # 1980-01-01
    compressed: bytes | None = None
    crc: int | None = None
    size: int | None = None
    compressed_size: int | None = None
    descriptor: bytes | None = None  # written after the data when the descriptor flag is set; None: the honest one
    extra: bytes = b""
    local_extra: bytes | None = None
    comment: bytes = b""
    made_by: int = 20
    external_attr: int = 0x20
    local: dict[str, Any] = field(default_factory=dict)  # Header fields the local header says otherwise

    def payload(self) -> bytes:
        if self.compressed is not None:
            return self.compressed
        if self.method == 8:
            packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
            return packer.compress(self.data) + packer.flush()
        return self.data

    def header(self) -> Header:
        """What the central directory says."""
        return Header(
            self.name,
            self.flags,
            self.method,
            zlib.crc32(self.data) if self.crc is None else self.crc,
            len(self.data) if self.size is None else self.size,
            len(self.payload()) if self.compressed_size is None else self.compressed_size,
        )


@dataclass(frozen=True)
class Header:
    name: bytes
    flags: int
    method: int
    crc: int
    size: int
    compressed_size: int


def extra_field(tag: int, body: bytes = b"") -> bytes:
    return struct.pack("<2H", tag, len(body)) + body


@dataclass
class Layout:
    """Bytes around the entries: before the first, after entry i (``between``), before the central directory,
    between it and the end record, after the end record; and end-record overrides."""

    prefix: bytes = b""
    between: dict[int, bytes] = field(default_factory=dict)
    before_directory: bytes = b""
    before_end: bytes = b""
    comment: bytes = b""
    comment_length: int | None = None
    trailer: bytes = b""
    count: int | None = None
    directory_offset_shift: int = 0


def build_zip(entries: Sequence[Craft], layout: Layout | None = None) -> bytes:
    """The archive's bytes."""
    layout = layout or Layout()
    out = bytearray(layout.prefix)
    directory = bytearray()
    for index, entry in enumerate(entries):
        offset = len(out)
        central = entry.header()
        with_descriptor = central.flags & DESCRIPTOR_FLAG
        zeroed: dict[str, Any] = {"crc": 0, "size": 0, "compressed_size": 0} if with_descriptor else {}
        local = replace(central, **{**zeroed, **entry.local})
        local_extra = entry.extra if entry.local_extra is None else entry.local_extra
        out += (
            struct.pack(
                "<4s5H3L2H",
                b"PK\x03\x04",
                20,
                local.flags,
                local.method,
                entry.dos_time,
                entry.dos_date,
                local.crc,
                local.compressed_size,
                local.size,
                len(local.name),
                len(local_extra),
            )
            + local.name
            + local_extra
        )
        out += entry.payload()
        if with_descriptor:
            out += (
                entry.descriptor
                if entry.descriptor is not None
                else struct.pack("<4s3L", b"PK\x07\x08", central.crc, central.compressed_size, central.size)
            )
        out += layout.between.get(index, b"")
        directory += (
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                entry.made_by,
                20,
                central.flags,
                central.method,
                entry.dos_time,
                entry.dos_date,
                central.crc,
                central.compressed_size,
                central.size,
                len(central.name),
                len(entry.extra),
                len(entry.comment),
                0,
                0,
                entry.external_attr,
                offset,
            )
            + central.name
            + entry.extra
            + entry.comment
        )
    out += layout.before_directory
    directory_at = len(out)
    out += directory + layout.before_end
    count = len(entries) if layout.count is None else layout.count
    comment_length = len(layout.comment) if layout.comment_length is None else layout.comment_length
    out += (
        struct.pack(
            "<4s4H2LH",
            b"PK\x05\x06",
            0,
            0,
            count,
            count,
            len(directory),
            directory_at + layout.directory_offset_shift,
            comment_length,
        )
        + layout.comment
    )
    return bytes(out + layout.trailer)


def crafts_of(data: bytes) -> list[Craft]:
    """The entries of a well-formed archive, as crafts that rebuild it (read with the reader under test: the
    rebuilt bytes are then checked by both readers, so a reader bug cannot hide here)."""
    return [
        Craft(e.raw_name, e.data, e.method, e.flags & UTF8_FLAG, e.dos_time, e.dos_date)
        for e in parse_archive(data, "fixture").entries
    ]
