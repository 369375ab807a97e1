"""The kinds of signing key ``key new`` makes: RSA 3072 (the default), RSA 4096, EC P-256 and P-384."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec, rsa


@dataclass(frozen=True)
class KeyType:
    label: str
    family: str
    size: int
    curve_name: str = ""

    def generate(self) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
        """A new software key of this kind."""
        if self.family == "RSA":
            return rsa.generate_private_key(65537, self.size)
        curve: ec.EllipticCurve = ec.SECP256R1() if self.curve_name == "secp256r1" else ec.SECP384R1()
        return ec.generate_private_key(curve)


KEY_TYPES = {
    kind.label: kind
    for kind in (
        KeyType("rsa-3072", "RSA", 3072),
        KeyType("rsa-4096", "RSA", 4096),
        KeyType("ec-p256", "EC", 256, "secp256r1"),
        KeyType("ec-p384", "EC", 384, "secp384r1"),
    )
}
DEFAULT_KEY_TYPE = "rsa-3072"
