"""What a keystore or a private key file may ask of the machine before it is opened: how many rounds of a
password-based key derivation (PKCS#12 MAC and encryption, PKCS#8 PBKDF2 and scrypt), and how large an RSA key.

A file written by an attacker can ask for 2**31 rounds, which ``cryptography`` would spend hours on without a way
to stop it; the counts are read with ``asn1crypto`` from the file's structure first, and a file over a limit is
refused (exit 2) before any derivation runs. The limits are the JDK's: its PKCS#12 keystore refuses more than
5,000,000 iterations (MAC, certificate and key encryption alike; keytool writes 10,000, OpenSSL 2,048), and its
RSA key factory refuses keys over 16,384 bits (as OpenSSL refuses to compute with them).
"""

from __future__ import annotations

from asn1crypto import algos, core, keys, pem, pkcs12
from cryptography.exceptions import UnsupportedAlgorithm

from connector_packager.errors import CannotRun

#: The JDK's PKCS#12 keystore refuses more (sun.security.pkcs12.PKCS12KeyStore, MAX_ITERATION_COUNT).
MAX_KDF_ITERATIONS = 5_000_000
#: scrypt's work (N * r * p): 128 times what ``openssl pkcs8 -scrypt`` asks (N=16384, r=8, p=1), a few seconds.
MAX_SCRYPT_WORK = 2**24
#: scrypt's memory (128 * r * N bytes): OpenSSL's own default ceiling (32 MB).
MAX_SCRYPT_MEMORY = 32 * 2**20
#: The JDK refuses longer RSA keys (RSAKeyFactory.MAX_MODLEN), and OpenSSL will not sign or verify with them.
MAX_RSA_BITS = 16_384

_PBKDF2 = "1.2.840.113549.1.5.12"
_SCRYPT = "1.3.6.1.4.1.11591.4.11"
_PBMAC1 = "1.2.840.113549.1.5.14"


def _kdf_problem(kdf_oid: str, parameters: core.Asn1Value) -> str | None:
    if kdf_oid == _PBKDF2:
        return _iterations_problem(parameters["iteration_count"].native)
    if kdf_oid == _SCRYPT:
        # scrypt-params (RFC 7914): salt, costParameter N, blockSize r, parallelizationParameter p, keyLength
        _, cost, block, parallel, *_ = core.load(parameters.dump()).native.values()
        if not all(isinstance(value, int) and value > 0 for value in (cost, block, parallel)):
            return "its scrypt parameters are not positive numbers"
        if cost * block * parallel > MAX_SCRYPT_WORK or 128 * block * cost > MAX_SCRYPT_MEMORY:
            return (
                f"its scrypt parameters (N={cost}, r={block}, p={parallel}) ask for more work than the "
                f"{MAX_SCRYPT_WORK} (N*r*p) and {MAX_SCRYPT_MEMORY // 2**20} MB this tool allows"
            )
    return None


def _iterations_problem(count: int) -> str | None:
    if count > MAX_KDF_ITERATIONS:
        return (
            f"it asks for {count} iterations of its password-based key derivation, more than the "
            f"{MAX_KDF_ITERATIONS:,} the JDK and this tool allow"
        )
    return None


def _encryption_problem(algorithm: algos.EncryptionAlgorithm) -> str | None:
    """Why decrypting with ``algorithm`` would cost too much, or None (also for algorithms without a password)."""
    oid = algorithm["algorithm"].dotted
    name = algorithm["algorithm"].native
    if name == "pbes2":
        kdf = algorithm["parameters"]["key_derivation_func"]
        return _kdf_problem(kdf["algorithm"].dotted, kdf["parameters"])
    if isinstance(name, str) and name.startswith(("pbes1_", "pkcs12_")) and oid != name:
        return _iterations_problem(algorithm["parameters"]["iterations"].native)
    return None


def pkcs12_cost_problem(data: bytes) -> str | None:
    """Why opening the PKCS#12 file ``data`` would cost too much, or None. Raises ValueError when ``data`` is not
    a PKCS#12 file. Certificate and key bags inside an encrypted part are seen only once it is decrypted: their
    encryption's own iteration count is checked, and bounds what can be reached before them."""
    try:
        pfx = pkcs12.Pfx.load(data, strict=False)
        mac = pfx["mac_data"]
        problems: list[str | None] = []
        if mac.native is not None:
            mac_algorithm = mac["mac"]["digest_algorithm"]
            if mac_algorithm["algorithm"].dotted == _PBMAC1:
                # PBMAC1-params (RFC 9579): keyDerivationFunc, messageAuthScheme
                kdf = algos.KdfAlgorithm.load(core.load(mac_algorithm["parameters"].dump())[0].dump())
                problems.append(_kdf_problem(kdf["algorithm"].dotted, kdf["parameters"]))
            else:
                problems.append(_iterations_problem(mac["iterations"].native))
        for content in pfx.authenticated_safe:
            kind = content["content_type"].native
            if kind == "encrypted_data":
                problems.append(
                    _encryption_problem(content["content"]["encrypted_content_info"]["content_encryption_algorithm"])
                )
            elif kind == "data":
                for bag in pkcs12.SafeContents.load(content["content"].native):
                    if bag["bag_id"].native == "pkcs8_shrouded_key_bag":
                        problems.append(_encryption_problem(bag["bag_value"]["encryption_algorithm"]))
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        raise ValueError(str(exc)) from None
    return next((p for p in problems if p), None)


def pkcs8_cost_problem(data: bytes) -> str | None:
    """Why decrypting the PEM or DER private key ``data`` would cost too much, or None (also when it is not an
    encrypted PKCS#8 key: the traditional OpenSSL encryption derives its key with one round)."""
    blocks: list[bytes] = []
    try:
        if pem.detect(data):
            blocks = [der for kind, _, der in pem.unarmor(data, multiple=True) if kind == "ENCRYPTED PRIVATE KEY"]
        else:
            blocks = [data]
        for der in blocks:
            problem = _encryption_problem(keys.EncryptedPrivateKeyInfo.load(der)["encryption_algorithm"])
            if problem:
                return problem
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        return None  # not an encrypted PKCS#8 key: nothing to derive
    return None


def check_pkcs12_key_sizes(data: bytes, password: bytes | None, where: str) -> None:
    """Refuse the PKCS#12 file ``data`` when a key it holds outside its encrypted parts is an RSA key over
    :data:`MAX_RSA_BITS`: ``cryptography`` checks a key's primes while opening the file, which takes hours for a
    huge key. Each key is decrypted once without that check, only to learn its size (a key the password does not
    open is left to the opening itself to refuse)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        bags = [
            bag
            for content in pkcs12.Pfx.load(data, strict=False).authenticated_safe
            if content["content_type"].native == "data"
            for bag in pkcs12.SafeContents.load(content["content"].native)
        ]
        keys_der = [
            (bag["bag_value"].untag().dump(), bag["bag_id"].native == "pkcs8_shrouded_key_bag")
            for bag in bags
            if bag["bag_id"].native in ("key_bag", "pkcs8_shrouded_key_bag")
        ]
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        return  # not read here: the opening refuses it
    for der, encrypted in keys_der:
        try:
            key = serialization.load_der_private_key(
                der, password if encrypted else None, unsafe_skip_rsa_key_validation=True
            )
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
        if isinstance(key, rsa.RSAPrivateKey):
            check_rsa_size(key.key_size, where)


def check_rsa_size(bits: int, where: str) -> None:
    """Refuse an RSA key of ``bits`` bits over :data:`MAX_RSA_BITS` (``where`` names the file, already shown)."""
    if bits > MAX_RSA_BITS:
        raise CannotRun(
            f"the RSA key in {where} has {bits} bits, more than the {MAX_RSA_BITS} the JDK and this tool accept"
        )


def refuse_costly(problem: str | None, where: str) -> None:
    if problem:
        raise CannotRun(
            f"{where} is not opened: {problem}",
            hint="a keystore or key from keytool or OpenSSL asks far less; this one may have been made "
            "to stall the tool",
        )
