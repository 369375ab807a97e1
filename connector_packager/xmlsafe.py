"""The project's one XML parser, hardened for files written by others.

Every XML file the tool reads goes through :func:`parse_xml`: no DTD is
loaded, no entity is expanded, nothing is fetched from the network,
documents nested deeper than libxml2's default limit are refused, and
comments and processing instructions are dropped (as Tableau's tool does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from connector_packager.catalogue import Rule, Severity, declare

XML_NOT_WELL_FORMED = declare(
    "xml-not-well-formed",
    ("connector", "trex"),
    Severity.ERROR,
    "the file is well-formed XML in the encoding it declares",
    doc="Every XML file of a connector (and every .trex) is parsed by the project's one hardened parser, and "
    "also as expat reads it (Tableau's packager uses expat), so a file either tool would refuse is refused "
    "with its line and column; bytes that are not text in the declared encoding are named with their offset.",
    passes="<connection-fields>...</connection-fields>",
    fails="<connection-fields>...</connection-field>",
)
XML_DOCTYPE_FORBIDDEN = declare(
    "xml-doctype-forbidden",
    ("connector", "trex"),
    Severity.ERROR,
    "no entity declarations and no external DTD",
    doc="Entities and external DTDs let a file expand to gigabytes or read other files (XXE); no connector "
    "needs them. A bare <!DOCTYPE name> is tolerated in connector files (it changes nothing); a .trex "
    "may hold no DOCTYPE at all.",
    passes='<?xml version="1.0"?>\n<dialect ...>',
    fails='<!DOCTYPE d [<!ENTITY e "x">]>\n<dialect ...>&e;</dialect>',
)

_LOCATION_SUFFIX = re.compile(r", line \d+, column \d+$")
# An internal DTD subset that declares entities (in an ASCII-compatible encoding; libxml2's own
# amplification limit and the DTD check below cover the rest).
_ENTITY_DECLARATIONS = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?<!ENTITY", re.DOTALL)
#: The encoding named by an XML declaration (after an optional UTF-8 byte order mark).
_DECLARED_ENCODING = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*?\sencoding\s*=\s*[\"']([A-Za-z][A-Za-z0-9._-]*)[\"']")


@dataclass
class XmlProblem(Exception):
    """The bytes are not a document we are willing to read."""

    rule: Rule
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        return self.message


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers keep state and are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        # Tableau's tool reads files with parsers that drop comments and processing instructions, so
        # `<attr>ser<!-- x -->ver</attr>` is "server" to it (and to xmlschema, which parses the file
        # itself there); dropping them here makes every rule and the schema check see the same.
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes) -> etree._ElementTree:
    """Parse ``data`` or raise :class:`XmlProblem` with a line and column.

    A bare ``<!DOCTYPE name>`` is tolerated (it changes nothing); entity
    declarations and external DTD references are refused.
    """
    if _ENTITY_DECLARATIONS.search(data):
        # Refused before libxml2 sees it, so the message is the same whatever the entities would expand to.
        raise XmlProblem(XML_DOCTYPE_FORBIDDEN, "entity declarations are not allowed", 1, None)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        _check_encoding(data)
        line, column = exc.position if exc.position else (None, None)
        message = _LOCATION_SUFFIX.sub("", exc.msg or "not well-formed")
        raise XmlProblem(XML_NOT_WELL_FORMED, f"not well-formed XML: {message}", line, column) from None
    tree = root.getroottree()
    info = tree.docinfo
    dtd = info.internalDTD
    if info.system_url or info.public_id:
        raise XmlProblem(
            XML_DOCTYPE_FORBIDDEN,
            "a DOCTYPE that points at an external DTD is not allowed (it would not be read)",
            1,
            None,
        )
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise XmlProblem(XML_DOCTYPE_FORBIDDEN, "entity declarations are not allowed", 1, None)
    _check_with_expat(data)
    return tree


def _check_with_expat(data: bytes) -> None:
    """Tableau's tool reads files with expat (ElementTree, and xmlschema on the path), which refuses some
    documents libxml2 takes: names with characters only XML 1.0's fifth edition allows, such as a
    processing instruction whose target starts with U+F900. Refuse them too. Runs after the checks above,
    so expat never sees an entity declaration or an external DTD."""
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator="}")
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        _check_encoding(data)
        raise XmlProblem(
            XML_NOT_WELL_FORMED,
            f"not well-formed XML: {expat.ErrorString(exc.code)} (as read by "
            "expat, the parser Tableau's packager uses)",
            exc.lineno,
            exc.offset + 1,
        ) from None


def _check_encoding(data: bytes) -> None:
    """For a document the parser refused: if its bytes are not text in the encoding it declares (UTF-8 when
    it declares none), raise a problem naming the first bad byte, its offset and line, and what to do."""
    import codecs

    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or data[
        :2
    ] in (b"\x00<", b"<\x00"):
        return  # 16- or 32-bit text: libxml2's message stands
    declared = _DECLARED_ENCODING.match(data)
    name = declared.group(1).decode("ascii") if declared else "UTF-8"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return  # an encoding Python does not know: libxml2's message stands
    hint = "re-save the file as UTF-8" + (
        f", or fix its encoding declaration to name the encoding it is written in (it says {name})"
        if declared
        else ', or declare the encoding it is written in (<?xml version="1.0" encoding="..."?>)'
    )
    if codec.startswith(("utf-16", "utf-32")):
        raise XmlProblem(
            XML_NOT_WELL_FORMED,
            f"not well-formed XML: the file declares the encoding {name} but is written in a single-byte encoding",
            1,
            None,
            hint,
        )
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        offset = exc.start
        line = data.count(b"\n", 0, offset) + 1
        column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        what = f"declared {name}" if declared else "UTF-8, as no encoding is declared"
        raise XmlProblem(
            XML_NOT_WELL_FORMED,
            f"not well-formed XML: byte 0x{data[offset]:02X} at offset {offset} "
            f"(line {line}) is not valid text in the file's encoding ({what})",
            line,
            column,
            hint,
        ) from None


def elements(root: etree._Element) -> list[etree._Element]:
    """Every element under and including ``root`` in document order (no comments or PIs)."""
    return [el for el in root.iter() if isinstance(el.tag, str)]
