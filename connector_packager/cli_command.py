"""The click classes every command is made with: help that groups options under headings and never cuts
a command's description short, a hint for options typed with an en or em dash (as pasted from a web page), and
the exit-code wrapper of ``cli_common`` around every command.

Kept apart from cli.py, which registers the commands; light to import (click only), as ``--help`` must be fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

import click

from connector_packager.cli_common import failures_as_exit_codes

#: Characters that look like a hyphen-minus in a web page or a word processor, but are not one: the en dash,
#: the em dash, the hyphen, the non-breaking hyphen, the figure dash, the horizontal bar and the minus sign.
DASH_LOOKALIKES = "\u2013\u2014\u2010\u2011\u2012\u2015\u2212"


def dash_hint(arg: str, command: click.Command, ctx: click.Context) -> str | None:
    """For an argument that starts with a dash look-alike: the message that names the option it was meant to
    be (``-v`` for ``\u2013v``, ``--verbose`` for ``—verbose``); None for any other argument."""
    if not arg or arg[0] not in DASH_LOOKALIKES:
        return None
    from connector_packager.suggest import closest

    body = arg.lstrip(DASH_LOOKALIKES + "-")
    name, equals, value = body.partition("=")
    meant = ("-" if len(name) == 1 else "--") + name
    options = [
        opt
        for param in command.get_params(ctx)
        if isinstance(param, click.Option)
        for opt in (*param.opts, *param.secondary_opts)
    ]
    if meant not in options:
        meant = closest(meant, options) or ""
    dash = {"\u2013": "an en dash (\u2013)", "\u2014": "an em dash (\u2014)"}.get(arg[0], f"U+{ord(arg[0]):04X}")
    said = (
        f"{arg!r} starts with {dash}, not the hyphen-minus (-) that options start with; text copied from a web "
        "page often has one"
    )
    if not meant:
        return said
    return f"{said}: did you mean {meant}{equals}{value}?"


class Command(click.Command):
    """A command whose help can put options under their own headings (``sections``: heading -> the parameter
    names under it; the rest stay under "Options"), and that explains a dash look-alike instead of calling it
    an unexpected argument."""

    def __init__(self, *args: Any, sections: Mapping[str, Collection[str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = dict(sections or {})

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for arg in args:
            if arg == "--":
                break
            hint = dash_hint(arg, self, ctx)
            if hint is not None:
                raise click.UsageError(hint, ctx)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command inside the one wrapper that maps errors and Ctrl-C to a message and an exit code."""
        with failures_as_exit_codes():
            return super().invoke(ctx)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        """Parse the arguments inside the same wrapper: Ctrl-C while they are read exits 130, not click's 1."""
        with failures_as_exit_codes():
            return super().make_context(info_name, args, parent, **extra)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        grouped = {name for names in self.sections.values() for name in names}
        options = [p for p in self.get_params(ctx) if isinstance(p, click.Option)]
        headings: list[tuple[str, Sequence[click.Parameter]]] = [
            ("Options", [p for p in options if p.name not in grouped])
        ]
        headings += [(heading, [p for p in options if p.name in names]) for heading, names in self.sections.items()]
        for heading, params in headings:
            rows = [row for row in (p.get_help_record(ctx) for p in params) if row is not None]
            if rows:
                with formatter.section(heading):
                    formatter.write_dl(rows)


class LazyCommand(NamedTuple):
    """A command registered by where it lives, imported only when it runs (or its own help is shown), and the
    first sentence of its help for the group's command list (a test keeps the two equal)."""

    module: str
    attribute: str
    summary: str


class Group(click.Group):
    """The top-level group: its commands are :class:`Command` s, and its help gives each command's whole first
    sentence, wrapped, where click would cut it to fit one line. Commands in ``lazy`` are imported only when
    used, so that ``--help`` and the other commands do not pay for their modules."""

    command_class = Command

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            entry = self.lazy[cmd_name]
            command = getattr(importlib.import_module(entry.module), entry.attribute)
            if not isinstance(command, click.Command) or command.name != cmd_name:
                raise RuntimeError(f"{entry.module}.{entry.attribute} is not the command {cmd_name}")
            self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        """Parse the group's own arguments inside the wrapper that maps Ctrl-C to exit 130."""
        with failures_as_exit_codes():
            return super().make_context(info_name, args, parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        hint = dash_hint(args[0], self, ctx) if args else None  # the group's own options come first
        if hint is not None:
            raise click.UsageError(hint, ctx)
        return super().parse_args(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy and name not in self.commands:
                rows.append((name, self.lazy[name].summary))
                continue
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            rows.append((name, first_sentence(command.short_help or command.help or "")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def first_sentence(text: str) -> str:
    """The first paragraph of a docstring, on one line."""
    paragraph = text.strip().split("\n\n")[0]
    return " ".join(paragraph.split())
