"""Findings: every problem a check reports, as data.

Text, JSON and GitHub-annotation output are all formatters over a list of
these; no check prints anything itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connector_packager.catalogue import Rule, Severity, get, is_registered

__all__ = ["Finding", "Rule", "Severity", "cannot_read", "error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem (or note) about one file.

    ``rule`` is the id of a registered rule (see catalogue.py; anything else is refused here).
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

    def __post_init__(self) -> None:
        if not is_registered(self.rule):
            raise ValueError(f"finding with rule id {self.rule!r}, which is not in the rule catalogue")

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


def error(
    rule: Rule,
    message: str,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    hint: str | None = None,
) -> Finding:
    return Finding(Severity.ERROR, rule.id, message, file, line, column, hint)


def warning(
    rule: Rule,
    message: str,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    hint: str | None = None,
) -> Finding:
    return Finding(Severity.WARNING, rule.id, message, file, line, column, hint)


def cannot_read(findings: Iterable[Finding]) -> bool:
    """Whether any of ``findings`` says an input is missing or cannot be read (a rule declared ``unreadable``)."""
    return any(get(f.rule).unreadable for f in findings)
