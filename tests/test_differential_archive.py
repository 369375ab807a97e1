"""Crafted archives through ``verify`` beside ``jarsigner -verify -strict``, and through ``inspect`` and ``sign``.

Each case changes a signed .taco (or an unsigned one, for ``sign``) in one way that zip readers could read
differently. The rules: ``verify`` never says "Tableau will load" where jarsigner refuses; where ours refuses and
jarsigner accepts, the case is on :data:`STRICTER` (the README's list of deliberate differences, with the same
reasons); no traceback; each run within the CPU and memory limits of :mod:`tests.differential`. ``inspect`` never
crashes or hangs and names the unsafe entry; ``sign`` refuses, or signs without renaming anything and writes what
jarsigner -strict accepts.
"""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector_packager.archive.zip_reader import parse_archive
from connector_packager.cli import main
from tests.conftest import SAMPLES
from tests.differential import (
    BoundedRun,
    JavaVerdict,
    assert_never_looser,
    has_jarsigner,
    jarsigner_verdict,
    run_bounded,
)
from tests.pki import PASSWORD, Pki
from tests.tsa_server import LoopbackTsa
from tests.zip_crafting import DESCRIPTOR_FLAG, UTF8_FLAG, Craft, Layout, build_zip, crafts_of, extra_field

#: Cases ours refuses although jarsigner -verify -strict accepts them, each with the reason (the README's table).
STRICTER: dict[str, str] = {
    "bytes before the first entry": "data the central directory does not account for can hide a second archive",
    "bytes between entries": "hidden bytes: a streaming reader may find other entries there",
    "bytes before the central directory": "hidden bytes: a streaming reader may find other entries there",
    "bytes after the end record": "Java skips them, Python and others take them as the comment or refuse",
    "local name differs": "streaming readers (unzip, ZipInputStream) use the local name, Java's ZipFile the central",
    "local flags differ": "readers that trust the local header would decode the entry differently",
    "local sizes differ": "readers that trust the local header would read different bytes",
    "local method differs": "readers that trust the local header would inflate different bytes",
    "local CRC differs": "streaming readers check the local CRC and refuse the entry",
    "data descriptor disagrees": "streaming readers take the sizes and CRC from the data descriptor",
    "entry count too high": "readers that trust the count read a different list of entries",
    "CRC wrong": "Java's ZipFile does not check it, but ZipInputStream, unzip and zipfile refuse the entry",
    "declared size too large": "an entry must inflate to exactly its declared size: sizes bound memory",
    "declared size over the budget": "the declared sizes bound memory: at most 64 MB unpacked",
    "bytes after the deflate stream": "hidden bytes inside an entry that no reader reads",
    "ZIP64 extra field": "a .taco never needs ZIP64; refusing it removes a second size field to disagree on",
    "Unicode path extra field": "some readers take the name from it, Java never does",
    "unknown general-purpose flag": "no .taco writer sets it; its meaning differs between readers",
    "stored entry with a data descriptor": "a streaming reader cannot tell where the data ends",
    "symbolic link entry": "unzip tools create a link where Java reads a file",
    "name without UTF-8 flag": "Java decodes it as UTF-8, Python and Windows tools as code page 437",
    "name with NUL": "C-based readers and zipfile cut the name at NUL: another file than the signed one",
    "name with ..": "unpacking writes outside the target folder",
    "name with backslash": "a path separator on Windows: unpacking writes elsewhere than the signed name says",
    "absolute name": "unpacking writes outside the target folder",
    "name with drive letter": "on Windows, unpacking writes to another drive",
    "name with control character": "terminal escapes in names forge what a person reads",
    "name with bidi override": "reorders what a person reads around the name",
    "name with empty component": "readers normalise 'a//b' differently",
    "name with . component": "readers normalise 'a/./b' differently",
    "name 2000 levels deep": "cannot be unpacked on common file systems; bounded work",
    "name component over 255 bytes": "cannot be unpacked on common file systems",
}


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[list[Craft]], bytes]
    #: Whether ours should accept it (a harmless variant of a good archive).
    harmless: bool = False
    #: The rule ``verify`` reports it under (its first problem's, or a warning's where it is one).
    rule: str = ""


def _entry(crafts: list[Craft], wanted: bytes) -> int:
    return next(i for i, c in enumerate(crafts) if c.name == wanted)


def _change(wanted: bytes, **changes: object) -> Callable[[list[Craft]], bytes]:
    def build(crafts: list[Craft]) -> bytes:
        at = _entry(crafts, wanted)
        return build_zip([*crafts[:at], replace(crafts[at], **changes), *crafts[at + 1 :]])  # type: ignore[arg-type]

    return build


def _each(**changes: object) -> Callable[[list[Craft]], bytes]:
    """The change on every deflated entry."""
    return lambda crafts: build_zip(
        [
            replace(c, **changes) if c.method == 8 else c  # type: ignore[arg-type]
            for c in crafts
        ]
    )


def _layout(**fields: object) -> Callable[[list[Craft]], bytes]:
    return lambda crafts: build_zip(crafts, Layout(**fields))  # type: ignore[arg-type]


def _bytes_of(
    build: Callable[[list[Craft]], bytes], change: Callable[[bytes], bytes]
) -> Callable[[list[Craft]], bytes]:
    return lambda crafts: change(build(crafts))


def _appended_zip(crafts: list[Craft]) -> bytes:
    """The signed archive, then a second archive holding an edited manifest.xml (offsets relative to its start)."""
    edited = [replace(c, data=c.data + b"<!-- edited -->") if c.name == b"manifest.xml" else c for c in crafts]
    return build_zip(crafts) + build_zip(edited)


def _second_end_in_comment(crafts: list[Craft]) -> bytes:
    signed = build_zip(crafts)
    directory_size, directory_at = struct.unpack_from("<2L", signed, len(signed) - 10)
    fake_end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(crafts), len(crafts), directory_size, directory_at, 0)
    return build_zip(crafts, Layout(comment=b"note" + fake_end))


def _duplicate(crafts: list[Craft]) -> bytes:
    at = _entry(crafts, b"manifest.xml")
    return build_zip([*crafts, replace(crafts[at], data=crafts[at].data + b"<!-- edited -->")])


def _case_twin(crafts: list[Craft]) -> bytes:
    at = _entry(crafts, b"manifest.xml")
    return build_zip([*crafts, replace(crafts[at], name=b"MANIFEST.xml")])


BUILDER = b"connectionBuilder.js"
MANIFEST = b"manifest.xml"

STRUCTURE_CASES = [
    Case("rebuilt unchanged", build_zip, harmless=True),
    Case("data descriptors with signature", _each(flags=DESCRIPTOR_FLAG), harmless=True),
    Case(
        "data descriptors without signature",
        lambda crafts: build_zip(
            [
                replace(c, flags=DESCRIPTOR_FLAG, descriptor=struct.pack("<3L", *_descriptor_values(c)))
                if c.method == 8
                else c
                for c in crafts
            ]
        ),
        harmless=True,
    ),
    Case("archive comment", _layout(comment=b"built by hand"), harmless=True),
    Case("entry comment", _change(MANIFEST, comment=b"the manifest"), harmless=True),
    Case("UTF-8 flag on ASCII names", _each(flags=UTF8_FLAG), harmless=True),
    Case("second end record in the comment", _second_end_in_comment, rule="zip-several-end-records"),
    Case("zip appended after the zip", _appended_zip, rule="zip-several-end-records"),
    Case("bytes before the first entry", _layout(prefix=b"\0" * 64), rule="zip-unaccounted-bytes"),
    Case("bytes between entries", _layout(between={3: b"PK\x03\x04hidden"}), rule="zip-unaccounted-bytes"),
    Case("bytes before the central directory", _layout(before_directory=b"\0" * 32), rule="zip-unaccounted-bytes"),
    Case("bytes between directory and end record", _layout(before_end=b"\0" * 20), rule="zip-unaccounted-bytes"),
    Case("bytes after the end record", _layout(trailer=b"\0" * 16), rule="zip-end-comment-mismatch"),
    Case("comment length too long", _layout(comment=b"abc", comment_length=40), rule="zip-end-comment-mismatch"),
    Case(
        "entry count too high",
        lambda crafts: build_zip(crafts, Layout(count=len(crafts) + 1)),
        rule="zip-central-directory-damaged",
    ),
    Case("directory offset wrong", _layout(directory_offset_shift=-4), rule="zip-unaccounted-bytes"),
    Case(
        "local name differs",
        lambda crafts: _change(MANIFEST, local={"name": b"manifest.xmL"})(crafts),
        rule="zip-local-header-mismatch",
    ),
    Case("local method differs", _change(MANIFEST, local={"method": 0}), rule="zip-local-header-mismatch"),
    Case("local flags differ", _change(MANIFEST, local={"flags": UTF8_FLAG}), rule="zip-local-header-mismatch"),
    Case("local sizes differ", _change(MANIFEST, local={"size": 5}), rule="zip-local-header-mismatch"),
    Case("local CRC differs", _change(MANIFEST, local={"crc": 1}), rule="zip-local-header-mismatch"),
    Case(
        "data descriptor disagrees",
        _change(MANIFEST, flags=DESCRIPTOR_FLAG, descriptor=struct.pack("<4s3L", b"PK\x07\x08", 1, 2, 3)),
        rule="zip-data-descriptor-mismatch",
    ),
    Case("CRC wrong", _change(MANIFEST, crc=12345), rule="zip-crc-mismatch"),
    Case("declared size too small", _change(MANIFEST, size=10), rule="zip-size-mismatch"),
    Case("declared size too large", _change(MANIFEST, size=10**6), rule="zip-size-mismatch"),
    Case("declared size over the budget", _change(MANIFEST, size=2**31), rule="zip-unpacked-too-large"),
    Case("corrupt deflate", _change(MANIFEST, compressed=b"\xff" * 40), rule="zip-deflate-corrupt"),
    Case(
        "deflate stream cut short",
        lambda crafts: _change(MANIFEST, compressed=crafts[_entry(crafts, MANIFEST)].payload()[:-8])(crafts),
        rule="zip-deflate-corrupt",
    ),
    Case(
        "bytes after the deflate stream",
        lambda crafts: _change(MANIFEST, compressed=crafts[_entry(crafts, MANIFEST)].payload() + b"tail")(crafts),
        rule="zip-deflate-corrupt",
    ),
    Case("stored size mismatch", _change(MANIFEST, method=0, compressed_size=3), rule="zip-stored-size-mismatch"),
    Case("truncated file", _bytes_of(build_zip, lambda data: data[: len(data) // 2]), rule="zip-not-a-zip"),
    Case("truncated end record", _bytes_of(build_zip, lambda data: data[:-5]), rule="zip-not-a-zip"),
    Case("encrypted flag", _change(MANIFEST, flags=0x1), rule="zip-entry-encrypted"),
    Case("strong encryption flag", _change(MANIFEST, flags=0x41), rule="zip-entry-encrypted"),
    Case(
        "bzip2 method",
        _change(MANIFEST, method=12, compressed=b"BZh91AY&SY" + b"\0" * 30),
        rule="zip-compression-method",
    ),
    Case(
        "lzma method",
        _change(MANIFEST, method=14, compressed=b"\x09\x14\x05\x00" + b"\0" * 30),
        rule="zip-compression-method",
    ),
    Case("unknown method", _change(MANIFEST, method=99), rule="zip-compression-method"),
    Case("directory with data", _change(b"META-INF/", data=b"hidden", method=8), rule="zip-directory-with-content"),
    Case("duplicate entry", _duplicate, rule="zip-duplicate-name"),
    Case("names differing in case only", _case_twin, rule="zip-names-differ-in-case"),
    Case("ZIP64 extra field", _change(MANIFEST, extra=extra_field(0x0001, b"\0" * 16)), rule="zip64-refused"),
    Case(
        "Unicode path extra field",
        _change(MANIFEST, extra=extra_field(0x7075, b"\x01\0\0\0\0evil.js")),
        rule="zip-unicode-path-extra",
    ),
    Case("malformed extra field", _change(MANIFEST, extra=b"\x99\x99\x40\x00ab"), rule="zip-extra-field-malformed"),
    Case("unknown general-purpose flag", _change(MANIFEST, flags=0x1000), rule="zip-unknown-flags"),
    Case(
        "stored entry with a data descriptor",
        _change(MANIFEST, method=0, flags=DESCRIPTOR_FLAG),
        rule="zip-stored-with-descriptor",
    ),
    Case(
        "symbolic link entry", _change(BUILDER, made_by=0x0314, external_attr=0o120777 << 16), rule="zip-entry-symlink"
    ),
    Case("Unix file modes", _each(made_by=0x0314, external_attr=0o100644 << 16), harmless=True),
    Case(
        "ZIP64 end record sizes",
        _bytes_of(build_zip, lambda data: data[:-12] + b"\xff\xff\xff\xff" + data[-8:]),
        rule="zip64-refused",
    ),
    Case("empty file", lambda crafts: b"", rule="zip-not-a-zip"),
    Case("no zip at all", lambda crafts: b"PK\x03\x04 not really a zip" * 3, rule="zip-not-a-zip"),
]


def _descriptor_values(craft: Craft) -> tuple[int, int, int]:
    header = craft.header()
    return header.crc, header.compressed_size, header.size


#: Entry names that are unsafe or read differently; each is added to the connector and signed (by jarsigner where a
#: JDK is present, so that only the name can make Java refuse it).
NAME_CASES: dict[str, bytes] = {
    "name with NUL": b"connectionBuilder.js\0/../../../evil.js",
    "name with ..": b"../evil.js",
    "name with backslash": b"..\\evil.js",
    "absolute name": b"/tmp/evil.js",
    "name with drive letter": b"C:evil.js",
    "name with control character": b"\x1b[2Kevil.js",
    "name with newline": b"evil.js\nTableau will load this connector",
    "name with bidi override": "evil\u202esj.exe".encode(),
    "name with empty component": b"scripts//evil.js",
    "name with . component": b"./evil.js",
    "name 2000 levels deep": b"d/" * 2000 + b"evil.js",
    "name component over 255 bytes": b"e" * 300 + b".js",
    "name without UTF-8 flag": "évil.js".encode(),
}
#: The rule each name case is refused under: names that are not ASCII are written without the UTF-8 flag (see
#: _signed_with_name), so the reader refuses their encoding before it looks at what they hold.
NAME_RULES = {
    case: "zip-name-encoding" if not name.isascii() else "zip-name-unsafe" for case, name in NAME_CASES.items()
}


@pytest.fixture(scope="module")
def signed_crafts(signed_taco_bytes: bytes) -> list[Craft]:
    return crafts_of(signed_taco_bytes)


@pytest.fixture(scope="module")
def unsigned_crafts(tmp_path_factory: pytest.TempPathFactory) -> list[Craft]:
    from connector_packager.packaging import package
    from connector_packager.validation import check_connector

    taco = package(check_connector(SAMPLES / "acme_odbc"), tmp_path_factory.mktemp("unsigned"))
    return crafts_of(taco.read_bytes())


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / (name.replace(" ", "-").replace(".", "dot").replace("/", "-") + ".taco")
    path.write_bytes(data)
    return path


def _check_verdicts(case: str, ours: BoundedRun, java: JavaVerdict | None, harmless: bool) -> None:
    if harmless:
        assert ours.says_load, ours.describe()
        return
    assert not ours.says_load and ours.returncode == 1, ours.describe()
    if java is None:
        return
    if java.accepts:
        assert case in STRICTER, (
            f"ours refuses, jarsigner accepts, and {case!r} is not on the documented list:\n{ours.describe()}"
        )
    else:
        assert case not in STRICTER, (
            f"{case!r} is listed as stricter than jarsigner, which refuses it too:\n{java.output}"
        )


@pytest.mark.parametrize("case", STRUCTURE_CASES, ids=lambda c: c.name)
def test_verify_and_inspect_of_a_crafted_archive(
    case: Case, signed_crafts: list[Craft], pki: Pki, java_store: Path | None, tmp_path: Path
) -> None:
    taco = _write(tmp_path, case.name, case.build(signed_crafts))
    ours, java = assert_never_looser(taco, pki.root_pem, java_store)
    _check_verdicts(case.name, ours, java, case.harmless)
    if case.rule:
        assert f"[{case.rule}]" in ours.stdout, ours.describe()
    # inspect in this process (a traceback fails the test; the name cases and tests/test_zip_reader.py run it
    # bounded in a child)
    inspected = CliRunner().invoke(main, ["inspect", str(taco)], catch_exceptions=False)
    assert inspected.exit_code == (0 if case.harmless else 1), inspected.output


@pytest.fixture(scope="module")
def java_signing_store(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    return pki.write_p12(pki.codesign, "java-signer") if has_jarsigner() else None


def _signed_with_name(
    name: bytes,
    unsigned_crafts: list[Craft],
    signed_crafts: list[Craft],
    keystore: Path | None,
    tsa: LoopbackTsa,
    folder: Path,
) -> bytes:
    """The connector with an entry ``name`` added: signed by jarsigner when there is a JDK (which writes the name
    as Java reads it, with the UTF-8 flag where it is not ASCII), else added unsigned to the signed archive."""
    extra = Craft(name, b"// added\n")
    if keystore is None:
        return build_zip([*signed_crafts, extra])
    unsigned = folder / "unsigned.zip"
    unsigned.write_bytes(build_zip([*unsigned_crafts, replace(extra, flags=UTF8_FLAG if not name.isascii() else 0)]))
    signed = folder / "signed.zip"
    done = subprocess.run(
        [
            "jarsigner",
            "-keystore",
            str(keystore),
            "-storepass",
            PASSWORD,
            "-storetype",
            "PKCS12",
            "-tsa",
            tsa.url,
            "-signedjar",
            str(signed),
            str(unsigned),
            "author",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    crafts = crafts_of_lenient(signed.read_bytes())
    if not name.isascii():  # Java wrote the UTF-8 flag; the case is the same bytes without it
        crafts = [replace(c, flags=c.flags & ~UTF8_FLAG) if c.name == name else c for c in crafts]
    return build_zip(crafts)


def crafts_of_lenient(data: bytes) -> list[Craft]:
    """The entries of an archive whose names the strict reader refuses (read with zipfile, raw names from the
    central directory): for jarsigner's output only."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        raw = list(_central_names(data))
        assert len(raw) == len(infos)
        return [
            Craft(name, archive.read(info), info.compress_type, info.flag_bits & UTF8_FLAG)
            for name, info in zip(raw, infos, strict=True)
        ]


def _central_names(data: bytes) -> Iterator[bytes]:
    end = data.rfind(b"PK\x05\x06")
    count, _, at = struct.unpack_from("<HLL", data, end + 10)
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<3H", data, at + 28)
        yield data[at + 46 : at + 46 + name_len]
        at += 46 + name_len + extra_len + comment_len


@pytest.mark.parametrize("case", sorted(NAME_CASES))
def test_verify_and_inspect_of_an_entry_name(
    case: str,
    unsigned_crafts: list[Craft],
    signed_crafts: list[Craft],
    java_signing_store: Path | None,
    tsa: LoopbackTsa,
    pki: Pki,
    java_store: Path | None,
    tmp_path: Path,
) -> None:
    name = NAME_CASES[case]
    taco = _write(
        tmp_path, case, _signed_with_name(name, unsigned_crafts, signed_crafts, java_signing_store, tsa, tmp_path)
    )
    ours, java = assert_never_looser(taco, pki.root_pem, java_store)
    _check_verdicts(case, ours, java, harmless=False)
    assert f"[{NAME_RULES[case]}]" in ours.stdout, ours.describe()
    inspected = run_bounded("inspect", taco)
    inspected.assert_bounded()
    assert inspected.returncode == 1, inspected.describe()
    shown = name.decode("utf-8", "replace")
    from connector_packager.archive.entry_names import shown as show

    assert show(shown)[:40] in inspected.stderr + inspected.stdout, inspected.describe()
    for run in (ours, inspected):  # no line of output is the name's forged text, and nothing unprintable is printed
        for line in (run.stdout + run.stderr).splitlines():
            assert line.isprintable(), run.describe()
            assert line != "Tableau will load this connector", run.describe()


def _sign(taco: Path, out: Path, pki: Pki, tsa: LoopbackTsa, monkeypatch: pytest.MonkeyPatch) -> BoundedRun:
    monkeypatch.setenv("CRAFT_STOREPASS", PASSWORD)
    keystore = pki.write_p12(pki.codesign, "crafted-signer")
    return run_bounded(
        "sign",
        taco,
        "-o",
        out,
        "--keystore",
        keystore,
        "--alias",
        "author",
        "--storepass-env",
        "CRAFT_STOREPASS",
        "--tsa",
        tsa.url,
    )


SIGN_CASES = [c for c in STRUCTURE_CASES if c.harmless] + [
    c
    for c in STRUCTURE_CASES
    if c.name
    in (
        "second end record in the comment",
        "bytes before the first entry",
        "local name differs",
        "corrupt deflate",
        "encrypted flag",
        "bzip2 method",
        "declared size over the budget",
        "directory with data",
        "names differing in case only",
    )
]


@pytest.mark.parametrize("case", SIGN_CASES, ids=lambda c: c.name)
def test_sign_of_a_crafted_archive(
    case: Case,
    unsigned_crafts: list[Craft],
    pki: Pki,
    tsa: LoopbackTsa,
    java_store: Path | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = case.build(unsigned_crafts)
    taco = _write(tmp_path, case.name, data)
    out = tmp_path / "signed.taco"
    run = _sign(taco, out, pki, tsa, monkeypatch)
    run.assert_bounded()
    assert taco.read_bytes() == data
    if not case.harmless and case.name != "names differing in case only":
        assert run.returncode == 1 and not out.exists(), run.describe()
        return
    assert run.returncode == 0, run.describe()
    _assert_names_kept(data, out.read_bytes())
    if java_store is not None:
        java = jarsigner_verdict(out, java_store)
        assert java.accepts, java.output


def _assert_names_kept(before: bytes, after: bytes) -> None:
    """Every entry of ``before`` is in ``after`` under the same name bytes, read as the same name (the UTF-8 flag
    kept on every name that is not ASCII; on an ASCII name it changes nothing), with the same content."""
    old = {e.raw_name: e for e in parse_archive(before, "before").entries}
    new = {e.raw_name: e for e in parse_archive(after, "after").entries}
    assert old.keys() <= new.keys(), sorted(old.keys() - new.keys())
    for name, entry in old.items():
        assert new[name].name == entry.name
        if not name.isascii():
            assert new[name].flags & UTF8_FLAG == entry.flags & UTF8_FLAG == UTF8_FLAG, name
        if name != b"META-INF/MANIFEST.MF":
            assert new[name].data == entry.data, name


@pytest.mark.parametrize("name", ["données/résumé.js", "ünïcödé.xml", "日本語.properties", "ascii-flagged.js"])
def test_sign_keeps_names_byte_for_byte(
    name: str,
    unsigned_crafts: list[Craft],
    pki: Pki,
    tsa: LoopbackTsa,
    java_store: Path | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = build_zip([*unsigned_crafts, Craft(name.encode(), b"// kept\n", flags=UTF8_FLAG)])
    taco = _write(tmp_path, "names", data)
    out = tmp_path / "signed.taco"
    run = _sign(taco, out, pki, tsa, monkeypatch)
    run.assert_bounded()
    assert run.returncode == 0, run.describe()
    _assert_names_kept(data, out.read_bytes())
    if java_store is not None:
        java = jarsigner_verdict(out, java_store)
        assert java.accepts, java.output


@pytest.mark.parametrize("case", sorted(NAME_CASES))
def test_sign_refuses_an_unsafe_name_before_signing(case: str, unsigned_crafts: list[Craft], pki: Pki) -> None:
    from connector_packager.archive.zip_reader import ArchiveError
    from connector_packager.signing.sign import sign_jar
    from connector_packager.signing.signers import SoftwareSigner

    data = build_zip([*unsigned_crafts, Craft(NAME_CASES[case], b"// added\n")])
    signer = SoftwareSigner(pki.codesign.key, pki.chain(pki.codesign))  # type: ignore[arg-type]
    with pytest.raises(ArchiveError) as caught:
        sign_jar(data, signer, "author", None, source="crafted.taco")
    assert caught.value.message.startswith("crafted.taco") and caught.value.message.isprintable()


def test_the_readme_table_is_the_stricter_list() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| refused | why |\n") :]
    rows = table[: table.index("\n\n")].splitlines()[2:]
    assert rows == [f"| {case} | {reason} |" for case, reason in STRICTER.items()]
