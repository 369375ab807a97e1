"""Reading a .taco back: what it holds, whether it is a connector we would package, and its signature files."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from connector_packager.archive.entry_names import quoted
from connector_packager.archive.jar_manifest import JAR_DIR, JAR_MANIFEST
from connector_packager.archive.signature_files import is_signature_block
from connector_packager.archive.zip_reader import parse_archive, read_archive
from connector_packager.catalogue import Severity, declare
from connector_packager.connector import MANIFEST
from connector_packager.errors import InputOutputProblem, PackagerError
from connector_packager.findings import Finding, error

TACO_MANIFEST_NOT_FIRST = declare(
    "taco-manifest-not-first",
    "archive",
    Severity.ERROR,
    "the .taco starts with META-INF/MANIFEST.MF, as a JAR must",
    doc="Java's JarInputStream finds the manifest only as the first entry (after META-INF/); `package` and `jar` "
    "write it there.",
    passes="META-INF/, META-INF/MANIFEST.MF, manifest.xml, ...",
    fails="manifest.xml, META-INF/MANIFEST.MF, ...",
)
TACO_ENTRY_NOT_UNPACKABLE = declare(
    "taco-entry-not-unpackable",
    "archive",
    Severity.ERROR,
    "every entry can be unpacked into a folder",
    doc="inspect unpacks the connector into a temporary folder to validate it, as Tableau unpacks it: an entry that "
    "cannot be written there (a file where another entry needs a folder) cannot be loaded either.",
    passes="a.js, b/c.js",
    fails="a.js, a.js/c.js",
)
TACO_NO_CONNECTOR_MANIFEST = declare(
    "taco-no-connector-manifest",
    "archive",
    Severity.ERROR,
    "the .taco holds a manifest.xml at its top",
    doc="A connector is found from its manifest.xml; without one the archive holds no connector.",
    passes="META-INF/MANIFEST.MF, manifest.xml, ...",
    fails="META-INF/MANIFEST.MF, acme/manifest.xml",
)
TACO_ENTRY_UNREFERENCED = declare(
    "taco-entry-unreferenced",
    "archive",
    Severity.ERROR,
    "every entry is a file the connector references",
    doc="`package` writes only the files the connector references (from manifest.xml on); anything else was added "
    "by hand and is shipped to every user unchecked.",
    passes="the files `package` wrote",
    fails="an extra notes.txt",
)
TACO_CONNECTOR_INVALID = declare(
    "taco-connector-invalid",
    "archive",
    Severity.ERROR,
    "the connector inside passes validation",
    doc="The connector inside is validated as `package` validates a folder; its own findings are listed with their "
    "own rule ids, and this one says that the archive fails because of them.",
    passes="a .taco written by `package`",
    fails="a .taco whose connectionFields.xml was edited to break its schema",
)
TACO_NOT_STAMPED = declare(
    "taco-not-stamped",
    "archive",
    Severity.ERROR,
    "manifest.xml carries min-version-tableau",
    doc="`package` stamps the minimum Tableau version the connector needs into the packaged manifest.xml; without "
    "it the archive was not made by a packager and Tableau cannot tell which versions may load it.",
    passes='<connector-plugin ... min-version-tableau="2020.3">',
    fails="<connector-plugin ...> (no stamp)",
)


@dataclass
class Entry:
    name: str
    size: int
    compressed: int


@dataclass
class TacoInfo:
    path: Path
    entries: list[Entry] = field(default_factory=list)
    class_name: str | None = None
    plugin_version: str | None = None
    display_name: str | None = None
    min_version: str | None = None
    signers: list[str] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """A well-formed connector archive: no problem found."""
        return not self.problems


def _is_meta(name: str) -> bool:
    return name == JAR_DIR or name.startswith(JAR_DIR)


def read_taco(path: Path) -> TacoInfo:
    """Open ``path``, list it, and check the connector inside it as ``package`` would. The strict archive reader
    refuses (:class:`ArchiveError`) an archive readers could read differently, naming every unsafe entry name."""
    info = TacoInfo(path)
    archive = read_archive(path)
    info.entries = [Entry(e.name, e.size, e.compressed_size) for e in archive.entries]
    info.warnings += archive.warnings
    _check_layout(info, archive.names)
    try:
        with tempfile.TemporaryDirectory(prefix="taco-inspect-") as tmp:
            _unpack(archive.contents, Path(tmp), info)
            _check_connector(Path(tmp), info)
    except OSError as exc:
        raise InputOutputProblem(
            f"cannot unpack {path} into a temporary folder: {exc.strerror or exc}",
            hint="set TMPDIR to a writable folder with free space",
        ) from None
    return info


def _check_layout(info: TacoInfo, names: list[str]) -> None:
    head = names[:2]
    if head[:1] == [JAR_DIR]:
        head = head[1:]
    if head[:1] != [JAR_MANIFEST]:
        info.problems.append(
            error(
                TACO_MANIFEST_NOT_FIRST,
                f"the archive does not start with {JAR_MANIFEST}, as a JAR must",
                JAR_MANIFEST,
                hint="package the connector again with `package`",
            )
        )
    info.signers = sorted(PurePosixPath(n).stem for n in names if is_signature_block(n))


def _unpack(contents: dict[str, bytes], folder: Path, info: TacoInfo) -> None:
    """Write the connector's files into ``folder`` (the reader has refused unsafe and too deep names). An entry that
    cannot be written there (a file where another entry needs a folder) is a problem, not a failure."""
    for name, data in contents.items():
        if _is_meta(name) or name.endswith("/"):
            continue
        target = folder / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            info.problems.append(
                error(
                    TACO_ENTRY_NOT_UNPACKABLE,
                    f"entry {quoted(name)} cannot be unpacked for checking: {exc.strerror or exc}",
                    name,
                )
            )


def _check_connector(folder: Path, info: TacoInfo) -> None:
    from connector_packager.validation import check_connector

    if not (folder / MANIFEST).is_file():
        info.problems.append(
            error(
                TACO_NO_CONNECTOR_MANIFEST,
                f"the archive has no {MANIFEST}",
                hint="package the connector folder that holds manifest.xml",
            )
        )
        return
    report = check_connector(folder)
    info.findings = report.findings
    info.class_name, info.plugin_version, info.display_name = (
        report.class_name,
        report.plugin_version,
        report.display_name,
    )
    manifest = report.manifest
    if manifest is not None and manifest.tree is not None:
        info.min_version = manifest.tree.getroot().get("min-version-tableau")
    listed = {f.name for f in report.files}
    info.unreferenced = [
        e.name for e in info.entries if not _is_meta(e.name) and not e.name.endswith("/") and e.name not in listed
    ]
    info.problems += [
        error(
            TACO_ENTRY_UNREFERENCED,
            f"an entry that no connector file references: {name}",
            name,
            hint="package the connector folder again: `package` writes only the files it references",
        )
        for name in info.unreferenced
    ]
    if not report.ok:
        info.problems.append(
            error(TACO_CONNECTOR_INVALID, f"the connector inside fails validation ({len(report.errors)} error(s))")
        )
    elif info.min_version is None:
        info.problems.append(
            error(
                TACO_NOT_STAMPED,
                "manifest.xml carries no min-version-tableau (not stamped by a packager)",
                MANIFEST,
                hint="package the connector folder with `package`",
            )
        )


def connector_identity(data: bytes, source: str) -> tuple[str, str]:
    """The class and plugin version a .taco's ``manifest.xml`` declares (nothing else is checked)."""
    from connector_packager.xmlsafe import XmlProblem, parse_xml

    contents = parse_archive(data, source).contents
    manifest = contents.get(MANIFEST)
    if manifest is None:
        raise PackagerError(f"{source} holds no {MANIFEST}: not a connector")
    try:
        root = parse_xml(manifest).getroot()
    except XmlProblem as exc:
        raise PackagerError(f"the {MANIFEST} in {source} cannot be read: {exc}") from None
    class_name, version = root.get("class"), root.get("plugin-version")
    if not class_name or not version:
        raise PackagerError(f"the {MANIFEST} in {source} lacks its class or plugin-version")
    return class_name, version
