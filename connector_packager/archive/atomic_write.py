"""The one way the tool replaces a file: a temporary file in the same folder, synced, then renamed into place.

On any failure (or an interrupt) the temporary file is removed and the old file, if any, stays whole. Used for the
.taco that ``package`` and ``sign`` write, the copy ``install`` makes, keys and certificate requests, and previews.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from connector_packager.errors import InputOutputProblem


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _atomic_output(target: Path, *, mode: int | None = None, replace: bool = True) -> Iterator[BinaryIO]:
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


def write_file(target: Path, data: bytes, *, mode: int | None = None, replace: bool = True) -> None:
    """Replace ``target`` with ``data`` atomically: the old file stays whole if anything fails. With ``replace``
    False an existing ``target`` is refused and left alone."""
    write_through(target, lambda out: out.write(data), mode=mode, replace=replace)


def write_through(
    target: Path, fill: Callable[[BinaryIO], object], *, mode: int | None = None, replace: bool = True
) -> None:
    """Write ``target`` atomically with what ``fill`` writes into the open file (as :func:`write_file`); a failure
    to write becomes an :class:`~connector_packager.errors.InputOutputProblem` naming ``target``."""
    try:
        with _atomic_output(target, mode=mode, replace=replace) as out:
            fill(out)
    except FileExistsError:
        raise InputOutputProblem(f"{target} already exists; it is left as it is") from None
    except OSError as exc:
        raise InputOutputProblem(
            f"cannot write {target}: {exc.strerror or exc}",
            hint="check that the destination folder is writable and has free space",
        ) from None
