"""The signed-JAR format: entry digests in ``META-INF/MANIFEST.MF`` and the signature file ``META-INF/<NAME>.SF``.

Facts from the JAR File Specification ("Signed JAR File") and from what the
JDK's ``jarsigner`` writes: a section's digest covers its exact bytes,
including the empty line that ends it; the .SF file's main section carries the
digest of the whole manifest and of its main section; each of its named
sections carries the digest of the manifest section of the same name.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from connector_packager.archive.jar_manifest import JAR_DIR, Section, section

#: The digest names the JDK's providers know (upper case, as ``MessageDigest.getInstance`` matches them, aliases
#: included) and the hashlib names they stand for. Java checks every digest it knows and allows, so each one here
#: must match; MD2 is always disabled, and names with ``/`` cannot be header names.
HASHLIB_NAMES = {
    "SHA-256": "sha256",
    "SHA256": "sha256",
    "SHA-384": "sha384",
    "SHA384": "sha384",
    "SHA-512": "sha512",
    "SHA512": "sha512",
    "SHA-224": "sha224",
    "SHA224": "sha224",
    "SHA3-224": "sha3_224",
    "SHA3-256": "sha3_256",
    "SHA3-384": "sha3_384",
    "SHA3-512": "sha3_512",
    "SHA-1": "sha1",
    "SHA1": "sha1",
    "SHA": "sha1",
    "MD5": "md5",
}
DIGEST = "SHA-256"
#: The signature block extensions the JDK knows (``SignatureFileVerifier.isBlockOrSF``).
BLOCK_SUFFIXES = (".RSA", ".EC", ".DSA")
_SIG_EXTENSION = re.compile(r"[A-Z0-9]{1,3}")


def b64digest(data: bytes, algorithm: str = DIGEST) -> str:
    return base64.b64encode(hashlib.new(HASHLIB_NAMES[algorithm], data).digest()).decode("ascii")


def signature_file_base(alias: str) -> str:
    """jarsigner's default signature file name: the alias's first 8 characters, upper case, others as ``_``."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in alias[:8].upper())


def _meta_base(name: str) -> str | None:
    """The part after ``META-INF/``, upper case, for a file directly in ``META-INF/`` (else None)."""
    upper = name.upper()
    if not upper.startswith(JAR_DIR) or "/" in upper[len(JAR_DIR) :]:
        return None
    return upper[len(JAR_DIR) :]


def is_signature_related(name: str) -> bool:
    """Entries no signature covers, as the JDK decides (``SignatureFileVerifier.isSigningRelated``): ``META-INF/``
    itself, the manifest, .SF files, signature blocks (.RSA, .EC, .DSA), and ``SIG-*`` files whose extension, if
    any, is 1 to 3 letters or digits. Every other file, in ``META-INF/`` or not, must be signed."""
    if name.upper() == JAR_DIR:
        return True
    base = _meta_base(name)
    if base is None:
        return False
    if base == "MANIFEST.MF" or base.endswith((".SF", *BLOCK_SUFFIXES)):
        return True
    if not base.startswith("SIG-"):
        return False
    _, dot, extension = base.rpartition(".")
    return not dot or _SIG_EXTENSION.fullmatch(extension) is not None


def is_signature_block(name: str) -> bool:
    """``META-INF/<NAME>.RSA`` (or .EC, .DSA): a signature block."""
    base = _meta_base(name)
    return base is not None and base.endswith(BLOCK_SUFFIXES)


def is_signature_file(name: str) -> bool:
    """``META-INF/<NAME>.SF``: a signature file."""
    base = _meta_base(name)
    return base is not None and base.endswith(".SF")


@dataclass(frozen=True)
class SignedManifest:
    """A manifest as the signer builds it: the main section's bytes and each entry's section (name, bytes), kept
    apart so that the .SF file digests them without reading the manifest back."""

    main: bytes
    sections: tuple[tuple[str, bytes], ...]

    @property
    def data(self) -> bytes:
        return self.main + b"".join(raw for _, raw in self.sections)


def signed_manifest(existing: Sequence[Section], entries: Iterable[tuple[str, bytes]]) -> SignedManifest:
    """The manifest with a ``SHA-256-Digest`` section per entry; ``existing`` is the manifest there was (its
    sections as :func:`~connector_packager.archive.jar_manifest.parse_sections` reads them), whose main section is
    kept byte for byte.

    Other attributes the existing manifest gives an entry are kept; older digests are replaced.
    """
    extra = {
        s.name: [(k, v) for k, v in s.headers if k.lower() != "name" and not k.upper().endswith("-DIGEST")]
        for s in existing[1:]
        if s.name is not None
    }
    main = existing[0].raw
    if not main.endswith((b"\r\n\r\n", b"\n\n")):
        main += b"\r\n"
    return SignedManifest(
        main,
        tuple(
            (name, section([("Name", name), *extra.get(name, []), (f"{DIGEST}-Digest", b64digest(data))]))
            for name, data in entries
        ),
    )


def signature_file(manifest: SignedManifest, created_by: str) -> bytes:
    """The .SF file for ``manifest``, as jarsigner writes it."""
    out = [
        section(
            [
                ("Signature-Version", "1.0"),
                ("Created-By", created_by),
                (f"{DIGEST}-Digest-Manifest", b64digest(manifest.data)),
                (f"{DIGEST}-Digest-Manifest-Main-Attributes", b64digest(manifest.main)),
            ]
        )
    ]
    for name, raw in manifest.sections:
        out.append(section([("Name", name), (f"{DIGEST}-Digest", b64digest(raw))]))
    return b"".join(out)
