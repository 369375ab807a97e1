"""Checking one .trex file against the format (shared/spec/trex.md) and reporting findings.

Structure is checked element by element from the content model in
``vocabulary``; each problem gets the rule id of the specification. File-level
problems (not well-formed, DOCTYPE, wrong root or namespace) stop the check,
so that one broken file does not produce a cascade of findings.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from connector_packager.catalogue import Rule, declare
from connector_packager.discovery import FILE_TOO_LARGE, FILE_UNREADABLE, INPUT_MISSING
from connector_packager.findings import Finding, Severity
from connector_packager.schemas import SCHEMA, violations
from connector_packager.trex import vocabulary as v
from connector_packager.trex.icon import DOCUMENTED_SIZE, inspect_icon
from connector_packager.xmlsafe import XML_DOCTYPE_FORBIDDEN, XmlProblem, parse_xml

MAX_TREX_BYTES = 1024 * 1024
TREX_SCHEMA = "extension_manifest.xsd"
_DECLARATION = re.compile(rb"\s+<\?xml[\s?]")

E, W = Severity.ERROR, Severity.WARNING
XML_DECLARATION_POSITION = declare(
    "xml-declaration-position",
    "trex",
    E,
    "the <?xml ...?> declaration, if any, is the very first characters",
    doc="Tableau refuses a manifest with whitespace before its declaration (spec F2).",
    passes='<?xml version="1.0" encoding="utf-8"?>',
    fails='(a blank line)<?xml version="1.0" encoding="utf-8"?>',
)
ROOT_ELEMENT = declare(
    "root-element",
    "trex",
    E,
    "the root element is <manifest>",
    doc="An extension manifest's root is <manifest> (spec R1); anything else is not one.",
    passes="<manifest ...>",
    fails="<extension ...>",
)
NAMESPACE = declare(
    "namespace",
    "trex",
    E,
    "<manifest> is in the namespace http://www.tableau.com/xml/extension_manifest",
    doc="Tableau matches the namespace exactly; the pre-2018.2 ones (wwww., addin_manifest) are refused (spec R2).",
    passes='xmlns="http://www.tableau.com/xml/extension_manifest"',
    fails='xmlns="http://wwww.tableau.com/xml/extension_manifest"',
)
MANIFEST_VERSION = declare(
    "manifest-version",
    "trex",
    E,
    "manifest-version is 0.1",
    doc="0.1 is the only manifest version defined (spec R3).",
    passes='<manifest manifest-version="0.1" ...>',
    fails='<manifest manifest-version="1.0" ...>',
)
EXTENSION_ELEMENT_COUNT = declare(
    "extension-element-count",
    "trex",
    E,
    "the manifest holds exactly one dashboard or worksheet extension",
    doc="One manifest describes one extension (spec R4).",
    passes="<manifest><dashboard-extension>...</dashboard-extension></manifest>",
    fails="<manifest></manifest>",
)
UNKNOWN_ELEMENT = declare(
    "unknown-element",
    "trex",
    E,
    "every element is one the format defines, where it defines it",
    doc="Tableau validates manifests against its schema; an unknown element (or one in another namespace) "
    "makes it refuse the extension (spec R5, E3).",
    passes="<dashboard-extension><name>...</name>",
    fails="<dashboard-extension><title>...</title>",
)
UNKNOWN_ATTRIBUTE = declare(
    "unknown-attribute",
    "trex",
    E,
    "every attribute is one the format defines on that element",
    doc="As with elements, the schema allows no other attributes.",
    passes='<encoding id="x">',
    fails='<encoding id="x" color="red">',
)
UNEXPECTED_TEXT = declare(
    "unexpected-text",
    "trex",
    E,
    "elements that hold elements hold no text of their own",
    doc="Text between child elements is refused by the schema (spec: structural elements hold no text).",
    passes="<configure-context-menu-item/>",
    fails="<configure-context-menu-item>x</configure-context-menu-item>",
)
REQUIRED_ELEMENT = declare(
    "required-element",
    "trex",
    E,
    "elements the format requires are present",
    doc="An extension needs default-locale, name, description, author, min-api-version, source-location and "
    "icon; an encoding its display-name; lists at least one item.",
    passes="<dashboard-extension> with <name>",
    fails="<dashboard-extension> without <name>",
)
REQUIRED_ATTRIBUTE = declare(
    "required-attribute",
    "trex",
    E,
    "attributes the format requires are present and not empty",
    doc="id and extension-version of the extension, name and website of the author, id of an encoding or "
    "resource, locale of a text.",
    passes='<author name="A" website="https://example.com"/>',
    fails='<author website="https://example.com"/>',
)
DUPLICATE_ELEMENT = declare(
    "duplicate-element",
    "trex",
    E,
    "elements allowed once appear once",
    doc="A second <name>, <description>, <resources>, ... is refused by the schema.",
    passes="<description>A</description>",
    fails="<description>A</description><description>B</description>",
)
ELEMENT_ORDER = declare(
    "element-order",
    "trex",
    E,
    "elements come in the order the format gives",
    doc="The schema is a sequence: default-locale, name, description, author, min-api-version, "
    "source-location, icon, permissions, context-menu, encodings; <resources> after the extension.",
    passes="<name/> then <description/>",
    fails="<description/> then <name/>",
)
ENCODING_IN_DASHBOARD = declare(
    "encoding-in-dashboard",
    "trex",
    E,
    "<encoding> appears only in a worksheet extension",
    doc="Encodings are the tiles of a viz extension; a dashboard extension has none (spec, element table).",
    passes='<worksheet-extension>...<encoding id="x">',
    fails='<dashboard-extension>...<encoding id="x">',
)
EXTENSION_ID_FORMAT = declare(
    "extension-id-format",
    "trex",
    E,
    "the extension id is a reverse-domain name",
    doc="Two or more dot-separated labels of letters, digits, '-' and '_' (com.example.extension).",
    passes='id="com.example.extension"',
    fails='id="my extension"',
)
EXTENSION_VERSION_FORMAT = declare(
    "extension-version-format",
    "trex",
    E,
    "extension-version is one to four dot-separated numbers",
    doc="Tableau refuses an empty or malformed version (logged as a registration error).",
    passes='extension-version="1.0.0"',
    fails='extension-version="1.0-beta"',
)
MIN_API_VERSION_FORMAT = declare(
    "min-api-version-format",
    "trex",
    E,
    "min-api-version is MAJOR.MINOR",
    doc="Tableau validates it since API 0.12.8.",
    passes="<min-api-version>1.4</min-api-version>",
    fails="<min-api-version>1.x</min-api-version>",
)
DEFAULT_LOCALE_FORMAT = declare(
    "default-locale-format",
    "trex",
    W,
    "default-locale is a locale such as en or en_US",
    doc="Tableau falls back to English for a malformed value, so this is a warning (spec L1).",
    passes="<default-locale>en_US</default-locale>",
    fails="<default-locale>english</default-locale>",
)
LOCALE_FORMAT = declare(
    "locale-format",
    "trex",
    W,
    "a resource text's locale is a locale such as en or en_US",
    doc="A text in a malformed locale is never shown (spec L1, L2).",
    passes='<text locale="de_DE">',
    fails='<text locale="German">',
)
SOURCE_URL_SCHEME = declare(
    "source-url-scheme",
    "trex",
    E,
    "the source url is https://..., or http://localhost for development",
    doc="Tableau loads extensions over HTTPS only, except from localhost (spec, SEC).",
    passes="<url>https://example.com/ext</url>",
    fails="<url>http://example.com/ext</url>",
)
AUTHOR_WEBSITE_HTTPS = declare(
    "author-website-https",
    "trex",
    E,
    "the author website starts with https://",
    doc="The schema's URL pattern for the website requires https.",
    passes='website="https://example.com"',
    fails='website="http://example.com"',
)
STRING_LENGTH = declare(
    "string-length",
    "trex",
    E,
    "attribute values and labels are at most 1000 characters",
    doc="The schema limits strings to 1000 characters (the icon is exempt).",
    passes="<description>a short text</description>",
    fails="<description> of 1001 characters",
)
URI_LENGTH = declare(
    "uri-length",
    "trex",
    E,
    "URLs are at most 2083 characters",
    doc="The schema limits URLs (source url, author website) to 2083 characters.",
    passes="<url>https://example.com</url>",
    fails="a <url> of 3000 characters",
)
ICON_SIZE = declare(
    "icon-size",
    "trex",
    W,
    "the icon is 70x70 pixels",
    doc="The documented size; official samples use others, so another size is a warning (spec I4).",
    passes="a 70x70 PNG",
    fails="a 16x16 PNG",
)
PERMISSION_VALUE = declare(
    "permission-value",
    "trex",
    E,
    "a permission is 'full data'",
    doc="'full data' is the only permission an extension can ask for (spec, DATA).",
    passes="<permission>full data</permission>",
    fails="<permission>all data</permission>",
)
CONTEXT_MENU_ITEM = declare(
    "context-menu-item",
    "trex",
    E,
    "<context-menu> holds one <configure-context-menu-item/> and nothing else",
    doc="The only context-menu item is Configure (spec, CONF).",
    passes="<context-menu><configure-context-menu-item/></context-menu>",
    fails="<context-menu><configure-context-menu-item/><configure-context-menu-item/></context-menu>",
)
CONTEXT_MENU_EMPTY = declare(
    "context-menu-empty",
    "trex",
    W,
    "<context-menu> is not empty",
    doc="An empty context menu adds nothing; probably the item was forgotten.",
    passes="<context-menu><configure-context-menu-item/></context-menu>",
    fails="<context-menu/>",
)
ENCODING_COUNT = declare(
    "encoding-count",
    "trex",
    E,
    "a worksheet extension has at most four encodings",
    doc="Tableau allows at most four encoding tiles (spec E1).",
    passes="four <encoding> elements",
    fails="five <encoding> elements",
)
ENCODING_ID_UNIQUE = declare(
    "encoding-id-unique",
    "trex",
    E,
    "encoding ids are unique",
    doc="The id is the name the extension's JavaScript sees; two would be ambiguous (spec E2).",
    passes='<encoding id="x"/><encoding id="y"/>',
    fails='<encoding id="x"/><encoding id="x"/>',
)
DATA_TYPE_VALUE = declare(
    "data-type-value",
    "trex",
    E,
    "a data-type is numeric, temporal, string or boolean",
    doc="The types Tableau supports for encodings, case-sensitive (spec E5).",
    passes="<data-type>numeric</data-type>",
    fails="<data-type>date</data-type>",
)
ROLE_TYPE_VALUE = declare(
    "role-type-value",
    "trex",
    E,
    "a role-type is one of the four measure and dimension roles",
    doc="continuous-measure, discrete-dimension, continuous-dimension, discrete-measure (spec E6).",
    passes="<role-type>discrete-dimension</role-type>",
    fails="<role-type>dimension</role-type>",
)
FIELDS_MAX_COUNT = declare(
    "fields-max-count",
    "trex",
    E,
    "fields/@max-count is a positive whole number",
    doc="The number of fields a tile accepts (spec E7).",
    passes='<fields max-count="2"/>',
    fails='<fields max-count="0"/>',
)
ENCODING_ICON_TOKEN = declare(
    "encoding-icon-token",
    "trex",
    E,
    "an encoding-icon token is one of Tableau's icon tokens",
    doc="Tableau draws tile icons from a fixed list of tokens (spec E8).",
    passes='<encoding-icon token="color"/>',
    fails='<encoding-icon token="arrow"/>',
)
ENCODING_ICON_UNIQUE = declare(
    "encoding-icon-unique",
    "trex",
    E,
    "two encodings do not use the same icon token",
    doc="Tableau refuses the extension: 'Cannot use the same icon for more than one encoding' (spec E9).",
    passes="two encodings with different tokens",
    fails="two encodings with the same token",
)
NAME_CONTENT = declare(
    "name-content",
    "trex",
    E,
    "a name or display-name has text or a resource-id",
    doc="Tableau must be able to show the extension or tile by a name (spec §7, E4).",
    passes="<name>My extension</name>",
    fails="<name/>",
)
RESOURCE_REF = declare(
    "resource-ref",
    "trex",
    E,
    "a resource-id without inline text names a <resource>",
    doc="With nothing to fall back on, the label would be empty.",
    passes='<name resource-id="name"/> and <resource id="name">',
    fails='<name resource-id="nmae"/>',
)
RESOURCE_REF_FALLBACK = declare(
    "resource-ref-fallback",
    "trex",
    W,
    "a resource-id with inline text names a <resource>",
    doc="Tableau shows the inline text instead, so this is a warning: probably a typo in the id.",
    passes='<name resource-id="name">X</name> and <resource id="name">',
    fails='<name resource-id="nmae">X</name>',
)
RESOURCE_DUPLICATE_ID = declare(
    "resource-duplicate-id",
    "trex",
    E,
    "resource ids are unique",
    doc="A resource-id must name one resource (spec L3).",
    passes='<resource id="a"/><resource id="b"/>',
    fails='<resource id="a"/><resource id="a"/>',
)
RESOURCE_EMPTY = declare(
    "resource-empty",
    "trex",
    E,
    "a <resource> holds at least one <text>",
    doc="A resource without text gives nothing to show (spec L2).",
    passes='<resource id="a"><text locale="en">A</text></resource>',
    fails='<resource id="a"/>',
)
RESOURCE_DEFAULT_LOCALE = declare(
    "resource-default-locale",
    "trex",
    W,
    "the name's resource has text in the default locale",
    doc="Otherwise users of the default locale see another language's name.",
    passes='default-locale en and <text locale="en_US">',
    fails='default-locale de and only <text locale="en">',
)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _text(el: etree._Element) -> str:
    return (el.text or "").strip()


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


class _Checker:
    def __init__(self, name: str) -> None:
        self.name = name
        self.findings: list[Finding] = []

    def add(
        self, severity: Severity, rule: Rule, message: str, el: etree._Element | None = None, line: int | None = None
    ) -> None:
        where = el.sourceline if el is not None else line
        self.findings.append(Finding(severity, rule.id, message, self.name, where))

    def error(self, rule: Rule, message: str, el: etree._Element | None = None, line: int | None = None) -> None:
        self.add(Severity.ERROR, rule, message, el, line)

    def warn(self, rule: Rule, message: str, el: etree._Element | None = None) -> None:
        self.add(Severity.WARNING, rule, message, el)

    # ---------------------------------------------------------------- file level

    def run(self, data: bytes) -> None:
        body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        if _DECLARATION.match(body):
            self.error(
                XML_DECLARATION_POSITION,
                "the <?xml ...?> declaration must be the very first characters of the file",
                line=1,
            )
            return
        try:
            tree = parse_xml(data)
        except XmlProblem as problem:
            self.findings.append(
                Finding(Severity.ERROR, problem.rule.id, problem.message, self.name, problem.line, problem.column)
            )
            return
        if tree.docinfo.doctype:
            self.error(XML_DOCTYPE_FORBIDDEN, "a DOCTYPE is not allowed in a .trex manifest", line=1)
            return
        root = tree.getroot()
        if _local(root) != "manifest":
            self.error(ROOT_ELEMENT, f"the root element is <{_local(root)}>, expected <manifest>", root)
            return
        namespace = etree.QName(root).namespace
        if namespace != v.NAMESPACE:
            self.error(NAMESPACE, f"<manifest> is in namespace {namespace or 'none'!r}, expected {v.NAMESPACE!r}", root)
            return
        self.check_manifest(root)
        if not any(f.is_error for f in self.findings):
            self.check_schema(tree)

    def check_schema(self, tree: etree._ElementTree) -> None:
        """The bundled extension_manifest.xsd as a backstop: anything it rejects that no rule named."""
        for problem in violations(TREX_SCHEMA, tree):
            self.error(SCHEMA, f"does not match {TREX_SCHEMA}: {problem.message}", line=problem.line)

    # ---------------------------------------------------------------- structure helpers

    def children(self, el: etree._Element) -> list[etree._Element]:
        """Child elements; a child in another namespace is reported and left out."""
        found = []
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if etree.QName(child).namespace != v.NAMESPACE:
                self.error(UNKNOWN_ELEMENT, f"<{child.tag}> is not in the extension manifest namespace", child)
                continue
            found.append(child)
        return found

    def attributes(self, el: etree._Element, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
        allowed = set(allowed)
        for name in el.attrib:
            if name not in allowed:
                self.error(UNKNOWN_ATTRIBUTE, f"<{_local(el)}> has no attribute {name!r}", el)
        for name in required:
            # The spec files an empty extension-version under extension-version-format, not here.
            if not (el.get(name) or "").strip() and not (name == "extension-version" and name in el.attrib):
                self.error(REQUIRED_ATTRIBUTE, f"<{_local(el)}> needs a non-empty {name!r} attribute", el)

    def no_text(self, el: etree._Element) -> None:
        stray = _text(el) or any((child.tail or "").strip() for child in el)
        if stray:
            self.error(UNEXPECTED_TEXT, f"<{_local(el)}> holds no text of its own", el)

    def lengths(self, el: etree._Element) -> None:
        for name, value in el.attrib.items():
            if _local(el) == "author" and name == "website":
                continue
            if len(value) > v.MAX_STRING:
                self.error(STRING_LENGTH, f"{_local(el)}/@{name} is {len(value)} characters, over {v.MAX_STRING}", el)
        if _local(el) in v.LIMITED_TEXT and len(_text(el)) > v.MAX_STRING:
            self.error(STRING_LENGTH, f"<{_local(el)}> text is {len(_text(el))} characters, over {v.MAX_STRING}", el)

    # ---------------------------------------------------------------- manifest and extension

    def check_manifest(self, root: etree._Element) -> None:
        version = root.get("manifest-version")
        if version != v.MANIFEST_VERSION:
            shown = "missing" if version is None else f"{version!r}"
            self.error(MANIFEST_VERSION, f"manifest-version is {shown}, expected '0.1'", root)
        self.attributes(root, ["manifest-version"])
        self.no_text(root)
        for el in root.iter():
            if isinstance(el.tag, str):
                self.lengths(el)
        children = self.children(root)
        extensions = [c for c in children if _local(c) in v.EXTENSION_KINDS]
        resources = [c for c in children if _local(c) == "resources"]
        for child in children:
            name = _local(child)
            if name == "workspace-extension":
                self.error(
                    UNKNOWN_ELEMENT,
                    "unsupported extension kind <workspace-extension> (only dashboard "
                    "and worksheet extensions are checked)",
                    child,
                )
            elif name not in (*v.EXTENSION_KINDS, "resources"):
                self.error(UNKNOWN_ELEMENT, f"<manifest> has no child <{name}>", child)
        if len(extensions) != 1:
            self.error(
                EXTENSION_ELEMENT_COUNT,
                f"<manifest> must hold exactly one <dashboard-extension> or "
                f"<worksheet-extension>, it holds {len(extensions)}",
                root,
            )
        if len(resources) > 1:
            self.error(DUPLICATE_ELEMENT, "<resources> appears more than once", resources[1])
        if extensions and resources and children.index(resources[0]) < children.index(extensions[0]):
            self.error(ELEMENT_ORDER, "<resources> must come after the extension element", resources[0])
        resource_ids = self.check_resources(resources[0]) if resources else {}
        for extension in extensions:
            self.check_extension(extension, resource_ids)

    def check_extension(self, ext: etree._Element, resource_ids: dict[str, set[str]]) -> None:
        kind = _local(ext)
        self.attributes(ext, ["id", "extension-version"], ["id", "extension-version"])
        ext_id = ext.get("id")
        if ext_id and not v.EXTENSION_ID.fullmatch(ext_id):
            self.error(
                EXTENSION_ID_FORMAT,
                f"id {_short(ext_id)!r} is not a reverse-domain name such as com.example.extension",
                ext,
            )
        ext_version = ext.get("extension-version")
        if ext_version is not None and not v.EXTENSION_VERSION.fullmatch(ext_version):
            self.error(
                EXTENSION_VERSION_FORMAT,
                f"extension-version {_short(ext_version)!r} is not one to four dot-separated numbers",
                ext,
            )
        self.no_text(ext)

        seen: dict[str, etree._Element] = {}
        furthest = -1
        encodings = []
        for child in self.children(ext):
            name = _local(child)
            if name not in v.EXTENSION_CHILDREN:
                self.error(UNKNOWN_ELEMENT, f"<{kind}> has no child <{name}>", child)
                continue
            if name == "encoding":
                if kind == "dashboard-extension":
                    self.error(
                        ENCODING_IN_DASHBOARD,
                        "<encoding> belongs in a <worksheet-extension>, not a dashboard extension",
                        child,
                    )
                    continue
                encodings.append(child)
            elif name in seen:
                self.error(DUPLICATE_ELEMENT, f"<{name}> appears more than once", child)
                continue
            position = v.EXTENSION_CHILDREN.index(name)
            if position < furthest:
                self.error(
                    ELEMENT_ORDER, f"<{name}> is out of order: the order is " + ", ".join(v.EXTENSION_CHILDREN), child
                )
            furthest = max(furthest, position)
            seen[name] = child
        for name in v.REQUIRED_EXTENSION_CHILDREN:
            if name not in seen:
                self.error(REQUIRED_ELEMENT, f"<{kind}> needs a <{name}>", ext)
        if len(encodings) > v.MAX_ENCODINGS:
            self.error(
                ENCODING_COUNT,
                f"{len(encodings)} encodings, at most {v.MAX_ENCODINGS} are allowed",
                encodings[v.MAX_ENCODINGS],
            )

        default_locale = seen.get("default-locale")
        if default_locale is not None:
            self.attributes(default_locale, [])
            if not v.LOCALE.fullmatch(_text(default_locale)):
                self.warn(
                    DEFAULT_LOCALE_FORMAT,
                    f"default-locale {_short(_text(default_locale))!r} is not a "
                    "locale such as en or en_US; Tableau falls back to English",
                    default_locale,
                )
        for name in ("name", "description"):
            if name in seen:
                self.check_label(seen[name], resource_ids, needs_label=name == "name")
        if "name" in seen:
            self.check_name_resource(seen["name"], default_locale, resource_ids)
        if "author" in seen:
            self.check_author(seen["author"])
        if "min-api-version" in seen:
            el = seen["min-api-version"]
            self.attributes(el, [])
            if not v.MIN_API_VERSION.fullmatch(_text(el)):
                self.error(MIN_API_VERSION_FORMAT, f"min-api-version {_short(_text(el))!r} is not MAJOR.MINOR", el)
        if "source-location" in seen:
            self.check_source(seen["source-location"])
        if "icon" in seen:
            self.check_icon(seen["icon"])
        if "permissions" in seen:
            self.check_permissions(seen["permissions"])
        if "context-menu" in seen:
            self.check_context_menu(seen["context-menu"])
        self.check_encodings(encodings, resource_ids)

    # ---------------------------------------------------------------- the parts

    def check_label(self, el: etree._Element, resource_ids: dict[str, set[str]], *, needs_label: bool) -> None:
        """name / description / display-name / tooltip: text and/or a resource-id that resolves."""
        self.attributes(el, ["resource-id"])
        ref = el.get("resource-id")
        text = _text(el)
        if needs_label and not text and not (ref or "").strip():
            self.error(NAME_CONTENT, f"<{_local(el)}> needs text or a resource-id", el)
            return
        if ref is not None and ref not in resource_ids:
            if text:
                self.warn(
                    RESOURCE_REF_FALLBACK,
                    f"resource-id {_short(ref)!r} names no <resource>; Tableau shows the inline text instead",
                    el,
                )
            else:
                self.error(
                    RESOURCE_REF,
                    f"resource-id {_short(ref)!r} names no <resource> and <{_local(el)}> has no text to fall back on",
                    el,
                )

    def check_name_resource(
        self, name: etree._Element, default_locale: etree._Element | None, resource_ids: dict[str, set[str]]
    ) -> None:
        ref = name.get("resource-id")
        if ref is None or ref not in resource_ids or default_locale is None:
            return
        if not v.LOCALE.fullmatch(_text(default_locale)):
            return  # already a default-locale-format warning; Tableau uses English
        language = _text(default_locale).split("_")[0]
        if not any(loc.split("_")[0].split("-")[0] == language for loc in resource_ids[ref]):
            self.warn(
                RESOURCE_DEFAULT_LOCALE,
                f"the name's resource {ref!r} has no text in the default locale {_text(default_locale)!r}",
                name,
            )

    def check_author(self, author: etree._Element) -> None:
        self.attributes(author, ["name", "website", "email", "organization"], ["name", "website"])
        self.no_text(author)
        for child in self.children(author):
            self.error(UNKNOWN_ELEMENT, f"<author> has no child <{_local(child)}>", child)
        website = author.get("website")
        if website:
            if len(website) > v.MAX_URI:
                self.error(URI_LENGTH, f"author website is {len(website)} characters, over {v.MAX_URI}", author)
            if not v.WEBSITE.fullmatch(website):
                self.error(AUTHOR_WEBSITE_HTTPS, f"author website {_short(website)!r} must start with https://", author)

    def check_source(self, source: etree._Element) -> None:
        self.attributes(source, [])
        self.no_text(source)
        urls = []
        for child in self.children(source):
            if _local(child) == "url":
                urls.append(child)
            else:
                self.error(UNKNOWN_ELEMENT, f"<source-location> has no child <{_local(child)}>", child)
        if not urls:
            self.error(REQUIRED_ELEMENT, "<source-location> needs a <url>", source)
            return
        for extra in urls[1:]:
            self.error(DUPLICATE_ELEMENT, "<source-location> holds exactly one <url>", extra)
        url = urls[0]
        self.attributes(url, [])
        value = _text(url)
        if len(value) > v.MAX_URI:
            self.error(URI_LENGTH, f"url is {len(value)} characters, over {v.MAX_URI}", url)
        if not v.SOURCE_URL.fullmatch(value):
            self.error(
                SOURCE_URL_SCHEME, f"url {_short(value)!r} must be https://... or http://localhost[:port][/path]", url
            )

    def check_icon(self, icon: etree._Element) -> None:
        self.attributes(icon, [])
        for child in self.children(icon):
            self.error(UNKNOWN_ELEMENT, f"<icon> has no child <{_local(child)}>", child)
        verdict = inspect_icon(icon.text or "")
        if verdict.rule is not None:
            self.error(verdict.rule, verdict.message, icon)
        elif verdict.size is not None and verdict.size != DOCUMENTED_SIZE:
            self.warn(ICON_SIZE, f"icon is {verdict.size[0]}x{verdict.size[1]}; the documented size is 70x70", icon)

    def check_permissions(self, permissions: etree._Element) -> None:
        self.attributes(permissions, [])
        self.no_text(permissions)
        items = []
        for child in self.children(permissions):
            if _local(child) != "permission":
                self.error(UNKNOWN_ELEMENT, f"<permissions> has no child <{_local(child)}>", child)
                continue
            items.append(child)
            self.attributes(child, [])
            if _text(child) not in v.PERMISSIONS:
                self.error(PERMISSION_VALUE, f"permission {_short(_text(child))!r} is not 'full data'", child)
        if not items:
            self.error(REQUIRED_ELEMENT, "<permissions> needs at least one <permission>", permissions)

    def check_context_menu(self, menu: etree._Element) -> None:
        self.attributes(menu, [])
        self.no_text(menu)
        items = self.children(menu)
        if not items:
            self.warn(CONTEXT_MENU_EMPTY, "<context-menu> is empty and adds nothing", menu)
        for position, child in enumerate(items):
            if _local(child) != "configure-context-menu-item":
                self.error(
                    CONTEXT_MENU_ITEM,
                    f"<context-menu> allows only <configure-context-menu-item/>, not <{_local(child)}>",
                    child,
                )
            elif position and any(_local(c) == "configure-context-menu-item" for c in items[:position]):
                self.error(CONTEXT_MENU_ITEM, "<configure-context-menu-item/> appears more than once", child)
            else:
                self.attributes(child, [])
                self.no_text(child)
                for grandchild in self.children(child):
                    self.error(UNKNOWN_ELEMENT, f"<{_local(child)}> has no children", grandchild)

    def check_encodings(self, encodings: list[etree._Element], resource_ids: dict[str, set[str]]) -> None:
        ids: set[str] = set()
        tokens: set[str] = set()
        for encoding in encodings:
            self.attributes(encoding, ["id"], ["id"])
            self.no_text(encoding)
            enc_id = encoding.get("id")
            if enc_id:
                if enc_id in ids:
                    self.error(ENCODING_ID_UNIQUE, f"encoding id {_short(enc_id)!r} is used twice", encoding)
                ids.add(enc_id)
            seen: dict[str, etree._Element] = {}
            for child in self.children(encoding):
                name = _local(child)
                if name not in v.ENCODING_CHILDREN:
                    self.error(UNKNOWN_ELEMENT, f"<encoding> has no child <{name}>", child)
                elif name in seen:
                    self.error(DUPLICATE_ELEMENT, f"<{name}> appears more than once in an encoding", child)
                else:
                    seen[name] = child
            if "display-name" not in seen:
                self.error(REQUIRED_ELEMENT, "<encoding> needs a <display-name>", encoding)
            else:
                self.check_label(seen["display-name"], resource_ids, needs_label=True)
            if "tooltip" in seen:
                self.check_label(seen["tooltip"], resource_ids, needs_label=False)
            self.check_spec(seen.get("data-spec"), "data-type", v.DATA_TYPES, DATA_TYPE_VALUE)
            self.check_spec(seen.get("role-spec"), "role-type", v.ROLE_TYPES, ROLE_TYPE_VALUE)
            fields = seen.get("fields")
            if fields is not None:
                self.attributes(fields, ["max-count"])
                self.no_text(fields)
                max_count = fields.get("max-count")
                if max_count is not None and not v.MAX_COUNT.fullmatch(max_count):
                    self.error(
                        FIELDS_MAX_COUNT, f"max-count {_short(max_count)!r} is not a positive whole number", fields
                    )
            icon = seen.get("encoding-icon")
            if icon is not None:
                self.attributes(icon, ["token"], ["token"])
                self.no_text(icon)
                token = icon.get("token")
                if token:
                    if token not in v.ICON_TOKENS:
                        self.error(
                            ENCODING_ICON_TOKEN,
                            f"encoding-icon token {_short(token)!r} is not one of Tableau's icon tokens",
                            icon,
                        )
                    elif token in tokens:
                        self.error(
                            ENCODING_ICON_UNIQUE,
                            f"encoding-icon token {token!r} is used by two encodings "
                            "(Tableau: 'Cannot use the same icon for more than one encoding')",
                            icon,
                        )
                    tokens.add(token)

    def check_spec(self, spec: etree._Element | None, item: str, allowed: frozenset[str], rule: Rule) -> None:
        if spec is None:
            return
        self.attributes(spec, [])
        self.no_text(spec)
        items = []
        for child in self.children(spec):
            if _local(child) != item:
                self.error(UNKNOWN_ELEMENT, f"<{_local(spec)}> has no child <{_local(child)}>", child)
                continue
            items.append(child)
            self.attributes(child, [])
            if _text(child) not in allowed:
                self.error(rule, f"{item} {_short(_text(child))!r} is not one of " + ", ".join(sorted(allowed)), child)
        if not items:
            self.error(REQUIRED_ELEMENT, f"<{_local(spec)}> needs at least one <{item}>", spec)

    def check_resources(self, resources: etree._Element) -> dict[str, set[str]]:
        """Check <resources>; return resource id -> the locales it has text for."""
        self.attributes(resources, [])
        self.no_text(resources)
        found: dict[str, set[str]] = {}
        for resource in self.children(resources):
            if _local(resource) != "resource":
                self.error(UNKNOWN_ELEMENT, f"<resources> has no child <{_local(resource)}>", resource)
                continue
            self.attributes(resource, ["id"], ["id"])
            self.no_text(resource)
            res_id = resource.get("id")
            locales: set[str] = set()
            texts = 0
            for text in self.children(resource):
                if _local(text) != "text":
                    self.error(UNKNOWN_ELEMENT, f"<resource> has no child <{_local(text)}>", text)
                    continue
                texts += 1
                self.attributes(text, ["locale"], ["locale"])
                locale = text.get("locale")
                if locale:
                    locales.add(locale)
                    if not v.LOCALE.fullmatch(locale):
                        self.warn(
                            LOCALE_FORMAT, f"text locale {_short(locale)!r} is not a locale such as en or en_US", text
                        )
            if not texts:
                self.error(RESOURCE_EMPTY, f"resource {res_id or ''!r} has no <text>", resource)
            if res_id:
                if res_id in found:
                    self.error(RESOURCE_DUPLICATE_ID, f"two resources have the id {_short(res_id)!r}", resource)
                found.setdefault(res_id, set()).update(locales)
        return found


def check_trex(path: Path, display_name: str | None = None) -> list[Finding]:
    """Every finding for the .trex file at ``path``; an unreadable file is one error finding."""
    name = display_name or path.name
    checker = _Checker(name)
    try:
        info = path.stat()
        size = info.st_size
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the read forever
            checker.error(FILE_UNREADABLE, f"cannot read {path}: not a regular file (a pipe, device or socket)")
            return checker.findings
        if size > MAX_TREX_BYTES:
            checker.error(
                FILE_TOO_LARGE, f"{size:,} bytes is too large for an extension manifest (limit {MAX_TREX_BYTES:,})"
            )
            return checker.findings
        data = path.read_bytes()
    except FileNotFoundError:
        checker.error(INPUT_MISSING, f"{path} does not exist")
        return checker.findings
    except OSError as exc:
        checker.error(FILE_UNREADABLE, f"cannot read {path}: {exc.strerror or exc}")
        return checker.findings
    checker.run(data)
    return checker.findings
