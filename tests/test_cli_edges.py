"""The command line at its edges: pasted dashes, option mix-ups, colour, Ctrl-C, help, many connectors at once."""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from connector_packager import __version__
from connector_packager.cli import LAZY_COMMANDS, SIGNING_PARAMS, main, package_command, sign_command
from connector_packager.cli_command import DASH_LOOKALIKES
from tests.conftest import BASE_FILES, PYTHON, SAMPLES
from tests.pki import Pki

MODULE = [PYTHON, "-m", "connector_packager.package"]


def options_of(command: click.Command) -> list[str]:
    ctx = click.Context(command, help_option_names=["-h", "--help"])
    return [opt for p in command.get_params(ctx) if isinstance(p, click.Option) for opt in p.opts]


def every_command() -> list[click.Command]:
    """Every command of the group, those imported lazily included."""
    with click.Context(main) as ctx:
        found = [main.get_command(ctx, name) for name in main.list_commands(ctx)]
    return [command for command in found if command is not None]


# ------------------------------------------------------------ dashes pasted from a web page


@pytest.mark.parametrize("command", every_command(), ids=lambda c: c.name)
@pytest.mark.parametrize("dash", ["\u2013", "\u2014"])
def test_every_option_typed_with_a_dash_lookalike_is_named(command: click.Command, dash: str) -> None:
    """Tableau's signing guide shows an option with an en dash (U+2013): whatever option is meant, it is named."""
    for option in options_of(command):
        pasted = dash + option.lstrip("-")
        args = [pasted, "x"] if command is not package_command else ["x", pasted]
        result = CliRunner().invoke(command, args)
        assert result.exit_code == 2, (option, result.output)
        assert f"did you mean {option}?" in result.output, result.output
        assert "unexpected extra argument" not in result.output


def test_the_top_level_options_typed_with_a_dash_lookalike() -> None:
    for typed, meant in (("\u2013V", "-V"), ("\u2014version", "--version"), ("\u2013h", "-h")):
        result = CliRunner().invoke(main, [typed])
        assert result.exit_code == 2
        assert f"did you mean {meant}?" in result.output


def test_a_lookalike_dash_before_a_misspelt_option_suggests_the_closest(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", "\u2014recursiv", str(tmp_path)])
    assert result.exit_code == 2
    assert "did you mean --recursive?" in result.output


def test_a_lookalike_dash_with_a_value_keeps_it() -> None:
    result = CliRunner().invoke(package_command, ["x", "\u2013\u2013dest=out"])
    assert "did you mean --dest=out?" in result.output


def test_every_lookalike_is_caught_and_a_real_subprocess_says_so() -> None:
    for dash in DASH_LOOKALIKES:
        proc = subprocess.run([*MODULE, f"{dash}v", str(SAMPLES / "acme_odbc")], capture_output=True, text=True)
        assert proc.returncode == 2
        assert "did you mean -v?" in proc.stderr, proc.stderr


def test_after_a_double_dash_lookalikes_are_arguments(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", "--", str(tmp_path / "\u2013v")])
    assert result.exit_code == 2  # a missing path, checked as one
    assert "\u2013v does not exist" in result.output
    assert "did you mean" not in result.output


# ------------------------------------------------------------ -l, --version, help


@pytest.mark.parametrize("name", ["mylog.txt", "packaging_log.txt", "run.log"])
def test_a_log_option_that_looks_like_a_file_warns(tmp_path: Path, name: str) -> None:
    result = CliRunner().invoke(
        package_command, [str(SAMPLES / "acme_odbc"), "--validate-only", "-l", str(tmp_path / name)]
    )
    assert result.exit_code == 0
    assert "-l/--log takes a folder" in result.stderr
    assert (tmp_path / name / "packaging_log.txt").is_file()


def test_a_log_folder_without_a_suffix_does_not_warn(tmp_path: Path) -> None:
    for folder in (tmp_path / "logs", tmp_path / "logs"):  # missing, then existing
        result = CliRunner().invoke(package_command, [str(SAMPLES / "acme_odbc"), "--validate-only", "-l", str(folder)])
        assert result.exit_code == 0
        assert "takes a folder" not in result.stderr


def test_the_module_answers_version() -> None:
    proc = subprocess.run([*MODULE, "--version"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"connector-packager, version {__version__}"


def help_sections(text: str) -> dict[str, list[str]]:
    """Each heading of a help text with the options listed under it."""
    sections: dict[str, list[str]] = {}
    heading = ""
    for line in text.splitlines():
        if line and not line.startswith(" "):
            heading = line.rstrip(":")
            sections[heading] = []
        elif line.startswith("  -"):
            sections[heading].extend(opt.rstrip(",") for opt in line.split()[:2] if opt.startswith("-"))
    return sections


def test_package_help_lists_the_signing_options_under_their_own_heading() -> None:
    result = CliRunner().invoke(package_command, ["--help"], terminal_width=80)
    sections = help_sections(result.output)
    signing = next(items for heading, items in sections.items() if heading.startswith("Signing options"))
    sign_options = {
        opt for opt in options_of(sign_command) if opt not in ("-o", "--output", "--format", "-h", "--help")
    }
    assert set(signing) == sign_options  # exactly the options `sign` has for the key and the timestamp
    assert not set(signing) & set(sections["Options"])
    assert {"-v", "--dest", "--strict", "--version", "--help"} <= set(sections["Options"])
    params = {p.name for p in package_command.params}
    assert set(SIGNING_PARAMS) <= params


@pytest.mark.parametrize("width", [60, 80, 100])
def test_top_level_help_gives_each_command_its_whole_description(width: int) -> None:
    result = CliRunner().invoke(main, ["--help"], terminal_width=width)
    commands = result.output.split("Commands:\n", 1)[1]
    assert "..." not in commands
    flat = "".join(commands.split())  # wrapping may break a line at a space or after a hyphen
    with click.Context(main) as ctx:
        names = main.list_commands(ctx)
        assert set(LAZY_COMMANDS) < set(names)
        for name in names:
            command = main.get_command(ctx, name)
            assert command is not None and command.name == name
            first = "".join((command.help or "").split("\n\n")[0].split())
            assert f"{name}{first}" in flat


def test_help_imports_no_command_module_and_nothing_heavy() -> None:
    """``--help`` (and every command's start-up) loads the command line's own small modules only: the other
    commands' modules, lxml, cryptography, logging and the script engine are imported when a command needs them."""
    probe = (
        "import sys\nfrom connector_packager.cli import main\ntry:\n    main(['--help'])\n"
        "except SystemExit:\n    pass\nprint(' '.join(sorted(sys.modules)))"
    )
    loaded = set(
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    )
    ours = {m for m in loaded if m.startswith("connector_packager")}
    assert ours == {
        "connector_packager",
        "connector_packager.cli",
        "connector_packager.cli_command",
        "connector_packager.cli_common",
        "connector_packager.errors",
        "connector_packager.formats",
    }
    assert not loaded & {"logging", "lxml", "cryptography", "quickjs", "tree_sitter", "xmlschema"}


# ------------------------------------------------------------ colour


def coloured(env: dict[str, str], folder: Path) -> bool:
    """Run a failing package at a real terminal (a pty) and say whether the console had colour codes."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [*MODULE, str(folder), "--validate-only", "-l", str(folder.parent)],
            stdin=follower,
            stdout=subprocess.DEVNULL,
            stderr=follower,
            env=env,
            timeout=60,
        )
        assert proc.returncode == 1
        os.set_blocking(leader, False)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
        os.close(follower)
    assert b"Validation failed" in output
    return b"\x1b[" in output


def test_an_empty_no_color_leaves_colour_on(make_connector: Callable[..., Path]) -> None:
    folder = make_connector({"builder.js": None})
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    assert coloured(base, folder)
    assert coloured({**base, "NO_COLOR": ""}, folder)
    assert not coloured({**base, "NO_COLOR": "1"}, folder)
    assert coloured({**base, "NO_COLOR": "1", "FORCE_COLOR": "1"}, folder)
    assert not coloured({**base, "NO_COLOR": "1", "FORCE_COLOR": ""}, folder)


# ------------------------------------------------------------ Ctrl-C


@pytest.fixture
def silent_tsa() -> Iterator[tuple[str, socket.socket]]:
    """A 'timestamp authority' that accepts connections and never answers: a run signing with it waits."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(60)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/", server
    server.close()


@pytest.mark.parametrize("existing", [False, True])
def test_ctrl_c_while_packaging_takes_back_the_destination_folder_it_made(
    tmp_path: Path, pki: Pki, silent_tsa: tuple[str, socket.socket], existing: bool
) -> None:
    url, server = silent_tsa
    key, chain = pki.write_pem(pki.codesign, "ctrlc")
    dest = tmp_path / "made" / "by" / "run"
    if existing:
        dest.mkdir(parents=True)
    proc = subprocess.Popen(
        [
            *MODULE,
            str(SAMPLES / "acme_odbc"),
            "-d",
            str(dest),
            "-l",
            str(tmp_path),
            "--key",
            str(key),
            "--cert-chain",
            str(chain),
            "--alias",
            "author",
            "--tsa",
            url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        connection, _ = server.accept()  # the run is now waiting for the timestamp, the .taco being written
        assert dest.is_dir()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        connection.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert "Interrupted" in stderr and "Traceback" not in stderr
    if existing:
        assert dest.is_dir() and list(dest.iterdir()) == []  # a folder it did not make stays
    else:
        assert not (tmp_path / "made").exists()  # every folder it made is taken back


def test_a_folder_made_by_the_run_that_is_not_empty_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_connector: Callable[..., Path]
) -> None:
    """The fault (an interrupt at a precise moment) is injected where the archive is written; something else
    put a file in the new folder meanwhile, so it is kept."""
    import connector_packager.packaging as packaging

    dest = tmp_path / "out"

    def interrupted(target: Path, *args: object) -> None:
        (dest / "someone-elses.txt").write_text("keep me")
        raise KeyboardInterrupt

    monkeypatch.setattr(packaging, "write_taco", interrupted)
    result = CliRunner().invoke(package_command, [str(make_connector()), "-d", str(dest), "-l", str(tmp_path)])
    assert result.exit_code == 130
    assert (dest / "someone-elses.txt").read_text() == "keep me"


# ------------------------------------------------------------ many connectors at once


@pytest.fixture
def mixed(tmp_path: Path, make_connector: Callable[..., Path]) -> Path:
    """A tree with passing connectors, one with a warning, failing ones and .trex files."""
    root = tmp_path / "repo"
    for name in ("acme_jdbc", "acme_odbc", "acme_oauth", "extensions"):
        shutil.copytree(SAMPLES / name, root / name)
    for i in range(3):
        broken = make_connector({"builder.js": None})
        shutil.move(broken, root / f"broken{i}")
    warned = make_connector(
        {"dialect.tdd": BASE_FILES["dialect.tdd"].replace("PostgreSQL90Dialect", "DefaultSQLDialect")}
    )
    shutil.move(warned, root / "warned")
    return root


def validate(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args], env=env)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout


def test_quiet_shows_only_failures_and_the_totals(mixed: Path) -> None:
    code, full = validate("-r", str(mixed))
    qcode, quiet = validate("-r", "--quiet", str(mixed))
    assert code == qcode == 1
    rows = [line for line in quiet.splitlines() if line.startswith(("ok ", "FAIL "))]
    assert len(rows) == 3 and all(row.startswith("FAIL ") for row in rows)
    assert quiet.splitlines()[-1] == full.splitlines()[-1]
    assert "DefaultSQLDialect" in full and "DefaultSQLDialect" not in quiet  # a passing connector's warning
    _, all_good = validate("-r", "-q", str(SAMPLES))
    assert all_good.splitlines() == [all_good.splitlines()[-1]]


def test_the_summary_counts_connectors_trex_files_errors_and_warnings(mixed: Path) -> None:
    _, out = validate("-r", str(mixed), "--format", "json")
    report = json.loads(out)["results"]
    connectors = sum(1 for r in report if r["kind"] == "connector")
    errors = sum(r["errors"] for r in report)
    warnings = sum(r["warnings"] for r in report)
    failed = sum(1 for r in report if not r["ok"])
    _, text = validate("-r", str(mixed))
    assert text.splitlines()[-1] == (
        f"{len(report)} checked, {failed} failed ({connectors} connectors, "
        f"{len(report) - connectors} .trex files; {errors} errors, 1 warning)"
    )
    assert (connectors, failed, warnings) == (7, 3, 1)


def test_strict_fails_on_warnings_in_validate_and_package(mixed: Path, tmp_path: Path) -> None:
    warned = mixed / "warned"
    assert validate(str(warned))[0] == 0
    code, out = validate("--strict", str(warned))
    assert code == 1 and out.splitlines()[-2].startswith("FAIL")
    assert validate("--strict", "-r", str(SAMPLES))[0] == 0  # no warnings, nothing fails
    run = CliRunner().invoke(package_command, [str(warned), "-d", str(tmp_path / "out"), "-l", str(tmp_path)])
    assert run.exit_code == 0 and (tmp_path / "out").is_dir()
    strict = CliRunner().invoke(
        package_command, [str(warned), "--strict", "-d", str(tmp_path / "strict"), "-l", str(tmp_path)]
    )
    assert strict.exit_code == 1
    assert "--strict" in strict.stderr and "Validation failed." in strict.stderr
    assert not (tmp_path / "strict").exists()
    trex = CliRunner().invoke(
        package_command,
        [str(SAMPLES / "extensions" / "kpi-tiles.trex"), "--validate-only", "--strict", "-l", str(tmp_path)],
    )
    assert trex.exit_code == 0


def test_a_single_passing_trex_says_so_in_one_line() -> None:
    trex = SAMPLES / "extensions" / "kpi-tiles.trex"
    code, out = validate(str(trex))
    assert code == 0
    assert out.splitlines() == [f"{trex}: ok (0 errors, 0 warnings)"]


def test_a_single_failing_trex_ends_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.trex"
    bad.write_text("<manifest/>")
    code, out = validate(str(bad))
    assert code == 1
    assert out.splitlines()[-1].startswith(f"{bad}: FAIL (")


@pytest.mark.parametrize("workspace", ["env", "cwd"])
def test_github_annotations_name_files_relative_to_the_workspace(
    mixed: Path, workspace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    if workspace == "env":
        monkeypatch.setenv("GITHUB_WORKSPACE", str(mixed.parent))
        monkeypatch.chdir(mixed / "extensions")  # elsewhere in the workspace
        target = str(mixed / "broken0")
    else:
        monkeypatch.chdir(mixed.parent)
        target = "repo/broken0"
    code, out = validate(target, "--format", "github")
    assert code == 1
    (line,) = out.splitlines()
    assert "file=repo/broken0/resolver.tdr," in line


def test_github_annotations_outside_the_workspace_stay_absolute(
    mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "workspace"
    elsewhere.mkdir()
    monkeypatch.setenv("GITHUB_WORKSPACE", str(elsewhere))
    _, out = validate(str(mixed / "broken0"), "--format", "github")
    assert f"file={mixed}/broken0/resolver.tdr," in out


def test_only_connector_folders_right_below_are_listed(tmp_path: Path) -> None:
    """Listing the connector sub-folders of a parent looks one level down only (bounded on a big tree)."""
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "manifest.xml").write_text("<x/>")
    code, out = validate(str(tmp_path))
    assert code == 1 and "sub-folders" not in out and "manifest.xml is missing" in out
