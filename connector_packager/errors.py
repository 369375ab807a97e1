"""The project's own exceptions. The CLI turns them into a message and an exit code."""

from __future__ import annotations


class PackagerError(Exception):
    """Something the user can fix that stops the run (exit 1)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageProblem(PackagerError):
    """The command line asks for something impossible (exit 2)."""
