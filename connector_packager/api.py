"""The core as a library: check, package, inspect, sign and verify connectors from Python, without click.

Every function returns a result and never prints or exits::

    from pathlib import Path
    from connector_packager import api

    result = api.check(Path("acme_odbc"))            # a connector folder or a .trex file
    if result.ok:
        built = api.build_package(Path("acme_odbc"), Path("packaged-connector"))
        print(built.taco)                              # packaged-connector/acme_odbc-v1.2.0.taco
    verdict = api.verify(built.taco)                   # will Tableau load it?

What a connector or archive holds is reported in the result (findings, problems, ``ok``); when the job itself
cannot be done they raise :class:`~connector_packager.errors.PackagerError`: its subclass
:class:`~connector_packager.errors.CannotRun` (``UsageProblem``, ``InputOutputProblem``) when the tool could not
do it at all (a missing input, an unwritable output, contradicting options). The command line is a thin layer
over these functions (``cli.py``); its exit codes follow the same split.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from connector_packager.errors import PackagerError
from connector_packager.results import CheckResult

if TYPE_CHECKING:
    from cryptography import x509

    from connector_packager.connector import Report
    from connector_packager.findings import Finding
    from connector_packager.signing.keysource import KeySource
    from connector_packager.signing.verify import Verification
    from connector_packager.taco_info import TacoInfo

__all__ = ["Built", "CheckResult", "SignedTaco", "build_package", "check", "check_all", "check_for_package", "inspect",
           "sign", "verify", "write_package"]


def check(path: Path, *, backwards_compatible: bool = False, strict: bool = False) -> CheckResult:
    """Validate a connector folder or a ``.trex`` file, whichever ``path`` is; writes nothing.

    A missing or unreadable input is a finding (``input-missing``, ``file-unreadable``), and
    ``result.input_unreadable`` says so; ``strict`` makes warnings fail ``result.ok`` too.
    """
    from connector_packager.results import check_path

    result = check_path(path, backwards_compatible=backwards_compatible)
    result.strict = strict
    return result


def check_all(paths: Iterable[Path], *, recursive: bool = False, changed_files: bool = False,
              backwards_compatible: bool = False, strict: bool = False,
              each: Callable[[Iterable[Path]], Iterable[Path]] | None = None) -> list[CheckResult]:
    """Validate many connector folders and ``.trex`` files (``validate``): with ``recursive`` the connectors
    below each folder, with ``changed_files`` the connector each changed file belongs to. A folder searched in vain
    is a ``nothing-found`` result. ``each`` may wrap the list of targets (a progress bar, say)."""
    from connector_packager.results import find_targets, nothing_found, owning_targets

    listed = list(paths)
    targets, empty = (owning_targets(listed), []) if changed_files else find_targets(listed, recursive)
    results = [nothing_found(root) for root in empty]
    for target in (each(targets) if each is not None else targets):
        results.append(check(target, backwards_compatible=backwards_compatible, strict=strict))
    for result in results:
        result.strict = strict
    return results


@dataclass
class SignedTaco:
    """A signed .taco: where it is, the signature's name (``META-INF/<NAME>.SF``), the timestamp authority, and
    warnings (a self-signed certificate, a chain that may lack an intermediate, ...)."""

    taco: Path
    signature_name: str
    tsa: str | None
    warnings: list[Finding] = field(default_factory=list)


@dataclass
class Built:
    """The outcome of :func:`build_package`: the validation result, the checked connector, and the ``.taco``
    written (None when validation failed without ``force``, or with ``validate_only``)."""

    result: CheckResult
    report: Report
    taco: Path | None = None
    #: The .taco was written although validation failed (``force``).
    forced: bool = False
    signed: SignedTaco | None = None

    @property
    def ok(self) -> bool:
        return self.result.ok

    @property
    def input_unreadable(self) -> bool:
        return self.result.input_unreadable


def build_package(input_dir: Path, dest: Path, *, backwards_compatible: bool = False, strict: bool = False,
                  force: bool = False, validate_only: bool = False, signing: KeySource | None = None) -> Built:
    """Validate the connector in ``input_dir`` and, when it passes (or with ``force``), write
    ``<class>-v<version>.taco`` into ``dest`` (created if missing), signed with ``signing`` when given.

    ``validate_only`` stops after validation. The connector folder is never written to; the .taco is written
    atomically. Raises ``UsageProblem`` for a destination that is a file or lies inside the connector folder,
    ``InputOutputProblem`` when the .taco cannot be written. The two steps are also :func:`check_for_package`
    and :func:`write_package`, for callers that report the findings before writing.
    """
    from connector_packager.packaging import check_destination

    if signing is not None:
        signing.check()
    if not validate_only:
        check_destination(dest, input_dir)
    built = check_for_package(input_dir, backwards_compatible=backwards_compatible, strict=strict)
    if validate_only or (not built.ok and not force):
        return built
    write_package(built, dest, signing=signing)
    return built


def check_for_package(input_dir: Path, *, backwards_compatible: bool = False, strict: bool = False) -> Built:
    """The first step of :func:`build_package`: validate the connector (nothing is written)."""
    from connector_packager.results import connector_result
    from connector_packager.validation import check_connector

    report = check_connector(input_dir, backwards_compatible=backwards_compatible)
    result = connector_result(str(input_dir), report)
    result.strict = strict
    return Built(result, report)


def write_package(built: Built, dest: Path, *, signing: KeySource | None = None) -> Path:
    """The second step of :func:`build_package`: write the checked connector's .taco into ``dest`` (also when it
    failed validation: ``built.forced`` then says so), set ``built.taco`` (and ``built.signed``), and return the
    .taco's path."""
    from connector_packager.packaging import check_destination, package

    check_destination(dest, built.report.folder)
    built.forced = not built.ok
    if signing is None:
        taco = package(built.report, dest)
    else:
        taco, built.signed = _package_signed(built.report, dest, signing)
    built.taco = taco
    built.result.taco = str(taco)
    built.result.min_version_tableau = built.report.min_version
    return taco


def _package_signed(report: Report, dest: Path, signing: KeySource) -> tuple[Path, SignedTaco]:
    from connector_packager.packaging import package
    from connector_packager.signing.sign import Signed, sign_jar

    signer = signing.open()
    alias = signing.alias or ""
    signed: list[Signed] = []

    def sign_data(data: bytes) -> bytes:
        signed.append(sign_jar(data, signer, alias, signing.tsa))
        return signed[0].data

    target = package(report, dest, sign_data)
    warnings = [*signed[0].warnings, *_chain_warnings(signer.chain)]
    return target, SignedTaco(target, signed[0].signature_name, signing.tsa, warnings)


def sign(taco: Path, signing: KeySource, output: Path | None = None) -> SignedTaco:
    """Sign ``taco`` as jarsigner does, with the key ``signing`` names, and write it to ``output`` (by default
    ``taco`` itself is replaced, atomically: it stays whole on failure)."""
    from connector_packager.archive.input_file import read_input
    from connector_packager.signing.sign import sign_jar
    from connector_packager.taco import write_file

    signing.check()
    data = read_input(taco)
    signer = signing.open()
    signed = sign_jar(data, signer, signing.alias or "", signing.tsa, source=str(taco))
    target = output or taco
    write_file(target, signed.data)
    return SignedTaco(target, signed.signature_name, signing.tsa, [*signed.warnings, *_chain_warnings(signer.chain)])


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


def verify(taco: Path, *, truststore: Path | None = None, truststore_pass: str | None = None,
           at: dt.datetime | None = None) -> Verification:
    """Check ``taco``'s signature as ``jarsigner -verify -strict`` and Tableau do, as of ``at`` (now by default),
    against ``truststore`` (by default the roots Tableau trusts). ``result.ok`` says whether Tableau loads it."""
    from connector_packager.signing.truststore import named_truststore
    from connector_packager.signing.verify import verify_taco

    trust = named_truststore(truststore, truststore_pass)
    result = verify_taco(taco, trust.certificates, at)
    result.truststore = trust.source
    return result


def inspect(taco: Path) -> TacoInfo:
    """What ``taco`` holds: entries, the connector's identity and stamped version, signature files, and the
    connector inside re-validated. ``result.problems`` is empty when it is a well-formed connector archive."""
    from connector_packager.taco_info import read_taco

    return read_taco(taco)
