"""What the tool learns about a connector folder while checking it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from connector_packager.findings import Finding

if TYPE_CHECKING:
    from lxml import etree

#: Extensions whose files are checked against a schema (compared in lower case).
XML_EXTENSIONS = frozenset({".tcd", ".tdr", ".tdd", ".xml"})
MANIFEST = "manifest.xml"


@dataclass
class ConnectorFile:
    """One file of the connector: its path relative to the folder and its type.

    The type is the tag of the element whose ``file`` attribute named it
    (``connection-dialog``, ``script``, ...), ``manifest`` or ``resource``.
    ``data`` is read once; what is validated is exactly what is packaged.
    """

    name: str
    kind: str
    data: bytes
    tree: etree._ElementTree | None = None

    @property
    def is_xml(self) -> bool:
        return PurePosixPath(self.name).suffix.lower() in XML_EXTENSIONS


@dataclass
class ConnectorFacts:
    """Cross-file facts gathered while the files are checked, in file order."""

    backwards_compatible: bool = False
    is_jdbc: bool = False
    uses_tcd: bool = False
    metadata_database: bool = True
    connection_fields: list[str] = field(default_factory=list)
    vendor_defined_fields: list[str] = field(default_factory=list)


@dataclass
class Report:
    """The outcome of checking one connector folder."""

    folder: Path
    files: list[ConnectorFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    class_name: str | None = None
    plugin_version: str | None = None
    display_name: str | None = None
    oauth_configs: list[str] = field(default_factory=list)
    facts: ConnectorFacts = field(default_factory=ConnectorFacts)
    min_version: str | None = None
    min_version_reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.is_error for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    @property
    def manifest(self) -> ConnectorFile | None:
        return next((f for f in self.files if f.kind == "manifest"), None)

    @property
    def taco_name(self) -> str | None:
        if self.class_name is None or self.plugin_version is None:
            return None
        return f"{self.class_name}-v{self.plugin_version}.taco"
