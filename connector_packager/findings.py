"""Findings: every problem a check reports, as data.

Text, JSON and GitHub-annotation output are all formatters over a list of
these; no check prints anything itself.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


@dataclass(frozen=True)
class Finding:
    """One problem (or note) about one file.

    ``file`` is relative to the folder that was checked (the connector folder,
    or the folder of a .trex file); ``line`` and ``column`` are 1-based and
    None where the check cannot tell.
    """

    severity: Severity
    rule: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self, base: str = "") -> str:
        """``base/file:line:column`` with the parts that are known."""
        if self.file is None:
            return base.rstrip("/")
        where = f"{base.rstrip('/')}/{self.file}" if base else self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where


def error(rule: str, message: str, file: str | None = None, line: int | None = None,
          column: int | None = None, hint: str | None = None) -> Finding:
    return Finding(Severity.ERROR, rule, message, file, line, column, hint)


def warning(rule: str, message: str, file: str | None = None, line: int | None = None,
            column: int | None = None, hint: str | None = None) -> Finding:
    return Finding(Severity.WARNING, rule, message, file, line, column, hint)


#: Rule ids of the findings that mean an input is missing or cannot be read, so it could not be checked: the
#: commands exit 2 for them (the tool could not do the job), not 1.
UNREADABLE_RULES = frozenset({"input-missing", "file-unreadable"})


def cannot_read(findings: Iterable[Finding]) -> bool:
    """Whether any of ``findings`` says an input is missing or cannot be read."""
    return any(f.rule in UNREADABLE_RULES for f in findings)
