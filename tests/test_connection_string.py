"""connection-string: a connector's scripts run in the embedded engine, through script_runtime.js."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from connector_packager.cli import main
from tests.conftest import PYTHON, REPO, SAMPLE_CONNECTORS, SAMPLES, SHARED, needs_shared, snapshot

CONFORMANCE = SHARED / "conformance" / "cases"
CONFORMANCE_CASES = sorted(p.name for p in CONFORMANCE.iterdir()) if CONFORMANCE.is_dir() else []


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["connection-string", *args], catch_exceptions=False)


def as_json(*args: str) -> dict[str, object]:
    result = run(*args, "--format", "json")
    data: dict[str, object] = json.loads(result.output)
    return data


def builder(body: str) -> dict[str, str]:
    """The base connector's builder replaced by a function with ``body``."""
    return {"builder.js": "(function (attr) {\n" + body + "\n})\n"}


@pytest.mark.parametrize("sample", SAMPLE_CONNECTORS)
def test_every_sample_gives_a_connection_string_with_the_values_set(sample: str) -> None:
    before = snapshot(SAMPLES / sample)
    data = as_json(
        str(SAMPLES / sample), "--set", "server=db.example.com", "--set", "username=ann", "--set", "password=S3cret;pw"
    )
    assert data["ok"] is True and data["error"] is None
    text = data["connect_string"] if data["kind"] == "odbc" else data["url"]
    assert isinstance(text, str) and "db.example.com" in text
    assert "S3cret" not in json.dumps(data)  # the secret appears nowhere, masked or not
    assert snapshot(SAMPLES / sample) == before


def test_odbc_sample_string_is_the_scripts_pairs_joined_with_semicolons() -> None:
    data = as_json(str(SAMPLES / "acme_odbc"), "--set", "server=db;x", "--set", "dbname=sales", "--set", "port=1")
    pairs = str(data["connect_string"]).split(";")
    assert "SERVER={db" in pairs and "x}" in pairs  # a value with ';' is wrapped in braces
    assert "DATABASE=sales" in pairs and "PORT=1" in pairs


def test_unset_fields_take_their_defaults(tmp_path: Path) -> None:
    fields = etree.parse(str(SAMPLES / "acme_jdbc" / "connectionFields.xml")).getroot()
    default_port = fields.find("field[@name='port']").get("default-value")  # type: ignore[union-attr]
    data = as_json(str(SAMPLES / "acme_jdbc"), "--set", "server=h")
    attributes = data["attributes"]
    assert isinstance(attributes, dict) and attributes["port"] == default_port
    assert f":{default_port}/" in str(data["url"])
    assert data["sign_in"] is False  # username is required and empty
    assert any(p["field"] == "username" for p in data["problems"])  # type: ignore[attr-defined, index]


def test_non_editable_field_passes_its_default_and_condition_hidden_field_passes_nothing(
    make_connector: Callable[..., Path],
) -> None:
    folder = make_connector(
        {
            "fields.xml": """<connection-fields>
  <field name="server" label="Server" value-type="string" category="endpoint"/>
  <field name="authentication" label="Authentication" value-type="string" category="authentication"
         editable="false" default-value="auth-none"/>
  <field name="username" label="Username" value-type="string" category="authentication" optional="true">
    <conditions><condition field="authentication" value="auth-user-pass"/></conditions>
  </field>
  <field name="password" label="Password" value-type="string" category="authentication" secure="true"
         optional="true"/>
</connection-fields>""",
            **builder("return ['A=' + attr.authentication, 'U=' + (('username' in attr) ? 'set' : 'absent')];"),
        }
    )
    data = as_json(str(folder), "--set", "server=s", "--set", "username=ann", "--set", "authentication=x")
    assert data["url"] == "A=auth-noneU=absent"


def test_script_exception_is_reported_with_file_and_line(make_connector: Callable[..., Path]) -> None:
    folder = make_connector(builder("  var x = 1;\n  return [attr.nothing.deeper];"))
    result = run(str(folder), "--set", "server=s")
    assert result.exit_code == 1
    assert f"{folder}/builder.js:3:" in result.output and "TypeError" in result.output


def test_throw_tableau_exception_shows_its_message(make_connector: Callable[..., Path]) -> None:
    folder = make_connector(builder("\n  connectionHelper.ThrowTableauException('Pick a server first');"))
    data = as_json(str(folder))
    error = data["error"]
    assert isinstance(error, dict) and error["kind"] == "tableau" and error["message"] == "Pick a server first"
    assert error["file"] == "builder.js" and error["line"] == 3


def test_platform_and_driver_reach_the_scripts(make_connector: Callable[..., Path]) -> None:
    folder = make_connector(builder("return [connectionHelper.GetPlatform(), '|', driverLocator.LocateDriver(attr)];"))
    for platform in ("win", "mac", "linux"):
        assert (
            as_json(str(folder), "--platform", platform, "--driver", "Tiny Driver")["url"] == f"{platform}|Tiny Driver"
        )


def test_logging_log_is_captured(make_connector: Callable[..., Path]) -> None:
    folder = make_connector(builder("logging.Log('hello ' + attr.server); return ['x'];"))
    assert as_json(str(folder), "--set", "server=s")["logs"] == ["hello s"]


def test_normalizer_flags_attributes_without_a_value() -> None:
    data = as_json(str(SAMPLES / "acme_odbc"), "--set", "server=s")
    normalizer = data["normalizer"]
    tdr = etree.parse(str(SAMPLES / "acme_odbc" / "connectionResolver.tdr"))
    assert [n["name"] for n in normalizer] == [a.text for a in tdr.iter("attr")]  # type: ignore[union-attr]
    unset = {n["name"] for n in normalizer if not n["set"]}  # type: ignore[union-attr]
    assert "dbname" in unset and "username" in unset and "server" not in unset


@pytest.mark.parametrize(
    "body, words",
    [
        ("while (true) {}", "CPU time"),
        ("var a = []; while (true) { a.push(new Array(1e6).fill(1)); }", "memory"),
        ("function f(n) { return f(n + 1) + 1; } return [String(f(0))];", "call stack"),
        ("return [require('fs').readFileSync('/etc/passwd')];", "require is not available"),
        ("return [fetch('https://example.com')];", "fetch is not available"),
        ("var x = new XMLHttpRequest(); x.open('GET', 'https://example.com'); return [];", "XMLHttpRequest is not"),
        ("return [import('fs')];", "must return an array of strings"),
    ],
)
def test_hostile_scripts_end_within_the_limits_with_a_finding(
    make_connector: Callable[..., Path], body: str, words: str
) -> None:
    folder = make_connector(builder(body))
    start = time.monotonic()
    result = run(str(folder), "--set", "server=s")
    assert time.monotonic() - start < 15
    assert result.exit_code == 1
    assert words in result.output


def test_a_script_cannot_forge_the_runtime_output(make_connector: Callable[..., Path]) -> None:
    folder = make_connector(
        builder("JSON.stringify = function () { return '{}'; }; Array.isArray = null; return ['x'];")
    )
    assert as_json(str(folder))["url"] == "x"


@pytest.mark.parametrize(
    "pollution",
    [
        "Object.prototype.toJSON = function () { return [1]; };",  # the result turns into a list
        "Object.prototype.toJSON = function () { return 'x'; };",  # ... into a string
        "Array.prototype.toJSON = function () { return 'x'; };",  # its lists into strings
        "Object.prototype.toJSON = function () { var a = []; for (var i = 0; i < 1e5; i++) { a = [a]; } return a; };",
        "var n = 0; Object.prototype.toJSON = function () { n += 1; return n === 3 ? {name: 1} : this; };",
    ],
)
def test_a_script_that_pollutes_the_builtins_gets_a_finding_not_a_traceback(
    make_connector: Callable[..., Path], pollution: str
) -> None:
    folder = make_connector(builder(pollution + " return ['x'];"))
    text = run(str(folder), "--set", "server=s")
    assert text.exit_code == 1 and "[script-limit]" in text.output, text.output
    data = as_json(str(folder), "--set", "server=s")
    assert data["ok"] is False and data["error"]["kind"] == "limit"  # type: ignore[index]


@pytest.mark.parametrize(
    "body, kind",
    [
        ("throw {get message() { throw ''; }};", "exception"),  # a getter that throws
        ("throw {get name() { throw ''; }, message: 'm'};", "exception"),
        ("throw new Proxy({}, {has: function () { throw ''; }});", "exception"),  # a proxy whose trap throws
        (
            "var e = new Error('x'); Object.defineProperty(e, 'stack', {get: function () { throw ''; }}); throw e;",
            "exception",
        ),
        ("connectionHelper.ThrowTableauException({toString: function () { throw 'again'; }});", "exception"),
        ("connectionHelper.ThrowTableauException(Symbol('odd'));", "tableau"),
        ("connectionHelper.ThrowTableauException();", "tableau"),
        ("return new Proxy([], {get: function (t, k) { if (k === 'length') { return 1; } throw 'trap'; }});", "result"),
        ("var a = {length: 1}; return a;", "result"),
        ("var c = ['x']; c.push(c); return c;", "result"),  # cyclic
    ],
)
def test_odd_thrown_values_and_results_are_reported_not_crashed_on(
    make_connector: Callable[..., Path], body: str, kind: str
) -> None:
    folder = make_connector(builder(body))
    result = run(str(folder), "--set", "server=s")
    assert result.exit_code == 1 and "[script-" + kind + "]" in result.output, result.output
    data = as_json(str(folder), "--set", "server=s")
    assert data["error"]["kind"] == kind and data["error"]["file"] == "builder.js"  # type: ignore[index]


def test_what_escapes_the_runtime_is_shown_in_bounded_length(make_connector: Callable[..., Path]) -> None:
    folder = make_connector(builder("Object.prototype.toJSON = function () { throw 'ab'.repeat(1e6); }; return ['x'];"))
    result = run(str(folder), "--set", "server=s")
    assert result.exit_code == 1 and "[script-limit]" in result.output and len(result.output) < 10_000


def test_a_result_read_twice_cannot_change_between_reads(make_connector: Callable[..., Path]) -> None:
    folder = make_connector(
        builder(
            "var n = 0, a = ['x'];\n"
            "Object.defineProperty(a, 0, {get: function () { n += 1; return n > 1 ? {toString: function () { "
            "throw 'late'; }} : 'x'; }});\nreturn a;"
        )
    )
    data = as_json(str(folder), "--set", "server=s")
    assert data["error"] is None and data["url"] == "x"


def test_secrets_are_masked_in_what_a_script_logs_or_throws(make_connector: Callable[..., Path]) -> None:
    folder = make_connector(
        builder(
            "logging.Log('password is ' + attr.password);\n"
            "connectionHelper.ThrowTableauException('bad password ' + attr.password);"
        )
    )
    for fmt in ("text", "json"):
        result = run(str(folder), "--set", "server=s", "--set", "password=hunter2;x", "--format", fmt)
        assert result.exit_code == 1
        assert "hunter2" not in result.output and "password is ********" in result.output
        assert "bad password ********" in result.output


def test_invalid_connector_exits_1_without_running_scripts(make_connector: Callable[..., Path]) -> None:
    folder = make_connector(
        {
            "fields.xml": "<connection-fields><field name='warehouse' label='x' "
            "value-type='string'/></connection-fields>",
            **builder("connectionHelper.ThrowTableauException('ran');"),
        }
    )
    result = run(str(folder))
    assert "no connection string was computed" in result.output and "ran" not in result.output
    assert result.exit_code == 1 and "field-name-not-allowed" in result.output


@pytest.mark.parametrize("args", [["--set", "novalue"], ["--set", "=x"], ["--platform", "beos"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run(str(SAMPLES / "acme_jdbc"), *args).exit_code == 2


def test_missing_folder_exits_2(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nothing"))
    assert result.exit_code == 2 and "does not exist" in result.output


def test_unknown_set_name_is_passed_and_noted_with_a_suggestion() -> None:
    data = as_json(str(SAMPLES / "acme_jdbc"), "--set", "sever=x")
    assert any("did you mean 'server'" in note for note in data["notes"])  # type: ignore[attr-defined]


def test_real_subprocess_from_another_folder(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            PYTHON,
            "-m",
            "connector_packager",
            "connection-string",
            str(REPO / "samples/acme_odbc"),
            "--set",
            "server=db.example.com",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "SERVER=db.example.com" in proc.stdout


@needs_shared
@pytest.mark.parametrize("case", CONFORMANCE_CASES)
def test_conformance_cases_give_a_result_or_exit_1(case: str) -> None:
    expected = json.loads((SHARED / "conformance" / "expected.json").read_text())
    result = run(str(CONFORMANCE / case), "--format", "json", "--set", "server=db.example.com")
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.output)
    entry = expected.get("cases", expected).get(case, {}) if isinstance(expected, dict) else {}
    if data["valid"]:
        assert data["error"] is None and data["ok"] is True and result.exit_code == 0
        if list((CONFORMANCE / case).glob("*.tdr")):  # a resolver names a builder: its result is shown
            assert data["connect_string"] is not None or data["url"] is not None
    if isinstance(entry, dict) and entry.get("valid") is False and "spec_expected" not in entry:
        assert data["valid"] is False


def test_selection_groups_follow_their_conditions(make_connector: Callable[..., Path]) -> None:
    folder = make_connector(
        {
            "fields.xml": """<connection-fields>
  <field name="server" label="Server" value-type="string" category="endpoint"/>
  <field name="authentication" label="Authentication" value-type="selection" category="authentication">
    <selection-group>
      <option value="auth-none" label="None"/>
    </selection-group>
    <selection-group>
      <conditions><condition field="server" value="secure.example.com"/></conditions>
      <option value="auth-user-pass" label="Username and Password"/>
    </selection-group>
  </field>
</connection-fields>""",
            **builder("return [attr.authentication];"),
        }
    )
    # The option of a group whose condition fails cannot be chosen: the value falls back to the first option.
    assert as_json(str(folder), "--set", "server=other", "--set", "authentication=auth-user-pass")["url"] == "auth-none"
    assert (
        as_json(str(folder), "--set", "server=secure.example.com", "--set", "authentication=auth-user-pass")["url"]
        == "auth-user-pass"
    )
