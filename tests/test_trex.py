"""Extension manifest (.trex) validation: every rule with its own valid and invalid manifests."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import pytest

from connector_packager.findings import Finding
from connector_packager.trex import check_trex
from tests.conftest import SAMPLE_EXTENSIONS, SHARED, needs_shared


def png(width: int, height: int) -> str:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(data).decode()


ICON = png(70, 70)
BASE = f"""<?xml version="1.0" encoding="utf-8"?>
<manifest manifest-version="0.1" xmlns="http://www.tableau.com/xml/extension_manifest">
  <worksheet-extension id="com.example.viz" extension-version="1.0.0">
    <default-locale>en_US</default-locale>
    <name resource-id="name"/>
    <description>A viz</description>
    <author name="Me" website="https://example.com"/>
    <min-api-version>1.11</min-api-version>
    <source-location>
      <url>https://example.com/viz.html</url>
    </source-location>
    <icon>{ICON}</icon>
    <permissions>
      <permission>full data</permission>
    </permissions>
    <context-menu>
      <configure-context-menu-item/>
    </context-menu>
    <encoding id="x">
      <display-name resource-id="x">X</display-name>
      <data-spec><data-type>numeric</data-type></data-spec>
      <role-spec><role-type>continuous-measure</role-type></role-spec>
      <fields max-count="1"/>
      <encoding-icon token="letter-x"/>
      <tooltip>Drop a measure</tooltip>
    </encoding>
  </worksheet-extension>
  <resources>
    <resource id="name">
      <text locale="en_US">Viz</text>
    </resource>
    <resource id="x">
      <text locale="en_US">X</text>
    </resource>
  </resources>
</manifest>
"""
ENCODING_Y = (
    '<encoding id="y"><display-name>Y</display-name><encoding-icon token="letter-y"/></encoding>\n'
    "  </worksheet-extension>"
)
DASHBOARD = (
    BASE.replace("worksheet-extension", "dashboard-extension").split("    <encoding id=")[0]
    + "  </dashboard-extension>\n"
    + BASE.split("</worksheet-extension>\n")[1]
)


def check(tmp_path: Path, text: str | bytes, name: str = "m.trex") -> list[Finding]:
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return check_trex(path)


def codes(findings: list[Finding]) -> tuple[list[str], list[str]]:
    return ([f.rule for f in findings if f.is_error], [f.rule for f in findings if not f.is_error])


def test_bases_are_clean(tmp_path: Path) -> None:
    assert check(tmp_path, BASE) == []
    assert check(tmp_path, DASHBOARD) == []


@pytest.mark.parametrize("path", SAMPLE_EXTENSIONS, ids=lambda p: p.name)
def test_bundled_extension_samples_are_clean(path: Path) -> None:
    assert check_trex(path) == []


# (rule, text of an invalid manifest) — each breaks exactly one rule of the base.
INVALID: list[tuple[str, str]] = [
    ("xml-not-well-formed", BASE[:200]),
    ("xml-not-well-formed", ""),
    ("xml-declaration-position", "\n" + BASE),
    ("xml-doctype-forbidden", BASE.replace("<manifest ", "<!DOCTYPE manifest>\n<manifest ", 1)),
    ("xml-doctype-forbidden", BASE.replace("<manifest ", '<!DOCTYPE m [<!ENTITY e "x">]>\n<manifest ', 1)),
    ("root-element", BASE.replace("<manifest ", "<manifests ").replace("</manifest>", "</manifests>")),
    (
        "namespace",
        BASE.replace("http://www.tableau.com/xml/extension_manifest", "http://wwww.tableau.com/xml/extension_manifest"),
    ),
    ("manifest-version", BASE.replace('manifest-version="0.1"', 'manifest-version="1.0"')),
    (
        "extension-element-count",
        BASE.replace(
            "</worksheet-extension>\n",
            "</worksheet-extension>\n" + DASHBOARD.split("<manifest")[1].split(">", 1)[1].split("<resources>")[0],
        ),
    ),
    ("unknown-element", BASE.replace("<icon>", "<banner/><icon>")),
    ("unknown-attribute", BASE.replace('<fields max-count="1"/>', '<fields max-count="1" min-count="1"/>')),
    (
        "unexpected-text",
        BASE.replace("<configure-context-menu-item/>", "<configure-context-menu-item>x</configure-context-menu-item>"),
    ),
    ("required-element", BASE.replace("<min-api-version>1.11</min-api-version>", "")),
    ("required-element", BASE.replace("<url>https://example.com/viz.html</url>", "")),
    ("required-element", BASE.replace("<data-type>numeric</data-type>", "")),
    ("required-attribute", BASE.replace('name="Me" ', "")),
    ("required-attribute", BASE.replace('<text locale="en_US">Viz</text>', "<text>Viz</text>")),
    (
        "duplicate-element",
        BASE.replace(
            "<description>A viz</description>", "<description>A viz</description><description>B</description>"
        ),
    ),
    (
        "element-order",
        BASE.replace(
            '<name resource-id="name"/>\n    <description>A viz</description>',
            '<description>A viz</description>\n    <name resource-id="name"/>',
        ),
    ),
    (
        "encoding-in-dashboard",
        DASHBOARD.replace(
            "</dashboard-extension>", '<encoding id="y"><display-name>Y</display-name></encoding></dashboard-extension>'
        ),
    ),
    ("extension-id-format", BASE.replace('id="com.example.viz"', 'id="viz"')),
    ("extension-version-format", BASE.replace('extension-version="1.0.0"', 'extension-version="v1.0"')),
    ("min-api-version-format", BASE.replace("<min-api-version>1.11", "<min-api-version>1")),
    ("source-url-scheme", BASE.replace("https://example.com/viz.html", "http://example.com/viz.html")),
    ("source-url-scheme", BASE.replace("https://example.com/viz.html", "http://localhost.example.com/")),
    ("author-website-https", BASE.replace('website="https://example.com"', 'website="http://localhost"')),
    ("string-length", BASE.replace("A viz", "a" * 1001)),
    ("uri-length", BASE.replace("https://example.com/viz.html", "https://example.com/" + "v" * 2065)),
    ("icon-base64", BASE.replace(ICON, ICON[:-1])),
    ("icon-png", BASE.replace(ICON, base64.b64encode(b"GIF89a" + b"\x00" * 20).decode())),
    ("permission-value", BASE.replace("<permission>full data", "<permission>full-data")),
    ("context-menu-item", BASE.replace("<configure-context-menu-item/>", "<other-item/>")),
    (
        "context-menu-item",
        BASE.replace("<configure-context-menu-item/>", "<configure-context-menu-item/><configure-context-menu-item/>"),
    ),
    (
        "encoding-count",
        BASE.replace(
            "</worksheet-extension>",
            "".join(f'<encoding id="e{i}"><display-name>E</display-name></encoding>' for i in range(4))
            + "</worksheet-extension>",
        ),
    ),
    (
        "encoding-id-unique",
        BASE.replace(
            "</worksheet-extension>",
            '<encoding id="x"><display-name>X2</display-name></encoding></worksheet-extension>',
        ),
    ),
    ("data-type-value", BASE.replace("<data-type>numeric", "<data-type>date")),
    ("role-type-value", BASE.replace("<role-type>continuous-measure", "<role-type>Continuous-Measure")),
    ("fields-max-count", BASE.replace('max-count="1"', 'max-count="0"')),
    ("encoding-icon-token", BASE.replace('token="letter-x"', 'token="letter-aa"')),
    (
        "encoding-icon-unique",
        BASE.replace(
            "</worksheet-extension>",
            ENCODING_Y.replace("letter-y", "letter-x").replace("  </worksheet-extension>", "</worksheet-extension>"),
        ),
    ),
    ("name-content", BASE.replace('<name resource-id="name"/>', "<name/>")),
    ("resource-ref", BASE.replace('<name resource-id="name"/>', '<name resource-id="nope"/>')),
    ("resource-duplicate-id", BASE.replace('<resource id="x">', '<resource id="name">')),
    ("resource-empty", BASE.replace('<text locale="en_US">X</text>', "")),
]

# (warning rule, text of a valid manifest that should give that one warning)
WARNINGS: list[tuple[str, str]] = [
    ("default-locale-format", BASE.replace("<default-locale>en_US", "<default-locale>english")),
    ("locale-format", BASE.replace('<text locale="en_US">X</text>', '<text locale="en-US">X</text>')),
    ("icon-size", BASE.replace(ICON, png(64, 64))),
    ("context-menu-empty", BASE.replace("<configure-context-menu-item/>", "")),
    ("resource-ref-fallback", BASE.replace("<tooltip>Drop", '<tooltip resource-id="tip">Drop')),
    ("resource-default-locale", BASE.replace('<text locale="en_US">Viz</text>', '<text locale="fr_FR">Viz</text>')),
]

# Accepted edge cases.
VALID: list[tuple[str, str]] = [
    ("empty icon", BASE.replace(ICON, "")),
    ("icon wrapped over lines", BASE.replace(ICON, "\n      ".join(ICON[i : i + 60] for i in range(0, len(ICON), 60)))),
    ("http://localhost", BASE.replace("https://example.com/viz.html", "http://localhost")),
    ("http://LOCALHOST:8765/x", BASE.replace("https://example.com/viz.html", "http://LOCALHOST:8765/x")),
    (
        "prefixed namespace",
        BASE.replace('xmlns="', 'xmlns:t="')
        .replace("<", "<t:")
        .replace("<t:/", "</t:")
        .replace("</t:", "</t:")
        .replace("<t:?xml", "<?xml"),
    ),
    ("BOM", "\ufeff" + BASE),
    ("two-part version", BASE.replace('extension-version="1.0.0"', 'extension-version="2.0"')),
    ("name as text", BASE.replace('<name resource-id="name"/>', "<name>Viz</name>")),
    ("string of 1000", BASE.replace("A viz", "a" * 1000)),
    (
        "four encodings",
        BASE.replace(
            "</worksheet-extension>",
            "".join(f'<encoding id="e{i}"><display-name>E</display-name></encoding>' for i in range(3))
            + "</worksheet-extension>",
        ),
    ),
]


@pytest.mark.parametrize(("rule", "text"), INVALID, ids=[f"{i}-{r}" for i, (r, _) in enumerate(INVALID)])
def test_invalid_manifests_break_their_rule(tmp_path: Path, rule: str, text: str) -> None:
    errors, _ = codes(check(tmp_path, text))
    assert rule in errors


@pytest.mark.parametrize(("rule", "text"), WARNINGS, ids=[r for r, _ in WARNINGS])
def test_warnings_do_not_invalidate(tmp_path: Path, rule: str, text: str) -> None:
    assert codes(check(tmp_path, text)) == ([], [rule])


@pytest.mark.parametrize(("what", "text"), VALID, ids=[w for w, _ in VALID])
def test_accepted_edge_cases(tmp_path: Path, what: str, text: str) -> None:
    assert check(tmp_path, text) == []


def test_findings_have_lines_and_no_cascade(tmp_path: Path) -> None:
    findings = check(tmp_path, BASE.replace("<data-type>numeric", "<data-type>date"))
    [finding] = findings
    assert (finding.rule, finding.file, finding.line) == ("data-type-value", "m.trex", 21)
    broken = check(tmp_path, BASE.replace("</manifest>", ""))
    assert [f.rule for f in broken] == ["xml-not-well-formed"]


def test_every_rule_of_the_catalogue_is_covered() -> None:
    spec_rules = {
        "xml-not-well-formed",
        "xml-declaration-position",
        "xml-doctype-forbidden",
        "root-element",
        "namespace",
        "manifest-version",
        "extension-element-count",
        "unknown-element",
        "unknown-attribute",
        "unexpected-text",
        "required-element",
        "required-attribute",
        "duplicate-element",
        "element-order",
        "encoding-in-dashboard",
        "extension-id-format",
        "extension-version-format",
        "min-api-version-format",
        "default-locale-format",
        "locale-format",
        "source-url-scheme",
        "author-website-https",
        "string-length",
        "uri-length",
        "icon-base64",
        "icon-png",
        "icon-size",
        "permission-value",
        "context-menu-item",
        "context-menu-empty",
        "encoding-count",
        "encoding-id-unique",
        "data-type-value",
        "role-type-value",
        "fields-max-count",
        "encoding-icon-token",
        "encoding-icon-unique",
        "name-content",
        "resource-ref",
        "resource-ref-fallback",
        "resource-duplicate-id",
        "resource-empty",
        "resource-default-locale",
    }
    assert spec_rules == {r for r, _ in INVALID} | {r for r, _ in WARNINGS}


@needs_shared
def test_shared_corpus_verdicts() -> None:
    corpus = SHARED / "trex-corpus"
    expected = json.loads((corpus / "expected.json").read_text())
    wrong = []
    for name, want in sorted(expected.items()):
        errors, warnings = codes(check_trex(corpus / name))
        if want["valid"]:
            ok = not errors and sorted(set(warnings)) == sorted(want.get("warnings", []))
        else:
            ok = want["rule"] in errors
        if not ok:
            wrong.append(f"{name}: want {want.get('rule') or want.get('warnings')}, got {errors} {warnings}")
    assert len(expected) == 171
    assert wrong == []


@needs_shared
def test_schema_accepts_every_valid_corpus_file() -> None:
    from connector_packager.schemas import violations
    from connector_packager.xmlsafe import parse_xml

    corpus = SHARED / "trex-corpus"
    for path in sorted((corpus / "valid").glob("*.trex")):
        assert violations("extension_manifest.xsd", parse_xml(path.read_bytes())) == [], path.name
