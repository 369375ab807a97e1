"""The layers of pyproject.toml's import-linter contracts: every module is placed, and the contracts hold."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PYTHON, REPO

tomllib = pytest.importorskip("tomllib")  # Python 3.11+


def contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["importlinter"]["contracts"])


def package_modules() -> set[str]:
    """The top-level modules and subpackages of connector_packager."""
    package = REPO / "connector_packager"
    names = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    names |= {p.parent.name for p in package.glob("*/__init__.py")}
    return {f"connector_packager.{name}" for name in names}


def test_every_module_is_either_command_line_or_core() -> None:
    (forbidden,) = [c for c in contracts() if c["type"] == "forbidden"]
    core = set(forbidden["source_modules"])
    command_line = {m for m in forbidden["forbidden_modules"] if m.startswith("connector_packager.")}
    assert not core & command_line
    unplaced = package_modules() - core - command_line - {"connector_packager.xsd"}
    assert not unplaced, f"add these to a list of the forbidden contract in pyproject.toml: {sorted(unplaced)}"
    assert not (core | command_line) - package_modules(), "the contract names modules that no longer exist"


def test_the_command_line_modules_are_the_ones_that_import_click() -> None:
    (forbidden,) = [c for c in contracts() if c["type"] == "forbidden"]
    for module in forbidden["source_modules"]:
        path = REPO / Path(*module.split("."))
        files = list(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
        for file in files:
            text = file.read_text(encoding="utf-8")
            assert "import click" not in text and "from click" not in text, file


def test_lint_imports_passes() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(PYTHON).parent)) or shutil.which("lint-imports")
    if lint_imports is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    proc = subprocess.run(
        [lint_imports],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout
