"""The connector as its connection dialog and scripts see it: fields, scripts, driver rules, normalizer.

Built from a checked connector (:class:`~connector_packager.connector.Report`: the files are read and
parsed once, by discovery). The model is plain data: ``as_json()`` is what ``script_runtime.js``
receives, in the embedded engine and in the preview page alike.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree

from connector_packager.connector import ConnectorFile, Report
from connector_packager.rules import xs_boolean
from connector_packager.rules.resolver import required_attributes

#: Dialog categories in the order Tableau lays them out (and sorts fields by).
CATEGORY_ORDER = ("endpoint", "metadata", "authentication", "general", "ssl", "initial-sql", "advanced")
#: The tdr elements that name scripts, in the order they run; the last two are deprecated.
SCRIPT_ROLES = ("connection-builder", "connection-properties", "connection-matcher", "connection-normalizer")
DEPRECATED_SCRIPT_ROLES = ("connection-matcher", "connection-normalizer")
#: Attributes whose values are masked in every output.
SECRET_ATTRIBUTES = ("password", "ACCESSTOKEN", "REFRESHTOKEN")


@dataclass
class Condition:
    field: str
    value: str
    line: int | None = None


@dataclass
class Option:
    value: str
    label: str


@dataclass
class SelectionGroup:
    options: list[Option]
    conditions: list[Condition]


@dataclass
class Field:
    """One dialog field (connection-fields ``<field>``, the metadata Database field, or a v1 prompt).

    ``default_value`` is the value Tableau starts with (the documented default when none is written);
    ``declared_default`` is the attribute as written, None when absent.
    """

    name: str
    label: str
    value_type: str
    default_value: str
    optional: bool = False
    editable: bool = True
    secure: bool = False
    category: str = "general"
    placeholder: str | None = None
    regex: str | None = None
    true_value: str | None = None
    false_value: str | None = None
    groups: list[SelectionGroup] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    line: int | None = None
    declared_default: str | None = None


@dataclass
class Script:
    role: str
    file: str
    source: str
    line: int | None = None


@dataclass
class DriverRule:
    type: str
    name: str


@dataclass
class ConnectionModel:
    class_name: str
    jdbc: bool
    dialog: str | None  # "v2" (connection-fields), "v1" (a .tcd, approximate), None
    fields: list[Field]
    scripts: list[Script]
    drivers: list[DriverRule]
    normalizer: list[str] | None
    fields_file: str | None = None
    resolver_file: str | None = None

    @property
    def secrets(self) -> list[str]:
        names = [f.name for f in self.fields if f.secure]
        return list(dict.fromkeys([*names, *SECRET_ATTRIBUTES]))

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def as_json(self) -> dict[str, Any]:
        """The model as ``script_runtime.js`` takes it."""
        return {
            "className": self.class_name,
            "jdbc": self.jdbc,
            "dialog": self.dialog,
            "fields": [_camel(asdict(f)) for f in self.fields],
            "scripts": [asdict(s) for s in self.scripts],
            "drivers": [asdict(d) for d in self.drivers],
            "normalizer": self.normalizer,
            "secrets": self.secrets,
            "platformAttributes": {"class": self.class_name},
        }


def _camel(data: dict[str, Any]) -> dict[str, Any]:
    """snake_case keys as the runtime's camelCase (``default_value`` -> ``defaultValue``)."""
    return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key): value for key, value in data.items()}


def _file(report: Report, kind: str) -> ConnectorFile | None:
    return next((f for f in report.files if f.kind == kind and f.tree is not None), None)


def _conditions(element: etree._Element) -> list[Condition]:
    return [
        Condition(c.get("field") or "", c.get("value") or "", c.sourceline)
        for conditions in element.findall("conditions")
        for c in conditions.iter("condition")
    ]


def _field(element: etree._Element) -> Field:
    value_type = element.get("value-type") or "string"
    declared = element.get("default-value")
    groups = [
        SelectionGroup(
            [Option(o.get("value") or "", o.get("label") or o.get("value") or "") for o in group.iter("option")],
            _conditions(group),
        )
        for group in element.findall("selection-group")
    ]
    true_value = false_value = None
    if value_type == "boolean":
        true_el, false_el = element.find("boolean-options/true-value"), element.find("boolean-options/false-value")
        true_value = true_el.get("value", "true") if true_el is not None else "true"
        false_value = false_el.get("value", "false") if false_el is not None else "false"
    if declared is not None:
        default = declared
    elif value_type == "boolean":
        default = false_value or ""
    elif value_type == "selection":
        default = next((o.value for g in groups for o in g.options), "")
    else:
        default = ""
    rule = element.find("validation-rule")
    return Field(
        name=element.get("name") or "",
        label=element.get("label") or element.get("name") or "",
        value_type=value_type,
        default_value=default,
        optional=xs_boolean(element.get("optional"), False),
        editable=xs_boolean(element.get("editable"), True),
        secure=xs_boolean(element.get("secure"), False),
        category=element.get("category") or "general",
        placeholder=element.get("placeholder"),
        regex=rule.get("reg-exp") if rule is not None else None,
        true_value=true_value,
        false_value=false_value,
        groups=groups,
        conditions=_conditions(element),
        line=element.sourceline,
        declared_default=declared,
    )


def dialog_fields(root: etree._Element) -> list[Field]:
    """The fields of a connection-fields document, in document order."""
    return [_field(el) for el in root.iter("field")]


def _metadata_database(root: etree._Element) -> Field | None:
    database = root.find("database")
    if database is None or not xs_boolean(database.get("enabled"), False):
        return None
    inner = database.find("field")
    default = inner.get("default-value") if inner is not None else None
    optional = xs_boolean(inner.get("optional"), True) if inner is not None else True
    return Field(
        name="dbname",
        label=database.get("label") or "Database",
        value_type="string",
        default_value=default or "",
        optional=optional,
        category="metadata",
        line=database.sourceline,
        declared_default=default,
    )


def _v1_fields(root: etree._Element) -> list[Field]:
    """A best-effort reading of a .tcd's prompts as fields (inferred: the SDK documents no such mapping)."""
    config = root.find("connection-config")
    if config is None:
        return []
    fields: list[Field] = []

    def prompt(tag: str, name: str, category: str) -> None:
        el = config.find(tag)
        if el is not None:
            fields.append(
                Field(
                    name=name,
                    label=el.get("value") or name,
                    value_type="string",
                    default_value=el.get("default") or "",
                    optional=name not in ("server",),
                    category=category,
                    line=el.sourceline,
                )
            )

    prompt("server-prompt", "server", "endpoint")
    prompt("port-prompt", "port", "endpoint")
    prompt("db-name-prompt", "dbname", "metadata")
    mode = config.find("authentication-mode")
    auth = "auth-none" if mode is not None and mode.get("value") == "None" else "auth-user-pass"
    fields.append(
        Field(
            name="authentication",
            label="Authentication",
            value_type="string",
            default_value=auth,
            editable=False,
            category="authentication",
        )
    )
    if auth == "auth-user-pass":
        fields.append(
            Field(name="username", label="Username", value_type="string", default_value="", category="authentication")
        )
        fields.append(
            Field(
                name="password",
                label="Password",
                value_type="string",
                default_value="",
                secure=True,
                category="authentication",
            )
        )
    ssl = config.find("show-ssl-checkbox")
    if ssl is not None and xs_boolean(ssl.get("value"), False):
        fields.append(
            Field(
                name="sslmode",
                label="Require SSL",
                value_type="boolean",
                default_value="",
                optional=True,
                category="ssl",
                true_value="require",
                false_value="",
            )
        )
    for number in (1, 2, 3):
        prompt(f"vendor{number}-prompt", f"vendor{number}", "general")
    return fields


def localized(report: Report, text: str) -> str:
    """``@string/name/`` as resources-en_US.xml words it (the text itself when it is not localized)."""
    if not text.startswith("@string/"):
        return text
    name = text[len("@string/") :].rstrip("/")
    resources = next((f for f in report.files if f.name == "resources-en_US.xml" and f.tree is not None), None)
    if resources is None or resources.tree is None:
        return text
    found = next((el.text for el in resources.tree.getroot().iter("string") if el.get("name") == name), None)
    return found if found is not None else text


def build_model(report: Report) -> ConnectionModel:
    """The connection model of a checked connector (missing parts are simply empty)."""
    fields_file, metadata_file = _file(report, "connection-fields"), _file(report, "connection-metadata")
    dialog_file, resolver_file = _file(report, "connection-dialog"), _file(report, "connection-resolver")
    fields: list[Field] = []
    dialog = None
    if fields_file is not None and fields_file.tree is not None:
        dialog = "v2"
        fields = dialog_fields(fields_file.tree.getroot())
        if metadata_file is not None and metadata_file.tree is not None:
            database = _metadata_database(metadata_file.tree.getroot())
            if database is not None and not any(f.name == "dbname" for f in fields):
                fields.append(database)
    elif dialog_file is not None and dialog_file.tree is not None:
        dialog = "v1"
        fields = _v1_fields(dialog_file.tree.getroot())
    for each in fields:
        each.label = localized(report, each.label).rstrip(":")
    scripts: list[Script] = []
    drivers: list[DriverRule] = []
    normalizer = None
    if resolver_file is not None and resolver_file.tree is not None:
        root = resolver_file.tree.getroot()
        by_name = {f.name: f for f in report.files if f.kind == "script"}
        named: set[tuple[str, str]] = set()
        for role in SCRIPT_ROLES:
            for script in root.iterfind(f".//{role}/script"):
                known = by_name.get(script.get("file") or "")
                # A file named again for the same role (the schema allows once) is taken once: thousands of
                # references to one script cost no more than one.
                if known is not None and (role, known.name) not in named:
                    named.add((role, known.name))
                    source = known.data.decode("utf-8", errors="replace").lstrip("\ufeff")
                    scripts.append(Script(role, known.name, source, script.sourceline))
        drivers = [
            DriverRule(el.get("type") or "", (el.text or "").strip())
            for el in root.iterfind(".//driver-resolver/driver-match/driver-name")
        ]
        normalizer = required_attributes(root)
    return ConnectionModel(
        class_name=report.class_name or "",
        jdbc=report.facts.is_jdbc,
        dialog=dialog,
        fields=fields,
        scripts=scripts,
        drivers=drivers,
        normalizer=normalizer,
        fields_file=fields_file.name if fields_file else None,
        resolver_file=resolver_file.name if resolver_file else None,
    )
