"""The signature block (``META-INF/<NAME>.RSA`` or ``.EC``): a detached CMS SignedData over the .SF file.

Written as the JDK's jarsigner writes it: the chain in ``certificates``; one
SignerInfo identified by issuer and serial number, with the signed attributes
contentType, signingTime, CMSAlgorithmProtection and messageDigest; the
timestamp token in the unsigned ``signatureTimeStampToken`` attribute. The
structures come from asn1crypto; the signature from ``cryptography``.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from connector_packager.catalogue import Rule, Severity, declare
from connector_packager.signing.algorithm_policy import (
    JAR_MINIMUM_BITS,
    SIG_ALGORITHM_DISABLED,
    digest_problem,
    key_problem,
)
from connector_packager.signing.signers import Signer

_SIGNATURE_ALGORITHMS = {"RSA": "sha256_rsa", "EC": "sha256_ecdsa"}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


SIG_BLOCK_UNREADABLE = declare(
    "sig-block-unreadable",
    "signature",
    Severity.ERROR,
    "the signature block is a readable CMS SignedData with one signer",
    doc="The signature block (META-INF/*.RSA, *.EC, *.DSA) must parse as Java parses it: DER SignedData, each "
    "certificate readable and naming one signature algorithm, exactly one SignerInfo.",
    passes="a block written by `sign` or jarsigner",
    fails="a block of random bytes",
)
SIG_TOO_MANY_CERTIFICATES = declare(
    "sig-too-many-certificates",
    "signature",
    Severity.ERROR,
    "the signature block carries at most 50 certificates",
    doc="A .taco's signature carries its chain (two or three certificates); the cap bounds the certificate path "
    "search.",
    passes="leaf, intermediate, root",
    fails="60 certificates in one block",
)
SIG_SIGNER_CERTIFICATE_MISSING = declare(
    "sig-signer-certificate-missing",
    "signature",
    Severity.ERROR,
    "the signature block carries the signer's certificate, named by issuer and serial number",
    doc="Java finds the signer's certificate by issuer and serial number among the block's certificates; a signer "
    "named by subject key identifier, or a certificate left out, cannot be verified.",
    passes="a block written by `sign`",
    fails="a block without the leaf certificate",
)
SIG_ALGORITHM_UNSUPPORTED = declare(
    "sig-algorithm-unsupported",
    "signature",
    Severity.ERROR,
    "the signature uses algorithms Java can verify",
    doc="RSA (PKCS #1 v1.5) and ECDSA with SHA-1 or SHA-2 digests; a signature algorithm that names another digest "
    "than the SignerInfo's digest algorithm is refused by Java.",
    passes="sha256_rsa with digest sha256",
    fails="sha384_rsa with digest sha256",
)
SIG_ATTRIBUTES_INVALID = declare(
    "sig-attributes-invalid",
    "signature",
    Severity.ERROR,
    "the signed attributes are those Java requires, once each",
    doc="Java requires the content type of the signed content, one message digest, single-valued attributes given "
    "once, and a CMSAlgorithmProtection attribute (RFC 6211), if any, naming the algorithms used.",
    passes="a block written by `sign` or jarsigner",
    fails="two message-digest attributes",
)
SIG_FILE_CHANGED = declare(
    "sig-file-changed",
    "signature",
    Severity.ERROR,
    "the .SF file is the one the signature signed",
    doc="The signed attributes hold the digest of the .SF file; a different digest means the .SF file was edited "
    "after signing.",
    passes="a .taco as `sign` wrote it",
    fails="a .SF file with one line changed",
)
SIG_SIGNATURE_INVALID = declare(
    "sig-signature-invalid",
    "signature",
    Severity.ERROR,
    "the signature verifies with the signer's certificate",
    doc="The signature value must verify over the signed attributes with the public key of the certificate the "
    "block names as the signer.",
    passes="a .taco as `sign` wrote it",
    fails="a block whose certificate belongs to another key",
)


class SignatureProblem(Exception):
    """A signature that does not verify, or a structure that is not what a signature block holds; ``rule`` is the
    check that failed (None where the caller's context decides, as for a timestamp token)."""

    def __init__(self, message: str, rule: Rule | None = None) -> None:
        super().__init__(message)
        self.rule = rule


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def signed_attributes(content: bytes, signature_algorithm: str, when: dt.datetime) -> cms.CMSAttributes:
    """jarsigner's four signed attributes, in DER order (a SET OF is sorted by encoding)."""
    attributes = [
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": when})]}),
        cms.CMSAttribute(
            {
                "type": "cms_algorithm_protection",
                "values": [
                    cms.CMSAlgorithmProtection(
                        {
                            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": signature_algorithm}),
                        }
                    )
                ],
            }
        ),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
    ]
    return cms.CMSAttributes(sorted(attributes, key=lambda a: a.dump()))


def _set_encoding(attributes: cms.CMSAttributes) -> bytes:
    """Signed attributes are signed as a universal SET, not with the [0] tag they carry in the SignerInfo."""
    encoded: bytes = attributes.dump()
    return b"\x31" + encoded[1:]


def sign_content(content: bytes, signer: Signer, when: dt.datetime) -> tuple[cms.CMSAttributes, bytes]:
    """The signed attributes for ``content`` and the signer's signature over them."""
    attributes = signed_attributes(content, _SIGNATURE_ALGORITHMS[signer.key_type], when)
    return attributes, signer.sign(_set_encoding(attributes))


def signer_info(signer: Signer, attributes: cms.CMSAttributes, signature: bytes) -> cms.SignerInfo:
    """The SignerInfo for ``signature`` over ``attributes``, naming the signer's certificate by issuer and serial
    number; :func:`signature_block` adds the timestamp to it."""
    leaf = to_asn1(signer.chain[0])
    return cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": leaf.issuer, "serial_number": leaf.serial_number}
                    )
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": _SIGNATURE_ALGORITHMS[signer.key_type]}),
            "signature": signature,
        }
    )


def signature_block(signer: Signer, info: cms.SignerInfo, timestamp_token: cms.ContentInfo | None) -> bytes:
    """The DER ContentInfo of the signature block: the signer's chain and ``info``, with the timestamp token (if
    any) as its unsigned attribute."""
    if timestamp_token is not None:
        info["unsigned_attrs"] = cms.CMSAttributes(
            [cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [timestamp_token]})]
        )
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cms.CertificateChoices({"certificate": to_asn1(c)}) for c in signer.chain],
            "signer_infos": [info],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


#: Cap on the certificates one signature block carries (a .taco's carries its chain: two or three).
MAX_CERTIFICATES = 50
#: Signed attributes Java allows once, with one value (``PKCS9Attribute``'s single-valued ones).
_SINGLE_VALUED = ("content_type", "message_digest", "signing_time", "cms_algorithm_protection")


def load_signed_data(data: bytes, what: str) -> cms.SignedData:
    """Parse a DER ContentInfo that must hold SignedData."""
    try:
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native != "signed_data":
            raise SignatureProblem(f"{what} is {info['content_type'].native}, not SignedData", SIG_BLOCK_UNREADABLE)
        signed_data = info["content"]
        for part in ("digest_algorithms", "encap_content_info", "certificates", "signer_infos"):
            signed_data[part]  # parse the parts used now, so malformed ones fail here
    except (ValueError, TypeError, KeyError) as exc:
        raise SignatureProblem(
            f"{what} is not a readable CMS SignedData structure ({exc})", SIG_BLOCK_UNREADABLE
        ) from None
    if not isinstance(signed_data, cms.SignedData):
        raise SignatureProblem(f"{what} is not SignedData", SIG_BLOCK_UNREADABLE)
    return signed_data


def certificates(signed_data: cms.SignedData) -> list[x509.Certificate]:
    """The X.509 certificates the structure carries (other certificate kinds are skipped)."""
    choices = signed_data["certificates"] or []
    if len(choices) > MAX_CERTIFICATES:
        raise SignatureProblem(
            f"it carries {len(choices)} certificates, more than {MAX_CERTIFICATES}", SIG_TOO_MANY_CERTIFICATES
        )
    found = []
    for number, choice in enumerate(choices, 1):
        if choice.name != "certificate":
            continue  # other certificate kinds: Java skips them too
        try:
            cert = choice.chosen
            same_algorithm = cert["signature_algorithm"].dump() == cert["tbs_certificate"]["signature"].dump()
            found.append(x509.load_der_x509_certificate(cert.dump()))
        except (ValueError, TypeError) as exc:  # Java's parser refuses the whole signature on such a certificate
            raise SignatureProblem(
                f"certificate {number} of the {len(choices)} it carries cannot be read, so "
                f"Java finds the signature not parsable ({exc})",
                SIG_BLOCK_UNREADABLE,
            ) from None
        if not same_algorithm:
            raise SignatureProblem(
                f"certificate {number} of the {len(choices)} it carries names two different "
                "signature algorithms (inside and outside its signed part), which Java refuses",
                SIG_BLOCK_UNREADABLE,
            )
    return found


def signer_certificate(signer_info: cms.SignerInfo, pool: list[x509.Certificate]) -> x509.Certificate:
    """The certificate the SignerInfo names by issuer and serial number.

    A signer named by subject key identifier is refused: the JDK reads only issuer and serial number (CMS version 1
    SignerInfos), so Java cannot verify such a signature."""
    sid = signer_info["sid"]
    if sid.name != "issuer_and_serial_number":
        raise SignatureProblem(
            "the signer is identified by subject key identifier, which Java cannot read (it "
            "reads issuer and serial number only)",
            SIG_SIGNER_CERTIFICATE_MISSING,
        )
    for cert in pool:
        asn1_cert = to_asn1(cert)
        if asn1_cert.serial_number == sid.chosen["serial_number"].native and asn1_cert.issuer == sid.chosen["issuer"]:
            return cert
    raise SignatureProblem(
        "the signature block does not carry the signer's certificate", SIG_SIGNER_CERTIFICATE_MISSING
    )


def hash_name(signer_info: cms.SignerInfo) -> str:
    name = str(signer_info["digest_algorithm"]["algorithm"].native)
    if name not in _HASHES:
        raise SignatureProblem(f"unsupported digest algorithm {name}", SIG_ALGORITHM_UNSUPPORTED)
    return name


def _algorithm_id(algorithm: core.Sequence) -> tuple[str, bytes | None]:
    """An algorithm identifier as Java compares them: the OID, and the parameters unless absent or NULL."""
    parameters = algorithm["parameters"]
    encoded = None if isinstance(parameters, core.Void | core.Null) or parameters.native is None else parameters.dump()
    return algorithm["algorithm"].dotted, encoded


def _signed_attribute_values(attributes: cms.CMSAttributes) -> dict[str, list[object]]:
    """The signed attributes by type, each given once; single-valued ones with one value (as Java reads them)."""
    values: dict[str, list[object]] = {}
    for attribute in attributes:
        kind = str(attribute["type"].native)
        if kind in values:
            raise SignatureProblem(f"the signed attribute {kind} is given twice", SIG_ATTRIBUTES_INVALID)
        values[kind] = list(attribute["values"])
        if kind in _SINGLE_VALUED and len(values[kind]) != 1:
            raise SignatureProblem(
                f"the signed attribute {kind} has {len(values[kind])} values, not one", SIG_ATTRIBUTES_INVALID
            )
    return values


def _check_algorithm_protection(signer_info: cms.SignerInfo, protection: cms.CMSAlgorithmProtection) -> None:
    """The CMSAlgorithmProtection attribute (RFC 6211) must name the algorithms the SignerInfo uses."""
    if _algorithm_id(protection["digest_algorithm"]) != _algorithm_id(signer_info["digest_algorithm"]):
        raise SignatureProblem(
            f"the CMSAlgorithmProtection attribute names the digest "
            f"{protection['digest_algorithm']['algorithm'].native}, but the signature uses "
            f"{signer_info['digest_algorithm']['algorithm'].native}",
            SIG_ATTRIBUTES_INVALID,
        )
    named = protection["signature_algorithm"]
    if isinstance(named, core.Void) or _algorithm_id(named) != _algorithm_id(signer_info["signature_algorithm"]):
        raise SignatureProblem(
            "the CMSAlgorithmProtection attribute names another signature algorithm than the "
            f"one used ({signer_info['signature_algorithm']['algorithm'].native})",
            SIG_ATTRIBUTES_INVALID,
        )


def verify_signer_info(
    signer_info: cms.SignerInfo, content: bytes, cert: x509.Certificate, content_type: str, when: dt.datetime
) -> None:
    """Check that ``cert``'s key signed ``content`` as ``signer_info`` describes, with algorithms Java allows for a
    signature dated ``when``; raise SignatureProblem if not.

    As the JDK's ``SignerInfo.verify``: the signed attributes must carry the content type ``content_type`` (the
    type of the signed content) and its digest, and a CMSAlgorithmProtection attribute, if any, must agree with
    the algorithms used."""
    digest = hash_name(signer_info)
    problem = digest_problem(digest, when)
    if problem:
        raise SignatureProblem(f"its digest algorithm: {problem}", SIG_ALGORITHM_DISABLED)
    attributes = signer_info["signed_attrs"]
    if isinstance(attributes, core.Void) or not len(attributes):
        signed = content
    else:
        values = _signed_attribute_values(attributes)
        kinds = [getattr(v, "native", None) for v in values.get("content_type", [])]
        if kinds != [content_type]:
            raise SignatureProblem(
                f"the signed content type is {kinds[0] if kinds else 'missing'}, not {content_type}",
                SIG_ATTRIBUTES_INVALID,
            )
        digests = [getattr(v, "native", None) for v in values.get("message_digest", [])]
        if len(digests) != 1:
            raise SignatureProblem("the signed attributes carry no message digest", SIG_ATTRIBUTES_INVALID)
        if digests[0] != hashlib.new(digest, content).digest():
            raise SignatureProblem("the signed content does not match the digest in the signature", SIG_FILE_CHANGED)
        for protection in values.get("cms_algorithm_protection", []):
            _check_algorithm_protection(signer_info, protection)
        signed = _set_encoding(attributes)
    algorithm = signer_info["signature_algorithm"]
    try:
        kind = algorithm.signature_algo
    except ValueError:
        raise SignatureProblem(
            f"unsupported signature algorithm {algorithm['algorithm'].native}", SIG_ALGORITHM_UNSUPPORTED
        ) from None
    try:
        named_hash = algorithm.hash_algo
    except ValueError:  # plain rsaEncryption / ecPublicKey names no hash: the digest algorithm applies
        named_hash = digest
    if named_hash != digest:  # the JDK builds the algorithm from both and refuses them when they disagree
        raise SignatureProblem(
            f"its signature algorithm {algorithm['algorithm'].native} names another digest than "
            f"its digest algorithm {digest}, which Java refuses",
            SIG_ALGORITHM_UNSUPPORTED,
        )
    hash_algorithm = _HASHES[digest]()
    problem = digest_problem(hash_algorithm.name, when)
    if problem:
        raise SignatureProblem(
            f"its signature algorithm {algorithm['algorithm'].native}: {problem}", SIG_ALGORITHM_DISABLED
        )
    key = cert.public_key()
    problem = key_problem(key, JAR_MINIMUM_BITS, "jdk.jar.disabledAlgorithms")
    if problem:
        raise SignatureProblem(f"the signer's key: {problem}", SIG_ALGORITHM_DISABLED)
    signature = signer_info["signature"].native
    try:
        if kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), hash_algorithm)
        elif kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(hash_algorithm))
        else:
            raise SignatureProblem(
                f"unsupported signature algorithm {algorithm['algorithm'].native} for a "
                f"{type(key).__name__.lstrip('_')}",
                SIG_ALGORITHM_UNSUPPORTED,
            )
    except InvalidSignature:
        raise SignatureProblem(
            "the signature does not verify with the signer's certificate", SIG_SIGNATURE_INVALID
        ) from None
    except UnsupportedAlgorithm as exc:
        raise SignatureProblem(f"unsupported signature algorithm: {exc}", SIG_ALGORITHM_UNSUPPORTED) from None
