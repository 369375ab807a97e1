"""The command line. The only module that prints, and the only one that picks exit codes.

Exit codes: 0 success, 1 validation (or packaging) failed, 2 usage error.
Heavy modules are imported inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from connector_packager import __version__
from connector_packager.errors import PackagerError, UsageProblem
from connector_packager.findings import Finding, Severity
from connector_packager.formats import FORMATS

if TYPE_CHECKING:
    from connector_packager.results import CheckResult

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_DEST = "packaged-connector"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@contextmanager
def _failures_as_exit_codes(logger: logging.Logger | None = None) -> Iterator[None]:
    """Turn the project's exceptions into a message and an exit code, in one place."""
    def say(message: str) -> None:
        if logger is not None and logger.handlers:
            logger.error(message)
        else:
            click.echo(message, err=True)

    try:
        yield
    except UsageProblem as exc:
        say(f"Error: {exc.message}" + (f"\n    hint: {exc.hint}" if exc.hint else ""))
        sys.exit(EXIT_USAGE)
    except PackagerError as exc:
        say(f"Error: {exc.message}" + (f"\n    hint: {exc.hint}" if exc.hint else ""))
        sys.exit(EXIT_FAILED)
    except KeyboardInterrupt:
        say("Interrupted; nothing was written.")
        sys.exit(EXIT_INTERRUPTED)


def _log_dir(value: str | None, input_dir: Path | None) -> Path:
    """The -l folder: created if missing (its parent must exist), never inside the connector folder."""
    from connector_packager.packaging import is_inside

    folder = Path(value) if value else Path.cwd()
    if input_dir is not None and input_dir.is_dir() and is_inside(folder, input_dir):
        raise UsageProblem(f"the log folder {folder} is inside the connector folder {input_dir}, which is never "
                           "written to", hint="pass -l/--log with a folder outside the connector folder")
    if folder.exists() and not folder.is_dir():
        raise UsageProblem(f"the log folder {folder} is a file")
    if not folder.exists():
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


@click.command("package", context_settings=CONTEXT_SETTINGS)
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
@FORMAT_OPTION
def package_command(input_dir: Path, verbose: bool, log_dir: str | None, validate_only: bool,
                    dests: tuple[str, ...], backwards_compatible: bool, force_package: bool, fmt: str) -> NoReturn:
    """Validate the Tableau connector in INPUT_DIR and package it into a .taco file."""
    if len(dests) > 1:
        raise click.UsageError("-d/--dest may be given only once")
    is_trex = input_dir.suffix.lower() == ".trex" and not input_dir.is_dir()
    if is_trex and not validate_only:
        raise click.UsageError(f"{input_dir} is an extension manifest: check it with --validate-only "
                               "(.trex files are not packaged)")
    dest = Path(dests[0] if dests else DEFAULT_DEST)
    with _failures_as_exit_codes():
        from connector_packager.logsetup import LOG_FILE_NAME, run_logging
        from connector_packager.packaging import check_destination

        logs = _log_dir(log_dir, None if is_trex else input_dir)
        if not validate_only:
            check_destination(dest, input_dir)
        with run_logging(logs, verbose) as logger, _failures_as_exit_codes(logger):
            run = _PackageRun(logger, fmt, logs / LOG_FILE_NAME)
            if is_trex:
                code = run.check_trex(input_dir)
            else:
                code = run.package(input_dir, dest, validate_only=validate_only,
                                   backwards_compatible=backwards_compatible, force_package=force_package)
    sys.exit(code)


class _PackageRun:
    """One run of the package command: findings to the log (and console in text format), results to stdout."""

    def __init__(self, logger: logging.Logger, fmt: str, log_file: Path) -> None:
        self.logger, self.fmt, self.log_file = logger, fmt, log_file

    def log_findings(self, findings: list[Finding], base: str) -> None:
        from connector_packager.formats import finding_line

        levels = {Severity.ERROR: logging.ERROR, Severity.WARNING: logging.WARNING, Severity.NOTICE: logging.INFO}
        for finding in findings:
            line = finding_line(finding, base)
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
        from connector_packager.results import check_path

        result = check_path(path)
        self.log_findings(result.findings, str(path.parent) if str(path.parent) != "." else "")
        self.verdict(result.ok)
        self.emit(result)
        return EXIT_OK if result.ok else EXIT_FAILED

    def package(self, input_dir: Path, dest: Path, *, validate_only: bool, backwards_compatible: bool,
                force_package: bool) -> int:
        from connector_packager.packaging import package
        from connector_packager.results import connector_result
        from connector_packager.validation import check_connector

        logger = self.logger
        logger.debug("Starting Tableau connector packaging (connector-packager %s)", __version__)
        report = check_connector(input_dir, backwards_compatible=backwards_compatible)
        result = connector_result(str(input_dir), report)
        self.log_findings(report.findings, str(input_dir))
        self.verdict(report.ok)
        if not report.ok and (not force_package or validate_only):
            self.emit(result)
            return EXIT_FAILED
        if not report.ok:
            logger.warning("--force-package: packaging although validation failed. The .taco may not work in "
                           "Tableau, and the run still exits with status 1.")
        if report.facts.vendor_defined_fields:
            fields = ", ".join(dict.fromkeys(report.facts.vendor_defined_fields))
            logger.info("Detected vendor-defined fields: %s", fields)
            logger.info("Vendor-defined fields are logged and stored in Tableau workbook XML in plain text. Make sure "
                        "what users enter in them holds no personal data before you distribute this connector.")
        if report.min_version is not None:
            _log_min_version(logger, report.min_version, report.min_version_reasons)
        if validate_only:
            self.emit(result)
            return EXIT_OK
        target = package(report, dest)
        if not report.ok:
            _log_min_version(logger, report.min_version or "?", report.min_version_reasons)
        logger.info("%s was created in %s", target.name, os.path.abspath(dest))
        result.taco = str(target)
        result.min_version_tableau = report.min_version
        self.emit(result)
        return EXIT_OK if report.ok else EXIT_FAILED


def _log_min_version(logger: logging.Logger, version: str, reasons: list[str]) -> None:
    logger.info("Detected minimum Tableau version required: %s", version)
    for reason in reasons:
        logger.info("-%s", reason)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="connector-packager")
def main() -> None:
    """Validate, package and inspect Tableau connectors (.taco)."""


main.add_command(package_command)


@main.command("inspect", context_settings=CONTEXT_SETTINGS)
@click.argument("taco", type=click.Path(path_type=Path, dir_okay=False))
def inspect_command(taco: Path) -> NoReturn:
    """Show what is inside a .taco file: entries, connector identity, stamped version, signature."""
    with _failures_as_exit_codes():
        from connector_packager.taco_info import describe_taco, read_taco

        info = read_taco(taco)
        click.echo(describe_taco(info))
        sys.exit(EXIT_FAILED if info.problems else EXIT_OK)


@main.command("validate", context_settings=CONTEXT_SETTINGS)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-r", "--recursive", is_flag=True,
              help="Search below each folder for connectors (folders with manifest.xml) and .trex files.")
@click.option("--files", "changed_files", is_flag=True,
              help="PATHS are changed files (as pre-commit passes them): check the connector each belongs to "
                   "and every .trex file among them.")
@click.option("--backwards-compatible", is_flag=True,
              help="Forgive a missing 'authentication' connection field (warn instead of fail).")
@FORMAT_OPTION
def validate_command(paths: tuple[Path, ...], recursive: bool, changed_files: bool, backwards_compatible: bool,
                     fmt: str) -> NoReturn:
    """Validate connector folders and .trex extension manifests; write nothing.

    Exit status 1 when any of them has an error.
    """
    from connector_packager.formats import render
    from connector_packager.results import check_path, find_targets, owning_targets

    targets = owning_targets(list(paths)) if changed_files else find_targets(list(paths), recursive)
    results = []
    show_progress = fmt == "text" and len(targets) > 5 and sys.stderr.isatty() and not os.environ.get("CI")
    with click.progressbar(targets, label="Validating", file=sys.stderr,
                           item_show_func=lambda p: str(p) if p else None) if show_progress \
            else _no_progress(targets) as items:
        for target in items:
            results.append(check_path(target, backwards_compatible=backwards_compatible))
    output = render(fmt, results)
    if output:
        click.echo(output)
    sys.exit(EXIT_OK if all(r.ok for r in results) else EXIT_FAILED)


@contextmanager
def _no_progress(items: list[Path]) -> Iterator[list[Path]]:
    yield items


def run_package_module() -> None:
    """Entry point of ``python -m connector_packager.package``."""
    package_command.main(prog_name="python -m connector_packager.package")
