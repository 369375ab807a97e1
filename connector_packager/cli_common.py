"""What every command shares: the exit codes, the one function that maps results to an exit code, the one wrapper
that maps the project's errors, ``OSError`` and Ctrl-C to a message and an exit code, and small prompt helpers.

Exit codes (the README's table):

* 0: success;
* 1: the input was checked and fails (validation failed, or Tableau would refuse the .taco);
* 2: the tool could not do the job (usage error, input missing or unreadable, output or log not writable);
* 130: interrupted (Ctrl-C).

Light to import (click and the project's errors only): ``--help`` must stay fast.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import click

from connector_packager.errors import CannotRun, PackagerError, UsageProblem

if TYPE_CHECKING:
    import logging

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Outcome(Protocol):
    """Any result a command reports: it passes or not; ``input_unreadable`` (where a result has it) says that an
    input could not be read, so the check could not be made."""

    @property
    def ok(self) -> bool: ...


def exit_code(outcomes: Iterable[Outcome]) -> int:
    """The exit code for what a command found: 2 when an input could not be read, else 1 when any result
    fails, else 0."""
    listed = list(outcomes)
    if any(getattr(outcome, "input_unreadable", False) for outcome in listed):
        return EXIT_USAGE
    return EXIT_OK if all(outcome.ok for outcome in listed) else EXIT_FAILED


def os_error_message(exc: OSError) -> tuple[str, str]:
    """A message naming the path an ``OSError`` is about, and a hint for what to do."""
    path = exc.filename if exc.filename is not None else "a file"
    reason = exc.strerror or str(exc)
    hints = {
        errno.EACCES: f"check the permissions of {path} and of the folders above it",
        errno.EPERM: f"check the permissions of {path} and of the folders above it",
        errno.ENOENT: "check the path: it, or a folder in it, does not exist",
        errno.ENOTDIR: "a part of the path that should be a folder is a file",
        errno.EISDIR: f"{path} is a folder: give a file (or another folder for it)",
        errno.ENOSPC: "free some space on that disk, or write somewhere else",
        errno.EROFS: "that file system is read-only: write somewhere else",
        errno.ELOOP: "a link in the path leads round in a circle",
        errno.ENAMETOOLONG: "use a shorter path",
    }
    return f"cannot use {path}: {reason}", hints.get(exc.errno or 0, "check that the path exists and is accessible")


@contextmanager
def failures_as_exit_codes(logger: logging.Logger | None = None) -> Iterator[None]:
    """Turn the project's exceptions, ``OSError`` and Ctrl-C into a message and an exit code, in one place (every
    command runs in it: see ``cli_command.Command.invoke``)."""

    def say(message: str, hint: str | None) -> None:
        text = f"Error: {message}" + (f"\n    hint: {hint}" if hint else "")
        if logger is not None and logger.handlers:
            logger.error(text)
        else:
            click.echo(text, err=True)

    try:
        yield
    except CannotRun as exc:
        say(exc.message, exc.hint)
        sys.exit(EXIT_USAGE)
    except PackagerError as exc:
        say(exc.message, exc.hint)
        sys.exit(EXIT_FAILED)
    except OSError as exc:
        say(*os_error_message(exc))
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        say("Interrupted; nothing was written.", None)
        sys.exit(EXIT_INTERRUPTED)


def environment(variable: str | None, option: str) -> str | None:
    """The value of the environment variable an option names (None without the option)."""
    if variable is None:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise UsageProblem(f"{option} names the environment variable {variable}, which is not set")
    return value


def ask(prompt: str) -> str | None:
    """A secret typed at the terminal, as jarsigner asks for one; None when no one is there to type it."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None
    return str(click.prompt(prompt, hide_input=True, err=True))


def next_step(text: str) -> None:
    """What to do next, for a person at a terminal: scripts, pipes and CI logs never get it."""
    if sys.stderr.isatty():
        click.echo(f"Next: {text}", err=True)
