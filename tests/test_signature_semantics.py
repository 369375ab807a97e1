"""The signed-JAR rules as the JDK reads them: manifest syntax against Java's own ``java.util.jar.Manifest``,
linear parsing, the timestamp request's deadline against a server that dribbles, and ``verify --at``."""

from __future__ import annotations

import random
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector_packager.archive.jar_manifest import (
    MAX_LINES,
    ManifestSyntaxError,
    merged,
    named_sections,
    parse_sections,
)
from connector_packager.archive.signature_files import is_signature_related
from connector_packager.errors import PackagerError
from connector_packager.signing.timestamp import DEADLINE_SECONDS, request_timestamp
from tests.conftest import REPO, needs_jdk
from tests.differential import run_bounded
from tests.pki import DAY, Pki

_JAVA_DUMP = """
import java.nio.file.*; import java.util.*; import java.util.jar.*;
public class ManifestDump {
  public static void main(String[] args) throws Exception {
    for (String file : args) {
      StringBuilder out = new StringBuilder();
      try {
        Manifest m = new Manifest(Files.newInputStream(Paths.get(file)));
        out.append("OK").append(dump(m.getMainAttributes()));
        for (String name : new TreeSet<>(m.getEntries().keySet()))
          out.append("|").append(name).append(dump(m.getEntries().get(name)));
      } catch (Exception e) { out.setLength(0); out.append("ERR"); }
      System.out.println(out.toString().replace("\\n", "\\\\n").replace("\\r", "\\\\r"));
    }
  }
  static String dump(Attributes a) {
    TreeMap<String, String> sorted = new TreeMap<>();
    for (Map.Entry<Object, Object> e : a.entrySet())
      sorted.put(e.getKey().toString().toLowerCase(Locale.ROOT), e.getValue().toString());
    return sorted.toString();
  }
}
"""

_LINES = [
    "Manifest-Version: 1.0",
    "Name: a",
    "Name: b",
    "name: c",
    "X-A: 1",
    "X-A: 2",
    "X_b-9: v",
    " cont",
    " ",
    "",
    "",
    "Bad Name: x",
    "A:1",
    "A: ",
    "Name:",
    "A" * 70 + ": 1",
    "A" * 71 + ": 1",
    "X: " + "y" * 505,
    "X: " + "y" * 506,
    "X: " + "y" * 507,
    "X: " + "y" * 508,
    "X-\u00e9: 1",
    "X-U: caf\u00e9",
    ":v",
    "X-A:  two spaces",
]
_ENDS = ["\r\n", "\n", "\r"]


def _random_manifests(count: int) -> list[bytes]:
    chooser = random.Random(1313)
    samples = []
    for _ in range(count):
        lines = [chooser.choice(_LINES) for _ in range(chooser.randint(1, 9))]
        end = chooser.choice(_ENDS)
        text = "".join(line + (chooser.choice(_ENDS) if chooser.random() < 0.2 else end) for line in lines)
        if chooser.random() < 0.1:
            text = text.rstrip("\r\n")
        samples.append(text.encode("utf-8"))
    return samples


def _our_dump(data: bytes) -> str:
    sections = parse_sections(data)

    def attributes(headers: tuple[tuple[str, str], ...]) -> str:
        found: dict[str, str] = {}
        for name, value in headers:
            found[name.lower()] = value
        return "{" + ", ".join(f"{k}={v}" for k, v in sorted(found.items())) + "}"

    out = "OK" + attributes(sections[0].headers)
    for name, group in sorted(named_sections(sections).items()):
        out += f"|{name}" + attributes(merged(group).headers[1:])
    return out.replace("\n", "\\n").replace("\r", "\\r")


def _deliberately_stricter(data: bytes) -> bool:
    """Inputs we refuse on purpose where Java reads something: no line end at the end, or a 511-byte line in CRLF
    (Java's buffer splits it)."""
    return not data.endswith((b"\r", b"\n")) or any(
        len(line) == 513 and line.endswith(b"\r\n") for line in data.splitlines(keepends=True)
    )


@pytest.fixture(scope="module")
def java_manifests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[bytes], list[str]]]:
    folder = tmp_path_factory.mktemp("manifests")
    source = folder / "ManifestDump.java"
    source.write_text(_JAVA_DUMP)
    samples = _random_manifests(400)
    files = []
    for index, data in enumerate(samples):
        path = folder / f"m{index}.mf"
        path.write_bytes(data)
        files.append(str(path))
    done = subprocess.run(["java", str(source), *files], capture_output=True, text=True, timeout=300, check=True)
    yield samples, done.stdout.splitlines()


@needs_jdk
def test_the_manifest_parser_reads_what_java_reads(java_manifests: tuple[list[bytes], list[str]]) -> None:
    samples, verdicts = java_manifests
    assert len(verdicts) == len(samples)
    refused_by_java = accepted = 0
    for data, java in zip(samples, verdicts, strict=True):
        try:
            ours = _our_dump(data)
        except ManifestSyntaxError:
            assert java == "ERR" or _deliberately_stricter(data), f"we refuse what Java reads: {data!r} -> {java}"
            refused_by_java += java == "ERR"
            continue
        assert ours == java, f"{data!r}: Java reads {java}, we read {ours}"
        accepted += 1
    assert accepted > 50 and refused_by_java > 50  # the samples exercise both sides


@pytest.mark.parametrize(
    ("name", "related"),
    [
        ("META-INF/SIG-X", True),
        ("META-INF/SIG-X.A", True),
        ("META-INF/SIG-X.ABC", True),
        ("META-INF/sig-x.abc", True),
        ("META-INF/SIG-X.ABCD", False),
        ("META-INF/SIG-X.A-B", False),
        ("META-INF/SIG-X.", False),
        ("META-INF/SIG-.SF", True),
        ("META-INF/X.rsa", True),
        ("META-INF/X.PEM", False),
        ("META-INF/sub/SIG-X", False),
        ("SIG-X", False),
    ],
)
def test_signature_file_names_are_the_jdks(name: str, related: bool) -> None:
    assert is_signature_related(name) is related


@pytest.mark.parametrize("shape", ["continuation lines", "short headers", "sections"])
def test_parsing_is_linear(shape: str) -> None:
    def manifest(n: int) -> bytes:
        if shape == "continuation lines":
            return b"M: 1\r\n\r\nName: a\r\nX: " + b"\r\n y" * n + b"\r\n\r\n"
        if shape == "short headers":
            return b"M: 1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(n))
        return b"M: 1\r\n\r\n" + b"".join(b"Name: n%d\r\nX: 1\r\n\r\n" % i for i in range(n // 3))

    def cost(n: int) -> float:
        started = time.process_time()
        parse_sections(manifest(n))
        return time.process_time() - started

    small, large = min(cost(MAX_LINES // 10) for _ in range(3)), min(cost(MAX_LINES - 10) for _ in range(3))
    assert large < 25 * max(small, 0.002), (small, large)  # ten times the input: about ten times the time
    with pytest.raises(ManifestSyntaxError, match="lines"):
        parse_sections(manifest(MAX_LINES + 10))


class DribblingServer:
    """A loopback HTTP server that answers one byte every ``every`` seconds, for ever."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/tsa"

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            connection.recv(65536)
            reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: 99999\r\n\r\n"
            for index in range(10**6):
                if self.stopped.wait(self.every if index else 0):
                    return
                try:
                    connection.sendall(reply[index % len(reply) : index % len(reply) + 1])
                except OSError:
                    return

    def __enter__(self) -> DribblingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.listener.close()
        self.thread.join(5)


def test_a_dribbling_timestamp_authority_fails_at_the_deadline() -> None:
    with DribblingServer(every=2.0) as server:
        started = time.monotonic()
        with pytest.raises(PackagerError, match="did not answer within 5 seconds"):
            request_timestamp(server.url, b"signature", deadline=5)
        elapsed = time.monotonic() - started
    assert 4.9 <= elapsed < 7, elapsed


def test_the_documented_deadline_is_the_code_s() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"within {DEADLINE_SECONDS} seconds" in readme


def test_verify_at_a_date_before_the_signature_existed_is_refused(
    signed_taco_bytes: bytes, pki: Pki, tmp_path: Path
) -> None:
    taco = tmp_path / "signed.taco"
    taco.write_bytes(signed_taco_bytes)
    before_signer = (pki.codesign.cert.not_valid_before_utc - DAY).date().isoformat()
    refused = run_bounded("verify", taco, "--truststore", pki.root_pem, "--at", before_signer)
    refused.assert_bounded()
    assert refused.returncode == 1
    assert "did not exist yet at the time asked about" in refused.last_line, refused.describe()
    just_before = (pki.codesign.cert.not_valid_before_utc + DAY / 2).isoformat()  # the certificate exists, the
    earlier = run_bounded("verify", taco, "--truststore", pki.root_pem, "--at", just_before)  # signature not yet
    assert earlier.returncode == 1 and "did not exist yet" in earlier.last_line, earlier.describe()


@pytest.mark.parametrize(
    ("leaf", "refusal"),
    [
        ("rsa-512", "512-bit RSA key is a disabled algorithm"),
        ("sha1-certificate", "SHA-1 is a disabled algorithm"),
        ("netscape-server-only", "Netscape certificate type does not include object signing"),
    ],
)
def test_sign_refuses_what_java_would_treat_as_unsigned(
    pki: Pki, unsigned_taco: Path, tmp_path: Path, leaf: str, refusal: str
) -> None:
    from cryptography import x509

    from connector_packager.signing.sign import sign_jar
    from connector_packager.signing.signers import SoftwareSigner
    from tests.crafting import certificate, rsa_key

    if leaf == "rsa-512":
        identity = certificate("Weak Signer", pki.intermediate, rsa_key(512, tmp_path))
    elif leaf == "sha1-certificate":
        identity = certificate("Weak Signer", pki.intermediate, hash_name="sha1")
    else:
        server_only = x509.UnrecognizedExtension(x509.ObjectIdentifier("2.16.840.1.113730.1.1"), b"\x03\x02\x06\x40")
        identity = certificate("Server Signer", pki.intermediate, extensions=[(server_only, False)])
    signer = SoftwareSigner(identity.key, [identity.cert, pki.intermediate.cert, pki.root.cert])  # type: ignore
    before = unsigned_taco.read_bytes()
    with pytest.raises(PackagerError, match=refusal):
        sign_jar(before, signer, "author", None)
    assert unsigned_taco.read_bytes() == before


def test_a_trusted_roots_own_dates_are_not_checked_but_the_intermediates_are() -> None:
    from cryptography.x509.oid import ExtendedKeyUsageOID

    from connector_packager.signing.chain import validate_chain
    from tests.pki import NOW, issue

    root = issue("Expired Root", None, ca=True, not_before=NOW - 4000 * DAY, not_after=NOW - 10 * DAY)
    intermediate = issue("Intermediate Under An Expired Root", root, ca=True, not_after=NOW + 100 * DAY)
    leaf = issue("Signer Under An Expired Root", intermediate, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    assert validate_chain(leaf.cert, [intermediate.cert], [root.cert], NOW).trusted
    later = validate_chain(leaf.cert, [intermediate.cert], [root.cert], NOW + 200 * DAY)
    assert later.problem is not None and "CN=Intermediate Under An Expired Root expired on" in later.problem
