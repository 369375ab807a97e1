"""Writing .taco files: a list of JAR entries in, reproducible zip bytes out.

A new archive's entries (:func:`new_jar`): ``META-INF/``, ``META-INF/MANIFEST.MF``, then the connector's files in
the order given. Every entry gets the same timestamp (``SOURCE_DATE_EPOCH`` when set), no extra fields, and no
POSIX permission bits (as the JDK's ``jar`` writes them: ``jarsigner`` warns about permission bits, which a
signature does not cover); files are deflated at level 9, folders stored. So the same input gives the same bytes on
every run and machine. Signing (``signing/sign.py``) works on the same entry list before it is zipped, and
:func:`write_taco` zips it once, straight into the file that replaces the target atomically.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from connector_packager import __version__
from connector_packager.archive.atomic_write import write_through
from connector_packager.archive.jar_manifest import JAR_DIR, JAR_MANIFEST, main_section
from connector_packager.errors import PackagerError

#: The ``Created-By`` of the manifests and signature files the tool writes.
CREATED_BY = f"connector-packager {__version__}"
#: 1980-01-01 00:00:00, the earliest time a zip entry can carry.
DEFAULT_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
_MSDOS = 0
_MSDOS_DIRECTORY = 0x10
#: The MS-DOS "archive" attribute; zipfile would put POSIX bits into an attribute of 0.
_MSDOS_FILE = 0x20

DateTime = tuple[int, int, int, int, int, int]


@dataclass(frozen=True)
class JarEntry:
    """One entry of an archive to write: its name (folders end in ``/``), bytes, time (as ``zipfile`` spells it)
    and compression method (a folder is always stored)."""

    name: str
    data: bytes
    date_time: DateTime
    method: int = zipfile.ZIP_DEFLATED

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")


def zip_timestamp() -> DateTime:
    """The entry time: ``SOURCE_DATE_EPOCH`` (UTC) when set, else a fixed default."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if not raw:
        return DEFAULT_TIMESTAMP
    try:
        epoch = int(raw)
    except ValueError:
        raise PackagerError(f"SOURCE_DATE_EPOCH={raw!r} is not a whole number of seconds") from None
    stamp = time.gmtime(max(epoch, 315532800))  # zip cannot hold times before 1980
    return (min(stamp.tm_year, 2107), stamp.tm_mon, stamp.tm_mday, stamp.tm_hour, stamp.tm_min, stamp.tm_sec)


def new_jar(files: Sequence[tuple[str, bytes]]) -> list[JarEntry]:
    """The entries of a new, unsigned archive: ``META-INF/``, the packager's manifest, then ``files`` ((archive
    name, bytes), in order), all at :func:`zip_timestamp`."""
    when = zip_timestamp()
    return [
        JarEntry(JAR_DIR, b"", when),
        JarEntry(JAR_MANIFEST, main_section(CREATED_BY), when),
        *(JarEntry(name, data, when) for name, data in files),
    ]


def _zip_info(entry: JarEntry) -> zipfile.ZipInfo:
    """The entry as ``jar`` writes it: MS-DOS attributes and no POSIX bits; a folder is stored.

    The name is written as the same bytes a strict reader took: zipfile writes an ASCII name as ASCII and any other
    as UTF-8 with the UTF-8 flag."""
    info = zipfile.ZipInfo(entry.name, date_time=entry.date_time)
    info.create_system = _MSDOS
    if entry.is_dir:
        info.external_attr = _MSDOS_DIRECTORY
        info.compress_type = zipfile.ZIP_STORED
    else:
        info.external_attr = _MSDOS_FILE
        info.compress_type = entry.method
    return info


def write_jar(out: BinaryIO, entries: Sequence[JarEntry]) -> None:
    """Zip ``entries``, in order, into the open binary file ``out``."""
    with zipfile.ZipFile(out, "w") as jar:
        for entry in entries:
            jar.writestr(_zip_info(entry), entry.data, compresslevel=9)


def jar_bytes(entries: Sequence[JarEntry]) -> bytes:
    """``entries`` zipped, as bytes."""
    buffer = io.BytesIO()
    write_jar(buffer, entries)
    return buffer.getvalue()


def write_taco(target: Path, entries: Sequence[JarEntry]) -> None:
    """Write a complete archive of ``entries`` at ``target``, or nothing at all (the old file stays whole)."""
    write_through(target, lambda out: write_jar(out, entries))
