"""One JSON report for every command: each command's `--format json` output, on passing and on failing input,
validates against the schema the package ships, carries only registered rule ids, and is alone on standard output."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from connector_packager.catalogue import is_registered
from connector_packager.cli import main, package_command
from connector_packager.formats import FORMATS, FORMATTERS, JSON_REPORT_VERSION
from tests.conftest import BASE_FILES
from tests.pki import PASSWORD, Pki
from tests.tsa_server import LoopbackTsa

SCHEMA = json.loads(resources.files("connector_packager").joinpath("report_schema.json").read_text())
STOREPASS_ENV = "TEST_JSON_STOREPASS"


def run(*args: str | Path, command: Any = main, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """Run a command with --format json; its standard output must be exactly one report that the schema accepts."""
    result = CliRunner().invoke(command, [*(str(a) for a in args), "--format", "json"], env=env, catch_exceptions=False)
    report: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["version"] == JSON_REPORT_VERSION == 2
    for each in report["results"]:
        for finding in each["findings"]:
            assert is_registered(finding["rule"]), finding
    assert report["ok"] == all(each["ok"] for each in report["results"])
    assert report["ok"] == (result.exit_code == 0), (result.exit_code, result.stderr)
    return result.exit_code, report


@pytest.fixture
def broken(make_connector: Callable[..., Path]) -> Path:
    return make_connector({"manifest.xml": BASE_FILES["manifest.xml"].replace("https://", "http://")})


def test_the_format_names_are_the_formatter_table() -> None:
    assert FORMATS == tuple(FORMATTERS) == ("text", "json", "github")


def test_validate(make_connector: Callable[..., Path], broken: Path) -> None:
    code, report = run("validate", make_connector(), broken)
    assert code == 1 and report["command"] == "validate"
    good, bad = report["results"]
    assert good["ok"] and good["connector"]["min_version_tableau"] == "2020.3"
    assert good["connector"]["min_version_reasons"] and good["package"] is None
    assert not bad["ok"] and {f["rule"] for f in bad["findings"]} == {"url-not-https"}


def test_package_reports_the_taco_the_minimum_version_with_reasons_and_vendor_fields(
    sample_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    code, report = run(sample_copy("acme_jdbc"), "-d", tmp_path / "out", "-l", tmp_path, command=package_command)
    assert code == 0 and report["command"] == "package"
    (result,) = report["results"]
    assert result["package"] == {"taco": str(tmp_path / "out" / "acme_jdbc-v2.0.1.taco"), "forced": False}
    assert Path(result["package"]["taco"]).is_file()
    connector = result["connector"]
    assert connector["min_version_tableau"] == "2020.3"
    assert any("Connection Dialogs V2" in reason for reason in connector["min_version_reasons"])
    assert connector["vendor_defined_fields"] == ["v-warehouse"]


def test_package_of_a_failing_connector(broken: Path, tmp_path: Path) -> None:
    code, report = run(broken, "-d", tmp_path / "out", "-l", tmp_path, command=package_command)
    assert code == 1 and report["results"][0]["package"] == {"taco": None, "forced": False}
    code, forced = run(broken, "-d", tmp_path / "out", "-l", tmp_path, "--force-package", command=package_command)
    assert code == 1 and forced["results"][0]["package"]["forced"] is True
    assert Path(forced["results"][0]["package"]["taco"]).is_file()


def test_package_validate_only_of_a_trex(tmp_path: Path) -> None:
    trex = tmp_path / "bad.trex"
    trex.write_text("<manifest/>")
    code, report = run(trex, "--validate-only", "-l", tmp_path, command=package_command)
    assert code == 1 and report["results"][0]["kind"] == "trex" and report["results"][0]["findings"]


def test_inspect(unsigned_taco: Path, tmp_path: Path) -> None:
    code, report = run("inspect", unsigned_taco)
    assert code == 0 and report["command"] == "inspect"
    (result,) = report["results"]
    assert result["kind"] == "taco" and result["connector"]["class"] == "acme_odbc"
    names = [entry["name"] for entry in result["archive"]["entries"]]
    assert "META-INF/MANIFEST.MF" in names and "manifest.xml" in names
    assert result["archive"]["signature_files"] == [] and result["findings"] == []

    import zipfile

    stray = tmp_path / "stray.taco"
    with zipfile.ZipFile(unsigned_taco) as source, zipfile.ZipFile(stray, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("nobody-uses-me.js", "x")
    code, failing = run("inspect", stray)
    assert code == 1 and failing["results"][0]["archive"]["unreferenced"] == ["nobody-uses-me.js"]
    (stray_finding,) = failing["results"][0]["findings"]
    assert stray_finding["rule"] == "taco-entry-unreferenced" and stray_finding["file"] == "nobody-uses-me.js"
    assert stray_finding["path"] == str(stray)
    github = CliRunner().invoke(main, ["inspect", str(stray), "--format", "github"])
    assert github.exit_code == 1
    assert github.stdout.splitlines() == [
        f"::error file={stray},title=taco-entry-unreferenced::an entry that no "
        "connector file references: nobody-uses-me.js (hint: package the connector "
        "folder again: `package` writes only the files it references)"
    ]


def test_sign_and_verify(unsigned_taco: Path, pki: Pki, tsa: LoopbackTsa, tmp_path: Path) -> None:
    keystore = pki.write_p12(pki.codesign, "signer")
    signed = tmp_path / "signed.taco"
    code, report = run(
        "sign",
        unsigned_taco,
        "-o",
        signed,
        "--keystore",
        keystore,
        "--alias",
        "author",
        "--storepass-env",
        STOREPASS_ENV,
        "--tsa",
        tsa.url,
        env={STOREPASS_ENV: PASSWORD},
    )
    assert code == 0 and report["command"] == "sign"
    section = report["results"][0]["signed"]
    assert report["results"][0]["findings"] == []  # a CA-issued certificate and a timestamp: nothing to warn about
    assert (section["taco"], section["signature"], section["tsa"]) == (str(signed), "AUTHOR", tsa.url)

    code, verified = run("verify", signed, "--truststore", pki.root_pem)
    assert code == 0 and verified["command"] == "verify"
    verification = verified["results"][0]["verification"]
    assert verification["verdict"] == "Tableau will load this connector"
    assert [signer["name"] for signer in verification["signers"]] == ["AUTHOR"]

    code, refused = run("verify", unsigned_taco, "--truststore", pki.root_pem)
    assert code == 1 and refused["results"][0]["verification"]["verdict"].startswith("Tableau will refuse")
    assert [f["rule"] for f in refused["results"][0]["findings"]] == ["sig-unsigned"]


def test_a_report_that_breaks_the_shape_is_refused(make_connector: Callable[..., Path]) -> None:
    # the schema is strict: these would pass a lax one, so a drift between writer and schema shows
    _, report = run("validate", make_connector())
    for break_it in (
        lambda r: r.update(version=1),
        lambda r: r["results"][0].pop("connector"),
        lambda r: r["results"][0].update(extra=1),
        lambda r: r.update(command="install"),
        lambda r: r["results"][0]["connector"].update(min_version_reasons="2020.3"),
    ):
        copy = json.loads(json.dumps(report))
        break_it(copy)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(copy, SCHEMA)


@pytest.mark.parametrize("force", [False, True])
def test_python_dash_o_gives_the_same_report(broken: Path, tmp_path: Path, force: bool) -> None:
    """No behaviour hangs on an assert: the report is the same with asserts stripped (python -O)."""
    import subprocess

    from tests.conftest import PYTHON

    reports = []
    for flags in ([], ["-O"]):
        dest = tmp_path / f"out{len(reports)}"
        proc = subprocess.run(
            [
                PYTHON,
                *flags,
                "-m",
                "connector_packager.package",
                str(broken),
                "-d",
                str(dest),
                "-l",
                str(tmp_path),
                "--format",
                "json",
                *(["--force-package"] if force else []),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 1, proc.stderr
        report = json.loads(proc.stdout)
        jsonschema.validate(report, SCHEMA)
        taco = report["results"][0]["package"]["taco"]
        report["results"][0]["package"]["taco"] = taco and Path(taco).name
        reports.append(report)
    assert reports[0] == reports[1]
    assert (reports[0]["results"][0]["package"]["taco"] is not None) == force
