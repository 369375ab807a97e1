"""The rule catalogue: complete, documented, the only source of rule ids, and every rule tested both ways.

Each registered rule needs a failing and a passing input here (CONNECTOR_CASES, SPECIAL_CASES), or, for
.trex rules, in tests/test_trex.py (INVALID/WARNINGS fail, BASE passes), or, for archive and signature rules, in
the differential tables and tests/test_archive_signature_rules.py (ARCHIVE_CASES). A rule with neither fails
test_every_rule_has_a_passing_and_a_failing_case, so a new rule cannot skip its tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector_packager import catalogue
from connector_packager.catalogue import Severity, declare
from connector_packager.cli import main
from connector_packager.findings import Finding
from connector_packager.results import check_path
from connector_packager.validation import check_connector
from tests.conftest import BASE_FILES, REPO, SAMPLES, SHARED
from tests.test_archive_signature_rules import RULE_CASES as ARCHIVE_RULE_CASES
from tests.test_differential_archive import NAME_RULES, STRUCTURE_CASES
from tests.test_differential_signature import CASES as SIGNATURE_CASES
from tests.test_rules_resolver import ALL, TCD, TCD_MANIFEST, with_attrs
from tests.test_trex import BASE as TREX_BASE
from tests.test_trex import INVALID as TREX_INVALID
from tests.test_trex import WARNINGS as TREX_WARNINGS

PACKAGE = REPO / "connector_packager"
RULES = catalogue.all_rules()
IDS = {r.id for r in RULES}

Files = dict[str, str | bytes | None]
M, F, T, D = (BASE_FILES[n] for n in ("manifest.xml", "fields.xml", "resolver.tdr", "dialect.tdd"))


def fields(*extra: str) -> Files:
    """The base fields file with ``extra`` fields appended."""
    return {"fields.xml": F.replace("</connection-fields>", "".join(extra) + "</connection-fields>")}


def field(name: str, attrs: str = "", body: str = "") -> str:
    return f'  <field name="{name}" label="L" value-type="string" category="general" {attrs}>{body}</field>\n'


def builder(source: str) -> Files:
    return {"builder.js": source}


def manifest_before_resolver(line: str, **more: str) -> Files:
    return {"manifest.xml": M.replace("  <connection-resolver", f"  {line}\n  <connection-resolver"), **more}


def oauth(refs: list[str]) -> Files:
    config = (
        "<pluginOAuthConfig><dbclass>tiny</dbclass><authUri>/a</authUri><tokenUri>/t</tokenUri>"
        "<scopes>s</scopes></pluginOAuthConfig>"
    )
    lines = "".join(f'  <oauth-config file="{r}"/>\n' for r in refs)
    return {"manifest.xml": M.replace("</connector-plugin>", lines + "</connector-plugin>"), "oauth.xml": config}


def chain(length: int) -> Files:
    """manifest -> d0.xml -> d1.xml -> ... : ``length`` files, each naming the next."""
    files: Files = {f"d{i}.xml": f'<a><b file="d{i + 1}.xml"/></a>' for i in range(length - 1)}
    files[f"d{length - 1}.xml"] = "<a/>"
    files["manifest.xml"] = M.replace("  <dialect", '  <icon file="d0.xml"/>\n  <dialect')
    return files


BOOLEAN = (
    '  <field name="sslmode" label="SSL" value-type="boolean" category="general" default-value="{}">'
    '<boolean-options><false-value value=""/><true-value value="require"/></boolean-options></field>\n'
)
CIRCULAR = field("v-a", body='<conditions><condition field="v-b" value="1"/></conditions>') + field(
    "v-b", body='<conditions><condition field="{}" value="1"/></conditions>'
)
DIALOG = (
    '<connection-dialog class="tiny"><connection-config><authentication-mode value="Basic"/>'
    '<server-prompt value="Server"/></connection-config></connection-dialog>'
)
META = '<connection-metadata><database enabled="true"/></connection-metadata>'

#: rule id -> (files over the base connector that break the rule, files that come close but keep it).
CONNECTOR_CASES: dict[str, tuple[Files, Files]] = {
    "xml-not-well-formed": ({"fields.xml": F.replace("</connection-fields>", "</connection-field>")}, {}),
    "xml-doctype-forbidden": (
        {"dialect.tdd": '<!DOCTYPE dialect [<!ENTITY e "x">]>\n' + D.split("\n", 1)[1]},
        {"dialect.tdd": "<!DOCTYPE dialect>\n" + D.split("\n", 1)[1]},
    ),
    "manifest-missing": ({"manifest.xml": None, "Manifest.xml": M}, {}),
    "file-missing": ({"dialect.tdd": None}, {}),
    "file-outside-folder": (
        {"manifest.xml": M.replace('file="dialect.tdd"', 'file="../dialect.tdd"')},
        {"manifest.xml": M.replace('file="dialect.tdd"', 'file="./dialect.tdd"')},
    ),
    "bad-reference": ({"manifest.xml": M.replace('file="dialect.tdd"', 'file=" dialect.tdd"')}, {}),
    "file-too-large": ({"dialect.tdd": D + "<!--" + "x" * 262_144 + "-->"}, {"dialect.tdd": D + "<!-- x -->"}),
    "reference-too-deep": (chain(35), chain(3)),
    "class-mismatch": ({"dialect.tdd": D.replace('class="tiny"', 'class="other"')}, {}),
    "url-not-https": ({"manifest.xml": M.replace("https://example.com", "http://example.com")}, {}),
    "metadata-without-fields": (
        {
            "manifest.xml": M.replace(
                '<connection-fields file="fields.xml"/>', '<connection-metadata file="meta.xml"/>'
            ),
            "meta.xml": META,
        },
        manifest_before_resolver('<connection-metadata file="meta.xml"/>', **{"meta.xml": META}),
    ),
    "unsafe-taco-name": ({"manifest.xml": M.replace('plugin-version="1.0.0"', 'plugin-version="../1.0"')}, {}),
    "null-oauth-config-not-alone": (oauth(["null_config", "oauth.xml"]), oauth(["null_config"])),
    "resources-missing": (
        {"manifest.xml": M.replace('name="Tiny"', 'name="@string/name/"')},
        {
            "manifest.xml": M.replace('name="Tiny"', 'name="@string/name/"'),
            "resources-en_US.xml": '<resources><string name="name">Tiny</string></resources>',
        },
    ),
    "schema": (
        {"fields.xml": F.replace('value-type="string" category="endpoint"', 'value-type="strng" category="endpoint"')},
        {},
    ),
    "no-schema": ({"resolver.tdr": T.replace('file="builder.js"', 'file="builder.xml"'), "builder.xml": "<x/>"}, {}),
    "field-name-not-allowed": (fields(field("warehouse")), fields(field("v-warehouse"))),
    "field-duplicate": (fields(field("v-a"), field("v-a")), fields(field("v-a"), field("v-b"))),
    "field-secure-not-password": (fields(field("v-key", 'secure="true"')), fields(field("v-key", 'secure="false"'))),
    "field-secret-word": (fields(field("v-token")), fields(field("v-token", 'secure="true"'))),
    "instanceurl-not-oauth": (
        fields(field("instanceurl")),
        fields(field("instanceurl", body='<conditions><condition field="authentication" value="oauth"/></conditions>')),
    ),
    "advanced-field-without-default": (
        fields(field("v-mode", 'optional="false"').replace('category="general"', 'category="advanced"')),
        fields(
            field("v-mode", 'optional="false" default-value="x"').replace('category="general"', 'category="advanced"')
        ),
    ),
    "authentication-field-missing": (
        {"fields.xml": re.sub(r'<field name="authentication".*?/>', "", F, flags=re.DOTALL)},
        {},
    ),
    "condition-unknown-field": (
        fields(field("v-a", body='<conditions><condition field="authentcation" value="x"/></conditions>')),
        fields(field("v-a", body='<conditions><condition field="authentication" value="x"/></conditions>')),
    ),
    "condition-circular": (fields(CIRCULAR.format("v-a")), fields(CIRCULAR.format("server"))),
    "boolean-default-not-option": (fields(BOOLEAN.format("true")), fields(BOOLEAN.format("require"))),
    "tcd-needs-attribute-list": (
        {"manifest.xml": TCD_MANIFEST, "dialog.tcd": TCD.format(extra=""), "resolver.tdr": with_attrs(T, None)},
        {"manifest.xml": TCD_MANIFEST, "dialog.tcd": TCD.format(extra="")},
    ),
    "field-not-in-attribute-list": ({"resolver.tdr": with_attrs(T, [n for n in ALL if n != "username"])}, {}),
    "dbname-not-in-attribute-list": ({"resolver.tdr": with_attrs(T, [n for n in ALL if n != "dbname"])}, {}),
    "jdbc-connection-properties": (
        {"resolver.tdr": re.sub(r"\s*<connection-properties>.*?</connection-properties>", "", T)},
        {
            "resolver.tdr": re.sub(r"\s*<connection-properties>.*?</connection-properties>", "", T),
            "manifest.xml": M.replace('superclass="jdbc"', 'superclass="odbc"'),
        },
    ),
    "attribute-list-lacks-authentication": (
        {"resolver.tdr": with_attrs(T, [n for n in ALL if n != "authentication"])},
        {},
    ),
    "attribute-list-lacks-server": ({"resolver.tdr": with_attrs(T, [n for n in ALL if n != "server"])}, {}),
    "dialect-default-base": ({"dialect.tdd": D.replace("PostgreSQL90Dialect", "DefaultSQLDialect")}, {}),
    "dialog-and-fields-both": (
        {
            "manifest.xml": M.replace(
                '<connection-fields file="fields.xml"/>',
                '<connection-fields file="fields.xml"/>\n  <connection-dialog file="dialog.tcd"/>',
            ),
            "dialog.tcd": DIALOG,
        },
        {},
    ),
    "script-syntax-error": (
        builder("(function (attr) { return [attr.server; })"),
        builder("(function (attr) { return [attr.server]; })"),
    ),
    "script-evaluation-error": (
        builder("while (true) {}\n(function (a) { return []; })"),
        builder("var n = 0; while (n < 3) { n++; }\n(function (a) { return []; })"),
    ),
    "script-not-function-expression": (
        builder("var x = 1;\n(function (attr) { return []; })"),
        builder("((attr) => [attr.server])"),
    ),
    "script-unknown-attribute": (
        builder("(function (a) { return [a['sever']]; })"),
        builder("(function (a) { return [a['server']]; })"),
    ),
    "script-unknown-helper-constant": (
        builder("(function (a) { return [a[connectionHelper.attributeServr]]; })"),
        builder("(function (a) { return [a[connectionHelper.attributeServer]]; })"),
    ),
    "script-deprecated": (
        {
            "resolver.tdr": T.replace(
                "<connection-normalizer>",
                "<connection-matcher><script file='matcher.js'/></connection-matcher><connection-normalizer>",
            ),
            "matcher.js": "(function (attr) { return true; })",
        },
        {},
    ),
    "script-logging-log": (
        builder("(function (a) { logging.Log('x'); return []; })"),
        builder("(function (a) { logging.LogInfo('x'); return []; })"),
    ),
    "script-unavailable-api": (
        builder("(function (a) { var fs = require('fs'); return []; })"),
        builder("(function (a) { return [JSON.stringify(a)]; })"),
    ),
    "script-too-large": (
        builder("(function (a) { return []; })\n//" + "x" * 600_000),
        builder("(function (a) { return []; })\n//" + "x" * 1000),
    ),
}


def _not_a_folder(tmp_path: Path, broken: bool) -> list[Finding]:
    folder = tmp_path / "connector"
    folder.mkdir(parents=True)
    (folder / "manifest.xml").write_text(M)
    return check_connector(folder / "manifest.xml" if broken else folder).findings


def _class_missing(tmp_path: Path, broken: bool) -> list[Finding]:
    folder = tmp_path / "connector"
    folder.mkdir(parents=True)
    for name, text in BASE_FILES.items():
        (folder / name).write_text(text.replace(' class="tiny"', "") if broken else text)
    return check_connector(folder).findings


def _unreadable(tmp_path: Path, broken: bool, monkeypatch: pytest.MonkeyPatch) -> list[Finding]:
    """A referenced file that cannot be read: mode 000 where that stops reading; as root (which reads any file)
    the read is made to fail as the kernel would, with EACCES."""
    import os

    folder = tmp_path / "connector"
    folder.mkdir(parents=True)
    for name, text in BASE_FILES.items():
        (folder / name).write_text(text)
    if broken:
        target = folder / "dialect.tdd"
        target.chmod(0)
        if os.geteuid() == 0:
            real = Path.read_bytes

            def read_bytes(self: Path) -> bytes:
                if self == target:
                    raise PermissionError(13, "Permission denied", str(self))
                return real(self)

            monkeypatch.setattr(Path, "read_bytes", read_bytes)
    try:
        return check_connector(folder).findings
    finally:
        (folder / "dialect.tdd").chmod(0o644)


#: Rules whose failing input is not a set of files over the base connector.
SPECIAL_CASES = {"not-a-connector-folder", "class-missing", "file-unreadable", "nothing-found", "input-missing"}
#: Rules exempt from the check below, each with the reason (none: every rule has its cases).
EXEMPT: dict[str, str] = {}
#: Archive and signature rules: the differential tables give each case its expected rule (checked there against
#: verify's output), and tests/test_archive_signature_rules.py has a failing case for each of the others and the
#: passing case of them all (the good signed .taco).
ARCHIVE_CASES = (
    {c.rule for c in STRUCTURE_CASES if c.rule}
    | set(NAME_RULES.values())
    | {c.rule for c in SIGNATURE_CASES if c.rule}
    | set(ARCHIVE_RULE_CASES)
)
TREX_CASES = {rule for rule, _ in TREX_INVALID} | {rule for rule, _ in TREX_WARNINGS}


def ids(found: list[Finding]) -> set[str]:
    return {f.rule for f in found}


def test_every_rule_has_a_passing_and_a_failing_case() -> None:
    covered = set(CONNECTOR_CASES) | SPECIAL_CASES | TREX_CASES | ARCHIVE_CASES | set(EXEMPT)
    assert sorted(IDS - covered) == [], (
        "rules without a test case: list them in CONNECTOR_CASES, test_trex.py, "
        "a differential table or tests/test_archive_signature_rules.py"
    )
    assert sorted(covered - IDS) == [], "cases for rules that are not registered"


@pytest.mark.parametrize("rule_id", sorted(CONNECTOR_CASES))
def test_connector_rule_fails_and_passes(make_connector: Callable[..., Path], rule_id: str) -> None:
    broken, close = CONNECTOR_CASES[rule_id]
    failing = [f for f in check_connector(make_connector(broken)).findings if f.rule == rule_id]
    assert failing, f"{rule_id}: the failing input gave no finding of the rule"
    rule = catalogue.get(rule_id)
    assert all(f.severity is rule.severity for f in failing), "the severity is the rule's default"
    assert rule_id not in ids(check_connector(make_connector(close)).findings)


@pytest.mark.parametrize("rule_id", sorted(TREX_CASES))
def test_trex_rule_fails_and_passes(tmp_path: Path, rule_id: str) -> None:
    from connector_packager.trex import check_trex

    text = next(t for r, t in [*TREX_INVALID, *TREX_WARNINGS] if r == rule_id)
    path = tmp_path / "m.trex"
    path.write_text(text)
    assert rule_id in ids(check_trex(path))
    path.write_text(TREX_BASE)
    assert rule_id not in ids(check_trex(path))
    assert "trex" in catalogue.get(rule_id).applies_to


def test_not_a_connector_folder(tmp_path: Path) -> None:
    assert "not-a-connector-folder" in ids(_not_a_folder(tmp_path / "a", True))
    assert "not-a-connector-folder" not in ids(_not_a_folder(tmp_path / "b", False))


def test_class_missing(tmp_path: Path) -> None:
    assert "class-missing" in ids(_class_missing(tmp_path / "a", True))
    assert "class-missing" not in ids(_class_missing(tmp_path / "b", False))


def test_file_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "file-unreadable" in ids(_unreadable(tmp_path / "a", True, monkeypatch))
    assert "file-unreadable" not in ids(_unreadable(tmp_path / "b", False, monkeypatch))


def test_nothing_found(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    empty = CliRunner().invoke(main, ["validate", "--recursive", str(tmp_path / "empty")])
    assert empty.exit_code == 1 and "[nothing-found]" in empty.output
    found = CliRunner().invoke(main, ["validate", "--recursive", str(SAMPLES)])
    assert "[nothing-found]" not in found.output


def test_input_missing(tmp_path: Path) -> None:
    from connector_packager.validation import check_connector

    assert "input-missing" in ids(check_connector(tmp_path / "no-such-folder").findings)
    assert "input-missing" not in ids(check_connector(SAMPLES / "acme_odbc").findings)
    missing = CliRunner().invoke(main, ["validate", str(tmp_path / "no-such.trex")])
    assert missing.exit_code == 2 and "[input-missing]" in missing.output


# ------------------------------------------------------------------ the catalogue itself


def test_findings_refuse_unregistered_ids() -> None:
    with pytest.raises(ValueError, match="not in the rule catalogue"):
        Finding(Severity.ERROR, "no-such-rule", "x")
    Finding(Severity.ERROR, "file-missing", "x")


def test_declare_refuses_duplicates_and_malformed_ids() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        declare("file-missing", "connector", Severity.ERROR, "x", doc="x")
    for bad in ("Upper-case", "under_score", "", "trailing-"):
        with pytest.raises(ValueError):
            declare(bad, "connector", Severity.ERROR, "x", doc="x")
    with pytest.raises(ValueError, match="applies-to"):
        declare("new-rule-x", "spaceship", Severity.ERROR, "x", doc="x")
    assert not catalogue.is_registered("new-rule-x")


def test_every_rule_is_documented() -> None:
    for rule in RULES:
        assert rule.summary and rule.doc and rule.passes and rule.fails, rule.id
        assert not rule.summary.endswith("."), rule.id
        assert rule.applies_to and rule.module.startswith("connector_packager."), rule.id


def _sources() -> dict[Path, str]:
    return {path: path.read_text() for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_declaration_in_the_code_is_in_the_catalogue() -> None:
    """A module that declares rules but is not imported by catalogue.all_rules() would leave them out."""
    declared = {
        m
        for path, text in _sources().items()
        if path.name != "catalogue.py"  # its docstring's example
        for m in re.findall(r'= declare\(\s*"([a-z0-9-]+)"', text)
    }
    assert declared == IDS


def test_emission_sites_use_the_registered_rule_not_a_string() -> None:
    emission = re.compile(
        r'(?<!log\.)(?<!logger\.)\b(?:error|warning|warn|XmlProblem|IconVerdict)\(\s*f?"'
        r'|Finding\(\s*Severity\.\w+,\s*f?"'
    )
    offenders = [
        f"{path.relative_to(REPO)}: {match.group(0)}"
        for path, text in _sources().items()
        for match in emission.finditer(text)
    ]
    assert offenders == []


def test_each_id_is_written_once_in_the_code_at_its_declaration() -> None:
    """So that searching the code for an id from a message finds its declaration, and nothing else.
    (``manifest-version`` is also the name of a .trex attribute.)"""
    texts = "\n".join(text for path, text in _sources().items() if path.name != "catalogue.py")
    for rule in RULES:
        count = texts.count(f'"{rule.id}"')
        assert count == 1 or (rule.id == "manifest-version" and count > 1), (rule.id, count)


def test_docs_are_generated_from_the_catalogue() -> None:
    committed = (REPO / "docs" / "rules.md").read_text()
    assert committed == catalogue.as_markdown(RULES), (
        "docs/rules.md is out of date: python -m connector_packager.catalogue > docs/rules.md"
    )


def test_docs_link_each_rule_to_its_module() -> None:
    text = (REPO / "docs" / "rules.md").read_text()
    for rule in RULES:
        section = text.split(f"\n## {rule.id}\n", 1)[1].split("\n## ", 1)[0]
        path = re.search(r"\]\(\.\./([^)]+)\)", section)
        assert path is not None and (REPO / path.group(1)).is_file(), rule.id
        assert f'"{rule.id}"' in (REPO / path.group(1)).read_text(), rule.id


def test_rules_command_lists_the_catalogue() -> None:
    as_json = CliRunner().invoke(main, ["rules", "--format", "json"])
    assert as_json.exit_code == 0
    listed = json.loads(as_json.output)
    assert listed["version"] == 1
    assert [(r["id"], tuple(r["applies_to"]), r["severity"], r["summary"]) for r in listed["rules"]] == [
        (r.id, r.applies_to, r.severity.value, r.summary) for r in RULES
    ]
    as_text = CliRunner().invoke(main, ["rules"])
    assert as_text.exit_code == 0
    assert [line.split()[0] for line in as_text.output.splitlines()] == [r.id for r in RULES]
    bad = CliRunner().invoke(main, ["rules", "--format", "xml"])
    assert bad.exit_code == 2


def _corpus_paths() -> list[Path]:
    connectors = [p.parent for p in SAMPLES.rglob("manifest.xml")]
    connectors += sorted(p for p in (SHARED / "conformance" / "cases").iterdir() if p.is_dir())
    trex = sorted(SAMPLES.rglob("*.trex")) + sorted((SHARED / "trex-corpus").rglob("*.trex"))
    return connectors + trex


def test_every_corpus_input_reports_only_registered_rules() -> None:
    """Samples, the conformance cases and the .trex corpus: every finding's rule is registered, with the
    severity it has or a lesser one (authentication-field-missing is a warning with --backwards-compatible)."""
    paths = _corpus_paths()
    assert len(paths) > 250
    seen: set[str] = set()
    for path in paths:
        for finding in check_path(path).findings:
            assert catalogue.is_registered(finding.rule), (path, finding.rule)
            seen.add(finding.rule)
    assert len(seen) > 20  # the corpus does reach the rules
