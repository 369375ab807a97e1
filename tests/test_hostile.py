"""Hostile input: every case ends with a clear message and exit 1 (or 2 for usage), no traceback,
no partial output, and the input folder exactly as it was."""

from __future__ import annotations

import errno
import http.server
import os
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector_packager.cli import package_command
from tests.conftest import BASE_FILES, PYTHON, fail_zip_entry, snapshot

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10) for i in range(1, 10)
    )
    + b"]>\n<dialect name='x' class='tiny' version='1'>&lol9;</dialect>"
)
DIALECT = BASE_FILES["dialect.tdd"]


def run_cli(folder: Path, tmp_path: Path, *extra: str) -> tuple[int, str]:
    """Run the packager as a real process and return (exit code, everything it printed)."""
    dest = [] if "-d" in extra else ["-d", str(tmp_path / "dest")]
    proc = subprocess.run(
        [PYTHON, "-m", "connector_packager.package", str(folder), *dest, "-l", str(tmp_path / "logs"), *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, output
    return proc.returncode, output


def assert_rejected(folder: Path, tmp_path: Path, expect: str, code: int = 1) -> None:
    before = snapshot(folder)
    rc, output = run_cli(folder, tmp_path)
    assert rc == code, output
    assert expect in output, output
    dest = tmp_path / "dest"
    assert not dest.exists() or list(dest.iterdir()) == []
    assert snapshot(folder) == before


CONTENT_CASES: list[tuple[str, bytes, str]] = [
    ("not well-formed", b"<dialect name='x' class='tiny' version='1'>", "not well-formed XML"),
    ("billion laughs", LAUGHS, "entity declarations are not allowed"),
    (
        "external entity",
        b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<dialect name='x' class='tiny' version='1'>&x;</dialect>",
        "entity declarations",
    ),
    (
        "external dtd",
        b"<!DOCTYPE dialect SYSTEM \"http://127.0.0.1:9/evil.dtd\"><dialect name='x' class='tiny' version='1'/>",
        "external DTD",
    ),
    (
        "xinclude",
        b'<dialect xmlns:xi="http://www.w3.org/2001/XInclude" name="x" class="tiny" version="1">'
        b'<xi:include href="/etc/passwd" parse="text"/></dialect>',
        "does not match tdd_latest.xsd",
    ),
    (
        "unknown xsi:type",
        b"<dialect name='x' class='tiny' version='1'><function-map "
        b"xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xsi:type='en'/></dialect>",
        "xmlschema cannot check this document: global component 'en' not found",
    ),
    ("not utf-8", DIALECT.encode().replace(b'name="Tiny"', b'name="T\xe9\xff"'), "not well-formed XML"),
    ("mislabelled encoding", DIALECT.replace("utf-8", "utf-16").encode(), "not well-formed XML"),
    ("binary junk", bytes(range(256)) * 4, "not well-formed XML"),
    ("empty file", b"", "not well-formed XML"),
    ("300 KB", DIALECT.encode() + b" " * 300_000, "over Tableau's limit of 262,144 bytes"),
    (
        "10,000 deep",
        b"<dialect name='x' class='tiny' version='1'>" + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</dialect>",
        "not well-formed XML",
    ),
]


@pytest.mark.parametrize(("case", "data", "expect"), CONTENT_CASES, ids=[c for c, _, _ in CONTENT_CASES])
def test_hostile_file_contents(
    make_connector: Callable[..., Path], tmp_path: Path, case: str, data: bytes, expect: str
) -> None:
    assert_rejected(make_connector({"dialect.tdd": data}), tmp_path, expect)


def test_passwd_never_appears(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_connector({"dialect.tdd": CONTENT_CASES[2][1]})
    rc, output = run_cli(folder, tmp_path, "-v")
    assert rc == 1
    assert "root:" not in output and "root:" not in (tmp_path / "logs" / "packaging_log.txt").read_text()


def test_bom_is_fine(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    rc, output = run_cli(make_connector({"dialect.tdd": b"\xef\xbb\xbf" + DIALECT.encode()}), tmp_path)
    assert rc == 0, output


def _with_builder_ref(ref: str) -> dict[str, str | bytes | None]:
    return {"resolver.tdr": BASE_FILES["resolver.tdr"].replace('file="builder.js"', f'file="{ref}"')}


@pytest.mark.parametrize(
    ("ref", "expect"),
    [
        ("../outside.js", "leaves the connector folder"),
        ("/etc/hostname", "is an absolute path"),
        ("scripts", "is not a file"),
    ],
)
def test_hostile_references(make_connector: Callable[..., Path], tmp_path: Path, ref: str, expect: str) -> None:
    folder = make_connector(_with_builder_ref(ref))
    (folder / "scripts").mkdir()
    (folder.parent / "outside.js").write_text("//")
    assert_rejected(folder, tmp_path, expect)


def test_symlink_leaving_the_folder(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_connector({"builder.js": None})
    secret = tmp_path / "secret.js"
    secret.write_text("// secret")
    os.symlink(secret, folder / "builder.js")
    assert_rejected(folder, tmp_path, "a link that leads outside the connector folder")


def test_cyclic_and_self_referencing_resolvers(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    tdr = BASE_FILES["resolver.tdr"].replace("<connection-builder>", '<connection-builder file="other.tdr">')
    other = BASE_FILES["resolver.tdr"].replace("<connection-builder>", '<connection-builder file="resolver.tdr">')
    folder = make_connector({"resolver.tdr": tdr, "other.tdr": other})
    assert_rejected(folder, tmp_path, "does not match tdr_latest.xsd")


def test_duplicate_references_package_once(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_connector(_with_builder_ref("properties.js"))
    rc, output = run_cli(folder, tmp_path)
    assert rc == 0, output
    [taco] = (tmp_path / "dest").iterdir()
    names = zipfile.ZipFile(taco).namelist()
    assert names.count("properties.js") == 1


def test_manifest_that_is_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    (folder / "manifest.xml").mkdir(parents=True)
    assert_rejected(folder, tmp_path, "manifest.xml is not a file")


def test_dest_inside_input_or_a_file(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_connector()
    before = snapshot(folder)
    rc, output = run_cli(folder, tmp_path, "-d", str(folder / "out"))
    assert (rc, "inside the connector folder" in output) == (2, True)
    (tmp_path / "afile").write_text("x")
    rc, output = run_cli(folder, tmp_path, "-d", str(tmp_path / "afile"))
    assert (rc, "is a file, not a folder" in output) == (2, True)
    assert snapshot(folder) == before
    assert (tmp_path / "afile").read_text() == "x"


def test_log_dir_that_cannot_be_created(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("x")
    proc = subprocess.run(
        [PYTHON, "-m", "connector_packager.package", str(make_connector()), "-l", str(tmp_path / "blocker" / "logs")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "cannot create the log folder" in proc.stderr and "Traceback" not in proc.stderr


def test_unreadable_file(make_connector: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root reads any file whatever its mode, so the permission error is injected for that one file.
    folder = make_connector()
    real = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self.name == "dialect.tdd":
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    result = CliRunner().invoke(package_command, [str(folder), "-d", str(tmp_path / "d"), "-l", str(tmp_path)])
    assert result.exit_code == 2  # an input that cannot be read: the tool could not do the job
    assert "dialect.tdd cannot be read: Permission denied" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_full_disk_leaves_no_taco(
    make_connector: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_connector()
    fail_zip_entry(monkeypatch, "dialect.tdd", OSError(errno.ENOSPC, "No space left on device"))
    dest = tmp_path / "dest"
    result = CliRunner().invoke(package_command, [str(folder), "-d", str(dest), "-l", str(tmp_path)])
    assert result.exit_code == 2  # an output that cannot be written
    assert "No space left on device" in result.output
    assert not dest.exists()  # the folder the run made is taken back, being empty


def test_input_that_is_a_file_or_missing(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    for target, says, code in (
        (tmp_path / "file", f"is a file: give its folder, {tmp_path}", 1),
        (tmp_path / "missing", "does not exist", 2),
    ):
        rc, output = run_cli(target, tmp_path)
        assert rc == code
        assert f"{target} {says}" in output


def test_unexpected_manifest_root(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_connector({"manifest.xml": "<html><body>hello</body></html>"})
    assert_rejected(folder, tmp_path, "does not match connector_plugin_manifest_latest.xsd")


def test_input_folder_copy_is_untouched_after_success(sample_copy: Callable[[str], Path], tmp_path: Path) -> None:
    src = sample_copy("acme_odbc")
    before = snapshot(src)
    listing_before = sorted(os.listdir(src))
    rc, _ = run_cli(src, tmp_path)
    assert rc == 0
    assert snapshot(src) == before and sorted(os.listdir(src)) == listing_before
    shutil.rmtree(tmp_path / "dest")


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "schema violation"])
def test_schema_location_hints_are_never_fetched(
    make_connector: Callable[..., Path], tmp_path: Path, valid: bool
) -> None:
    """xsi:schemaLocation hints pointing at a loopback server: neither libxml2's first pass nor xmlschema
    asks for them, and the verdict is the one without the hints."""
    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_error(404)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        hints = (
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="{url}/a.xsd" '
            f'xsi:schemaLocation="urn:x {url}/b.xsd" '
        )
        dialect = DIALECT.replace("<dialect ", "<dialect " + hints, 1)
        if not valid:
            dialect = dialect.replace("/>", "><bogus/></dialect>", 1)
        folder = make_connector({"dialect.tdd": dialect})
        if valid:
            rc, output = run_cli(folder, tmp_path, "--validate-only")
            assert rc == 0, output
        else:
            assert_rejected(folder, tmp_path, "does not match tdd_latest.xsd")
        server.shutdown()
    assert requests == []
