"""Script and field-logic rules: each with an input that passes and one that fails, asserting id and place."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector_packager.findings import Finding, Severity
from connector_packager.validation import check_connector
from tests.conftest import BASE_FILES, SAMPLE_CONNECTORS, SAMPLES

NEW_RULES = (
    "script-syntax-error",
    "script-not-function-expression",
    "script-unknown-attribute",
    "script-unknown-helper-constant",
    "script-evaluation-error",
    "script-deprecated",
    "script-logging-log",
    "script-unavailable-api",
    "condition-unknown-field",
    "condition-circular",
    "boolean-default-not-option",
    "dialog-and-fields-both",
)

FIELDS_HEAD = (
    '<connection-fields>\n  <field name="server" label="Server" value-type="string" category="endpoint"/>\n'
    '  <field name="authentication" label="Auth" value-type="string" category="authentication" '
    'default-value="auth-none"/>\n'
)


def findings(folder: Path, rule: str) -> list[Finding]:
    report = check_connector(folder)
    found = [f for f in report.findings if f.rule == rule]
    assert all(f.severity is Severity.WARNING for f in found)  # warnings: the verdict stays Tableau's
    return found


def builder(body: str) -> dict[str, str]:
    return {"builder.js": body}


@pytest.mark.parametrize("sample", SAMPLE_CONNECTORS)
def test_samples_raise_none_of_the_new_rules(sample: str) -> None:
    report = check_connector(SAMPLES / sample)
    assert not [f for f in report.findings if f.rule in NEW_RULES]


def test_base_connector_raises_none_of_the_new_rules(make_connector: Callable[..., Path]) -> None:
    report = check_connector(make_connector())
    assert not [f for f in report.findings if f.rule in NEW_RULES]


@pytest.mark.parametrize(
    "source, line, column",
    [
        ("(function (attr) {\n  return [ 'a' + ;\n})\n", 2, 18),
        ("(function (attr) {\n  return ['a'];\n", 3, 1),
        ("\n\n(function (attr) { var x = {; })", 3, 29),
    ],
)
def test_syntax_error_has_file_line_and_column(
    make_connector: Callable[..., Path], source: str, line: int, column: int
) -> None:
    found = findings(make_connector(builder(source)), "script-syntax-error")
    assert [(f.file, f.line, f.column) for f in found] == [("builder.js", line, column)]
    assert "SyntaxError" in found[0].message
    report = check_connector(make_connector(builder(source)))
    assert report.ok  # a warning only


@pytest.mark.parametrize(
    "source, line",
    [
        ("var x = 1;\n(function (attr) { return []; })\n", 2),
        ("connectionHelper.x = 1;\n", 1),
        ("// just a comment\n", None),
    ],
)
def test_not_a_single_function_expression(make_connector: Callable[..., Path], source: str, line: int | None) -> None:
    found = findings(make_connector(builder(source)), "script-not-function-expression")
    assert len(found) == 1 and found[0].file == "builder.js"
    if line is not None:
        assert found[0].line == line


def test_arrow_and_named_function_expressions_pass(make_connector: Callable[..., Path]) -> None:
    for source in ("((attr) => [attr.server])\n", "// c\n(function dsbuilder(attr) { return [attr.server]; });\n"):
        assert not findings(make_connector(builder(source)), "script-not-function-expression")


def test_unknown_attribute_with_suggestion(make_connector: Callable[..., Path]) -> None:
    source = "(function (a) {\n  return [a.server, a['sever'], a[connectionHelper.attributeWarehouse], a.class];\n})"
    found = findings(make_connector(builder(source)), "script-unknown-attribute")
    assert [(f.line, f.message.split("'")[1]) for f in found] == [(2, "sever"), (2, "warehouse")]
    assert found[0].hint == "did you mean 'server'?" and found[0].column == 21


def test_attributes_provided_by_fields_metadata_and_platform_pass(make_connector: Callable[..., Path]) -> None:
    source = (
        "(function (attr) { return [attr.server, attr[connectionHelper.attributeUsername], attr.class, "
        "attr['one-time-sql'], attr.hasOwnProperty('x') ? '' : '']; })"
    )
    assert not findings(make_connector(builder(source)), "script-unknown-attribute")


def test_unknown_helper_constant(make_connector: Callable[..., Path]) -> None:
    ok = findings(
        make_connector(builder("(function (a) { return [a[connectionHelper.attributeServer]]; })")),
        "script-unknown-helper-constant",
    )
    bad = findings(
        make_connector(builder("(function (a) { return [a[connectionHelper.attributeServr]]; })")),
        "script-unknown-helper-constant",
    )
    assert not ok and len(bad) == 1 and bad[0].hint == "did you mean 'attributeServer'?"


def test_deprecated_matcher_and_normalizer_scripts(make_connector: Callable[..., Path]) -> None:
    tdr = BASE_FILES["resolver.tdr"].replace(
        "<connection-normalizer>",
        "<connection-matcher><script file='matcher.js'/></connection-matcher>\n    <connection-normalizer>",
    )
    folder = make_connector({"resolver.tdr": tdr, "matcher.js": "(function (attr) { return true; })"})
    found = findings(folder, "script-deprecated")
    assert [(f.file, f.line) for f in found] == [("resolver.tdr", 5)] and "connection-matcher" in found[0].message
    assert not findings(make_connector(), "script-deprecated")


def test_logging_log_is_deprecated(make_connector: Callable[..., Path]) -> None:
    bad = findings(
        make_connector(builder("(function (a) {\n  logging.Log('x');\n  return [];\n})")), "script-logging-log"
    )
    assert [(f.line, f.column) for f in bad] == [(2, 3)]
    assert not findings(make_connector(builder("(function (a) { var logging = 1; return []; })")), "script-logging-log")


@pytest.mark.parametrize("call", ["require('fs')", "fetch('https://x')", "new XMLHttpRequest()", "import('x')"])
def test_unavailable_api(make_connector: Callable[..., Path], call: str) -> None:
    found = findings(
        make_connector(builder(f"(function (a) {{\n  var x = {call};\n  return [];\n}})")), "script-unavailable-api"
    )
    assert len(found) == 1 and found[0].line == 2
    assert not findings(make_connector(), "script-unavailable-api")


@pytest.mark.parametrize("body", ["while (true) {}", "var s = 'x'; while (true) { s += s; }"])
def test_a_hostile_file_is_checked_within_the_limits(make_connector: Callable[..., Path], body: str) -> None:
    start = time.monotonic()
    report = check_connector(make_connector(builder(body + "\n(function (a) { return []; })")))
    assert time.monotonic() - start < 15
    assert report.ok and any(f.rule == "script-evaluation-error" for f in report.findings)


@pytest.mark.parametrize(
    "top",
    [
        "throw {get name() { throw ''; }};",
        "throw new Proxy({}, {get: function () { throw ''; }});",
        "throw {toString: null, valueOf: null};",
    ],
)
def test_a_file_that_throws_an_odd_value_gets_a_warning(make_connector: Callable[..., Path], top: str) -> None:
    found = findings(make_connector(builder(top + "\n(function (a) { return []; })")), "script-evaluation-error")
    assert len(found) == 1 and found[0].message.startswith("connection-builder script: ")
    assert found[0].message != "connection-builder script: "  # says something


@pytest.mark.parametrize("what", ["stack", "message", "name"])
def test_a_file_that_throws_a_long_built_text_gets_a_bounded_warning(
    make_connector: Callable[..., Path], what: str
) -> None:
    # A text built by concatenation is a "rope" inside QuickJS, which the Python binding cannot convert.
    top = f"var t = 'at (<input>:1:1) '.repeat(5000); throw {{name: 'E', message: 'm', {what}: t + t}};"
    found = findings(make_connector(builder(top + "\n(function (a) { return []; })")), "script-evaluation-error")
    assert len(found) == 1 and len(found[0].message) < 10_000


LOOPING = "while (true) {}\n(function (a) { return []; })"


def test_a_script_named_many_times_is_checked_once(make_connector: Callable[..., Path]) -> None:
    holder = '<connection-builder><script file="builder.js"/></connection-builder>'
    tdr = BASE_FILES["resolver.tdr"].replace(holder, holder * 40)  # a schema error, but the rules still run
    start = time.monotonic()
    found = findings(make_connector({"resolver.tdr": tdr, **builder(LOOPING)}), "script-evaluation-error")
    assert time.monotonic() - start < 30
    assert len(found) == 1


def test_many_slow_scripts_stop_at_the_checking_budget(
    make_connector: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import connector_packager.rules.scripts as script_rules

    monkeypatch.setattr(script_rules, "CHECK_BUDGET_SECONDS", 0.5)
    names = [f"b{i}.js" for i in range(30)]
    holders = "".join(f'<connection-builder><script file="{name}"/></connection-builder>' for name in names)
    tdr = BASE_FILES["resolver.tdr"].replace("<connection-normalizer>", holders + "<connection-normalizer>")
    start = time.monotonic()
    found = findings(make_connector({"resolver.tdr": tdr, **dict.fromkeys(names, LOOPING)}), "script-evaluation-error")
    assert time.monotonic() - start < 30  # 30 scripts of 2 s each would take a minute or more
    assert "were not checked" in found[-1].message and len(found) < 30


def test_condition_on_unknown_field(make_connector: Callable[..., Path]) -> None:
    fields = (
        FIELDS_HEAD + '  <field name="username" label="User" value-type="string" category="authentication">'
        '\n    <conditions><condition field="authentcation" value="auth-user"/></conditions>\n  </field>\n'
        "</connection-fields>"
    )
    found = findings(make_connector({"fields.xml": fields}), "condition-unknown-field")
    assert [(f.line, f.hint) for f in found] == [(5, "did you mean 'authentication'?")]
    assert not findings(
        make_connector({"fields.xml": fields.replace("authentcation", "authentication")}), "condition-unknown-field"
    )


def test_circular_conditions(make_connector: Callable[..., Path]) -> None:
    fields = (
        FIELDS_HEAD
        + """  <field name="v-a" label="A" value-type="string">
    <conditions><condition field="v-b" value="1"/></conditions>
  </field>
  <field name="v-b" label="B" value-type="string">
    <conditions><condition field="v-a" value="1"/></conditions>
  </field>
</connection-fields>"""
    )
    found = findings(make_connector({"fields.xml": fields}), "condition-circular")
    assert len(found) == 1 and "v-a -> v-b -> v-a" in found[0].message and found[0].line == 4
    self_loop = fields.replace('field="v-b" value="1"', 'field="v-a" value="1"')
    assert len(findings(make_connector({"fields.xml": self_loop}), "condition-circular")) == 1
    chain = fields.replace('<condition field="v-a" value="1"/>', '<condition field="server" value="1"/>')
    assert not findings(make_connector({"fields.xml": chain}), "condition-circular")


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 9).flatmap(lambda n: st.lists(st.lists(st.integers(0, n - 1), max_size=4), min_size=n, max_size=n))
)
def test_circular_conditions_name_each_group_of_mutually_dependent_fields_once(edges: list[list[int]]) -> None:
    from lxml import etree

    from connector_packager.connector import ConnectorFile
    from connector_packager.rules.field_logic import conditions_not_circular

    xml = (
        "<connection-fields>"
        + "".join(
            f'<field name="f{i}"><conditions>'
            + "".join(f'<condition field="f{j}"/>' for j in targets)
            + "</conditions></field>"
            for i, targets in enumerate(edges)
        )
        + "</connection-fields>"
    )
    found = list(conditions_not_circular(etree.fromstring(xml), ConnectorFile("f.xml", "connection-fields", b""), None))  # type: ignore[arg-type]
    reach = []  # brute force: what each field reaches
    for i in range(len(edges)):
        seen, todo = set(), [i]
        while todo:
            for j in edges[todo.pop()]:
                if j not in seen:
                    seen.add(j)
                    todo.append(j)
        reach.append(seen)
    groups = {
        frozenset(j for j in range(len(edges)) if j in reach[i] and i in reach[j])
        for i in range(len(edges))
        if i in reach[i]
    }
    assert len(found) == len(groups)
    for finding, group in zip(found, sorted(groups, key=min), strict=True):
        cycle = [int(name[1:]) for name in finding.message.split(": ", 1)[1].split(" (")[0].split(" -> ")]
        assert cycle[0] == cycle[-1] == min(group) and set(cycle) <= group
        assert all(b in edges[a] for a, b in itertools.pairwise(cycle))


def test_circular_conditions_on_a_dialog_of_thousands_of_fields_take_no_time() -> None:
    from lxml import etree

    from connector_packager.connector import ConnectorFile
    from connector_packager.rules.field_logic import conditions_not_circular

    n = 3000  # a chain that closes on itself: the old search copied its path at every step (cubic)
    xml = (
        "<connection-fields>"
        + "".join(
            f'<field name="f{i}"><conditions><condition field="f{(i + 1) % n}"/></conditions></field>' for i in range(n)
        )
        + "</connection-fields>"
    )
    start = time.monotonic()
    found = list(conditions_not_circular(etree.fromstring(xml), ConnectorFile("f.xml", "connection-fields", b""), None))  # type: ignore[arg-type]
    assert time.monotonic() - start < 5
    assert len(found) == 1 and found[0].message.count(" -> ") == n


def test_boolean_default_must_be_an_option(make_connector: Callable[..., Path]) -> None:
    field = (
        FIELDS_HEAD
        + """  <field name="sslmode" label="SSL" value-type="boolean" default-value="{default}">
    <boolean-options><false-value value=""/><true-value value="require"/></boolean-options>
  </field>
</connection-fields>"""
    )
    bad = findings(make_connector({"fields.xml": field.format(default="true")}), "boolean-default-not-option")
    assert [f.line for f in bad] == [4]
    for default in ("require", ""):
        assert not findings(make_connector({"fields.xml": field.format(default=default)}), "boolean-default-not-option")


def test_dialog_and_fields_both(make_connector: Callable[..., Path]) -> None:
    tcd = (
        '<connection-dialog class="tiny"><connection-config><authentication-mode value="Basic"/>'
        '<server-prompt value="Server"/></connection-config></connection-dialog>'
    )
    manifest = BASE_FILES["manifest.xml"].replace(
        '  <connection-fields file="fields.xml"/>',
        '  <connection-fields file="fields.xml"/>\n  <connection-dialog file="dialog.tcd"/>',
    )
    found = findings(make_connector({"manifest.xml": manifest, "dialog.tcd": tcd}), "dialog-and-fields-both")
    assert [(f.file, f.line) for f in found] == [("manifest.xml", 8)]
    assert not findings(make_connector(), "dialog-and-fields-both")


def test_the_engine_is_the_quickjs_packages_own() -> None:
    """script_engine imports QuickJS's extension alone (the package's __init__ is slow to import): its classes must
    be the ones the quickjs package exports, or an upgrade has moved them."""
    import quickjs

    from connector_packager.script_engine import engine

    module = engine()
    for name in ("Context", "JSException", "StackOverflow"):
        assert getattr(module, name) is getattr(quickjs, name)
