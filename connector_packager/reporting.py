"""Rendering findings and run summaries for people (the text format)."""

from __future__ import annotations

import logging

from connector_packager.findings import Finding, Severity

LEVELS = {Severity.ERROR: logging.ERROR, Severity.WARNING: logging.WARNING, Severity.NOTICE: logging.INFO}


def finding_line(finding: Finding, base: str) -> str:
    """``path:line:column: severity: message [rule]`` (the compiler-style line editors understand)."""
    where = finding.location(base)
    text = f"{where}: {finding.severity.value}: {finding.message} [{finding.rule}]"
    if finding.hint:
        text += f"\n    hint: {finding.hint}"
    return text


def log_findings(logger: logging.Logger, findings: list[Finding], base: str) -> None:
    for finding in findings:
        logger.log(LEVELS[finding.severity], finding_line(finding, base))
