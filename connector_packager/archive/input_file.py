"""Reading an input archive once, bounded: only a regular file, and only up to a size limit."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from connector_packager.archive.entry_names import shown
from connector_packager.archive.refusal import ArchiveError
from connector_packager.catalogue import Severity, declare
from connector_packager.errors import InputOutputProblem, PackagerError

#: The largest .taco read (a connector is a few hundred KB; Tableau's own samples are under 1 MB).
MAX_INPUT_BYTES = 32 * 1024 * 1024
_CHUNK = 1024 * 1024

TACO_TOO_LARGE = declare(
    "taco-too-large",
    "archive",
    Severity.ERROR,
    "the .taco is at most 32 MB",
    doc="A connector is a few hundred KB (Tableau's own samples are under 1 MB); a larger file is not read, so that "
    "checking it stays bounded in time and memory.",
    passes="a .taco of 200 KB",
    fails="a 33 MB file named x.taco",
)


def read_input(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file ``path``, read once (see :func:`read_regular_file`); a larger one fails the
    check (exit 1): it is not a .taco this tool reads."""
    return read_regular_file(
        path,
        limit,
        kind="a .taco file",
        too_large=lambda message: ArchiveError(message, TACO_TOO_LARGE),
        too_large_reason="not a .taco this tool reads",
    )


def read_regular_file(
    path: Path,
    limit: int,
    *,
    what: str = "",
    kind: str,
    too_large: Callable[[str], PackagerError],
    too_large_reason: str,
) -> bytes:
    """The bytes of the regular file ``path`` (called ``what``, e.g. "the keystore", in messages), read once and at
    most ``limit`` of them. A FIFO, device, socket or folder is refused before it is opened, and again on the open
    descriptor (opened non-blocking, so a FIFO swapped in meanwhile cannot hang); ``kind`` names what was expected.
    A file over ``limit`` raises ``too_large`` with ``too_large_reason``, without reading past the limit."""
    where = f"{what} {shown(str(path))}" if what else shown(str(path))
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise InputOutputProblem(f"{where} does not exist") from None
    except OSError as exc:
        raise InputOutputProblem(
            f"cannot read {where}: {exc.strerror or exc}",
            hint="check the permissions of the file and of the folders above it",
        ) from None
    refusal = _Refusal(where, kind, limit, too_large, too_large_reason)
    refusal.check_kind(before)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputOutputProblem(
            f"cannot read {where}: {exc.strerror or exc}",
            hint="check the permissions of the file and of the folders above it",
        ) from None
    try:
        refusal.check_kind(os.fstat(fd))
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise refusal.too_large_error()
            chunks.append(chunk)
    except OSError as exc:
        raise InputOutputProblem(
            f"cannot read {where}: {exc.strerror or exc}",
            hint="check the permissions of the file and of the folders above it",
        ) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


class _Refusal:
    """How a file that is not a regular file of at most ``limit`` bytes is refused."""

    def __init__(
        self, where: str, kind: str, limit: int, too_large: Callable[[str], PackagerError], reason: str
    ) -> None:
        self.where, self.kind, self.limit, self.too_large, self.reason = where, kind, limit, too_large, reason

    def check_kind(self, info: os.stat_result) -> None:
        if stat.S_ISDIR(info.st_mode):
            raise InputOutputProblem(f"{self.where} is a folder, not {self.kind}")
        if not stat.S_ISREG(info.st_mode):
            raise InputOutputProblem(f"{self.where} is not a regular file (a pipe, device or socket); not {self.kind}")
        if info.st_size > self.limit:
            raise self.too_large_error()

    def too_large_error(self) -> PackagerError:
        size = f"{self.limit // 2**20} MB" if self.limit >= 2**20 else f"{self.limit // 2**10} KB"
        return self.too_large(f"{self.where} is larger than {size}; {self.reason}")
