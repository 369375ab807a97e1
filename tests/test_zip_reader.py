"""The strict archive reader: what it refuses and how it says so; the bounded input; names shown escaped."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import time
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector_packager.archive.entry_names import name_problem, shown
from connector_packager.archive.input_file import MAX_INPUT_BYTES, read_input
from connector_packager.archive.zip_reader import MAX_UNPACKED_BYTES, ArchiveError, parse_archive
from connector_packager.cli import main
from connector_packager.errors import PackagerError
from connector_packager.findings import error, warning
from connector_packager.formats import render
from connector_packager.results import verification_result
from connector_packager.signing.verify import SIG_ENTRY_UNSIGNED, SIG_EXPIRES_SOON, Verification
from tests.differential import run_bounded
from tests.pki import PASSWORD, Pki
from tests.zip_crafting import DESCRIPTOR_FLAG, UTF8_FLAG, Craft, Layout, build_zip

BASE = [
    Craft(b"META-INF/", method=0),
    Craft(b"META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n\r\n"),
    Craft(b"manifest.xml", b"<connector-plugin/>\n" * 20),
    Craft(b"a.js", b"// a\n", method=0),
]


def refusal(data: bytes) -> str:
    with pytest.raises(ArchiveError) as caught:
        parse_archive(data, "t.taco")
    return caught.value.message


def test_reads_what_it_is_given() -> None:
    archive = parse_archive(build_zip(BASE), "t.taco")
    assert [(e.raw_name, e.data) for e in archive.entries] == [(c.name, c.data) for c in BASE]
    assert archive.warnings == ()


@pytest.mark.parametrize("signature", [True, False])
def test_data_descriptors_as_the_spec_says(signature: bool) -> None:
    crafts = [Craft(c.name, c.data, c.method, DESCRIPTOR_FLAG if c.method == 8 else 0) for c in BASE]
    if not signature:
        crafts = [
            Craft(
                c.name,
                c.data,
                c.method,
                c.flags,
                descriptor=(
                    zlib.crc32(c.data).to_bytes(4, "little")
                    + len(c.payload()).to_bytes(4, "little")
                    + len(c.data).to_bytes(4, "little")
                ),
            )
            for c in crafts
        ]
    assert [e.data for e in parse_archive(build_zip(crafts), "t").entries] == [c.data for c in BASE]
    # a stored entry cannot have one: nothing but the descriptor itself would tell where its data ends
    stored = [Craft(c.name, c.data, 0, DESCRIPTOR_FLAG) for c in BASE[2:]]
    assert "stored with a data descriptor" in refusal(build_zip(stored))


def test_each_refusal_names_the_entry_the_offset_and_the_difference() -> None:
    message = refusal(build_zip([*BASE[:2], Craft(b"manifest.xml", b"x", flags=0, local={"flags": UTF8_FLAG})]))
    assert "'manifest.xml'" in message and "local header offset" in message
    assert "flags 0x0800 (central directory: 0x0000)" in message
    message = refusal(build_zip(BASE, Layout(between={1: b"junk"})))
    assert "4 bytes lie between entries" in message and "'manifest.xml'" in message
    message = refusal(build_zip(BASE, Layout(trailer=b"zz")))
    assert "declares a 0-byte comment, but 2 bytes follow it" in message


def test_two_end_records_are_refused_wherever_the_second_hides() -> None:
    first = build_zip(BASE)
    assert "end-of-central-directory records" in refusal(build_zip(BASE, Layout(comment=first[-22:])))
    assert "end-of-central-directory records" in refusal(first + first)
    # a larger archive appended after another, whose end record is then too far back to be seen: the appended
    # archive's offsets do not fit the file
    large = build_zip([*BASE, Craft(b"big.bin", os.urandom(80_000), method=0)])
    assert "bytes are unaccounted for" in refusal(first + large)


def test_unsafe_names_are_all_listed_escaped() -> None:
    names = [
        b"ok.js",
        b"a\x00b.js",
        b"../up.js",
        b"x\\y.js",
        b"/abs.js",
        b"C:drive.js",
        b"e\x1b[1m.js",
        "f\u202eg.js".encode(),
        b"h//i.js",
        b"./j.js",
        b"k/" * 70 + b"l.js",
        b"m" * 256,
    ]
    message = refusal(build_zip([Craft(n, b"1", flags=UTF8_FLAG) for n in names]))
    assert all(f"'{shown(n.decode())}'" in message for n in names[1:]) and "'ok.js'" not in message
    assert "\x00" not in message and "\x1b" not in message and "\u202e" not in message
    assert "'a\\x00b.js' holds the unprintable character U+0000" in message
    assert "'f\\u202eg.js'" in message and "'k/k/" in message and "levels deep" in message


def test_names_the_readers_decode_differently() -> None:
    assert "lacks the UTF-8 flag" in refusal(build_zip([Craft("é.js".encode(), b"1")]))
    assert "not valid UTF-8" in refusal(build_zip([Craft(b"\xff.js", b"1", flags=UTF8_FLAG)]))
    assert parse_archive(build_zip([Craft("é.js".encode(), b"1", flags=UTF8_FLAG)]), "t").names == ["é.js"]


def test_duplicates_exact_refused_case_only_warned() -> None:
    assert "duplicate entries" in refusal(build_zip([*BASE, BASE[2]]))
    archive = parse_archive(build_zip([*BASE, Craft(b"A.js", b"2")]), "t")
    assert len(archive.warnings) == 1 and "'a.js', 'A.js'" in archive.warnings[0].message


@pytest.mark.parametrize(("method", "name"), [(12, "bzip2"), (14, "lzma"), (9, "deflate64"), (77, "an unknown")])
def test_methods_java_cannot_read(method: int, name: str) -> None:
    message = refusal(build_zip([Craft(b"a.js", b"1", method=method, compressed=b"\0" * 8)]))
    assert f"method {method} ({name}" in message and "Java reads only stored and deflated" in message


def test_inflating_stops_at_the_declared_size() -> None:
    bomb = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream = bomb.compress(b"\0" * (200 * 2**20)) + bomb.flush()  # 200 MB of zeros in ~200 KB
    started = time.process_time()
    message = refusal(build_zip([Craft(b"a.js", b"", compressed=stream, size=1000, crc=0)]))
    assert "inflates to more than the 1000 bytes" in message
    assert time.process_time() - started < 0.5  # stopped early, not after inflating everything


def test_declared_sizes_together_stay_under_the_budget() -> None:
    half = MAX_UNPACKED_BYTES // 2 + 1
    crafts = [Craft(f"{i}.js".encode(), b"", size=half, crc=0, compressed=b"\x03\x00") for i in range(2)]
    assert "more than 64 MB" in refusal(build_zip(crafts))


def test_corrupt_and_truncated_streams_are_refusals() -> None:
    good = build_zip(BASE)
    for cut in (10, len(good) // 2, len(good) - 30, len(good) - 1):
        with pytest.raises(ArchiveError):
            parse_archive(good[:cut], "t")
    assert "deflate data is corrupt" in refusal(build_zip([Craft(b"a.js", b"x" * 50, compressed=b"\xff" * 20)]))


def test_entry_names_are_shown_so_that_they_cannot_forge_lines() -> None:
    for text in ["a\nb", "a\rb", "\u202eexe.js", "\x1b[2J", "\u2028x", "\x85", "\ufeffx"]:
        assert shown(text).isprintable() and shown(shown(text)) == shown(text)
    assert shown("résumé 日本.js") == "résumé 日本.js"
    assert name_problem("connectionBuilder.js") is None and name_problem("a/b/c.xml") is None


def _verification(tmp_path: Path) -> Verification:
    result = Verification(tmp_path / "x\ny.taco", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    result.problems = [
        error(SIG_ENTRY_UNSIGNED, "the entry evil.js\nTableau will load this connector is not signed"),
        error(SIG_ENTRY_UNSIGNED, "b\u202eidi\x1b[0m", "b\u202eidi"),
    ]
    result.warnings = [warning(SIG_EXPIRES_SOON, "w\r\nTableau will load this connector")]
    return result


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_verify_output_escapes_names_and_keeps_the_verdict_last(fmt: str, tmp_path: Path) -> None:
    verification = _verification(tmp_path)
    output = render(fmt, [verification_result(verification)])
    lines = output.split("\n")
    assert all(line.isprintable() for line in lines)
    if fmt == "text":
        assert lines[-1].startswith("Tableau will refuse this connector: the entry evil.js\\x0aTableau")
        assert sum(line.startswith("Tableau will") for line in lines) == 1
    elif fmt == "github":
        assert all(line.startswith("::") for line in lines) and lines[-1].startswith("::error")
    else:
        result = json.loads(output)["results"][0]
        strings = [
            result["path"],
            result["verification"]["verdict"],
            *(text for f in result["findings"] for text in (f["message"], f["file"] or "", f["path"])),
        ]
        assert len(result["findings"]) == 3 and all(s.isprintable() for s in strings)


def test_verify_of_an_unsigned_taco_claims_no_checked_entries(unsigned_taco: Path, pki: Pki) -> None:
    result = CliRunner().invoke(main, ["verify", str(unsigned_taco), "--truststore", str(pki.root_pem)])
    assert result.exit_code == 1
    assert "signed entries checked" not in result.output
    assert result.output.splitlines()[-1] == "Tableau will refuse this connector: the .taco is not signed"


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.taco"
    os.mkfifo(fifo)
    link = tmp_path / "link.taco"
    link.symlink_to(fifo)
    for path, words in [
        (fifo, "not a regular file"),
        (link, "not a regular file"),
        (tmp_path, "is a folder"),
        (Path("/dev/zero"), "not a regular file"),
        (tmp_path / "none.taco", "does not exist"),
    ]:
        with pytest.raises(PackagerError) as caught:
            read_input(path)
        assert words in caught.value.message


def test_a_fifo_swapped_in_after_the_check_cannot_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The race (a regular file replaced by a FIFO between stat and open) cannot be timed in a test: stat is made to
    # report the regular file, and the open descriptor must still be refused at once.
    regular = tmp_path / "regular.taco"
    regular.write_bytes(b"PK")
    fifo = tmp_path / "swapped.taco"
    os.mkfifo(fifo)
    real_stat = os.stat
    monkeypatch.setattr(
        os, "stat", lambda path, *a, **k: real_stat(regular) if Path(path) == fifo else real_stat(path, *a, **k)
    )
    started = time.monotonic()
    with pytest.raises(PackagerError, match="not a regular file"):
        read_input(fifo)
    assert time.monotonic() - started < 1


def test_the_size_limit_holds_for_a_growing_file(tmp_path: Path) -> None:
    path = tmp_path / "big.taco"
    path.write_bytes(b"\0" * 100)
    assert len(read_input(path, limit=100)) == 100
    with pytest.raises(PackagerError, match="larger than"):
        read_input(path, limit=99)


@pytest.mark.parametrize("command", ["verify", "inspect", "sign"])
def test_hostile_inputs_end_quickly_with_a_message(
    command: str, tmp_path: Path, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    sparse = tmp_path / "huge.taco"
    with sparse.open("wb") as handle:  # 1.5 GB of zeros, then a small archive: sparse, so the disk holds little
        handle.seek(1536 * 2**20)
        handle.write(build_zip(BASE))
    fifo = tmp_path / "pipe.taco"
    os.mkfifo(fifo)
    extra = {
        "verify": ["--truststore", str(pki.root_pem)],
        "inspect": [],
        "sign": [
            "--keystore",
            str(pki.write_p12(pki.codesign, "hostile")),
            "--alias",
            "author",
            "--storepass-env",
            "HOSTILE_STOREPASS",
            "--no-timestamp",
        ],
    }[command]
    monkeypatch.setenv("HOSTILE_STOREPASS", PASSWORD)
    for path in (sparse, fifo, Path("/dev/zero")):
        run = run_bounded(command, path, *extra)
        run.assert_bounded()
        assert run.returncode in (1, 2), run.describe()
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_the_largest_archive_read_stays_within_the_memory_limit(tmp_path: Path, pki: Pki) -> None:
    pieces = 8
    each = (MAX_UNPACKED_BYTES - 2**20) // pieces
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream = packer.compress(b"\0" * each) + packer.flush()
    crafts = [
        Craft(f"big{i}.bin".encode(), b"", compressed=stream, size=each, crc=zlib.crc32(b"\0" * each))
        for i in range(pieces)
    ]
    taco = tmp_path / "largest.taco"
    taco.write_bytes(build_zip([*BASE, *crafts]))
    assert taco.stat().st_size < MAX_INPUT_BYTES
    for args in (["verify", taco, "--truststore", pki.root_pem], ["inspect", taco]):
        run = run_bounded(*args)
        run.assert_bounded()
        assert run.returncode == 1, run.describe()
