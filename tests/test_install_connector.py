"""install: verified tacos go where Tableau loads connectors from, per platform, atomically; never the real home."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connector_packager.errors import UsageProblem
from connector_packager.install import install_folder, install_taco
from connector_packager.signing.truststore import TrustStore
from tests.conftest import SAMPLES, snapshot
from tests.pki import Pki
from tests.test_sign_verify import cli, sign_p12
from tests.tsa_server import LoopbackTsa


def taco_of_version(tmp_path: Path, version: str, *, class_name: str = "acme_odbc") -> Path:
    """The acme_odbc sample packaged with another plugin-version (and class), unsigned."""
    from connector_packager.packaging import package
    from connector_packager.validation import check_connector

    folder = tmp_path / f"src-{class_name}-{version}"
    shutil.copytree(SAMPLES / "acme_odbc", folder)
    for path in folder.iterdir():
        if path.suffix in (".xml", ".tcd", ".tdr", ".tdd"):
            text = path.read_text(encoding="utf-8").replace('plugin-version="1.2.0"', f'plugin-version="{version}"')
            path.write_text(text.replace('class="acme_odbc"', f'class="{class_name}"'), encoding="utf-8")
    report = check_connector(folder)
    assert report.ok, report.findings
    return package(report, tmp_path / f"out-{class_name}-{version}")


def signed_taco(pki: Pki, tsa: LoopbackTsa, tmp_path: Path, version: str, class_name: str = "acme_odbc") -> Path:
    taco = taco_of_version(tmp_path, version, class_name=class_name)
    assert sign_p12(pki, taco, tsa).exit_code == 0
    return taco


@pytest.mark.parametrize(
    ("platform", "product", "variable", "expected"),
    [
        ("win32", "desktop", "USERPROFILE", "Documents/My Tableau Repository/Connectors"),
        ("win32", "prep", "USERPROFILE", "Documents/My Tableau Prep Repository/Connectors"),
        ("win32", "server", "ProgramFiles", "Tableau/Connectors"),
        ("darwin", "desktop", "HOME", "Documents/My Tableau Repository/Connectors"),
        ("darwin", "prep", "HOME", "Documents/My Tableau Prep Repository/Connectors"),
    ],
)
def test_each_platform_installs_into_its_folder(
    pki: Pki, tsa: LoopbackTsa, tmp_path: Path, platform: str, product: str, variable: str, expected: str
) -> None:
    home = tmp_path / "fake-home"
    home.mkdir()
    folder = install_folder(product, platform, {variable: str(home)})
    assert folder == home / expected
    taco = signed_taco(pki, tsa, tmp_path, "1.2.0")
    done = install_taco(taco, folder, TrustStore([pki.root.cert], "the test root"))
    assert done.created_folder and done.verification.ok
    assert (folder / taco.name).read_bytes() == taco.read_bytes()
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file()) == [f"{expected}/{taco.name}"]


def test_folders_that_do_not_exist_for_a_platform() -> None:
    assert install_folder("server", "linux", {}) == Path("/opt/tableau/connectors")
    assert install_folder("server", "win32", {}) == Path("C:\\Program Files") / "Tableau" / "Connectors"
    for product, platform, env, message in [
        ("desktop", "linux", {"HOME": "/h"}, "do not run on linux"),
        ("server", "darwin", {"HOME": "/h"}, "does not run on macOS"),
        ("desktop", "win32", {}, "USERPROFILE is not set"),
    ]:
        with pytest.raises(UsageProblem, match=message):
            install_folder(product, platform, env)


def install(taco: Path, *args: str | Path, home: Path, root: Path) -> tuple[int, str]:
    result = cli("install", taco, "--truststore", root, *args, env={"HOME": str(home), "USERPROFILE": str(home)})
    return result.exit_code, result.output


def test_a_newer_version_replaces_the_older_one_and_a_newer_one_is_kept(
    pki: Pki, tsa: LoopbackTsa, tmp_path: Path
) -> None:
    dest, home = tmp_path / "Connectors", tmp_path / "home"
    old, new, newest = (signed_taco(pki, tsa, tmp_path, v) for v in ("1.2.0", "1.10.0", "2.0"))
    other = signed_taco(pki, tsa, tmp_path, "0.1", class_name="acme_other")
    for taco in (old, other):
        code, output = install(taco, "--dest", dest, home=home, root=pki.root_pem)
        assert code == 0, output
    code, output = install(new, "--dest", dest, home=home, root=pki.root_pem)
    assert code == 0, output
    assert f"Replaced the older {old.name} (version 1.2.0)." in output
    assert sorted(p.name for p in dest.iterdir()) == sorted([new.name, other.name])
    assert (dest / new.name).read_bytes() == new.read_bytes()
    code, output = install(new, "--dest", dest, home=home, root=pki.root_pem)  # the same one again
    assert code == 0 and f"Replaced {dest / new.name} (version 1.10.0)." in output
    older = signed_taco(pki, tsa, tmp_path / "again", "1.0")
    code, output = install(older, "--dest", dest, home=home, root=pki.root_pem)
    assert code == 0
    assert f"{new.name} holds version 1.10.0 of the class acme_odbc, newer than 1.0: Tableau loads that one" in output
    assert (dest / new.name).exists() and (dest / older.name).exists()
    before = snapshot(dest)
    code, output = install(newest, "--dest", dest, "--dry-run", home=home, root=pki.root_pem)
    assert code == 0 and f"Would install {dest / newest.name}" in output and "Would replace the older" in output
    assert snapshot(dest) == before


def test_an_unsigned_or_untrusted_taco_is_refused_unless_allowed(pki: Pki, tsa: LoopbackTsa, tmp_path: Path) -> None:
    dest, home = tmp_path / "Connectors", tmp_path / "home"
    unsigned = taco_of_version(tmp_path, "1.2.0")
    code, output = install(unsigned, "--dest", dest, home=home, root=pki.root_pem)
    assert code == 1
    assert "not installed: Tableau will refuse this connector: the .taco is not signed" in output
    assert "-DDisableVerifyConnectorPluginSignature=true" in output
    assert not dest.exists()
    signed = signed_taco(pki, tsa, tmp_path / "s", "1.2.0")
    code, output = install(signed, "--dest", dest, home=home, root=_other_root(pki, tmp_path))
    assert code == 1 and "the signer's certificate chain is not validated" in output
    code, output = install(unsigned, "--dest", dest, "--allow-unsigned", home=home, root=pki.root_pem)
    assert code == 0, output
    assert (
        "Warning: Tableau will refuse it (the .taco is not signed) unless started with "
        "-DDisableVerifyConnectorPluginSignature=true" in output
    )
    assert (dest / unsigned.name).read_bytes() == unsigned.read_bytes()


def _other_root(pki: Pki, tmp_path: Path) -> Path:
    path = tmp_path / "other-root.pem"
    path.write_bytes(pki.other_root.pem)
    return path


def test_an_interrupted_install_leaves_no_partial_file(
    pki: Pki, tsa: LoopbackTsa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C cannot be timed for real in a test, so it is raised where the copy is flushed to disk."""
    dest, home = tmp_path / "Connectors", tmp_path / "home"
    old, new = signed_taco(pki, tsa, tmp_path, "1.2.0"), signed_taco(pki, tsa, tmp_path, "1.3")
    assert install(old, "--dest", dest, home=home, root=pki.root_pem)[0] == 0
    before = snapshot(dest)

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    code, output = install(new, "--dest", dest, home=home, root=pki.root_pem)
    assert code == 130 and "Interrupted" in output
    assert snapshot(dest) == before  # no partial file, the older version untouched


def test_linux_defaults_to_tableau_server(pki: Pki, tsa: LoopbackTsa, tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the default product is Tableau Server on Linux only")
    taco = signed_taco(pki, tsa, tmp_path, "1.2.0")
    code, output = install(taco, "--dry-run", home=tmp_path, root=pki.root_pem)
    assert code == 0, output
    assert f"Would install /opt/tableau/connectors/{taco.name} for Tableau Server." in output
    code, output = install(taco, "--for", "desktop", home=tmp_path, root=pki.root_pem)
    assert code == 2 and "do not run on linux" in output and "--dest" in output


def test_each_step_names_the_next_at_a_terminal_only(
    pki: Pki, tsa: LoopbackTsa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_sign_verify import PASSWORD, STOREPASS_ENV, run_at_a_terminal

    keystore = pki.write_p12(pki.codesign, "hints")
    out = tmp_path / "out"
    base = [sys.executable, "-m", "connector_packager"]
    package = [*base, "package", str(SAMPLES / "acme_odbc"), "-d", str(out), "-l", str(tmp_path)]
    taco = out / "acme_odbc-v1.2.0.taco"
    sign = [
        *base,
        "sign",
        str(taco),
        "--keystore",
        str(keystore),
        "--alias",
        "author",
        "--storepass-env",
        STOREPASS_ENV,
        "--tsa",
        tsa.url,
    ]
    verify = [*base, "verify", str(taco), "--truststore", str(pki.root_pem)]
    monkeypatch.setenv(STOREPASS_ENV, PASSWORD)
    steps = [
        (package, f"Next: sign it: connector-packager sign {taco}"),
        (sign, f"Next: check it as Tableau will: connector-packager verify {taco}"),
        (verify, f"Next: install it where Tableau loads connectors from: connector-packager install {taco}"),
    ]
    for args, hint in steps:
        status, output = run_at_a_terminal(args, "", b"\x00never asked")
        assert status == 0, output
        assert hint in output
    piped = subprocess.run(verify, capture_output=True, text=True)
    assert piped.returncode == 0 and "Next:" not in piped.stdout + piped.stderr
    assert piped.stdout.splitlines()[-1] == "Tableau will load this connector"
