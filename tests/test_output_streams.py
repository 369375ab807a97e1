"""Where output goes, decided once (README, "Standard output and standard error"): the result on standard output,
the run's log, progress, prompts and hints on standard error; and `package` prints the result as `validate` does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from connector_packager.cli import main, package_command
from connector_packager.logsetup import LOG_FILE_NAME
from tests.conftest import BASE_FILES
from tests.openssl_ca import self_signed_code_signer


def invoke(command: object, *args: str | Path) -> Result:
    return CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)  # type: ignore[arg-type]


@pytest.fixture
def failing(make_connector: Callable[..., Path]) -> Path:
    manifest = BASE_FILES["manifest.xml"].replace("https://", "http://")
    tdd = '<dialect name="Tiny" class="tiny" base="DefaultSQLDialect" version="18.1"/>'
    return make_connector({"manifest.xml": manifest, "dialect.tdd": tdd})  # an error and a warning


@pytest.mark.parametrize("connector", ["failing", "passing"])
def test_package_prints_the_same_result_as_validate(
    connector: str, failing: Path, make_connector: Callable[..., Path], tmp_path: Path
) -> None:
    folder = failing if connector == "failing" else make_connector()
    validated = invoke(main, "validate", folder)
    packaged = invoke(package_command, folder, "-d", tmp_path / "out", "-l", tmp_path)
    assert validated.exit_code == packaged.exit_code == (1 if connector == "failing" else 0)
    assert packaged.stdout == validated.stdout  # the same finding lines and the same summary, on stdout
    findings = [line for line in validated.stdout.splitlines() if ": error: " in line or ": warning: " in line]
    assert bool(findings) == (connector == "failing")
    # the log narrative is on stderr, never a finding line; the log file has both
    verdict = "Validation failed." if connector == "failing" else "Validation succeeded."
    assert verdict in packaged.stderr and verdict not in packaged.stdout
    assert not any(line in packaged.stderr for line in findings)
    log = (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert all(line in log for line in findings) and verdict in log
    if connector == "passing":
        assert "was created in" in packaged.stderr and "Detected minimum Tableau version required" in packaged.stderr


def test_verbose_debug_lines_stay_on_stderr(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    result = invoke(package_command, make_connector(), "-v", "--validate-only", "-l", tmp_path)
    assert result.exit_code == 0
    assert "Adding file to list" in result.stderr and "Adding file to list" not in result.stdout


def test_inspect_sign_and_verify_print_their_result_on_stdout(unsigned_taco: Path, tmp_path: Path) -> None:
    inspected = invoke(main, "inspect", unsigned_taco)
    assert inspected.exit_code == 0 and inspected.stderr == ""
    assert (
        inspected.stdout.splitlines()[0] == str(unsigned_taco)
        and "OK: a well-formed connector archive" in inspected.stdout
    )

    key, chain = self_signed_code_signer(tmp_path, "Streams test signer")
    signed = tmp_path / "signed.taco"
    sign = invoke(
        main, "sign", unsigned_taco, "-o", signed, "--key", key, "--cert-chain", chain, "--alias", "a", "--no-timestamp"
    )
    assert sign.exit_code == 0 and sign.stderr == ""  # the Next: hint is for a terminal only
    lines = sign.stdout.splitlines()
    assert lines[-1] == f"Signed {signed} as A without a timestamp."
    assert any("self-signed" in line and line.endswith("[sign-self-signed]") for line in lines[:-1])

    verified = invoke(main, "verify", signed, "--truststore", chain)
    assert verified.exit_code == 1 and verified.stderr == ""
    assert verified.stdout.splitlines()[-1].startswith("Tableau will refuse this connector: ")  # the verdict last
