"""preview: the page, driven in a real headless Chromium, agrees with connection-string.

Browser tests need Debian's chromium and chromium-driver (``.ci/run`` installs them); elsewhere they skip.
One browser serves the whole session. Set CONNECTOR_PACKAGER_SCREENSHOTS=1 to rewrite docs/preview-*.png.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector_packager.cli import main
from connector_packager.connection_string import compute, render_json
from connector_packager.preview import build_preview, embeddable_runtime
from connector_packager.script_engine import evaluate
from tests.conftest import BASE_FILES, REPO, SAMPLE_CONNECTORS, SAMPLES, SHARED, missing_tool, snapshot

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
DOCS = REPO / "docs"
CONFORMANCE = SHARED / "conformance" / "cases"
#: The SDK's own connectors in the conformance corpus (valid ones with a resolver; scripts are placeholders
#: there, so each copy gets a builder that passes every attribute through FormatKeyValuePair).
EXPECTED = json.loads((SHARED / "conformance" / "expected.json").read_text()) if CONFORMANCE.is_dir() else {}
SDK_CASES = (
    sorted(
        p.name
        for p in CONFORMANCE.glob("*")
        if p.name.startswith(("sample-", "tr-"))
        and any(p.glob("connectionResolver.*"))
        and EXPECTED.get(p.name, {}).get("valid")
        and EXPECTED[p.name].get("spec_expected", {}).get("valid", True)
    )
    if CONFORMANCE.is_dir()
    else []
)
ECHO_BUILDER = (
    "(function (attr) { var out = [];\n"
    "  Object.keys(attr).sort().forEach(function (k) {\n"
    "    out.push(connectionHelper.FormatKeyValuePair(k, attr[k])); });\n"
    "  return out; })\n"
)
SCREENSHOTS = os.environ.get("CONNECTOR_PACKAGER_SCREENSHOTS") == "1"


# ---------------------------------------------------------------- the page without a browser


def run_preview(*args: str) -> Any:
    return CliRunner().invoke(main, ["preview", *args], catch_exceptions=False)


def test_preview_writes_a_self_contained_page(tmp_path: Path) -> None:
    before = snapshot(SAMPLES / "acme_jdbc")
    out = tmp_path / "page.html"
    result = run_preview(str(SAMPLES / "acme_jdbc"), "-o", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "connect-src 'none'" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//)""", page)  # nothing fetched from anywhere
    assert embeddable_runtime() in page  # the very runtime the CLI uses
    assert snapshot(SAMPLES / "acme_jdbc") == before


def test_preview_exit_codes(tmp_path: Path, make_connector: Callable[..., Path]) -> None:
    bad = make_connector(
        {"fields.xml": "<connection-fields><field name='warehouse' label='x' value-type='string'/></connection-fields>"}
    )
    assert run_preview(str(bad), "-o", str(tmp_path / "x.html")).exit_code == 1
    assert not (tmp_path / "x.html").exists()
    assert run_preview(str(tmp_path / "missing"), "-o", str(tmp_path / "y.html")).exit_code == 2
    good = make_connector()
    assert run_preview(str(good), "-o", str(good / "inside.html")).exit_code == 2
    assert run_preview(str(good), "-o", str(tmp_path / "no" / "such" / "dir.html")).exit_code == 2


def test_runtime_can_be_embedded() -> None:
    assert "</" not in embeddable_runtime()


def test_connector_text_cannot_break_out_of_the_page(make_connector: Callable[..., Path]) -> None:
    evil = '</script><script>document.title="pwned"</script><!--'
    escaped = evil.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    fields = BASE_FILES["fields.xml"].replace('label="Server"', f'label="{escaped}"')
    preview = build_preview(make_connector({"fields.xml": fields}))
    assert preview.page is not None
    assert "</script><script>document.title" not in preview.page
    assert preview.page.count("<script") == 3  # the model, the runtime text, the page's code


def test_connector_text_that_spells_a_placeholder_stays_text(make_connector: Callable[..., Path]) -> None:
    name = "T @@RUNTIME@@ @@MODEL@@ @@NONCE@@ @@TITLE@@"
    folder = make_connector(
        {
            "manifest.xml": BASE_FILES["manifest.xml"].replace('name="Tiny"', f'name="{name}"'),
            "fields.xml": BASE_FILES["fields.xml"].replace('label="Server"', f'label="{name}"'),
        }
    )
    preview = build_preview(folder)
    assert preview.page is not None
    title = preview.page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title == f"{name}: connection dialog preview"
    assert preview.page.count(embeddable_runtime()) == 1 and preview.page.count('id="cp-model"') == 1
    model = json.loads(preview.page.split('id="cp-model">', 1)[1].split("</script>", 1)[0])
    assert model["title"] == name and model["connector"]["fields"][0]["label"] == name


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        missing_tool("needs Debian's chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1100,820",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(20)
    yield driver
    driver.quit()


class Page:
    """The preview page of one connector, open in the browser."""

    def __init__(self, driver: Any, folder: Path, out: Path) -> None:
        preview = build_preview(folder)
        assert preview.page is not None
        out.write_text(preview.page, encoding="utf-8")
        self.driver, self.folder = driver, folder
        driver.get(out.resolve().as_uri())
        self.runs = 0
        self.wait()

    def wait(self, seconds: float = 10) -> dict[str, Any]:
        """Wait for the next evaluation to finish; the result it showed."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            state, runs = self.driver.execute_script(
                "return [document.body.getAttribute('data-cp-state'), document.body.getAttribute('data-cp-runs')]"
            )
            if state == "ready" and runs is not None and int(runs) > self.runs:
                self.runs = int(runs)
                result: dict[str, Any] = self.driver.execute_script("return window.cpLastResult")
                return result
            time.sleep(0.03)
        raise AssertionError("the page did not finish evaluating")

    def set(self, name: str, value: str | bool) -> dict[str, Any]:
        """Type (or tick) a value as a user would, through the widget's own events; the new result."""
        self.driver.execute_script(
            """
            var w = document.querySelector('[data-input="' + arguments[0] + '"]');
            if (w.type === 'checkbox') { w.checked = arguments[1]; w.dispatchEvent(new Event('change')); }
            else if (w.tagName === 'SELECT') { w.value = arguments[1]; w.dispatchEvent(new Event('change')); }
            else { w.value = arguments[1]; w.dispatchEvent(new Event('input')); }""",
            name,
            value,
        )
        return self.wait()

    def type_keys(self, name: str, text: str) -> dict[str, Any]:
        from selenium.webdriver.common.by import By

        widget = self.driver.find_element(By.CSS_SELECTOR, f'[data-input="{name}"]')
        widget.clear()
        widget.send_keys(text)
        deadline = time.monotonic() + 10
        while self.driver.execute_script(
            "var n = arguments[0]; return document.body.getAttribute('data-cp-state') "
            "=== 'ready' && window.cpLastResult && (window.cpLastResult.attributes || [])"
            ".filter(function (a) { return a.name === n; })"
            ".map(function (a) { return a.value; })[0]",
            name,
        ) not in (text, "********"):
            assert time.monotonic() < deadline, "the page never caught up with the typing"
            time.sleep(0.05)
        self.runs = int(self.driver.execute_script("return document.body.getAttribute('data-cp-runs')"))
        return self.result()

    def state(self) -> str:
        return str(self.driver.execute_script("return document.body.getAttribute('data-cp-state')"))

    def result(self) -> dict[str, Any]:
        result: dict[str, Any] = self.driver.execute_script("return window.cpLastResult")
        return result

    def visible(self, name: str) -> bool:
        return bool(
            self.driver.execute_script(
                "var r = document.querySelector('[data-field=\"' + arguments[0] + '\"]'); "
                "return !!r && !r.hidden && r.offsetParent !== null;",
                name,
            )
        )

    def text(self, element_id: str) -> str:
        return str(self.driver.execute_script("return document.getElementById(arguments[0]).textContent", element_id))

    def sign_in_enabled(self) -> bool:
        return not self.driver.execute_script("return document.getElementById('cp-signin').disabled")

    def widgets(self) -> list[dict[str, Any]]:
        widgets: list[dict[str, Any]] = self.driver.execute_script("""
            return Array.prototype.map.call(document.querySelectorAll('[data-input]'), function (w) {
              return {name: w.getAttribute('data-input'), tag: w.tagName, type: w.type || '',
                      options: w.tagName === 'SELECT' ? Array.prototype.map.call(w.options, function (o) {
                        return o.value; }) : []}; });""")
        return widgets


@pytest.fixture
def open_page(browser: Any, tmp_path: Path) -> Callable[[Path], Page]:
    counter = iter(range(1000))
    return lambda folder: Page(browser, folder, tmp_path / f"page{next(counter)}.html")


def cli_json(folder: Path, values: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render_json(compute(folder, values)))
    return data


def assert_agree(page: dict[str, Any], cli: dict[str, Any]) -> None:
    """The page's result and `connection-string --format json` say the same for the same values."""
    assert page.get("error") == cli["error"]
    assert page["connectString"] == cli["connect_string"]
    assert page["url"] == cli["url"]
    assert page["properties"] == cli["properties"]
    assert {a["name"]: a["value"] for a in page["attributes"]} == cli["attributes"]
    assert page["normalizer"] == cli["normalizer"]
    assert page["signIn"] == cli["sign_in"] and page["problems"] == cli["problems"]
    assert page["driver"] == cli["driver"]


def fill_everything(page: Page) -> dict[str, str]:
    """Give every widget a value other than its default: text, the last option, the box toggled."""
    values: dict[str, str] = {}
    model = {
        f["name"]: f
        for f in page.driver.execute_script(
            "return JSON.parse(document.getElementById('cp-model').textContent).connector.fields"
        )
    }
    for widget in page.widgets():
        name, field = widget["name"], model[widget["name"]]
        if not page.visible(name) and field["category"] != "advanced":
            continue
        if widget["type"] == "checkbox":
            ticked = field["defaultValue"] != field["trueValue"]
            page.set(name, ticked)
            values[name] = field["trueValue"] if ticked else field["falseValue"]
        elif widget["tag"] == "SELECT":
            if widget["options"]:
                page.set(name, widget["options"][-1])
                values[name] = widget["options"][-1]
        else:
            value = f"{name} val;ue{{x}}"
            page.set(name, value)
            values[name] = value
    return values


@pytest.mark.parametrize("sample", SAMPLE_CONNECTORS)
def test_every_sample_page_agrees_with_the_cli(open_page: Callable[[Path], Page], sample: str) -> None:
    page = open_page(SAMPLES / sample)
    assert_agree(page.result(), cli_json(SAMPLES / sample, {}))  # the defaults
    values = fill_everything(page)
    assert values
    assert_agree(page.result(), cli_json(SAMPLES / sample, values))


@pytest.mark.parametrize("case", SDK_CASES)
def test_every_sdk_example_page_agrees_with_the_cli(
    open_page: Callable[[Path], Page], tmp_path: Path, case: str
) -> None:
    folder = tmp_path / case
    shutil.copytree(CONFORMANCE / case, folder)
    for builder in folder.glob("connectionBuilder.js"):
        builder.write_text(ECHO_BUILDER, encoding="utf-8")
    page = open_page(folder)
    assert_agree(page.result(), cli_json(folder, {}))
    values = fill_everything(page)
    assert_agree(page.result(), cli_json(folder, values))


def test_conditions_show_and_hide_fields_live(open_page: Callable[[Path], Page]) -> None:
    page = open_page(SAMPLES / "acme_jdbc")
    assert page.visible("username") and page.visible("password")
    result = page.set("authentication", "auth-none")
    assert not page.visible("username") and not page.visible("password")
    assert_agree(result, cli_json(SAMPLES / "acme_jdbc", {"authentication": "auth-none"}))
    page.set("authentication", "auth-user-pass")
    assert page.visible("username") and page.visible("password")


def test_sign_in_and_validation_rules_as_you_type(open_page: Callable[[Path], Page]) -> None:
    page = open_page(SAMPLES / "acme_jdbc")
    assert not page.sign_in_enabled()
    page.type_keys("username", "ann")
    page.type_keys("password", "pw")
    result = page.type_keys("server", "bad host!")
    assert [p["problem"] for p in result["problems"]] == ["validation-rule"]
    assert not page.sign_in_enabled()
    assert "does not match" in page.text("cp-dialog")
    page.type_keys("server", "db.example.com")
    assert page.sign_in_enabled()
    assert page.text("cp-url").startswith("jdbc:acme://db.example.com:")


def test_passwords_are_masked(open_page: Callable[[Path], Page]) -> None:
    page = open_page(SAMPLES / "acme_odbc")
    assert [w["type"] for w in page.widgets() if w["name"] == "password"] == ["password"]
    page.type_keys("password", "hunter2;x")
    assert "hunter2" not in page.text("cp-output") and "PWD=********" in page.text("cp-connect-string")


def test_hidden_fields_are_listed_apart_and_advanced_fields_on_their_tab(
    open_page: Callable[[Path], Page], browser: Any
) -> None:
    page = open_page(SAMPLES / "acme_oauth")
    assert not [w for w in page.widgets() if w["name"] == "authentication"]
    assert 'authentication = "oauth"' in page.text("cp-hidden-fields")
    page = open_page(SAMPLES / "acme_jdbc")
    assert not page.visible("v-warehouse")
    browser.execute_script("document.getElementById('cp-tab-advanced').click()")
    assert page.visible("v-warehouse") and not page.visible("server")


def test_v1_dialog_is_labelled_approximate(open_page: Callable[[Path], Page]) -> None:
    page = open_page(SAMPLES / "acme_odbc")
    assert page.driver.execute_script("return !document.getElementById('cp-approx').hidden")


def test_a_label_with_script_tags_stays_text(
    open_page: Callable[[Path], Page], make_connector: Callable[..., Path]
) -> None:
    evil = '</script><script>document.title="pwned"</script><img src=x onerror="document.title=1">'
    escaped = evil.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    folder = make_connector({"fields.xml": BASE_FILES["fields.xml"].replace('label="Server"', f'label="{escaped}"')})
    page = open_page(folder)
    assert page.driver.title.endswith("connection dialog preview")
    assert evil in page.text("cp-general")
    assert page.driver.execute_script("return document.querySelectorAll('img').length") == 0


@pytest.mark.parametrize(
    "body, words",
    [
        ("while (true) {}", "longer than"),
        ("function f(n) { return f(n + 1) + 1; } return [String(f(0))];", "call stack"),
        ("return [require('fs')];", "require is not available"),
        ("return [fetch('https://example.com')];", "fetch is not available"),
        ("var x = new XMLHttpRequest(); return [];", "XMLHttpRequest is not available"),
        ("importScripts('https://example.com/x.js'); return [];", "importScripts is not available"),
        ("return [import('https://example.com/x.js')];", "must return an array of strings"),
        ("var a = []; while (true) { a.push(new Array(1e6).fill(1)); }", "stopped"),  # time limit or worker OOM
    ],
)
def test_hostile_scripts_end_within_the_limits_in_the_page(
    open_page: Callable[[Path], Page], make_connector: Callable[..., Path], body: str, words: str
) -> None:
    folder = make_connector({"builder.js": "(function (attr) {\n" + body + "\n})\n"})
    start = time.monotonic()
    page = open_page(folder)
    assert time.monotonic() - start < 12
    error = page.text("cp-error")
    assert error and words in error
    result = page.set("server", "after")  # the page still works afterwards
    assert result is not None


@pytest.fixture
def loopback_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request it gets (there should be none)."""
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_the_page_and_its_scripts_reach_no_network(
    open_page: Callable[[Path], Page], make_connector: Callable[..., Path], loopback_server: tuple[str, list[str]]
) -> None:
    """What the runtime does not block by name (the prototype's own fetch, a dynamic import) the page's
    Content-Security-Policy refuses, in the worker as in the page."""
    url, hits = loopback_server
    body = (
        f"var u = {json.dumps(url)};\n"
        "try { Object.getPrototypeOf(Object.getPrototypeOf(self)).fetch.call(self, u + '/fetch'); } catch (e) {}\n"
        "try { import(u + '/import.js').catch(function () {}); } catch (e) {}\n"
        "return ['done'];"
    )
    page = open_page(make_connector({"builder.js": "(function (attr) {\n" + body + "\n})\n"}))
    assert page.result()["url"] == "done"
    page.driver.execute_script("try { fetch(arguments[0] + '/page').catch(function () {}); } catch (e) {}", url)
    time.sleep(1.0)
    assert hits == []


def test_the_scripts_cannot_reach_other_pages_of_the_file_origin(
    open_page: Callable[[Path], Page], make_connector: Callable[..., Path], browser: Any
) -> None:
    """A BroadcastChannel reaches every page and worker of the same origin (all of file://): the CSP does not
    close it, so the runtime does; a listener in the page hears nothing."""
    body = (
        "var said = [];\n"
        "['BroadcastChannel', 'WebTransport', 'WebSocketStream', 'webkitRequestFileSystemSync'].forEach("
        "function (n) { try { var c = new self[n]('cp-probe'); c.postMessage('escaped'); said.push(n + ' open'); }"
        " catch (e) { said.push(String(e.message)); } });\n"
        "return [said.join('; ')];"
    )
    page = open_page(make_connector({"builder.js": "(function (attr) {\n" + body + "\n})\n"}))
    heard = browser.execute_async_script(
        "var done = arguments[arguments.length - 1], heard = [], channel = new BroadcastChannel('cp-probe');"
        "channel.onmessage = function (m) { heard.push(m.data); }; window.cpEvaluateNow();"
        "setTimeout(function () { channel.close(); done(heard); }, 1500);"
    )
    assert heard == []
    said = page.wait()["url"]
    assert "open" not in said and said.count("is not available to connector scripts") == 4


def test_a_script_that_pollutes_the_builtins_is_reported_in_the_page(
    open_page: Callable[[Path], Page], make_connector: Callable[..., Path]
) -> None:
    body = "Object.prototype.toJSON = function () { return [1]; }; return ['x'];"
    page = open_page(make_connector({"builder.js": "(function (attr) {\n" + body + "\n})\n"}))
    assert "built-in objects" in page.text("cp-error")
    assert "built-in objects" in str(cli_json(page.folder, {})["error"])  # as the CLI says


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from(list(";{}= ")),
            max_size=12,
        ),
        min_size=2,
        max_size=2,
    )
)
def test_engines_agree_and_odbc_pairs_round_trip(
    open_page: Callable[[Path], Page], make_connector: Callable[..., Path], texts: list[str]
) -> None:
    folder = round_trip_connector(make_connector)
    values = {"v-a": texts[0], "v-b": texts[1]}
    python = cli_json(folder, {**values, "server": "s"})
    assert python["properties"] == {"A": texts[0], "B": texts[1]}  # Parse(Format(...)) gives the values back
    page = open_page(folder)
    page.set("server", "s")
    page.set("v-a", texts[0])
    assert_agree(page.set("v-b", texts[1]), python)


def round_trip_connector(make_connector: Callable[..., Path]) -> Path:
    """Fields v-a and v-b; the URL is their FormatKeyValuePair pairs, the properties that URL parsed back."""
    fields = BASE_FILES["fields.xml"].replace(
        "</connection-fields>",
        '  <field name="v-a" label="A" value-type="string" optional="true"/>\n'
        '  <field name="v-b" label="B" value-type="string" optional="true"/>\n</connection-fields>',
    )
    tdr = BASE_FILES["resolver.tdr"].replace(
        "<attr>password</attr>", "<attr>password</attr><attr>v-a</attr><attr>v-b</attr>"
    )
    return make_connector(
        {
            "fields.xml": fields,
            "resolver.tdr": tdr,
            "builder.js": "(function (attr) { return [[connectionHelper.FormatKeyValuePair('A', attr['v-a']), "
            "connectionHelper.FormatKeyValuePair('B', attr['v-b'])].join(';')]; })",
            "properties.js": "(function (attr) { var url = [connectionHelper.FormatKeyValuePair('A', attr['v-a']), "
            "connectionHelper.FormatKeyValuePair('B', attr['v-b'])].join(';'); "
            "return connectionHelper.ParseODBCConnectString(url); })",
        }
    )


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text(alphabet=st.characters(exclude_categories=("Cs",)) | st.sampled_from(list(";{}= "))))
def test_format_and_parse_round_trip_in_the_embedded_engine(key_tail: str, value: str) -> None:
    key = "K" + "".join(c for c in key_tail if c.isalnum())
    connector = {
        "jdbc": True,
        "fields": [],
        "scripts": [
            {
                "role": "connection-properties",
                "file": "p.js",
                "source": "(function (attr) { return connectionHelper.ParseODBCConnectString("
                "'X=1;' + connectionHelper.FormatKeyValuePair(attr.k, attr.v) + ';Y={;}'); })",
            }
        ],
    }
    result = evaluate(connector, {"k": key, "v": value}, {})
    assert result["properties"] == {"X": "1", key: value, "Y": ";"}


# ---------------------------------------------------------------- screenshots in the docs


@pytest.mark.skipif(not SCREENSHOTS, reason="set CONNECTOR_PACKAGER_SCREENSHOTS=1 to rewrite docs/preview-*.png")
@pytest.mark.parametrize("sample", SAMPLE_CONNECTORS)
def test_take_screenshots(open_page: Callable[[Path], Page], sample: str) -> None:
    page = open_page(SAMPLES / sample)
    typed = {"server": "db.example.com", "username": "ann", "password": "secret"}
    names = {w["name"] for w in page.widgets()}
    for name, value in typed.items():
        if name in names:
            page.set(name, value)
    page.driver.execute_script("window.scrollTo(0, 0)")
    page.driver.save_screenshot(str(DOCS / f"preview-{sample}.png"))
    assert (DOCS / f"preview-{sample}.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("sample", SAMPLE_CONNECTORS)
def test_committed_screenshots_exist(sample: str) -> None:
    picture = DOCS / f"preview-{sample}.png"
    assert picture.is_file(), f"run CONNECTOR_PACKAGER_SCREENSHOTS=1 pytest tests/test_preview.py to make {picture}"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_screenshot_switch_is_documented() -> None:
    assert "CONNECTOR_PACKAGER_SCREENSHOTS" in (REPO / "README.md").read_text(encoding="utf-8")
