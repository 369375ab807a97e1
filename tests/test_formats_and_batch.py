"""Machine-readable output (JSON, GitHub annotations), batch validation, and the pre-commit hook."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from connector_packager.cli import main, package_command
from tests.conftest import BASE_FILES, PYTHON, REPO, SAMPLES, write_files

SCHEMA = json.loads(resources.files("connector_packager").joinpath("report_schema.json").read_text())
GITHUB_LINE = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def validate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def parse_github(output: str) -> list[dict[str, str]]:
    """Read GitHub workflow commands back into their parts, undoing the escaping."""

    def unescape(text: str) -> str:
        return (
            text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")
        )

    parsed = []
    for line in output.splitlines():
        match = GITHUB_LINE.match(line)
        assert match, f"not a workflow command: {line!r}"
        entry = {"level": match.group(1), "message": unescape(match.group("message"))}
        for prop in match.group("props").split(","):
            key, value = prop.split("=", 1)
            entry[key] = unescape(value)
        parsed.append(entry)
    return parsed


@pytest.fixture
def broken(make_connector: Callable[..., Path]) -> Path:
    fields = BASE_FILES["fields.xml"].replace('name="server"', 'name="warehouse"')
    manifest = BASE_FILES["manifest.xml"].replace("https://example.com/support", "http://example.com/a,b:c")
    # The builder reads the renamed field, so that the script checks have nothing to add.
    builder = BASE_FILES["builder.js"].replace("attr.server", "attr.warehouse")
    return make_connector({"fields.xml": fields, "manifest.xml": manifest, "builder.js": builder})


def test_json_report_matches_its_documented_shape(broken: Path, make_connector: Callable[..., Path]) -> None:
    good = make_connector()
    code, out = validate(str(good), str(broken), str(SAMPLES / "extensions" / "kpi-tiles.trex"), "--format", "json")
    assert code == 1
    report: dict[str, Any] = json.loads(out)
    jsonschema.validate(report, SCHEMA)
    assert report["version"] == 2 and report["ok"] is False
    first, second, trex = report["results"]
    identity = first["connector"]
    assert (first["ok"], identity["class"], identity["min_version_tableau"]) == (True, "tiny", "2020.3")
    assert second["ok"] is False and second["errors"] == 3
    rules = {f["rule"] for f in second["findings"]}
    assert rules == {"url-not-https", "field-name-not-allowed", "field-not-in-attribute-list"}
    url = next(f for f in second["findings"] if f["rule"] == "url-not-https")
    assert (url["file"], url["path"], url["line"]) == ("manifest.xml", f"{broken}/manifest.xml", 5)
    assert trex["kind"] == "trex" and trex["ok"] is True and trex["connector"] is None


def test_github_annotations_parse_back(broken: Path) -> None:
    code, out = validate(str(broken), "--format", "github")
    assert code == 1
    annotations = parse_github(out)
    url = next(a for a in annotations if a["title"] == "url-not-https")
    assert url == {
        "level": "error",
        "file": f"{broken}/manifest.xml",
        "line": "5",
        "title": "url-not-https",
        "message": "only https:// URLs are allowed, <support-link> has url='http://example.com/a,b:c'",
    }
    assert {a["title"] for a in annotations} == {
        "url-not-https",
        "field-name-not-allowed",
        "field-not-in-attribute-list",
    }


def test_package_json_output_goes_to_stdout(tmp_path: Path, make_connector: Callable[..., Path]) -> None:
    result = CliRunner().invoke(
        package_command,
        [str(make_connector()), "-d", str(tmp_path / "out"), "-l", str(tmp_path), "--format", "json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["results"][0]["package"]["taco"] == str(tmp_path / "out" / "tiny-v1.0.0.taco")
    assert "Validation succeeded." in result.stderr


def test_batch_over_samples_and_generated_broken_connectors(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SAMPLES, repo / "samples")
    for i in range(5):  # broken copies: each loses a different referenced file or gains a bad field
        target = repo / "broken" / f"c{i}"
        shutil.copytree(SAMPLES / "acme_jdbc", target)
        if i % 2:
            (target / "connectionBuilder.js").unlink()
        else:
            write_files(
                target,
                {
                    "connectionFields.xml": (target / "connectionFields.xml")
                    .read_text()
                    .replace('name="port"', 'name="portnumber"')
                },
            )
    (repo / "broken" / "bad.trex").write_text("<manifest/>")
    (repo / ".git" / "x").mkdir(parents=True)
    shutil.copytree(SAMPLES / "acme_odbc", repo / ".git" / "x" / "hidden")  # hidden folders are not searched
    code, out = validate(str(repo), "--recursive")
    assert code == 1
    table = out.splitlines()
    # 3 sample connectors + 2 sample .trex, 5 broken + 1 bad .trex; the totals count the finding lines
    errors = sum(1 for line in table if ": error: " in line)
    warnings = [line for line in table if ": warning: " in line]
    assert errors >= 6
    # the three copies whose 'port' field was renamed: their builder still reads attr.port
    assert len(warnings) == 3 and all("[script-unknown-attribute]" in line for line in warnings), warnings
    assert table[-1] == f"11 checked, 6 failed (8 connectors, 3 .trex files; {errors} errors, 3 warnings)"
    assert sum(1 for line in table if line.startswith("FAIL ")) == 6
    assert sum(1 for line in table if line.startswith("ok ")) == 5
    code, _ = validate(str(repo / "samples"), "--recursive")
    assert code == 0


def test_folder_without_manifest_needs_recursive(tmp_path: Path) -> None:
    code, out = validate(str(tmp_path))
    assert code == 1
    assert "manifest.xml is missing" in out


def test_changed_files_map_to_their_connector(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "acme_odbc", tmp_path / "c")
    code, out = validate("--files", str(tmp_path / "c" / "dialect.tdd"), str(tmp_path / "notes.xml"))
    assert code == 0
    assert out.splitlines()[-1] == "1 checked, 0 failed (1 connector, 0 .trex files; 0 errors, 0 warnings)"
    assert validate("--files", str(tmp_path / "notes.xml"))[0] == 0


@pytest.mark.slow
def test_pre_commit_hook_runs_for_real(tmp_path: Path) -> None:
    """The repository's .pre-commit-hooks.yaml, run by the real pre-commit on a throwaway repository."""
    project = tmp_path / "project"
    shutil.copytree(SAMPLES / "acme_jdbc", project / "connectors" / "acme")
    env = {
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "PATH": str(Path(PYTHON).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)

    # The hook repository: this working tree as it is now, committed into a throwaway git repository.
    hook_repo = tmp_path / "hook-repo"
    shutil.copytree(
        REPO,
        hook_repo,
        ignore=shutil.ignore_patterns(
            ".git", ".ci-venv", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "packaged-connector"
        ),
    )
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "hook"]):
        subprocess.run(["git", *args], cwd=hook_repo, env=env, check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    hook = [PYTHON, "-m", "pre_commit", "try-repo", str(hook_repo), "connector-packager-validate", "--all-files"]
    ok = subprocess.run(hook, cwd=project, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Passed" in ok.stdout
    fields = project / "connectors" / "acme" / "connectionFields.xml"
    fields.write_text(fields.read_text().replace('name="port"', 'name="portnumber"'))
    git("add", ".")
    bad = subprocess.run(hook, cwd=project, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "Failed" in bad.stdout
    assert "connectors/acme/connectionFields.xml:6: error: field name 'portnumber' is not allowed" in bad.stdout
