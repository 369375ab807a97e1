"""Validating a signer's (or a timestamp authority's) certificate path up to a trusted root, at a given time.

RFC 5280 path validation is pyhanko-certvalidator's: issuer names and signatures, validity, basic constraints
and path lengths, key usage of the CAs, name constraints, policy processing and policy constraints, and
critical extensions it does not know. On top, as the JDK does: the algorithms the JDK disables for certificate
paths (:mod:`algorithm_policy`), and, as in Java's PKIX checks, a trusted root's own dates are not checked.
Revocation is not checked (jarsigner does not check it by default either).

The search for a path is bounded, so that a signature stuffed with look-alike issuers costs little: the
signature's own certificates are capped (``cms_block.MAX_CERTIFICATES``); only those whose key verifies the
certificate below them, at most :data:`MAX_CANDIDATES` per subject name, and none with a costly RSA exponent,
are handed to the library; at most :data:`MAX_PATHS` candidate paths are validated.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from connector_packager.catalogue import Severity, declare
from connector_packager.signing.algorithm_policy import certificate_key_problem, digest_problem, signature_hash_problem
from connector_packager.signing.certificates import describe, is_self_signed, issued_by, validity_problem

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509

CHAIN_NOT_VALIDATED = declare(
    "chain-not-validated",
    "signature",
    Severity.ERROR,
    "the signer certificate chains to a trusted root",
    doc="RFC 5280 path validation from the signer certificate, through the certificates the signature carries, to "
    "a root of the truststore (Tableau's: the public code-signing roots), at the signing time the timestamp "
    "proves: names, signatures, validity, constraints, key usage of the CAs, and the algorithms Java allows "
    "for certificate paths. The message names the certificate and the reason.",
    passes="a code-signing certificate from a public CA, its intermediate in the signature",
    fails="a self-signed certificate; a chain whose intermediate was left out; an expired certificate",
)
TIMESTAMP_CHAIN_NOT_VALIDATED = declare(
    "timestamp-chain-not-validated",
    "signature",
    Severity.ERROR,
    "the timestamp authority's certificate chains to a trusted root",
    doc="The same path validation as chain-not-validated, for the certificate that signed the timestamp token, at "
    "the time it stamped.",
    passes="a public timestamp authority",
    fails="a private TSA whose root is not trusted",
)
#: What an author can do about a chain that does not validate.
CHAIN_HINT = (
    "sign with a code-signing certificate from a CA Tableau trusts, and pass its intermediates "
    "(--cert-chain); verify --truststore FILE checks against your own roots"
)

MAX_DEPTH = 8
#: At most this many certificates that verify one certificate's signature are kept as its issuers.
MAX_CANDIDATES = 3
#: At most this many candidate paths are validated.
MAX_PATHS = 6


@dataclass
class Chain:
    """The certificates from the leaf up (the trusted root last when one was found), and what is wrong."""

    certs: list[x509.Certificate]
    problem: str | None = None

    @property
    def trusted(self) -> bool:
        return self.problem is None


def validate_chain(
    leaf: x509.Certificate,
    pool: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    at: dt.datetime,
    what: str = "the signer certificate",
) -> Chain:
    """Validate a path from ``leaf`` through ``pool`` (the certificates shipped with the signature) to one of
    ``anchors``, as of ``at``. ``what`` names the leaf in messages."""
    from asn1crypto import x509 as asn1_x509

    def asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))

    candidates = _bounded_pool(leaf, pool)
    try:
        found, errors = asyncio.run(
            _first_valid_path(asn1(leaf), [asn1(c) for c in candidates], [asn1(a) for a in anchors], at)
        )
    except Exception as exc:  # a certificate the library chokes on fails the path, not the run
        return Chain([leaf], f"the certificate path cannot be validated ({type(exc).__name__}: {exc})")
    if found is not None:
        certs = [x509.load_der_x509_certificate(c.dump()) for c in found]
        certs.reverse()
        if len(certs) > 1 and certs[0] == certs[1]:  # the leaf is itself a trusted root
            certs = certs[1:]
        problem = next(filter(None, (certificate_key_problem(c) for c in certs)), None)
        if problem:
            return Chain(certs, f"{describe(_key_owner(certs, problem))} has {problem}")
        return Chain(certs, _java_chain_problem(java_chain(leaf, pool), certs))
    if not errors:
        return _no_path(leaf, candidates, anchors, what)
    failed, message = errors[0]
    certs = [x509.load_der_x509_certificate(c.dump()) for c in failed][::-1] or [leaf]
    return Chain(certs, _explain(certs, at, message))


def java_chain(leaf: x509.Certificate, pool: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """The chain Java reads from a signature's certificates (``SignerInfo.getCertificateChain``): from the leaf,
    each next certificate is the first one left, in the signature's order, whose subject is the issuer named by the
    one before, until a self-issued one; certificates taken are not searched again. Quadratic in ``pool``, which
    ``cms_block`` caps."""
    chain = [leaf]
    if _same_name(leaf.subject, leaf.issuer):
        return chain
    certs, issuer, start = list(pool), leaf.issuer, 0
    while start < len(certs):
        index = next((i for i in range(start, len(certs)) if _same_name(issuer, certs[i].subject)), None)
        if index is None:
            break
        found = certs[index]
        chain.append(found)
        if _same_name(found.subject, found.issuer):
            break
        issuer = found.issuer
        certs[start], certs[index] = certs[index], certs[start]
        start += 1
    return chain


def _same_name(a: x509.Name, b: x509.Name) -> bool:
    """Names compared loosely (case and spacing folded), so that the chain taken as Java's is never shorter than
    Java's, whose comparison folds them too."""
    return " ".join(a.rfc4514_string().lower().split()) == " ".join(b.rfc4514_string().lower().split())


def _java_chain_problem(java: list[x509.Certificate], validated: list[x509.Certificate]) -> str | None:
    """Java validates the chain it reads from the signature (:func:`java_chain`), not the path found here: every
    certificate of it must be the one at the same place of the validated path, except that in the trusted root's
    place Java also takes a certificate with the root's name and key (a re-issued root)."""
    root, last = validated[-1], len(validated) - 1
    for index, cert in enumerate(java):
        reissued_root = cert.subject == root.subject and cert.public_key() == root.public_key()
        if index == last and (cert == root or reissued_root):
            return None  # Java stops at a trusted certificate: what follows it is not checked
        if index < last and cert == validated[index]:
            continue
        return (
            f"the signature carries {describe(cert)} where Java looks for the issuer of "
            f"{describe(java[index - 1])}, and that certificate is not on the validated path; Java checks the "
            "certificates as the signature orders them"
        )
    return None


def _key_owner(certs: list[x509.Certificate], problem: str | None) -> x509.Certificate:
    return next(c for c in certs if certificate_key_problem(c) == problem)


def _bounded_pool(leaf: x509.Certificate, pool: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """The certificates of ``pool`` that lie on some path up from ``leaf``: each one signed a certificate found
    before it (checked here, once per pair), at most :data:`MAX_CANDIDATES` per subject name, within
    :data:`MAX_DEPTH` steps. Keys that are costly to verify with (RSA exponents over 64 bits, which no CA uses and
    Java refuses above 3072-bit moduli) are left out, so each check is cheap."""
    by_subject: dict[x509.Name, list[x509.Certificate]] = {}
    for cert in pool:
        if cert != leaf and _cheap_to_verify(cert) and cert not in by_subject.setdefault(cert.subject, []):
            by_subject[cert.subject].append(cert)
    chosen: list[x509.Certificate] = []
    frontier = [leaf]
    for _ in range(MAX_DEPTH):
        next_frontier = []
        for cert in frontier:
            issuers = [c for c in by_subject.get(cert.issuer, []) if c not in chosen and issued_by(cert, c)]
            next_frontier += issuers[:MAX_CANDIDATES]
            chosen += issuers[:MAX_CANDIDATES]
        frontier = next_frontier
    return chosen


def _cheap_to_verify(cert: x509.Certificate) -> bool:
    try:
        key = cert.public_key()
    except (ValueError, TypeError):
        return False
    return not isinstance(key, rsa.RSAPublicKey) or key.public_numbers().e.bit_length() <= 64


async def _first_valid_path(
    leaf: asn1_x509.Certificate,
    pool: list[asn1_x509.Certificate],
    anchors: list[asn1_x509.Certificate],
    at: dt.datetime,
) -> tuple[list[asn1_x509.Certificate] | None, list[tuple[list[asn1_x509.Certificate], str]]]:
    """The first path (root first) that validates, or None and why each tried path failed."""
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError
    from pyhanko_certvalidator.validate import async_validate_path

    context = ValidationContext(
        trust_roots=anchors,
        other_certs=pool,
        moment=at,
        allow_fetching=False,
        revocation_mode="soft-fail",
        time_tolerance=dt.timedelta(0),
        algorithm_usage_policy=_jdk_certpath_policy(),
    )
    paths = context.path_builder.async_build_paths_lazy(leaf)
    errors: list[tuple[list[asn1_x509.Certificate], str]] = []
    try:
        async for path in paths:
            certs = list(path.iter_certs(include_root=True))
            try:
                await async_validate_path(context, path)
            except ValidationError as exc:
                failed = (
                    list(exc.original_path.iter_certs(include_root=True))
                    if isinstance(exc, PathValidationError)
                    else certs
                )
                errors.append((failed, str(exc)))
                if len(errors) >= MAX_PATHS:
                    break
                continue
            return certs, []
    except PathBuildingError:
        pass
    finally:
        await paths.cancel()  # type: ignore[no-untyped-call]
    return None, errors


def _jdk_certpath_policy() -> Any:
    """pyhanko-certvalidator's algorithm policy, as ``jdk.certpath.disabledAlgorithms`` for a signed JAR."""
    from asn1crypto import algos, keys
    from pyhanko_certvalidator.policy_decl import AlgorithmUsageConstraint, AlgorithmUsagePolicy

    class JdkCertPathPolicy(AlgorithmUsagePolicy):
        def digest_algorithm_allowed(
            self, algo: algos.DigestAlgorithm, moment: dt.datetime | None
        ) -> AlgorithmUsageConstraint:
            problem = digest_problem(str(algo["algorithm"].native), moment or dt.datetime.now(dt.timezone.utc))
            return AlgorithmUsageConstraint(problem is None, failure_reason=problem)

        def signature_algorithm_allowed(
            self, algo: algos.SignedDigestAlgorithm, moment: dt.datetime | None, public_key: keys.PublicKeyInfo | None
        ) -> AlgorithmUsageConstraint:
            try:
                hash_algo = algo.hash_algo
            except ValueError:
                hash_algo = None
            if hash_algo is not None:
                allowed = self.digest_algorithm_allowed(algos.DigestAlgorithm({"algorithm": hash_algo}), moment)
                if not allowed:
                    return allowed
            return AlgorithmUsageConstraint(True)

    return JdkCertPathPolicy()


def _explain(certs: list[x509.Certificate], at: dt.datetime, message: str) -> str:
    """A message for a path that failed: the algorithm or date that made it fail when one did, else the library's
    reason."""
    for cert in certs[:-1]:  # a trusted root's own signature and dates are not checked
        problem = signature_hash_problem(cert, at)
        if problem:
            return f"the signature of {describe(cert)}: {problem}"
    for cert in certs[:-1]:
        problem = validity_problem(cert, at)
        if problem:
            return problem
    for cert in certs:
        problem = certificate_key_problem(cert)
        if problem:
            return f"{describe(cert)} has {problem}"
    return message.removeprefix("The path could not be validated because ").rstrip(".")


def _no_path(
    leaf: x509.Certificate, pool: list[x509.Certificate], anchors: Sequence[x509.Certificate], what: str
) -> Chain:
    """No path reaches a trusted root: say where the certificates stop."""
    path = [leaf]
    while len(path) < MAX_DEPTH:
        current = path[-1]
        if is_self_signed(current):
            where = what if current == leaf else "the root certificate"
            return Chain(path, f"{where} {describe(current)} is self-signed and not in the truststore")
        parent = next((c for c in pool if c not in path and issued_by(current, c)), None)
        if parent is None:
            trusted_name = next((a for a in anchors if a.subject == current.issuer), None)
            if trusted_name is not None:
                return Chain(
                    path,
                    f"{describe(current)} names the trusted {describe(trusted_name)} as its issuer, "
                    "but that certificate's key did not sign it",
                )
            return Chain(
                path,
                f"the certificate of {current.issuer.rfc4514_string()}, which issued "
                f"{describe(current)}, is missing: neither the signature nor the truststore holds it "
                "(an intermediate certificate left out when signing?)",
            )
        path.append(parent)
    return Chain(path, f"the chain is longer than {MAX_DEPTH} certificates")
