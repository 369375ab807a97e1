"""Finding every file a connector uses, starting from its manifest.

The walk follows ``file=`` attributes depth first in document order (the
order files are listed, validated and packaged in) and checks what only the
walk can see: references that leave the folder or do not exist, the
connector class agreeing everywhere, https-only URLs, null OAuth configs and
localized strings needing resource files.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

from lxml import etree

from connector_packager import findings as fnd
from connector_packager.catalogue import Rule, Severity, declare
from connector_packager.connector import MANIFEST, ConnectorFile, Report
from connector_packager.xmlsafe import XmlProblem, elements, parse_xml

log = logging.getLogger("connector_packager")

#: Tableau refuses to load larger connector XML files.
MAX_XML_BYTES = 256 * 1024
#: Our own limit on a script file (Tableau's packager has none): it bounds the memory a run takes on a hostile or
#: broken folder (a sparse multi-gigabyte file); connector scripts are a few KB.
MAX_SCRIPT_BYTES = 16 * 1024 * 1024
#: Tableau's localized-string prefix in attribute values.
LOCALIZED_PREFIX = "@string/"
#: The marker value of ``<oauth-config file=...>`` meaning "no OAuth config of its own".
NULL_OAUTH_CONFIG = "null_config"
#: Resource files picked up after ``resources-en_US.xml``, in this order.
RESOURCE_LANGUAGES = (
    "de_DE",
    "en_GB",
    "es_ES",
    "fr_CA",
    "fr_FR",
    "ga_IE",
    "it_IT",
    "ja_JP",
    "ko_KR",
    "nl_NL",
    "pt_BR",
    "sv_SE",
    "th_TH",
    "zh_CN",
    "zh_TW",
)
#: How deep ``file=`` references may chain (manifest -> tdr -> script is 2).
MAX_REFERENCE_DEPTH = 32
HTTPS = "https://"
#: How many connector sub-folders a message names at most.
MAX_LISTED = 5


NOT_A_CONNECTOR_FOLDER = declare(
    "not-a-connector-folder",
    "connector",
    Severity.ERROR,
    "the path given is an existing folder",
    doc="A connector is a folder holding manifest.xml. A missing path, a file or a .taco is named as such, "
    "with the command to use instead (the folder of a file; inspect or verify for a .taco).",
    passes="connector-packager validate acme_jdbc/",
    fails="connector-packager validate acme_jdbc/manifest.xml",
)
MANIFEST_MISSING = declare(
    "manifest-missing",
    "connector",
    Severity.ERROR,
    "the folder holds a file named exactly manifest.xml",
    doc="Discovery starts at manifest.xml. A file of that name in another case (names are case-sensitive in "
    "Tableau) or connector folders one level below are named in the message.",
    passes="acme_jdbc/manifest.xml",
    fails="acme_jdbc/Manifest.xml",
)
FILE_MISSING = declare(
    "file-missing",
    "connector",
    Severity.ERROR,
    "every file a file= attribute names exists and is a file",
    doc="Tableau loads each referenced file; a missing one (or one whose name differs only in case, or a "
    "folder) makes the connector fail to load.",
    passes='<dialect file="dialect.tdd"/> with dialect.tdd present',
    fails='<dialect file="dialect.tdd"/> with no such file',
)
FILE_OUTSIDE_FOLDER = declare(
    "file-outside-folder",
    "connector",
    Severity.ERROR,
    "file references stay inside the connector folder",
    doc="Absolute paths, '..' and links that lead outside the folder would package (and disclose) files that "
    "are not the connector's; the .taco holds only the connector folder.",
    passes='<script file="scripts/builder.js"/>',
    fails='<script file="../../etc/passwd"/>',
)
BAD_REFERENCE = declare(
    "bad-reference",
    "connector",
    Severity.ERROR,
    "a file reference is not empty and has no surrounding spaces",
    doc="An empty reference names no file, and spaces around a name are kept by Tableau, so the file would not "
    "be found.",
    passes='<dialect file="dialect.tdd"/>',
    fails='<dialect file=" dialect.tdd"/>',
)
FILE_TOO_LARGE = declare(
    "file-too-large",
    ("connector", "trex"),
    Severity.ERROR,
    "connector XML files are at most 256 KB, scripts at most 16 MB; a .trex at most 1 MB",
    doc="Tableau refuses to load connector XML files over 256 KB; the limit also bounds the memory and time a "
    "check takes on hostile input. The 16 MB limit on scripts is this tool's own (Tableau's packager reads "
    "any size): it keeps a run's memory bounded, far above any real connector script.",
    passes="a 10 KB connectionResolver.tdr",
    fails="a 300 KB connectionResolver.tdr",
)
INPUT_MISSING = declare(
    "input-missing",
    ("connector", "trex"),
    Severity.ERROR,
    "the path given on the command line exists",
    doc="A connector folder or .trex file that does not exist cannot be checked: the command exits 2 (the tool "
    "could not do the job), not 1.",
    passes="connector-packager validate samples/acme_odbc",
    fails="connector-packager validate no/such/folder",
    unreadable=True,
)
FILE_UNREADABLE = declare(
    "file-unreadable",
    ("connector", "trex"),
    Severity.ERROR,
    "a file that exists can be read",
    doc="A file without read permission (or another read error) is reported with the system's reason instead "
    "of stopping the run.",
    passes="dialect.tdd readable",
    fails="dialect.tdd with mode 000",
    unreadable=True,
)
REFERENCE_TOO_DEEP = declare(
    "reference-too-deep",
    "connector",
    Severity.ERROR,
    f"file references chain at most {MAX_REFERENCE_DEPTH} deep",
    doc="Bounds the walk on hostile input; real connectors chain two deep (manifest, .tdr, script).",
    passes="manifest.xml -> connectionResolver.tdr -> connectionBuilder.js",
    fails=f"a chain of {MAX_REFERENCE_DEPTH + 2} files each naming the next",
)
CLASS_MISMATCH = declare(
    "class-mismatch",
    "connector",
    Severity.ERROR,
    "every class attribute (and OAuth <dbclass>) equals the manifest's class",
    doc="Tableau ties the dialog, resolver, dialect and OAuth config to the connector by class; a file with "
    "another class is not used (as Tableau's packager also refuses).",
    passes='<connector-plugin class="acme"> ... <dialect class="acme">',
    fails='<connector-plugin class="acme"> ... <dialect class="acme2">',
)
URL_NOT_HTTPS = declare(
    "url-not-https",
    "connector",
    Severity.ERROR,
    "every url attribute starts with https://",
    doc="Tableau's packager refuses plain-http links (support links, OAuth endpoints): they can be altered in transit.",
    passes='<support-link url="https://example.com"/>',
    fails='<support-link url="http://example.com"/>',
)
METADATA_WITHOUT_FIELDS = declare(
    "metadata-without-fields",
    "connector",
    Severity.ERROR,
    "connection-metadata comes after a connection-fields file",
    doc="Connection metadata describes fields of the connection-fields dialog, which must be referenced "
    "before it (Tableau's packager checks the same).",
    passes='<connection-fields file="f.xml"/><connection-metadata file="m.xml"/>',
    fails='<connection-metadata file="m.xml"/><connection-fields file="f.xml"/>',
)
CLASS_MISSING = declare(
    "class-missing",
    "manifest",
    Severity.ERROR,
    "the manifest names the connector's class",
    doc="The class identifies the connector in Tableau and names the .taco; without it nothing can be packaged.",
    passes='<connector-plugin class="acme" ...>',
    fails="<connector-plugin ...>",
)
UNSAFE_TACO_NAME = declare(
    "unsafe-taco-name",
    "manifest",
    Severity.ERROR,
    "class and plugin-version hold no '/', '\\' or '..'",
    doc="The .taco is named CLASS-vVERSION.taco; such characters would write it outside the destination folder.",
    passes='class="acme" plugin-version="1.0.0"',
    fails='class="../acme"',
)
NULL_OAUTH_CONFIG_NOT_ALONE = declare(
    "null-oauth-config-not-alone",
    "manifest",
    Severity.ERROR,
    f'oauth-config file="{NULL_OAUTH_CONFIG}" is the manifest\'s only OAuth config',
    doc="The null config means 'no OAuth config of its own'; together with real configs it contradicts them, "
    "and Tableau's packager refuses it.",
    passes='<oauth-config file="null_config"/>',
    fails='<oauth-config file="null_config"/><oauth-config file="oauth.xml"/>',
)
RESOURCES_MISSING = declare(
    "resources-missing",
    "connector",
    Severity.ERROR,
    "localized strings (@string/...) need resources-en_US.xml",
    doc="Tableau looks @string/ names up in resources-<language>.xml and falls back to English; without the "
    "English file the strings cannot be shown.",
    passes='label="@string/server" with resources-en_US.xml',
    fails='label="@string/server" without it',
)


def case_variant(folder: Path, name: str) -> str | None:
    """The entry of ``folder`` whose name differs from ``name`` only in case (Windows and macOS do not mind,
    Tableau does), or None."""
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return None
    return next((entry for entry in entries if entry != name and entry.lower() == name.lower()), None)


def connector_subfolders(folder: Path) -> list[str]:
    """The names of ``folder``'s sub-folders that hold a manifest.xml (one level down only: bounded)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return []
    return [
        entry.name
        for entry in entries
        if not entry.name.startswith(".") and entry.is_dir() and (Path(entry.path) / MANIFEST).is_file()
    ]


def discover(folder: Path, report: Report) -> None:
    """Fill ``report.files`` and the connector's identity; add findings for what is wrong. A file that cannot be
    read (``OSError``) is a ``file-unreadable`` finding naming its path, never an exception."""
    try:
        _Walker(folder, report).run()
    except OSError as exc:  # the folder itself, or its manifest, cannot be looked at
        report.findings.append(unreadable(exc, str(exc.filename or folder)))


def existing(path: Path) -> os.stat_result | None:
    """The status of ``path`` (links followed), None when it does not exist. Any other ``OSError`` (permission
    denied, an I/O error, a loop of links) is raised, not taken for a missing file."""
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None


def unreadable(exc: OSError, name: str, where: str | None = None, line: int | None = None) -> fnd.Finding:
    """The finding for a connector file that exists but cannot be read (permissions, I/O error, ...)."""
    return fnd.error(
        FILE_UNREADABLE,
        f"{name} cannot be read: {exc.strerror or exc}",
        where,
        line,
        hint="check the permissions of the file and of the folders above it, and that it is a regular file",
    )


class _Walker:
    def __init__(self, folder: Path, report: Report) -> None:
        self.folder = folder
        self.real_folder = os.path.realpath(folder)
        self.report = report
        self.localized_at: tuple[str, int | None] | None = None
        #: The manifest could not be parsed: checks of its content (the class name, ...) are skipped.
        self.manifest_unreadable = False

    # ------------------------------------------------------------ entry point

    def run(self) -> None:
        report = self.report
        folder = existing(self.folder)
        if folder is None or not stat.S_ISDIR(folder.st_mode):
            self.not_a_folder()
            return
        manifest_path = self.folder / MANIFEST
        manifest_status = existing(manifest_path)
        if manifest_status is None or not stat.S_ISREG(manifest_status.st_mode):
            self.manifest_missing(manifest_path)
            return
        manifest = self.read(MANIFEST, "manifest", None)
        if manifest is None:
            return
        report.files.append(manifest)
        log.debug("Adding file to list (name = %s, type = manifest)", MANIFEST)
        self.walk(manifest, depth=0)
        self.check_identity()
        self.check_oauth_configs()
        if self.localized_at is not None:
            self.add_resource_files()

    # ------------------------------------------------------------ the walk

    def walk(self, file: ConnectorFile, depth: int) -> None:
        tree = self.parse(file)
        if tree is None:
            self.manifest_unreadable = self.manifest_unreadable or file.kind == "manifest"
            return
        report = self.report
        root = tree.getroot()
        if file.kind == "manifest":
            report.class_name = root.get("class")
            report.plugin_version = root.get("plugin-version")
            report.display_name = root.get("name")
        for el in elements(root):
            tag, line = str(el.tag), el.sourceline
            if tag == "dbclass" and report.class_name is not None and (el.text or "") != report.class_name:
                self.error(
                    CLASS_MISMATCH,
                    f"dbclass {el.text or ''!r} differs from the manifest class {report.class_name!r}",
                    file.name,
                    line,
                )
            ref = el.get("file")
            if ref is not None:
                self.follow(file, tag, ref, line, depth)
            url = el.get("url")
            if url is not None and not url.startswith(HTTPS):
                self.error(URL_NOT_HTTPS, f"only https:// URLs are allowed, <{tag}> has url={url!r}", file.name, line)
            cls = el.get("class")
            if cls is not None:
                if report.class_name is None:
                    report.class_name = cls
                elif cls != report.class_name:
                    self.error(
                        CLASS_MISMATCH,
                        f"class {cls!r} differs from the manifest class {report.class_name!r}",
                        file.name,
                        line,
                    )
            if self.localized_at is None and any(v.startswith(LOCALIZED_PREFIX) for v in el.attrib.values()):
                self.localized_at = (file.name, line)

    def follow(self, parent: ConnectorFile, kind: str, ref: str, line: int | None, depth: int) -> None:
        report = self.report
        if kind == "oauth-config" and parent.kind == "manifest":
            report.oauth_configs.append(ref)
        if kind == "oauth-config" and ref == NULL_OAUTH_CONFIG:
            return
        name = self.safe_name(ref, parent.name, line)
        if name is None:
            return
        if kind == "connection-metadata" and not any(f.kind == "connection-fields" for f in report.files):
            self.error(
                METADATA_WITHOUT_FIELDS,
                "connection-metadata needs a connection-fields file referenced before it",
                parent.name,
                line,
            )
        if any(f.name == name for f in report.files):
            log.debug("%s is referenced again in %s; it is listed once", name, parent.name)
            return
        new = self.read(name, kind, (parent.name, line))
        if new is None:
            return
        log.debug("Adding file to list (name = %s, type = %s)", name, kind)
        report.files.append(new)
        if kind != "script":
            if depth >= MAX_REFERENCE_DEPTH:
                self.error(
                    REFERENCE_TOO_DEEP,
                    f"{name} is more than {MAX_REFERENCE_DEPTH} references away from the manifest",
                    parent.name,
                    line,
                )
                return
            self.walk(new, depth + 1)

    # ------------------------------------------------------------ not a connector folder

    def not_a_folder(self) -> None:
        """The path is a file or missing: say which, and what to give instead."""
        folder = self.folder
        if not folder.exists():
            self.error(
                INPUT_MISSING,
                f"{folder} does not exist",
                hint="give the connector folder, the one that holds manifest.xml",
            )
        elif folder.suffix.lower() == ".taco" and folder.is_file():
            self.error(
                NOT_A_CONNECTOR_FOLDER,
                f"{folder} is a packaged connector (.taco), not a connector folder",
                hint=f"use `connector-packager inspect {folder}` to see what it holds, or "
                f"`connector-packager verify {folder}` to check its signature",
            )
        elif folder.is_file():
            self.error(
                NOT_A_CONNECTOR_FOLDER,
                f"{folder} is a file: give its folder, {folder.parent}",
                hint="the connector folder is the one that holds manifest.xml",
            )
        else:
            self.error(NOT_A_CONNECTOR_FOLDER, f"{folder} is not a folder")

    def manifest_missing(self, manifest_path: Path) -> None:
        """No manifest.xml: one spelt in another case, or connector folders below this one, are named."""
        if manifest_path.exists():
            self.error(MANIFEST_MISSING, f"{MANIFEST} is not a file: a connector folder must contain manifest.xml")
            return
        spelt_otherwise = case_variant(self.folder, MANIFEST)
        if spelt_otherwise is not None:
            self.error(
                MANIFEST_MISSING,
                f"{MANIFEST} is missing; found {spelt_otherwise}: names are case-sensitive in Tableau",
                spelt_otherwise,
                hint=f"rename {spelt_otherwise} to {MANIFEST}",
            )
            return
        below = connector_subfolders(self.folder)
        if below:
            shown = ", ".join(str(self.folder / name) for name in below[:MAX_LISTED])
            more = f" and {len(below) - MAX_LISTED} more" if len(below) > MAX_LISTED else ""
            which = f"its sub-folders {shown}{more} are" if len(below) > 1 else f"its sub-folder {shown} is"
            self.error(
                MANIFEST_MISSING,
                f"{MANIFEST} is missing: {self.folder} is not a connector folder, but {which}",
                hint=f"give one of them, or check them all with `connector-packager validate --recursive "
                f"{self.folder}`",
            )
            return
        self.error(
            MANIFEST_MISSING,
            f"{MANIFEST} is missing: a connector folder must contain manifest.xml",
            hint="point the command at the folder that holds manifest.xml",
        )

    # ------------------------------------------------------------ after the walk

    def check_identity(self) -> None:
        report = self.report
        if self.manifest_unreadable:
            return  # its parse error is reported; what it holds is unknown, not missing
        if not report.class_name:
            self.error(
                CLASS_MISSING, "the connector has no class name (manifest.xml connector-plugin/@class)", MANIFEST
            )
            return
        for what, value in (("class", report.class_name), ("plugin-version", report.plugin_version)):
            if value is not None and ("/" in value or "\\" in value or ".." in value):
                self.error(
                    UNSAFE_TACO_NAME,
                    f"{what} {value!r} contains '/', '\\' or '..': the .taco file "
                    "name would leave the destination folder",
                    MANIFEST,
                    1,
                    hint=f"use a plain name for {what}",
                )

    def check_oauth_configs(self) -> None:
        configs = self.report.oauth_configs
        if NULL_OAUTH_CONFIG in configs and len(configs) > 1:
            self.error(
                NULL_OAUTH_CONFIG_NOT_ALONE,
                f"oauth-config file={NULL_OAUTH_CONFIG!r} must be the only "
                f"oauth-config, the manifest has {len(configs)}",
                MANIFEST,
            )

    def add_resource_files(self) -> None:
        assert self.localized_at is not None
        english = "resources-en_US.xml"
        if not (self.folder / english).is_file():
            where, line = self.localized_at
            self.error(
                RESOURCES_MISSING,
                f"localized strings (@string/...) are used but {english} is missing",
                where,
                line,
                hint=f"add {english} with a <string> for every @string/ name",
            )
            return
        for lang in ("en_US", *RESOURCE_LANGUAGES):
            name = f"resources-{lang}.xml"
            if not (self.folder / name).is_file():
                continue
            if self.safe_name(name, None, None) is None:
                continue
            file = self.read(name, "resource", None)
            if file is None:
                continue
            log.debug("Adding file to list (name = %s, type = resource)", name)
            self.report.files.append(file)
            self.parse(file)

    # ------------------------------------------------------------ helpers

    def safe_name(self, ref: str, referrer: str | None, line: int | None) -> str | None:
        """The reference as a clean relative path, or None (with a finding) if it leaves the folder."""
        posix = PurePosixPath(ref)
        if ref == "" or ref.strip() != ref:
            self.error(BAD_REFERENCE, f"file reference {ref!r} is empty or has surrounding spaces", referrer, line)
            return None
        if posix.is_absolute() or PureWindowsPath(ref).is_absolute() or PureWindowsPath(ref).drive:
            self.error(
                FILE_OUTSIDE_FOLDER,
                f"file reference {ref!r} is an absolute path; references must be relative to the connector folder",
                referrer,
                line,
            )
            return None
        if ".." in posix.parts or ".." in PureWindowsPath(ref).parts:
            self.error(FILE_OUTSIDE_FOLDER, f"file reference {ref!r} leaves the connector folder", referrer, line)
            return None
        name = posix.as_posix()
        real = os.path.realpath(self.folder / name)
        if os.path.commonpath([self.real_folder, real]) != self.real_folder:
            self.error(
                FILE_OUTSIDE_FOLDER,
                f"file reference {ref!r} is a link that leads outside the connector folder",
                referrer,
                line,
            )
            return None
        return name

    def read(self, name: str, kind: str, referrer: tuple[str, int | None] | None) -> ConnectorFile | None:
        where, line = referrer if referrer else (name, None)
        try:
            return self.read_file(name, kind, where, line)
        except OSError as exc:
            self.report.findings.append(unreadable(exc, name, where, line))
            return None

    def read_file(self, name: str, kind: str, where: str, line: int | None) -> ConnectorFile | None:
        path = self.folder / name
        info = existing(path)
        if info is None:
            variant = case_variant(path.parent, path.name)
            if variant is not None:
                found = PurePosixPath(name).with_name(variant).as_posix()
                self.error(
                    FILE_MISSING,
                    f"{name} is referenced but does not exist; found {found}: names are case-sensitive in Tableau",
                    where,
                    line,
                    hint=f"rename {found} to {path.name}, or reference it as {found}",
                )
            else:
                self.error(FILE_MISSING, f"{name} is referenced but does not exist", where, line)
            return None
        if not stat.S_ISREG(info.st_mode):
            self.error(FILE_MISSING, f"{name} is referenced but is not a file", where, line)
            return None
        if kind != "script" and info.st_size > MAX_XML_BYTES:
            self.error(
                FILE_TOO_LARGE,
                f"{name} is {info.st_size:,} bytes, over Tableau's limit of {MAX_XML_BYTES:,} bytes (256 KB)",
                name,
            )
            return None
        if kind == "script" and info.st_size > MAX_SCRIPT_BYTES:
            self.error(
                FILE_TOO_LARGE,
                f"{name} is {info.st_size:,} bytes, over this tool's limit of "
                f"{MAX_SCRIPT_BYTES:,} bytes (16 MB) for a script",
                where,
                line,
                hint="connector scripts are a few KB: is this the right file?",
            )
            return None
        return ConnectorFile(name, kind, path.read_bytes())

    def parse(self, file: ConnectorFile) -> etree._ElementTree | None:
        if file.tree is not None:
            return file.tree
        log.debug("Parsing %s", file.name)
        try:
            file.tree = parse_xml(file.data)
        except XmlProblem as problem:
            self.error(problem.rule, problem.message, file.name, problem.line, problem.column, problem.hint)
            return None
        return file.tree

    def error(
        self,
        rule: Rule,
        message: str,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.report.findings.append(fnd.error(rule, message, file, line, column, hint))
