"""Signing a .taco: the signed manifest, the .SF file, the signature block, the timestamp, a new archive."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from cryptography.x509.oid import ExtendedKeyUsageOID

from connector_packager import __version__
from connector_packager.errors import PackagerError
from connector_packager.jar_manifest import main_section
from connector_packager.signing.algorithm_policy import (
    JAR_MINIMUM_BITS,
    certificate_key_problem,
    key_problem,
    signature_hash_problem,
)
from connector_packager.signing.certificates import (
    describe,
    is_self_signed,
    netscape_type_problem,
    usage_problem,
    validity_problem,
)
from connector_packager.signing.cms_block import (
    SignatureProblem,
    load_signed_data,
    sign_content,
    signature_block,
    verify_signer_info,
)
from connector_packager.signing.jar_signature import (
    ManifestSyntaxError,
    is_signature_related,
    signature_file,
    signature_file_base,
    signed_manifest,
)
from connector_packager.signing.signers import Signer
from connector_packager.signing.timestamp import request_timestamp
from connector_packager.taco import JAR_DIR, JAR_MANIFEST, entry_info
from connector_packager.taco_archive import duplicate_names, unpack

CREATED_BY = f"connector-packager {__version__}"


@dataclass
class Signed:
    """The signed archive's bytes and what the author should know about it."""

    data: bytes
    signature_name: str
    warnings: list[str] = field(default_factory=list)


def certificate_problems(signer: Signer, when: dt.datetime) -> list[str]:
    """Why Tableau would refuse anything this certificate signs, whatever the truststore."""
    leaf = signer.chain[0]
    problems = []
    expired = validity_problem(leaf, when)
    if expired:
        problems.append(f"the signer certificate {expired}")
    usage = usage_problem(leaf, ExtendedKeyUsageOID.CODE_SIGNING) or netscape_type_problem(leaf)
    if usage:
        problems.append(f"the signer certificate {describe(leaf)}: {usage}")
    key = key_problem(leaf.public_key(), JAR_MINIMUM_BITS, "jdk.jar.disabledAlgorithms")
    if key:
        problems.append(f"the signer certificate {describe(leaf)} has {key}")
    for cert in signer.chain:
        algorithm = (signature_hash_problem(cert, when) if not is_self_signed(cert) else None) or \
            certificate_key_problem(cert)
        if algorithm:
            problems.append(f"the certificate {describe(cert)} uses an algorithm Java refuses: {algorithm}")
    return problems


def _read_archive(data: bytes) -> tuple[list[zipfile.ZipInfo], dict[str, bytes]]:
    infos, contents = unpack(data, "the archive")
    names = [i.filename for i in infos]
    duplicates = duplicate_names(names)
    if duplicates:
        raise PackagerError(f"the archive has duplicate entries ({', '.join(duplicates)}); it cannot be signed")
    signatures = [n for n in names if is_signature_related(n) and n not in (JAR_DIR, JAR_MANIFEST)]
    if signatures:
        raise PackagerError(f"the archive is already signed ({', '.join(signatures)})",
                            hint="sign the unsigned .taco that `package` wrote")
    return infos, contents


def _copy_info(old: zipfile.ZipInfo, name: str | None = None) -> zipfile.ZipInfo:
    """The entry's name, time and compression; POSIX permission bits are dropped, since no signature covers them
    (jarsigner warns about them)."""
    return entry_info(name or old.filename, old.date_time, old.compress_type)


def sign_jar(data: bytes, signer: Signer, alias: str, tsa_url: str | None, *, check_certificate: bool = True,
             now: dt.datetime | None = None) -> Signed:
    """Sign the archive in ``data`` as ``alias``; timestamped by ``tsa_url`` unless it is None.

    Refuses a certificate Tableau would refuse (expired, or not for code signing) unless
    ``check_certificate`` is False, which tests use to make such archives.
    """
    when = now or dt.datetime.now(dt.timezone.utc)
    if check_certificate:
        problems = certificate_problems(signer, when)
        if problems:
            raise PackagerError(f"will not sign: {problems[0]}; Tableau would refuse the connector",
                                hint="sign with a valid code-signing certificate")
    infos, contents = _read_archive(data)
    base = signature_file_base(alias)
    if not base:
        raise PackagerError(f"--alias {alias!r} gives no usable signature file name")
    entries = [(i.filename, contents[i.filename]) for i in infos if not i.is_dir() and not is_signature_related(
        i.filename)]
    try:
        manifest = signed_manifest(contents.get(JAR_MANIFEST) or main_section(CREATED_BY), entries)
    except ManifestSyntaxError as exc:
        raise PackagerError(f"the archive's {JAR_MANIFEST} cannot be read: {exc}") from None
    sf = signature_file(manifest, CREATED_BY)
    attributes, signature = sign_content(sf, signer, when)
    try:
        unstamped = load_signed_data(signature_block(signer, attributes, signature, None), "the signature block")
        verify_signer_info(unstamped["signer_infos"][0], sf, signer.chain[0], "data", when)
    except SignatureProblem:
        raise PackagerError(f"the certificate {describe(signer.chain[0])} does not belong to the signing key",
                            hint="the certificate chain must start with the key's own certificate") from None
    token = request_timestamp(tsa_url, signature) if tsa_url else None
    block = signature_block(signer, attributes, signature, token)

    warnings = []
    if token is None:
        warnings.append("the signature has no timestamp: Tableau will not load this connector")
    if is_self_signed(signer.chain[0]):
        warnings.append(f"the signer certificate {describe(signer.chain[0])} is self-signed: Tableau loads the "
                        "connector only where that certificate is trusted")
    template = next((i for i in infos if i.filename == JAR_MANIFEST), None) or \
        zipfile.ZipInfo(JAR_MANIFEST, date_time=infos[0].date_time if infos else (1980, 1, 1, 0, 0, 0))
    if template.compress_type == zipfile.ZIP_STORED:
        template.compress_type = zipfile.ZIP_DEFLATED
    out = io.BytesIO()
    dir_first = bool(infos) and infos[0].filename == JAR_DIR
    with zipfile.ZipFile(out, "w") as jar:
        if dir_first:
            jar.writestr(_copy_info(infos[0]), b"")
        jar.writestr(_copy_info(template, JAR_MANIFEST), manifest, compresslevel=9)
        jar.writestr(_copy_info(template, f"META-INF/{base}.SF"), sf, compresslevel=9)
        jar.writestr(_copy_info(template, f"META-INF/{base}.{signer.key_type}"), block, compresslevel=9)
        for info in infos:
            if info.filename == JAR_MANIFEST or (info.filename == JAR_DIR and dir_first):
                continue
            jar.writestr(_copy_info(info), contents[info.filename], compresslevel=9)
    return Signed(out.getvalue(), base, warnings)
