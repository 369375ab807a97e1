"""Why an archive is refused: the exception that carries the rule, the entry and the message."""

from __future__ import annotations

from connector_packager.catalogue import Rule
from connector_packager.errors import PackagerError
from connector_packager.findings import Finding, error

#: What an author can do about any refused archive.
REPACKAGE = "write the .taco with `connector-packager package` (and sign it with `sign`), not with a zip tool"


class ArchiveError(PackagerError):
    """The archive was read and is refused: it is not a .taco every reader reads the same way.

    ``rule`` is the check that refused it, ``entry`` the entry concerned (its name as stored), if one."""

    def __init__(self, message: str, rule: Rule, *, entry: str | None = None, hint: str | None = REPACKAGE) -> None:
        super().__init__(message, hint)
        self.rule = rule
        self.entry = entry

    @property
    def finding(self) -> Finding:
        """The refusal as a finding about the entry (or the archive as a whole)."""
        return error(self.rule, self.message, self.entry, hint=self.hint)
