"""The one result model of every command (validate, package, inspect, sign, verify), and finding the paths
``validate`` checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from connector_packager.catalogue import declare
from connector_packager.connector import Report
from connector_packager.findings import Finding, Severity, cannot_read, error

if TYPE_CHECKING:
    from connector_packager.signing.verify import Verification
    from connector_packager.taco_info import TacoInfo

NOTHING_FOUND = declare(
    "nothing-found",
    "connector",
    Severity.ERROR,
    "a folder searched with --recursive holds a connector or a .trex file",
    doc="validate --recursive looks for folders with manifest.xml and .trex files below each path; a path "
    "below which there is neither is a mistake (a wrong folder), not a success.",
    passes="connector-packager validate --recursive samples/",
    fails="connector-packager validate --recursive docs/",
)


@dataclass(frozen=True)
class Connector:
    """What was learned about a connector: its identity, the minimum Tableau version with the reasons for it, and the
    vendor-defined fields (``v-...``), whose values Tableau logs and stores in plain text."""

    class_name: str | None = None
    plugin_version: str | None = None
    name: str | None = None
    min_version_tableau: str | None = None
    min_version_reasons: tuple[str, ...] = ()
    vendor_defined_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Packaged:
    """What ``package`` wrote: the .taco (None with --validate-only, or when validation failed without --force),
    and whether it was written although validation failed."""

    taco: str | None = None
    forced: bool = False


@dataclass(frozen=True)
class SignedTaco:
    """A signed .taco: where it is, the signature's name (``META-INF/<NAME>.SF``), the timestamp authority, and
    warnings (a self-signed certificate, a chain that may lack an intermediate, ...)."""

    taco: Path
    signature_name: str
    tsa: str | None
    warnings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Result:
    """The outcome of one command on one input, for every command and every output format: the findings, plus
    typed detail sections, each present only where the command learned it.

    ``command`` names the command that made it (``validate``, ``package``, ``inspect``, ``sign``, ``verify``);
    ``kind`` what ``path`` is (``connector``, ``trex``, ``taco``). Made once by the core (``api``), never changed
    afterwards."""

    command: str
    path: str
    kind: str
    findings: tuple[Finding, ...] = ()
    connector: Connector | None = None
    packaged: Packaged | None = None
    signed: SignedTaco | None = None
    archive: TacoInfo | None = None
    verification: Verification | None = None
    #: --strict: warnings fail the check too.
    strict: bool = False

    @property
    def ok(self) -> bool:
        """No error among the findings (nor warning with ``strict``), and the archive or signature, where one was
        checked, has no problem."""
        fails = (Severity.ERROR, Severity.WARNING) if self.strict else (Severity.ERROR,)
        if any(f.severity in fails for f in self.findings):
            return False
        return all(section is None or section.ok for section in (self.archive, self.verification))

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


def connector_details(report: Report) -> Connector:
    """The connector section of a result, from a checked connector."""
    return Connector(
        report.class_name,
        report.plugin_version,
        report.display_name,
        report.min_version,
        tuple(report.min_version_reasons),
        tuple(dict.fromkeys(report.facts.vendor_defined_fields)),
    )


def connector_result(path: str, report: Report, *, command: str = "validate", strict: bool = False) -> Result:
    return Result(command, path, "connector", tuple(report.findings), connector_details(report), strict=strict)


def archive_result(info: TacoInfo) -> Result:
    """``inspect``'s result: the findings of the connector inside, then the archive's problems and warnings."""
    connector = Connector(info.class_name, info.plugin_version, info.display_name, info.min_version)
    return Result(
        "inspect", str(info.path), "taco", (*info.findings, *info.problems, *info.warnings), connector, archive=info
    )


def verification_result(verification: Verification) -> Result:
    """``verify``'s result: the reasons Tableau refuses the .taco, then the warnings, as findings."""
    return Result(
        "verify",
        str(verification.path),
        "taco",
        (*verification.problems, *verification.warnings),
        verification=verification,
    )


def signed_result(source: Path, signed: SignedTaco) -> Result:
    """``sign``'s result: the signing's warnings as findings, and what was written."""
    return Result("sign", str(source), "taco", signed.warnings, signed=signed)


def check_path(
    path: Path, *, backwards_compatible: bool = False, strict: bool = False, command: str = "validate"
) -> Result:
    """Check a connector folder or a .trex file, whichever ``path`` is."""
    if is_trex(path):
        from connector_packager.trex import check_trex

        return Result(command, str(path), "trex", tuple(check_trex(path)), strict=strict)
    from connector_packager.validation import check_connector

    report = check_connector(path, backwards_compatible=backwards_compatible)
    return connector_result(str(path), report, command=command, strict=strict)


def is_trex(path: Path) -> bool:
    """Whether ``path`` names a .trex file (an extension manifest) rather than a connector folder."""
    return path.suffix.lower() == ".trex" and not path.is_dir()


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


def nothing_found(root: Path, *, strict: bool = False) -> Result:
    """The result for a folder searched with --recursive that holds no connector and no .trex file."""
    return Result(
        "validate",
        str(root),
        "connector",
        (
            error(
                NOTHING_FOUND,
                f"no connector (a folder with manifest.xml) or .trex file was found in {root}",
                hint="give the folder that holds your connector folders, or a connector folder itself",
            ),
        ),
        strict=strict,
    )


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
