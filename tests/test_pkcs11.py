"""Signing with a key on a real PKCS#11 token: SoftHSM2 (Debian's softhsm2), initialised by the tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from tests.conftest import PYTHON, missing_tool
from tests.pki import Identity, Pki
from tests.test_sign_verify import verify
from tests.tsa_server import LoopbackTsa

MODULE_CANDIDATES = [
    os.environ.get("SOFTHSM2_MODULE", ""),
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
]
MODULE = next((Path(p) for p in MODULE_CANDIDATES if p and Path(p).is_file()), None)
TOKEN, PIN, SO_PIN = "cp-test", "123456", "654321"


STORE_CERTIFICATE = """
import sys, pkcs11
from cryptography import x509
from pkcs11 import Attribute, ObjectClass, CertificateType
module, token, pin, label, path = sys.argv[1:]
der = open(path, "rb").read()
with pkcs11.lib(module).get_token(token_label=token).open(user_pin=pin, rw=True) as session:
    session.create_object({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                           Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.VALUE: der,
                           Attribute.SUBJECT: x509.load_der_x509_certificate(der).subject.public_bytes()})
"""


@dataclass
class Token:
    env: dict[str, str]
    module: Path

    def util(self, *args: str) -> None:
        subprocess.run(["softhsm2-util", *args], env=self.env, check=True, capture_output=True)

    def import_identity(self, identity: Identity, label: str, key_id: str, folder: Path, with_cert: bool) -> None:
        key = folder / f"{label}.key"
        key.write_bytes(identity.key_pem)
        self.util("--import", str(key), "--token", TOKEN, "--label", label, "--id", key_id, "--pin", PIN)
        if with_cert:
            cert = folder / f"{label}.der"
            cert.write_bytes(identity.cert.public_bytes(Encoding.DER))
            subprocess.run(
                [PYTHON, "-c", STORE_CERTIFICATE, str(self.module), TOKEN, PIN, label, str(cert)],
                env=self.env,
                check=True,
                capture_output=True,
            )

    def sign(
        self, taco: Path, alias: str, *extra: str, pin: str = PIN, label: str = TOKEN
    ) -> subprocess.CompletedProcess[str]:
        return sign_with_module(taco, self.module, label, alias, self.env, *extra, pin=pin)


def sign_with_module(
    taco: Path, module: Path, label: str, alias: str, env: dict[str, str], *extra: str, pin: str = PIN
) -> subprocess.CompletedProcess[str]:
    """``connector-packager sign`` with a key on a PKCS#11 token, the PIN given through the environment."""
    return subprocess.run(
        [
            PYTHON,
            "-m",
            "connector_packager",
            "sign",
            str(taco),
            "--pkcs11-module",
            str(module),
            "--token-label",
            label,
            "--pin-env",
            "TOKEN_PIN",
            "--alias",
            alias,
            *extra,
        ],
        env={**env, "TOKEN_PIN": pin},
        capture_output=True,
        text=True,
    )


def new_token(folder: Path, label: str) -> Token:
    """An initialised, empty SoftHSM2 token of its own in ``folder`` (skips, or fails in CI, without SoftHSM2)."""
    if MODULE is None or shutil.which("softhsm2-util") is None:
        missing_tool("needs SoftHSM2 (Debian package softhsm2)")
    try:
        import pkcs11  # noqa: F401
    except ImportError:
        missing_tool("needs python-pkcs11")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    hsm = Token({**os.environ, "SOFTHSM2_CONF": str(conf)}, MODULE)
    hsm.util("--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SO_PIN)
    return hsm


@pytest.fixture(scope="module")
def token(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Token:
    folder = tmp_path_factory.mktemp("softhsm")
    hsm = new_token(folder, TOKEN)
    chain_pem = pki.intermediate.pem + pki.root.pem
    (folder / "issuers.pem").write_bytes(chain_pem)
    hsm.import_identity(pki.codesign, "author", "01", folder, with_cert=True)
    hsm.import_identity(pki.ec_codesign, "ecauthor", "02", folder, with_cert=True)
    hsm.import_identity(pki.codesign, "nocert", "03", folder, with_cert=False)
    for issuer, label in ((pki.intermediate, "intermediate"), (pki.root, "root")):
        hsm.import_identity(issuer, label, "0" + str(4 + (label == "root")), folder, with_cert=True)
    return hsm


def test_rsa_key_on_the_token_signs_a_taco_verify_accepts(
    token: Token, pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path
) -> None:
    signed = token.sign(unsigned_taco, "author", "--tsa", tsa.url)
    assert signed.returncode == 0, signed.stderr
    result = verify(pki, unsigned_taco)
    assert result.exit_code == 0, result.output
    assert "CN=Test Intermediate CA" in result.output  # the chain was completed from the token's certificates


def test_ec_key_on_the_token(token: Token, pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path) -> None:
    signed = token.sign(unsigned_taco, "ecauthor", "--tsa", tsa.url)
    assert signed.returncode == 0, signed.stderr
    assert verify(pki, unsigned_taco).exit_code == 0


def test_token_key_with_the_chain_from_a_file(token: Token, pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path) -> None:
    _, chain = pki.write_pem(pki.codesign, "token-chain")
    missing = token.sign(unsigned_taco, "nocert", "--tsa", tsa.url)
    assert missing.returncode == 1 and "no certificate labelled 'nocert'" in missing.stderr
    signed = token.sign(unsigned_taco, "nocert", "--cert-chain", str(chain), "--tsa", tsa.url)
    assert signed.returncode == 0, signed.stderr
    assert verify(pki, unsigned_taco).exit_code == 0


def test_token_problems_are_clear_and_leave_the_taco_alone(token: Token, unsigned_taco: Path) -> None:
    before = unsigned_taco.read_bytes()
    wrong_pin = token.sign(unsigned_taco, "author", "--no-timestamp", pin="000000")
    assert wrong_pin.returncode == 1 and "the token refused the PIN" in wrong_pin.stderr
    no_key = token.sign(unsigned_taco, "nobody", "--no-timestamp")
    assert no_key.returncode == 1 and "no private key labelled 'nobody'" in no_key.stderr
    no_token = token.sign(unsigned_taco, "a", "--no-timestamp", label="absent")
    assert no_token.returncode == 1 and "no token labelled 'absent'" in no_token.stderr
    for run in (wrong_pin, no_key, no_token):
        assert "Traceback" not in run.stderr
    assert unsigned_taco.read_bytes() == before


def test_a_module_that_is_not_a_pkcs11_library_is_explained(unsigned_taco: Path, tmp_path: Path) -> None:
    pytest.importorskip("pkcs11")
    for module in (tmp_path / "junk.so", tmp_path / "missing.so"):
        if module.name == "junk.so":
            module.write_text("not a shared library")
        proc = sign_with_module(unsigned_taco, module, "t", "a", dict(os.environ), "--no-timestamp")
        assert proc.returncode == 2  # the tool cannot do the job with that module
        assert f"cannot load the PKCS#11 module {module}" in proc.stderr and "Traceback" not in proc.stderr
