"""One pass through the archive code: ``package --keystore ... --tsa ...`` and ``sign`` parse each manifest once,
build the signature block once (with its timestamp), zip once, and what they write verifies.

The counts come from wrapping the real functions (they still run): a second parse, a second block or a second zip
would show up as a count of two.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connector_packager import api
from connector_packager.archive.taco_writer import JarEntry, jar_bytes, new_jar
from connector_packager.archive.zip_reader import MAX_UNPACKED_BYTES, ArchiveError, parse_archive
from connector_packager.signing.keysource import KeySource
from connector_packager.signing.sign import sign_entries
from connector_packager.signing.signers import SoftwareSigner
from tests.conftest import SAMPLES
from tests.pki import PASSWORD, Pki
from tests.tsa_server import LoopbackTsa

CONNECTORS = ["acme_jdbc", "acme_odbc", "acme_oauth"]


class Calls:
    """Wraps functions in place and counts their calls, keyed by what each call was given."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.counts: Counter[str] = Counter()

    def count(self, module: object, name: str, key: Callable[..., str] | None = None) -> None:
        real = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.counts[key(*args) if key else name] += 1
            return real(*args, **kwargs)

        self.monkeypatch.setattr(module, name, counted)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Counts of every XML parse (lxml and the expat check) by the document parsed, of the manifest parses, archive
    reads, signature blocks and zips of the signing and writing modules."""
    import connector_packager.archive.taco_writer as taco_writer
    import connector_packager.signing.sign as sign
    import connector_packager.xmlsafe as xmlsafe

    counter = Calls(monkeypatch)

    def document(data: bytes, *_: object) -> str:
        return f"xml:{bytes(data)!r}"

    counter.count(xmlsafe.etree, "fromstring", document)
    counter.count(xmlsafe, "_check_with_expat", lambda data: "expat:" + document(data))
    for name in ("parse_sections", "parse_archive", "signature_block", "sign_content"):
        counter.count(sign, name)
    counter.count(taco_writer, "write_jar")
    return counter


def key_source(pki: Pki, tsa: LoopbackTsa, monkeypatch: pytest.MonkeyPatch) -> KeySource:
    monkeypatch.setenv("TEST_STOREPASS", PASSWORD)
    return KeySource(alias="author", keystore=pki.write_p12(pki.codesign, "signer"), storepass=PASSWORD, tsa=tsa.url)


def signed_and_trusted(pki: Pki, taco: Path) -> None:
    result = api.verify(taco, truststore=pki.root_pem)
    assert result.ok and result.verification is not None, result.findings
    signers = result.verification.signers
    assert [signer.name for signer in signers] == ["AUTHOR"]
    assert all(signer.timestamp is not None for signer in signers)  # the one block carries the token


@pytest.mark.parametrize("connector", CONNECTORS)
def test_signed_package_reads_the_connector_manifest_once_and_signs_before_zipping(
    connector: str, calls: Calls, pki: Pki, tsa: LoopbackTsa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (SAMPLES / connector / "manifest.xml").read_bytes()
    built = api.build_package(SAMPLES / connector, tmp_path / "out", signing=key_source(pki, tsa, monkeypatch))
    assert built.packaged is not None and built.packaged.taco is not None and built.signed is not None
    taco = Path(built.packaged.taco)
    counts = calls.counts
    assert counts[f"xml:{source!r}"] == 1 and counts[f"expat:xml:{source!r}"] == 1
    with zipfile.ZipFile(taco) as jar:
        stamped = jar.read("manifest.xml")
    # A stamped copy that differs is parsed once, to prove that the stamp changed nothing else.
    assert counts[f"xml:{stamped!r}"] == 1 if stamped != source else stamped.count(b"min-version-tableau") == 1
    assert counts["parse_archive"] == 0  # the entries are signed before they are zipped: nothing is read back
    assert counts["parse_sections"] == 1  # the packager's own MANIFEST.MF main section, once
    assert counts["sign_content"] == 1 and counts["signature_block"] == 1
    assert counts["write_jar"] == 1
    signed_and_trusted(pki, taco)


@pytest.mark.parametrize("connector", CONNECTORS)
def test_sign_reads_the_archive_once_and_builds_one_block(
    connector: str,
    pki: Pki,
    tsa: LoopbackTsa,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    packaged = api.build_package(SAMPLES / connector, tmp_path / "out").packaged
    assert packaged is not None and packaged.taco is not None
    unsigned = Path(packaged.taco)
    before = unsigned.read_bytes()
    calls = request.getfixturevalue("calls")  # counted from here on
    result = api.sign(unsigned, key_source(pki, tsa, monkeypatch), tmp_path / "signed.taco")
    assert result.signed is not None
    signed = result.signed
    counts = calls.counts
    assert counts["parse_archive"] == 1 and counts["parse_sections"] == 1
    assert counts["sign_content"] == 1 and counts["signature_block"] == 1
    assert counts["write_jar"] == 1
    assert not [key for key in counts if key.startswith(("xml:", "expat:"))]  # signing reads no XML
    assert unsigned.read_bytes() == before  # -o leaves the input alone
    signed_and_trusted(pki, signed.taco)
    with zipfile.ZipFile(unsigned) as old, zipfile.ZipFile(signed.taco) as new:
        for info in old.infolist():
            if info.filename != "META-INF/MANIFEST.MF":
                assert new.read(info.filename) == old.read(info.filename)
                assert new.getinfo(info.filename).date_time == info.date_time


def entries_of(*files: tuple[str, bytes]) -> list[JarEntry]:
    return new_jar(list(files))


@pytest.mark.parametrize("name", ["a\\b.xml", "bell\x07.js", "/abs.xml", "a/../b.xml", "C:/drive.xml", "a//b.xml"])
def test_signing_entries_refuses_the_names_the_reader_refuses(name: str, pki: Pki) -> None:
    """``package --keystore`` signs entries that were never read back, so signing itself refuses what ``verify``
    (the strict reader) would refuse."""
    entries = entries_of(("manifest.xml", b"<connector-plugin/>"), (name, b"x"))
    with pytest.raises(ArchiveError, match="unsafe entry names"):
        sign_entries(
            entries,
            SoftwareSigner(pki.codesign.key, pki.chain(pki.codesign)),  # type: ignore[arg-type]
            "author",
            None,
        )
    with pytest.raises(ArchiveError):
        parse_archive(jar_bytes(entries), "the same entries zipped")


def test_signing_entries_refuses_what_the_reader_finds_too_large(pki: Pki) -> None:
    entries = entries_of(("manifest.xml", b"<connector-plugin/>"), ("big.js", bytes(MAX_UNPACKED_BYTES)))
    with pytest.raises(ArchiveError, match=r"MB a \.taco reader takes"):
        sign_entries(
            entries,
            SoftwareSigner(pki.codesign.key, pki.chain(pki.codesign)),  # type: ignore[arg-type]
            "author",
            None,
        )


def test_signing_entries_warns_about_names_that_differ_only_in_case(pki: Pki) -> None:
    entries = entries_of(("manifest.xml", b"<connector-plugin/>"), ("a.xml", b"<a/>"), ("A.xml", b"<b/>"))
    signed = sign_entries(
        entries,
        SoftwareSigner(pki.codesign.key, pki.chain(pki.codesign)),  # type: ignore[arg-type]
        "author",
        None,
    )
    case = [w for w in signed.warnings if w.rule == "zip-names-differ-in-case"]
    assert len(case) == 1 and "'a.xml'" in case[0].message and "'A.xml'" in case[0].message
    assert list(parse_archive(signed.data, "signed").warnings) == case
