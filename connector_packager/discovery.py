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
from pathlib import Path, PurePosixPath, PureWindowsPath

from lxml import etree

from connector_packager import findings as fnd
from connector_packager.connector import MANIFEST, ConnectorFile, Report
from connector_packager.xmlsafe import XmlProblem, elements, parse_xml

log = logging.getLogger("connector_packager")

#: Tableau refuses to load larger connector XML files.
MAX_XML_BYTES = 256 * 1024
#: Tableau's localized-string prefix in attribute values.
LOCALIZED_PREFIX = "@string/"
#: The marker value of ``<oauth-config file=...>`` meaning "no OAuth config of its own".
NULL_OAUTH_CONFIG = "null_config"
#: Resource files picked up after ``resources-en_US.xml``, in this order.
RESOURCE_LANGUAGES = ("de_DE", "en_GB", "es_ES", "fr_CA", "fr_FR", "ga_IE", "it_IT", "ja_JP", "ko_KR",
                      "nl_NL", "pt_BR", "sv_SE", "th_TH", "zh_CN", "zh_TW")
#: How deep ``file=`` references may chain (manifest -> tdr -> script is 2).
MAX_REFERENCE_DEPTH = 32
HTTPS = "https://"


def discover(folder: Path, report: Report) -> None:
    """Fill ``report.files`` and the connector's identity; add findings for what is wrong."""
    _Walker(folder, report).run()


class _Walker:
    def __init__(self, folder: Path, report: Report) -> None:
        self.folder = folder
        self.real_folder = os.path.realpath(folder)
        self.report = report
        self.localized_at: tuple[str, int | None] | None = None

    # ------------------------------------------------------------ entry point

    def run(self) -> None:
        report = self.report
        if not self.folder.is_dir():
            self.error("not-a-connector-folder", f"{self.folder} does not exist or is not a folder")
            return
        manifest_path = self.folder / MANIFEST
        if not manifest_path.is_file():
            what = "is not a file" if manifest_path.exists() else "is missing"
            self.error("manifest-missing", f"{MANIFEST} {what}: a connector folder must contain manifest.xml",
                       hint="point the command at the folder that holds manifest.xml")
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
                self.error("class-mismatch", f"dbclass {el.text or ''!r} differs from the manifest class "
                           f"{report.class_name!r}", file.name, line)
            ref = el.get("file")
            if ref is not None:
                self.follow(file, tag, ref, line, depth)
            url = el.get("url")
            if url is not None and not url.startswith(HTTPS):
                self.error("url-not-https", f"only https:// URLs are allowed, <{tag}> has url={url!r}",
                           file.name, line)
            cls = el.get("class")
            if cls is not None:
                if report.class_name is None:
                    report.class_name = cls
                elif cls != report.class_name:
                    self.error("class-mismatch", f"class {cls!r} differs from the manifest class "
                               f"{report.class_name!r}", file.name, line)
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
            self.error("metadata-without-fields", "connection-metadata needs a connection-fields file "
                       "referenced before it", parent.name, line)
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
                self.error("reference-too-deep", f"{name} is more than {MAX_REFERENCE_DEPTH} references away "
                           "from the manifest", parent.name, line)
                return
            self.walk(new, depth + 1)

    # ------------------------------------------------------------ after the walk

    def check_identity(self) -> None:
        report = self.report
        if not report.class_name:
            self.error("class-missing", "the connector has no class name (manifest.xml connector-plugin/@class)",
                       MANIFEST)
            return
        for what, value in (("class", report.class_name), ("plugin-version", report.plugin_version)):
            if value is not None and ("/" in value or "\\" in value or ".." in value):
                self.error("unsafe-taco-name", f"{what} {value!r} contains '/', '\\' or '..': the .taco file "
                           "name would leave the destination folder", MANIFEST, 1,
                           hint=f"use a plain name for {what}")

    def check_oauth_configs(self) -> None:
        configs = self.report.oauth_configs
        if NULL_OAUTH_CONFIG in configs and len(configs) > 1:
            self.error("null-oauth-config-not-alone", f"oauth-config file={NULL_OAUTH_CONFIG!r} must be the only "
                       f"oauth-config, the manifest has {len(configs)}", MANIFEST)

    def add_resource_files(self) -> None:
        assert self.localized_at is not None
        english = "resources-en_US.xml"
        if not (self.folder / english).is_file():
            where, line = self.localized_at
            self.error("resources-missing", f"localized strings (@string/...) are used but {english} is missing",
                       where, line, hint=f"add {english} with a <string> for every @string/ name")
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
            self.error("bad-reference", f"file reference {ref!r} is empty or has surrounding spaces",
                       referrer, line)
            return None
        if posix.is_absolute() or PureWindowsPath(ref).is_absolute() or PureWindowsPath(ref).drive:
            self.error("file-outside-folder", f"file reference {ref!r} is an absolute path; references must be "
                       "relative to the connector folder", referrer, line)
            return None
        if ".." in posix.parts or ".." in PureWindowsPath(ref).parts:
            self.error("file-outside-folder", f"file reference {ref!r} leaves the connector folder", referrer, line)
            return None
        name = posix.as_posix()
        real = os.path.realpath(self.folder / name)
        if os.path.commonpath([self.real_folder, real]) != self.real_folder:
            self.error("file-outside-folder", f"file reference {ref!r} is a link that leads outside the connector "
                       "folder", referrer, line)
            return None
        return name

    def read(self, name: str, kind: str, referrer: tuple[str, int | None] | None) -> ConnectorFile | None:
        where, line = referrer if referrer else (name, None)
        path = self.folder / name
        if not path.exists():
            self.error("file-missing", f"{name} is referenced but does not exist", where, line)
            return None
        if not path.is_file():
            self.error("file-missing", f"{name} is referenced but is not a file", where, line)
            return None
        if kind != "script" and path.stat().st_size > MAX_XML_BYTES:
            self.error("file-too-large", f"{name} is {path.stat().st_size:,} bytes, over Tableau's limit of "
                       f"{MAX_XML_BYTES:,} bytes (256 KB)", name)
            return None
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.error("file-unreadable", f"{name} cannot be read: {exc.strerror or exc}", where, line)
            return None
        return ConnectorFile(name, kind, data)

    def parse(self, file: ConnectorFile) -> etree._ElementTree | None:
        if file.tree is not None:
            return file.tree
        log.debug("Parsing %s", file.name)
        try:
            file.tree = parse_xml(file.data)
        except XmlProblem as problem:
            self.error(problem.rule, problem.message, file.name, problem.line, problem.column)
            return None
        return file.tree

    def error(self, rule: str, message: str, file: str | None = None, line: int | None = None,
              column: int | None = None, hint: str | None = None) -> None:
        self.report.findings.append(fnd.error(rule, message, file, line, column, hint))
