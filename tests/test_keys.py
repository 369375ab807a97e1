"""From nothing to a signed connector without a JDK: key new, csr, a CA (openssl ca) signs, import-cert, package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.conftest import SAMPLES, has_jdk, needs_jdk, snapshot
from tests.openssl_ca import OpensslCa, openssl
from tests.pki import Pki
from tests.test_sign_verify import cli
from tests.test_signing_jdk import TRUSTPASS
from tests.tsa_server import LoopbackTsa

STOREPASS = "keystore-pass"
ENV = {"KS_PASS": STOREPASS}


def in_keystore(*args: str | Path) -> list[str | Path]:
    return [*args, "--storepass-env", "KS_PASS"]


def new_key(keystore: Path, *extra: str, alias: str = "author") -> None:
    made = cli("key", "new", *in_keystore("--alias", alias, "--keystore", keystore), *extra, env=ENV)
    assert made.exit_code == 0, made.output


def request(keystore: Path, out: Path, *extra: str) -> Path:
    made = cli("csr", *in_keystore("--alias", "author", "--keystore", keystore), "-o", out, *extra, env=ENV)
    assert made.exit_code == 0, made.output
    return out


def jarsigner_verify(taco: Path, ca_trust: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    store = folder / "jdk-ca_trust.p12"
    for index, cert in enumerate(x509.load_pem_x509_certificates(ca_trust.read_bytes())):
        pem = folder / f"trusted{index}.pem"
        pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        subprocess.run(
            [
                "keytool",
                "-importcert",
                "-noprompt",
                "-alias",
                f"root{index}",
                "-file",
                str(pem),
                "-keystore",
                str(store),
                "-storetype",
                "PKCS12",
                "-storepass",
                TRUSTPASS,
            ],
            check=True,
            capture_output=True,
        )
    return subprocess.run(
        ["jarsigner", "-verify", "-strict", "-keystore", str(store), "-storepass", TRUSTPASS, str(taco)],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("key_type", ["rsa-3072", "ec-p384"])
def test_key_csr_ca_import_package_verify(
    openssl_ca: OpensslCa, tsa: LoopbackTsa, ca_trust: Path, tmp_path: Path, key_type: str
) -> None:
    keystore = tmp_path / "author.p12"
    new_key(keystore, "--key-type", key_type, "--subject", "CN=Acme Connectors,O=Acme Inc,C=US")
    csr = request(keystore, tmp_path / "author.csr", "--email", "dev@acme.example", "--san", "dns:acme.example")
    verified = subprocess.run(["openssl", "req", "-verify", "-noout", "-in", str(csr)], capture_output=True, text=True)
    assert verified.returncode == 0 and "verify OK" in verified.stdout + verified.stderr
    parsed = x509.load_pem_x509_csr(csr.read_bytes())
    assert parsed.subject.rfc4514_string() == "CN=Acme Connectors,O=Acme Inc,C=US"
    assert parsed.signature_hash_algorithm is not None and parsed.signature_hash_algorithm.name == "sha256"
    alternative = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert alternative.get_values_for_type(x509.RFC822Name) == ["dev@acme.example"]
    reply = openssl_ca.reply(csr, tmp_path / "reply.pem")
    imported = cli(
        "import-cert",
        reply,
        *in_keystore("--alias", "author", "--keystore", keystore),
        "--truststore",
        ca_trust,
        env=ENV,
    )
    assert imported.exit_code == 0, imported.output
    assert "OpenSSL Test Intermediate" in imported.output
    store = pkcs12.load_pkcs12(keystore.read_bytes(), STOREPASS.encode())
    assert store.cert is not None and store.cert.friendly_name == b"author"
    expected = rsa.RSAPrivateKey if key_type.startswith("rsa") else ec.EllipticCurvePrivateKey
    assert isinstance(store.key, expected)
    assert [c.certificate.subject.rfc4514_string() for c in store.additional_certs] == [
        "CN=OpenSSL Test Intermediate,O=OpenSSL Test CA",
        "CN=OpenSSL Test Root,O=OpenSSL Test CA",
    ]
    packaged = cli(
        "package",
        SAMPLES / "acme_odbc",
        "-d",
        tmp_path / "out",
        "-l",
        tmp_path,
        *in_keystore("--keystore", keystore, "--alias", "author"),
        "--tsa",
        tsa.url,
        env=ENV,
    )
    assert packaged.exit_code == 0, packaged.output
    [taco] = (tmp_path / "out").glob("*.taco")
    ours = cli("verify", taco, "--truststore", ca_trust)
    assert ours.exit_code == 0, ours.output
    assert ours.output.splitlines()[-1] == "Tableau will load this connector"
    if has_jdk("jarsigner", "keytool"):
        theirs = jarsigner_verify(taco, ca_trust, tmp_path)
        assert theirs.returncode == 0 and "jar verified." in theirs.stdout, theirs.stdout + theirs.stderr


@needs_jdk
@pytest.mark.parametrize("key_type", ["rsa-3072", "rsa-4096", "ec-p256", "ec-p384"])
def test_keytool_lists_our_keystores(tmp_path: Path, key_type: str) -> None:
    keystore = tmp_path / "k.p12"
    new_key(keystore, "--key-type", key_type, "--subject", "CN=Listed")
    listed = subprocess.run(
        ["keytool", "-list", "-v", "-keystore", str(keystore), "-storepass", STOREPASS], capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "Alias name: author" in listed.stdout and "PrivateKeyEntry" in listed.stdout
    size = key_type.split("-")[1].lstrip("p")
    assert f"{size}-bit {'RSA' if key_type.startswith('rsa') else 'EC'}" in listed.stdout


@needs_jdk
def test_a_keytool_keystore_and_request_take_our_import_cert(
    openssl_ca: OpensslCa, tsa: LoopbackTsa, ca_trust: Path, tmp_path: Path
) -> None:
    keystore = tmp_path / "keytool.p12"
    keytool = ["-keystore", str(keystore), "-storepass", STOREPASS, "-alias", "signer"]
    subprocess.run(
        [
            "keytool",
            "-genkeypair",
            *keytool,
            "-storetype",
            "PKCS12",
            "-keyalg",
            "RSA",
            "-keysize",
            "3072",
            "-dname",
            "CN=Keytool Author,O=Acme Inc,C=US",
        ],
        check=True,
        capture_output=True,
    )
    csr = tmp_path / "keytool.csr"
    subprocess.run(["keytool", "-certreq", *keytool, "-file", str(csr)], check=True, capture_output=True)
    reply = openssl_ca.reply(csr, tmp_path / "reply.pem", with_root=False)
    imported = cli(
        "import-cert",
        reply,
        "--alias",
        "signer",
        "--keystore",
        keystore,
        "--storepass-env",
        "KS_PASS",
        "--truststore",
        ca_trust,
        env=ENV,
    )
    assert imported.exit_code == 0, imported.output
    listed = subprocess.run(["keytool", "-list", "-v", *keytool], capture_output=True, text=True, check=True).stdout
    assert "Certificate chain length: 3" in listed and "Issuer: CN=OpenSSL Test Intermediate" in listed
    taco = tmp_path / "out" / "acme_odbc-v1.2.0.taco"
    packaged = cli(
        "package",
        SAMPLES / "acme_odbc",
        "-d",
        tmp_path / "out",
        "-l",
        tmp_path,
        "--keystore",
        keystore,
        "--alias",
        "signer",
        "--storepass-env",
        "KS_PASS",
        "--tsa",
        tsa.url,
        env=ENV,
    )
    assert packaged.exit_code == 0, packaged.output
    assert cli("verify", taco, "--truststore", ca_trust).exit_code == 0
    assert "jar verified." in jarsigner_verify(taco, ca_trust, tmp_path).stdout


@pytest.mark.parametrize("form", ["der", "p7b-der", "p7b-pem"])
def test_replies_as_der_and_pkcs7(openssl_ca: OpensslCa, ca_trust: Path, tmp_path: Path, form: str) -> None:
    keystore = tmp_path / "k.p12"
    new_key(keystore, "--subject", "CN=Reply Forms")
    pem_reply = openssl_ca.reply(request(keystore, tmp_path / "r.csr"), tmp_path / "reply.pem")
    leaf = pem_reply.with_suffix(".leaf.pem")
    store = tmp_path / "trust-with-intermediate.pem"
    if form == "der":
        reply = tmp_path / "reply.cer"
        openssl("x509", "-in", str(leaf), "-outform", "DER", "-out", str(reply))
        # the chain comes from the store
        store.write_bytes(ca_trust.read_bytes() + openssl_ca.intermediate.read_bytes())
    else:
        reply = tmp_path / "reply.p7b"
        openssl("crl2pkcs7", "-nocrl", "-certfile", str(pem_reply), "-outform", form[4:].upper(), "-out", str(reply))
        store = ca_trust
    imported = cli(
        "import-cert", reply, *in_keystore("--alias", "author", "--keystore", keystore), "--truststore", store, env=ENV
    )
    assert imported.exit_code == 0, imported.output
    exported = cli("export-cert", *in_keystore("--alias", "author", "--keystore", keystore), "--chain", env=ENV)
    assert exported.exit_code == 0
    chain = x509.load_pem_x509_certificates(exported.stdout.encode())
    assert [c.subject.rfc4514_string() for c in chain] == [
        "CN=Reply Forms",
        "CN=OpenSSL Test Intermediate,O=OpenSSL Test CA",
        "CN=OpenSSL Test Root,O=OpenSSL Test CA",
    ]
    assert chain[0] == x509.load_pem_x509_certificate(leaf.read_bytes())


def test_bad_replies_are_explained_and_change_nothing(openssl_ca: OpensslCa, ca_trust: Path, tmp_path: Path) -> None:
    keystore = tmp_path / "k.p12"
    new_key(keystore, "--subject", "CN=Careful Author")
    other = tmp_path / "other.p12"
    new_key(other, "--subject", "CN=Someone Else")
    csr = request(keystore, tmp_path / "r.csr")
    other_csr = cli("csr", *in_keystore("--alias", "author", "--keystore", other), "-o", tmp_path / "o.csr", env=ENV)
    assert other_csr.exit_code == 0
    cases = [
        (
            openssl_ca.reply(tmp_path / "o.csr", tmp_path / "wrong-key.pem"),
            ca_trust,
            f"the reply {tmp_path / 'wrong-key.pem'} holds no certificate for this key (it holds: CN=Someone Else",
        ),
        (
            openssl_ca.reply(csr, tmp_path / "tls.pem", extensions="tls_server"),
            ca_trust,
            "cannot sign code: its extended key usage (serverAuth) does not include codeSigning",
        ),
        (
            openssl_ca.reply(csr, tmp_path / "no-intermediate.pem", with_intermediate=False),
            ca_trust,
            f"the chain in the reply {tmp_path / 'no-intermediate.pem'} is incomplete: CN=Careful Author was issued by "
            "CN=OpenSSL Test Intermediate,O=OpenSSL Test CA, "
            "which is neither in the reply nor a trusted root",
        ),
    ]
    before = snapshot(tmp_path)
    for reply, store, message in cases:
        result = cli(
            "import-cert",
            reply,
            *in_keystore("--alias", "author", "--keystore", keystore),
            "--truststore",
            store,
            env=ENV,
        )
        assert result.exit_code == 1, result.output
        assert message in result.output, result.output
        assert "Traceback" not in result.output
    assert snapshot(tmp_path) == before
    assert "add the intermediate CA certificate CN=OpenSSL Test Intermediate" in result.output
    junk = tmp_path / "junk.cer"
    junk.write_bytes(b"\x30\x03\x02\x01\x01")
    unreadable = cli("import-cert", junk, *in_keystore("--alias", "author", "--keystore", keystore), env=ENV)
    assert unreadable.exit_code == 2 and "holds no certificate" in unreadable.output
    missing = cli(
        "import-cert", tmp_path / "none.pem", *in_keystore("--alias", "author", "--keystore", keystore), env=ENV
    )
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_key_new_never_overwrites(tmp_path: Path) -> None:
    keystore = tmp_path / "k.p12"
    new_key(keystore)
    before = keystore.read_bytes()
    again = cli("key", "new", *in_keystore("--alias", "other", "--keystore", keystore), env=ENV)
    assert again.exit_code == 2 and "already exists; it is left as it is" in again.output
    assert keystore.read_bytes() == before
    assert oct(keystore.stat().st_mode & 0o777) == "0o600"
    short = cli("key", "new", "--alias", "a", "--keystore", tmp_path / "short.p12", "--storepass", "abc")
    assert short.exit_code == 2 and "at least 6 characters" in short.output
    bad = cli(
        "key", "new", *in_keystore("--alias", "a", "--keystore", tmp_path / "s.p12"), "--subject", "O=No CN", env=ENV
    )
    assert bad.exit_code == 2 and "has no CN=" in bad.output
    assert not (tmp_path / "short.p12").exists() and not (tmp_path / "s.p12").exists()


def test_a_keystore_with_other_entries_is_not_rewritten(
    openssl_ca: OpensslCa, pki: Pki, ca_trust: Path, tmp_path: Path
) -> None:
    keystore = tmp_path / "shared.p12"
    new_key(keystore, "--subject", "CN=Shared")
    csr = request(keystore, tmp_path / "r.csr")
    store = pkcs12.load_pkcs12(keystore.read_bytes(), STOREPASS.encode())
    assert store.key is not None and store.cert is not None
    keystore.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"author",
            store.key,
            store.cert.certificate,  # type: ignore[arg-type]
            [pkcs12.PKCS12Certificate(pki.other_root.cert, b"someone-elses-root")],
            serialization.BestAvailableEncryption(STOREPASS.encode()),
        )
    )
    before = keystore.read_bytes()
    reply = openssl_ca.reply(csr, tmp_path / "reply.pem")
    result = cli(
        "import-cert",
        reply,
        *in_keystore("--alias", "author", "--keystore", keystore),
        "--truststore",
        ca_trust,
        env=ENV,
    )
    assert result.exit_code == 1 and "holds other entries besides 'author' (someone-elses-root)" in result.output
    assert keystore.read_bytes() == before


def test_self_signed_development_key(pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, tmp_path: Path) -> None:
    keystore = tmp_path / "dev.p12"
    made = cli(
        "key",
        "new",
        *in_keystore("--alias", "dev", "--keystore", keystore),
        "--self-signed",
        "--subject",
        "CN=Dev Build",
        env=ENV,
    )
    assert made.exit_code == 0
    assert "SELF-SIGNED DEVELOPMENT CERTIFICATE" in made.output
    assert "-DDisableVerifyConnectorPluginSignature=true" in made.output
    signed = cli(
        "sign", unsigned_taco, *in_keystore("--alias", "dev", "--keystore", keystore), "--tsa", tsa.url, env=ENV
    )
    assert signed.exit_code == 0 and "is self-signed" in signed.output
    exported = cli(
        "export-cert", *in_keystore("--alias", "dev", "--keystore", keystore), "-o", tmp_path / "dev.pem", env=ENV
    )
    assert exported.exit_code == 0
    trusted = tmp_path / "trusted.pem"
    trusted.write_bytes((tmp_path / "dev.pem").read_bytes() + pki.root.pem)
    assert cli("verify", unsigned_taco, "--truststore", trusted).exit_code == 0
    refused = cli("verify", unsigned_taco, "--truststore", pki.root_pem)
    assert refused.exit_code == 1 and "CN=Dev Build is self-signed and not in the truststore" in refused.output


def test_sign_warns_when_the_chain_may_lack_an_intermediate(pki: Pki, unsigned_taco: Path, tmp_path: Path) -> None:
    key, full_chain = pki.write_pem(pki.codesign, "gap")
    leaf_only = tmp_path / "leaf-only.pem"
    leaf_only.write_bytes(pki.codesign.pem)
    copy = tmp_path / "copy.taco"
    shutil.copy(unsigned_taco, copy)
    gap = cli("sign", unsigned_taco, "--key", key, "--cert-chain", leaf_only, "--alias", "a", "--no-timestamp")
    assert gap.exit_code == 0, gap.output
    assert (
        f"the certificate chain stops at {pki.codesign.cert.subject.rfc4514_string()}, issued by "
        f"{pki.intermediate.cert.subject.rfc4514_string()}, which is neither in the chain nor a trusted root"
    ) in gap.output
    whole = cli("sign", copy, "--key", key, "--cert-chain", full_chain, "--alias", "a", "--no-timestamp")
    assert whole.exit_code == 0 and "chain stops" not in whole.output


def test_the_keystore_password_is_asked_for_at_a_terminal(tmp_path: Path) -> None:
    from tests.test_sign_verify import run_at_a_terminal

    keystore = tmp_path / "k.p12"
    new_key(keystore, "--subject", "CN=Asked")
    out = tmp_path / "asked.csr"
    args = [
        sys.executable,
        "-m",
        "connector_packager",
        "csr",
        "--alias",
        "author",
        "--keystore",
        str(keystore),
        "-o",
        str(out),
    ]
    status, output = run_at_a_terminal(args, STOREPASS, b"Password of the keystore")
    assert status == 0, output
    assert STOREPASS not in output
    assert x509.load_pem_x509_csr(out.read_bytes()).subject.rfc4514_string() == "CN=Asked"


def test_the_key_type_choices_are_the_key_types() -> None:
    """The command lists them without importing cryptography (for a fast --help); they must stay the same."""
    import click

    from connector_packager.cli_keys import key_new_command
    from connector_packager.signing.key_types import DEFAULT_KEY_TYPE, KEY_TYPES

    [option] = [p for p in key_new_command.params if p.name == "key_type"]
    assert isinstance(option.type, click.Choice) and list(option.type.choices) == list(KEY_TYPES)
    assert option.default == DEFAULT_KEY_TYPE
