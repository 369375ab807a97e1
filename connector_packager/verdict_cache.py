"""Schema verdicts kept on disk, so that checking an unchanged file again skips xmlschema entirely.

Importing xmlschema and building the schemas costs more than everything else
a ``package`` run does; authors re-package the same files over and over. A
verdict is stored under a SHA-256 key over everything it depends on: this
tool's version, the bundled schema files' bytes, the installed xmlschema
(where it lives, its size and time), the schema's name and the document's
bytes. Any change there is a different key, so a stale verdict is never
used.

The cache lives in ``$CONNECTOR_PACKAGER_CACHE_DIR``, else
``$XDG_CACHE_HOME/connector-packager``, else ``~/.cache/connector-packager``;
``CONNECTOR_PACKAGER_NO_CACHE=1`` turns it off. It never fails a run: an
entry that cannot be read is a miss, one that cannot be written is skipped.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import tempfile
from pathlib import Path

from connector_packager import __version__

CACHE_DIR_ENV = "CONNECTOR_PACKAGER_CACHE_DIR"
NO_CACHE_ENV = "CONNECTOR_PACKAGER_NO_CACHE"
FORMAT = 1
#: A verdict is (message, line) pairs; an empty list means valid.
Verdict = list[tuple[str, "int | None"]]


def cache_dir() -> Path | None:
    if os.environ.get(NO_CACHE_ENV, "") not in ("", "0"):
        return None
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "connector-packager"


@functools.cache
def _fingerprint(schema_folder: str) -> bytes:
    """What every verdict depends on besides the document: tool, schema files, xmlschema installation."""
    digest = hashlib.sha256(f"connector-packager {__version__} format {FORMAT}\n".encode())
    for xsd in sorted(Path(schema_folder).glob("*.xsd")):
        digest.update(xsd.name.encode() + b"\0" + xsd.read_bytes() + b"\0")
    spec = importlib.util.find_spec("xmlschema")
    origin = spec.origin if spec is not None else None
    if origin:
        stat = os.stat(origin)
        digest.update(f"{origin}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.digest()


def key(schema_folder: Path, schema_name: str, document: bytes) -> str:
    digest = hashlib.sha256(_fingerprint(str(schema_folder)))
    digest.update(schema_name.encode() + b"\0")
    digest.update(document)
    return digest.hexdigest()


def _entry(folder: Path, entry_key: str) -> Path:
    return folder / entry_key[:2] / f"{entry_key}.json"


def get(entry_key: str) -> Verdict | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        stored = json.loads(_entry(folder, entry_key).read_text(encoding="utf-8"))
        if stored.get("format") != FORMAT:
            return None
        return [(str(message), line if isinstance(line, int) else None) for message, line in stored["violations"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def put(entry_key: str, verdict: Verdict) -> None:
    folder = cache_dir()
    if folder is None:
        return
    target = _entry(folder, entry_key)
    text = json.dumps({"format": FORMAT, "violations": verdict})
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".entry-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, target)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            raise
