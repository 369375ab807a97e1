"""The outcome of checking one path (a connector folder or a .trex file), for every output format."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from connector_packager.catalogue import declare
from connector_packager.connector import Report
from connector_packager.findings import Finding, Severity, cannot_read, error

NOTHING_FOUND = declare(
    "nothing-found", "connector", Severity.ERROR,
    "a folder searched with --recursive holds a connector or a .trex file",
    doc="validate --recursive looks for folders with manifest.xml and .trex files below each path; a path "
        "below which there is neither is a mistake (a wrong folder), not a success.",
    passes="connector-packager validate --recursive samples/", fails="connector-packager validate --recursive docs/")


@dataclass
class CheckResult:
    path: str
    kind: str  # "connector" or "trex"
    findings: list[Finding] = field(default_factory=list)
    class_name: str | None = None
    plugin_version: str | None = None
    name: str | None = None
    min_version_tableau: str | None = None
    taco: str | None = None
    #: --strict: warnings fail the check too.
    strict: bool = False

    @property
    def ok(self) -> bool:
        fails = (Severity.ERROR, Severity.WARNING) if self.strict else (Severity.ERROR,)
        return not any(f.severity in fails for f in self.findings)

    @property
    def input_unreadable(self) -> bool:
        """An input was missing or could not be read, so it could not be checked (exit 2, not 1)."""
        return cannot_read(self.findings)

    @property
    def error_count(self) -> int:
        return sum(1 for f in self.findings if f.is_error)

    @property
    def warning_count(self) -> int:
        return sum(1 for f in self.findings if not f.is_error)


def connector_result(path: str, report: Report) -> CheckResult:
    return CheckResult(path, "connector", list(report.findings), report.class_name, report.plugin_version,
                       report.display_name, report.min_version)


def check_path(path: Path, *, backwards_compatible: bool = False) -> CheckResult:
    """Check a connector folder or a .trex file, whichever ``path`` is."""
    if path.suffix.lower() == ".trex" and not path.is_dir():
        from connector_packager.trex import check_trex

        return CheckResult(str(path), "trex", check_trex(path))
    from connector_packager.validation import check_connector

    return connector_result(str(path), check_connector(path, backwards_compatible=backwards_compatible))


def find_targets(roots: list[Path], recursive: bool) -> tuple[list[Path], list[Path]]:
    """The connector folders and .trex files named by ``roots`` (searched below with ``recursive``), and the
    roots searched in vain."""
    found: list[Path] = []
    empty: list[Path] = []
    for root in roots:
        if not recursive or not root.is_dir():
            found.append(root)
            continue
        below = [p.parent for p in root.rglob("manifest.xml") if not _hidden(p, root)]
        below += [p for p in root.rglob("*.trex") if p.is_file() and not _hidden(p, root)]
        found.extend(sorted(set(below)))
        if not below:
            empty.append(root)
    return list(dict.fromkeys(found)), empty


def nothing_found(root: Path) -> CheckResult:
    """The result for a folder searched with --recursive that holds no connector and no .trex file."""
    return CheckResult(str(root), "connector", [error(
        NOTHING_FOUND, f"no connector (a folder with manifest.xml) or .trex file was found in {root}",
        hint="give the folder that holds your connector folders, or a connector folder itself")])


def owning_targets(files: list[Path]) -> list[Path]:
    """For changed files (as pre-commit passes them): each .trex file, and the connector folder each other
    file belongs to (the nearest folder above it with a manifest.xml). Files in no connector are left out."""
    found: list[Path] = []
    for file in files:
        if file.suffix.lower() == ".trex":
            found.append(file)
            continue
        for folder in file.parents:
            if (folder / "manifest.xml").is_file():
                found.append(folder)
                break
    return list(dict.fromkeys(found))


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)
