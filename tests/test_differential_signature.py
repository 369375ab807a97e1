"""Crafted signatures against ``jarsigner -verify -strict`` (JDK 17) and our ``verify``.

For every case: ``verify`` runs bounded (2 s of CPU, 200 MB, no traceback) and gives the verdict the case
expects; where a JDK is present, ``verify`` never says Tableau will load what jarsigner refuses, and where we
refuse what jarsigner accepts, the case is one of the deliberate stricter refusals in :data:`STRICTER` (the
README's signing section has the same table).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.conftest import REPO, SAMPLES
from tests.crafting import (
    Signature,
    Token,
    certificate,
    entries_of,
    manifest_for,
    one_token,
    raw_sections,
    rsa_key,
    sf_for,
    signature_block,
    signed_taco,
    timestamp_token,
    with_signer,
)
from tests.differential import assert_never_looser
from tests.pki import DAY, NOW, Identity, Pki
from tests.tsa_server import LoopbackTsa

#: Where we refuse although jarsigner -verify -strict accepts, on purpose: case id -> reason.
STRICTER = {
    "orphan-signature-file": "a .SF file without its block is a broken signature; Java ignores it",
    "orphan-signature-block": "a signature block without its .SF file is a broken signature; Java ignores it",
    "second-block-of-garbage": "two blocks for one signature: Java skips a block it cannot parse; we refuse the "
    "ambiguity rather than pick one",
    "manifest-unterminated-last-line": "Java silently drops a last line without a line end; we refuse rather than "
    "read the file differently",
    "manifest-511-byte-line": "Java's 512-byte buffer splits a 511-byte line ending in CRLF into a line and an "
    "empty line; we refuse rather than read it differently",
    "manifest-over-line-cap": "more than 100,000 lines in a manifest or .SF file (a .taco needs a few per file); "
    "the cap bounds the work per line",
    "too-many-certificates": "more than 50 certificates in one signature block (a .taco carries its chain); the cap "
    "bounds the path search",
    "timestamp-in-the-future": "a timestamp later than the time checked at claims a time that has not come (a "
    "wrong or forged authority clock); jarsigner only warns",
    "ber-block-signed-over-der": "a signature block in BER (indefinite lengths) is not read: Java converts it to DER "
    "first, and which bytes a signature covers depends on the encoding",
}


@dataclass
class Kit:
    """What every case starts from: the test PKI, the authority, the sample's entries, a good signature."""

    pki: Pki
    tsa: LoopbackTsa
    sha1_tsa: LoopbackTsa
    entries: list[tuple[str, bytes]]
    folder: Path

    @property
    def good(self) -> Signature:
        return Signature(
            self.pki.codesign,
            [self.pki.codesign.cert, self.pki.intermediate.cert, self.pki.root.cert],
            tokens=one_token(self.tsa),
        )

    def signer(self, leaf: Identity, *chain: x509.Certificate) -> Signature:
        return with_signer(self.good, leaf, *(chain or (self.pki.intermediate.cert, self.pki.root.cert)))


@pytest.fixture(scope="module")
def kit(pki: Pki, tsa: LoopbackTsa, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    from connector_packager.packaging import package
    from connector_packager.validation import check_connector

    folder = tmp_path_factory.mktemp("crafted")
    taco = package(check_connector(SAMPLES / "acme_odbc"), folder / "unsigned")
    sha1_tsa = LoopbackTsa(pki, folder / "sha1-tsa", signer_digest="sha1").start()
    yield Kit(pki, tsa, sha1_tsa, entries_of(taco.read_bytes()), folder)
    sha1_tsa.stop()


Build = Callable[[Kit, Path], Path]


@dataclass(frozen=True)
class Case:
    id: str
    build: Build
    #: "load", or a fragment of our refusal
    ours: str
    #: The rule of our first problem (the verdict's), or of a warning where it loads; "" when it loads cleanly.
    rule: str = ""


def _manifest_with(kit: Kit, main_extra: bytes = b"", sections_extra: bytes = b"", tail: bytes = b"") -> bytes:
    main = b"Manifest-Version: 1.0\r\n" + main_extra + b"Created-By: crafting\r\n\r\n"
    return manifest_for(kit.entries, main=main) + sections_extra + tail


def _signed(kit: Kit, path: Path, manifest: bytes, *, whole: bool = True, signature: Signature | None = None) -> Path:
    return signed_taco(path, kit.entries, signature or kit.good, manifest=manifest, sf=sf_for(manifest, whole=whole))


def _repeated(kit: Kit, path: Path, last_good: bool) -> Path:
    good = manifest_for(kit.entries[:1])
    bad = manifest_for([(kit.entries[0][0], b"other content")])
    first, second = (bad, good) if last_good else (good, bad)
    manifest = _manifest_with(kit) + raw_sections(first)[1] + raw_sections(second)[1]
    return _signed(kit, path, manifest)


def _sf_digests_last_section_only(kit: Kit, path: Path) -> Path:
    one = raw_sections(manifest_for(kit.entries[:1]))[1]
    manifest = _manifest_with(kit) + one + one
    sf = sf_for(manifest, whole=False)
    # digest only the last of the two sections, as a reader that keeps the last section would
    section_digest = sf_for(b"M: 1\r\n\r\n" + one, whole=False).split(b"\r\n\r\n")[1]
    sf_lines = sf.split(b"\r\n\r\n")
    sf_lines = [section_digest if s.startswith(f"Name: {kit.entries[0][0]}\r\n".encode()) else s for s in sf_lines]
    return signed_taco(path, kit.entries, kit.good, manifest=manifest, sf=b"\r\n\r\n".join(sf_lines))


def _oversize_sf(kit: Kit, path: Path) -> Path:
    manifest = _manifest_with(kit)
    sf = sf_for(manifest)
    head, rest = sf.split(b"\r\n", 1)
    pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 480) for i in range(16_000_000 // 490 + 10))
    return signed_taco(path, kit.entries, kit.good, manifest=manifest, sf=head + b"\r\n" + pad + rest)


def _oversize_manifest(kit: Kit, path: Path) -> Path:
    pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 480) for i in range(16_000_000 // 490 + 10))
    return _signed(kit, path, _manifest_with(kit, pad))


def _ec_signer(kit: Kit, path: Path) -> Path:
    leaf = certificate("EC P-192 Signer", kit.pki.intermediate, ec.generate_private_key(ec.SECP192R1()))
    return signed_taco(path, kit.entries, kit.signer(leaf))


def _block_certs(kit: Kit, path: Path, extra: list[x509.Certificate]) -> Path:
    good = kit.good
    return signed_taco(path, kit.entries, replace(good, certs=[*good.certs, *extra]))


def _fake_issuers(kit: Kit, count: int, huge_exponent: bool) -> list[x509.Certificate]:
    """Certificates named as the intermediate, with its key identifier, that did not sign anything."""
    intermediate = kit.pki.intermediate.cert
    ski = intermediate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    key = rsa.generate_private_key(65537, 2048)
    modulus = key.public_key().public_numbers().n
    fakes = []
    for _ in range(count):
        exponent = (secrets.randbits(2000) | 1 | (1 << 1999)) if huge_exponent else 65537
        public = rsa.RSAPublicNumbers(exponent, modulus).public_key()
        fake = certificate("Test Intermediate CA", None, key, public_key=public, ca=True, subject_key_id=ski)
        fakes.append(fake.cert)
    return fakes


def _many_certificates(kit: Kit, count: int) -> list[x509.Certificate]:
    key = rsa.generate_private_key(65537, 2048)
    return [certificate(f"Filler {i}", None, key, ca=True).cert for i in range(count)]


def _unknown_critical(kit: Kit, path: Path) -> Path:
    leaf = certificate(
        "Unknown Extension Signer",
        kit.pki.intermediate,
        extensions=[(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.7"), b"\x05\x00"), True)],
    )
    return signed_taco(path, kit.entries, kit.signer(leaf))


def _netscape_server_only(kit: Kit, path: Path) -> Path:
    ssl_server_only = b"\x03\x02\x06\x40"  # BIT STRING: bit 1 (SSL server) only, no object signing
    leaf = certificate(
        "Netscape Server Signer",
        kit.pki.intermediate,
        extensions=[
            (x509.UnrecognizedExtension(x509.ObjectIdentifier("2.16.840.1.113730.1.1"), ssl_server_only), False)
        ],
    )
    return signed_taco(path, kit.entries, kit.signer(leaf))


def _name_constraints(kit: Kit, path: Path) -> Path:
    permitted = x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Permitted Org")]))
    constrained = certificate(
        "Constrained CA",
        kit.pki.intermediate,
        ca=True,
        organization="Permitted Org",
        extensions=[(x509.NameConstraints([permitted], None), True)],
    )
    leaf = certificate("Victim Corp Code Signing", constrained, organization="Victim Corp")
    return signed_taco(
        path, kit.entries, kit.signer(leaf, constrained.cert, kit.pki.intermediate.cert, kit.pki.root.cert)
    )


def _path_length(kit: Kit, path: Path) -> Path:
    limited = certificate("Limited CA", kit.pki.intermediate, ca=True, path_length=0)
    below = certificate("CA Below The Limit", limited, ca=True)
    leaf = certificate("Too Deep Signer", below)
    return signed_taco(
        path, kit.entries, kit.signer(leaf, below.cert, limited.cert, kit.pki.intermediate.cert, kit.pki.root.cert)
    )


def _policy_required(kit: Kit, path: Path) -> Path:
    strict = certificate(
        "Policy Requiring CA",
        kit.pki.intermediate,
        ca=True,
        extensions=[(x509.PolicyConstraints(require_explicit_policy=0, inhibit_policy_mapping=None), True)],
    )
    leaf = certificate("Policy-less Signer", strict)
    return signed_taco(path, kit.entries, kit.signer(leaf, strict.cert, kit.pki.intermediate.cert, kit.pki.root.cert))


def _small_key(bits: int) -> Build:
    def build(kit: Kit, path: Path) -> Path:
        leaf = certificate(f"RSA {bits} Signer", kit.pki.intermediate, rsa_key(bits, kit.folder))
        return signed_taco(path, kit.entries, kit.signer(leaf))

    return build


def _tokens(count: int, values: int) -> Build:
    def build(kit: Kit, path: Path) -> Path:
        def tokens(value: bytes) -> list[list[object]]:
            token = timestamp_token(kit.tsa, value)
            return [[token] * values for _ in range(count)]

        return signed_taco(path, kit.entries, replace(kit.good, tokens=tokens))  # type: ignore[arg-type]

    return build


def _sha1_timestamp(kit: Kit, path: Path) -> Path:
    return signed_taco(path, kit.entries, replace(kit.good, tokens=one_token(kit.sha1_tsa)))


def _sha1_block(kit: Kit, path: Path) -> Path:
    manifest = manifest_for(kit.entries)
    return signed_taco(path, kit.entries, replace(kit.good, hash_name="sha1"), manifest=manifest, sf=sf_for(manifest))


def _sha1_digests(kit: Kit, path: Path) -> Path:
    manifest = manifest_for(kit.entries, "sha1")
    return signed_taco(path, kit.entries, kit.good, manifest=manifest, sf=sf_for(manifest, "sha1"))


def _sha1_certificate(kit: Kit, path: Path) -> Path:
    leaf = certificate("SHA-1 Certified Signer", kit.pki.intermediate, hash_name="sha1")
    return signed_taco(path, kit.entries, kit.signer(leaf))


def _rider(name: str) -> Build:
    return lambda kit, path: signed_taco(path, kit.entries, kit.good, extra=[(name, b"riding along")])


def _orphan_block(kit: Kit, path: Path) -> Path:
    manifest = manifest_for(kit.entries)
    sf = sf_for(manifest)
    block = signature_block(kit.good, sf)
    return signed_taco(path, kit.entries, kit.good, manifest=manifest, sf=sf, extra=[("META-INF/OTHER.RSA", block)])


def _no_signature_version(kit: Kit, path: Path) -> Path:
    manifest = manifest_for(kit.entries)
    sf = sf_for(manifest).replace(b"Signature-Version: 1.0\r\n", b"")
    return signed_taco(path, kit.entries, kit.good, manifest=manifest, sf=sf)


def _many_sections(count: int) -> Build:
    def build(kit: Kit, path: Path) -> Path:
        entries = [*kit.entries, *((f"data/f{i}.txt", b"%d" % i) for i in range(count))]
        return signed_taco(path, entries, kit.good)

    return build


def _lookalike(kit: Kit, of: Identity, before: bool | None = None) -> x509.Certificate:
    """A certificate with the name of ``of`` (and its CA flag) but another key: it signed nothing of the chain.
    ``before``: one that the block's DER SET OF order (by encoding: here, by length first) puts before (True) or
    after (False) ``of``'s certificate, since Java reads them in that order. An EC key makes it shorter than the RSA
    test certificates, an RSA key and a padding extension longer."""
    from cryptography.hazmat.primitives.serialization import Encoding

    key = ec.generate_private_key(ec.SECP256R1()) if before else rsa.generate_private_key(65537, 2048)
    padding = (
        []
        if before
        else [
            (x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.9"), b"\x04\x40" + b"\0" * 64), False)
        ]
    )
    lookalike = certificate(
        of.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value, None, key, ca=True, extensions=padding
    ).cert
    assert lookalike.subject == of.cert.subject
    shorter = len(lookalike.public_bytes(Encoding.DER)) < len(of.cert.public_bytes(Encoding.DER))
    assert before is None or shorter == before
    return lookalike


def _with_certs(kit: Kit, path: Path, certs: list[x509.Certificate]) -> Path:
    return signed_taco(path, kit.entries, replace(kit.good, certs=certs))


def _two_algorithms(cert: x509.Certificate) -> x509.Certificate:
    """``cert`` with its outer signature algorithm changed (the signed part still names the first one)."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding

    parsed = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    changed = asn1_x509.Certificate(
        {
            "tbs_certificate": parsed["tbs_certificate"],
            "signature_algorithm": {"algorithm": "sha384_rsa"},
            "signature_value": parsed["signature_value"],
        }
    )
    return x509.load_der_x509_certificate(changed.dump())


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag byte, start of contents, end of contents) of the DER element at ``pos`` (one-byte tags)."""
    length, start = data[pos + 1], pos + 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(data[start : start + count], "big"), start + count
    return data[pos], start, start + length


def _indefinite(der: bytes, keep: Callable[[tuple[int, ...]], bool], path: tuple[int, ...] = ()) -> bytes:
    """``der`` with every constructed element given the BER indefinite length, except the subtrees ``keep`` picks
    by their path of tags."""
    out, pos = [], 0
    while pos < len(der):
        tag, start, end = _tlv(der, pos)
        here = (*path, tag)
        if tag & 0x20 and not keep(here):
            out.append(bytes([tag, 0x80]) + _indefinite(der[start:end], keep, here) + b"\0\0")
        else:
            out.append(der[pos:end])
        pos = end
    return b"".join(out)


def _ber_block(kit: Kit, path: Path, sign_ber: bool) -> Path:
    """A block whose signed attributes (and the structures holding them) have indefinite lengths; its certificates
    and timestamp stay DER. ``sign_ber``: the signature covers the BER bytes of the attributes (else their DER
    bytes, as Java reads them once it converts the block to DER)."""
    from asn1crypto import cms as asn1_cms
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding

    manifest = manifest_for(kit.entries)
    sf = sf_for(manifest)
    der = signature_block(kit.good, sf)
    # ContentInfo, [0], SignedData, then its certificates [0] / the SignerInfo's unsigned attributes [1] stay DER
    keep = lambda tags: tags[3:4] == (0xA0,) or (tags[-1:] == (0xA1,) and len(tags) == 6)  # noqa: E731
    info = asn1_cms.ContentInfo.load(der)
    signer_info = info["content"]["signer_infos"][0]
    attributes = signer_info["signed_attrs"].dump()
    signed = b"\x31" + (_indefinite(attributes, lambda tags: False) if sign_ber else attributes)[1:]
    key = kit.pki.codesign.key
    assert isinstance(key, rsa.RSAPrivateKey)
    signer_info["signature"] = key.sign(signed, rsa_padding.PKCS1v15(), hashes.SHA256())
    block = _indefinite(info.dump(force=True), keep)
    from tests.crafting import write_signed

    return write_signed(path, kit.entries, manifest, sf, block)


def _zeros(header: bytes, size: int) -> bytes:
    """A digest header whose value (``size`` zero bytes) matches nothing."""
    return header + b": " + base64.b64encode(bytes(size))


def _extra_header(kit: Kit, path: Path, header: bytes, sf_header: bytes = b"") -> Path:
    """The first entry's manifest section (or, with ``sf_header``, the .SF file's main section) given one more line;
    the .SF digests are made over the manifest as it then is."""
    manifest = manifest_for(kit.entries)
    first = raw_sections(manifest)[1]
    if header:
        manifest = manifest.replace(first, first[:-2] + header + b"\r\n\r\n", 1)
    sf = sf_for(manifest).replace(b"\r\n\r\n", b"\r\n" + sf_header + b"\r\n\r\n", 1) if sf_header else sf_for(manifest)
    return signed_taco(path, kit.entries, kit.good, manifest=manifest, sf=sf)


def _sha_alias_only(kit: Kit, path: Path) -> Path:
    """Every digest named ``SHA``, Java's other name for SHA-1."""
    manifest = manifest_for(kit.entries, "sha1").replace(b"SHA-1-Digest", b"SHA-Digest")
    sf = sf_for(manifest, "sha1").replace(b"SHA-1-Digest", b"SHA-Digest")
    return signed_taco(path, kit.entries, kit.good, manifest=manifest, sf=sf)


def _stamped(kit: Kit, path: Path, certs: list[x509.Certificate] | None = None, **token: Any) -> Path:
    """The good signature with a token made here (``token``: the :class:`Token` fields to change)."""
    chain = certs or [kit.pki.tsa.cert, kit.pki.intermediate.cert, kit.pki.root.cert]
    return signed_taco(path, kit.entries, replace(kit.good, tokens=Token(kit.pki.tsa, chain, **token)))


def _signature_algorithm_parameters(kit: Kit, path: Path) -> Path:
    """The SignerInfo's sha256WithRSAEncryption given an empty OCTET STRING as parameters where NULL belongs (no
    CMSAlgorithmProtection attribute, so the signature still verifies)."""
    from tests.crafting import write_signed

    manifest = manifest_for(kit.entries)
    sf = sf_for(manifest)
    block = signature_block(replace(kit.good, with_protection=False), sf)
    algorithm = b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"
    at = block.index(algorithm + b"\x05\x00\x04\x82\x01\x00")  # the one just before the signature value
    block = block[:at] + algorithm + b"\x04\x00" + block[at + len(algorithm) + 2 :]
    return write_signed(path, kit.entries, manifest, sf, block)


def _lower_case_signature(kit: Kit, path: Path) -> Path:
    from tests.crafting import write_signed

    manifest = manifest_for(kit.entries)
    sf = sf_for(manifest)
    return write_signed(
        path, kit.entries, manifest, sf, signature_block(kit.good, sf), base="author", block_suffix="rsa"
    )


def _second_signer(kit: Kit, path: Path, signature: Signature, entries: int | None = None) -> Path:
    """The good signature, and a second one (``OTHER``) by ``signature`` over the same manifest, whose .SF lists
    only the first ``entries`` entries (all when None)."""
    manifest = manifest_for(kit.entries)
    sf = sf_for(manifest)
    other_sf = sf
    if entries is not None:
        other_sf = sf_for(manifest, whole=False).split(b"\r\n\r\n")
        other_sf = b"\r\n\r\n".join(other_sf[: 1 + entries]) + b"\r\n\r\n"
    return signed_taco(
        path,
        kit.entries,
        kit.good,
        manifest=manifest,
        sf=sf,
        extra=[("META-INF/OTHER.SF", other_sf), ("META-INF/OTHER.RSA", signature_block(signature, other_sf))],
    )


CASES = [
    Case("good", lambda kit, path: signed_taco(path, kit.entries, kit.good), "load"),
    # which META-INF names are signature files
    Case(
        "sig-rider-long-extension",
        _rider("META-INF/SIG-X.ABCD"),
        "the entry META-INF/SIG-X.ABCD is not signed",
        "sig-entry-unsigned",
    ),
    Case(
        "sig-rider-in-sub-folder",
        _rider("META-INF/sub/SIG-X.SF"),
        "the entry META-INF/sub/SIG-X.SF is not signed",
        "sig-entry-unsigned",
    ),
    Case(
        "sig-rider-punctuated-extension",
        _rider("META-INF/SIG-X.A-B"),
        "the entry META-INF/SIG-X.A-B is not signed",
        "sig-entry-unsigned",
    ),
    Case("sig-file-known-extension", _rider("META-INF/SIG-X.ABC"), "load", "sig-unknown-signature-file"),
    Case("orphan-signature-file", _rider("META-INF/OTHER.SF"), "the signature OTHER lacks its block", "sig-incomplete"),
    Case("orphan-signature-block", _orphan_block, "the signature OTHER lacks its .SF file", "sig-incomplete"),
    Case(
        "second-block-of-garbage",
        _rider("META-INF/AUTHOR.EC"),
        "the signature AUTHOR has more than one block",
        "sig-duplicate-signature-file",
    ),
    # repeated manifest sections
    Case("repeated-section-last-good", lambda kit, path: _repeated(kit, path, True), "load"),
    Case(
        "repeated-section-last-bad",
        lambda kit, path: _repeated(kit, path, False),
        "was changed after signing",
        "sig-entry-changed",
    ),
    Case(
        "repeated-section-sf-digests-one",
        _sf_digests_last_section_only,
        "does not match AUTHOR.SF",
        "sig-manifest-section-changed",
    ),
    # manifest syntax
    Case(
        "manifest-bad-header-name",
        lambda kit, path: _signed(kit, path, _manifest_with(kit, b"Bad Name: x\r\n")),
        "MANIFEST.MF cannot be read",
        "sig-manifest-unreadable",
    ),
    Case(
        "manifest-section-without-name",
        lambda kit, path: _signed(kit, path, _manifest_with(kit, sections_extra=b"X-Note: first\r\n\r\n")),
        "MANIFEST.MF cannot be read",
        "sig-manifest-unreadable",
    ),
    Case(
        "manifest-long-line",
        lambda kit, path: _signed(kit, path, _manifest_with(kit, b"X-Long: " + b"x" * 600 + b"\r\n")),
        "MANIFEST.MF cannot be read",
        "sig-manifest-unreadable",
    ),
    Case(
        "manifest-511-byte-line",
        lambda kit, path: _signed(
            kit, path, manifest_for(kit.entries, main=(b"Manifest-Version: 1.0\r\nX-Long: " + b"x" * 503 + b"\r\n\r\n"))
        ),
        "MANIFEST.MF cannot be read",
        "sig-manifest-unreadable",
    ),
    Case(
        "manifest-511-byte-line-mid-section",
        lambda kit, path: _signed(kit, path, _manifest_with(kit, b"X-Long: " + b"x" * 503 + b"\r\n")),
        "MANIFEST.MF cannot be read",
        "sig-manifest-unreadable",
    ),
    Case(
        "manifest-misplaced-continuation",
        lambda kit, path: _signed(kit, path, _manifest_with(kit, sections_extra=b" continued\r\n\r\n")),
        "MANIFEST.MF cannot be read",
        "sig-manifest-unreadable",
    ),
    Case(
        "manifest-unterminated-last-line",
        lambda kit, path: _signed(kit, path, _manifest_with(kit, tail=b"Name: zz-note\r\nX-Note: 1")),
        "MANIFEST.MF cannot be read",
        "sig-manifest-unreadable",
    ),
    Case(
        "manifest-continued-60000-lines",
        lambda kit, path: _signed(kit, path, _manifest_with(kit, b"X-Long: a" + b"\r\n b" * 60_000 + b"\r\n")),
        "load",
    ),
    Case(
        "manifest-over-line-cap",
        lambda kit, path: _signed(kit, path, _manifest_with(kit, b"".join(b"X-%d: 1\r\n" % i for i in range(110_000)))),
        "MANIFEST.MF cannot be read",
        "sig-manifest-unreadable",
    ),
    Case("many-sections-and-entries", _many_sections(8000), "load"),
    Case("oversize-signature-file", _oversize_sf, "more than Java reads", "sig-file-unreadable"),
    Case("oversize-manifest", _oversize_manifest, "more than Java reads", "sig-manifest-unreadable"),
    Case(
        "sf-without-signature-version", _no_signature_version, "does not say Signature-Version: 1.0", "sig-file-version"
    ),
    # the signature block
    Case(
        "no-content-type",
        lambda kit, path: signed_taco(path, kit.entries, replace(kit.good, content_type=None)),
        "the signed content type is missing",
        "sig-attributes-invalid",
    ),
    Case(
        "wrong-content-type",
        lambda kit, path: signed_taco(path, kit.entries, replace(kit.good, content_type="tst_info")),
        "the signed content type is tst_info",
        "sig-attributes-invalid",
    ),
    Case(
        "contradicting-algorithm-protection",
        lambda kit, path: signed_taco(path, kit.entries, replace(kit.good, protection=("sha384", "sha384_rsa"))),
        "CMSAlgorithmProtection",
        "sig-attributes-invalid",
    ),
    Case(
        "subject-key-identifier-signer",
        lambda kit, path: signed_taco(path, kit.entries, replace(kit.good, by_key_identifier=True)),
        "subject key identifier",
        "sig-signer-certificate-missing",
    ),
    Case("two-timestamp-attributes", _tokens(2, 1), "carries 2 timestamps", "timestamp-several"),
    Case("timestamp-with-two-values", _tokens(1, 2), "carries 2 timestamps", "timestamp-several"),
    # algorithms
    Case("sha1-signature-block", _sha1_block, "SHA-1 is a disabled algorithm", "sig-algorithm-disabled"),
    Case("sha1-manifest-digests", _sha1_digests, "SHA-1 is a disabled algorithm", "sig-algorithm-disabled"),
    Case("sha1-timestamp-token", _sha1_timestamp, "SHA-1 is a disabled algorithm", "timestamp-invalid"),
    Case(
        "sha1-signed-certificate",
        _sha1_certificate,
        "CN=SHA-1 Certified Signer: SHA-1 is a disabled algorithm",
        "chain-not-validated",
    ),
    Case("rsa-512-signer", _small_key(512), "512-bit RSA key is a disabled algorithm", "sig-algorithm-disabled"),
    Case("rsa-1024-signer", _small_key(1024), "load", "sig-algorithm-legacy"),
    Case("ec-192-signer", _ec_signer, "192-bit EC key is a disabled algorithm", "chain-not-validated"),
    # certificate paths
    Case(
        "name-constraints-violated",
        _name_constraints,
        "the signer's certificate chain is not validated",
        "chain-not-validated",
    ),
    Case(
        "path-length-exceeded", _path_length, "the signer's certificate chain is not validated", "chain-not-validated"
    ),
    Case(
        "policy-required-but-absent",
        _policy_required,
        "the signer's certificate chain is not validated",
        "chain-not-validated",
    ),
    Case(
        "unknown-critical-extension",
        _unknown_critical,
        "the signer's certificate chain is not validated",
        "chain-not-validated",
    ),
    Case("netscape-type-without-object-signing", _netscape_server_only, "Netscape certificate type", "sig-key-usage"),
    Case(
        "missing-intermediate",
        lambda kit, path: signed_taco(path, kit.entries, kit.signer(kit.pki.codesign, kit.pki.root.cert)),
        "CN=Test Intermediate CA, which issued",
        "chain-not-validated",
    ),
    Case(
        "fake-issuers-huge-exponents", lambda kit, path: _block_certs(kit, path, _fake_issuers(kit, 40, True)), "load"
    ),
    Case("fake-issuers-same-key-id", lambda kit, path: _block_certs(kit, path, _fake_issuers(kit, 40, False)), "load"),
    # the chain Java reads from the block: by names, in the block's order (SignerInfo.getCertificateChain)
    Case(
        "chain-without-root",
        lambda kit, path: _with_certs(kit, path, [kit.pki.codesign.cert, kit.pki.intermediate.cert]),
        "load",
    ),
    Case(
        "root-lookalike-with-other-key",
        lambda kit, path: _with_certs(
            kit, path, [kit.pki.codesign.cert, kit.pki.intermediate.cert, _lookalike(kit, kit.pki.root)]
        ),
        "Java checks the certificates as the signature orders them",
        "chain-not-validated",
    ),
    Case(
        "intermediate-lookalike-first",
        lambda kit, path: _with_certs(
            kit,
            path,
            [
                kit.pki.codesign.cert,
                _lookalike(kit, kit.pki.intermediate, True),
                kit.pki.intermediate.cert,
                kit.pki.root.cert,
            ],
        ),
        "Java checks the certificates as the signature orders them",
        "chain-not-validated",
    ),
    Case(
        "intermediate-lookalike-last",
        lambda kit, path: _with_certs(
            kit,
            path,
            [
                kit.pki.codesign.cert,
                kit.pki.intermediate.cert,
                kit.pki.root.cert,
                _lookalike(kit, kit.pki.intermediate, False),
            ],
        ),
        "load",
    ),
    Case(
        "certificate-with-two-signature-algorithms",
        lambda kit, path: _with_certs(
            kit, path, [kit.pki.codesign.cert, kit.pki.intermediate.cert, _two_algorithms(kit.pki.root.cert)]
        ),
        "names two different signature algorithms",
        "sig-block-unreadable",
    ),
    # the signature algorithm names another digest than the digest algorithm (Java builds the algorithm from both)
    Case(
        "signature-algorithm-other-digest",
        lambda kit, path: signed_taco(
            path, kit.entries, replace(kit.good, signature_hash="sha512", with_protection=False)
        ),
        "names another digest than its digest algorithm",
        "sig-algorithm-unsupported",
    ),
    Case(
        "signature-algorithm-other-digest-protected",
        lambda kit, path: signed_taco(
            path, kit.entries, replace(kit.good, signature_hash="sha512", protection=("sha256", "sha512_rsa"))
        ),
        "names another digest than its digest algorithm",
        "sig-algorithm-unsupported",
    ),
    # BER (indefinite lengths) in the block: the signature over the BER bytes, or over the DER ones Java reads
    Case(
        "ber-block-signed-over-ber",
        lambda kit, path: _ber_block(kit, path, True),
        "cannot be read",
        "sig-block-unreadable",
    ),
    Case(
        "ber-block-signed-over-der",
        lambda kit, path: _ber_block(kit, path, False),
        "cannot be read",
        "sig-block-unreadable",
    ),
    # digests Java knows besides the usual ones, or under their other names: each must match; a digest given twice
    Case(
        "sha-224-digest-wrong",
        lambda kit, path: _extra_header(kit, path, _zeros(b"SHA-224-Digest", 28)),
        "its SHA-224 digest does not match",
        "sig-entry-changed",
    ),
    Case(
        "sha3-digest-wrong",
        lambda kit, path: _extra_header(kit, path, _zeros(b"SHA3-256-Digest", 32)),
        "its SHA3-256 digest does not match",
        "sig-entry-changed",
    ),
    Case(
        "alias-digest-wrong",
        lambda kit, path: _extra_header(kit, path, _zeros(b"SHA256-Digest", 32)),
        "its SHA256 digest does not match",
        "sig-entry-changed",
    ),
    Case(
        "sha-alias-digest-wrong",
        lambda kit, path: _extra_header(kit, path, _zeros(b"SHA-Digest", 20)),
        "its SHA digest does not match",
        "sig-entry-changed",
    ),
    Case("sha-alias-digests-only", _sha_alias_only, "load"),
    Case(
        "digest-again-in-lower-case",
        lambda kit, path: _extra_header(kit, path, _zeros(b"sha-256-digest", 32)),
        "its SHA-256 digest does not match",
        "sig-entry-changed",
    ),
    Case(
        "whole-manifest-digest-wrong-in-one-algorithm",
        lambda kit, path: _extra_header(kit, path, b"", _zeros(b"SHA-512-Digest-Manifest", 64)),
        "load",
    ),
    # signature files named in lower case; several signers
    Case("lower-case-signature-files", _lower_case_signature, "load"),
    Case(
        "second-signer-untrusted",
        lambda kit, path: _second_signer(kit, path, with_signer(kit.good, certificate("Stranger", None))),
        "the signer's certificate chain is not validated",
        "chain-not-validated",
    ),
    Case("second-signer-signs-some-entries", lambda kit, path: _second_signer(kit, path, kit.good, 1), "load"),
    # timestamp tokens made here, with the authority's key
    Case("crafted-token", lambda kit, path: _stamped(kit, path), "load"),
    Case(
        "token-with-accuracy-ordering-nonce",
        lambda kit, path: _stamped(
            kit, path, fields={"accuracy": {"seconds": 1, "millis": 5}, "ordering": True, "nonce": 123456789}
        ),
        "load",
    ),
    Case("token-imprint-sha512", lambda kit, path: _stamped(kit, path, imprint_hash="sha512"), "load"),
    Case(
        "token-over-other-data",
        lambda kit, path: _stamped(kit, path, stamped=b"other data"),
        "the timestamp stamps other data",
        "timestamp-invalid",
    ),
    Case(
        "timestamp-in-the-future",
        lambda kit, path: _stamped(kit, path, gen_time=NOW + 30 * DAY),
        "it did not exist yet",
        "timestamp-in-future",
    ),
    Case(
        "timestamp-before-the-certificates",
        lambda kit, path: _stamped(kit, path, gen_time=NOW - 3 * DAY),
        "not validated",
        "chain-not-validated",
    ),
    Case(
        "token-chain-lookalike-intermediate-first",
        lambda kit, path: _stamped(
            kit,
            path,
            certs=[
                kit.pki.tsa.cert,
                _lookalike(kit, kit.pki.intermediate, True),
                kit.pki.intermediate.cert,
                kit.pki.root.cert,
            ],
        ),
        "Java checks the certificates as the signature orders them",
        "timestamp-chain-not-validated",
    ),
    # unusual algorithm parameters, attributes out of DER order
    Case("signature-algorithm-with-parameters", _signature_algorithm_parameters, "load"),
    Case(
        "signed-attributes-out-of-order",
        lambda kit, path: signed_taco(path, kit.entries, replace(kit.good, unsorted=True)),
        "load",
    ),
    Case(
        "too-many-certificates",
        lambda kit, path: _block_certs(kit, path, _many_certificates(kit, 60)),
        "more than 50",
        "sig-too-many-certificates",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_verify_is_never_looser_than_jarsigner(case: Case, kit: Kit, java_store: Path | None, tmp_path: Path) -> None:
    taco = case.build(kit, tmp_path / f"{case.id}.taco")
    ours, java = assert_never_looser(taco, kit.pki.root_pem, java_store)
    if case.ours == "load":
        assert ours.says_load, ours.describe()
    else:
        assert ours.returncode == 1 and ours.last_line.startswith("Tableau will refuse"), ours.describe()
        assert case.ours in ours.stdout, ours.describe()
    if case.rule:
        assert f"[{case.rule}]" in ours.stdout, ours.describe()
    if java is not None and java.accepts and not ours.says_load:
        assert case.id in STRICTER, (
            f"we refuse what jarsigner accepts, and {case.id} is not a documented "
            f"stricter refusal:\n{ours.describe()}\n--- jarsigner\n{java.output}"
        )
    if java is not None and case.id in STRICTER:  # the table lists only what jarsigner really accepts
        assert java.accepts, f"{case.id} is listed as stricter, but jarsigner refuses it too:\n{java.output}"


def test_every_stricter_refusal_is_a_case_and_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert set(STRICTER) <= {c.id for c in CASES}
    for case_id in STRICTER:
        assert f"`{case_id}`" in readme, f"the README's table of stricter refusals lacks {case_id}"
