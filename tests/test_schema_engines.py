"""libxml2's first pass never accepts a connector document xmlschema rejects.

first_pass.py lets libxml2 (through lxml) accept a connector file without
importing xmlschema, and sends everything else to xmlschema for the verdict.
That keeps Tableau's verdicts only if the first pass's "valid" implies
xmlschema's "valid". These tests check the implication on every sample and
corpus document, and on generated edits of the samples: structural (elements
and attributes deleted, duplicated, renamed; bytes injected), values
(attributes and text replaced by arbitrary text, numbers, URLs, long strings)
aimed at the types the schemas use, and additions (attributes and children,
in the xsi:, xml: and XSD namespaces too); and that the schemas keep to those
types, so a schema change that adds another is caught here.
"""

from __future__ import annotations

import copy
import io
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from connector_packager.schemas import (
    FIRST_PASS_SCHEMAS,
    XSD_FOR_TYPE,
    load_first_pass,
    load_schema,
    violations,
    xmlschema_violations,
)
from connector_packager.trex.validator import TREX_SCHEMA
from connector_packager.xmlsafe import XmlProblem, parse_xml
from tests.conftest import REPO, ROOT_TO_SCHEMA, SAMPLES, SHARED, needs_shared
from tests.mutations import mutate, mutation


def documents(folder: Path) -> Iterator[tuple[str, str, bytes]]:
    """(name, schema, bytes) of every file under ``folder`` that parses and has a schema for its root."""
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in (".xml", ".tcd", ".tdr", ".tdd"):
            continue
        data = path.read_bytes()
        try:
            schema = ROOT_TO_SCHEMA.get(parse_xml(data).getroot().tag)
        except XmlProblem:
            continue
        if schema is not None:
            yield str(path.relative_to(folder)), schema, data


SAMPLE_DOCUMENTS = list(documents(SAMPLES))


def first_pass_accepts(schema: str, tree: etree._ElementTree) -> bool:
    first_pass = load_first_pass(schema)
    assert first_pass is not None, f"libxml2 cannot compile {schema}"
    return first_pass.accepts(tree)


def assert_sound(schema: str, tree: etree._ElementTree, what: str) -> bool:
    """Fail if libxml2 accepts ``tree`` and xmlschema does not; return whether libxml2 accepted."""
    if not first_pass_accepts(schema, tree):
        return False
    found = xmlschema_violations(schema, tree)
    assert found == [], (
        f"libxml2 accepts what xmlschema rejects ({what}, {schema}): {found[0].message}\n"
        + etree.tostring(tree, encoding="unicode")[:2000]
    )
    return True


def test_the_first_pass_is_used_for_exactly_the_connector_schemas() -> None:
    assert FIRST_PASS_SCHEMAS == set(XSD_FOR_TYPE.values()) == set(ROOT_TO_SCHEMA.values())
    assert TREX_SCHEMA not in FIRST_PASS_SCHEMAS
    open_elements = {}
    for schema in FIRST_PASS_SCHEMAS:
        first_pass = load_first_pass(schema)
        assert first_pass is not None, f"libxml2 cannot compile {schema}"
        if first_pass.open_elements:
            open_elements[schema] = first_pass.open_elements
    assert open_elements == {"tdr_latest.xsd": {"attr", "setImpersonateAttributes"}}


#: What the generated edits below exercise. A schema that starts using anything else needs tests for it first.
TESTED_TYPES = {"string", "token", "boolean", "unsignedInt", "anyURI"}
UNTESTED_CONSTRUCTS = {"key", "keyref", "unique", "any", "anyAttribute", "list", "union", "redefine", "import"}
UNTESTED_ATTRIBUTES = {"default", "fixed", "nillable", "substitutionGroup", "abstract", "mixed"}


def test_the_connector_schemas_keep_to_the_tested_xsd_features() -> None:
    folder = REPO / "xsd"
    pending, seen = list(FIRST_PASS_SCHEMAS), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        root = etree.parse(str(folder / name)).getroot()
        for el in root.iter("{http://www.w3.org/2001/XMLSchema}*"):
            local = etree.QName(el).localname
            assert local not in UNTESTED_CONSTRUCTS, f"{name}: xs:{local}"
            assert not UNTESTED_ATTRIBUTES & set(el.attrib), f"{name}: {sorted(el.attrib)} on xs:{local}"
            for attribute in ("type", "base"):
                value = el.get(attribute, "")
                if value.startswith("xs:"):
                    assert value[3:] in TESTED_TYPES, f"{name}: {attribute}={value}"
            if local == "include":
                pending.append(el.get("schemaLocation", ""))
    assert "common.xsd" in seen  # includes were followed


def test_libxml2_accepts_every_sample_so_valid_connectors_never_reach_xmlschema() -> None:
    assert len(SAMPLE_DOCUMENTS) >= 15
    for name, schema, data in SAMPLE_DOCUMENTS:
        tree = parse_xml(data)
        assert xmlschema_violations(schema, tree) == [], name
        assert first_pass_accepts(schema, tree), name


def test_the_trex_schema_is_judged_by_xmlschema_alone() -> None:
    """libxml2 (lxml 5 and 6) takes ":" for base64Binary; xmlschema does not, and neither must we."""
    trex = (SAMPLES / "extensions" / "kpi-tiles.trex").read_bytes()
    tree = parse_xml(re.sub(rb"<icon>[^<]*</icon>", b"<icon>:</icon>", trex))
    found = violations(TREX_SCHEMA, tree)
    assert [v.message for v in found] == [
        "invalid value ':' for xs:base64Binary (at /manifest/dashboard-extension/icon)"
    ]


@needs_shared
def test_first_pass_is_sound_on_the_conformance_corpus() -> None:
    accepted = rejected = 0
    for name, schema, data in documents(SHARED / "conformance" / "cases"):
        if assert_sound(schema, parse_xml(data), name):
            accepted += 1
        else:
            rejected += 1
    assert accepted > 50 and rejected > 5, (accepted, rejected)  # both ways were exercised


ENGINE_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ENGINE_SETTINGS
@given(pick=st.integers(min_value=0, max_value=1000), edits=st.lists(mutation, min_size=1, max_size=3))
def test_first_pass_is_sound_on_edited_samples(pick: int, edits: list[tuple[str, int, bytes]]) -> None:
    name, schema, data = SAMPLE_DOCUMENTS[pick % len(SAMPLE_DOCUMENTS)]
    for kind, where, junk in edits:
        data = mutate(data, kind, where, junk)
    try:
        tree = parse_xml(data)
    except XmlProblem:
        return
    assert_sound(schema, tree, name)


@ENGINE_SETTINGS
@given(pick=st.integers(min_value=0, max_value=1000), edits=st.lists(mutation, min_size=0, max_size=3))
def test_our_xmlschema_call_gives_the_verdict_of_the_references_call(
    pick: int, edits: list[tuple[str, int, bytes]]
) -> None:
    """Tableau's tool hands xmlschema the file itself (its own parser, expat: no comments, no processing
    instructions); we hand it the tree lxml parsed. Same verdicts, comments and PIs anywhere included, and
    what either parser refuses."""
    name, schema, data = SAMPLE_DOCUMENTS[pick % len(SAMPLE_DOCUMENTS)]
    for kind, where, junk in edits:
        data = mutate(data, kind, where, junk)
    try:  # Tableau's tool: schema.validate(path), any exception a violation
        reference = load_schema(schema).is_valid(io.BytesIO(data))
    except Exception:
        reference = False
    try:
        tree = parse_xml(data)
    except XmlProblem:
        assert not reference, f"{name}: we refuse to read what Tableau's tool validates"
        return
    assert (xmlschema_violations(schema, tree) == []) is reference, name


def test_comments_and_processing_instructions_inside_text_are_not_children() -> None:
    """Tableau's tool accepts them (xmlschema parses the file itself and drops them); so do we, on either path."""
    data = (SAMPLES / "acme_jdbc" / "connectionResolver.tdr").read_text(encoding="utf-8")
    edited = data.replace("<attr>server</attr>", "<attr>ser<!-- c -->ver</attr>", 1).replace(
        '<script file="connectionBuilder.js"/>', '<script file="connectionBuilder.js"><?pi x?> <!-- c --></script>', 1
    )
    assert edited.count("<!-- c -->") == 2
    tree = parse_xml(edited.encode())
    assert load_schema("tdr_latest.xsd").is_valid(io.BytesIO(edited.encode()))
    assert xmlschema_violations("tdr_latest.xsd", tree) == []
    assert violations("tdr_latest.xsd", tree) == []
    # With a real violation as well, only that one is reported, on its own line.
    broken = parse_xml(edited.replace("<connection-builder>", "<connection-builder bogus='1'>", 1).encode())
    found = xmlschema_violations("tdr_latest.xsd", broken)
    assert [v.message.split(" (at ")[0] for v in found] == ["'bogus' attribute not allowed for element"]
    assert found[0].line == edited.splitlines().index("    <connection-builder>") + 1


_XML_CHARACTER = st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"),
    st.sampled_from(" \t\n\r0123456789\u0663\uff11.-+_:/%#?@&=aAzZ\u00a0\u3000\u2028\u00e9\U0001f600"),
)
_VALUE = st.one_of(
    st.text(_XML_CHARACTER, max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "true",
            "false",
            "1",
            "0",
            " true ",
            "TRUE",
            "+1",
            "-0",
            "-1",
            "01",
            "4294967295",
            "4294967296",
            "1.0",
            "https://example.com",
            "http://localhost:8080/x",
            "HTTPS://",
            "https://",
            "http://example.com",
            "a b",
            "2023.1",
            "2023.1.0-1",
            "10.2.x",
            "v-name",
            "\u0663\u0664",
        ]
    ),
    st.builds(
        lambda pad, char, count: pad + char * count + pad,
        st.sampled_from(["", " ", "\t", "\n"]),
        st.sampled_from(["a", "\u00e9", "\U0001f600", " "]),
        st.integers(min_value=995, max_value=1003),
    ),
)


@ENGINE_SETTINGS
@given(
    pick=st.integers(min_value=0, max_value=1000),
    element=st.integers(min_value=0, max_value=1000),
    attribute=st.integers(min_value=0, max_value=100),
    as_text=st.booleans(),
    value=_VALUE,
)
def test_first_pass_is_sound_on_changed_values(
    pick: int, element: int, attribute: int, as_text: bool, value: str
) -> None:
    name, schema, data = SAMPLE_DOCUMENTS[pick % len(SAMPLE_DOCUMENTS)]
    tree = copy.deepcopy(parse_xml(data))
    elements = [el for el in tree.getroot().iter() if isinstance(el.tag, str)]
    target = elements[element % len(elements)]
    if as_text or not target.attrib:
        target.text = value
    else:
        target.set(sorted(target.attrib)[attribute % len(target.attrib)], value)
    assert_sound(schema, tree, name)


XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML = "http://www.w3.org/XML/1998/namespace"
XS = "http://www.w3.org/2001/XMLSchema"
_ATTRIBUTE_NAME = st.sampled_from(
    [
        f"{{{XML}}}space",
        f"{{{XML}}}lang",
        f"{{{XML}}}base",
        f"{{{XML}}}id",
        f"{{{XSI}}}type",
        f"{{{XSI}}}nil",
        f"{{{XSI}}}schemaLocation",
        f"{{{XSI}}}noNamespaceSchemaLocation",
        "{urn:other}name",
        f"{{{XS}}}type",
        "class",
        "name",
        "value",
        "file",
        "enabled",
        "type",
        "url",
        "operator",
        "bogus",
    ]
)
_ELEMENT_NAME = st.sampled_from(
    [
        "attr",
        "field",
        "tdr",
        "connector-plugin",
        "dialect",
        "resources",
        "script",
        "vendor-information",
        "connection-fields",
        "customization",
        "bogus",
        f"{{{XS}}}element",
        f"{{{XS}}}schema",
        f"{{{XSI}}}type",
        "{urn:other}x",
    ]
)


@ENGINE_SETTINGS
@given(
    pick=st.integers(min_value=0, max_value=1000),
    element=st.integers(min_value=0, max_value=1000),
    additions=st.lists(st.tuples(st.booleans(), _ATTRIBUTE_NAME, _ELEMENT_NAME, _VALUE), min_size=1, max_size=3),
)
def test_first_pass_is_sound_with_added_attributes_and_children(
    pick: int, element: int, additions: list[tuple[bool, str, str, str]]
) -> None:
    name, schema, data = SAMPLE_DOCUMENTS[pick % len(SAMPLE_DOCUMENTS)]
    tree = copy.deepcopy(parse_xml(data))
    elements = [el for el in tree.getroot().iter() if isinstance(el.tag, str)]
    target = elements[element % len(elements)]
    for as_child, attribute, child, value in additions:
        if as_child:
            etree.SubElement(target, child).text = value
        else:
            target.set(attribute, value)
        target = elements[(element + len(value)) % len(elements)]
    assert_sound(schema, tree, name)


@pytest.mark.parametrize(
    ("edit", "valid"),
    [
        (("<attr>server</attr>", "<attr bogus='1'>server</attr>"), True),
        (("<attr>server</attr>", "<attr xml:space='x'>server</attr>"), False),  # libxml2 (lxml 6) takes it
        (("<attr>server</attr>", f"<attr><xs:element xmlns:xs='{XS}' name='1'/></attr>"), False),  # here too
        (("<attr>server</attr>", "<attr><tdr/></attr>"), False),
        (("<tdr ", "<tdr xml:lang='en' "), False),
        (("<tdr ", f"<tdr xmlns:xsi='{XSI}' xsi:type='nothing' "), False),
        (("<tdr ", f"<tdr xmlns:xsi='{XSI}' xsi:nil='true' "), False),
    ],
)
def test_what_the_engines_treat_differently_is_left_to_xmlschema(edit: tuple[str, str], valid: bool) -> None:
    """Attributes in the xsi: and xml: namespaces, and anything inside an element of any content, are judged
    by xmlschema (some of them it rejects where libxml2 accepts; an unknown xsi:type can stop it)."""
    data = (SAMPLES / "acme_jdbc" / "connectionResolver.tdr").read_text(encoding="utf-8")
    assert edit[0] in data
    tree = parse_xml(data.replace(edit[0], edit[1], 1).encode())
    first_pass = load_first_pass("tdr_latest.xsd")
    assert first_pass is not None and first_pass.open_elements == {"attr", "setImpersonateAttributes"}
    assert not first_pass.accepts(tree)
    assert (violations("tdr_latest.xsd", tree) == []) is valid


def test_an_unknown_xsi_type_is_a_violation_on_its_line() -> None:
    data = (SAMPLES / "acme_jdbc" / "connectionResolver.tdr").read_text(encoding="utf-8")
    tree = parse_xml(
        data.replace("<attr>server</attr>", f"<attr xmlns:xsi='{XSI}' xsi:type='en'>server</attr>", 1).encode()
    )
    line = next(el.sourceline for el in tree.getroot().iter("attr") if el.get(f"{{{XSI}}}type"))
    found = violations("tdr_latest.xsd", tree)
    assert [(v.message, v.line) for v in found] == [
        ("xmlschema cannot check this document: global component 'en' not found", line)
    ]


def _imports_of_validate_only(folder: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "connector_packager.package",
            str(folder),
            "--validate-only",
            "-l",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time")}
    assert "lxml.etree" in imported  # the check sees real imports
    return proc, imported


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if (p / "manifest.xml").is_file()))
def test_a_valid_connector_is_validated_without_importing_xmlschema(sample: str, tmp_path: Path) -> None:
    proc, imported = _imports_of_validate_only(SAMPLES / sample, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "xmlschema" not in imported


def test_a_schema_violation_is_judged_and_worded_by_xmlschema(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(SAMPLES / "acme_odbc", folder)
    manifest = folder / "manifest.xml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("<vendor-information>", '<vendor-information bogus="1">'),
        encoding="utf-8",
    )
    proc, imported = _imports_of_validate_only(folder, tmp_path)
    assert proc.returncode == 1
    assert "xmlschema" in imported
    # a finding is part of the result, on stdout
    assert "'bogus' attribute not allowed for element (at /connector-plugin/vendor-information)" in proc.stdout
