"""RFC 3161 time stamps: asking a timestamp authority (TSA) for a token, and checking one.

The token stamps the signature value of the signature block's SignerInfo
(its message imprint is that value's SHA-256), as jarsigner's tokens do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from asn1crypto import algos, cms, tsp
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from connector_packager import __version__
from connector_packager.errors import PackagerError
from connector_packager.signing.certificates import usage_problem
from connector_packager.signing.cms_block import (
    SignatureProblem,
    certificates,
    load_signed_data,
    signer_certificate,
    verify_signer_info,
)

TIMEOUT_SECONDS = 30
MAX_RESPONSE_BYTES = 1024 * 1024
CONTENT_TYPE_QUERY = "application/timestamp-query"
CONTENT_TYPE_REPLY = "application/timestamp-reply"


@dataclass
class Timestamp:
    """A checked token: when, who stamped it, and the certificates it carries."""

    time: dt.datetime
    tsa: x509.Certificate
    certificates: list[x509.Certificate]
    policy: str


def request_timestamp(url: str, signature: bytes) -> cms.ContentInfo:
    """Ask the TSA at ``url`` to stamp ``signature``; return the checked token."""
    import urllib.error
    import urllib.request

    if not url.lower().startswith(("http://", "https://")):
        raise PackagerError(f"--tsa {url!r} is not an http:// or https:// address")
    nonce = secrets.randbits(63)
    request = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": tsp.MessageImprint({"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                                               "hashed_message": hashlib.sha256(signature).digest()}),
        "nonce": nonce,
        "cert_req": True,
    })
    http = urllib.request.Request(url, data=request.dump(), method="POST", headers={
        "Content-Type": CONTENT_TYPE_QUERY, "Accept": CONTENT_TYPE_REPLY,
        "User-Agent": f"connector-packager/{__version__}"})
    try:
        with urllib.request.urlopen(http, timeout=TIMEOUT_SECONDS) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise PackagerError(f"the timestamp authority {url} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PackagerError(f"cannot reach the timestamp authority {url}: {reason}",
                            hint="check the --tsa address and the network, or sign later") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise PackagerError(f"the timestamp authority {url} sent more than {MAX_RESPONSE_BYTES} bytes")
    return _token_from_response(body, url, nonce, signature)


def _token_from_response(body: bytes, url: str, nonce: int, signature: bytes) -> cms.ContentInfo:
    try:
        response = tsp.TimeStampResp.load(body, strict=True)
        status = response["status"]["status"].native
        token = response["time_stamp_token"]
    except (ValueError, TypeError, KeyError) as exc:
        raise PackagerError(f"the timestamp authority {url} did not answer with an RFC 3161 response ({exc})") \
            from None
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
    """Check the token's own signature, its TSA certificate's usage, and that it stamps ``signature``."""
    signed_data = load_signed_data(token.dump(), "the timestamp token")
    info = token_info(token)
    imprint = info["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    if algorithm not in ("sha256", "sha384", "sha512"):
        raise SignatureProblem(f"the timestamp uses the digest {algorithm}, which is not accepted")
    if imprint["hashed_message"].native != hashlib.new(algorithm, signature).digest():
        raise SignatureProblem("the timestamp stamps other data than this signature")
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise SignatureProblem("the timestamp token must have exactly one signer")
    pool = certificates(signed_data)
    tsa = signer_certificate(signer_infos[0], pool)
    verify_signer_info(signer_infos[0], signed_data["encap_content_info"]["content"].contents, tsa)
    problem = usage_problem(tsa, ExtendedKeyUsageOID.TIME_STAMPING)
    if problem:
        raise SignatureProblem(f"the timestamp authority's certificate cannot stamp: {problem}")
    return Timestamp(info["gen_time"].native, tsa, pool, str(info["policy"].native))
