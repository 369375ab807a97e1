"""The signed-JAR text formats: manifest sections, the .SF file, signature file names."""

from __future__ import annotations

import base64
import hashlib

import pytest

from connector_packager.archive.jar_manifest import parse_sections
from connector_packager.archive.signature_files import (
    is_signature_related,
    signature_file,
    signature_file_base,
    signed_manifest,
)


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_signed_manifest_keeps_the_main_section_and_other_attributes() -> None:
    existing = (
        b"Manifest-Version: 1.0\r\nCreated-By: someone\r\n\r\nName: a.xml\r\nX-Note: kept\r\nMD5-Digest: old\r\n\r\n"
    )
    manifest = signed_manifest(parse_sections(existing), [("a.xml", b"<a/>"), ("b.js", b"b")])
    main, a, b = parse_sections(manifest.data)
    assert main.raw == b"Manifest-Version: 1.0\r\nCreated-By: someone\r\n\r\n"
    assert a.headers == (("Name", "a.xml"), ("X-Note", "kept"), ("SHA-256-Digest", sha256_b64(b"<a/>")))
    assert b.headers == (("Name", "b.js"), ("SHA-256-Digest", sha256_b64(b"b")))


def test_signature_file_digests_the_manifest_and_each_section() -> None:
    manifest = signed_manifest(parse_sections(b"Manifest-Version: 1.0\r\n\r\n"), [("a.xml", b"<a/>")])
    main_raw, section_raw = manifest.data.split(b"\r\n\r\n", 1)
    sf_main, sf_entry = parse_sections(signature_file(manifest, "tests"))
    assert sf_main.get("Signature-Version") == "1.0"
    assert sf_main.get("SHA-256-Digest-Manifest") == sha256_b64(manifest.data)
    assert sf_main.get("SHA-256-Digest-Manifest-Main-Attributes") == sha256_b64(main_raw + b"\r\n\r\n")
    assert sf_entry.name == "a.xml"
    assert sf_entry.get("SHA-256-Digest") == sha256_b64(section_raw)


@pytest.mark.parametrize(("alias", "base"), [("author", "AUTHOR"), ("my.signing-key", "MY_SIGNI"), ("Ünï ", "_N__")])
def test_signature_file_names_follow_jarsigner(alias: str, base: str) -> None:
    assert signature_file_base(alias) == base


@pytest.mark.parametrize(
    ("name", "related"),
    [
        ("META-INF/", True),
        ("META-INF/MANIFEST.MF", True),
        ("META-INF/AUTHOR.SF", True),
        ("meta-inf/author.rsa", True),
        ("META-INF/X.EC", True),
        ("META-INF/SIG-X", True),
        ("META-INF/sub/X.SF", False),
        ("META-INF/other.txt", False),
        ("manifest.xml", False),
        ("X.SF", False),
    ],
)
def test_which_entries_no_signature_covers(name: str, related: bool) -> None:
    assert is_signature_related(name) is related
