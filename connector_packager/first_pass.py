"""libxml2's first pass over a connector file, so that valid files never need xmlschema.

Verdicts are xmlschema's, the library Tableau's own packager validates with,
but importing it costs more than everything else a run does. lxml has already
parsed the file, so libxml2 checks it against the same bundled XSD first:
what it accepts is valid, and xmlschema is not imported at all. Anything it
rejects, or does not get to judge, goes to xmlschema for the verdict and the
messages.

That is sound only where libxml2 never accepts what xmlschema rejects. Known
places where they differ are kept from libxml2 altogether: an attribute in the
``xsi:`` or ``xml:`` namespace anywhere (xmlschema knows those namespaces'
declarations, libxml2 does not, and xmlschema fails on an unknown ``xsi:type``),
and attributes or child elements of an element declared with any content
(``xs:anyType``, lax: xmlschema checks what it has declarations for, such as
the XSD namespace's own elements). tests/test_schema_engines.py checks the
rest on every corpus document and on generated edits of the samples, and that
the connector schemas keep to the XSD features those edits cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from connector_packager.xmlsafe import elements

XS = "http://www.w3.org/2001/XMLSchema"
#: Attributes in these namespaces send a document to xmlschema.
UNTRUSTED_ATTRIBUTES = ("{http://www.w3.org/2001/XMLSchema-instance}", "{http://www.w3.org/XML/1998/namespace}")


@dataclass(frozen=True)
class FirstPass:
    schema: etree.XMLSchema
    #: Names of the elements declared with any content: with attributes or child elements, xmlschema judges.
    open_elements: frozenset[str]

    @classmethod
    def compile(cls, path: Path) -> FirstPass | None:
        """The schema at ``path`` compiled by libxml2, or None if libxml2 cannot compile it."""
        try:
            return cls(etree.XMLSchema(etree.parse(str(path))), frozenset(open_elements(path)))
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError):
            return None

    def accepts(self, tree: etree._ElementTree) -> bool:
        """True when the document is valid; False when xmlschema must judge it."""
        for el in elements(tree.getroot()):
            if any(name.startswith(UNTRUSTED_ATTRIBUTES) for name in el.attrib):
                return False
            if el.tag in self.open_elements and (el.attrib or len(el)):
                return False
        return bool(self.schema.validate(tree))


def open_elements(path: Path) -> set[str]:
    """Elements declared in ``path`` (and the schemas it includes) with no type, or ``xs:anyType``."""
    found: set[str] = set()
    pending, seen = [path], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        root = etree.parse(str(current)).getroot()
        namespace = root.get("targetNamespace")
        for el in root.iter(f"{{{XS}}}element", f"{{{XS}}}include"):
            if el.tag == f"{{{XS}}}include":
                pending.append(current.parent / el.get("schemaLocation", ""))
                continue
            name, declared = el.get("name"), el.get("type")
            inline = el.find(f"{{{XS}}}complexType") is not None or el.find(f"{{{XS}}}simpleType") is not None
            any_type = declared is not None and _qname(el, declared) == f"{{{XS}}}anyType"
            if name and ((declared is None and not inline) or any_type):
                found.add(f"{{{namespace}}}{name}" if namespace else name)
    return found


def _qname(context: etree._Element, value: str) -> str:
    prefix, _, local = value.rpartition(":")
    namespace = context.nsmap.get(prefix or None)
    return f"{{{namespace}}}{local}" if namespace else local
