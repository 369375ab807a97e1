"""The hardened XML parser."""

from __future__ import annotations

import pytest

from connector_packager.xmlsafe import XmlProblem, elements, parse_xml


def problem(data: bytes) -> XmlProblem:
    with pytest.raises(XmlProblem) as caught:
        parse_xml(data)
    return caught.value


def test_parses_plain_documents_with_bom_and_comments() -> None:
    tree = parse_xml(b"\xef\xbb\xbf<?xml version='1.0' encoding='utf-8'?>\n<!-- c --><a><b/><!-- d --><c/></a>")
    assert [el.tag for el in elements(tree.getroot())] == ["a", "b", "c"]


def test_comments_and_processing_instructions_are_dropped_and_text_joined() -> None:
    """As the parsers of Tableau's tool do: ``<attr>ser<!-- x -->ver</attr>`` is "server" there."""
    tree = parse_xml(b"<a>\n<b>ser<!-- x -->v<?pi y?>er</b>\n<c/></a>")
    b, c = tree.getroot()
    assert (b.text, len(b), b.sourceline, c.sourceline) == ("server", 0, 2, 3)


@pytest.mark.parametrize("data", ["<a><?\uf900x y?></a>", "<a xmlns:\uf900='urn:x'/>", "<\uf900/>"])
def test_names_expat_refuses_are_not_well_formed(data: str) -> None:
    """libxml2 takes names with characters only XML 1.0's fifth edition allows; expat, which Tableau's tool
    reads files with, does not, so neither do we."""
    found = problem(data.encode())
    assert found.rule.id == "xml-not-well-formed" and "expat" in found.message and found.line == 1


def test_not_well_formed_reports_line_and_column() -> None:
    found = problem(b"<a>\n  <b></a>")
    assert (found.rule.id, found.line, found.column) == ("xml-not-well-formed", 2, 10)
    assert "mismatch" in found.message


@pytest.mark.parametrize("data", [b"", b"   ", b"\x00\x01\x02binary", b"<a>", b"<a/><b/>"])
def test_junk_is_not_well_formed(data: bytes) -> None:
    assert problem(data).rule.id == "xml-not-well-formed"


def test_entity_declarations_are_refused_without_expansion() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY l0 "ha">'
        + b"".join(
            b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">' % ((i,) + (i - 1,) * 10)
            for i in range(1, 10)
        )
        + b"]><a>&l9;</a>"
    )
    assert problem(laughs).rule.id == "xml-doctype-forbidden"


def test_external_dtd_and_entities_are_not_fetched(tmp_path: object) -> None:
    assert problem(b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/x.dtd"><a/>').rule.id == "xml-doctype-forbidden"
    external = b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    assert problem(external).rule.id == "xml-doctype-forbidden"


def test_bare_doctype_is_tolerated() -> None:
    assert parse_xml(b"<!DOCTYPE a><a/>").getroot().tag == "a"


def test_deep_nesting_is_refused() -> None:
    deep = b"<a>" * 10000 + b"</a>" * 10000
    assert problem(deep).rule.id == "xml-not-well-formed"


def test_undeclared_entity_and_bad_encoding() -> None:
    assert problem(b"<a>&nope;</a>").rule.id == "xml-not-well-formed"
    assert problem(b'<?xml version="1.0" encoding="utf-8"?><a>\xff\xfe</a>').rule.id == "xml-not-well-formed"


def test_latin1_declared_document_is_read() -> None:
    tree = parse_xml('<?xml version="1.0" encoding="iso-8859-1"?><a n="é"/>'.encode("latin-1"))
    assert tree.getroot().get("n") == "é"
