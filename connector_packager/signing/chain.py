"""Building a signer's certificate chain up to a trusted root, and checking it at a given time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509

from connector_packager.signing.certificates import describe, is_ca, is_self_signed, issued_by, validity_problem

MAX_DEPTH = 8


@dataclass
class Chain:
    """The certificates from the leaf up (the trusted root last when one was found), and what is wrong."""

    certs: list[x509.Certificate]
    problem: str | None = None

    @property
    def trusted(self) -> bool:
        return self.problem is None


def build_chain(leaf: x509.Certificate, pool: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate],
                at: dt.datetime) -> Chain:
    """Chain ``leaf`` through ``pool`` (certificates shipped with the signature) to one of ``anchors``.

    Every certificate but the root must be valid at ``at``, and every one between leaf and root must
    be a CA. As in Java's PKIX checks, a trusted root's own dates are not checked.
    """
    path = [leaf]
    while True:
        current = path[-1]
        anchor = next((a for a in anchors if a == current or issued_by(current, a)), None)
        if anchor is not None:
            if anchor != current:
                path.append(anchor)
            break
        if is_self_signed(current):
            where = "the signer certificate" if len(path) == 1 else "the root certificate"
            return Chain(path, f"{where} {describe(current)} is self-signed and not in the truststore")
        parent = next((c for c in pool if c not in path and issued_by(current, c)), None)
        if parent is None:
            return Chain(path, f"no trusted certificate issued {describe(current)} (its issuer is "
                               f"{current.issuer.rfc4514_string()}); the truststore lacks its root")
        if len(path) >= MAX_DEPTH:
            return Chain(path, f"the chain is longer than {MAX_DEPTH} certificates")
        path.append(parent)
    for index, cert in enumerate(path[:-1] if len(path) > 1 else path):
        problem = validity_problem(cert, at)
        if problem:
            return Chain(path, problem)
        if index > 0 and not is_ca(cert):
            return Chain(path, f"{describe(cert)} issued a certificate but is not a certificate authority")
    return Chain(path)
