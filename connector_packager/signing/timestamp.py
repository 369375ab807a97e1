"""RFC 3161 time stamps: asking a timestamp authority (TSA) for a token, and checking one.

The token stamps the signature value of the signature block's SignerInfo
(its message imprint is that value's SHA-256), as jarsigner's tokens do.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, cms, tsp
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from connector_packager import __version__
from connector_packager.catalogue import Severity, declare
from connector_packager.errors import PackagerError
from connector_packager.signing.algorithm_policy import digest_problem
from connector_packager.signing.certificates import usage_problem
from connector_packager.signing.cms_block import (
    SignatureProblem,
    certificates,
    load_signed_data,
    signer_certificate,
    verify_signer_info,
)

#: The whole request to the timestamp authority must end within this many seconds.
DEADLINE_SECONDS = 30
MAX_RESPONSE_BYTES = 1024 * 1024
#: Digests a token may stamp with (the JDK's policy then decides whether it is disabled).
IMPRINT_DIGESTS = ("sha1", "sha224", "sha256", "sha384", "sha512", "md5")
CONTENT_TYPE_QUERY = "application/timestamp-query"
CONTENT_TYPE_REPLY = "application/timestamp-reply"

TIMESTAMP_INVALID = declare(
    "timestamp-invalid",
    "signature",
    Severity.ERROR,
    "the timestamp token is valid and stamps this signature",
    doc="An RFC 3161 token: SignedData holding TSTInfo, one signer whose certificate is for time stamping, a "
    "signature that verifies, algorithms Java allows at the token's time, and a message imprint equal to the "
    "digest of this signature's value. The message says which part fails.",
    passes="a token from the timestamp authority `sign --tsa` asked",
    fails="a token copied from another signature",
)


@dataclass
class Timestamp:
    """A checked token: when, who stamped it, and the certificates it carries."""

    time: dt.datetime
    tsa: x509.Certificate
    certificates: list[x509.Certificate]
    policy: str


def request_timestamp(url: str, signature: bytes, deadline: float = DEADLINE_SECONDS) -> cms.ContentInfo:
    """Ask the TSA at ``url`` to stamp ``signature``; return the checked token.

    The whole exchange (connecting, sending, every byte of the answer) must end within ``deadline`` seconds: a
    watchdog shuts the connection down when the time is up, so a server that answers one byte at a time cannot
    keep ``sign`` waiting. Proxies set in the environment are used, as urllib uses them."""
    import http.client
    import urllib.error

    if not url.lower().startswith(("http://", "https://")):
        raise PackagerError(f"--tsa {url!r} is not an http:// or https:// address")
    nonce = secrets.randbits(63)
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": tsp.MessageImprint(
                {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                    "hashed_message": hashlib.sha256(signature).digest(),
                }
            ),
            "nonce": nonce,
            "cert_req": True,
        }
    )
    late = PackagerError(
        f"the timestamp authority {url} did not answer within {deadline:g} seconds",
        hint="check the --tsa address and the network, or sign later",
    )
    with _Watchdog(deadline) as watchdog:
        try:
            body = watchdog.post(url, request.dump())
        except urllib.error.HTTPError as exc:
            exc.close()
            if watchdog.expired:
                raise late from None
            raise PackagerError(f"the timestamp authority {url} answered HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            if watchdog.expired:
                raise late from None
            reason = getattr(exc, "reason", exc)
            raise PackagerError(
                f"cannot reach the timestamp authority {url}: {reason}",
                hint="check the --tsa address and the network, or sign later",
            ) from None
        if watchdog.expired:
            raise late
    if len(body) > MAX_RESPONSE_BYTES:
        raise PackagerError(f"the timestamp authority {url} sent more than {MAX_RESPONSE_BYTES} bytes")
    return _token_from_response(body, url, nonce, signature)


class _Watchdog:
    """Posts one request with urllib, and shuts its connection down when ``deadline`` seconds have passed."""

    def __init__(self, deadline: float) -> None:
        import threading

        self.deadline = deadline
        self.expired = False
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(deadline, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        import socket

        with self._lock:
            self.expired = True
            for connection in self._connections:
                sock = connection.sock
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

    def _watched(self, kind: Any) -> Any:
        def connect(host: str, **kwargs: Any) -> Any:
            connection = kind(host, **kwargs)
            with self._lock:
                self._connections.append(connection)
            return connection

        return connect

    def post(self, url: str, data: bytes) -> bytes:
        import http.client
        import urllib.request

        watchdog = self

        class Http(urllib.request.HTTPHandler):
            def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
                return self.do_open(watchdog._watched(http.client.HTTPConnection), req)

        class Https(urllib.request.HTTPSHandler):
            def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
                return self.do_open(
                    watchdog._watched(http.client.HTTPSConnection), req, context=getattr(self, "_context", None)
                )

        opener = urllib.request.build_opener(Http(), Https())
        http_request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={
                "Content-Type": CONTENT_TYPE_QUERY,
                "Accept": CONTENT_TYPE_REPLY,
                "User-Agent": f"connector-packager/{__version__}",
            },
        )
        with opener.open(http_request, timeout=self.deadline) as response:
            body: bytes = response.read(MAX_RESPONSE_BYTES + 1)
        return body


def _token_from_response(body: bytes, url: str, nonce: int, signature: bytes) -> cms.ContentInfo:
    try:
        response = tsp.TimeStampResp.load(body, strict=True)
        status = response["status"]["status"].native
        token = response["time_stamp_token"]
    except (ValueError, TypeError, KeyError) as exc:
        raise PackagerError(f"the timestamp authority {url} did not answer with an RFC 3161 response ({exc})") from None
    if status not in ("granted", "granted_with_mods"):
        text = response["status"]["status_string"].native or []
        raise PackagerError(f"the timestamp authority {url} refused: {status} {' '.join(text)}".rstrip())
    try:
        info = token_info(token)
        check_token(token, signature)
    except SignatureProblem as exc:
        raise PackagerError(f"the timestamp authority {url} sent a bad token: {exc}") from None
    if info["nonce"].native != nonce:
        raise PackagerError(f"the timestamp authority {url} answered another request (nonce mismatch)")
    return token


def token_info(token: cms.ContentInfo) -> tsp.TSTInfo:
    signed_data = load_signed_data(token.dump(), "the timestamp token")
    content = signed_data["encap_content_info"]
    if content["content_type"].native != "tst_info":
        raise SignatureProblem("the timestamp token does not hold TSTInfo")
    info = content["content"].parsed
    if not isinstance(info, tsp.TSTInfo):
        raise SignatureProblem("the timestamp token does not hold TSTInfo")
    return info


def check_token(token: cms.ContentInfo, signature: bytes) -> Timestamp:
    """Check the token's own signature, its TSA certificate's usage, and that it stamps ``signature``.

    The algorithms are judged at the token's own time, as the JDK judges a timestamp."""
    signed_data = load_signed_data(token.dump(), "the timestamp token")
    info = token_info(token)
    when = info["gen_time"].native
    imprint = info["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    if algorithm not in IMPRINT_DIGESTS:
        raise SignatureProblem(f"the timestamp uses the digest {algorithm}, which is not supported")
    problem = digest_problem(algorithm, when)
    if problem:
        raise SignatureProblem(f"the timestamp's digest: {problem}")
    if imprint["hashed_message"].native != hashlib.new(algorithm, signature).digest():
        raise SignatureProblem("the timestamp stamps other data than this signature")
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise SignatureProblem("the timestamp token must have exactly one signer")
    pool = certificates(signed_data)
    tsa = signer_certificate(signer_infos[0], pool)
    verify_signer_info(signer_infos[0], signed_data["encap_content_info"]["content"].contents, tsa, "tst_info", when)
    problem = usage_problem(tsa, ExtendedKeyUsageOID.TIME_STAMPING)
    if problem:
        raise SignatureProblem(f"the timestamp authority's certificate cannot stamp: {problem}")
    return Timestamp(when, tsa, pool, str(info["policy"].native))
