"""Hostile files on the signing path: CA replies, keystores, private keys and chains, trust stores, PKCS#11 modules.

Every file is treated as written by an attacker. Each case runs the real command in a child process under CPU,
memory and wall-clock limits (``tests.differential.run_bounded``) and asserts the exit code, a message that names
the file and the reason, no traceback, and that neither the hostile file nor the keystore changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import random
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import core, keys, pem
from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto.parser import emit
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.conftest import SAMPLES
from tests.differential import BoundedRun, run_bounded

STOREPASS = "storepass1"
ENV_PASS = "HOSTILE_STOREPASS"
NOW = dt.datetime.now(dt.timezone.utc)
HUGE = 2**31 - 1
Maker = Callable[["World", Path], Path]
#: A folder is refused by the option's own check (click) or by the reader.
FOLDER = "is a folder | is a directory"


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def _cert(
    subject: x509.Name,
    issuer: x509.Name,
    public: PublicKey,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    eku: bool = False,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@dataclass
class World:
    """A keystore holding the key ``author`` (placeholder certificate), the CA's good reply for it, the CA's root,
    a .taco to sign, and the key and chain as PEM files."""

    folder: Path
    root_key: ec.EllipticCurvePrivateKey
    root: x509.Certificate
    author_key: ec.EllipticCurvePrivateKey
    keystore: Path
    reply: Path
    trust: Path
    taco: Path
    key_pem: Path
    chain_pem: Path

    def leaf_for(
        self,
        subject: x509.Name,
        issuer_key: ec.EllipticCurvePrivateKey,
        issuer: x509.Name,
        public: PublicKey | None = None,
    ) -> x509.Certificate:
        return _cert(subject, issuer, public or self.author_key.public_key(), issuer_key, ca=False, eku=True)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from connector_packager.packaging import package
    from connector_packager.validation import check_connector

    folder = tmp_path_factory.mktemp("hostile-files")
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _cert(_name("Hostile Test Root"), _name("Hostile Test Root"), root_key.public_key(), root_key, ca=True)
    author_key = ec.generate_private_key(ec.SECP256R1())
    placeholder = _cert(_name("author"), _name("author"), author_key.public_key(), author_key, ca=False)
    keystore = folder / "author.p12"
    keystore.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"author", author_key, placeholder, None, serialization.BestAvailableEncryption(STOREPASS.encode())
        )
    )
    leaf = _cert(_name("Hostile Author"), root.subject, author_key.public_key(), root_key, ca=False, eku=True)
    reply = folder / "reply.pem"
    reply.write_bytes(_pem(leaf, root))
    trust = folder / "trust.pem"
    trust.write_bytes(_pem(root))
    key_pem = folder / "author.key"
    key_pem.write_bytes(
        author_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    chain_pem = folder / "author.chain.pem"
    chain_pem.write_bytes(_pem(leaf, root))
    report = check_connector(SAMPLES / "acme_odbc")
    taco = package(report, folder / "out")
    return World(folder, root_key, root, author_key, keystore, reply, trust, taco, key_pem, chain_pem)


def digest(path: Path) -> str | None:
    """The file's hash, or None for what is not a regular file (a FIFO, a device, a folder)."""
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def _passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """The passwords reach the child through its environment (never the process list)."""
    monkeypatch.setenv(ENV_PASS, STOREPASS)
    monkeypatch.setenv("HOSTILE_WRONG", "not-the-password")


def run(world: World, *args: str | Path) -> BoundedRun:
    return run_bounded(*args, cwd=world.folder)


def assert_refused(outcome: BoundedRun, code: int, hostile: Path, reason: str) -> None:
    outcome.assert_bounded()
    text = outcome.stdout + outcome.stderr
    assert outcome.returncode == code, outcome.describe()
    assert str(hostile) in text, outcome.describe()  # names the file
    assert any(part in text for part in reason.split(" | ")), outcome.describe()  # and the reason (one of them)


# --- how hostile files are made ---------------------------------------------------------------------------------


def fifo(_: World, path: Path) -> Path:
    os.mkfifo(path)
    return path


def dev_zero(_: World, path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


def folder(_: World, path: Path) -> Path:
    path.mkdir()
    return path


def sparse(_: World, path: Path) -> Path:
    with path.open("wb") as out:
        out.truncate(2 * 2**30)  # 2 GB, holding no block on disk
    return path


def write(data: bytes | Callable[[World], bytes]) -> Maker:
    def make(world: World, path: Path) -> Path:
        path.write_bytes(data(world) if callable(data) else data)
        return path

    return make


def nested_der(depth: int) -> bytes:
    """``depth`` SEQUENCEs inside one another."""
    body = b""
    for _ in range(depth):
        body = emit(0, 1, 16, body)
    return body


def issuer_loop(world: World) -> bytes:
    """The author's certificate issued by A, A issued by B, and B issued by A."""
    key_a, key_b = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    a = _cert(_name("Loop A"), _name("Loop B"), key_a.public_key(), key_b, ca=True)
    b = _cert(_name("Loop B"), _name("Loop A"), key_b.public_key(), key_a, ca=True)
    return _pem(world.leaf_for(_name("Hostile Author"), key_a, a.subject), a, b)


def long_chain(length: int) -> Callable[[World], bytes]:
    """The author's certificate under ``length`` intermediates, the last issued by the root."""

    def make(world: World) -> bytes:
        certs, issuer_key, issuer = [], world.root_key, world.root.subject
        for index in range(length):
            key = ec.generate_private_key(ec.SECP256R1())
            subject = _name(f"Intermediate {index}")
            certs.append(_cert(subject, issuer, key.public_key(), issuer_key, ca=True))
            issuer_key, issuer = key, subject
        return _pem(world.leaf_for(_name("Hostile Author"), issuer_key, issuer), *reversed(certs))

    return make


FORGED = "Hostile Author\nInstalled the certificate CN=Forged\u202e"


def forged_subject(world: World) -> bytes:
    """A certificate for another key whose subject holds a line break, a forged line and a bidi override."""
    other = ec.generate_private_key(ec.SECP256R1())
    return _pem(world.leaf_for(_name(FORGED), world.root_key, world.root.subject, other.public_key()))


def garbage_between(marker: bytes) -> Callable[[World], bytes]:
    """The reply for another key, with binary and text garbage between its PEM blocks (and ``marker``)."""

    def make(world: World) -> bytes:
        other = ec.generate_private_key(ec.SECP256R1())
        leaf = world.leaf_for(_name("Someone Else"), world.root_key, world.root.subject, other.public_key())
        return _pem(leaf) + b"\x00\xff garbage\n" + marker + bytes(range(256)) + b"\n" + _pem(world.root)

    return make


def many_certificates(count: int) -> Callable[[World], bytes]:
    return lambda world: _pem(world.root) * count


# --- CA replies ---------------------------------------------------------------------------------------------------

REPLY_CASES: list[tuple[str, Maker, int, str]] = [
    ("fifo", fifo, 2, "not a regular file"),
    ("/dev/zero", dev_zero, 2, "not a regular file"),
    ("folder", folder, 2, FOLDER),
    ("2 GB sparse", sparse, 2, "is larger than 1 MB"),
    ("50,000 certificates", write(many_certificates(50_000)), 2, "is larger than 1 MB"),
    ("101 certificates", write(many_certificates(101)), 2, "holds 101 certificates, more than the 100"),
    ("issuer loop", write(issuer_loop), 1, "is incomplete: CN=Loop B was issued by CN=Loop A"),
    ("99 intermediates", write(long_chain(99)), 1, "is longer than 20 certificates"),
    ("10,000 intermediates (by size)", write(lambda w: long_chain(50)(w) * 200), 2, "is larger than 1 MB"),
    (
        "subject forging lines",
        write(forged_subject),
        1,
        "Hostile Author\\x0aInstalled the certificate CN=Forged\\u202e",
    ),
    ("garbage between PEM blocks", write(garbage_between(b"")), 1, "holds no certificate for this key"),
    (
        "a broken PEM block between",
        write(garbage_between(b"-----BEGIN nonsense\n")),
        2,
        "holds no certificate this tool can read",
    ),
    ("deeply nested DER", write(nested_der(100_000)), 2, "holds no certificate"),
    ("huge DER", write(lambda w: emit(0, 1, 16, b"\x00" * (2 * 2**20))), 2, "is larger than 1 MB"),
    (
        "truncated DER",
        write(lambda w: w.root.public_bytes(serialization.Encoding.DER)[:300]),
        2,
        "holds no certificate",
    ),
]


@pytest.mark.parametrize(
    ("make", "code", "reason"), [case[1:] for case in REPLY_CASES], ids=[case[0] for case in REPLY_CASES]
)
def test_hostile_ca_reply(world: World, tmp_path: Path, make: Maker, code: int, reason: str) -> None:
    reply = make(world, tmp_path / "reply.p7b")
    before, keystore_before = digest(reply), digest(world.keystore)
    outcome = run(
        world,
        "import-cert",
        reply,
        "--alias",
        "author",
        "--keystore",
        world.keystore,
        "--storepass-env",
        ENV_PASS,
        "--truststore",
        world.trust,
    )
    assert_refused(outcome, code, reply, reason)
    assert "\u202e" not in outcome.stderr and "\nInstalled" not in outcome.stderr, outcome.describe()
    assert digest(reply) == before and digest(world.keystore) == keystore_before


def _odd_without_small_factors(bits: int, rng: random.Random) -> int:
    """A number that passes trial division, so that only a full primality test could show it is not prime."""
    small = math.prod(p for p in range(3, 2000, 2) if all(p % d for d in range(3, int(p**0.5) + 1, 2)))
    while True:
        candidate = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
        if math.gcd(candidate, small) == 1:
            return candidate


def huge_rsa_key(_: World) -> bytes:
    """An RSA private key with a 65,536-bit modulus (its primes made up: checking them is what takes hours)."""
    rng = random.Random(65536)
    p, q = _odd_without_small_factors(32768, rng), _odd_without_small_factors(32768, rng)
    numbers = {
        "version": "two-prime",
        "modulus": p * q,
        "public_exponent": 65537,
        "private_exponent": rng.getrandbits(65535),
        "prime1": p,
        "prime2": q,
        "exponent1": rng.getrandbits(32767),
        "exponent2": rng.getrandbits(32767),
        "coefficient": rng.getrandbits(32767),
    }
    info = keys.PrivateKeyInfo(
        {
            "version": 0,
            "private_key_algorithm": {"algorithm": "rsa", "parameters": core.Null()},
            "private_key": keys.RSAPrivateKey(numbers),
        }
    )
    return bytes(pem.armor("PRIVATE KEY", info.dump()))


def huge_rsa_p12(password: str) -> Callable[[World], bytes]:
    """A PKCS#12 file (made by ``cryptography``) holding :func:`huge_rsa_key` with a certificate for it."""

    def make(world: World) -> bytes:
        key = serialization.load_pem_private_key(huge_rsa_key(world), None, unsafe_skip_rsa_key_validation=True)
        assert isinstance(key, rsa.RSAPrivateKey)
        cert = world.leaf_for(_name("Huge"), world.root_key, world.root.subject, key.public_key())
        return pkcs12.serialize_key_and_certificates(
            b"author", key, cert, None, serialization.BestAvailableEncryption(password.encode())
        )

    return make


# --- keystores ----------------------------------------------------------------------------------------------------


def _set_iterations(algorithm: core.Asn1Value, count: int) -> None:
    if algorithm["algorithm"].native == "pbes2":
        algorithm["parameters"]["key_derivation_func"]["parameters"]["iteration_count"] = count
    else:
        algorithm["parameters"]["iterations"] = count


def p12_iterations(part: str, count: int = HUGE, legacy: bool = False) -> Callable[[World], bytes]:
    """The world's keystore (made again by ``openssl pkcs12 -export``, with or without a MAC) with the iteration
    count of its MAC, its certificate encryption or its key encryption set to ``count``."""

    def make(world: World) -> bytes:
        source = world.folder / "for-openssl.pem"
        source.write_bytes(world.key_pem.read_bytes() + world.chain_pem.read_bytes())
        args = [
            "openssl",
            "pkcs12",
            "-export",
            "-in",
            str(source),
            "-name",
            "author",
            "-passout",
            f"pass:{STOREPASS}",
            *(["-legacy"] if legacy else []),
            *(["-nomac"] if part == "key" else []),
        ]
        pfx = asn1_pkcs12.Pfx.load(subprocess.run(args, capture_output=True, check=True).stdout)
        if part == "mac":
            pfx["mac_data"]["iterations"] = count
            return bytes(pfx.dump(force=True))
        safes = pfx.authenticated_safe
        for info in safes:
            kind = info["content_type"].native
            if part == "certificates" and kind == "encrypted_data":
                _set_iterations(info["content"]["encrypted_content_info"]["content_encryption_algorithm"], count)
            elif part == "key" and kind == "data":
                bags = asn1_pkcs12.SafeContents.load(info["content"].native)
                for bag in bags:
                    if bag["bag_id"].native == "pkcs8_shrouded_key_bag":
                        _set_iterations(bag["bag_value"]["encryption_algorithm"], count)
                info["content"] = bags.dump(force=True)
        pfx["auth_safe"]["content"] = safes.dump(force=True)
        return bytes(pfx.dump(force=True))

    return make


def jks(entries: int | None = None, blob_length: int | None = None, truncate: bool = False) -> Callable[[World], bytes]:
    """A JKS trust store holding the root (laid out as the format says), with its entry count, or the length of
    its certificate, replaced, or cut short."""

    def make(world: World) -> bytes:
        der = world.root.public_bytes(serialization.Encoding.DER)
        body = struct.pack(">II", 2, 1 if entries is None else entries)
        body += struct.pack(">I", 2) + struct.pack(">H", 4) + b"root" + struct.pack(">Q", 0)
        body += struct.pack(">H", 5) + b"X.509" + struct.pack(">I", len(der) if blob_length is None else blob_length)
        body += der
        data = b"\xfe\xed\xfe\xed" + body
        data += hashlib.sha1("changeit".encode("utf-16-be") + b"Mighty Aphrodite" + data).digest()
        return data[: len(data) // 2] if truncate else data

    return make


KEYSTORE_CASES: list[tuple[str, Maker, int, str]] = [
    ("fifo", fifo, 2, "not a regular file"),
    ("/dev/zero", dev_zero, 2, "not a regular file"),
    ("folder", folder, 2, FOLDER),
    ("2 GB sparse", sparse, 2, "is larger than 1 MB"),
    ("truncated", write(lambda w: w.keystore.read_bytes()[:700]), 2, "it is not a PKCS#12 file"),
    ("a PEM file", write(lambda w: w.chain_pem.read_bytes()), 2, "it is not a PKCS#12 file"),
    ("a JKS keystore", write(jks()), 2, "is a JKS keystore; only PKCS#12 keystores are read"),
    ("MAC iterations 2**31", write(p12_iterations("mac")), 2, f"asks for {HUGE} iterations"),
    (
        "certificate encryption iterations 2**31",
        write(p12_iterations("certificates")),
        2,
        f"asks for {HUGE} iterations",
    ),
    (
        "legacy certificate encryption iterations 2**31",
        write(p12_iterations("certificates", legacy=True)),
        2,
        f"asks for {HUGE} iterations",
    ),
    ("key encryption iterations 2**31, no MAC", write(p12_iterations("key")), 2, f"asks for {HUGE} iterations"),
    (
        "MAC iterations just over the JDK's limit",
        write(p12_iterations("mac", 5_000_001)),
        2,
        "more than the 5,000,000 the JDK",
    ),
    ("RSA key of 65,536 bits", write(huge_rsa_p12(STOREPASS)), 2, "has 65536 bits, more than the 16384"),
]


@pytest.mark.parametrize(
    ("make", "code", "reason"), [case[1:] for case in KEYSTORE_CASES], ids=[case[0] for case in KEYSTORE_CASES]
)
def test_hostile_keystore(world: World, tmp_path: Path, make: Maker, code: int, reason: str) -> None:
    keystore = make(world, tmp_path / "store.p12")
    before = digest(keystore)
    outcome = run(world, "export-cert", "--alias", "author", "--keystore", keystore, "--storepass-env", ENV_PASS)
    assert_refused(outcome, code, keystore, reason)
    assert digest(keystore) == before


def test_wrong_keystore_password_is_exit_2(world: World) -> None:
    outcome = run_bounded(
        "export-cert", "--alias", "author", "--keystore", world.keystore, "--storepass-env", "HOSTILE_WRONG"
    )
    assert_refused(outcome, 2, world.keystore, "the password is wrong")


# --- private keys and certificate chains (sign --key --cert-chain) ------------------------------------------------


def encrypted_key(kdf: str, rewrite: Callable[[core.Asn1Value], None]) -> Callable[[World], bytes]:
    """The author's key encrypted by ``openssl pkcs8`` (PBKDF2 or scrypt), its derivation parameters rewritten."""

    def make(world: World) -> bytes:
        args = [
            "openssl",
            "pkcs8",
            "-topk8",
            "-in",
            str(world.key_pem),
            "-passout",
            f"pass:{STOREPASS}",
            *(["-scrypt"] if kdf == "scrypt" else ["-v2", "aes-256-cbc", "-iter", "2048"]),
        ]
        _, _, der = pem.unarmor(subprocess.run(args, capture_output=True, check=True).stdout)
        info = keys.EncryptedPrivateKeyInfo.load(der)
        rewrite(info["encryption_algorithm"]["parameters"]["key_derivation_func"])
        return bytes(pem.armor("ENCRYPTED PRIVATE KEY", info.dump(force=True)))

    return make


def pbkdf2_count(kdf: core.Asn1Value) -> None:
    kdf["parameters"]["iteration_count"] = HUGE


def scrypt_parallel(kdf: core.Asn1Value) -> None:
    salt = core.load(kdf["parameters"].dump())[0]
    body = b"".join(value.dump() for value in (salt, core.Integer(16384), core.Integer(8), core.Integer(2**20)))
    kdf["parameters"] = core.Any.load(emit(0, 1, 16, body))


KEY_CASES: list[tuple[str, Maker, int, str]] = [
    ("fifo", fifo, 2, "not a regular file"),
    ("/dev/zero", dev_zero, 2, "not a regular file"),
    ("folder", folder, 2, FOLDER),
    ("2 GB sparse", sparse, 2, "is larger than 1 MB"),
    ("truncated", write(lambda w: w.key_pem.read_bytes()[:100]), 2, "not a PEM/DER key"),
    ("a certificate", write(lambda w: w.chain_pem.read_bytes()), 2, "not a PEM/DER key"),
    ("PBKDF2 iterations 2**31", write(encrypted_key("pbkdf2", pbkdf2_count)), 2, f"asks for {HUGE} iterations"),
    (
        "scrypt p=2**20",
        write(encrypted_key("scrypt", scrypt_parallel)),
        2,
        "its scrypt parameters (N=16384, r=8, p=1048576) ask for more work",
    ),
    ("RSA 65,536 bits", write(huge_rsa_key), 2, "has 65536 bits, more than the 16384"),
]


@pytest.mark.parametrize(
    ("make", "code", "reason"), [case[1:] for case in KEY_CASES], ids=[case[0] for case in KEY_CASES]
)
def test_hostile_private_key(world: World, tmp_path: Path, make: Maker, code: int, reason: str) -> None:
    key = make(world, tmp_path / "hostile.key")
    before, taco_before = digest(key), digest(world.taco)
    encrypted = key.is_file() and not key.is_symlink() and b"ENCRYPTED" in key.read_bytes()[:100]
    outcome = run(
        world,
        "sign",
        world.taco,
        "-o",
        tmp_path / "signed.taco",
        "--alias",
        "author",
        "--key",
        key,
        "--cert-chain",
        world.chain_pem,
        *(["--keypass", STOREPASS] if encrypted else []),
        "--no-timestamp",
    )
    assert_refused(outcome, code, key, reason)
    assert digest(key) == before and digest(world.taco) == taco_before
    assert not (tmp_path / "signed.taco").exists()


CHAIN_CASES: list[tuple[str, Maker, int, str]] = [
    ("fifo", fifo, 2, "not a regular file"),
    ("/dev/zero", dev_zero, 2, "not a regular file"),
    ("2 GB sparse", sparse, 2, "is larger than 1 MB"),
    ("101 certificates", write(many_certificates(101)), 2, "holds 101 certificates, more than the 100"),
    ("not PEM", write(b"\x30\x03\x02\x01\x01"), 2, "it must hold PEM certificates"),
]


@pytest.mark.parametrize(
    ("make", "code", "reason"), [case[1:] for case in CHAIN_CASES], ids=[case[0] for case in CHAIN_CASES]
)
def test_hostile_certificate_chain(world: World, tmp_path: Path, make: Maker, code: int, reason: str) -> None:
    chain = make(world, tmp_path / "chain.pem")
    before = digest(chain)
    outcome = run(
        world,
        "sign",
        world.taco,
        "-o",
        tmp_path / "signed.taco",
        "--alias",
        "author",
        "--key",
        world.key_pem,
        "--cert-chain",
        chain,
        "--no-timestamp",
    )
    assert_refused(outcome, code, chain, reason)
    assert digest(chain) == before and not (tmp_path / "signed.taco").exists()


# --- trust stores -------------------------------------------------------------------------------------------------

TRUSTSTORE_CASES: list[tuple[str, Maker, int, str]] = [
    ("fifo", fifo, 2, "not a regular file"),
    ("/dev/zero", dev_zero, 2, "not a regular file"),
    ("folder", folder, 2, FOLDER),
    ("2 GB sparse", sparse, 2, "is larger than 8 MB"),
    ("100,000 certificates", write(many_certificates(100_000)), 2, "is larger than 8 MB"),
    ("10,001 certificates", write(many_certificates(10_001)), 2, "holds 10001 certificates, more than the 10000"),
    ("JKS with 2**31 entries", write(jks(entries=HUGE)), 2, "looks like a Java keystore but cannot be read"),
    (
        "JKS with a 2 GB certificate length",
        write(jks(blob_length=HUGE)),
        2,
        "looks like a Java keystore but cannot be read",
    ),
    ("truncated JKS", write(jks(truncate=True)), 2, "looks like a Java keystore but cannot be read"),
    ("PKCS#12 MAC iterations 2**31", write(p12_iterations("mac")), 2, f"asks for {HUGE} iterations"),
    (
        "PKCS#12 with an RSA key of 65,536 bits",
        write(huge_rsa_p12("changeit")),
        2,
        "has 65536 bits, more than the 16384",
    ),
    ("garbage", write(bytes(range(256)) * 64), 2, "is neither PEM, DER, a Java keystore nor a PKCS#12 file"),
]


@pytest.mark.parametrize(
    ("make", "code", "reason"), [case[1:] for case in TRUSTSTORE_CASES], ids=[case[0] for case in TRUSTSTORE_CASES]
)
def test_hostile_truststore(world: World, tmp_path: Path, make: Maker, code: int, reason: str) -> None:
    store = make(world, tmp_path / "trust.jks")
    before, keystore_before = digest(store), digest(world.keystore)
    outcome = run(
        world,
        "import-cert",
        world.reply,
        "--alias",
        "author",
        "--keystore",
        world.keystore,
        "--storepass-env",
        ENV_PASS,
        "--truststore",
        store,
    )
    assert_refused(outcome, code, store, reason)
    assert digest(store) == before and digest(world.keystore) == keystore_before


def test_the_handmade_jks_reads(world: World, tmp_path: Path) -> None:
    """The JKS layout the crafted cases start from is one the reader accepts (else they would prove nothing)."""
    from connector_packager.signing.truststore import load_truststore

    store = write(jks())(world, tmp_path / "good.jks")
    assert load_truststore(store) == [world.root]


# --- PKCS#11 modules ----------------------------------------------------------------------------------------------


def libz(_: World, path: Path) -> Path:
    found = next(
        (
            p
            for p in (
                Path("/usr/lib/x86_64-linux-gnu/libz.so.1"),
                Path("/lib/x86_64-linux-gnu/libz.so.1"),
                Path("/usr/lib/aarch64-linux-gnu/libz.so.1"),
                Path("/usr/lib64/libz.so.1"),
            )
            if p.exists()
        ),
        None,
    )
    if found is None:
        pytest.skip("no libz.so.1 here")
    path.symlink_to(found)
    return path


MODULE_CASES: list[tuple[str, Maker, int, str]] = [
    ("a text file", write(b"not a library\n"), 2, "cannot load the PKCS#11 module"),
    ("libz, a library without C_GetFunctionList", libz, 2, "C_GetFunctionList"),
    ("fifo", fifo, 2, "not a regular file"),
    ("folder", folder, 2, FOLDER),
]


@pytest.mark.parametrize(
    ("make", "code", "reason"), [case[1:] for case in MODULE_CASES], ids=[case[0] for case in MODULE_CASES]
)
def test_hostile_pkcs11_module(world: World, tmp_path: Path, make: Maker, code: int, reason: str) -> None:
    pytest.importorskip("pkcs11")
    module = make(world, tmp_path / "module.so")
    before = digest(module)
    outcome = run(
        world,
        "export-cert",
        "--alias",
        "author",
        "--pkcs11-module",
        module,
        "--token-label",
        "t",
        "--pin-env",
        ENV_PASS,
    )
    assert_refused(outcome, code, module, reason)
    assert digest(module) == before


GARBAGE_CERTIFICATE = """
import sys, pkcs11
from pkcs11 import Attribute, CertificateType, ObjectClass
module, token, pin, label = sys.argv[1:]
with pkcs11.lib(module).get_token(token_label=token).open(user_pin=pin, rw=True) as session:
    session.create_object({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                           Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.SUBJECT: b"0\\x00",
                           Attribute.VALUE: b"0\\x03not a certificate"})
"""


def test_a_token_certificate_that_is_not_one_is_left_out(world: World, tmp_path: Path) -> None:
    """The module's answers come from a real SoftHSM2 token holding a certificate object whose value is garbage."""
    from tests.test_pkcs11 import PIN, new_token

    token = new_token(tmp_path, "hostile")
    env = {**token.env, "TOKEN_PIN": PIN}
    options = ["--pkcs11-module", str(token.module), "--token-label", "hostile", "--pin-env", "TOKEN_PIN"]
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "connector_packager",
            "key",
            "new",
            "--alias",
            "author",
            "--key-type",
            "ec-p256",
            *options,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    subprocess.run(
        [sys.executable, "-c", GARBAGE_CERTIFICATE, str(token.module), "hostile", PIN, "author"],
        env=env,
        check=True,
        capture_output=True,
    )
    exported = subprocess.run(
        [sys.executable, "-m", "connector_packager", "export-cert", "--alias", "author", *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in exported.stderr, exported.stderr
    assert exported.returncode == 1 and "has no certificate for 'author'" in exported.stderr, exported.stderr


# --- key new onto what is already there ---------------------------------------------------------------------------


def link_to_file(world: World, path: Path) -> Path:
    target = path.with_name("target.p12")
    target.write_bytes(b"precious")
    path.symlink_to(target)
    return path


def dangling_link(_: World, path: Path) -> Path:
    path.symlink_to(path.with_name("nowhere.p12"))
    return path


NEW_KEYSTORE_CASES: list[tuple[str, Maker, int, str]] = [
    ("a link to a file", link_to_file, 2, "already exists; it is left as it is"),
    ("a dangling link", dangling_link, 2, "already exists; it is left as it is"),
    ("a folder", folder, 2, "already exists; it is left as it is | is a directory"),
    ("a fifo", fifo, 2, "already exists; it is left as it is"),
]


@pytest.mark.parametrize(
    ("make", "code", "reason"), [case[1:] for case in NEW_KEYSTORE_CASES], ids=[case[0] for case in NEW_KEYSTORE_CASES]
)
def test_key_new_never_writes_through(world: World, tmp_path: Path, make: Maker, code: int, reason: str) -> None:
    place = make(world, tmp_path / "new.p12")
    before = sorted((p.name, digest(p)) for p in tmp_path.iterdir())
    outcome = run(
        world,
        "key",
        "new",
        "--alias",
        "author",
        "--keystore",
        place,
        "--storepass-env",
        ENV_PASS,
        "--key-type",
        "ec-p256",
    )
    assert_refused(outcome, code, place, reason)
    assert sorted((p.name, digest(p)) for p in tmp_path.iterdir()) == before
