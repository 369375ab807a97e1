"""Differential checking of ``verify`` against the JDK's ``jarsigner -verify -strict``, under time and memory limits.

Every crafted archive goes through both readers. The rules the suites built on this assert:

- ``verify`` never says Tableau will load an archive that jarsigner refuses (when a JDK is present);
- ``verify`` never ends in a traceback, and its verdict is its last line of standard output;
- each run stays under :data:`CPU_LIMIT` seconds of processor time and :data:`MEMORY_LIMIT_MB` of resident memory,
  measured on the child process itself (``os.wait4``), and is killed after :data:`WALL_LIMIT` seconds.

``verify`` runs in a child process so that a hang or a blow-up fails one test instead of the whole run.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: Processor time one ``verify`` of a crafted archive may use (interpreter start-up included).
CPU_LIMIT = 2.0
#: Wall-clock time after which the child is killed: generous, so that a loaded machine does not fail a test, but a
#: hang (a FIFO, a stalled read) ends.
WALL_LIMIT = 20.0
#: Peak resident memory of the child, interpreter and imports included.
MEMORY_LIMIT_MB = 200
#: Address-space cap set on the child so that a runaway allocation fails fast instead of taking the machine.
_ADDRESS_SPACE_CAP = 4 << 30

LOAD_VERDICT = "Tableau will load this connector"
JAVA_TRUSTPASS = "trustpass"


@dataclass(frozen=True)
class BoundedRun:
    """One child run: exit status (negative: killed by that signal), output, and what it used."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float
    wall_seconds: float
    max_rss_mb: float
    timed_out: bool

    @property
    def last_line(self) -> str:
        lines = self.stdout.rstrip("\n").split("\n")
        return lines[-1] if lines else ""

    @property
    def says_load(self) -> bool:
        return self.returncode == 0 and self.last_line == LOAD_VERDICT

    def describe(self) -> str:
        return (
            f"$ connector-packager {' '.join(self.args)}\nexit {self.returncode}, cpu {self.cpu_seconds:.2f} s, "
            f"wall {self.wall_seconds:.2f} s, rss {self.max_rss_mb:.0f} MB, timed out: {self.timed_out}\n"
            f"--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"
        )

    def assert_bounded(self) -> None:
        """No traceback, no crash, within the limits; a refusal never ends on the load verdict."""
        assert not self.timed_out, self.describe()
        assert self.returncode >= 0, self.describe()  # not killed by a signal
        assert "Traceback (most recent call last)" not in self.stderr + self.stdout, self.describe()
        assert self.returncode in (0, 1, 2), self.describe()
        assert self.cpu_seconds <= CPU_LIMIT, self.describe()
        assert self.max_rss_mb <= MEMORY_LIMIT_MB, self.describe()
        if self.returncode != 0:  # (a name shown inside a refusal may hold the words: the line must not start so)
            assert not self.last_line.startswith(LOAD_VERDICT), self.describe()


def _cap_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_SPACE_CAP, _ADDRESS_SPACE_CAP))


def run_bounded(*args: str | Path, cwd: Path | None = None) -> BoundedRun:
    """Run ``python -m connector_packager ARGS`` in a child process and measure it."""
    argv = tuple(str(a) for a in args)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "connector_packager", *argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=cwd,
            preexec_fn=_cap_address_space,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > WALL_LIMIT:
                timed_out = True
                proc.send_signal(signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen so it does not wait again
        out.seek(0)
        err.seek(0)
        return BoundedRun(
            argv,
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            usage.ru_utime + usage.ru_stime,
            wall,
            usage.ru_maxrss / 1024,
            timed_out,
        )


def has_jarsigner() -> bool:
    return shutil.which("jarsigner") is not None and shutil.which("keytool") is not None


@dataclass(frozen=True)
class JavaVerdict:
    accepts: bool
    output: str


def java_truststore(root_pem: Path, folder: Path) -> Path:
    """A PKCS#12 truststore holding ``root_pem``, made by keytool (once per folder)."""
    store = folder / "java-trust.p12"
    if not store.exists():
        subprocess.run(
            [
                "keytool",
                "-importcert",
                "-noprompt",
                "-alias",
                "testroot",
                "-file",
                str(root_pem),
                "-keystore",
                str(store),
                "-storetype",
                "PKCS12",
                "-storepass",
                JAVA_TRUSTPASS,
            ],
            check=True,
            capture_output=True,
        )
    return store


#: jarsigner's complaint when no certificate of a signer's chain is in the ``-keystore`` given: an artefact of that
#: option (it names the keys the user expects, and here doubles as the trust store), not of the signature. Without
#: ``-keystore`` jarsigner validates against ``cacerts`` and does not say it; Tableau has no such notion. A chain the
#: signature carries without its root (leaf and intermediates, as many CAs deliver it) gets only this complaint.
ALIAS_NOT_IN_STORE = "This jar contains signed entries that are not signed by alias in this keystore."


def _only_alias_complaint(stdout: str) -> bool:
    """jarsigner said "jar verified, with signer errors." and its one error is :data:`ALIAS_NOT_IN_STORE`."""
    if "jar verified, with signer errors." not in stdout or "Error:" not in stdout:
        return False
    errors = stdout.split("Error:", 1)[1].split("\nWarning:", 1)[0].split("\nRe-run ", 1)[0]
    return [line.strip() for line in errors.split("\n") if line.strip()] == [ALIAS_NOT_IN_STORE]


def jarsigner_verdict(taco: Path, truststore: Path) -> JavaVerdict:
    """What ``jarsigner -verify -strict`` says: it accepts with exit 0 and "jar verified.", or when its only error is
    :data:`ALIAS_NOT_IN_STORE`."""
    try:
        done = subprocess.run(
            [
                "jarsigner",
                "-J-Duser.language=en",
                "-verify",
                "-strict",
                "-keystore",
                str(truststore),
                "-storepass",
                JAVA_TRUSTPASS,
                str(taco),
            ],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        return JavaVerdict(False, "jarsigner timed out")
    output = done.stdout + done.stderr
    accepts = (done.returncode == 0 and "jar verified." in done.stdout) or _only_alias_complaint(done.stdout)
    return JavaVerdict(accepts, output)


def assert_never_looser(
    taco: Path, root_pem: Path, java_store: Path | None, *extra: str
) -> tuple[BoundedRun, JavaVerdict | None]:
    """Run ``verify`` (bounded) and, where a JDK is present, jarsigner; fail if ours accepts what Java refuses."""
    ours = run_bounded("verify", taco, "--truststore", root_pem, *extra)
    ours.assert_bounded()
    java = jarsigner_verdict(taco, java_store) if java_store is not None else None
    if java is not None and ours.says_load:
        assert java.accepts, (
            f"verify accepts what jarsigner -strict refuses:\n{ours.describe()}\n--- jarsigner\n{java.output}"
        )
    return ours, java
