"""The key made on a real PKCS#11 token (SoftHSM2), never leaving it: key new, csr, openssl ca, import-cert, sign."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from tests.conftest import PYTHON, SAMPLES, has_jdk
from tests.openssl_ca import OpensslCa
from tests.pki import Pki
from tests.test_keys import jarsigner_verify
from tests.test_pkcs11 import PIN, Token, new_token
from tests.tsa_server import LoopbackTsa

LABEL = "keygen"


@pytest.fixture(scope="module")
def fresh_token(tmp_path_factory: pytest.TempPathFactory) -> Token:
    """An initialised, empty SoftHSM2 token of this module's own."""
    return new_token(tmp_path_factory.mktemp("softhsm-keygen"), LABEL)


def run(token: Token, *args: str | Path, label: str = LABEL) -> subprocess.CompletedProcess[str]:
    """A command with the token's options (the PIN through the environment)."""
    return subprocess.run(
        [
            PYTHON,
            "-m",
            "connector_packager",
            *map(str, args),
            "--pkcs11-module",
            str(token.module),
            "--token-label",
            label,
            "--pin-env",
            "TOKEN_PIN",
        ],
        env={**token.env, "TOKEN_PIN": PIN},
        capture_output=True,
        text=True,
    )


KEY_ATTRIBUTES = """
import sys, pkcs11
from pkcs11 import Attribute, ObjectClass
module, token, pin, label = sys.argv[1:]
with pkcs11.lib(module).get_token(token_label=token).open(user_pin=pin) as session:
    key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
    print(key[Attribute.SENSITIVE], key[Attribute.EXTRACTABLE], key[Attribute.LOCAL], key[Attribute.NEVER_EXTRACTABLE])
"""


@pytest.mark.parametrize(("alias", "key_type"), [("hsm-rsa", "rsa-3072"), ("hsm-ec", "ec-p256")])
def test_key_generated_on_the_token_to_a_signed_connector(
    fresh_token: Token,
    openssl_ca: OpensslCa,
    ca_trust: Path,
    tsa: LoopbackTsa,
    tmp_path: Path,
    alias: str,
    key_type: str,
) -> None:
    made = run(fresh_token, "key", "new", "--alias", alias, "--key-type", key_type)
    assert made.returncode == 0, made.stderr
    assert "generated there, it cannot be exported" in made.stderr
    flags = subprocess.run(
        [PYTHON, "-c", KEY_ATTRIBUTES, str(fresh_token.module), LABEL, PIN, alias],
        env=fresh_token.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert flags == ["True", "False", "True", "True"]  # sensitive, not extractable, made on the token, never out
    again = run(fresh_token, "key", "new", "--alias", alias)
    assert again.returncode == 1 and f"already has a private key labelled {alias!r}" in again.stderr
    csr = tmp_path / "token.csr"
    requested = run(fresh_token, "csr", "--alias", alias, "--subject", "CN=Token Author,O=Acme Inc,C=US", "-o", csr)
    assert requested.returncode == 0, requested.stderr
    checked = subprocess.run(["openssl", "req", "-verify", "-noout", "-in", str(csr)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    reply = openssl_ca.reply(csr, tmp_path / "reply.pem")
    imported = run(fresh_token, "import-cert", reply, "--alias", alias, "--truststore", ca_trust)
    assert imported.returncode == 0, imported.stderr
    exported = run(fresh_token, "export-cert", "--alias", alias)
    leaf = x509.load_pem_x509_certificate(exported.stdout.encode())
    assert leaf == x509.load_pem_x509_certificates(reply.read_bytes())[0]
    out = tmp_path / "out"
    packaged = run(
        fresh_token, "package", SAMPLES / "acme_jdbc", "-d", out, "-l", tmp_path, "--alias", alias, "--tsa", tsa.url
    )
    assert packaged.returncode == 0, packaged.stderr
    [taco] = out.glob("*.taco")
    verified = subprocess.run(
        [PYTHON, "-m", "connector_packager", "verify", str(taco), "--truststore", str(ca_trust)],
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stdout
    assert "CN=OpenSSL Test Intermediate" in verified.stdout  # the chain came from the token
    if has_jdk("jarsigner", "keytool"):
        theirs = jarsigner_verify(taco, ca_trust, tmp_path)
        assert theirs.returncode == 0 and "jar verified." in theirs.stdout, theirs.stdout


def test_self_signed_on_the_token(fresh_token: Token, pki: Pki, tmp_path: Path) -> None:
    made = run(fresh_token, "key", "new", "--alias", "hsm-dev", "--self-signed", "--subject", "CN=Token Dev")
    assert made.returncode == 0, made.stderr
    assert "SELF-SIGNED DEVELOPMENT CERTIFICATE" in made.stderr
    exported = run(fresh_token, "export-cert", "--alias", "hsm-dev")
    cert = x509.load_pem_x509_certificate(exported.stdout.encode())
    assert cert.issuer == cert.subject and cert.subject.rfc4514_string() == "CN=Token Dev"
    cert.verify_directly_issued_by(cert)


def test_an_unknown_token_label_lists_the_tokens(fresh_token: Token) -> None:
    result = run(fresh_token, "csr", "--alias", "x", "--subject", "CN=x", label="nope")
    assert result.returncode == 1
    assert (
        f"no token labelled 'nope' in the PKCS#11 module {fresh_token.module}; it has the tokens '{LABEL}'"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
