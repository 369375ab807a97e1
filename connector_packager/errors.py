"""The project's own exceptions. The CLI turns them into a message and an exit code (``cli_common``)."""

from __future__ import annotations


class PackagerError(Exception):
    """Something the user can fix that stops the run: the input was checked and fails (exit 1)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class CannotRun(PackagerError):
    """The tool could not do the job, whatever the input holds (exit 2)."""


class UsageProblem(CannotRun):
    """The command line asks for something impossible (exit 2)."""


class InputOutputProblem(CannotRun):
    """An input is missing or cannot be read, or an output (a file, a folder, the log) cannot be written (exit 2)."""
