"""Property: whatever is done to a sample connector's files, the tool ends with exit 0 or 1 and a verdict,
never a traceback."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector_packager.cli import package_command
from tests.conftest import SAMPLE_CONNECTORS, SAMPLES

TAG = re.compile(rb"<([A-Za-z][\w.-]*)[^<>]*?(/>|>.*?</\1>)", re.DOTALL)
ATTR = re.compile(rb'\s[\w:-]+="[^"]*"')


def _mutate(data: bytes, kind: str, pick: int, junk: bytes) -> bytes:
    if kind == "truncate":
        return data[: pick % (len(data) + 1)]
    if kind == "inject":
        at = pick % (len(data) + 1)
        return data[:at] + junk + data[at:]
    pattern = TAG if kind.endswith("element") else ATTR
    matches = list(pattern.finditer(data))
    if not matches:
        return data
    m = matches[pick % len(matches)]
    if kind.startswith("delete"):
        return data[: m.start()] + data[m.end():]
    if kind.startswith("duplicate"):
        return data[: m.end()] + m.group(0) + data[m.end():]
    # rename: change the first character of the name (after '<' or the leading space)
    start = m.start() + 1
    return data[:start] + b"z" + data[start + 1:]


mutation = st.tuples(
    st.sampled_from(["delete-element", "duplicate-element", "rename-element", "delete-attribute",
                     "duplicate-attribute", "rename-attribute", "truncate", "inject"]),
    st.integers(min_value=0, max_value=10_000),
    st.binary(min_size=1, max_size=16),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=st.sampled_from(SAMPLE_CONNECTORS), file_pick=st.integers(min_value=0, max_value=100),
       mutations=st.lists(mutation, min_size=1, max_size=3), validate_only=st.booleans())
def test_mutated_connectors_never_crash(sample: str, file_pick: int, mutations: list[tuple[str, int, bytes]],
                                        validate_only: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / sample
        shutil.copytree(SAMPLES / sample, folder)
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        target = files[file_pick % len(files)]
        data = target.read_bytes()
        for kind, pick, junk in mutations:
            data = _mutate(data, kind, pick, junk)
        target.write_bytes(data)
        args = [str(folder), "-d", str(work / "dest"), "-l", str(work)]
        result = CliRunner().invoke(package_command, args + (["--validate-only"] if validate_only else []))
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Validation succeeded." in result.output or "Validation failed." in result.output
        written = sorted(p.name for p in (work / "dest").glob("*")) if (work / "dest").exists() else []
        assert len(written) == (1 if result.exit_code == 0 and not validate_only else 0), written
        assert all(name.endswith(".taco") for name in written)
