"""Signing and verifying .taco files against a throwaway PKI and a real timestamp authority on loopback."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import select
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from connector_packager.cli import main
from connector_packager.signing.sign import sign_jar
from connector_packager.signing.signers import SoftwareSigner
from tests.pki import DAY, NOW, PASSWORD, Identity, Pki
from tests.tsa_server import LoopbackTsa

STOREPASS_ENV = "TEST_STOREPASS"


def cli(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def sign_p12(pki: Pki, taco: Path, tsa: LoopbackTsa | None, leaf: Identity | None = None, *extra: str) -> Result:
    keystore = pki.write_p12(leaf or pki.codesign, "signer")
    stamp = ["--tsa", tsa.url] if tsa else ["--no-timestamp"]
    return cli(
        "sign",
        taco,
        "--keystore",
        keystore,
        "--alias",
        "author",
        "--storepass-env",
        STOREPASS_ENV,
        *stamp,
        *extra,
        env={STOREPASS_ENV: PASSWORD},
    )


def verify(pki: Pki, taco: Path, *extra: str, truststore: Path | None = None) -> Result:
    return cli("verify", taco, "--truststore", truststore or pki.root_pem, *extra)


def signed_with(pki: Pki, leaf: Identity, taco: Path, tsa: LoopbackTsa) -> Path:
    """A taco signed by ``leaf`` even where ``sign`` would refuse it (to test what ``verify`` says)."""
    signer = SoftwareSigner(leaf.key, pki.chain(leaf))  # type: ignore[arg-type]
    taco.write_bytes(sign_jar(taco.read_bytes(), signer, "author", tsa.url, check_certificate=False).data)
    return taco


def rewrite(taco: Path, change: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> None:
    """Copy the archive with entries replaced (bytes) or removed (None), and entries added."""
    with zipfile.ZipFile(taco) as source:
        items = [(i, source.read(i)) for i in source.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info, data in items:
            if info.filename in change:
                if change[info.filename] is None:
                    continue
                data = change[info.filename] or b""
            target.writestr(info, data)
        for name, data in (add or {}).items():
            target.writestr(name, data)
    taco.write_bytes(out.getvalue())


def test_signed_with_a_keystore_and_timestamp_tableau_will_load_it(
    pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path
) -> None:
    before = tsa.requests
    result = sign_p12(pki, unsigned_taco, tsa)
    assert result.exit_code == 0, result.output
    assert tsa.requests == before + 1
    with zipfile.ZipFile(unsigned_taco) as jar:
        names = jar.namelist()
        assert all(i.create_system == 0 and i.external_attr >> 16 == 0 for i in jar.infolist())  # no POSIX bits
    assert names[:4] == ["META-INF/", "META-INF/MANIFEST.MF", "META-INF/AUTHOR.SF", "META-INF/AUTHOR.RSA"]
    assert "manifest.xml" in names
    checked = verify(pki, unsigned_taco)
    assert checked.exit_code == 0, checked.output
    lines = checked.output.splitlines()
    assert lines[-1] == "Tableau will load this connector"
    assert any("CN=Test Code Signer" in line and line.strip().startswith("signer:") for line in lines)
    assert any("CN=Test Root CA" in line and "(trusted root)" in line for line in lines)
    assert any(line.strip().startswith("timestamp:") and "CN=Test TSA" in line for line in lines)
    assert "warning" not in checked.output


def test_pem_key_and_chain_with_an_ec_key_writes_an_ec_block(pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path) -> None:
    key, chain = pki.write_pem(pki.ec_codesign, "ec")
    result = cli("sign", unsigned_taco, "--key", key, "--cert-chain", chain, "--alias", "ec signer", "--tsa", tsa.url)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(unsigned_taco) as jar:
        assert {"META-INF/EC_SIGNE.SF", "META-INF/EC_SIGNE.EC"} <= set(jar.namelist())
    assert verify(pki, unsigned_taco).exit_code == 0


def test_output_option_leaves_the_input_untouched(
    pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, tmp_path: Path
) -> None:
    before = unsigned_taco.read_bytes()
    result = sign_p12(pki, unsigned_taco, tsa, None, "-o", str(tmp_path / "signed.taco"))
    assert result.exit_code == 0, result.output
    assert unsigned_taco.read_bytes() == before
    assert verify(pki, tmp_path / "signed.taco").exit_code == 0


def test_signing_needs_a_timestamp_or_an_explicit_no_timestamp(pki: Pki, unsigned_taco: Path) -> None:
    before = unsigned_taco.read_bytes()
    keystore = pki.write_p12(pki.codesign, "signer")
    result = cli("sign", unsigned_taco, "--keystore", keystore, "--alias", "author", "--storepass", PASSWORD)
    assert result.exit_code == 2
    assert "--tsa" in result.output and "--no-timestamp" in result.output
    assert unsigned_taco.read_bytes() == before
    untimestamped = sign_p12(pki, unsigned_taco, None)
    assert untimestamped.exit_code == 0, untimestamped.output
    assert "Tableau will not load this connector" in untimestamped.output
    refused = verify(pki, unsigned_taco)
    assert refused.exit_code == 1
    assert refused.output.splitlines()[-1].startswith(
        "Tableau will refuse this connector: the signature has no timestamp"
    )


@pytest.mark.parametrize(
    ("leaf", "refusal"),
    [
        ("expired", "expired on"),
        ("tls_only", "does not include codeSigning"),
        ("bad_key_usage", "does not allow digitalSignature"),
    ],
)
def test_sign_refuses_certificates_tableau_refuses(pki: Pki, unsigned_taco: Path, leaf: str, refusal: str) -> None:
    before = unsigned_taco.read_bytes()
    result = sign_p12(pki, unsigned_taco, None, getattr(pki, leaf))
    assert result.exit_code == 1
    assert "will not sign" in result.output and refusal in result.output
    assert unsigned_taco.read_bytes() == before


@pytest.mark.parametrize(
    ("leaf", "reason"),
    [
        (
            "expired",
            "the signer's certificate chain is not validated: O=Connector Packager Tests,CN=Test Expired Signer "
            "expired on",
        ),
        (
            "tls_only",
            "Bad key usage: the signer certificate O=Connector Packager Tests,CN=Test TLS Server: its extended "
            "key usage (serverAuth) does not include codeSigning",
        ),
        (
            "bad_key_usage",
            "Bad key usage: the signer certificate O=Connector Packager Tests,CN=Test Key-Encipherment "
            "Signer: its key usage does not allow digitalSignature",
        ),
        (
            "self_signed",
            "the signer's certificate chain is not validated: the signer certificate O=Connector Packager "
            "Tests,CN=Test Self-Signed Signer is self-signed and not in the truststore",
        ),
    ],
)
def test_verify_refuses_bad_signer_certificates(
    pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, leaf: str, reason: str
) -> None:
    taco = signed_with(pki, getattr(pki, leaf), unsigned_taco, tsa)
    result = verify(pki, taco)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].startswith(f"Tableau will refuse this connector: {reason}")


def test_self_signed_signer_is_accepted_where_it_is_trusted(
    pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, tmp_path: Path
) -> None:
    result = sign_p12(pki, unsigned_taco, tsa, pki.self_signed)
    assert result.exit_code == 0
    assert "self-signed" in result.output
    trust = tmp_path / "trust.pem"
    trust.write_bytes(pki.self_signed.pem + pki.root.pem)  # the TSA still chains to the test root
    assert verify(pki, unsigned_taco, truststore=trust).exit_code == 0


def test_an_untrusted_root_is_refused(pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, tmp_path: Path) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    other = tmp_path / "other.pem"
    other.write_bytes(pki.other_root.pem)
    result = verify(pki, unsigned_taco, truststore=other)
    assert result.exit_code == 1
    assert (
        "the signer's certificate chain is not validated: the root certificate O=Connector Packager Tests,CN="
        "Test Root CA is self-signed and not in the truststore" in result.output
    )
    assert "(NOT trusted)" in result.output


@pytest.mark.parametrize(
    ("change", "add", "reason"),
    [
        ({"manifest.xml": b"<connector-plugin/>"}, None, "the entry manifest.xml was changed after signing"),
        ({}, {"extra.js": b"alert(1)"}, "the entry extra.js is not signed"),
        ({"dialect.tdd": None}, None, "the manifest signs dialect.tdd, which the archive does not hold"),
        (
            {"META-INF/AUTHOR.SF": b"Signature-Version: 1.0\r\nCreated-By: someone else\r\n\r\n"},
            None,
            "the signature file AUTHOR.SF does not verify",
        ),
    ],
)
def test_changes_after_signing_are_refused(
    pki: Pki,
    tsa: LoopbackTsa,
    unsigned_taco: Path,
    change: dict[str, bytes | None],
    add: dict[str, bytes] | None,
    reason: str,
) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    rewrite(unsigned_taco, change, add)
    result = verify(pki, unsigned_taco)
    assert result.exit_code == 1
    assert f"Tableau will refuse this connector: {reason}" in result.output


def test_expiry_warning_and_expired_timestamp(pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    tsa_expiry = pki.tsa.cert.not_valid_after_utc
    soon = verify(pki, unsigned_taco, "--at", (tsa_expiry - 400 * DAY).date().isoformat())
    assert soon.exit_code == 0
    assert f"stays valid only until {tsa_expiry:%Y-%m-%d}, less than five years from now" in soon.output
    later = verify(pki, unsigned_taco, "--at", (tsa_expiry + DAY).isoformat())
    assert later.exit_code == 1
    assert f"Tableau will refuse this connector: the timestamp expired on {tsa_expiry:%Y-%m-%d}" in later.output
    assert verify(pki, unsigned_taco, "--at", "next tuesday").exit_code == 2


def test_the_timestamp_keeps_a_signature_valid_after_the_signer_certificate_expires(
    pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path
) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    after_leaf = pki.codesign.cert.not_valid_after_utc + DAY
    assert after_leaf < pki.tsa.cert.not_valid_after_utc
    result = verify(pki, unsigned_taco, "--at", after_leaf.isoformat())
    assert result.exit_code == 0, result.output


def test_json_and_github_output(pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    report = json.loads(verify(pki, unsigned_taco, "--format", "json").output)
    assert report["version"] == 2 and report["ok"] is True and report["command"] == "verify"
    verification = report["results"][0]["verification"]
    assert verification["verdict"] == "Tableau will load this connector"
    [signer] = verification["signers"]
    assert signer["name"] == "AUTHOR"
    assert [c["subject"] for c in signer["chain"]["certificates"]][-1] == pki.root.cert.subject.rfc4514_string()
    assert signer["timestamp"]["authority"] == pki.tsa.cert.subject.rfc4514_string()
    assert dt.datetime.fromisoformat(signer["timestamp"]["time"].replace("Z", "+00:00")) - NOW < dt.timedelta(hours=1)
    rewrite(unsigned_taco, {"manifest.xml": b"changed"})
    github = verify(pki, unsigned_taco, "--format", "github")
    assert github.exit_code == 1
    assert github.output.splitlines()[0].startswith(
        f"::error file={unsigned_taco},title=sig-entry-changed::the entry manifest.xml was changed after signing"
    )


def test_truststore_as_pkcs12(pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, tmp_path: Path) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    store = tmp_path / "trust.p12"
    store.write_bytes(
        pkcs12.serialize_key_and_certificates(
            None, None, None, [pki.root.cert], serialization.BestAvailableEncryption(b"trustpass")
        )
    )
    assert verify(pki, unsigned_taco, "--truststore-pass", "trustpass", truststore=store).exit_code == 0
    wrong = verify(pki, unsigned_taco, "--truststore-pass", "nope", truststore=store)
    assert wrong.exit_code == 2 and "--truststore-pass" in wrong.output  # cannot be read with it: exit 2


def test_unsigned_and_non_taco_files(pki: Pki, unsigned_taco: Path, tmp_path: Path) -> None:
    unsigned = verify(pki, unsigned_taco)
    assert unsigned.exit_code == 1
    assert unsigned.output.splitlines()[-1] == "Tableau will refuse this connector: the .taco is not signed"
    junk = tmp_path / "junk.taco"
    junk.write_bytes(b"not a zip")
    for result in (verify(pki, junk), sign_p12(pki, junk, None)):
        assert result.exit_code == 1
        assert "is not a .taco (zip) file" in result.output
    assert junk.read_bytes() == b"not a zip"
    missing = verify(pki, tmp_path / "missing.taco")
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_an_already_signed_taco_is_not_signed_again(pki: Pki, unsigned_taco: Path) -> None:
    assert sign_p12(pki, unsigned_taco, None).exit_code == 0
    before = unsigned_taco.read_bytes()
    again = sign_p12(pki, unsigned_taco, None)
    assert again.exit_code == 1 and "already signed" in again.output
    assert unsigned_taco.read_bytes() == before


def test_key_source_problems_are_explained(pki: Pki, unsigned_taco: Path, tmp_path: Path) -> None:
    before = unsigned_taco.read_bytes()
    keystore = pki.write_p12(pki.codesign, "signer")
    cases = [
        (
            ["--keystore", keystore, "--alias", "author", "--storepass", "wrong", "--no-timestamp"],
            2,
            "the password is wrong",
        ),
        (
            ["--keystore", keystore, "--alias", "someone", "--storepass", PASSWORD, "--no-timestamp"],
            1,
            "holds the key 'author', not 'someone'",
        ),
        (
            ["--keystore", keystore, "--alias", "author", "--storepass-env", "NOT_SET_ANYWHERE", "--no-timestamp"],
            2,
            "NOT_SET_ANYWHERE, which is not set",
        ),
        (["--alias", "author", "--no-timestamp"], 2, "signing needs a key"),
        (["--keystore", keystore, "--key", keystore, "--alias", "a", "--no-timestamp"], 2, "only one key source"),
        (["--key", keystore, "--alias", "a", "--no-timestamp"], 2, "--key needs --cert-chain"),
        (
            [
                "--keystore",
                keystore,
                "--alias",
                "author",
                "--storepass",
                PASSWORD,
                "--tsa",
                "ftp://x",
            ],
            1,
            "not an http:// or https:// address",
        ),
    ]
    for args, code, message in cases:
        result = cli("sign", unsigned_taco, *args)
        assert result.exit_code == code, (args, result.output)
        assert message in result.output, (args, result.output)
    key, _ = pki.write_pem(pki.codesign, "mismatch")
    other_chain = tmp_path / "other.pem"
    other_chain.write_bytes(pki.tls_only.pem)
    mismatch = cli("sign", unsigned_taco, "--key", key, "--cert-chain", other_chain, "--alias", "a", "--no-timestamp")
    assert mismatch.exit_code == 1 and "no certificate in" in mismatch.output
    assert unsigned_taco.read_bytes() == before


def test_a_jks_keystore_is_refused_with_the_conversion_command(unsigned_taco: Path, tmp_path: Path) -> None:
    jks = tmp_path / "old.jks"
    jks.write_bytes(b"\xfe\xed\xfe\xed\x00\x00\x00\x02\x00\x00\x00\x00")
    result = cli("sign", unsigned_taco, "--keystore", jks, "--alias", "a", "--storepass", "x", "--no-timestamp")
    assert result.exit_code == 2
    assert (
        f"keytool -importkeystore -srckeystore {jks} -srcstoretype JKS -destkeystore {tmp_path / 'old.p12'} "
        "-deststoretype PKCS12" in result.output
    )


def test_timestamp_authority_failures_leave_the_taco_untouched(pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path) -> None:
    before = unsigned_taco.read_bytes()
    tsa.fail_with = 503
    try:
        failed = sign_p12(pki, unsigned_taco, tsa)
    finally:
        tsa.fail_with = None
    assert failed.exit_code == 1 and "answered HTTP 503" in failed.output
    closed = cli(
        "sign",
        unsigned_taco,
        "--keystore",
        pki.write_p12(pki.codesign, "s"),
        "--alias",
        "author",
        "--storepass",
        PASSWORD,
        "--tsa",
        "http://127.0.0.1:9/tsa",
    )
    assert closed.exit_code == 1 and "cannot reach the timestamp authority" in closed.output
    assert unsigned_taco.read_bytes() == before


def test_package_signs_in_the_same_run(pki: Pki, tsa: LoopbackTsa, tmp_path: Path) -> None:
    from tests.conftest import SAMPLES

    keystore = pki.write_p12(pki.codesign, "signer")
    result = cli(
        "package",
        SAMPLES / "acme_jdbc",
        "-d",
        tmp_path / "out",
        "-l",
        tmp_path,
        "--keystore",
        keystore,
        "--alias",
        "author",
        "--storepass-env",
        STOREPASS_ENV,
        "--tsa",
        tsa.url,
        env={STOREPASS_ENV: PASSWORD},
    )
    assert result.exit_code == 0, result.output
    [taco] = (tmp_path / "out").glob("*.taco")
    assert verify(pki, taco).exit_code == 0
    inspected = cli("inspect", taco)
    assert inspected.exit_code == 0, inspected.output
    refused = cli("package", SAMPLES / "acme_jdbc", "--validate-only", "-l", tmp_path, "--tsa", tsa.url)
    assert refused.exit_code == 2 and "nothing to sign" in refused.output


@pytest.mark.parametrize(
    ("entry", "data"),
    [
        ("META-INF/AUTHOR.RSA", b"junk"),
        ("META-INF/AUTHOR.RSA", b"\x30\x82\x10\x00\x06\x09"),
        ("META-INF/AUTHOR.RSA", b"\x30\x03\x02\x01\x01"),
        ("META-INF/AUTHOR.SF", b"\xff\xfe\x00garbage"),
        ("META-INF/MANIFEST.MF", b" starts with a continuation\r\n"),
    ],
)
def test_hostile_signature_files_get_a_refusal_not_a_traceback(
    pki: Pki, tsa: LoopbackTsa, unsigned_taco: Path, entry: str, data: bytes
) -> None:
    assert sign_p12(pki, unsigned_taco, tsa).exit_code == 0
    rewrite(unsigned_taco, {entry: data})
    result = CliRunner().invoke(main, ["verify", str(unsigned_taco), "--truststore", str(pki.root_pem)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert "Tableau will refuse this connector: " in result.output


def test_a_token_for_other_data_is_rejected(pki: Pki, tsa: LoopbackTsa) -> None:
    from connector_packager.signing.cms_block import SignatureProblem
    from connector_packager.signing.timestamp import check_token, request_timestamp

    token = request_timestamp(tsa.url, b"the signature value")
    assert check_token(token, b"the signature value").tsa == pki.tsa.cert
    with pytest.raises(SignatureProblem, match="stamps other data"):
        check_token(token, b"another signature value")


def test_an_encrypted_pem_key_needs_its_password(pki: Pki, unsigned_taco: Path, tmp_path: Path) -> None:
    _, chain = pki.write_pem(pki.codesign, "encrypted")
    key = tmp_path / "encrypted.key"
    key.write_bytes(
        pki.codesign.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"key-secret"),
        )
    )
    base = ["sign", unsigned_taco, "--key", key, "--cert-chain", chain, "--alias", "author", "--no-timestamp"]
    missing = cli(*base)
    assert missing.exit_code == 2 and "is encrypted" in missing.output and "--keypass" in missing.output
    wrong = cli(*base, "--keypass", "nope")
    assert wrong.exit_code == 2 and "the password is wrong" in wrong.output
    assert cli(*base, "--keypass", "key-secret").exit_code == 0


IN_TERMINAL = """
import os, sys
os.setsid()
terminal = os.open(sys.argv[1], os.O_RDWR)  # a session leader opening a terminal makes it its controlling one
for fd in (0, 1, 2):
    os.dup2(terminal, fd)
os.execvpe(sys.argv[2], sys.argv[2:], os.environ)
"""


def run_at_a_terminal(args: list[str], answer: str, wait_for: bytes) -> tuple[int, str]:
    """Run ``args`` on a real pseudo-terminal, type ``answer`` once ``wait_for`` appears, return (status, output)."""
    controller, terminal = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", IN_TERMINAL, os.ttyname(terminal), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    output, typed = b"", False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:  # this side keeps the terminal open, so reads never fail
            ended = proc.poll() is not None
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                output += os.read(controller, 4096)
                if not typed and wait_for in output:
                    os.write(controller, answer.encode() + b"\r")
                    typed = True
            elif ended:
                break
    finally:
        os.close(controller)
        os.close(terminal)
        if proc.poll() is None:
            proc.kill()
    return proc.wait(timeout=60), output.decode(errors="replace")


def test_the_keystore_password_is_asked_for_at_a_terminal(pki: Pki, unsigned_taco: Path) -> None:
    keystore = pki.write_p12(pki.codesign, "prompted")
    args = [
        sys.executable,
        "-m",
        "connector_packager",
        "sign",
        str(unsigned_taco),
        "--keystore",
        str(keystore),
        "--alias",
        "author",
        "--no-timestamp",
    ]
    status, output = run_at_a_terminal(args, PASSWORD, b"Password of the keystore")
    assert status == 0, output
    assert PASSWORD not in output  # not echoed
    assert "Signed " in output
    assert (
        verify(pki, unsigned_taco)
        .output.splitlines()[-1]
        .endswith("no timestamp; Tableau refuses connectors signed without one")
    )
