"""The exit-code contract of every command (the README's table): 0 success; 1 the input was checked and fails;
2 the tool could not do the job (usage error, input missing or unreadable, output or log not writable); 130
interrupted. Faults are real: permission errors come from a process without the capabilities that let root read
anything (``setpriv``), Ctrl-C is a real SIGINT to a real process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import PYTHON, SAMPLES

CLI = [PYTHON, "-m", "connector_packager"]
PASSWORD_ENV = "EXIT_CODE_TEST_PASSWORD"


def run(*args: str | Path, unprivileged: bool = False, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command line as a real process; with ``unprivileged`` without the power to bypass file permissions."""
    command = [*CLI, *map(str, args)]
    if unprivileged:
        command = [*without_dac_override(), *command]
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, PASSWORD_ENV: "secret-password", "NO_COLOR": "1"},
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def without_dac_override() -> list[str]:
    """The prefix that runs a command so that file permissions hold for it. Root reads and writes any file
    whatever its mode; ``setpriv`` takes away the two capabilities that allow it (the process stays root, so the
    virtual environment and the sources stay readable). Nothing is needed for another user."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a permission error cannot be made real")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"]


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Callable[[Path], Path]]:
    """Take the execute (search) permission from folders, and give it back after the test."""
    folders: list[Path] = []

    def lock(folder: Path) -> Path:
        folder.chmod(0o600)
        folders.append(folder)
        return folder

    yield lock
    for folder in folders:
        folder.chmod(0o755)


def said(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


# ------------------------------------------------------------ 2: an input that cannot be read


def test_a_referenced_file_in_a_folder_without_execute_permission(
    make_connector: Callable[..., Path], locked: Callable[[Path], Path], tmp_path: Path
) -> None:
    folder = make_connector({"scripts/builder.js": "(function (attr) { return ['jdbc:tiny://']; })\n"})
    tdr = (folder / "resolver.tdr").read_text().replace('"builder.js"', '"scripts/builder.js"')
    (folder / "resolver.tdr").write_text(tdr)
    assert run("validate", folder).returncode == 0  # readable, it passes
    locked(folder / "scripts")
    for command in (
        ["validate", folder],
        ["package", folder, "-d", tmp_path / "out", "-l", tmp_path],
        ["package", folder, "--validate-only", "-l", tmp_path],
        ["connection-string", folder],
        ["preview", folder, "-o", tmp_path / "page.html"],
    ):
        proc = run(*command, unprivileged=True)
        assert proc.returncode == 2, (command, said(proc))
        assert "scripts/builder.js cannot be read: Permission denied" in said(proc), command
        assert "hint: check the permissions" in said(proc), command
    assert not (tmp_path / "out").exists() and not (tmp_path / "page.html").exists()


def test_a_connector_folder_that_cannot_be_searched(
    make_connector: Callable[..., Path], locked: Callable[[Path], Path], tmp_path: Path
) -> None:
    folder = locked(make_connector())
    for command in (["validate", folder], ["package", folder, "-d", tmp_path / "out", "-l", tmp_path]):
        proc = run(*command, unprivileged=True)
        assert proc.returncode == 2, said(proc)
        assert "Permission denied" in said(proc) and str(folder) in said(proc)


def test_a_taco_that_cannot_be_read(unsigned_taco: Path, locked: Callable[[Path], Path], tmp_path: Path) -> None:
    locked(unsigned_taco.parent)
    commands = [
        ["inspect", unsigned_taco],
        ["verify", unsigned_taco],
        ["install", unsigned_taco, "--dry-run", "--dest", tmp_path / "installed"],
        [
            "sign",
            unsigned_taco,
            "--alias",
            "a",
            "--key",
            SAMPLES / "missing.key",
            "--cert-chain",
            SAMPLES / "missing.pem",
            "--no-timestamp",
        ],
    ]
    for command in commands:
        proc = run(*command, unprivileged=True)
        assert proc.returncode == 2, (command, said(proc))
        assert "Permission denied" in said(proc) or "does not exist" in said(proc), command


def test_a_trex_that_is_a_pipe_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "extension.trex"
    os.mkfifo(fifo)
    started = time.monotonic()
    proc = run("validate", fifo)
    assert proc.returncode == 2
    assert "not a regular file" in said(proc)
    assert time.monotonic() - started < 60  # reading it would have blocked for ever


@pytest.mark.parametrize(
    "command",
    [
        ["package", "{missing}"],
        ["validate", "{missing}"],
        ["inspect", "{missing}.taco"],
        ["verify", "{missing}.taco"],
        ["install", "{missing}.taco", "--dry-run", "--dest", "{missing}-installed"],
        ["connection-string", "{missing}"],
        ["preview", "{missing}"],
        [
            "sign",
            "{missing}.taco",
            "--alias",
            "a",
            "--keystore",
            "{missing}.p12",
            "--storepass-env",
            PASSWORD_ENV,
            "--no-timestamp",
        ],
        ["csr", "--alias", "a", "--keystore", "{missing}.p12", "--storepass-env", PASSWORD_ENV],
        ["export-cert", "--alias", "a", "--keystore", "{missing}.p12", "--storepass-env", PASSWORD_ENV],
        [
            "import-cert",
            "{missing}.pem",
            "--alias",
            "a",
            "--keystore",
            "{missing}.p12",
            "--storepass-env",
            PASSWORD_ENV,
        ],
    ],
)
def test_a_missing_input_is_exit_2_with_its_path(command: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such"
    proc = run(*[part.format(missing=missing) for part in command], cwd=tmp_path)
    assert proc.returncode == 2, said(proc)
    assert str(missing) in said(proc)


# ------------------------------------------------------------ 2: an output or log that cannot be written


def test_a_log_folder_that_cannot_be_written(locked: Callable[[Path], Path], tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    logs.chmod(0o555)
    try:
        proc = run("package", SAMPLES / "acme_odbc", "--validate-only", "-l", logs, unprivileged=True)
    finally:
        logs.chmod(0o755)
    assert proc.returncode == 2, said(proc)
    assert f"cannot write the log file {logs / 'packaging_log.txt'}: Permission denied" in said(proc)
    assert "hint: give -l/--log a folder you can write to" in said(proc)


def test_a_log_path_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "logs" / "packaging_log.txt").mkdir(parents=True)
    proc = run("package", SAMPLES / "acme_odbc", "-d", tmp_path / "out", "-l", tmp_path / "logs")
    assert proc.returncode == 2, said(proc)
    assert f"cannot write the log file {tmp_path / 'logs' / 'packaging_log.txt'}: Is a directory" in said(proc)
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, a device whose writes always fail")
def test_a_log_file_on_a_full_disk(tmp_path: Path) -> None:
    # /dev/full fails every write with ENOSPC: the log file is a link to it.
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "packaging_log.txt").symlink_to("/dev/full")
    proc = run("package", SAMPLES / "acme_odbc", "-d", tmp_path / "out", "-l", tmp_path / "logs")
    assert proc.returncode == 2, said(proc)
    assert "cannot write the log file" in said(proc) and "No space left on device" in said(proc)
    assert said(proc).count("No space left on device") == 1  # one message, not one per line logged
    assert not (tmp_path / "out").exists()


def test_outputs_that_cannot_be_written(unsigned_taco: Path, tmp_path: Path) -> None:
    out = tmp_path / "readonly"
    out.mkdir()
    out.chmod(0o555)
    try:
        package = run("package", SAMPLES / "acme_odbc", "-d", out, "-l", tmp_path, unprivileged=True)
        preview = run("preview", SAMPLES / "acme_odbc", "-o", out / "page.html", unprivileged=True)
    finally:
        out.chmod(0o755)
    for proc in (package, preview):
        assert proc.returncode == 2, said(proc)
        assert "Permission denied" in said(proc) and str(out) in said(proc)
    assert list(out.iterdir()) == []


# ------------------------------------------------------------ 2: usage errors; 1: checked and fails; 0


@pytest.mark.parametrize(
    "command",
    [
        "package",
        "validate",
        "inspect",
        "sign",
        "verify",
        "csr",
        "import-cert",
        "export-cert",
        "install",
        "connection-string",
        "preview",
        "key new",
    ],
)
def test_a_usage_error_is_exit_2(command: str) -> None:
    proc = run(*command.split(), "--no-such-option")
    assert proc.returncode == 2
    assert "No such option" in proc.stderr


def test_checked_and_failing_is_exit_1_and_passing_is_exit_0(
    make_connector: Callable[..., Path], unsigned_taco: Path, tmp_path: Path
) -> None:
    broken = make_connector({"dialect.tdd": "<dialect/>"})
    junk = tmp_path / "junk.taco"
    junk.write_bytes(b"not a zip")
    failing = [
        ["validate", broken],
        ["package", broken, "-d", tmp_path / "out", "-l", tmp_path],
        ["connection-string", broken],
        ["preview", broken, "-o", tmp_path / "page.html"],
        ["inspect", junk],
        ["verify", unsigned_taco],
        ["install", unsigned_taco, "--dry-run", "--dest", tmp_path / "installed"],
    ]
    for command in failing:
        proc = run(*command)
        assert proc.returncode == 1, (command, said(proc))
    passing = [
        ["validate", SAMPLES / "acme_odbc"],
        ["inspect", unsigned_taco],
        ["package", SAMPLES / "acme_odbc", "-d", tmp_path / "out", "-l", tmp_path],
    ]
    for command in passing:
        proc = run(*command)
        assert proc.returncode == 0, (command, said(proc))


# ------------------------------------------------------------ 130: Ctrl-C


def test_ctrl_c_during_validate_is_exit_130(tmp_path: Path) -> None:
    # Connectors whose builder script loops at its top level: the script check stops each after its time limit, so
    # validating them takes far longer than the wait before SIGINT, however fast the machine is.
    for index in range(30):
        copy = shutil.copytree(SAMPLES / "acme_jdbc", tmp_path / "many" / f"c{index:03}")
        (copy / "connectionBuilder.js").write_text("while (true) {}\n")
    proc = subprocess.Popen(
        [*CLI, "validate", "--recursive", str(tmp_path / "many")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    time.sleep(3)
    assert proc.poll() is None, "validate finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "Interrupted" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "some.taco"],
        ["validate", "folder"],
        ["package", "folder"],
        ["key", "new", "--alias", "a", "--keystore", "k.p12"],
    ],
)
def test_ctrl_c_while_the_arguments_are_read_is_exit_130(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    """Arguments are read in a split second, too short to hit with a real SIGINT: the interrupt is raised from the
    conversion of a path argument (a fault that cannot be timed for real), for the group and for a subcommand."""
    import click
    from click.testing import CliRunner

    from connector_packager.cli import main

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(click.Path, "convert", interrupted)
    monkeypatch.setattr(click.Choice, "convert", interrupted)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 130, result.output
    assert "Interrupted" in result.output and "Aborted" not in result.output
