"""Crafting signed tacos the way an attacker (or a careless signer) would: every part of the signature can be
chosen, independently of the code under test.

The manifest's .SF digests are computed here from the raw bytes (sections split on empty lines, repeated names
digested together as the JDK's ``ManifestDigester`` does), not with the package's own parser, so that a bug in
that parser cannot hide in both the crafted archive and the verdict on it. Timestamp tokens come from a real
``openssl ts`` authority (:class:`tests.tsa_server.LoopbackTsa`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import subprocess
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.pki import DAY, NOW, Identity, Key
from tests.tsa_server import LoopbackTsa

_HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
_JAR_DIGEST_NAMES = {"sha1": "SHA-1", "sha256": "SHA-256", "sha384": "SHA-384"}


def rsa_key(bits: int, folder: Path) -> rsa.RSAPrivateKey:
    """An RSA key of any size (cryptography refuses to generate keys under 1024 bits; openssl does not)."""
    if bits >= 1024:
        return rsa.generate_private_key(65537, bits)
    path = folder / f"rsa{bits}.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(path), str(bits)], check=True, capture_output=True)
    key = serialization.load_pem_private_key(path.read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def certificate(
    name: str,
    issuer: Identity | None,
    key: Key | None = None,
    *,
    public_key: object | None = None,
    ca: bool = False,
    path_length: int | None = None,
    code_signing: bool = True,
    organization: str = "Connector Packager Tests",
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
    hash_name: str = "sha256",
    subject_key_id: bytes | None = None,
    not_before: dt.datetime = NOW - DAY,
    not_after: dt.datetime = NOW + 1000 * DAY,
) -> Identity:
    """A certificate for ``key`` (made if None; ``public_key`` overrides what is certified), issued by ``issuer``
    (self-signed if None), with the extensions the options ask for."""
    own_key: Key = key or rsa.generate_private_key(65537, 2048)
    certified = public_key or own_key.public_key()
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)]
    )
    signer_key = issuer.key if issuer else own_key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(certified)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectKeyIdentifier(subject_key_id)
            if subject_key_id
            else x509.SubjectKeyIdentifier.from_public_key(certified),
            critical=False,
        )  # type: ignore
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if code_signing and not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    cert = builder.sign(signer_key, hashes.SHA256())
    return Identity(cert if hash_name == "sha256" else resign(cert, signer_key, hash_name), own_key)


def resign(cert: x509.Certificate, issuer_key: Key, hash_name: str) -> x509.Certificate:
    """``cert`` signed again with ``hash_name`` (cryptography no longer signs certificates with SHA-1)."""
    assert isinstance(issuer_key, rsa.RSAPrivateKey)
    parsed = _asn1(cert)
    tbs = parsed["tbs_certificate"]
    tbs["signature"] = algos.SignedDigestAlgorithm({"algorithm": f"{hash_name}_rsa"})
    signature = issuer_key.sign(tbs.dump(force=True), padding.PKCS1v15(), _HASHES[hash_name]())
    rebuilt = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": {"algorithm": f"{hash_name}_rsa"}, "signature_value": signature}
    )
    return x509.load_der_x509_certificate(rebuilt.dump(force=True))


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _b64(data: bytes, hash_name: str) -> str:
    return base64.b64encode(hashlib.new(hash_name, data).digest()).decode()


def manifest_for(
    entries: list[tuple[str, bytes]],
    hash_name: str = "sha256",
    main: bytes = b"Manifest-Version: 1.0\r\nCreated-By: crafting\r\n\r\n",
) -> bytes:
    """A manifest with one section per entry (names are short enough for one line)."""
    label = _JAR_DIGEST_NAMES[hash_name]
    return main + b"".join(
        f"Name: {name}\r\n{label}-Digest: {_b64(data, hash_name)}\r\n\r\n".encode() for name, data in entries
    )


def raw_sections(manifest: bytes) -> list[bytes]:
    """The manifest split after each empty line (CRLF only), each section with the empty line ending it."""
    parts = manifest.split(b"\r\n\r\n")
    sections = [part + b"\r\n\r\n" for part in parts[:-1]]
    if parts[-1]:
        sections.append(parts[-1])
    return sections


def sf_for(manifest: bytes, hash_name: str = "sha256", whole: bool = True) -> bytes:
    """The .SF file: the whole manifest's digest (unless ``whole`` is False), the main section's, and one section
    per name with the digest of that name's sections together."""
    label = _JAR_DIGEST_NAMES[hash_name]
    sections = raw_sections(manifest)
    by_name: dict[str, bytes] = {}
    for raw in sections[1:]:
        first = raw.split(b"\r\n", 1)[0]
        if first.lower().startswith(b"name: "):
            name = first[6:].decode()
            by_name[name] = by_name.get(name, b"") + raw
    out = [b"Signature-Version: 1.0\r\nCreated-By: crafting\r\n"]
    if whole:
        out.append(f"{label}-Digest-Manifest: {_b64(manifest, hash_name)}\r\n".encode())
    out.append(f"{label}-Digest-Manifest-Main-Attributes: {_b64(sections[0], hash_name)}\r\n\r\n".encode())
    out += [f"Name: {name}\r\n{label}-Digest: {_b64(raw, hash_name)}\r\n\r\n".encode() for name, raw in by_name.items()]
    return b"".join(out)


def timestamp_token(tsa: LoopbackTsa, signature: bytes) -> cms.ContentInfo:
    """A token from the real authority for ``signature`` (SHA-256 imprint), whatever digest the authority signs
    with."""
    query = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(signature).digest(),
            },
            "cert_req": True,
        }
    )
    return tsp.TimeStampResp.load(tsa.reply(query.dump()))["time_stamp_token"]


@dataclass(frozen=True)
class Signature:
    """How to build the signature block; every field can be set to something the JDK does not accept."""

    signer: Identity
    certs: Sequence[x509.Certificate]
    hash_name: str = "sha256"
    content_type: str | None = "data"
    protection: tuple[str, str] | None = None  # (digest, signature algorithm) named; None: the ones used
    with_protection: bool = True
    by_key_identifier: bool = False
    tokens: Callable[[bytes], list[list[cms.ContentInfo]]] | None = None  # attributes, each a list of values
    extra: dict[str, object] = field(default_factory=dict)
    #: the hash the signature algorithm names and the signature is made with (None: ``hash_name``)
    signature_hash: str | None = None
    #: the signed attributes in the order written, not DER's (a SET OF is sorted by encoding)
    unsorted: bool = False


def _signature_algorithm(signature: Signature) -> str:
    key_kind = "ecdsa" if isinstance(signature.signer.key, ec.EllipticCurvePrivateKey) else "rsa"
    return f"{signature.signature_hash or signature.hash_name}_{key_kind}"


def signature_block(signature: Signature, sf: bytes) -> bytes:
    """A DER ContentInfo SignedData over ``sf`` as ``signature`` describes."""
    algorithm = _signature_algorithm(signature)
    named_digest, named_algorithm = signature.protection or (signature.hash_name, algorithm)
    attributes = [
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.new(signature.hash_name, sf).digest()]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": NOW})]}),
    ]
    if signature.content_type is not None:
        attributes.append(cms.CMSAttribute({"type": "content_type", "values": [signature.content_type]}))
    if signature.with_protection:
        attributes.append(
            cms.CMSAttribute(
                {
                    "type": "cms_algorithm_protection",
                    "values": [
                        cms.CMSAlgorithmProtection(
                            {
                                "digest_algorithm": algos.DigestAlgorithm({"algorithm": named_digest}),
                                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": named_algorithm}),
                            }
                        )
                    ],
                }
            )
        )
    signed_attrs = cms.CMSAttributes(sorted(attributes, key=lambda a: a.dump()))
    if signature.unsorted:  # asn1crypto sorts a SET OF it writes: the bytes are put together here
        raw = b"".join(a.dump() for a in reversed(signed_attrs))
        size = len(raw).to_bytes(2 if len(raw) > 255 else 1, "big")
        signed_attrs = cms.CMSAttributes.load(b"\x31" + bytes([0x80 | len(size)]) + size + raw)
    to_sign = b"\x31" + signed_attrs.dump()[1:]
    key = signature.signer.key
    signing_hash = _HASHES[signature.signature_hash or signature.hash_name]()
    if isinstance(key, rsa.RSAPrivateKey):
        value = key.sign(to_sign, padding.PKCS1v15(), signing_hash)
    else:
        value = key.sign(to_sign, ec.ECDSA(signing_hash))
    leaf = _asn1(signature.signer.cert)
    sid = (
        cms.SignerIdentifier({"subject_key_identifier": leaf.key_identifier})
        if signature.by_key_identifier
        else cms.SignerIdentifier(
            {"issuer_and_serial_number": {"issuer": leaf.issuer, "serial_number": leaf.serial_number}}
        )
    )
    info = {
        "version": "v3" if signature.by_key_identifier else "v1",
        "sid": sid,
        "digest_algorithm": {"algorithm": signature.hash_name},
        "signed_attrs": signed_attrs,
        "signature_algorithm": {"algorithm": algorithm},
        "signature": value,
    }
    attributes_lists = signature.tokens(value) if signature.tokens else []
    if attributes_lists:
        info["unsigned_attrs"] = cms.CMSAttributes(
            [cms.CMSAttribute({"type": "signature_time_stamp_token", "values": values}) for values in attributes_lists]
        )
    signed_data = cms.SignedData(
        {
            "version": "v3" if signature.by_key_identifier else "v1",
            "digest_algorithms": [{"algorithm": signature.hash_name}],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cms.CertificateChoices({"certificate": _asn1(c)}) for c in signature.certs],
            "signer_infos": [cms.SignerInfo(info)],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def one_token(tsa: LoopbackTsa) -> Callable[[bytes], list[list[cms.ContentInfo]]]:
    return lambda value: [[timestamp_token(tsa, value)]]


def entries_of(taco: bytes) -> list[tuple[str, bytes]]:
    """The unsigned taco's file entries (directories and META-INF left out)."""
    with zipfile.ZipFile(io.BytesIO(taco)) as archive:
        return [
            (i.filename, archive.read(i))
            for i in archive.infolist()
            if not i.is_dir() and not i.filename.upper().startswith("META-INF/")
        ]


def write_signed(
    path: Path,
    entries: list[tuple[str, bytes]],
    manifest: bytes,
    sf: bytes,
    block: bytes,
    extra: Sequence[tuple[str, bytes]] = (),
    base: str = "AUTHOR",
    block_suffix: str = "RSA",
) -> Path:
    """A signed taco laid out as jarsigner lays one out, with ``extra`` entries appended."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/", b"")
        archive.writestr("META-INF/MANIFEST.MF", manifest)
        archive.writestr(f"META-INF/{base}.SF", sf)
        archive.writestr(f"META-INF/{base}.{block_suffix}", block)
        for name, data in [*entries, *extra]:
            archive.writestr(name, data)
    path.write_bytes(out.getvalue())
    return path


def signed_taco(
    path: Path,
    entries: list[tuple[str, bytes]],
    signature: Signature,
    *,
    manifest: bytes | None = None,
    sf: bytes | None = None,
    extra: Sequence[tuple[str, bytes]] = (),
) -> Path:
    """Sign ``entries`` (with ``manifest`` and ``sf`` when given, else made here) as ``signature`` says."""
    manifest = manifest if manifest is not None else manifest_for(entries, signature.hash_name)
    sf = sf if sf is not None else sf_for(manifest, signature.hash_name)
    suffix = "EC" if isinstance(signature.signer.key, ec.EllipticCurvePrivateKey) else "RSA"
    return write_signed(path, entries, manifest, sf, signature_block(signature, sf), extra, block_suffix=suffix)


def with_signer(signature: Signature, signer: Identity, *chain: x509.Certificate) -> Signature:
    return replace(signature, signer=signer, certs=[signer.cert, *chain])


@dataclass(frozen=True)
class Token:
    """A timestamp token made here with the authority's key, every part chosen by the test (``openssl ts`` makes
    only honest ones)."""

    tsa: Identity
    certs: Sequence[x509.Certificate]
    gen_time: dt.datetime = NOW
    imprint_hash: str = "sha256"
    stamped: bytes | None = None  # what the imprint digests (None: the signature value, as it should)
    fields: dict[str, object] = field(default_factory=dict)  # more TSTInfo fields: accuracy, ordering, nonce, ...

    def __call__(self, value: bytes) -> list[list[cms.ContentInfo]]:
        return [[self.token(value)]]

    def token(self, value: bytes) -> cms.ContentInfo:
        info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": "1.3.6.1.4.1.99999.1",
                "message_imprint": {
                    "hash_algorithm": {"algorithm": self.imprint_hash},
                    "hashed_message": hashlib.new(self.imprint_hash, self.stamped or value).digest(),
                },
                "serial_number": 7,
                "gen_time": self.gen_time,
                **self.fields,
            }
        )
        content = info.dump()
        attributes = cms.CMSAttributes(
            sorted(
                [
                    cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                    cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
                ],
                key=lambda a: a.dump(),
            )
        )
        key = self.tsa.key
        assert isinstance(key, rsa.RSAPrivateKey)
        signature = key.sign(b"\x31" + attributes.dump()[1:], padding.PKCS1v15(), hashes.SHA256())
        leaf = _asn1(self.tsa.cert)
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [{"algorithm": "sha256"}],
                "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(content)},
                "certificates": [cms.CertificateChoices({"certificate": _asn1(c)}) for c in self.certs],
                "signer_infos": [
                    cms.SignerInfo(
                        {
                            "version": "v1",
                            "sid": cms.SignerIdentifier(
                                {
                                    "issuer_and_serial_number": {
                                        "issuer": leaf.issuer,
                                        "serial_number": leaf.serial_number,
                                    }
                                }
                            ),
                            "digest_algorithm": {"algorithm": "sha256"},
                            "signed_attrs": attributes,
                            "signature_algorithm": {"algorithm": "sha256_rsa"},
                            "signature": signature,
                        }
                    )
                ],
            }
        )
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
