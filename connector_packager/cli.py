"""The command line: the commands parse options, call the core (``api``), print, and map the result to an exit
code with ``cli_common.exit_code``; ``cli_common`` holds the exit codes and the one error wrapper. The key, install,
connection-string and preview commands live in their own ``cli_*``/``*_cli`` modules and are registered here.

Heavy modules are imported inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from connector_packager import __version__
from connector_packager.cli_command import Command, Group, LazyCommand
from connector_packager.cli_common import (
    CONTEXT_SETTINGS,
    ask,
    environment,
    exit_code,
    failures_as_exit_codes,
    next_step,
)
from connector_packager.errors import UsageProblem
from connector_packager.formats import FORMATS

if TYPE_CHECKING:
    import datetime as dt
    import logging

    from connector_packager.results import Result
    from connector_packager.signing.keysource import KeySource

DEFAULT_DEST = "packaged-connector"


def _log_dir(value: str | None, input_dir: Path | None) -> Path:
    """The -l folder: created if missing (its parent must exist), never inside the connector folder."""
    from connector_packager.logsetup import LOG_FILE_NAME
    from connector_packager.packaging import is_inside

    folder = Path(value) if value else Path.cwd()
    if input_dir is not None and input_dir.is_dir() and is_inside(folder, input_dir):
        raise UsageProblem(
            f"the log folder {folder} is inside the connector folder {input_dir}, which is never written to",
            hint="pass -l/--log with a folder outside the connector folder",
        )
    if folder.exists() and not folder.is_dir():
        raise UsageProblem(f"the log folder {folder} is a file")
    if not folder.exists():
        if folder.suffix:
            click.echo(
                f"Warning: -l/--log takes a folder: creating the folder {folder} (the log will be "
                f"{folder / LOG_FILE_NAME})",
                err=True,
            )
        try:
            folder.mkdir()
        except OSError as exc:
            raise UsageProblem(
                f"cannot create the log folder {folder}: {exc.strerror or exc}",
                hint="its parent folder must exist and be writable",
            ) from None
    return folder


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people; json (a versioned report) or github (workflow annotations) on "
    "standard output for programs and CI.",
)


STRICT_OPTION = click.option(
    "--strict", is_flag=True, help="Warnings fail too: exit status 1 (and no .taco) when there is any warning."
)


#: The parameters _signing_options adds: ``package --help`` lists them under their own heading.
SIGNING_PARAMS = (
    "alias",
    "keystore",
    "storepass",
    "storepass_env",
    "keypass",
    "key_file",
    "cert_chain",
    "pkcs11_module",
    "token_label",
    "pin_env",
    "tsa",
    "no_timestamp",
)


def _signing_options(command: Callable[..., NoReturn]) -> Callable[..., NoReturn]:
    """The options that pick the signing key and timestamp authority (``sign``, and ``package`` to sign at once)."""
    path = click.Path(path_type=Path, dir_okay=False)
    options = [
        click.option(
            "--alias",
            metavar="ALIAS",
            help="The key's name (in the keystore, or its label on the token); also names META-INF/<ALIAS>.SF.",
        ),
        click.option("--keystore", type=path, help="PKCS#12 keystore (.p12/.pfx) with the key and its chain."),
        click.option(
            "--storepass",
            metavar="PASSWORD",
            help="Keystore password. Other users can see it in the process list: prefer --storepass-env.",
        ),
        click.option("--storepass-env", metavar="VAR", help="Environment variable holding the keystore password."),
        click.option(
            "--keypass",
            metavar="PASSWORD",
            help="Password of the key, if it differs from the keystore's (or of an encrypted --key).",
        ),
        click.option("--key", "key_file", type=path, help="PEM (or DER) private key; needs --cert-chain."),
        click.option(
            "--cert-chain",
            type=path,
            help="PEM file: the signer's certificate, then its issuers. With --pkcs11-module it replaces "
            "the certificates on the token.",
        ),
        click.option(
            "--pkcs11-module",
            type=path,
            help="PKCS#11 module (.so/.dll) of the token (HSM, smart card) holding the key.",
        ),
        click.option("--token-label", metavar="LABEL", help="Label of the token with the key (--pkcs11-module)."),
        click.option("--pin-env", metavar="VAR", help="Environment variable holding the token's user PIN."),
        click.option("--tsa", metavar="URL", help="RFC 3161 timestamp authority; Tableau requires a timestamp."),
        click.option(
            "--no-timestamp",
            is_flag=True,
            help="Sign without a timestamp (for tests only: Tableau will not load the result).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _key_source(
    alias: str | None,
    keystore: Path | None,
    storepass: str | None,
    storepass_env: str | None,
    keypass: str | None,
    key_file: Path | None,
    cert_chain: Path | None,
    pkcs11_module: Path | None,
    token_label: str | None,
    pin_env: str | None,
    tsa: str | None,
    no_timestamp: bool,
) -> KeySource:
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
    return KeySource(
        alias=alias,
        keystore=keystore,
        storepass=storepass,
        keypass=keypass,
        key=key_file,
        cert_chain=cert_chain,
        pkcs11_module=pkcs11_module,
        token_label=token_label,
        pin=pin,
        tsa=tsa,
        no_timestamp=no_timestamp,
    )


@click.command(
    "package",
    context_settings=CONTEXT_SETTINGS,
    cls=Command,
    sections={"Signing options (sign the .taco as it is written)": SIGNING_PARAMS},
)
@click.argument("input_dir", type=click.Path(path_type=Path, file_okay=True, dir_okay=True))
@click.option(
    "-v", "--verbose", is_flag=True, help="Also print DEBUG lines on the console (the log file always has them)."
)
@click.option(
    "-l",
    "--log",
    "log_dir",
    metavar="DIR",
    help="Folder for packaging_log.txt; created if missing. Default: the current folder.",
)
@click.option("--validate-only", is_flag=True, help="Stop after validation; write no .taco. Also checks a .trex file.")
@click.option(
    "-d",
    "--dest",
    "dests",
    multiple=True,
    metavar="DIR",
    help=f"Output folder for the .taco, created if missing. Default: {DEFAULT_DEST}.",
)
@click.option(
    "--backwards-compatible",
    is_flag=True,
    help="Forgive a missing 'authentication' connection field (warn instead of fail).",
)
@click.option(
    "--force-package", is_flag=True, help="Write the .taco even though validation failed (the exit code stays 1)."
)
@STRICT_OPTION
@FORMAT_OPTION
@click.version_option(__version__, "--version", prog_name="connector-packager")
@_signing_options
def package_command(
    input_dir: Path,
    verbose: bool,
    log_dir: str | None,
    validate_only: bool,
    dests: tuple[str, ...],
    backwards_compatible: bool,
    force_package: bool,
    strict: bool,
    fmt: str,
    **signing: Any,
) -> NoReturn:
    """Validate the Tableau connector in INPUT_DIR and package it into a .taco file.

    With the signing options (see `connector-packager sign --help`) the .taco is signed as it is written.
    """
    if len(dests) > 1:
        raise click.UsageError("-d/--dest may be given only once")
    from connector_packager.results import is_trex as names_trex

    is_trex = names_trex(input_dir)
    if is_trex and not validate_only:
        raise click.UsageError(
            f"{input_dir} is an extension manifest: check it with --validate-only (.trex files are not packaged)"
        )
    dest = Path(dests[0] if dests else DEFAULT_DEST)
    with failures_as_exit_codes():
        from connector_packager import api
        from connector_packager.formats import render
        from connector_packager.logsetup import LOG_FILE_NAME, run_logging

        key_source = None
        if any(value not in (None, False) for value in signing.values()):
            if validate_only:
                raise UsageProblem("--validate-only writes no .taco, so there is nothing to sign")
            key_source = _key_source(**signing)
            key_source.check()
        logs = _log_dir(log_dir, None if is_trex else input_dir)
        if not validate_only:
            from connector_packager.packaging import check_destination

            check_destination(dest, input_dir)
        with run_logging(logs, verbose) as logger, failures_as_exit_codes(logger):
            log = _PackageLog(logger, logs / LOG_FILE_NAME, force=force_package and not validate_only)
            logger.debug("Starting Tableau connector packaging (connector-packager %s)", __version__)
            result = api.build_package(
                input_dir,
                dest,
                backwards_compatible=backwards_compatible,
                strict=strict,
                force=force_package,
                validate_only=validate_only,
                signing=key_source,
                checked=log.checked,
            )
            log.finished(result, dest)
            click.echo(render(fmt, [result]))
            taco = result.packaged.taco if result.packaged else None
            if taco is not None and result.ok and fmt == "text":
                next_step(
                    f"check it as Tableau will: connector-packager verify {taco}"
                    if key_source
                    else f"sign it: connector-packager sign {taco} --alias ALIAS --keystore KEYSTORE.p12 "
                    "--tsa URL (no key yet? connector-packager key new --help)"
                )
    sys.exit(exit_code([result]))


class _PackageLog:
    """The log of one package run (packaging_log.txt, and the console on standard error): the findings (the log file
    only: the result on standard output shows them), the verdict, and what was written."""

    def __init__(self, logger: logging.Logger, log_file: Path, *, force: bool) -> None:
        self.logger, self.log_file, self.force = logger, log_file, force

    def checked(self, result: Result) -> None:
        """Validation is done, nothing is written yet."""
        import logging

        from connector_packager.findings import Severity
        from connector_packager.formats import finding_base, finding_line
        from connector_packager.logsetup import FILE_ONLY

        levels = {Severity.ERROR: logging.ERROR, Severity.WARNING: logging.WARNING, Severity.NOTICE: logging.INFO}
        for finding in result.findings:
            self.logger.log(levels[finding.severity], finding_line(finding, finding_base(result)), extra=FILE_ONLY)
        if not result.ok and result.error_count == 0:
            self.logger.info("--strict: the warnings fail the run.")
        if result.ok:
            self.logger.info("Validation succeeded.")
        else:
            self.logger.info("Validation failed. Check %s for more information.", self.log_file.resolve())
            if self.force:
                self.logger.warning(
                    "--force-package: packaging although validation failed. The .taco may not work "
                    "in Tableau, and the run still exits with status 1."
                )

    def finished(self, result: Result, dest: Path) -> None:
        """What was learned and written: vendor-defined fields, the minimum Tableau version and why, the signature,
        the .taco."""
        taco = result.packaged.taco if result.packaged else None
        connector = result.connector
        if connector is None or (taco is None and not result.ok):
            return
        if connector.vendor_defined_fields:
            self.logger.info("Detected vendor-defined fields: %s", ", ".join(connector.vendor_defined_fields))
            self.logger.info(
                "Vendor-defined fields are logged and stored in Tableau workbook XML in plain text. Make "
                "sure what users enter in them holds no personal data before you distribute this "
                "connector."
            )
        if connector.min_version_tableau is not None:
            self.logger.info("Detected minimum Tableau version required: %s", connector.min_version_tableau)
            for reason in connector.min_version_reasons:
                self.logger.info("-%s", reason)
        if result.signed is not None:
            for warning in result.signed.warnings:
                self.logger.warning("Warning: %s", warning.message)
            self.logger.info(
                "Signed as %s%s",
                result.signed.signature_name,
                f", timestamped by {result.signed.tsa}" if result.signed.tsa else " (no timestamp)",
            )
        if taco is not None:
            self.logger.info("%s was created in %s", Path(taco).name, os.path.abspath(dest))


#: The commands that live in their own modules, imported only when used (``--help`` lists them from here).
LAZY_COMMANDS = {
    "key": LazyCommand(
        "connector_packager.cli_keys", "key_group", "Make signing keys (step 1 of Tableau's signing guide)."
    ),
    "csr": LazyCommand(
        "connector_packager.cli_keys",
        "csr_command",
        "Write a certificate signing request (PEM PKCS#10, SHA-256) for the key ALIAS, to send to a "
        "certificate authority (step 2). It asks for a code-signing certificate.",
    ),
    "import-cert": LazyCommand(
        "connector_packager.cli_keys",
        "import_cert_command",
        "Install the certificate authority's REPLY (PEM, DER .cer, or PKCS#7 .p7b) next to the key ALIAS (step 3).",
    ),
    "export-cert": LazyCommand(
        "connector_packager.cli_keys",
        "export_cert_command",
        "Write the certificate of the key ALIAS as PEM (keytool -export), e.g. for those who must trust it.",
    ),
    "install": LazyCommand(
        "connector_packager.cli_install",
        "install_command",
        "Verify TACO and copy it where Tableau loads connectors from (Documents/My Tableau "
        "Repository/Connectors for Desktop), replacing an older version of the same connector. "
        "Refuses a connector Tableau would refuse.",
    ),
    "connection-string": LazyCommand(
        "connector_packager.connection_string_cli",
        "connection_string_command",
        "Run the connector's scripts as Tableau would and show the ODBC connect string or JDBC URL and properties.",
    ),
    "preview": LazyCommand(
        "connector_packager.preview_cli",
        "preview_command",
        "Write one self-contained HTML page showing the connector's connection dialog and, live, "
        "the connection string its scripts build (the scripts run in a sandboxed worker; the page "
        "needs no network).",
    ),
    "rules": LazyCommand("connector_packager.rules_cli", "rules_command", "List every rule the tool can report."),
}


@click.group(context_settings=CONTEXT_SETTINGS, cls=Group, lazy=LAZY_COMMANDS)
@click.version_option(__version__, "-V", "--version", prog_name="connector-packager")
def main() -> None:
    """Validate, package, inspect, sign and verify Tableau connectors (.taco)."""


main.add_command(package_command)


@main.command("inspect", context_settings=CONTEXT_SETTINGS)
@click.argument("taco", type=click.Path(path_type=Path, dir_okay=False))
@FORMAT_OPTION
def inspect_command(taco: Path, fmt: str) -> NoReturn:
    """Show what is inside a .taco file: entries, connector identity, stamped version, signature."""
    from connector_packager import api
    from connector_packager.formats import render

    result = api.inspect(taco)
    click.echo(render(fmt, [result]))
    sys.exit(exit_code([result]))


@main.command("sign", context_settings=CONTEXT_SETTINGS)
@click.argument("taco", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the signed .taco here. Default: replace TACO (atomically: it stays whole on failure).",
)
@FORMAT_OPTION
@_signing_options
def sign_command(taco: Path, output: Path | None, fmt: str, **signing: Any) -> NoReturn:
    """Sign TACO as jarsigner does, with an RFC 3161 timestamp, so that Tableau loads it.

    The key comes from a PKCS#12 keystore (--keystore), PEM files (--key, --cert-chain) or a PKCS#11 token
    (--pkcs11-module, --token-label, --pin-env). Check the result with `connector-packager verify`.
    """
    from connector_packager import api
    from connector_packager.formats import render

    result = api.sign(taco, _key_source(**signing), output)
    click.echo(render(fmt, [result]))
    if fmt == "text":
        next_step(f"check it as Tableau will: connector-packager verify {output or taco}")
    sys.exit(exit_code([result]))


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
@click.option(
    "--truststore",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Trusted roots: a PEM file, a PKCS#12 file, or a Java keystore such as cacerts. Default: as "
    "Tableau trusts, the cacerts of the Java runtime at JAVA_HOME or of java on PATH, else the public "
    "roots bundled with certifi.",
)
@click.option(
    "--truststore-pass", metavar="PASSWORD", help="Password of the truststore (Java keystores default to changeit)."
)
@click.option(
    "--at",
    "at",
    metavar="DATE",
    help="Judge as of DATE (YYYY-MM-DD or ISO 8601 time, UTC unless given) instead of now.",
)
@FORMAT_OPTION
def verify_command(
    taco: Path, truststore: Path | None, truststore_pass: str | None, at: str | None, fmt: str
) -> NoReturn:
    """Check TACO's signature as jarsigner -verify -strict and Tableau do, and say whether Tableau will load it.

    Exit status 0 when Tableau will load it, 1 when it will refuse it.
    """
    from connector_packager import api
    from connector_packager.formats import render

    result = api.verify(taco, truststore=truststore, truststore_pass=truststore_pass, at=_moment(at))
    click.echo(render(fmt, [result]))
    if result.ok and fmt == "text":
        next_step(f"install it where Tableau loads connectors from: connector-packager install {taco}")
    sys.exit(exit_code([result]))


@main.command("validate", context_settings=CONTEXT_SETTINGS)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-r",
    "--recursive",
    is_flag=True,
    help="Search below each folder for connectors (folders with manifest.xml) and .trex files.",
)
@click.option(
    "--files",
    "changed_files",
    is_flag=True,
    help="PATHS are changed files (as pre-commit passes them): check the connector each belongs to "
    "and every .trex file among them.",
)
@click.option(
    "--backwards-compatible",
    is_flag=True,
    help="Forgive a missing 'authentication' connection field (warn instead of fail).",
)
@click.option("-q", "--quiet", is_flag=True, help="Show only what failed, and the totals (text format).")
@STRICT_OPTION
@FORMAT_OPTION
def validate_command(
    paths: tuple[Path, ...],
    recursive: bool,
    changed_files: bool,
    backwards_compatible: bool,
    quiet: bool,
    strict: bool,
    fmt: str,
) -> NoReturn:
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
        with click.progressbar(
            listed, label="Validating", file=sys.stderr, item_show_func=lambda p: str(p) if p else None
        ) as bar:
            yield from bar

    results = api.check_all(
        paths,
        recursive=recursive,
        changed_files=changed_files,
        backwards_compatible=backwards_compatible,
        strict=strict,
        each=progress,
    )
    output = render(fmt, results, quiet=quiet)
    if output:
        click.echo(output)
    sys.exit(exit_code(results))


def run_package_module() -> None:
    """Entry point of ``python -m connector_packager.package``."""
    package_command.main(prog_name="python -m connector_packager.package")
