"""Our own XSDs give the same verdicts as Tableau's published ones.

The reference schemas are read from ../shared/spec at test time (never
copied into the repository) and both sets judge every XML file of the
conformance corpus, plus systematic mutations of those files.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from connector_packager.schemas import XSD_FOR_TYPE, load_schema, violations
from tests.conftest import ROOT_TO_SCHEMA, SHARED, needs_shared

REFERENCE = SHARED / "spec" / "connector-xsd"
CASES = SHARED / "conformance" / "cases"


def test_every_file_type_has_a_bundled_schema_that_loads() -> None:
    assert set(XSD_FOR_TYPE.values()) == set(ROOT_TO_SCHEMA.values())
    for name in XSD_FOR_TYPE.values():
        assert load_schema(name).root_elements


def test_violations_carry_the_line_of_the_offending_child() -> None:
    tree = etree.fromstring(b"<connection-fields>\n<!-- c -->\n<field/>\n<bogus/>\n</connection-fields>").getroottree()
    found = violations("connection_fields.xsd", tree)
    assert [v.line for v in found] == [3, 3, 3, 4]


def corpus_documents() -> Iterator[tuple[str, etree._ElementTree]]:
    for path in sorted(CASES.rglob("*")):
        if path.is_file() and path.suffix.lower() in (".xml", ".tdr", ".tdd", ".tcd", ".dat"):
            try:
                tree = etree.parse(str(path))
            except etree.XMLSyntaxError:
                continue
            if tree.getroot().tag in ROOT_TO_SCHEMA:
                yield str(path.relative_to(CASES)), tree


def mutations(tree: etree._ElementTree, rng: random.Random) -> Iterator[etree._ElementTree]:
    """Small edits that exercise the content models: drop, duplicate or move an element, drop an attribute."""
    elements = [el for el in tree.getroot().iter() if isinstance(el.tag, str)]
    for _ in range(5):
        mutated = copy.deepcopy(tree)
        targets = [el for el in mutated.getroot().iter() if isinstance(el.tag, str)]
        el = targets[rng.randrange(len(targets))]
        parent = el.getparent()
        action = rng.choice(["drop", "duplicate", "move", "drop-attr", "bad-attr"])
        if action == "drop" and parent is not None:
            parent.remove(el)
        elif action == "duplicate" and parent is not None:
            parent.insert(parent.index(el), copy.deepcopy(el))
        elif action == "move" and parent is not None:
            parent.remove(el)
            parent.insert(rng.randrange(len(parent) + 1), el)
        elif action == "drop-attr" and el.attrib:
            del el.attrib[rng.choice(sorted(el.attrib))]
        elif action == "bad-attr" and el.attrib:
            el.set(rng.choice(sorted(el.attrib)), rng.choice(["", "x y", "-1", "2021.x", "true"]))
        yield mutated
    assert elements


@needs_shared
def test_same_verdicts_as_the_reference_schemas() -> None:
    reference = {name: xmlschema.XMLSchema(str(REFERENCE / name)) for name in set(ROOT_TO_SCHEMA.values())}
    rng = random.Random(20261123)
    compared = 0
    differences = []
    for name, tree in corpus_documents():
        for candidate in [tree, *mutations(tree, rng)]:
            for schema in reference:
                ours = load_schema(schema).is_valid(candidate)
                theirs = reference[schema].is_valid(candidate)
                compared += 1
                if ours != theirs:
                    differences.append(
                        f"{name} vs {schema}: ours={ours} reference={theirs}\n"
                        + etree.tostring(candidate, encoding="unicode")[:300]
                    )
    assert compared > 2000
    assert differences == []


@pytest.mark.parametrize("schema", sorted(ROOT_TO_SCHEMA.values()))
def test_schemas_are_our_own_files(schema: str) -> None:
    if not REFERENCE.is_dir():
        pytest.skip("needs ../shared")
    ours = (Path(__file__).parent.parent / "xsd" / schema).read_bytes()
    assert ours != (REFERENCE / schema).read_bytes()


def test_bundled_schemas_are_valid_xsd_in_strict_mode() -> None:
    """At run time the meta-schema check is skipped for speed; here every bundled schema gets it."""
    folder = Path(__file__).parent.parent / "xsd"
    for path in sorted(folder.glob("*.xsd")):
        xmlschema.XMLSchema(str(path), validation="strict")


@pytest.mark.parametrize(
    "xpath",
    [
        ".//m:resource",
        "m:resources/m:resource",
        "@id",
        "m:encoding/m:encoding-icon",
        "xs:element|xs:attribute",
        ".",
        "child::a/b",
        "a//b",
        "@",
        "a b",
        "1a",
        "a/@b",
        "attribute::x",
        "*",
        "ns:*",
    ],
)
def test_ascii_identity_xpath_regex_agrees_with_xmlschemas(xpath: str) -> None:
    from elementpath import translate_pattern
    from xmlschema.validators.identities import XsdFieldSelector, XsdSelector

    load_schema("tdr_latest.xsd")  # primes the patterns
    for cls in (XsdSelector, XsdFieldSelector):
        full = re.compile(translate_pattern(cls._REGEXP, back_references=False, lazy_quantifiers=False, anchors=False))
        assert cls.pattern is not None
        primed, original = cls.pattern.match(xpath), full.match(xpath)
        assert (primed and primed.group(0)) == (original and original.group(0))


def test_the_identity_xpath_speed_up_still_applies() -> None:
    """The speed-up patches two xmlschema class attributes; when an xmlschema release renames them it would silently
    stop applying (and validation would slow down by about 0.14 s): this fails first."""
    from xmlschema.validators import identities

    load_schema("tdr_latest.xsd")
    for name in ("XsdSelector", "XsdFieldSelector"):
        cls = getattr(identities, name, None)
        assert cls is not None, f"xmlschema no longer has {name}"
        assert isinstance(getattr(cls, "_REGEXP", None), str) and r"\i\c*" in cls._REGEXP, name
        assert cls.pattern is not None and "A-Za-z" in cls.pattern.pattern, f"{name} was not primed"
