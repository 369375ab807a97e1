"""The outcome of checking one path (a connector folder or a .trex file), for every output format."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from connector_packager.connector import Report
from connector_packager.findings import Finding


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

    @property
    def ok(self) -> bool:
        return not any(f.is_error for f in self.findings)

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


def find_targets(roots: list[Path], recursive: bool) -> list[Path]:
    """The connector folders and .trex files named by ``roots`` (searched below with ``recursive``)."""
    found: list[Path] = []
    for root in roots:
        if not recursive or not root.is_dir():
            found.append(root)
            continue
        below = [p.parent for p in root.rglob("manifest.xml") if not _hidden(p, root)]
        below += [p for p in root.rglob("*.trex") if p.is_file() and not _hidden(p, root)]
        found.extend(sorted(set(below)) or [root])
    return list(dict.fromkeys(found))


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
