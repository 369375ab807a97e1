"""A real RFC 3161 timestamp authority on loopback: ``openssl ts -reply`` behind a small HTTP server."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from tests.pki import Pki

_CONFIG = """\
[ tsa ]
default_tsa = test_tsa

[ test_tsa ]
serial = {folder}/serial
crypto_device = builtin
signer_cert = {folder}/tsa.pem
certs = {folder}/tsa-chain.pem
signer_key = {folder}/tsa.key
signer_digest = {signer_digest}
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def openssl_available() -> bool:
    return shutil.which("openssl") is not None


class LoopbackTsa:
    """Start with ``start()``; ``url`` answers timestamp queries until ``stop()``. ``requests`` counts them."""

    def __init__(self, pki: Pki, folder: Path, signer_digest: str = "sha256") -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "tsa.pem").write_bytes(pki.tsa.pem)
        (folder / "tsa.key").write_bytes(pki.tsa.key_pem)
        (folder / "tsa-chain.pem").write_bytes(
            pki.intermediate.cert.public_bytes(serialization.Encoding.PEM) + pki.root.pem
        )
        (folder / "serial").write_text("01\n")
        (folder / "tsa.cnf").write_text(_CONFIG.format(folder=folder, signer_digest=signer_digest))
        self.requests = 0
        self.fail_with: int | None = None
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/tsa"

    def start(self) -> LoopbackTsa:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reply(self, query: bytes) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            query_file, reply_file = Path(tmp) / "query.tsq", Path(tmp) / "reply.tsr"
            query_file.write_bytes(query)
            subprocess.run(
                [
                    "openssl",
                    "ts",
                    "-reply",
                    "-config",
                    str(self.folder / "tsa.cnf"),
                    "-queryfile",
                    str(query_file),
                    "-out",
                    str(reply_file),
                ],
                check=True,
                capture_output=True,
            )
            return reply_file.read_bytes()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        tsa = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                tsa.requests += 1
                query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if tsa.fail_with is not None:
                    self.send_error(tsa.fail_with)
                    return
                try:
                    body = tsa.reply(query)
                except subprocess.CalledProcessError:
                    self.send_error(400, "openssl ts could not answer the query")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
