"""The ``rules`` command: the rule catalogue (every check the tool can report), for people or programs."""

from __future__ import annotations

import json

import click

from connector_packager.cli_command import Command
from connector_packager.cli_common import CONTEXT_SETTINGS


@click.command("rules", context_settings=CONTEXT_SETTINGS, cls=Command)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="text: one rule a line (id, severity, applies to, summary); json: a list of objects with id, "
    "applies_to, severity, summary, module, doc, passes and fails.",
)
def rules_command(fmt: str) -> None:
    """List every rule the tool can report.

    Each with its id (as in [rule-id] after a finding), severity, what it applies to and a one-line summary; the
    full documentation of each is in docs/rules.md."""
    from connector_packager.catalogue import all_rules, as_json, as_text

    rules = all_rules()
    click.echo(json.dumps({"version": 1, "rules": as_json(rules)}, indent=2) if fmt == "json" else as_text(rules))
