"""verify's default trust, as Tableau trusts: a Java runtime's cacerts when one is found, else certifi's roots."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import certifi
import pytest

from connector_packager.signing.truststore import default_truststore, java_cacerts
from tests.conftest import PYTHON, needs_jdk
from tests.pki import Pki
from tests.test_sign_verify import sign_p12
from tests.tsa_server import LoopbackTsa

_JAVA_ON_PATH = shutil.which("java")
JAVA = Path(os.path.realpath(_JAVA_ON_PATH)) if _JAVA_ON_PATH else None


def fake_java_home(pki: Pki, folder: Path, layout: str = "lib/security/cacerts", storetype: str = "JKS") -> Path:
    """A folder shaped like a Java runtime: bin/java, and a cacerts (made by keytool) trusting the test root."""
    (folder / "bin").mkdir(parents=True)
    (folder / "bin" / "java").write_text("#!/bin/sh\nexit 0\n")
    (folder / "bin" / "java").chmod(0o755)
    cacerts = folder / layout
    cacerts.parent.mkdir(parents=True)
    subprocess.run(
        [
            "keytool",
            "-importcert",
            "-noprompt",
            "-alias",
            "testroot",
            "-file",
            str(pki.root_pem),
            "-keystore",
            str(cacerts),
            "-storetype",
            storetype,
            "-storepass",
            "changeit",
        ],
        check=True,
        capture_output=True,
    )
    return folder


def run_verify(taco: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "connector_packager", "verify", str(taco), *extra], env=env, capture_output=True, text=True
    )


def bare_env(**extra: str) -> dict[str, str]:
    """The environment without JAVA_HOME, with PATH holding no java unless ``extra`` sets it."""
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "PATH")}
    return {**env, "PATH": "", **extra}


@needs_jdk
@pytest.mark.parametrize(
    ("layout", "storetype"),
    [("lib/security/cacerts", "JKS"), ("lib/security/cacerts", "PKCS12"), ("jre/lib/security/cacerts", "JKS")],
)
def test_java_home_cacerts_is_the_default_truststore(
    pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, tmp_path: Path, layout: str, storetype: str
) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    home = fake_java_home(pki, tmp_path / "jdk", layout, storetype)
    result = run_verify(unsigned_taco, bare_env(JAVA_HOME=str(home)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"truststore:  {home / layout} (the Java runtime's cacerts, found through JAVA_HOME)" in result.stdout
    assert result.stdout.splitlines()[-1] == "Tableau will load this connector"
    report = json.loads(run_verify(unsigned_taco, bare_env(JAVA_HOME=str(home)), "--format", "json").stdout)
    assert report["results"][0]["verification"]["truststore"].startswith(str(home / layout))


@needs_jdk
def test_java_on_path_is_found_through_its_links(
    pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, tmp_path: Path
) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    home = fake_java_home(pki, tmp_path / "jdk")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "java").symlink_to(home / "bin" / "java")
    result = run_verify(unsigned_taco, bare_env(PATH=str(tmp_path / "bin")))
    assert result.returncode == 0, result.stdout + result.stderr
    cacerts = home / "lib/security/cacerts"
    assert (
        f"{cacerts} (the Java runtime's cacerts, found through java on PATH at {tmp_path / 'bin' / 'java'})"
        in result.stdout
    )


@needs_jdk
def test_the_real_jdk_cacerts_through_java_home(pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path) -> None:
    assert JAVA is not None
    home = JAVA.parent.parent
    store = default_truststore({"JAVA_HOME": str(home)}, lambda _: None)
    assert store.source.startswith(str(home / "lib/security/cacerts"))
    listed = subprocess.run(
        ["keytool", "-list", "-cacerts", "-storepass", "changeit"],
        capture_output=True,
        text=True,
        env={**os.environ, "JAVA_HOME": str(home)},
        check=True,
    ).stdout
    assert f"contains {len(store.certificates)} entries" in listed
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    refused = run_verify(unsigned_taco, bare_env(JAVA_HOME=str(home)))
    assert refused.returncode == 1  # the throwaway root is no public CA
    assert "the signer's certificate chain is not validated" in refused.stdout


def test_without_a_java_runtime_the_bundled_roots_are_used(
    pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, tmp_path: Path
) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    empty_home = tmp_path / "not-a-jdk"
    empty_home.mkdir()
    for env in (bare_env(), bare_env(JAVA_HOME=str(empty_home))):
        result = run_verify(unsigned_taco, env)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"truststore:  {certifi.where()} (the public roots bundled with certifi" in result.stdout
        assert "Traceback" not in result.stderr
    store = default_truststore({}, lambda _: None)
    assert store.certificates and all(c.issuer == c.subject for c in store.certificates[:20])
    assert java_cacerts({"JAVA_HOME": str(empty_home)}, lambda _: None) is None


def test_an_explicit_truststore_is_named(pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    result = run_verify(unsigned_taco, dict(os.environ), "--truststore", str(pki.root_pem))
    assert result.returncode == 0, result.stdout
    assert f"  truststore:  {pki.root_pem}\n" in result.stdout
