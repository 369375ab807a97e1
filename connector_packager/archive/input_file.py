"""Reading an input archive once, bounded: only a regular file, and only up to a size limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from connector_packager.archive.entry_names import shown
from connector_packager.archive.refusal import ArchiveError
from connector_packager.catalogue import Severity, declare
from connector_packager.errors import InputOutputProblem

#: The largest .taco read (a connector is a few hundred KB; Tableau's own samples are under 1 MB).
MAX_INPUT_BYTES = 32 * 1024 * 1024
_CHUNK = 1024 * 1024

TACO_TOO_LARGE = declare(
    "taco-too-large", "archive", Severity.ERROR, "the .taco is at most 32 MB",
    doc="A connector is a few hundred KB (Tableau's own samples are under 1 MB); a larger file is not read, so that "
        "checking it stays bounded in time and memory.",
    passes="a .taco of 200 KB", fails="a 33 MB file named x.taco")


def read_input(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file ``path``, read once. A FIFO, device, socket or folder is refused before it is
    opened, and again on the open descriptor (opened non-blocking, so a FIFO swapped in meanwhile cannot hang)."""
    where = shown(str(path))
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise InputOutputProblem(f"{where} does not exist") from None
    except OSError as exc:
        raise InputOutputProblem(f"cannot read {where}: {exc.strerror or exc}",
                                 hint="check the permissions of the file and of the folders above it") from None
    _check_kind(before, where, limit)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputOutputProblem(f"cannot read {where}: {exc.strerror or exc}",
                                 hint="check the permissions of the file and of the folders above it") from None
    try:
        _check_kind(os.fstat(fd), where, limit)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise ArchiveError(_too_large(where, limit), TACO_TOO_LARGE)
            chunks.append(chunk)
    except OSError as exc:
        raise InputOutputProblem(f"cannot read {where}: {exc.strerror or exc}",
                                 hint="check the permissions of the file and of the folders above it") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _check_kind(info: os.stat_result, where: str, limit: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise InputOutputProblem(f"{where} is a folder, not a .taco file")
    if not stat.S_ISREG(info.st_mode):
        raise InputOutputProblem(f"{where} is not a regular file (a pipe, device or socket); not a .taco file")
    if info.st_size > limit:
        raise ArchiveError(_too_large(where, limit), TACO_TOO_LARGE)


def _too_large(where: str, limit: int) -> str:
    return f"{where} is larger than {limit // 2**20} MB; not a .taco this tool reads"
