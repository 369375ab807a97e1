"""The command line: the commands parse options, call the core (``api``), print, and map the result to an exit
code with ``cli_common.exit_code``; ``cli_common`` holds the exit codes and the one error wrapper. The key, install,
connection-string and preview commands live in their own ``cli_*``/``*_cli`` modules and are registered here.

Heavy modules are imported inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from connector_packager import __version__
from connector_packager.cli_command import Command, Group
from connector_packager.cli_common import (
    CONTEXT_SETTINGS,
    EXIT_OK,
    ask,
    environment,
    exit_code,
    failures_as_exit_codes,
    next_step,
)
from connector_packager.cli_install import install_command
from connector_packager.cli_keys import csr_command, export_cert_command, import_cert_command, key_group
from connector_packager.connection_string_cli import connection_string_command
from connector_packager.errors import UsageProblem
from connector_packager.findings import Severity
from connector_packager.formats import FORMATS
from connector_packager.preview_cli import preview_command
from connector_packager.rules_cli import rules_command

if TYPE_CHECKING:
    import datetime as dt

    from connector_packager.results import CheckResult
    from connector_packager.signing.keysource import KeySource

DEFAULT_DEST = "packaged-connector"


def _log_dir(value: str | None, input_dir: Path | None) -> Path:
    """The -l folder: created if missing (its parent must exist), never inside the connector folder."""
    from connector_packager.logsetup import LOG_FILE_NAME
    from connector_packager.packaging import is_inside

    folder = Path(value) if value else Path.cwd()
    if input_dir is not None and input_dir.is_dir() and is_inside(folder, input_dir):
        raise UsageProblem(f"the log folder {folder} is inside the connector folder {input_dir}, which is never "
                           "written to", hint="pass -l/--log with a folder outside the connector folder")
    if folder.exists() and not folder.is_dir():
        raise UsageProblem(f"the log folder {folder} is a file")
    if not folder.exists():
        if folder.suffix:
            click.echo(f"Warning: -l/--log takes a folder: creating the folder {folder} (the log will be "
                       f"{folder / LOG_FILE_NAME})", err=True)
        try:
            folder.mkdir()
        except OSError as exc:
            raise UsageProblem(f"cannot create the log folder {folder}: {exc.strerror or exc}",
                               hint="its parent folder must exist and be writable") from None
    return folder


FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                             show_default=True,
                             help="text for people; json (a versioned report) or github (workflow annotations) on "
                                  "standard output for programs and CI.")


STRICT_OPTION = click.option("--strict", is_flag=True,
                             help="Warnings fail too: exit status 1 (and no .taco) when there is any warning.")


#: The parameters _signing_options adds: ``package --help`` lists them under their own heading.
SIGNING_PARAMS = ("alias", "keystore", "storepass", "storepass_env", "keypass", "key_file", "cert_chain",
                  "pkcs11_module", "token_label", "pin_env", "tsa", "no_timestamp")


def _signing_options(command: Callable[..., NoReturn]) -> Callable[..., NoReturn]:
    """The options that pick the signing key and timestamp authority (``sign``, and ``package`` to sign at once)."""
    path = click.Path(path_type=Path, dir_okay=False)
    options = [
        click.option("--alias", metavar="ALIAS", help="The key's name (in the keystore, or its label on the token); "
                                                      "also names META-INF/<ALIAS>.SF."),
        click.option("--keystore", type=path, help="PKCS#12 keystore (.p12/.pfx) with the key and its chain."),
        click.option("--storepass", metavar="PASSWORD",
                     help="Keystore password. Other users can see it in the process list: prefer --storepass-env."),
        click.option("--storepass-env", metavar="VAR", help="Environment variable holding the keystore password."),
        click.option("--keypass", metavar="PASSWORD",
                     help="Password of the key, if it differs from the keystore's (or of an encrypted --key)."),
        click.option("--key", "key_file", type=path, help="PEM (or DER) private key; needs --cert-chain."),
        click.option("--cert-chain", type=path,
                     help="PEM file: the signer's certificate, then its issuers. With --pkcs11-module it replaces "
                          "the certificates on the token."),
        click.option("--pkcs11-module", type=path,
                     help="PKCS#11 module (.so/.dll) of the token (HSM, smart card) holding the key."),
        click.option("--token-label", metavar="LABEL", help="Label of the token with the key (--pkcs11-module)."),
        click.option("--pin-env", metavar="VAR", help="Environment variable holding the token's user PIN."),
        click.option("--tsa", metavar="URL", help="RFC 3161 timestamp authority; Tableau requires a timestamp."),
        click.option("--no-timestamp", is_flag=True,
                     help="Sign without a timestamp (for tests only: Tableau will not load the result)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _key_source(alias: str | None, keystore: Path | None, storepass: str | None, storepass_env: str | None,
                keypass: str | None, key_file: Path | None, cert_chain: Path | None, pkcs11_module: Path | None,
                token_label: str | None, pin_env: str | None, tsa: str | None, no_timestamp: bool) -> KeySource:
    from connector_packager.signing.keysource import KeySource

    if storepass is not None and storepass_env is not None:
        raise UsageProblem("give --storepass or --storepass-env, not both")
    if storepass is None:
        storepass = environment(storepass_env, "--storepass-env")
        if storepass is None and keystore is not None:
            storepass = ask(f"Password of the keystore {keystore}")
    pin = environment(pin_env, "--pin-env")
    if pin is None and pkcs11_module is not None:
        pin = ask(f"PIN of the token {token_label or ''}".rstrip())
    return KeySource(alias=alias, keystore=keystore, storepass=storepass, keypass=keypass, key=key_file,
                     cert_chain=cert_chain, pkcs11_module=pkcs11_module, token_label=token_label, pin=pin, tsa=tsa,
                     no_timestamp=no_timestamp)


@click.command("package", context_settings=CONTEXT_SETTINGS, cls=Command,
               sections={"Signing options (sign the .taco as it is written)": SIGNING_PARAMS})
@click.argument("input_dir", type=click.Path(path_type=Path, file_okay=True, dir_okay=True))
@click.option("-v", "--verbose", is_flag=True,
              help="Also print DEBUG lines on the console (the log file always has them).")
@click.option("-l", "--log", "log_dir", metavar="DIR",
              help="Folder for packaging_log.txt; created if missing. Default: the current folder.")
@click.option("--validate-only", is_flag=True, help="Stop after validation; write no .taco. Also checks a .trex file.")
@click.option("-d", "--dest", "dests", multiple=True, metavar="DIR",
              help=f"Output folder for the .taco, created if missing. Default: {DEFAULT_DEST}.")
@click.option("--backwards-compatible", is_flag=True,
              help="Forgive a missing 'authentication' connection field (warn instead of fail).")
@click.option("--force-package", is_flag=True,
              help="Write the .taco even though validation failed (the exit code stays 1).")
@STRICT_OPTION
@FORMAT_OPTION
@click.version_option(__version__, "--version", prog_name="connector-packager")
@_signing_options
def package_command(input_dir: Path, verbose: bool, log_dir: str | None, validate_only: bool,
                    dests: tuple[str, ...], backwards_compatible: bool, force_package: bool, strict: bool, fmt: str,
                    **signing: Any) -> NoReturn:
    """Validate the Tableau connector in INPUT_DIR and package it into a .taco file.

    With the signing options (see `connector-packager sign --help`) the .taco is signed as it is written.
    """
    if len(dests) > 1:
        raise click.UsageError("-d/--dest may be given only once")
    is_trex = input_dir.suffix.lower() == ".trex" and not input_dir.is_dir()
    if is_trex and not validate_only:
        raise click.UsageError(f"{input_dir} is an extension manifest: check it with --validate-only "
                               "(.trex files are not packaged)")
    dest = Path(dests[0] if dests else DEFAULT_DEST)
    with failures_as_exit_codes():
        from connector_packager.logsetup import LOG_FILE_NAME, run_logging
        from connector_packager.packaging import check_destination

        key_source = None
        if any(value not in (None, False) for value in signing.values()):
            if validate_only:
                raise UsageProblem("--validate-only writes no .taco, so there is nothing to sign")
            key_source = _key_source(**signing)
            key_source.check()
        logs = _log_dir(log_dir, None if is_trex else input_dir)
        if not validate_only:
            check_destination(dest, input_dir)
        with run_logging(logs, verbose) as logger, failures_as_exit_codes(logger):
            run = _PackageRun(logger, fmt, logs / LOG_FILE_NAME, strict)
            if is_trex:
                code = run.check_trex(input_dir)
            else:
                code = run.package(input_dir, dest, validate_only=validate_only,
                                   backwards_compatible=backwards_compatible, force_package=force_package,
                                   signing=key_source)
    sys.exit(code)


class _PackageRun:
    """One run of the package command: findings to the log (and console in text format), results to stdout."""

    def __init__(self, logger: logging.Logger, fmt: str, log_file: Path, strict: bool = False) -> None:
        self.logger, self.fmt, self.log_file, self.strict = logger, fmt, log_file, strict

    def log_findings(self, result: CheckResult) -> None:
        from connector_packager.formats import finding_base, finding_line

        levels = {Severity.ERROR: logging.ERROR, Severity.WARNING: logging.WARNING, Severity.NOTICE: logging.INFO}
        for finding in result.findings:
            line = finding_line(finding, finding_base(result))
            if self.fmt == "text":
                self.logger.log(levels[finding.severity], line)
            else:  # the findings go to standard output as data; the log file still gets them
                self.logger.debug("%s: %s", finding.severity.value, line)

    def emit(self, result: CheckResult) -> None:
        if self.fmt != "text":
            from connector_packager.formats import render

            click.echo(render(self.fmt, [result]))

    def verdict(self, ok: bool) -> None:
        if ok:
            self.logger.info("Validation succeeded.")
        else:
            self.logger.info("Validation failed. Check %s for more information.", self.log_file.resolve())

    def check_trex(self, path: Path) -> int:
        from connector_packager import api

        result = api.check(path, strict=self.strict)
        self.log_findings(result)
        self.verdict(result.ok)
        self.emit(result)
        return exit_code([result])

    def package(self, input_dir: Path, dest: Path, *, validate_only: bool, backwards_compatible: bool,
                force_package: bool, signing: KeySource | None = None) -> int:
        from connector_packager import api

        logger = self.logger
        logger.debug("Starting Tableau connector packaging (connector-packager %s)", __version__)
        built = api.check_for_package(input_dir, backwards_compatible=backwards_compatible, strict=self.strict)
        result, report = built.result, built.report
        self.log_findings(result)
        if not result.ok and report.ok:
            logger.info("--strict: the warnings fail the run.")
        self.verdict(result.ok)
        if not result.ok and (not force_package or validate_only):
            self.emit(result)
            return exit_code([result])
        if not result.ok:
            logger.warning("--force-package: packaging although validation failed. The .taco may not work in "
                           "Tableau, and the run still exits with status 1.")
        if report.facts.vendor_defined_fields:
            fields = ", ".join(dict.fromkeys(report.facts.vendor_defined_fields))
            logger.info("Detected vendor-defined fields: %s", fields)
            logger.info("Vendor-defined fields are logged and stored in Tableau workbook XML in plain text. Make sure "
                        "what users enter in them holds no personal data before you distribute this connector.")
        if report.ok and report.min_version is not None:
            _log_min_version(logger, report.min_version, report.min_version_reasons)
        if validate_only:
            self.emit(result)
            return exit_code([result])
        taco = api.write_package(built, dest, signing=signing)
        if built.signed is not None:
            for warning in built.signed.warnings:
                logger.warning("Warning: %s", warning.message)
            logger.info("Signed as %s%s", built.signed.signature_name,
                        f", timestamped by {built.signed.tsa}" if built.signed.tsa else " (no timestamp)")
        if not report.ok:
            _log_min_version(logger, report.min_version or "?", report.min_version_reasons)
        logger.info("%s was created in %s", taco.name, os.path.abspath(dest))
        if report.ok and self.fmt == "text":
            next_step(f"check it as Tableau will: connector-packager verify {taco}" if signing else
                      f"sign it: connector-packager sign {taco} --alias ALIAS --keystore KEYSTORE.p12 "
                      "--tsa URL (no key yet? connector-packager key new --help)")
        self.emit(result)
        return exit_code([result])


def _log_min_version(logger: logging.Logger, version: str, reasons: list[str]) -> None:
    logger.info("Detected minimum Tableau version required: %s", version)
    for reason in reasons:
        logger.info("-%s", reason)


@click.group(context_settings=CONTEXT_SETTINGS, cls=Group)
@click.version_option(__version__, "-V", "--version", prog_name="connector-packager")
def main() -> None:
    """Validate, package, inspect, sign and verify Tableau connectors (.taco)."""


main.add_command(package_command)


@main.command("inspect", context_settings=CONTEXT_SETTINGS)
@click.argument("taco", type=click.Path(path_type=Path, dir_okay=False))
def inspect_command(taco: Path) -> NoReturn:
    """Show what is inside a .taco file: entries, connector identity, stamped version, signature."""
    from connector_packager import api
    from connector_packager.taco_info import describe_taco

    info = api.inspect(taco)
    click.echo(describe_taco(info))
    sys.exit(exit_code([info]))


@main.command("sign", context_settings=CONTEXT_SETTINGS)
@click.argument("taco", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the signed .taco here. Default: replace TACO (atomically: it stays whole on failure).")
@_signing_options
def sign_command(taco: Path, output: Path | None, **signing: Any) -> NoReturn:
    """Sign TACO as jarsigner does, with an RFC 3161 timestamp, so that Tableau loads it.

    The key comes from a PKCS#12 keystore (--keystore), PEM files (--key, --cert-chain) or a PKCS#11 token
    (--pkcs11-module, --token-label, --pin-env). Check the result with `connector-packager verify`.
    """
    from connector_packager import api

    signed = api.sign(taco, _key_source(**signing), output)
    for warning in signed.warnings:
        click.echo(f"Warning: {warning.message}", err=True)
    stamp = f", timestamped by {signed.tsa}" if signed.tsa else " without a timestamp"
    click.echo(f"Signed {signed.taco} as {signed.signature_name}{stamp}.")
    next_step(f"check it as Tableau will: connector-packager verify {signed.taco}")
    sys.exit(EXIT_OK)


def _moment(value: str | None) -> dt.datetime | None:
    import datetime as dt

    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageProblem(f"--at {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


@main.command("verify", context_settings=CONTEXT_SETTINGS)
@click.argument("taco", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--truststore", type=click.Path(path_type=Path, dir_okay=False),
              help="Trusted roots: a PEM file, a PKCS#12 file, or a Java keystore such as cacerts. Default: as "
                   "Tableau trusts, the cacerts of the Java runtime at JAVA_HOME or of java on PATH, else the public "
                   "roots bundled with certifi.")
@click.option("--truststore-pass", metavar="PASSWORD",
              help="Password of the truststore (Java keystores default to changeit).")
@click.option("--at", "at", metavar="DATE", help="Judge as of DATE (YYYY-MM-DD or ISO 8601 time, UTC unless "
                                                 "given) instead of now.")
@FORMAT_OPTION
def verify_command(taco: Path, truststore: Path | None, truststore_pass: str | None, at: str | None,
                   fmt: str) -> NoReturn:
    """Check TACO's signature as jarsigner -verify -strict and Tableau do, and say whether Tableau will load it.

    Exit status 0 when Tableau will load it, 1 when it will refuse it.
    """
    from connector_packager import api
    from connector_packager.signing.verdict import render

    result = api.verify(taco, truststore=truststore, truststore_pass=truststore_pass, at=_moment(at))
    click.echo(render(fmt, result))
    if result.ok and fmt == "text":
        next_step(f"install it where Tableau loads connectors from: connector-packager install {taco}")
    sys.exit(exit_code([result]))


@main.command("validate", context_settings=CONTEXT_SETTINGS)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-r", "--recursive", is_flag=True,
              help="Search below each folder for connectors (folders with manifest.xml) and .trex files.")
@click.option("--files", "changed_files", is_flag=True,
              help="PATHS are changed files (as pre-commit passes them): check the connector each belongs to "
                   "and every .trex file among them.")
@click.option("--backwards-compatible", is_flag=True,
              help="Forgive a missing 'authentication' connection field (warn instead of fail).")
@click.option("-q", "--quiet", is_flag=True,
              help="Show only what failed, and the totals (text format).")
@STRICT_OPTION
@FORMAT_OPTION
def validate_command(paths: tuple[Path, ...], recursive: bool, changed_files: bool, backwards_compatible: bool,
                     quiet: bool, strict: bool, fmt: str) -> NoReturn:
    """Validate connector folders and .trex extension manifests; write nothing.

    Exit status 1 when any of them has an error (or, with --strict, a warning).
    """
    from connector_packager import api
    from connector_packager.formats import render

    def progress(targets: Iterable[Path]) -> Iterator[Path]:
        listed = list(targets)
        if not (fmt == "text" and len(listed) > 5 and sys.stderr.isatty() and not os.environ.get("CI")):
            yield from listed
            return
        with click.progressbar(listed, label="Validating", file=sys.stderr,
                               item_show_func=lambda p: str(p) if p else None) as bar:
            yield from bar

    results = api.check_all(paths, recursive=recursive, changed_files=changed_files,
                            backwards_compatible=backwards_compatible, strict=strict, each=progress)
    output = render(fmt, results, quiet=quiet)
    if output:
        click.echo(output)
    sys.exit(exit_code(results))


main.add_command(key_group)
main.add_command(csr_command)
main.add_command(import_cert_command)
main.add_command(export_cert_command)
main.add_command(install_command)


def run_package_module() -> None:
    """Entry point of ``python -m connector_packager.package``."""
    package_command.main(prog_name="python -m connector_packager.package")


main.add_command(connection_string_command)
main.add_command(preview_command)
main.add_command(rules_command)
