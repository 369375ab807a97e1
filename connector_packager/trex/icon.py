"""The extension icon: base64 of a PNG, documented at 70x70 pixels."""

from __future__ import annotations

import binascii
import re
import struct
from dataclasses import dataclass

from connector_packager.catalogue import Rule, Severity, declare

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DOCUMENTED_SIZE = (70, 70)
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")

ICON_BASE64 = declare(
    "icon-base64",
    "trex",
    Severity.ERROR,
    "the icon is base64 (standard alphabet, '=' padding)",
    doc="Whitespace inside is ignored; other characters or wrong padding are refused (spec I1).",
    passes="<icon>iVBORw0KGgo...</icon>",
    fails="<icon>not base64!</icon>",
)
ICON_PNG = declare(
    "icon-png",
    "trex",
    Severity.ERROR,
    "the icon decodes to a PNG image",
    doc="Tableau shows PNG icons only; SVG, ICO, GIF and JPEG are refused (spec I3).",
    passes="base64 of a PNG",
    fails="base64 of a GIF",
)


@dataclass(frozen=True)
class IconVerdict:
    rule: Rule | None  # None: a PNG
    message: str
    size: tuple[int, int] | None = None


def inspect_icon(text: str) -> IconVerdict:
    """Decode the icon text (whitespace ignored) and read the PNG header, nothing more."""
    compact = "".join(text.split())
    if not compact:
        return IconVerdict(None, "empty icon")
    if len(compact) % 4 or not _BASE64.fullmatch(compact):
        return IconVerdict(ICON_BASE64, "icon is not valid base64 (standard alphabet, '=' padding)")
    try:
        data = binascii.a2b_base64(compact)
    except binascii.Error as exc:
        return IconVerdict(ICON_BASE64, f"icon is not valid base64: {exc}")
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 24:
        kind = _guess(data)
        return IconVerdict(ICON_PNG, f"icon is {kind}, not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    return IconVerdict(None, f"{width}x{height} PNG", (width, height))


def _guess(data: bytes) -> str:
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "a GIF image"
    if data.startswith(b"\xff\xd8\xff"):
        return "a JPEG image"
    if data.startswith(b"\x00\x00\x01\x00"):
        return "an ICO image"
    if b"<svg" in data[:512]:
        return "an SVG document"
    return "not an image Tableau reads"
