"""The .taco writer: JAR layout, reproducible bytes, atomic output, and what the JDK makes of it."""

from __future__ import annotations

import errno
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from connector_packager.archive.taco_writer import new_jar, write_taco
from connector_packager.errors import PackagerError
from connector_packager.packaging import package
from connector_packager.validation import check_connector
from tests.conftest import fail_zip_entry, needs_jdk, snapshot

ENTRIES = [("manifest.xml", b"<connector-plugin/>"), ("scripts/b.js", b"//b"), ("a.tdr", b"<tdr/>")]


def test_layout_order_and_compression(tmp_path: Path) -> None:
    target = tmp_path / "t.taco"
    write_taco(target, new_jar(ENTRIES))
    with zipfile.ZipFile(target) as jar:
        infos = jar.infolist()
        assert [i.filename for i in infos] == [
            "META-INF/",
            "META-INF/MANIFEST.MF",
            "manifest.xml",
            "scripts/b.js",
            "a.tdr",
        ]
        assert jar.read("META-INF/MANIFEST.MF").startswith(b"Manifest-Version: 1.0\r\nCreated-By: connector-packager ")
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos[1:])
        assert all(i.extra == b"" for i in infos)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert all(i.create_system == 0 and i.external_attr >> 16 == 0 for i in infos)  # no POSIX bits
        assert jar.read("scripts/b.js") == b"//b"
    assert list(tmp_path.iterdir()) == [target]


def test_source_date_epoch_sets_every_timestamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    write_taco(tmp_path / "t.taco", new_jar(ENTRIES))
    with zipfile.ZipFile(tmp_path / "t.taco") as jar:
        assert {i.date_time for i in jar.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(PackagerError, match="SOURCE_DATE_EPOCH"):
        write_taco(tmp_path / "u.taco", new_jar(ENTRIES))
    assert not (tmp_path / "u.taco").exists()


def test_same_input_same_bytes_across_runs_and_checkouts(sample_copy: Callable[[str], Path], tmp_path: Path) -> None:
    first = sample_copy("acme_jdbc")
    second = tmp_path / "elsewhere" / "deeper" / "acme_jdbc"
    second.parent.mkdir(parents=True)
    first.rename(second)
    again = sample_copy("acme_jdbc")
    for src in (second, again):
        (src / "manifest.xml").touch()  # a different mtime must not matter either
    out = [package(check_connector(src), tmp_path / f"out{i}") for i, src in enumerate((second, again, again))]
    data = [p.read_bytes() for p in out]
    assert data[0] == data[1] == data[2]


def test_failure_mid_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_zip_entry(monkeypatch, "scripts/b.js", KeyboardInterrupt())  # as if Ctrl-C (or a kill) arrived mid-archive
    with pytest.raises(KeyboardInterrupt):
        write_taco(tmp_path / "t.taco", new_jar(ENTRIES))
    assert list(tmp_path.iterdir()) == []


def test_full_disk_keeps_the_previous_taco(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "t.taco"
    target.write_bytes(b"previous complete taco")
    fail_zip_entry(monkeypatch, "a.tdr", OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(PackagerError, match="No space left on device"):
        write_taco(target, new_jar(ENTRIES))
    assert target.read_bytes() == b"previous complete taco"
    assert list(tmp_path.iterdir()) == [target]


def test_packaging_leaves_the_source_untouched(sample_copy: Callable[[str], Path], tmp_path: Path) -> None:
    src = sample_copy("acme_oauth")
    before = snapshot(src)
    target = package(check_connector(src), tmp_path / "dest")
    assert snapshot(src) == before
    with zipfile.ZipFile(target) as jar:
        packaged = jar.read("manifest.xml")
        assert jar.read("oauthConfig.xml") == (src / "oauthConfig.xml").read_bytes()
    source = (src / "manifest.xml").read_bytes()
    # The manifest declares 2021.4, which is also what its features need: the stamped copy is the source.
    assert packaged == source


# ---------------------------------------------------------------- JDK interop (skipped without a JDK)

JAR_CHECK = """
import java.util.jar.*;
public class JarCheck {
    public static void main(String[] args) throws Exception {
        try (JarFile jar = new JarFile(args[0], true)) {
            Manifest m = jar.getManifest();
            System.out.println("Manifest-Version=" + m.getMainAttributes().getValue("Manifest-Version"));
            java.util.Enumeration<JarEntry> e = jar.entries();
            while (e.hasMoreElements()) {
                JarEntry entry = e.nextElement();
                jar.getInputStream(entry).readAllBytes();
                System.out.println(entry.getName());
            }
        }
    }
}
"""


@pytest.fixture
def sample_taco(sample_copy: Callable[[str], Path], tmp_path: Path) -> Path:
    return package(check_connector(sample_copy("acme_odbc")), tmp_path / "dest")


@needs_jdk
def test_jdk_jar_lists_the_taco(sample_taco: Path) -> None:
    listing = subprocess.run(["jar", "tf", str(sample_taco)], capture_output=True, text=True, check=True).stdout
    assert listing.split() == [
        "META-INF/",
        "META-INF/MANIFEST.MF",
        "manifest.xml",
        "connection-dialog.tcd",
        "connectionResolver.tdr",
        "connectionBuilder.js",
        "dialect.tdd",
        "resources-en_US.xml",
        "resources-de_DE.xml",
    ]


@needs_jdk
def test_java_jarfile_opens_the_taco(sample_taco: Path, tmp_path: Path) -> None:
    source = tmp_path / "JarCheck.java"
    source.write_text(JAR_CHECK)
    out = subprocess.run(["java", str(source), str(sample_taco)], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0] == "Manifest-Version=1.0"
    assert "connectionBuilder.js" in out.splitlines()


@needs_jdk
def test_jarsigner_signs_and_verifies_the_taco(sample_taco: Path, tmp_path: Path) -> None:
    keystore = tmp_path / "ks.p12"
    subprocess.run(
        [
            "keytool",
            "-genkeypair",
            "-keystore",
            str(keystore),
            "-storetype",
            "PKCS12",
            "-storepass",
            "changeit",
            "-keypass",
            "changeit",
            "-alias",
            "author",
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-dname",
            "CN=Test Author",
            "-validity",
            "2",
            "-noprompt",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["jarsigner", "-keystore", str(keystore), "-storepass", "changeit", str(sample_taco), "author"],
        check=True,
        capture_output=True,
    )
    verify = subprocess.run(["jarsigner", "-verify", str(sample_taco)], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "jar verified." in verify.stdout
