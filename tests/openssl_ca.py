"""A throwaway certificate authority run by ``openssl ca``: a root, an intermediate, and the replies it signs."""

from __future__ import annotations

import subprocess
from pathlib import Path

_CONFIG = """\
[ ca ]
default_ca = intermediate_ca

[ intermediate_ca ]
dir = {folder}
database = {folder}/index.txt
serial = {folder}/serial
new_certs_dir = {folder}/issued
certificate = {folder}/intermediate.pem
private_key = {folder}/intermediate.key
default_md = sha256
default_days = 800
policy = any_name
copy_extensions = none
unique_subject = no

[ any_name ]
commonName = supplied
organizationName = optional
countryName = optional
localityName = optional
emailAddress = optional

[ code_signing ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ tls_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ intermediate ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def openssl(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["openssl", *args], check=True, capture_output=True, text=True, cwd=cwd).stdout


class OpensslCa:
    """``root.pem`` signs ``intermediate.pem``, which signs the requests (``openssl ca``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "issued").mkdir(parents=True)
        (folder / "index.txt").write_text("")
        (folder / "serial").write_text("1000\n")
        self.config = folder / "ca.cnf"
        self.config.write_text(_CONFIG.format(folder=folder))
        f = str(folder)
        openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f"{f}/root.key",
            "-out",
            f"{f}/root.pem",
            "-subj",
            "/O=OpenSSL Test CA/CN=OpenSSL Test Root",
            "-days",
            "3650",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        )
        openssl(
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f"{f}/intermediate.key",
            "-out",
            f"{f}/intermediate.csr",
            "-subj",
            "/O=OpenSSL Test CA/CN=OpenSSL Test Intermediate",
        )
        openssl(
            "x509",
            "-req",
            "-in",
            f"{f}/intermediate.csr",
            "-CA",
            f"{f}/root.pem",
            "-CAkey",
            f"{f}/root.key",
            "-CAcreateserial",
            "-out",
            f"{f}/intermediate.pem",
            "-days",
            "3000",
            "-sha256",
            "-extfile",
            str(self.config),
            "-extensions",
            "intermediate",
        )
        self.root = folder / "root.pem"
        self.intermediate = folder / "intermediate.pem"

    def sign(self, request: Path, out: Path, extensions: str = "code_signing") -> Path:
        """The certificate ``openssl ca`` issues for ``request`` (PEM, the leaf alone)."""
        openssl(
            "ca",
            "-batch",
            "-config",
            str(self.config),
            "-extensions",
            extensions,
            "-preserveDN",
            "-in",
            str(request),
            "-out",
            str(out),
            "-notext",
        )
        return out

    def reply(
        self,
        request: Path,
        out: Path,
        *,
        with_intermediate: bool = True,
        with_root: bool = True,
        extensions: str = "code_signing",
    ) -> Path:
        """A PEM reply: the leaf, then (as asked) the intermediate and the root."""
        leaf = self.sign(request, out.with_suffix(".leaf.pem"), extensions)
        parts = [leaf.read_bytes()]
        if with_intermediate:
            parts.append(self.intermediate.read_bytes())
        if with_root:
            parts.append(self.root.read_bytes())
        out.write_bytes(b"".join(parts))
        return out


def self_signed_code_signer(folder: Path, name: str) -> tuple[Path, Path]:
    """A PEM key and a self-signed code-signing certificate for it, valid 30 days, made by ``openssl req``."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(key),
        "-out",
        str(cert),
        "-days",
        "30",
        "-subj",
        f"/CN={name}",
        "-addext",
        "extendedKeyUsage=codeSigning",
        "-addext",
        "keyUsage=digitalSignature",
    )
    return key, cert
