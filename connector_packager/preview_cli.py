"""The ``preview`` command: write the connection dialog preview page."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from connector_packager import cli_common as cli
from connector_packager.cli_command import Command


@click.command("preview", context_settings=cli.CONTEXT_SETTINGS, cls=Command)
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The HTML file to write. Default: <folder name>-preview.html in the current folder.",
)
@click.option("--open", "open_page", is_flag=True, help="Open the page in the default web browser.")
def preview_command(folder: Path, output: Path | None, open_page: bool) -> NoReturn:
    """Write one self-contained HTML page showing the connector's connection dialog and, live, the connection
    string its scripts build (the scripts run in a sandboxed worker; the page needs no network).

    Exit status 0 when the page was written, 1 when the connector is invalid, 2 for a usage error.
    """
    with cli.failures_as_exit_codes():
        from connector_packager.archive.atomic_write import write_file
        from connector_packager.errors import PackagerError, UsageProblem
        from connector_packager.formats import finding_line
        from connector_packager.packaging import is_inside
        from connector_packager.preview import build_preview, default_output

        target = output or default_output(folder)
        if folder.is_dir() and is_inside(target, folder):
            raise UsageProblem(
                f"{target} is inside the connector folder {folder}, which is never written to",
                hint="pass -o with a file outside the connector folder",
            )
        if not target.parent.resolve().is_dir():
            raise UsageProblem(f"the folder of {target} does not exist")
        preview = build_preview(folder)
        for finding in preview.report.findings:
            click.echo(finding_line(finding, str(folder)), err=True)
        if preview.page is None:
            click.echo("The connector is not valid: no preview was written.", err=True)
            sys.exit(cli.exit_code([preview]))
        try:
            write_file(target, preview.page.encode("utf-8"))
        except PackagerError as exc:
            raise UsageProblem(exc.message, exc.hint) from None
        click.echo(f"Wrote {target}")
        if open_page:
            import webbrowser

            webbrowser.open(target.resolve().as_uri())
    sys.exit(cli.EXIT_OK)
