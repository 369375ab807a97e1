"""Property: whatever is done to a sample connector's files, the tool ends with exit 0 or 1 and a verdict,
never a traceback."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector_packager.cli import package_command
from tests.conftest import SAMPLE_CONNECTORS, SAMPLES
from tests.mutations import mutate, mutation


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(SAMPLE_CONNECTORS),
    file_pick=st.integers(min_value=0, max_value=100),
    mutations=st.lists(mutation, min_size=1, max_size=3),
    validate_only=st.booleans(),
)
def test_mutated_connectors_never_crash(
    sample: str, file_pick: int, mutations: list[tuple[str, int, bytes]], validate_only: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / sample
        shutil.copytree(SAMPLES / sample, folder)
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        target = files[file_pick % len(files)]
        data = target.read_bytes()
        for kind, pick, junk in mutations:
            data = mutate(data, kind, pick, junk)
        target.write_bytes(data)
        args = [str(folder), "-d", str(work / "dest"), "-l", str(work)]
        result = CliRunner().invoke(package_command, args + (["--validate-only"] if validate_only else []))
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Validation succeeded." in result.output or "Validation failed." in result.output
        written = sorted(p.name for p in (work / "dest").glob("*")) if (work / "dest").exists() else []
        assert len(written) == (1 if result.exit_code == 0 and not validate_only else 0), written
        assert all(name.endswith(".taco") for name in written)
