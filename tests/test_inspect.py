"""``connector-packager inspect``: reading a .taco back."""

from __future__ import annotations

import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from connector_packager.cli import main
from connector_packager.packaging import package
from connector_packager.validation import check_connector
from tests.conftest import needs_jdk


def inspect(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["inspect", str(path)], catch_exceptions=False)
    return result.exit_code, result.output


def test_describes_a_packaged_sample(sample_copy: Callable[[str], Path], tmp_path: Path) -> None:
    taco = package(check_connector(sample_copy("acme_oauth")), tmp_path / "out")
    code, out = inspect(taco)
    assert code == 0, out
    assert "Acme Cloud (OAuth) (class acme_cloud, version 3.1.0)" in out
    assert "min-version-tableau: 2021.4" in out
    assert "unsigned" in out
    assert "oauthConfig.xml" in out
    assert "OK: a well-formed connector archive" in out


def test_flags_entries_no_file_references(sample_copy: Callable[[str], Path], tmp_path: Path) -> None:
    taco = package(check_connector(sample_copy("acme_jdbc")), tmp_path / "out")
    with zipfile.ZipFile(taco, "a") as jar:
        jar.writestr("notes.txt", "left over")
    code, out = inspect(taco)
    assert code == 1
    assert "no connector file references: notes.txt [taco-entry-unreferenced]" in out


def test_flags_unsafe_paths_and_unstamped_manifests(tmp_path: Path, sample_copy: Callable[[str], Path]) -> None:
    src = sample_copy("acme_odbc")

    def hand_made(name: str, *extra: str) -> Path:
        taco = tmp_path / name
        with zipfile.ZipFile(taco, "w") as jar:
            jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
            for path in sorted(src.iterdir()):
                jar.writestr(path.name, path.read_bytes())
            for entry in extra:
                jar.writestr(entry, "//")
        return taco

    code, out = inspect(hand_made("escape.taco", "../escape.js", "ok/../../up.js"))
    assert code == 1
    assert "'../escape.js' has a '..' component" in out and "'ok/../../up.js' has a '..' component" in out
    assert not (tmp_path / "escape.js").exists() and not (tmp_path.parent / "up.js").exists()
    code, out = inspect(hand_made("plain.taco"))
    assert code == 1
    assert "not stamped" in out


def test_not_a_zip_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.taco"
    junk.write_bytes(b"PK\x03\x04 not really")
    code, out = inspect(junk)
    assert code == 1
    assert "is not a .taco (zip) file" in out
    code, out = inspect(tmp_path / "missing.taco")
    assert code == 2
    assert "does not exist" in out


@needs_jdk
def test_reports_signature_files_of_a_jarsigner_signed_taco(sample_copy: Callable[[str], Path], tmp_path: Path) -> None:
    taco = package(check_connector(sample_copy("acme_odbc")), tmp_path / "out")
    keystore = tmp_path / "ks.p12"
    subprocess.run(
        [
            "keytool",
            "-genkeypair",
            "-keystore",
            str(keystore),
            "-storetype",
            "PKCS12",
            "-storepass",
            "changeit",
            "-alias",
            "author",
            "-keyalg",
            "RSA",
            "-dname",
            "CN=Author",
            "-validity",
            "2",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["jarsigner", "-keystore", str(keystore), "-storepass", "changeit", str(taco), "author"],
        check=True,
        capture_output=True,
    )
    code, out = inspect(taco)
    assert code == 0, out
    assert "signature files present for AUTHOR" in out
    assert "not checked here: run connector-packager verify" in out


def test_the_description_escapes_names_but_keeps_hints_on_their_own_line(tmp_path: Path) -> None:
    from connector_packager.findings import Finding, Severity
    from connector_packager.formats import render
    from connector_packager.results import archive_result
    from connector_packager.taco_info import Entry, TacoInfo

    info = TacoInfo(tmp_path / "x.taco", entries=[Entry("ok.js", 1, 1)])
    info.problems = [Finding(Severity.ERROR, "taco-entry-unreferenced", "entry 'a\nb' forged\u202e", "a\nb")]
    info.findings = [Finding(Severity.ERROR, "file-missing", "something is wrong", "ok.js", 3, hint="do this")]
    lines = render("text", [archive_result(info)]).split("\n")
    assert all(line.isprintable() for line in lines)
    assert any(line.strip() == "hint: do this" for line in lines)
    assert "  problem: entry 'a\\x0ab' forged\\u202e [taco-entry-unreferenced]" in lines
