"""Stamping ``min-version-tableau`` into the packaged copy of manifest.xml.

Only that one attribute of the root start tag changes; the declaration,
comments, quoting, attribute order and whitespace stay as the author wrote
them. Works on the bytes in memory: the source file is never written. The
stamped copy is parsed once to prove that nothing else changed, against the
tree of the source that validation parsed (it is not parsed again).
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from connector_packager.xmlsafe import parse_xml

ATTRIBUTE = "min-version-tableau"

# Prolog items that may stand before the root element.
_PROLOG_ITEM = re.compile(
    r"""\s+ | <\?.*?\?> | <!--.*?--> | <!DOCTYPE(?:[^\[>]|\[.*?\])*>""",
    re.DOTALL | re.VERBOSE,
)
_START_TAG = re.compile(r"<(?P<name>[^\s/>]+)(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(?P<end>/?>)")
_ATTR = re.compile(r"(?P<space>\s+)(?P<name>[^\s=/>]+)(?P<eq>\s*=\s*)(?P<value>\"[^\"]*\"|'[^']*')")


class StampError(Exception):
    """The manifest could not be stamped without changing more than the attribute."""


def _encoding_of(data: bytes) -> str:
    """The codec that decodes ``data`` byte-for-byte reversibly."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    declared = re.match(rb"<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", data)
    return declared.group(1).decode("ascii") if declared else "utf-8"


def stamp_min_version(data: bytes, version: str, parsed: etree._ElementTree | None = None) -> bytes:
    """``data`` with the root element's ``min-version-tableau`` set to ``version``. ``parsed`` is ``data`` as
    ``parse_xml`` read it, when the caller has it (else ``data`` is parsed here)."""
    encoding = _encoding_of(data)
    try:
        text = data.decode(encoding)
        if text.encode(encoding) != data:
            raise ValueError("encoding does not round-trip")
    except (LookupError, ValueError) as exc:
        raise StampError(f"manifest.xml cannot be stamped in its encoding {encoding!r}: {exc}") from None
    pos = 1 if text.startswith("\ufeff") else 0
    while (item := _PROLOG_ITEM.match(text, pos)) and item.end() > pos:
        pos = item.end()
    tag = _START_TAG.match(text, pos)
    if tag is None:
        raise StampError("the start tag of manifest.xml's root element could not be found")
    attrs = tag.group("attrs")
    existing = [m for m in _ATTR.finditer(attrs) if m.group("name") == ATTRIBUTE]
    if existing:
        found = existing[0]
        quote = found.group("value")[0]
        new_attrs = attrs[: found.start("value")] + f"{quote}{version}{quote}" + attrs[found.end("value") :]
    else:
        first = next(_ATTR.finditer(attrs), None)
        quote = first.group("value")[0] if first else "'"
        new_attrs = f"{attrs} {ATTRIBUTE}={quote}{version}{quote}"
    start, end = tag.span("attrs")
    stamped = (text[:start] + new_attrs + text[end:]).encode(encoding)
    if stamped != data:  # the same bytes are the same document
        _verify(parsed if parsed is not None else parse_xml(data), stamped, version)
    return stamped


def _verify(original: etree._ElementTree, stamped: bytes, version: str) -> None:
    """Make sure the stamped document differs from the original only in the one attribute (``original`` is left
    as it is)."""
    before = original.getroot()
    after = parse_xml(stamped).getroot()
    if after.get(ATTRIBUTE) != version:
        raise StampError("stamping did not set min-version-tableau")
    declared = before.get(ATTRIBUTE)
    if declared is None:
        after.attrib.pop(ATTRIBUTE)
    else:
        after.set(ATTRIBUTE, declared)
    if etree.tostring(before, method="c14n") != etree.tostring(after, method="c14n"):
        raise StampError("stamping would change more of manifest.xml than min-version-tableau")
