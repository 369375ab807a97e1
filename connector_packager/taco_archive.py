"""Reading a .taco into memory (for inspect, sign and verify), with the limits a connector archive never needs to
pass."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path

from connector_packager.errors import PackagerError

#: Refuse archives that unpack to more than this (a .taco is a few hundred KB).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise PackagerError(f"{path} does not exist") from None
    except OSError as exc:
        raise PackagerError(f"cannot read {path}: {exc.strerror or exc}") from None


def unpack(data: bytes, source: str) -> tuple[list[zipfile.ZipInfo], dict[str, bytes]]:
    """The entries in archive order, and each name's bytes (the last one, for a name given twice)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
                raise PackagerError(f"{source} unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB; not a .taco")
            return infos, {i.filename: archive.read(i) for i in infos}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise PackagerError(f"{source} is not a .taco (zip) file: {exc}") from None


def duplicate_names(names: list[str]) -> list[str]:
    """The entry names the archive holds more than once, sorted."""
    return sorted(name for name, count in Counter(names).items() if count > 1)
