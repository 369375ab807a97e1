"""What a new user copies from the repository: the README's Quick start and snippets, action.yml, the licence."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PYTHON, REPO, SAMPLES

README = (REPO / "README.md").read_text(encoding="utf-8")
ACTION: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
DEBIAN_PYTHON = Path("/usr/bin/python3")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".ci-venv", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "packaged-connector"
)


def code_block(after: str, language: str) -> str:
    """The first ``language`` code block of the README after the text ``after``."""
    start = README.index(after)
    match = re.compile(rf"```{language}\n(.*?)```", re.DOTALL).search(README, start)
    assert match, f"no {language} block after {after!r}"
    return match.group(1)


def quick_start() -> list[str]:
    return [line for line in code_block("## Quick start", "sh").splitlines() if line.strip()]


# ------------------------------------------------------------ Quick start and .ci/run


def test_quick_start_is_two_commands_that_never_use_the_system_pip() -> None:
    commands = quick_start()
    assert len(commands) == 2
    for command in commands:
        steps = [step.strip() for step in command.split("&&")]
        assert steps[0] == "python3 -m venv .venv"  # PEP 668: a virtual environment, created if missing
        assert all(step.startswith(".venv/bin/") for step in steps[1:]), command


def test_ci_runs_the_second_quick_start_command_as_written() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert quick_start()[1] in script


def is_externally_managed(python: Path) -> bool:
    if not python.is_file():
        return False
    proc = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"], capture_output=True, text=True
    )
    return proc.returncode == 0 and (Path(proc.stdout.strip()) / "EXTERNALLY-MANAGED").is_file()


@pytest.mark.slow
@pytest.mark.skipif(
    not is_externally_managed(DEBIAN_PYTHON),
    reason="needs Debian's system python3, marked externally managed (PEP 668)",
)
def test_first_quick_start_command_works_with_an_externally_managed_python(tmp_path: Path) -> None:
    """The first command, as written, in a clean copy, with Debian's python3 (which refuses a bare pip install)
    as the only python3 on PATH."""
    refused = subprocess.run(
        [str(DEBIAN_PYTHON), "-m", "pip", "install", "--dry-run", "click"], capture_output=True, text=True
    )
    assert refused.returncode != 0 and "externally-managed-environment" in refused.stderr + refused.stdout
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO, checkout, ignore=COPY_IGNORE)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))},
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    proc = subprocess.run(
        ["bash", "-ec", quick_start()[0]], cwd=checkout, env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (checkout / "packaged-connector" / "acme_odbc-v1.2.0.taco").is_file()


# ------------------------------------------------------------ pre-commit and GitHub Action pins


def pins() -> list[str]:
    hook = yaml.safe_load(code_block("### pre-commit", "yaml"))["repos"][0]["rev"]
    uses = next(
        step["uses"]
        for step in yaml.safe_load(code_block("### GitHub Actions", "yaml"))
        if "uses" in step and "connector-packager" in step["uses"]
    )
    return [str(hook), uses.split("@", 1)[1]]


def git(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)


needs_git_history = pytest.mark.skipif(
    git("rev-parse", "--git-dir").returncode != 0, reason="needs the repository's git history"
)


@needs_git_history
def test_the_pins_name_a_commit_of_this_repository_that_has_the_hook_and_the_action() -> None:
    for rev in pins():
        assert rev != "v0.1.0"
        assert git("cat-file", "-e", f"{rev}^{{commit}}").returncode == 0, f"{rev} is not a commit here"
        assert git("merge-base", "--is-ancestor", rev, "HEAD").returncode == 0, f"{rev} is not in HEAD's history"
        hooks = yaml.safe_load(git("show", f"{rev}:.pre-commit-hooks.yaml").stdout)
        assert any(hook["id"] == "connector-packager-validate" for hook in hooks)
        assert git("cat-file", "-e", f"{rev}:action.yml").returncode == 0


@pytest.mark.slow
@needs_git_history
def test_the_pre_commit_snippet_runs_as_written(tmp_path: Path) -> None:
    """The README's .pre-commit-config.yaml with only the repository URL replaced by a local clone, run by the
    real pre-commit (which checks out `rev` and installs it)."""
    clone = tmp_path / "clone"
    assert git("clone", "--quiet", str(REPO), str(clone), cwd=tmp_path).returncode == 0
    config = code_block("### pre-commit", "yaml")
    config = re.sub(r"repo: \S+", f"repo: {clone}", config, count=1)
    project = tmp_path / "project"
    shutil.copytree(SAMPLES / "acme_jdbc", project / "connectors" / "acme")
    (project / ".pre-commit-config.yaml").write_text(config)
    env = {
        **GIT_ENV,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "HOME": str(tmp_path),
        "PATH": str(Path(PYTHON).parent) + ":/usr/bin:/bin",
    }
    for args in (["init", "-q"], ["add", "."]):
        assert git(*args, cwd=project, env=env).returncode == 0
    run = [PYTHON, "-m", "pre_commit", "run", "--all-files"]
    ok = subprocess.run(run, cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Passed" in ok.stdout
    fields = project / "connectors" / "acme" / "connectionFields.xml"
    fields.write_text(fields.read_text().replace('name="port"', 'name="portnumber"'))
    bad = subprocess.run(run, cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert bad.returncode == 1 and "field name 'portnumber' is not allowed" in bad.stdout


# ------------------------------------------------------------ action.yml


def run_steps() -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in ACTION["runs"]["steps"] if "run" in step}


def test_no_expression_is_pasted_into_a_shell_script() -> None:
    """GitHub substitutes ${{ ... }} into the script text before bash reads it: an input holding $(...) would
    run. Inputs must arrive as environment variables."""
    steps = run_steps()
    assert steps
    for name, step in steps.items():
        assert "${{" not in step["run"], name
    uses_inputs = [step for step in steps.values() if any("inputs." in str(v) for v in step.get("env", {}).values())]
    assert len(uses_inputs) == 2  # validate and package


@pytest.mark.parametrize("hostile", ["acme $(touch PWNED)", "acme `touch PWNED`", 'acme"; touch PWNED; "'])
def test_the_package_step_takes_its_taco_from_the_report_and_runs_no_input(tmp_path: Path, hostile: str) -> None:
    """The validate and package steps, run by bash as the runner would, with a connector folder whose name is a
    shell injection and a stale .taco in the destination that sorts first."""
    connector = tmp_path / "work" / hostile
    shutil.copytree(SAMPLES / "acme_odbc", connector)
    dest = tmp_path / "work" / "dest"
    dest.mkdir()
    (dest / "aaa-stale-v0.taco").write_bytes(b"old")
    output = tmp_path / "github_output"
    inputs = {"connector": str(connector), "dest": str(dest)}
    base_env = {
        **os.environ,
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    for name in ("Validate (annotations on the pull request)", "Package"):
        step = run_steps()[name]
        env = dict(base_env)
        for key, value in step.get("env", {}).items():
            match = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", str(value))
            assert match, value
            env[key] = inputs[match.group(1)]
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=tmp_path / "work",
            env=env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not list(tmp_path.rglob("PWNED"))
    assert output.read_text().splitlines() == [f"taco={dest / 'acme_odbc-v1.2.0.taco'}"]


# ------------------------------------------------------------ licence


def test_the_licence_is_mit_in_spdx_form() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    licence = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License\n\nCopyright (c) 2026 the connector-packager authors\n")
    # setuptools reads the SPDX string form from version 77 on
    (requirement,) = [r for r in project["build-system"]["requires"] if r.startswith("setuptools")]
    assert int(requirement.split(">=")[1].split(".")[0]) >= 77


# ------------------------------------------------------------ the README itself


def test_readme_tables_have_no_blank_line_inside() -> None:
    """A blank line ends a Markdown table: the rows after it render as raw text."""
    lines = README.splitlines()
    for i in range(1, len(lines) - 1):
        inside = lines[i - 1].startswith("|") and lines[i + 1].startswith("|") and not lines[i].strip()
        assert not inside or lines[i + 1].startswith("|---") or lines[i + 2].startswith("|---"), (
            f"README.md line {i + 1}: a blank line splits a table"
        )


def test_readme_names_tableaus_log_file_in_the_differences() -> None:
    from connector_packager.logsetup import LOG_FILE_NAME

    differences = README.split("## Differences from Tableau's packager", 1)[1].split("\n## ", 1)[0]
    assert LOG_FILE_NAME in differences and "packaging_logs.txt" in differences
