"""The JAR manifest, written (folded 72-byte lines, the packager's main section) and read as Java reads it."""

from __future__ import annotations

import pytest

from connector_packager.archive.jar_manifest import ManifestSyntaxError, fold, main_section, parse_sections


def test_jar_manifest_lines_fold_at_72_bytes() -> None:
    assert fold("Manifest-Version: 1.0") == b"Manifest-Version: 1.0\r\n"
    long = "Name: " + "x" * 200
    folded = fold(long)
    lines = folded.split(b"\r\n")[:-1]
    assert all(len(line) <= 72 for line in lines)
    assert lines[0] == long.encode()[:72]
    assert all(line.startswith(b" ") for line in lines[1:])
    assert b"".join([lines[0]] + [line[1:] for line in lines[1:]]) == long.encode()


def test_folding_never_splits_a_utf8_character() -> None:
    folded = fold("Name: " + "é" * 100)
    for line in folded.split(b"\r\n")[:-1]:
        line.decode("utf-8")  # raises if a character was cut


def test_main_section() -> None:
    assert main_section("x 1") == b"Manifest-Version: 1.0\r\nCreated-By: x 1\r\n\r\n"


def test_sections_keep_their_exact_bytes_and_join_continuations() -> None:
    data = (
        b"Manifest-Version: 1.0\r\nCreated-By: x\r\n\r\n"
        b"Name: a/very/long/" + b"n" * 60 + b"\r\n more.xml\r\nSHA-256-Digest: abc=\r\n\r\n"
    )
    main, entry = parse_sections(data)
    assert main.raw == b"Manifest-Version: 1.0\r\nCreated-By: x\r\n\r\n"
    assert main.raw + entry.raw == data
    assert entry.name == "a/very/long/" + "n" * 60 + "more.xml"
    assert entry.digests() == {"SHA-256": "abc="}


@pytest.mark.parametrize("newline", [b"\n", b"\r"])
def test_sections_accept_lf_and_cr_line_ends(newline: bytes) -> None:
    data = newline.join([b"Manifest-Version: 1.0", b"", b"Name: a", b"SHA-256-Digest: x", b"", b""])
    sections = parse_sections(data)
    assert [s.name for s in sections] == [None, "a"]
    assert b"".join(s.raw for s in sections) == data


@pytest.mark.parametrize("data", [b"", b"no colon here\r\n\r\n", b" continuation first\r\n\r\n"])
def test_malformed_manifests_are_refused(data: bytes) -> None:
    with pytest.raises(ManifestSyntaxError):
        parse_sections(data)
