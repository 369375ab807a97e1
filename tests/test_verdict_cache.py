"""The on-disk cache of schema verdicts: used when nothing changed, never stale, never in the way."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from connector_packager import verdict_cache
from tests.conftest import PYTHON, REPO, SAMPLES


def package(sample: Path, out: Path, cache: Path | None, *,
            importtime: bool = False) -> subprocess.CompletedProcess[str]:
    """A package run with the verdict cache in ``cache`` (None: turned off)."""
    env = {k: v for k, v in os.environ.items() if k not in (verdict_cache.CACHE_DIR_ENV, verdict_cache.NO_CACHE_ENV)}
    env.update({verdict_cache.CACHE_DIR_ENV: str(cache)} if cache else {verdict_cache.NO_CACHE_ENV: "1"})
    args = [PYTHON, *(["-X", "importtime"] if importtime else []), "-m", "connector_packager.package", str(sample),
            "-d", str(out), "-l", str(out)]
    return subprocess.run(args, env=env, capture_output=True, text=True)


def imports_xmlschema(proc: subprocess.CompletedProcess[str]) -> bool:
    return any(line.rstrip().endswith("| xmlschema") for line in proc.stderr.splitlines())


def messages(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if not line.startswith("import time")]


def test_an_unchanged_connector_is_checked_from_the_cache_with_the_same_result(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = package(SAMPLES / "acme_jdbc", tmp_path / "one", cache, importtime=True)
    second = package(SAMPLES / "acme_jdbc", tmp_path / "two", cache, importtime=True)
    assert first.returncode == second.returncode == 0, first.stderr
    assert imports_xmlschema(first) and not imports_xmlschema(second)
    assert [m.replace("/one", "/two") for m in messages(first)] == messages(second)
    [one], [two] = (tmp_path / "one").glob("*.taco"), (tmp_path / "two").glob("*.taco")
    assert one.read_bytes() == two.read_bytes()


def test_a_changed_file_is_validated_again(sample_copy: Callable[[str], Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    connector = sample_copy("acme_odbc")
    assert package(connector, tmp_path / "out", cache).returncode == 0
    dialect = connector / "dialect.tdd"
    dialect.write_text(dialect.read_text().replace("<dialect ", "<dialect unknown-attribute='1' ", 1))
    cached = package(connector, tmp_path / "out", cache)
    uncached = package(connector, tmp_path / "out", None)
    assert cached.returncode == uncached.returncode == 1
    assert "unknown-attribute" in cached.stderr
    assert messages(cached) == messages(uncached)


def test_damaged_or_unwritable_caches_are_ignored(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert package(SAMPLES / "acme_oauth", tmp_path / "out", cache).returncode == 0
    entries = list(cache.rglob("*.json"))
    assert entries
    for entry in entries:
        entry.write_text("{not json")
    damaged = package(SAMPLES / "acme_oauth", tmp_path / "out", cache, importtime=True)
    assert damaged.returncode == 0 and imports_xmlschema(damaged)
    assert all(e.read_text().startswith('{"format": 1') for e in entries)  # rewritten
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    unwritable = package(SAMPLES / "acme_oauth", tmp_path / "out", blocked)
    assert unwritable.returncode == 0, unwritable.stderr
    assert "cache" not in unwritable.stderr.lower()


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in (verdict_cache.CACHE_DIR_ENV, verdict_cache.NO_CACHE_ENV)}
    env.update({"XDG_CACHE_HOME": str(tmp_path / "xdg"), verdict_cache.NO_CACHE_ENV: "1"})
    proc = subprocess.run([PYTHON, "-m", "connector_packager", "validate", str(SAMPLES / "acme_odbc")], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "xdg").exists()
    env.pop(verdict_cache.NO_CACHE_ENV)
    proc = subprocess.run([PYTHON, "-m", "connector_packager", "validate", str(SAMPLES / "acme_odbc")], env=env,
                          capture_output=True, text=True)
    assert list((tmp_path / "xdg" / "connector-packager").rglob("*.json"))


def test_the_key_covers_the_schemas_the_schema_name_and_the_document(tmp_path: Path) -> None:
    schemas = tmp_path / "xsd"
    shutil.copytree(REPO / "xsd", schemas)
    edited = tmp_path / "xsd-edited"
    shutil.copytree(REPO / "xsd", edited)
    tdd = edited / "tdd_latest.xsd"
    tdd.write_text(tdd.read_text() + "\n<!-- changed -->\n")
    base = verdict_cache.key(schemas, "tdd_latest.xsd", b"<dialect/>")
    assert base == verdict_cache.key(schemas, "tdd_latest.xsd", b"<dialect/>")
    assert base != verdict_cache.key(edited, "tdd_latest.xsd", b"<dialect/>")
    assert base != verdict_cache.key(schemas, "tcd_latest.xsd", b"<dialect/>")
    assert base != verdict_cache.key(schemas, "tdd_latest.xsd", b"<dialect />")
