"""The archive and signature rules of inspect, verify and sign: each fails on a crafted input and stays quiet on a
good signed .taco.

Most archive and signature rules have their failing case in the differential tables (tests/test_differential_*.py,
each case with its expected rule id, checked against verify's output there). :data:`RULE_CASES` here holds a
failing case for every other one, run in process through the library (``api.verify``, ``api.inspect``,
``api.sign``) so that the finding's rule is checked, not only its text. tests/test_catalogue.py counts both.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from connector_packager import api
from connector_packager.findings import Finding
from connector_packager.signing.keysource import KeySource
from tests.conftest import SAMPLES
from tests.crafting import certificate, rsa_key
from tests.pki import DAY, NOW, Pki
from tests.tsa_server import LoopbackTsa
from tests.zip_crafting import Craft, Layout, build_zip, crafts_of


@dataclass
class Kit:
    pki: Pki
    tsa: LoopbackTsa
    signed: bytes
    unsigned: bytes
    folder: Path
    monkeypatch: pytest.MonkeyPatch

    def write(self, data: bytes, name: str = "case.taco") -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return path

    def verify(self, data: bytes, at: dt.datetime | None = None) -> list[Finding]:
        return list(api.verify(self.write(data), truststore=self.pki.root_pem, at=at).findings)

    def inspect(self, data: bytes) -> list[Finding]:
        return list(api.inspect(self.write(data)).findings)


@pytest.fixture
def kit(
    pki: Pki,
    tsa: LoopbackTsa,
    signed_taco_bytes: bytes,
    unsigned_taco: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Kit:
    return Kit(pki, tsa, signed_taco_bytes, unsigned_taco.read_bytes(), tmp_path, monkeypatch)


def _edited(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    return build_zip([replace(c, data=change(c.data)) if c.name == name.encode() else c for c in crafts_of(data)])


def _without(data: bytes, name: str) -> bytes:
    return build_zip([c for c in crafts_of(data) if c.name != name.encode()])


def _with(data: bytes, *added: Craft) -> bytes:
    return build_zip([*crafts_of(data), *added])


def _patched(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value) :]


def _central(data: bytes, index: int) -> int:
    """Where central directory record ``index`` starts."""
    at = data.index(b"PK\x01\x02")
    for _ in range(index):
        at = data.index(b"PK\x01\x02", at + 1)
    return at


# --- the archive: what the strict reader refuses that no differential case provokes


def _too_many_entries(kit: Kit) -> list[Finding]:
    return kit.verify(build_zip(crafts_of(kit.signed), Layout(count=20_000)))


def _several_disks(kit: Kit) -> list[Finding]:
    data = kit.signed
    return kit.verify(_patched(data, data.rindex(b"PK\x05\x06") + 4, struct.pack("<H", 1)))


def _entries_overlap(kit: Kit) -> list[Finding]:
    """The second central record points at the first entry's local header."""
    data = kit.signed
    return kit.verify(_patched(data, _central(data, 1) + 42, struct.pack("<L", 0)))


def _no_local_header(kit: Kit) -> list[Finding]:
    return kit.verify(_patched(kit.signed, 0, b"XXXX"))


def _data_runs_into_directory(kit: Kit) -> list[Finding]:
    crafts = crafts_of(kit.signed)
    last = crafts[-1]
    return kit.verify(build_zip([*crafts[:-1], replace(last, compressed_size=len(last.payload()) + 10_000)]))


def _taco_too_large(kit: Kit) -> list[Finding]:
    path = kit.folder / "huge.taco"
    with path.open("wb") as out:
        out.truncate(33 * 2**20)  # sparse: no 33 MB written
    return list(api.verify(path, truststore=kit.pki.root_pem).findings)


# --- inspect: the shape of a connector archive


def _manifest_not_first(kit: Kit) -> list[Finding]:
    crafts = crafts_of(kit.unsigned)
    jar = [c for c in crafts if c.name.startswith(b"META-INF/")]
    return kit.inspect(build_zip([c for c in crafts if c not in jar] + jar))


def _entry_not_unpackable(kit: Kit) -> list[Finding]:
    return kit.inspect(_with(kit.unsigned, Craft(b"connectionBuilder.js/inner.js", b"// x\n")))


def _no_connector_manifest(kit: Kit) -> list[Finding]:
    return kit.inspect(_without(kit.unsigned, "manifest.xml"))


def _unreferenced(kit: Kit) -> list[Finding]:
    return kit.inspect(_with(kit.unsigned, Craft(b"notes.txt", b"remember\n")))


def _connector_invalid(kit: Kit) -> list[Finding]:
    return kit.inspect(_edited(kit.unsigned, "dialect.tdd", lambda d: d + b"<not-closed>"))


def _not_stamped(kit: Kit) -> list[Finding]:
    original = (SAMPLES / "acme_odbc" / "manifest.xml").read_bytes()
    return kit.inspect(_edited(kit.unsigned, "manifest.xml", lambda _: original))


# --- verify: signatures


def _unsigned(kit: Kit) -> list[Finding]:
    return kit.verify(kit.unsigned)


def _entry_missing(kit: Kit) -> list[Finding]:
    return kit.verify(_without(kit.signed, "connectionResolver.tdr"))


def _main_section_changed(kit: Kit) -> list[Finding]:
    return kit.verify(
        _edited(
            kit.signed,
            "META-INF/MANIFEST.MF",
            lambda d: d.replace(b"\r\n\r\n", b"\r\nX-Added: after signing\r\n\r\n", 1),
        )
    )


def _section_added(kit: Kit) -> list[Finding]:
    """An entry added with its digest in the manifest: the manifest is no longer the one signed, and no .SF file
    covers the new section."""
    import base64
    import hashlib

    data = b"// added after signing\n"
    section = b"Name: extra.js\r\nSHA-256-Digest: " + base64.b64encode(hashlib.sha256(data).digest()) + b"\r\n\r\n"
    added = _with(kit.signed, Craft(b"extra.js", data))
    return kit.verify(_edited(added, "META-INF/MANIFEST.MF", lambda d: d + section))


def _sf_changed(kit: Kit) -> list[Finding]:
    sf = next(c.name.decode() for c in crafts_of(kit.signed) if c.name.endswith(b".SF"))
    return kit.verify(_edited(kit.signed, sf, lambda d: d.replace(b"Created-By: ", b"Created-By: X", 1)))


def _signature_value_changed(kit: Kit) -> list[Finding]:
    from asn1crypto import cms

    block = next(c for c in crafts_of(kit.signed) if c.name.endswith(b".RSA"))
    value = cms.ContentInfo.load(block.data)["content"]["signer_infos"][0]["signature"].native
    flipped = value[:10] + bytes([value[10] ^ 1]) + value[11:]
    return kit.verify(_edited(kit.signed, block.name.decode(), lambda d: d.replace(value, flipped)))


def _block_too_large(kit: Kit) -> list[Finding]:
    block = next(c.name.decode() for c in crafts_of(kit.signed) if c.name.endswith(b".RSA"))
    return kit.verify(_edited(kit.signed, block, lambda d: d + b"\0" * 16_000_000))


def _no_timestamp(kit: Kit) -> list[Finding]:
    from connector_packager.signing.sign import sign_jar
    from connector_packager.signing.signers import SoftwareSigner

    signer = SoftwareSigner(kit.pki.codesign.key, kit.pki.chain(kit.pki.codesign))  # type: ignore[arg-type]
    return kit.verify(sign_jar(kit.unsigned, signer, "author", None).data)


def _timestamp_expired(kit: Kit) -> list[Finding]:
    return kit.verify(kit.signed, at=kit.pki.tsa.cert.not_valid_after_utc + DAY)


def _expires_soon(kit: Kit) -> list[Finding]:
    return kit.verify(kit.signed, at=kit.pki.tsa.cert.not_valid_after_utc - 365 * DAY)


# --- sign: the certificate and the chain


def _sign(kit: Kit, leaf_name: str, *, tsa: bool = True, chain: bool = True) -> list[Finding]:
    leaf = getattr(kit.pki, leaf_name)
    key, chain_pem = kit.pki.write_pem(leaf, leaf_name)
    if not chain:
        chain_pem.write_bytes(leaf.pem)
    source = KeySource(
        alias="author", key=key, cert_chain=chain_pem, tsa=kit.tsa.url if tsa else None, no_timestamp=not tsa
    )
    return list(api.sign(kit.write(kit.unsigned, "to-sign.taco"), source, kit.folder / "signed.taco").findings)


def _refused_certificate(kit: Kit, leaf_name: str) -> list[Finding]:
    from connector_packager.signing.sign import certificate_problems
    from connector_packager.signing.signers import SoftwareSigner

    leaf = getattr(kit.pki, leaf_name)
    return certificate_problems(SoftwareSigner(leaf.key, kit.pki.chain(leaf)), NOW)  # type: ignore[arg-type]


def _weak_key(kit: Kit) -> list[Finding]:
    from connector_packager.signing.sign import certificate_problems
    from connector_packager.signing.signers import SoftwareSigner

    weak = certificate("Weak Signer", kit.pki.intermediate, rsa_key(512, kit.folder))
    chain = [weak.cert, kit.pki.intermediate.cert, kit.pki.root.cert]
    return certificate_problems(SoftwareSigner(weak.key, chain), NOW)  # type: ignore[arg-type]


def _chain_unchecked(kit: Kit) -> list[Finding]:
    java_home = kit.folder / "jre"
    (java_home / "lib" / "security").mkdir(parents=True)
    (java_home / "lib" / "security" / "cacerts").write_bytes(b"not a keystore")
    kit.monkeypatch.setenv("JAVA_HOME", str(java_home))
    return _sign(kit, "codesign")


#: rule id -> a failing case (the findings it yields must include the rule).
RULE_CASES: dict[str, Callable[[Kit], list[Finding]]] = {
    "zip-too-many-entries": _too_many_entries,
    "zip-several-disks": _several_disks,
    "zip-entries-overlap": _entries_overlap,
    "zip-local-header-damaged": _no_local_header,
    "zip-entry-truncated": _data_runs_into_directory,
    "taco-too-large": _taco_too_large,
    "taco-manifest-not-first": _manifest_not_first,
    "taco-entry-not-unpackable": _entry_not_unpackable,
    "taco-no-connector-manifest": _no_connector_manifest,
    "taco-entry-unreferenced": _unreferenced,
    "taco-connector-invalid": _connector_invalid,
    "taco-not-stamped": _not_stamped,
    "sig-unsigned": _unsigned,
    "sig-entry-missing": _entry_missing,
    "sig-main-section-changed": _main_section_changed,
    "sig-entry-not-covered": _section_added,
    "sig-file-changed": _sf_changed,
    "sig-signature-invalid": _signature_value_changed,
    "sig-block-too-large": _block_too_large,
    "timestamp-missing": _no_timestamp,
    "timestamp-expired": _timestamp_expired,
    "sig-expires-soon": _expires_soon,
    "sign-certificate-not-valid": lambda kit: _refused_certificate(kit, "expired"),
    "sign-certificate-usage": lambda kit: _refused_certificate(kit, "tls_only"),
    "sign-key-too-weak": _weak_key,
    "sign-algorithm-refused": _weak_key,
    "sign-no-timestamp": lambda kit: _sign(kit, "codesign", tsa=False),
    "sign-self-signed": lambda kit: _sign(kit, "self_signed"),
    "sign-chain-incomplete": lambda kit: _sign(kit, "codesign", chain=False),
    "sign-chain-unchecked": _chain_unchecked,
}


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_fails(rule_id: str, kit: Kit) -> None:
    found = RULE_CASES[rule_id](kit)
    assert rule_id in {f.rule for f in found}, [(f.rule, f.message) for f in found]
    for finding in found:
        if finding.rule == rule_id:
            assert finding.message and finding.message.isprintable()


def test_a_good_signed_taco_raises_no_archive_or_signature_rule(kit: Kit) -> None:
    """The passing case of every rule here and in the differential tables: verify and inspect find nothing in the
    .taco that `package` and `sign` wrote, and signing it warned about nothing."""
    assert kit.verify(kit.signed) == []
    assert list(api.inspect(kit.write(kit.signed)).findings) == []
    assert _sign(kit, "codesign") == []


def test_findings_name_the_entry_as_stored(kit: Kit) -> None:
    [finding] = [f for f in kit.verify(_edited(kit.signed, "manifest.xml", lambda d: d + b"<!-- -->"))]
    assert (finding.rule, finding.file) == ("sig-entry-changed", "manifest.xml")
    assert finding.hint
    refused = kit.verify(_with(kit.signed, Craft(b"../evil.js", b"x")))
    assert [(f.rule, f.file) for f in refused] == [("zip-name-unsafe", "../evil.js")]


def test_the_json_report_carries_each_problem_with_its_rule(kit: Kit) -> None:
    import json

    from click.testing import CliRunner

    from connector_packager.cli import main

    taco = kit.write(_without(kit.signed, "connectionResolver.tdr"))
    done = CliRunner().invoke(main, ["verify", str(taco), "--truststore", str(kit.pki.root_pem), "--format", "json"])
    [result] = json.loads(done.output)["results"]
    assert result["verification"]["verdict"].endswith(result["findings"][0]["message"])
    assert result["findings"][0]["rule"] == "sig-entry-missing"
    assert result["findings"][0]["file"] == "connectionResolver.tdr"
