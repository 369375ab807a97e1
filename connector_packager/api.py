"""The core as a library: check, package, inspect, sign and verify connectors from Python, without click.

Every function returns a result and never prints or exits::

    from pathlib import Path
    from connector_packager import api

    result = api.check(Path("acme_odbc"))            # a connector folder or a .trex file
    if result.ok:
        built = api.build_package(Path("acme_odbc"), Path("packaged-connector"))
        print(built.packaged.taco)                     # packaged-connector/acme_odbc-v1.2.0.taco
    verdict = api.verify(Path(built.packaged.taco))    # will Tableau load it?

Every function returns the one result type, :class:`~connector_packager.results.Result`: the findings plus the
detail sections the command fills (``connector``, ``packaged``, ``signed``, ``archive``, ``verification``), and
``ok``. What a connector or archive holds is reported in the result; when the job itself
cannot be done they raise :class:`~connector_packager.errors.PackagerError`: its subclass
:class:`~connector_packager.errors.CannotRun` (``UsageProblem``, ``InputOutputProblem``) when the tool could not
do it at all (a missing input, an unwritable output, contradicting options). The command line is a thin layer
over these functions (``cli.py``); its exit codes follow the same split.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from connector_packager.errors import PackagerError
from connector_packager.results import (
    Packaged,
    Result,
    SignedTaco,
    archive_result,
    signed_result,
    verification_result,
)

if TYPE_CHECKING:
    from cryptography import x509

    from connector_packager.archive.taco_writer import JarEntry
    from connector_packager.connector import Report
    from connector_packager.findings import Finding
    from connector_packager.signing.keysource import KeySource

__all__ = ["Result", "SignedTaco", "build_package", "check", "check_all", "inspect", "sign", "verify"]


def check(path: Path, *, backwards_compatible: bool = False, strict: bool = False) -> Result:
    """Validate a connector folder or a ``.trex`` file, whichever ``path`` is; writes nothing.

    A missing or unreadable input is a finding (``input-missing``, ``file-unreadable``), and
    ``result.input_unreadable`` says so; ``strict`` makes warnings fail ``result.ok`` too.
    """
    from connector_packager.results import check_path

    return check_path(path, backwards_compatible=backwards_compatible, strict=strict)


def check_all(
    paths: Iterable[Path],
    *,
    recursive: bool = False,
    changed_files: bool = False,
    backwards_compatible: bool = False,
    strict: bool = False,
    each: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
) -> list[Result]:
    """Validate many connector folders and ``.trex`` files (``validate``): with ``recursive`` the connectors
    below each folder, with ``changed_files`` the connector each changed file belongs to. A folder searched in vain
    is a ``nothing-found`` result. ``each`` may wrap the list of targets (a progress bar, say)."""
    from connector_packager.results import find_targets, nothing_found, owning_targets

    listed = list(paths)
    targets, empty = (owning_targets(listed), []) if changed_files else find_targets(listed, recursive)
    results = [nothing_found(root, strict=strict) for root in empty]
    for target in each(targets) if each is not None else targets:
        results.append(check(target, backwards_compatible=backwards_compatible, strict=strict))
    return results


def build_package(
    input_dir: Path,
    dest: Path,
    *,
    backwards_compatible: bool = False,
    strict: bool = False,
    force: bool = False,
    validate_only: bool = False,
    signing: KeySource | None = None,
    checked: Callable[[Result], None] | None = None,
) -> Result:
    """Validate the connector in ``input_dir`` (or the ``.trex`` file it names, with ``validate_only``) and, when it
    passes (or with ``force``), write ``<class>-v<version>.taco`` into ``dest`` (created if missing), signed with
    ``signing`` when given.

    ``validate_only`` stops after validation. ``checked``, when given, is called with the validation result before
    anything is written (a command line reports the findings then). The result's ``packaged`` section names the
    .taco written (None when nothing was) and says whether it was ``forced``; ``connector`` holds the minimum
    Tableau version with its reasons and the vendor-defined fields; ``signed`` the signature.

    The connector folder is never written to; the .taco is written atomically. Raises ``UsageProblem`` for a
    destination that is a file or lies inside the connector folder, ``InputOutputProblem`` when the .taco cannot be
    written.
    """
    from connector_packager.packaging import check_destination, package
    from connector_packager.results import check_path, connector_details, is_trex

    if validate_only and is_trex(input_dir):
        result = check_path(input_dir, strict=strict, command="package")
        if checked is not None:
            checked(result)
        return result
    if signing is not None:
        signing.check()
    if not validate_only:
        check_destination(dest, input_dir)
    from connector_packager.validation import check_connector

    report = check_connector(input_dir, backwards_compatible=backwards_compatible)
    validated = Result(
        "package",
        str(input_dir),
        "connector",
        tuple(report.findings),
        connector_details(report),
        Packaged(),
        strict=strict,
    )
    if checked is not None:
        checked(validated)
    if validate_only or (not validated.ok and not force):
        return validated
    signed = None
    if signing is None:
        taco = package(report, dest)
    else:
        taco, signed = _package_signed(report, dest, signing)
    # a forced package works out the minimum version of a connector that failed validation while writing it
    return Result(
        "package",
        str(input_dir),
        "connector",
        validated.findings,
        connector_details(report),
        Packaged(str(taco), forced=not validated.ok),
        signed,
        strict=strict,
    )


def _package_signed(report: Report, dest: Path, signing: KeySource) -> tuple[Path, SignedTaco]:
    from connector_packager.packaging import package
    from connector_packager.signing.sign import Signed, sign_entries

    signer = signing.open()
    signed: list[Signed] = []

    def sign_before_zipping(entries: list[JarEntry]) -> list[JarEntry]:
        signed.append(sign_entries(entries, signer, signing.alias or "", signing.tsa))
        return signed[0].entries

    target = package(report, dest, sign_before_zipping)
    warnings = (*signed[0].warnings, *_chain_warnings(signer.chain))
    return target, SignedTaco(target, signed[0].signature_name, signing.tsa, warnings)


def sign(taco: Path, signing: KeySource, output: Path | None = None) -> Result:
    """Sign ``taco`` as jarsigner does, with the key ``signing`` names, and write it to ``output`` (by default
    ``taco`` itself is replaced, atomically: it stays whole on failure). The result's ``signed`` section says where
    and how."""
    from connector_packager.archive.input_file import read_input
    from connector_packager.archive.taco_writer import write_taco
    from connector_packager.signing.sign import sign_jar

    signing.check()
    data = read_input(taco)
    signer = signing.open()
    signed = sign_jar(data, signer, signing.alias or "", signing.tsa, source=str(taco))
    target = output or taco
    write_taco(target, signed.entries)
    section = SignedTaco(target, signed.signature_name, signing.tsa, (*signed.warnings, *_chain_warnings(signer.chain)))
    return signed_result(taco, section)


def _chain_warnings(chain: list[x509.Certificate]) -> list[Finding]:
    """A warning when the signer's chain stops at a certificate that neither it nor the default trust store
    completes (an intermediate left out of --cert-chain, say)."""
    from connector_packager.signing.truststore import chain_gap, chain_unchecked, default_truststore

    try:
        trust = default_truststore()
    except PackagerError as exc:  # the signature is written by now; an unreadable trust store only loses the check
        return [chain_unchecked(exc)]
    gap = chain_gap(chain, trust)
    return [gap] if gap else []


def verify(
    taco: Path, *, truststore: Path | None = None, truststore_pass: str | None = None, at: dt.datetime | None = None
) -> Result:
    """Check ``taco``'s signature as ``jarsigner -verify -strict`` and Tableau do, as of ``at`` (now by default),
    against ``truststore`` (by default the roots Tableau trusts). ``result.ok`` says whether Tableau loads it;
    ``result.verification`` holds the signers, chains, timestamps and the verdict."""
    from connector_packager.signing.truststore import named_truststore
    from connector_packager.signing.verify import verify_taco

    trust = named_truststore(truststore, truststore_pass)
    verification = verify_taco(taco, trust.certificates, at)
    verification.truststore = trust.source
    return verification_result(verification)


def inspect(taco: Path) -> Result:
    """What ``taco`` holds: entries, the connector's identity and stamped version, signature files, and the
    connector inside re-validated (its findings are the result's). ``result.archive.problems`` is empty when it is
    a well-formed connector archive."""
    from connector_packager.taco_info import read_taco

    return archive_result(read_taco(taco))
