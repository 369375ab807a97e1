"""Writing .taco files: JAR-layout zips, reproducible and written atomically.

Entries: ``META-INF/``, ``META-INF/MANIFEST.MF``, then the connector's files
in the order given, deflated. Every entry gets the same timestamp
(``SOURCE_DATE_EPOCH`` when set), no extra fields, and no POSIX permission
bits (as the JDK's ``jar`` writes them: ``jarsigner`` warns about permission
bits, which a signature does not cover), so
the same input gives the same bytes on every run and machine. The archive is
written to a temporary file next to its destination, synced, and renamed
into place only when complete.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from connector_packager import __version__
from connector_packager.errors import InputOutputProblem, PackagerError
from connector_packager.archive.jar_manifest import main_section

JAR_DIR = "META-INF/"
JAR_MANIFEST = "META-INF/MANIFEST.MF"
#: 1980-01-01 00:00:00, the earliest time a zip entry can carry.
DEFAULT_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
_MSDOS = 0
_MSDOS_DIRECTORY = 0x10
#: The MS-DOS "archive" attribute; zipfile would put POSIX bits into an attribute of 0.
_MSDOS_FILE = 0x20


def zip_timestamp() -> tuple[int, int, int, int, int, int]:
    """The entry time: ``SOURCE_DATE_EPOCH`` (UTC) when set, else a fixed default."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if not raw:
        return DEFAULT_TIMESTAMP
    try:
        epoch = int(raw)
    except ValueError:
        raise PackagerError(f"SOURCE_DATE_EPOCH={raw!r} is not a whole number of seconds") from None
    stamp = time.gmtime(max(epoch, 315532800))  # zip cannot hold times before 1980
    return (min(stamp.tm_year, 2107), stamp.tm_mon, stamp.tm_mday, stamp.tm_hour, stamp.tm_min,
            stamp.tm_sec)


def entry_info(name: str, when: tuple[int, int, int, int, int, int],
               compress_type: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    """An entry as ``jar`` writes it: MS-DOS attributes and no POSIX bits; a folder is stored, a file is
    compressed with ``compress_type``."""
    info = zipfile.ZipInfo(name, date_time=when)
    info.create_system = _MSDOS
    if name.endswith("/"):
        info.external_attr = _MSDOS_DIRECTORY
        info.compress_type = zipfile.ZIP_STORED
    else:
        info.external_attr = _MSDOS_FILE
        info.compress_type = compress_type
    return info


def write_jar(out: BinaryIO, entries: Sequence[tuple[str, bytes]], *, jar_manifest: bytes | None = None) -> None:
    """Write the JAR to an open binary file. ``entries`` are (archive name, bytes) in order."""
    when = zip_timestamp()
    manifest = jar_manifest if jar_manifest is not None else main_section(f"connector-packager {__version__}")
    with zipfile.ZipFile(out, "w") as jar:
        jar.writestr(entry_info(JAR_DIR, when), b"")
        jar.writestr(entry_info(JAR_MANIFEST, when), manifest, compresslevel=9)
        for name, data in entries:
            jar.writestr(entry_info(name, when), data, compresslevel=9)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(target: Path, *, mode: int | None = None, replace: bool = True) -> Iterator[BinaryIO]:
    """A file to write ``target`` through: renamed into place on success, removed on any failure.

    ``mode`` sets the permission bits (default: what the umask allows); with ``replace`` False an existing
    ``target`` is never replaced (the complete file is linked into place, which fails if one appeared)."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask() if mode is None else mode)
        if replace:
            os.replace(tmp, target)
        else:
            os.link(tmp, target)
            tmp.unlink()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the rename durable where the platform allows it
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_taco(target: Path, entries: Sequence[tuple[str, bytes]],
               finish: Callable[[bytes], bytes] | None = None) -> None:
    """Write a complete .taco at ``target`` or nothing at all. ``finish`` (signing) may rework the archive's bytes
    before they are written."""
    if finish is None:
        _write(target, lambda out: write_jar(out, entries))
        return
    buffer = io.BytesIO()
    write_jar(buffer, entries)
    write_file(target, finish(buffer.getvalue()))


def write_file(target: Path, data: bytes, *, mode: int | None = None, replace: bool = True) -> None:
    """Replace ``target`` with ``data`` atomically: the old file stays whole if anything fails. With ``replace``
    False an existing ``target`` is refused and left alone."""
    _write(target, lambda out: out.write(data), mode=mode, replace=replace)


def _write(target: Path, fill: Callable[[BinaryIO], object], *, mode: int | None = None,
           replace: bool = True) -> None:
    try:
        with atomic_output(target, mode=mode, replace=replace) as out:
            fill(out)
    except FileExistsError:
        raise InputOutputProblem(f"{target} already exists; it is left as it is") from None
    except OSError as exc:
        raise InputOutputProblem(f"cannot write {target}: {exc.strerror or exc}",
                            hint="check that the destination folder is writable and has free space") from None
