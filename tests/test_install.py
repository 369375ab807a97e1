"""The package works as a regular wheel install: schemas bundled, runnable from anywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import PYTHON, REPO, SAMPLES


@pytest.fixture(scope="module")
def wheel_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build a wheel from a clean copy of the working tree (no stale build/ or egg-info to hide a missing
    package) and unpack it into a folder of its own."""
    out = tmp_path_factory.mktemp("wheel")
    source = out / "source"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".ci-venv", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "packaged-connector"
        ),
    )
    subprocess.run(
        [PYTHON, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    [wheel] = list(out.glob("connector_packager-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "connector_packager/xsd/tdd_latest.xsd" in names
    assert "connector_packager/xsd/common.xsd" in names
    assert "connector_packager/xsd/extension_manifest.xsd" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)  # the SPDX licence ships its text
    shipped = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    in_tree = {str(p.parent.relative_to(REPO)) for p in (REPO / "connector_packager").rglob("__init__.py")}
    assert in_tree <= shipped, f"subpackages missing from the wheel: {sorted(in_tree - shipped)}"
    target = out / "site"
    subprocess.run(
        [PYTHON, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    return target


@pytest.mark.slow
def test_wheel_install_packages_a_sample_from_another_directory(wheel_install: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(wheel_install)}
    where = subprocess.run(
        [PYTHON, "-c", "import connector_packager.schemas as s; print(s.__file__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(wheel_install))
    proc = subprocess.run(
        [PYTHON, "-m", "connector_packager.package", str(SAMPLES / "acme_odbc"), "-d", "out"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "acme_odbc-v1.2.0.taco").is_file()
    trex = subprocess.run(
        [PYTHON, "-m", "connector_packager", "validate", "--recursive", str(SAMPLES / "extensions")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert trex.returncode == 0, trex.stderr + trex.stdout


@pytest.mark.slow
def test_quick_start_from_the_repository_root_with_a_regular_install(wheel_install: Path, tmp_path: Path) -> None:
    """``pip install . && python -m connector_packager.package samples/acme_odbc`` from the checkout: Python then
    imports the checkout's own ``connector_packager`` folder, which must still find the schemas in ``xsd/``.
    ``-S`` keeps the test environment's editable-install hook out, as on a machine with a regular install."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(wheel_install), sysconfig.get_paths()["purelib"]])}
    proc = subprocess.run(
        [
            PYTHON,
            "-S",
            "-m",
            "connector_packager.package",
            "samples/acme_odbc",
            "-d",
            str(tmp_path / "out"),
            "-l",
            str(tmp_path),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "acme_odbc-v1.2.0.taco").is_file()
