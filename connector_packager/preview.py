"""The ``preview`` page: the connection dialog and the live connection string, in one self-contained HTML file.

The page embeds the connector model (as JSON, in a non-executed script element) and ``script_runtime.js``
(as text); its own code builds the dialog with DOM calls only (no markup from the connector is ever parsed)
and runs the connector's scripts in a Web Worker made from the runtime, one worker per evaluation,
stopped after the same time limit as the embedded engine. A Content-Security-Policy forbids network
access, and the worker inherits it.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from connector_packager.connector import Report
from connector_packager.errors import UsageProblem
from connector_packager.findings import cannot_read

#: The template's placeholders (``@@NAME@@``), filled in one pass.
_PLACEHOLDER = re.compile(r"@@(NONCE|TITLE|RUNTIME|MODEL)@@")
#: Characters that must not appear literally inside a <script> element's JSON.
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


@dataclass
class Preview:
    report: Report
    page: str | None  # None when the connector is invalid

    @property
    def ok(self) -> bool:
        return self.page is not None

    @property
    def input_unreadable(self) -> bool:
        return cannot_read(self.report.findings)


@cache
def _template() -> str:
    return resources.files("connector_packager").joinpath("preview_page.html").read_text(encoding="utf-8")


def script_json(value: Any) -> str:
    """JSON that can sit inside a ``<script type="application/json">`` element whatever the strings hold."""
    text = json.dumps(value, ensure_ascii=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_UNSAFE[m.group(0)], text)


def embeddable_runtime() -> str:
    """The runtime's text for a ``<script type="text/plain">`` element (it must hold no ``</``)."""
    from connector_packager.script_engine import runtime_source

    source = runtime_source()
    if "</" in source or "<!--" in source:
        raise ValueError("script_runtime.js must not contain '</' or '<!--' (it is embedded in the preview page)")
    return source


def build_preview(folder: Path, *, platform: str = "win") -> Preview:
    """Check the connector in ``folder`` and render its preview page (None when the connector is invalid)."""
    from connector_packager.connection_model import CATEGORY_ORDER, build_model, localized
    from connector_packager.connection_string import INFERRED, INFERRED_V1
    from connector_packager.formats import finding_line
    from connector_packager.script_engine import TIME_LIMIT_SECONDS
    from connector_packager.validation import check_connector

    if not folder.is_dir():
        raise UsageProblem(f"{folder} does not exist or is not a folder")
    report = check_connector(folder)
    if not report.ok:
        return Preview(report, None)
    model = build_model(report)
    name = localized(report, report.display_name or report.class_name or folder.name)
    kind = "JDBC" if model.jdbc else "ODBC"
    dialog = {"v2": "connection fields (Connection Dialog v2)", "v1": "a .tcd connection dialog (v1, approximate)"}
    data = {
        "title": name,
        "subtitle": f"{report.class_name} {report.plugin_version or ''} · {kind} · "
        f"{dialog.get(model.dialog or '', 'no connection dialog')} · preview by connector-packager",
        "connector": model.as_json(),
        "categoryOrder": list(CATEGORY_ORDER),
        "platform": platform,
        "timeLimitSeconds": TIME_LIMIT_SECONDS,
        "findings": [finding_line(f, "") for f in report.findings],
        "notes": ([INFERRED_V1] if model.dialog == "v1" else []) + list(INFERRED),
    }
    filling = {
        "NONCE": secrets.token_urlsafe(18),
        "TITLE": html.escape(f"{name}: connection dialog preview"),
        "RUNTIME": embeddable_runtime(),
        "MODEL": script_json(data),
    }
    # One pass over the template: a connector's text that spells a placeholder stays text.
    page = _PLACEHOLDER.sub(lambda m: filling[m.group(1)], _template())
    return Preview(report, page)


def default_output(folder: Path) -> Path:
    return Path(f"{folder.resolve().name}-preview.html")
