"""The core as a library (connector_packager.api): results back, nothing printed, no exit, no click."""

from __future__ import annotations

import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from connector_packager import api
from connector_packager.errors import CannotRun, InputOutputProblem, PackagerError, UsageProblem
from tests.conftest import PYTHON, SAMPLES, snapshot
from tests.openssl_ca import self_signed_code_signer


def test_check_returns_findings_and_prints_nothing(
    make_connector: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    good = api.check(SAMPLES / "acme_odbc")
    assert good.ok and good.kind == "connector" and good.connector is not None
    assert good.connector.class_name == "acme_odbc" and good.connector.min_version_tableau is not None
    bad = api.check(make_connector({"dialect.tdd": "<dialect/>"}))
    assert not bad.ok and not bad.input_unreadable
    assert any(f.rule == "schema" and f.file == "dialect.tdd" for f in bad.findings)
    trex = next(SAMPLES.rglob("*.trex"))
    assert api.check(trex).kind == "trex"
    assert capsys.readouterr() == ("", "")


def test_check_of_a_missing_input_says_it_could_not_read_it(tmp_path: Path) -> None:
    for path in (tmp_path / "nowhere", tmp_path / "nowhere.trex"):
        result = api.check(path)
        assert not result.ok and result.input_unreadable, path
        assert str(path) in result.findings[0].message


def test_strict_makes_warnings_fail(make_connector: Callable[..., Path]) -> None:
    tdd = '<dialect name="Tiny" class="tiny" base="DefaultSQLDialect" version="18.1"/>'
    folder = make_connector({"dialect.tdd": tdd})
    lenient, strict = api.check(folder), api.check(folder, strict=True)
    assert lenient.warning_count > 0 and lenient.error_count == 0
    assert lenient.ok and not strict.ok


def test_check_all_finds_connectors_below_a_folder(tmp_path: Path, make_connector: Callable[..., Path]) -> None:
    make_connector()
    make_connector({"dialect.tdd": "<dialect/>"})
    (tmp_path / "empty").mkdir()
    seen: list[Path] = []

    def each(targets: object) -> list[Path]:
        seen.extend(targets)  # type: ignore[call-overload]
        return seen

    results = api.check_all([tmp_path], recursive=True, each=each)
    assert sorted(Path(r.path).name for r in results) == ["connector0", "connector1"]
    assert [r.ok for r in sorted(results, key=lambda r: r.path)] == [True, False]
    assert [r.findings[0].rule for r in api.check_all([tmp_path / "empty"], recursive=True)] == ["nothing-found"]


def test_build_package_writes_a_taco_and_leaves_the_source(
    sample_copy: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = sample_copy("acme_jdbc")
    before = snapshot(folder)
    built = api.build_package(folder, tmp_path / "out")
    assert built.ok and built.packaged is not None and built.connector is not None
    assert built.packaged.taco == str(tmp_path / "out" / "acme_jdbc-v2.0.1.taco") and not built.packaged.forced
    # what the command line used to log only is in the result: the minimum version, why, and the vendor fields
    assert built.connector.min_version_tableau == "2020.3"
    assert any("Connection Dialogs V2" in reason for reason in built.connector.min_version_reasons)
    assert built.connector.vendor_defined_fields == ("v-warehouse",)
    with zipfile.ZipFile(built.packaged.taco) as archive:
        assert "manifest.xml" in archive.namelist()
    assert snapshot(folder) == before
    assert capsys.readouterr() == ("", "")


def test_build_package_writes_nothing_for_a_failing_connector_unless_forced(
    make_connector: Callable[..., Path], tmp_path: Path
) -> None:
    folder = make_connector({"fields.xml": "<connection-fields><field/></connection-fields>"})
    refused = api.build_package(folder, tmp_path / "out")
    assert not refused.ok and refused.packaged is not None and refused.packaged.taco is None
    assert not (tmp_path / "out").exists()
    forced = api.build_package(folder, tmp_path / "out", force=True)
    assert forced.packaged is not None and forced.packaged.forced and not forced.ok
    assert forced.packaged.taco is not None and Path(forced.packaged.taco).is_file()
    assert forced.connector is not None and forced.connector.min_version_tableau is not None  # worked out to stamp
    only = api.build_package(make_connector(), tmp_path / "other", validate_only=True)
    assert only.ok and only.packaged is not None and only.packaged.taco is None and not (tmp_path / "other").exists()


def test_build_package_raises_the_projects_errors(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_connector()
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageProblem, match="is a file"):
        api.build_package(folder, tmp_path / "file")
    with pytest.raises(UsageProblem, match="inside the connector folder"):
        api.build_package(folder, folder / "out")
    assert issubclass(InputOutputProblem, CannotRun) and issubclass(CannotRun, PackagerError)


def test_inspect_verify_and_sign_return_results(unsigned_taco: Path, tmp_path: Path) -> None:
    info = api.inspect(unsigned_taco)
    assert info.ok and info.command == "inspect" and info.connector is not None and info.archive is not None
    assert info.connector.class_name == "acme_odbc" and info.archive.signers == []
    verdict = api.verify(unsigned_taco)
    assert not verdict.ok and verdict.verification is not None and "not signed" in verdict.verification.verdict
    with pytest.raises(InputOutputProblem, match="does not exist"):
        api.inspect(tmp_path / "missing.taco")
    with pytest.raises(InputOutputProblem, match="does not exist"):
        api.verify(tmp_path / "missing.taco")


def test_sign_with_a_key_file_then_verify(unsigned_taco: Path, tmp_path: Path) -> None:
    from connector_packager.signing.keysource import KeySource

    key, chain = self_signed_code_signer(tmp_path, "API test signer")
    out = tmp_path / "signed.taco"
    result = api.sign(unsigned_taco, KeySource(alias="apitest", key=key, cert_chain=chain, no_timestamp=True), out)
    signed = result.signed
    assert result.ok and result.command == "sign" and signed is not None
    assert signed.taco == out and signed.signature_name == "APITEST" and signed.tsa is None
    with zipfile.ZipFile(out) as archive:
        assert "META-INF/APITEST.SF" in archive.namelist()
    verdict = api.verify(out, truststore=chain).verification
    assert verdict is not None
    assert [signer.name for signer in verdict.signers] == ["APITEST"] and verdict.entries > 0
    assert not verdict.ok  # no timestamp: Tableau refuses it
    assert any("self-signed" in w.message for w in signed.warnings)


def test_the_api_works_without_click() -> None:
    # A library user need not load the command line: importing and using the api leaves click unloaded.
    code = (
        "import sys; from pathlib import Path; from connector_packager import api; "
        f"r = api.check(Path({str(SAMPLES / 'acme_odbc')!r})); "
        "assert r.ok; print('click' in sys.modules)"
    )
    proc = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"
