"""The command line: options, exit codes, output, and what it writes where."""

from __future__ import annotations

import os
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from connector_packager import __version__
from connector_packager.cli import main, package_command
from tests.conftest import BASE_FILES, PYTHON, REPO, SAMPLE_CONNECTORS, snapshot


def run(args: list[str], cwd: Path | None = None) -> Result:
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(package_command, args, catch_exceptions=False)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(package_command, args, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.mark.parametrize("name", SAMPLE_CONNECTORS)
def test_samples_package_cleanly(name: str, sample_copy: Callable[[str], Path], tmp_path: Path) -> None:
    src = sample_copy(name)
    before = snapshot(src)
    result = run([str(src), "-d", str(tmp_path / "out"), "-l", str(tmp_path / "logs")])
    assert result.exit_code == 0, result.output
    assert "Validation succeeded." in result.output
    [taco] = list((tmp_path / "out").iterdir())
    assert f"{taco.name} was created in {(tmp_path / 'out').resolve()}" in result.output
    assert snapshot(src) == before
    assert (tmp_path / "logs" / "packaging_log.txt").is_file()


def test_validate_only_writes_no_taco(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    result = run([str(make_connector()), "--validate-only", "-d", str(tmp_path / "out"), "-l", str(tmp_path)])
    assert result.exit_code == 0
    assert not (tmp_path / "out").exists()


def test_invalid_connector_exits_1_with_located_messages(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_connector({"builder.js": None})
    result = run([str(folder), "-d", str(tmp_path / "out"), "-l", str(tmp_path)])
    assert result.exit_code == 1
    expected = f"{folder}/resolver.tdr:4: error: builder.js is referenced but does not exist [file-missing]"
    assert expected in result.output
    log_file = (tmp_path / "packaging_log.txt").resolve()
    assert f"Validation failed. Check {log_file} for more information." in result.output
    assert not (tmp_path / "out").exists()
    log = log_file.read_text()
    assert "[ERROR] | " in log and "[DEBUG] | " in log


def test_verbose_shows_debug_lines(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    quiet = run([str(make_connector()), "--validate-only", "-l", str(tmp_path)])
    loud = run([str(make_connector()), "--validate-only", "-l", str(tmp_path), "-v"])
    assert "Adding file to list" not in quiet.output
    assert "Adding file to list (name = builder.js, type = script)" in loud.output


def test_dest_given_twice_is_a_usage_error(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    result = run([str(make_connector()), "-d", "a", "--dest", "b", "-l", str(tmp_path)])
    assert result.exit_code == 2
    assert "-d/--dest may be given only once" in result.output


def test_unknown_option_is_a_usage_error() -> None:
    assert run(["x", "--frobnicate"]).exit_code == 2


def test_backwards_compatible_forgives_missing_authentication(
    make_connector: Callable[..., Path], tmp_path: Path
) -> None:
    fields = BASE_FILES["fields.xml"].replace('name="authentication"', 'name="v-auth"')
    tdr = BASE_FILES["resolver.tdr"].replace("<attr>authentication</attr>", "<attr>v-auth</attr>")
    folder = make_connector({"fields.xml": fields, "resolver.tdr": tdr})
    assert run([str(folder), "--validate-only", "-l", str(tmp_path)]).exit_code == 1
    lenient = run([str(folder), "--validate-only", "-l", str(tmp_path), "--backwards-compatible"])
    assert lenient.exit_code == 0
    assert "[authentication-field-missing]" in lenient.output


def test_force_package_writes_a_taco_but_still_fails(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    fields = BASE_FILES["fields.xml"].replace('name="server"', 'name="warehouse"')
    folder = make_connector({"fields.xml": fields})
    result = run([str(folder), "--force-package", "-d", str(tmp_path / "out"), "-l", str(tmp_path)])
    assert result.exit_code == 1
    assert "--force-package" in result.output
    assert (tmp_path / "out" / "tiny-v1.0.0.taco").is_file()


def test_default_dest_and_log_are_relative_to_the_working_directory(
    make_connector: Callable[..., Path], tmp_path: Path
) -> None:
    folder = make_connector()
    work = tmp_path / "work"
    work.mkdir()
    result = run([str(folder)], cwd=work)
    assert result.exit_code == 0, result.output
    assert (work / "packaged-connector" / "tiny-v1.0.0.taco").is_file()
    assert (work / "packaging_log.txt").is_file()


def test_log_dir_is_created_but_not_its_parents(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    ok = run([str(make_connector()), "--validate-only", "-l", str(tmp_path / "new")])
    assert ok.exit_code == 0
    assert (tmp_path / "new" / "packaging_log.txt").is_file()
    bad = run([str(make_connector()), "--validate-only", "-l", str(tmp_path / "no" / "such" / "dir")])
    assert bad.exit_code == 2
    assert "cannot create the log folder" in bad.output


def test_dest_inside_the_input_or_a_file_is_refused(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_connector()
    before = snapshot(folder)
    inside = run([str(folder), "-d", str(folder / "out"), "-l", str(tmp_path)])
    assert inside.exit_code == 2
    assert "inside the connector folder" in inside.output
    (tmp_path / "file").write_text("x")
    assert run([str(folder), "-d", str(tmp_path / "file"), "-l", str(tmp_path)]).exit_code == 2
    assert run([str(folder), "-l", str(folder)]).exit_code == 2
    assert snapshot(folder) == before


def test_existing_taco_is_replaced(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "tiny-v1.0.0.taco").write_bytes(b"old")
    assert run([str(make_connector()), "-d", str(out), "-l", str(tmp_path)]).exit_code == 0
    assert zipfile.is_zipfile(out / "tiny-v1.0.0.taco")
    assert sorted(p.name for p in out.iterdir()) == ["tiny-v1.0.0.taco"]


def test_group_has_version_help_and_the_same_package_command(
    make_connector: Callable[..., Path], tmp_path: Path
) -> None:
    runner = CliRunner()
    assert __version__ in runner.invoke(main, ["--version"]).output
    assert "package" in runner.invoke(main, ["--help"]).output
    result = runner.invoke(main, ["package", str(make_connector()), "--validate-only", "-l", str(tmp_path)])
    assert result.exit_code == 0
    assert "Validation succeeded." in result.output


def test_no_color_and_non_tty_output_is_plain(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    result = run([str(make_connector({"builder.js": None})), "--validate-only", "-l", str(tmp_path)])
    assert "\x1b[" not in result.output


def test_module_runs_from_another_directory_as_a_real_process(
    sample_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    src = sample_copy("acme_jdbc")
    before = snapshot(src)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    proc = subprocess.run(
        [PYTHON, "-m", "connector_packager.package", str(src), "--dest", "out"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env={**os.environ, "FORCE_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert (elsewhere / "out" / "acme_jdbc-v2.0.1.taco").is_file()
    assert "\x1b[" in proc.stderr  # FORCE_COLOR turns colour on even without a terminal
    assert "Traceback" not in proc.stderr
    assert snapshot(src) == before
    failing = subprocess.run(
        [PYTHON, "-m", "connector_packager.package", str(tmp_path / "missing")],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert failing.returncode == 2
    assert f"{tmp_path / 'missing'} does not exist" in failing.stdout  # a finding: the result, on stdout
    usage = subprocess.run([PYTHON, "-m", "connector_packager.package"], cwd=elsewhere, capture_output=True, text=True)
    assert usage.returncode == 2
    assert "Usage: python -m connector_packager.package" in usage.stderr


def test_console_script_is_installed() -> None:
    proc = subprocess.run(
        [str(Path(PYTHON).parent / "connector-packager"), "--version"], capture_output=True, text=True, cwd=REPO.parent
    )
    assert proc.returncode == 0
    assert __version__ in proc.stdout


def test_package_module_checks_a_trex_with_validate_only(tmp_path: Path) -> None:
    trex = REPO / "samples" / "extensions" / "kpi-tiles.trex"
    ok = run([str(trex), "--validate-only", "-l", str(tmp_path)])
    assert ok.exit_code == 0
    assert "Validation succeeded." in ok.output
    bad = tmp_path / "bad.trex"
    bad.write_text(trex.read_text().replace("https://extensions.acme.example", "http://extensions.acme.example"))
    failed = run([str(bad), "--validate-only", "-l", str(tmp_path)])
    assert failed.exit_code == 1
    assert f"{tmp_path}/bad.trex:10: error: url" in failed.output and "[source-url-scheme]" in failed.output
    assert run([str(trex), "-l", str(tmp_path)]).exit_code == 2  # .trex files are not packaged


def test_packaging_without_signing_options_does_not_import_the_signing_code(tmp_path: Path) -> None:
    """Signing pulls in cryptography and asn1crypto; a plain package run must not pay for them."""
    proc = subprocess.run(
        [
            PYTHON,
            "-X",
            "importtime",
            "-m",
            "connector_packager.package",
            str(REPO / "samples" / "acme_odbc"),
            "-d",
            str(tmp_path / "out"),
            "-l",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time")}
    assert "connector_packager.archive.taco_writer" in imported  # the check sees real imports
    assert (
        not {name for name in imported if name.split(".")[0] in ("cryptography", "asn1crypto")}
        and "connector_packager.signing" not in imported
    )
