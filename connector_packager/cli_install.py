"""The ``install`` command: copy a verified .taco into the folder Tableau loads connectors from."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from connector_packager.cli_command import Command
from connector_packager.cli_common import CONTEXT_SETTINGS, EXIT_OK, failures_as_exit_codes


@click.command("install", context_settings=CONTEXT_SETTINGS, cls=Command)
@click.argument("taco", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--for",
    "product",
    type=click.Choice(["desktop", "prep", "server"]),
    help="The Tableau product that loads it. Default: desktop (server on Linux).",
)
@click.option(
    "--dest",
    type=click.Path(path_type=Path, file_okay=False),
    help="Install into this folder instead (a non-standard repository, or the -DConnectPluginsPath "
    "folder while developing).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
@click.option(
    "--allow-unsigned",
    is_flag=True,
    help="Install even though Tableau would refuse it (unsigned, untrusted or self-signed), for "
    "development: Tableau then loads it only when started with "
    "-DDisableVerifyConnectorPluginSignature=true.",
)
@click.option(
    "--truststore",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Trusted roots to verify against (default: as verify).",
)
@click.option("--truststore-pass", metavar="PASSWORD", help="Password of the truststore.")
def install_command(
    taco: Path,
    product: str | None,
    dest: Path | None,
    dry_run: bool,
    allow_unsigned: bool,
    truststore: Path | None,
    truststore_pass: str | None,
) -> NoReturn:
    """Verify TACO and copy it where Tableau loads connectors from (Documents/My Tableau Repository/Connectors for
    Desktop), replacing an older version of the same connector. Refuses a connector Tableau would refuse.

    The copy is atomic: an interrupted install leaves no partial file.
    """
    with failures_as_exit_codes():
        from connector_packager.install import default_product, install_folder, install_taco
        from connector_packager.signing.truststore import named_truststore

        chosen = product or default_product(sys.platform)
        folder = dest if dest is not None else install_folder(chosen, sys.platform, os.environ)
        trust = named_truststore(truststore, truststore_pass)
        done = install_taco(taco, folder, trust, allow_unsigned=allow_unsigned, dry_run=dry_run)
        click.echo(
            f"{taco}: {done.verification.verdict} (class {done.class_name}, version {done.version}; trust "
            f"store {trust.source})"
        )
        for warning in done.warnings:
            click.echo(f"Warning: {warning}", err=True)
        if done.unchanged:
            click.echo(f"{done.target} is already installed there; nothing to do.")
            sys.exit(EXIT_OK)
        if done.created_folder:
            click.echo(f"{'Would create' if dry_run else 'Created'} the folder {folder}.")
        for old, version in done.replaced:
            if old == done.target:
                click.echo(f"{'Would replace' if dry_run else 'Replaced'} {old} (version {version}).")
            else:
                click.echo(f"{'Would replace' if dry_run else 'Replaced'} the older {old.name} (version {version}).")
        click.echo(
            f"{'Would install' if dry_run else 'Installed'} {done.target}"
            + ("" if dest is not None else f" for Tableau {chosen.capitalize()}")
            + "."
        )
        if not dry_run:
            restart = (
                "restart Tableau Server (tsm restart; copy it to every node)"
                if chosen == "server" and dest is None
                else "restart Tableau"
            )
            option = "" if done.verification.ok else " (started with the launch option above)"
            click.echo(f"Next: {restart} to load it{option}.")
    sys.exit(EXIT_OK)
