"""Turning a checked connector into a .taco in the destination folder."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from connector_packager.archive.taco_writer import JarEntry, new_jar, write_taco
from connector_packager.connector import Report
from connector_packager.errors import InputOutputProblem, PackagerError, UsageProblem
from connector_packager.min_version import minimum_tableau_version
from connector_packager.stamp import StampError, stamp_min_version

log = logging.getLogger("connector_packager")


def is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` (existing or not) is ``folder`` or lies below it, links resolved."""
    real_path, real_folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([real_path, real_folder]) == real_folder


def check_destination(dest: Path, input_dir: Path) -> None:
    """Refuse destinations that are files or lie inside the connector folder (which is never written)."""
    if dest.exists() and not dest.is_dir():
        raise UsageProblem(f"--dest {dest} is a file, not a folder")
    if input_dir.is_dir() and is_inside(dest, input_dir):
        raise UsageProblem(
            f"--dest {dest} is inside the connector folder {input_dir}, which is never written to",
            hint="choose a destination folder outside the connector folder",
        )


def taco_entries(report: Report) -> list[JarEntry]:
    """The archive's entries: ``META-INF/``, its manifest, then every file, manifest.xml stamped with the minimum
    Tableau version (from the tree validation parsed: it is not parsed again)."""
    if report.min_version is None:  # a forced package of a connector that failed validation
        try:
            report.min_version, report.min_version_reasons = minimum_tableau_version(report)
        except (AssertionError, ValueError) as exc:
            raise PackagerError(f"cannot work out the minimum Tableau version: {exc}") from None
    files = []
    for file in report.files:
        data = file.data
        if file.kind == "manifest":
            try:
                data = stamp_min_version(data, report.min_version, file.tree)
            except StampError as exc:
                raise PackagerError(str(exc)) from None
        files.append((file.name, data))
    return new_jar(files)


def package(report: Report, dest: Path, sign: Callable[[list[JarEntry]], list[JarEntry]] | None = None) -> Path:
    """Write ``<class>-v<plugin-version>.taco`` into ``dest`` (created if missing) and return its path. ``sign``
    (when given) turns the entries into the signed archive's entries before they are zipped."""
    name = report.taco_name
    manifest = report.manifest
    if name is None or manifest is None or manifest.tree is None:
        raise PackagerError("cannot package: the connector's class, plugin-version or manifest could not be read")
    if "/" in name or "\\" in name or name.startswith("."):
        raise PackagerError(f"cannot package: {name!r} is not a safe file name")
    entries = taco_entries(report)
    created = [folder for folder in (dest, *dest.parents) if not folder.exists()]
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputOutputProblem(
            f"cannot create the destination folder {dest}: {exc.strerror or exc}",
            hint="its parent must be a writable folder",
        ) from None
    target = dest / name
    try:
        if sign is not None:
            entries = sign(entries)
        log.debug("Writing %s with %d entries", target, len(entries))
        write_taco(target, entries)
    except BaseException:  # failed or interrupted (Ctrl-C): take back the folders this run made, if empty
        _remove_empty(created)
        raise
    return target


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) while they are empty; anything put in them meanwhile stays."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return
