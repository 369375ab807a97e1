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

from connector_packager.findings import Finding, Severity
from connector_packager.schemas import violations
from connector_packager.trex import vocabulary as v
from connector_packager.trex.icon import DOCUMENTED_SIZE, inspect_icon
from connector_packager.xmlsafe import XmlProblem, parse_xml

MAX_TREX_BYTES = 1024 * 1024
TREX_SCHEMA = "extension_manifest.xsd"
_DECLARATION = re.compile(rb"\s+<\?xml[\s?]")


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

    def add(self, severity: Severity, rule: str, message: str, el: etree._Element | None = None,
            line: int | None = None) -> None:
        where = el.sourceline if el is not None else line
        self.findings.append(Finding(severity, rule, message, self.name, where))

    def error(self, rule: str, message: str, el: etree._Element | None = None, line: int | None = None) -> None:
        self.add(Severity.ERROR, rule, message, el, line)

    def warn(self, rule: str, message: str, el: etree._Element | None = None) -> None:
        self.add(Severity.WARNING, rule, message, el)

    # ---------------------------------------------------------------- file level

    def run(self, data: bytes) -> None:
        body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        if _DECLARATION.match(body):
            self.error("xml-declaration-position", "the <?xml ...?> declaration must be the very first characters "
                       "of the file", line=1)
            return
        try:
            tree = parse_xml(data)
        except XmlProblem as problem:
            self.findings.append(Finding(Severity.ERROR, problem.rule, problem.message, self.name, problem.line,
                                         problem.column))
            return
        if tree.docinfo.doctype:
            self.error("xml-doctype-forbidden", "a DOCTYPE is not allowed in a .trex manifest", line=1)
            return
        root = tree.getroot()
        if _local(root) != "manifest":
            self.error("root-element", f"the root element is <{_local(root)}>, expected <manifest>", root)
            return
        namespace = etree.QName(root).namespace
        if namespace != v.NAMESPACE:
            self.error("namespace", f"<manifest> is in namespace {namespace or 'none'!r}, expected "
                       f"{v.NAMESPACE!r}", root)
            return
        self.check_manifest(root)
        if not any(f.is_error for f in self.findings):
            self.check_schema(tree)

    def check_schema(self, tree: etree._ElementTree) -> None:
        """The bundled extension_manifest.xsd as a backstop: anything it rejects that no rule named."""
        for problem in violations(TREX_SCHEMA, tree):
            self.error("schema", f"does not match {TREX_SCHEMA}: {problem.message}", line=problem.line)

    # ---------------------------------------------------------------- structure helpers

    def children(self, el: etree._Element) -> list[etree._Element]:
        """Child elements; a child in another namespace is reported and left out."""
        found = []
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if etree.QName(child).namespace != v.NAMESPACE:
                self.error("unknown-element", f"<{child.tag}> is not in the extension manifest namespace", child)
                continue
            found.append(child)
        return found

    def attributes(self, el: etree._Element, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
        allowed = set(allowed)
        for name in el.attrib:
            if name not in allowed:
                self.error("unknown-attribute", f"<{_local(el)}> has no attribute {name!r}", el)
        for name in required:
            # The spec files an empty extension-version under extension-version-format, not here.
            if not (el.get(name) or "").strip() and not (name == "extension-version" and name in el.attrib):
                self.error("required-attribute", f"<{_local(el)}> needs a non-empty {name!r} attribute", el)

    def no_text(self, el: etree._Element) -> None:
        stray = _text(el) or any((child.tail or "").strip() for child in el)
        if stray:
            self.error("unexpected-text", f"<{_local(el)}> holds no text of its own", el)

    def lengths(self, el: etree._Element) -> None:
        for name, value in el.attrib.items():
            if _local(el) == "author" and name == "website":
                continue
            if len(value) > v.MAX_STRING:
                self.error("string-length", f"{_local(el)}/@{name} is {len(value)} characters, over "
                           f"{v.MAX_STRING}", el)
        if _local(el) in v.LIMITED_TEXT and len(_text(el)) > v.MAX_STRING:
            self.error("string-length", f"<{_local(el)}> text is {len(_text(el))} characters, over {v.MAX_STRING}",
                       el)

    # ---------------------------------------------------------------- manifest and extension

    def check_manifest(self, root: etree._Element) -> None:
        version = root.get("manifest-version")
        if version != v.MANIFEST_VERSION:
            shown = "missing" if version is None else f"{version!r}"
            self.error("manifest-version", f"manifest-version is {shown}, expected '0.1'", root)
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
                self.error("unknown-element", "unsupported extension kind <workspace-extension> (only dashboard "
                           "and worksheet extensions are checked)", child)
            elif name not in (*v.EXTENSION_KINDS, "resources"):
                self.error("unknown-element", f"<manifest> has no child <{name}>", child)
        if len(extensions) != 1:
            self.error("extension-element-count", f"<manifest> must hold exactly one <dashboard-extension> or "
                       f"<worksheet-extension>, it holds {len(extensions)}", root)
        if len(resources) > 1:
            self.error("duplicate-element", "<resources> appears more than once", resources[1])
        if extensions and resources and children.index(resources[0]) < children.index(extensions[0]):
            self.error("element-order", "<resources> must come after the extension element", resources[0])
        resource_ids = self.check_resources(resources[0]) if resources else {}
        for extension in extensions:
            self.check_extension(extension, resource_ids)

    def check_extension(self, ext: etree._Element, resource_ids: dict[str, set[str]]) -> None:
        kind = _local(ext)
        self.attributes(ext, ["id", "extension-version"], ["id", "extension-version"])
        ext_id = ext.get("id")
        if ext_id and not v.EXTENSION_ID.fullmatch(ext_id):
            self.error("extension-id-format", f"id {_short(ext_id)!r} is not a reverse-domain name such as "
                       "com.example.extension", ext)
        ext_version = ext.get("extension-version")
        if ext_version is not None and not v.EXTENSION_VERSION.fullmatch(ext_version):
            self.error("extension-version-format", f"extension-version {_short(ext_version)!r} is not one to four "
                       "dot-separated numbers", ext)
        self.no_text(ext)

        seen: dict[str, etree._Element] = {}
        furthest = -1
        encodings = []
        for child in self.children(ext):
            name = _local(child)
            if name not in v.EXTENSION_CHILDREN:
                self.error("unknown-element", f"<{kind}> has no child <{name}>", child)
                continue
            if name == "encoding":
                if kind == "dashboard-extension":
                    self.error("encoding-in-dashboard", "<encoding> belongs in a <worksheet-extension>, not a "
                               "dashboard extension", child)
                    continue
                encodings.append(child)
            elif name in seen:
                self.error("duplicate-element", f"<{name}> appears more than once", child)
                continue
            position = v.EXTENSION_CHILDREN.index(name)
            if position < furthest:
                self.error("element-order", f"<{name}> is out of order: the order is "
                           + ", ".join(v.EXTENSION_CHILDREN), child)
            furthest = max(furthest, position)
            seen[name] = child
        for name in v.REQUIRED_EXTENSION_CHILDREN:
            if name not in seen:
                self.error("required-element", f"<{kind}> needs a <{name}>", ext)
        if len(encodings) > v.MAX_ENCODINGS:
            self.error("encoding-count", f"{len(encodings)} encodings, at most {v.MAX_ENCODINGS} are allowed",
                       encodings[v.MAX_ENCODINGS])

        default_locale = seen.get("default-locale")
        if default_locale is not None:
            self.attributes(default_locale, [])
            if not v.LOCALE.fullmatch(_text(default_locale)):
                self.warn("default-locale-format", f"default-locale {_short(_text(default_locale))!r} is not a "
                          "locale such as en or en_US; Tableau falls back to English", default_locale)
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
                self.error("min-api-version-format", f"min-api-version {_short(_text(el))!r} is not MAJOR.MINOR", el)
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
            self.error("name-content", f"<{_local(el)}> needs text or a resource-id", el)
            return
        if ref is not None and ref not in resource_ids:
            if text:
                self.warn("resource-ref-fallback", f"resource-id {_short(ref)!r} names no <resource>; Tableau shows "
                          "the inline text instead", el)
            else:
                self.error("resource-ref", f"resource-id {_short(ref)!r} names no <resource> and <{_local(el)}> has "
                           "no text to fall back on", el)

    def check_name_resource(self, name: etree._Element, default_locale: etree._Element | None,
                            resource_ids: dict[str, set[str]]) -> None:
        ref = name.get("resource-id")
        if ref is None or ref not in resource_ids or default_locale is None:
            return
        if not v.LOCALE.fullmatch(_text(default_locale)):
            return  # already a default-locale-format warning; Tableau uses English
        language = _text(default_locale).split("_")[0]
        if not any(loc.split("_")[0].split("-")[0] == language for loc in resource_ids[ref]):
            self.warn("resource-default-locale", f"the name's resource {ref!r} has no text in the default locale "
                      f"{_text(default_locale)!r}", name)

    def check_author(self, author: etree._Element) -> None:
        self.attributes(author, ["name", "website", "email", "organization"], ["name", "website"])
        self.no_text(author)
        for child in self.children(author):
            self.error("unknown-element", f"<author> has no child <{_local(child)}>", child)
        website = author.get("website")
        if website:
            if len(website) > v.MAX_URI:
                self.error("uri-length", f"author website is {len(website)} characters, over {v.MAX_URI}", author)
            if not v.WEBSITE.fullmatch(website):
                self.error("author-website-https", f"author website {_short(website)!r} must start with https://",
                           author)

    def check_source(self, source: etree._Element) -> None:
        self.attributes(source, [])
        self.no_text(source)
        urls = []
        for child in self.children(source):
            if _local(child) == "url":
                urls.append(child)
            else:
                self.error("unknown-element", f"<source-location> has no child <{_local(child)}>", child)
        if not urls:
            self.error("required-element", "<source-location> needs a <url>", source)
            return
        for extra in urls[1:]:
            self.error("duplicate-element", "<source-location> holds exactly one <url>", extra)
        url = urls[0]
        self.attributes(url, [])
        value = _text(url)
        if len(value) > v.MAX_URI:
            self.error("uri-length", f"url is {len(value)} characters, over {v.MAX_URI}", url)
        if not v.SOURCE_URL.fullmatch(value):
            self.error("source-url-scheme", f"url {_short(value)!r} must be https://... or "
                       "http://localhost[:port][/path]", url)

    def check_icon(self, icon: etree._Element) -> None:
        self.attributes(icon, [])
        for child in self.children(icon):
            self.error("unknown-element", f"<icon> has no child <{_local(child)}>", child)
        verdict = inspect_icon(icon.text or "")
        if verdict.rule is not None:
            self.error(verdict.rule, verdict.message, icon)
        elif verdict.size is not None and verdict.size != DOCUMENTED_SIZE:
            self.warn("icon-size", f"icon is {verdict.size[0]}x{verdict.size[1]}; the documented size is 70x70", icon)

    def check_permissions(self, permissions: etree._Element) -> None:
        self.attributes(permissions, [])
        self.no_text(permissions)
        items = []
        for child in self.children(permissions):
            if _local(child) != "permission":
                self.error("unknown-element", f"<permissions> has no child <{_local(child)}>", child)
                continue
            items.append(child)
            self.attributes(child, [])
            if _text(child) not in v.PERMISSIONS:
                self.error("permission-value", f"permission {_short(_text(child))!r} is not 'full data'", child)
        if not items:
            self.error("required-element", "<permissions> needs at least one <permission>", permissions)

    def check_context_menu(self, menu: etree._Element) -> None:
        self.attributes(menu, [])
        self.no_text(menu)
        items = self.children(menu)
        if not items:
            self.warn("context-menu-empty", "<context-menu> is empty and adds nothing", menu)
        for position, child in enumerate(items):
            if _local(child) != "configure-context-menu-item":
                self.error("context-menu-item", f"<context-menu> allows only <configure-context-menu-item/>, not "
                           f"<{_local(child)}>", child)
            elif position and any(_local(c) == "configure-context-menu-item" for c in items[:position]):
                self.error("context-menu-item", "<configure-context-menu-item/> appears more than once", child)
            else:
                self.attributes(child, [])
                self.no_text(child)
                for grandchild in self.children(child):
                    self.error("unknown-element", f"<{_local(child)}> has no children", grandchild)

    def check_encodings(self, encodings: list[etree._Element], resource_ids: dict[str, set[str]]) -> None:
        ids: set[str] = set()
        tokens: set[str] = set()
        for encoding in encodings:
            self.attributes(encoding, ["id"], ["id"])
            self.no_text(encoding)
            enc_id = encoding.get("id")
            if enc_id:
                if enc_id in ids:
                    self.error("encoding-id-unique", f"encoding id {_short(enc_id)!r} is used twice", encoding)
                ids.add(enc_id)
            seen: dict[str, etree._Element] = {}
            for child in self.children(encoding):
                name = _local(child)
                if name not in v.ENCODING_CHILDREN:
                    self.error("unknown-element", f"<encoding> has no child <{name}>", child)
                elif name in seen:
                    self.error("duplicate-element", f"<{name}> appears more than once in an encoding", child)
                else:
                    seen[name] = child
            if "display-name" not in seen:
                self.error("required-element", "<encoding> needs a <display-name>", encoding)
            else:
                self.check_label(seen["display-name"], resource_ids, needs_label=True)
            if "tooltip" in seen:
                self.check_label(seen["tooltip"], resource_ids, needs_label=False)
            self.check_spec(seen.get("data-spec"), "data-type", v.DATA_TYPES, "data-type-value")
            self.check_spec(seen.get("role-spec"), "role-type", v.ROLE_TYPES, "role-type-value")
            fields = seen.get("fields")
            if fields is not None:
                self.attributes(fields, ["max-count"])
                self.no_text(fields)
                max_count = fields.get("max-count")
                if max_count is not None and not v.MAX_COUNT.fullmatch(max_count):
                    self.error("fields-max-count", f"max-count {_short(max_count)!r} is not a positive whole number",
                               fields)
            icon = seen.get("encoding-icon")
            if icon is not None:
                self.attributes(icon, ["token"], ["token"])
                self.no_text(icon)
                token = icon.get("token")
                if token:
                    if token not in v.ICON_TOKENS:
                        self.error("encoding-icon-token", f"encoding-icon token {_short(token)!r} is not one of "
                                   "Tableau's icon tokens", icon)
                    elif token in tokens:
                        self.error("encoding-icon-unique", f"encoding-icon token {token!r} is used by two encodings "
                                   "(Tableau: 'Cannot use the same icon for more than one encoding')", icon)
                    tokens.add(token)

    def check_spec(self, spec: etree._Element | None, item: str, allowed: frozenset[str], rule: str) -> None:
        if spec is None:
            return
        self.attributes(spec, [])
        self.no_text(spec)
        items = []
        for child in self.children(spec):
            if _local(child) != item:
                self.error("unknown-element", f"<{_local(spec)}> has no child <{_local(child)}>", child)
                continue
            items.append(child)
            self.attributes(child, [])
            if _text(child) not in allowed:
                self.error(rule, f"{item} {_short(_text(child))!r} is not one of " + ", ".join(sorted(allowed)), child)
        if not items:
            self.error("required-element", f"<{_local(spec)}> needs at least one <{item}>", spec)

    def check_resources(self, resources: etree._Element) -> dict[str, set[str]]:
        """Check <resources>; return resource id -> the locales it has text for."""
        self.attributes(resources, [])
        self.no_text(resources)
        found: dict[str, set[str]] = {}
        for resource in self.children(resources):
            if _local(resource) != "resource":
                self.error("unknown-element", f"<resources> has no child <{_local(resource)}>", resource)
                continue
            self.attributes(resource, ["id"], ["id"])
            self.no_text(resource)
            res_id = resource.get("id")
            locales: set[str] = set()
            texts = 0
            for text in self.children(resource):
                if _local(text) != "text":
                    self.error("unknown-element", f"<resource> has no child <{_local(text)}>", text)
                    continue
                texts += 1
                self.attributes(text, ["locale"], ["locale"])
                locale = text.get("locale")
                if locale:
                    locales.add(locale)
                    if not v.LOCALE.fullmatch(locale):
                        self.warn("locale-format", f"text locale {_short(locale)!r} is not a locale such as en or "
                                  "en_US", text)
            if not texts:
                self.error("resource-empty", f"resource {res_id or ''!r} has no <text>", resource)
            if res_id:
                if res_id in found:
                    self.error("resource-duplicate-id", f"two resources have the id {_short(res_id)!r}", resource)
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
            checker.error("file-unreadable", f"cannot read {path}: not a regular file (a pipe, device or socket)")
            return checker.findings
        if size > MAX_TREX_BYTES:
            checker.error("file-too-large", f"{size:,} bytes is too large for an extension manifest "
                          f"(limit {MAX_TREX_BYTES:,})")
            return checker.findings
        data = path.read_bytes()
    except OSError as exc:
        checker.error("file-unreadable", f"cannot read {path}: {exc.strerror or exc}")
        return checker.findings
    checker.run(data)
    return checker.findings
