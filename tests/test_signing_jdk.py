"""Interoperability with the JDK's jarsigner, both ways (skipped without a JDK)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import needs_jdk
from tests.pki import PASSWORD, Pki
from tests.test_sign_verify import cli, rewrite, sign_p12, verify
from tests.tsa_server import LoopbackTsa

pytestmark = needs_jdk
TRUSTPASS = "trustpass"


def java_truststore(pki: Pki, folder: Path, storetype: str = "PKCS12") -> Path:
    """A Java truststore holding the test root, made by keytool."""
    store = folder / f"trust.{storetype.lower()}"
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
            str(store),
            "-storetype",
            storetype,
            "-storepass",
            TRUSTPASS,
        ],
        check=True,
        capture_output=True,
    )
    return store


def jarsigner_verify(taco: Path, truststore: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["jarsigner", "-verify", "-strict", "-keystore", str(truststore), "-storepass", TRUSTPASS, str(taco)],
        capture_output=True,
        text=True,
    )


def jarsigner_sign(pki: Pki, taco: Path, tsa: LoopbackTsa, leaf_name: str = "codesign") -> None:
    keystore = pki.write_p12(getattr(pki, leaf_name), f"jdk-{leaf_name}")
    subprocess.run(
        [
            "jarsigner",
            "-keystore",
            str(keystore),
            "-storetype",
            "PKCS12",
            "-storepass",
            PASSWORD,
            "-tsa",
            tsa.url,
            str(taco),
            "author",
        ],
        check=True,
        capture_output=True,
        text=True,
    )


def test_our_signature_passes_jarsigner_strict_without_warnings(
    pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, tmp_path: Path
) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    checked = jarsigner_verify(unsigned_taco, java_truststore(pki, tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "jar verified." in checked.stdout
    assert "Warning" not in checked.stdout + checked.stderr, checked.stdout


def test_our_ec_signature_passes_jarsigner_strict(
    pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, tmp_path: Path
) -> None:
    key, chain = pki.write_pem(pki.ec_codesign, "ec")
    assert (
        cli("sign", unsigned_taco, "--key", key, "--cert-chain", chain, "--alias", "author", "--tsa", tsa.url).exit_code
        == 0
    )
    checked = jarsigner_verify(unsigned_taco, java_truststore(pki, tmp_path))
    assert checked.returncode == 0 and "Warning" not in checked.stdout, checked.stdout + checked.stderr


def test_a_jarsigner_signature_passes_verify(pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path) -> None:
    jarsigner_sign(pki, unsigned_taco, tsa)
    result = verify(pki, unsigned_taco)
    assert result.exit_code == 0, result.output
    assert "timestamp:   " in result.output and "CN=Test TSA" in result.output


def test_a_jarsigner_signature_with_a_tls_certificate_is_refused(
    pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path
) -> None:
    jarsigner_sign(pki, unsigned_taco, tsa, "tls_only")
    result = verify(pki, unsigned_taco)
    assert result.exit_code == 1
    assert "Tableau will refuse this connector: Bad key usage" in result.output


@pytest.mark.parametrize("signer", ["ours", "jarsigner"])
@pytest.mark.parametrize(
    ("change", "add"),
    [
        ({"manifest.xml": b"<connector-plugin/>"}, None),
        ({}, {"extra.js": b"alert(1)"}),
        ({"dialect.tdd": None}, None),
        ({"META-INF/AUTHOR.SF": b"Signature-Version: 1.0\r\nCreated-By: someone else\r\n\r\n"}, None),
    ],
    ids=["entry-edited", "entry-added", "entry-removed", "sf-edited"],
)
def test_changes_after_signing_are_refused_by_both(
    pki: Pki,
    tsa: LoopbackTsa,
    unsigned_taco: Path,
    tmp_path: Path,
    signer: str,
    change: dict[str, bytes | None],
    add: dict[str, bytes] | None,
) -> None:
    if signer == "ours":
        assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    else:
        jarsigner_sign(pki, unsigned_taco, tsa)
    truststore = java_truststore(pki, tmp_path)
    assert jarsigner_verify(unsigned_taco, truststore).returncode == 0
    assert verify(pki, unsigned_taco).exit_code == 0
    rewrite(unsigned_taco, change, add)
    theirs = jarsigner_verify(unsigned_taco, truststore)
    if "dialect.tdd" in change:  # jarsigner -strict flags a removed entry with a warning only, and exits 0
        assert "This jar contains signed entries for files that do not exist" in theirs.stdout, theirs.stdout
    else:
        assert theirs.returncode != 0, theirs.stdout + theirs.stderr
    ours = verify(pki, unsigned_taco)
    assert ours.exit_code == 1
    assert "Tableau will refuse this connector" in ours.output


def test_a_jks_truststore_made_by_keytool(pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, tmp_path: Path) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    jks = java_truststore(pki, tmp_path, "JKS")
    assert verify(pki, unsigned_taco, "--truststore-pass", TRUSTPASS, truststore=jks).exit_code == 0
    wrong = verify(pki, unsigned_taco, "--truststore-pass", "wrong", truststore=jks)
    assert wrong.exit_code == 2 and "fails its integrity check" in wrong.output  # cannot be read: exit 2
    (tmp_path / "p12").mkdir()
    p12 = java_truststore(pki, tmp_path / "p12")
    assert verify(pki, unsigned_taco, "--truststore-pass", TRUSTPASS, truststore=p12).exit_code == 0


def test_a_jks_signing_keystore_is_refused_with_the_conversion_command(unsigned_taco: Path, tmp_path: Path) -> None:
    jks = tmp_path / "signing.jks"
    subprocess.run(
        [
            "keytool",
            "-genkeypair",
            "-keystore",
            str(jks),
            "-storetype",
            "JKS",
            "-storepass",
            "changeit",
            "-keypass",
            "changeit",
            "-alias",
            "author",
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-dname",
            "CN=JKS Author",
            "-noprompt",
        ],
        check=True,
        capture_output=True,
    )
    result = cli(
        "sign", unsigned_taco, "--keystore", jks, "--alias", "author", "--storepass", "changeit", "--no-timestamp"
    )
    assert result.exit_code == 2  # a format the tool does not read: exit 2
    command = (
        f"keytool -importkeystore -srckeystore {jks} -srcstoretype JKS -destkeystore "
        f"{tmp_path / 'signing.p12'} -deststoretype PKCS12"
    )
    assert command in result.output
    converted = subprocess.run(
        [*command.split(), "-srcstorepass", "changeit", "-deststorepass", "changeit", "-noprompt"],
        capture_output=True,
        text=True,
    )
    assert converted.returncode == 0, converted.stderr


def test_the_system_java_cacerts_is_read(pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path) -> None:
    cacerts = Path("/etc/ssl/certs/java/cacerts")
    if not cacerts.is_file():
        pytest.skip("no Java cacerts at /etc/ssl/certs/java/cacerts")
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    result = verify(pki, unsigned_taco, truststore=cacerts)
    assert result.exit_code == 1  # the test root is not a public CA
    assert "the signer's certificate chain is not validated" in result.output
