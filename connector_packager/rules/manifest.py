"""Rules for manifest.xml."""

from __future__ import annotations

from collections.abc import Iterator

from connector_packager.catalogue import Severity, declare
from connector_packager.connector import Report
from connector_packager.findings import Finding, warning
from connector_packager.rules import connector_rule

DIALOG_AND_FIELDS_BOTH = declare(
    "dialog-and-fields-both",
    "manifest",
    Severity.WARNING,
    "the manifest names a .tcd dialog or connection fields, not both",
    doc="Tableau refuses a connector with both. The schema refuses it too, as an unexpected child; this says "
    "why, and runs although the manifest failed its schema.",
    passes='<connection-fields file="fields.xml"/>',
    fails='<connection-dialog file="dialog.tcd"/><connection-fields file="fields.xml"/>',
)


@connector_rule
def one_dialog_kind(report: Report) -> Iterator[Finding]:
    """A manifest names a .tcd dialog or connection fields, not both (Tableau refuses both).

    The schema refuses it too, as "unexpected child"; this says why. A connector rule, so that it runs
    although the manifest failed its schema.
    """
    manifest = report.manifest
    if manifest is None or manifest.tree is None:
        return
    root = manifest.tree.getroot()
    dialog, fields = root.find("connection-dialog"), root.find("connection-fields")
    if dialog is not None and fields is not None:
        yield warning(
            DIALOG_AND_FIELDS_BOTH,
            "the manifest names both <connection-dialog> and "
            "<connection-fields>; Tableau refuses a connector with both",
            manifest.name,
            dialog.sourceline,
            hint="keep <connection-fields> (connection dialogs v2) and remove the .tcd",
        )
