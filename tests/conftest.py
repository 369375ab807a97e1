"""Shared test helpers: sample connectors, small connectors built inline, folder snapshots."""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.openssl_ca import OpensslCa
from tests.pki import Pki, make_pki
from tests.tsa_server import LoopbackTsa, openssl_available

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
SHARED = REPO.parent / "shared"
SAMPLE_CONNECTORS = sorted(p.name for p in SAMPLES.iterdir() if (p / "manifest.xml").is_file())
SAMPLE_EXTENSIONS = sorted(SAMPLES.rglob("*.trex"))
#: Root element of a connector XML file -> the bundled schema it is validated against.
ROOT_TO_SCHEMA = {
    "connector-plugin": "connector_plugin_manifest_latest.xsd",
    "connection-dialog": "tcd_latest.xsd",
    "tdr": "tdr_latest.xsd",
    "dialect": "tdd_latest.xsd",
    "resources": "connector_plugin_resources_latest.xsd",
    "connection-fields": "connection_fields.xsd",
    "connection-metadata": "connector_plugin_metadata.xsd",
    "pluginOAuthConfig": "oauth_config.xsd",
}

# A small, valid JDBC connector with connection fields; tests replace or add files.
BASE_FILES: dict[str, str] = {
    "manifest.xml": """<?xml version="1.0" encoding="utf-8"?>
<connector-plugin class="tiny" superclass="jdbc" plugin-version="1.0.0" name="Tiny" version="18.1">
  <vendor-information>
    <company name="Tiny Co"/>
    <support-link url="https://example.com/support"/>
  </vendor-information>
  <connection-fields file="fields.xml"/>
  <connection-resolver file="resolver.tdr"/>
  <dialect file="dialect.tdd"/>
</connector-plugin>
""",
    "fields.xml": """<?xml version="1.0" encoding="utf-8"?>
<connection-fields>
  <field name="server" label="Server" value-type="string" category="endpoint"/>
  <field name="authentication" label="Authentication" value-type="string" category="authentication"
         default-value="auth-user-pass"/>
  <field name="username" label="Username" value-type="string" category="authentication"/>
  <field name="password" label="Password" value-type="string" category="authentication" secure="true"/>
</connection-fields>
""",
    "resolver.tdr": """<?xml version="1.0" encoding="utf-8"?>
<tdr class="tiny">
  <connection-resolver>
    <connection-builder><script file="builder.js"/></connection-builder>
    <connection-normalizer>
      <required-attributes>
        <attribute-list>
          <attr>server</attr><attr>dbname</attr><attr>authentication</attr><attr>username</attr><attr>password</attr>
        </attribute-list>
      </required-attributes>
    </connection-normalizer>
    <connection-properties><script file="properties.js"/></connection-properties>
  </connection-resolver>
</tdr>
""",
    "dialect.tdd": """<?xml version="1.0" encoding="utf-8"?>
<dialect name="Tiny" class="tiny" base="PostgreSQL90Dialect" version="18.1"/>
""",
    "builder.js": "(function (attr) { return ['jdbc:tiny://' + attr.server]; })\n",
    "properties.js": "(function (attr) { return {}; })\n",
}


def write_files(folder: Path, files: dict[str, str | bytes | None]) -> Path:
    """Write ``files`` (name -> text, bytes, or None to delete) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture
def make_connector(tmp_path: Path) -> Callable[..., Path]:
    """Build the small base connector in a fresh folder, with some files replaced."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes | None] | None = None, *, base: dict[str, str] | None = None) -> Path:
        folder = tmp_path / f"connector{next(counter)}"
        write_files(folder, dict(base if base is not None else BASE_FILES))
        return write_files(folder, files or {})

    return make


@pytest.fixture
def sample_copy(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a bundled sample into tmp_path (tests change copies, never the samples)."""

    def copy(name: str) -> Path:
        target = tmp_path / "input" / name
        shutil.copytree(SAMPLES / name, target)
        return target

    return copy


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and modification time (ns)."""
    result = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            result[path.relative_to(folder).as_posix()] = (path.read_bytes(), path.stat().st_mtime_ns)
    return result


def fail_zip_entry(monkeypatch: pytest.MonkeyPatch, entry: str, exc: BaseException) -> None:
    """Make writing the archive entry ``entry`` raise ``exc`` (a full disk or an interrupt cannot be had
    for real in a test, so the fault is injected where the archive is written)."""
    real = zipfile.ZipFile.writestr

    def failing(
        self: zipfile.ZipFile, info: zipfile.ZipInfo | str, data: bytes | str, *args: object, **kwargs: object
    ) -> None:
        if getattr(info, "filename", info) == entry:
            raise exc
        real(self, info, data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing)


def has_jdk(*tools: str) -> bool:
    return all(shutil.which(tool) for tool in tools)


needs_jdk = pytest.mark.skipif(
    not has_jdk("jar", "jarsigner", "keytool", "java"), reason="needs the JDK tools jar, jarsigner, keytool and java"
)
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared beside the repository")

PYTHON = sys.executable


#: Set by .ci/run: there a missing real component (openssl, SoftHSM2) fails the tests instead of skipping them.
REQUIRE_TOOLS = os.environ.get("CONNECTOR_PACKAGER_REQUIRE_TOOLS") == "1"


def missing_tool(reason: str) -> NoReturn:
    if REQUIRE_TOOLS:
        pytest.fail(f"{reason}; CONNECTOR_PACKAGER_REQUIRE_TOOLS=1 requires it")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """The throwaway PKI of the signing tests (made once per run)."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def tsa(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackTsa]:
    """A real RFC 3161 timestamp authority (openssl ts) on loopback, for the whole run."""
    if not openssl_available():
        missing_tool("needs openssl for the loopback timestamp authority")
    server = LoopbackTsa(pki, tmp_path_factory.mktemp("tsa")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def openssl_ca(tmp_path_factory: pytest.TempPathFactory) -> OpensslCa:
    """A throwaway certificate authority run by ``openssl ca`` (root, intermediate), for the whole run."""
    if not openssl_available():
        missing_tool("needs openssl for the throwaway certificate authority")
    return OpensslCa(tmp_path_factory.mktemp("openssl-ca"))


@pytest.fixture
def ca_trust(openssl_ca: OpensslCa, pki: Pki, tmp_path: Path) -> Path:
    """A PEM truststore: the openssl CA's root, and the test root the loopback timestamp authority chains to."""
    path = tmp_path / "ca-trust.pem"
    path.write_bytes(openssl_ca.root.read_bytes() + pki.root.pem)
    return path


@pytest.fixture
def unsigned_taco(tmp_path: Path) -> Path:
    """A freshly packaged, unsigned .taco of the acme_odbc sample."""
    from connector_packager.packaging import package
    from connector_packager.validation import check_connector

    report = check_connector(SAMPLES / "acme_odbc")
    assert report.ok
    return package(report, tmp_path / "out")


@pytest.fixture(scope="session")
def signed_taco_bytes(pki: Pki, tsa: LoopbackTsa, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The acme_odbc sample, packaged and signed by us with the test PKI's code-signing key and a timestamp
    (made once per run: tests copy the bytes and change the copy)."""
    from connector_packager.packaging import package
    from connector_packager.signing.sign import sign_jar
    from connector_packager.signing.signers import SoftwareSigner
    from connector_packager.validation import check_connector

    report = check_connector(SAMPLES / "acme_odbc")
    taco = package(report, tmp_path_factory.mktemp("signed"))
    signer = SoftwareSigner(pki.codesign.key, pki.chain(pki.codesign))  # type: ignore[arg-type]
    return sign_jar(taco.read_bytes(), signer, "author", tsa.url).data


@pytest.fixture(scope="session")
def java_store(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """A keytool-made PKCS#12 truststore with the test root, or None without a JDK (jarsigner is then not asked)."""
    from tests.differential import has_jarsigner, java_truststore

    if not has_jarsigner():
        return None
    return java_truststore(pki.root_pem, tmp_path_factory.mktemp("javatrust"))
