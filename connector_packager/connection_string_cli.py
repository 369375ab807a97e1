"""The ``connection-string`` command: what a connector sends to its driver, from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from connector_packager import cli_common as cli
from connector_packager.cli_command import Command

#: What connectionHelper.GetPlatform() can return.
PLATFORMS = ("win", "mac", "linux")


@click.command("connection-string", context_settings=cli.CONTEXT_SETTINGS, cls=Command)
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="A value typed into the dialog (repeatable). Unset fields take their defaults.",
)
@click.option(
    "--platform",
    type=click.Choice(PLATFORMS),
    default="win",
    show_default=True,
    help="What connectionHelper.GetPlatform() returns.",
)
@click.option("--driver", metavar="NAME", help="The installed driver's name (default: the first driver-resolver rule).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="text for people; json (documented in docs/connection-string.md) for programs.",
)
def connection_string_command(
    folder: Path, assignments: tuple[str, ...], platform: str, driver: str | None, fmt: str
) -> NoReturn:
    """Run the connector's scripts as Tableau would and show the ODBC connect string or JDBC URL and properties.

    Exit status 0 when the scripts produce a connection string, 1 when the connector is invalid or a script
    fails, 2 for a usage error.
    """
    with cli.failures_as_exit_codes():
        from connector_packager.connection_string import compute, parse_assignments, render_json, render_text

        run = compute(folder, parse_assignments(assignments), platform=platform, driver=driver)
        click.echo(render_json(run) if fmt == "json" else render_text(run))
    sys.exit(cli.exit_code([run]))
