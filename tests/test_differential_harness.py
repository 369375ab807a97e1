"""The differential harness itself: it tells a good signed taco from a tampered one, and it measures and stops a
child that hangs."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from tests.differential import LOAD_VERDICT, WALL_LIMIT, assert_never_looser, run_bounded
from tests.pki import Pki


def test_a_good_signed_taco_is_accepted_by_both(
    signed_taco_bytes: bytes, pki: Pki, java_store: Path | None, tmp_path: Path
) -> None:
    taco = tmp_path / "good.taco"
    taco.write_bytes(signed_taco_bytes)
    ours, java = assert_never_looser(taco, pki.root_pem, java_store)
    assert ours.says_load and ours.last_line == LOAD_VERDICT, ours.describe()
    if java is not None:
        assert java.accepts, java.output


def test_an_edited_entry_is_refused_by_both(
    signed_taco_bytes: bytes, pki: Pki, java_store: Path | None, tmp_path: Path
) -> None:
    taco = tmp_path / "edited.taco"
    taco.write_bytes(signed_taco_bytes)
    with zipfile.ZipFile(taco) as jar:
        items = [(i, jar.read(i)) for i in jar.infolist()]
    with zipfile.ZipFile(taco, "w") as jar:
        for info, data in items:
            jar.writestr(info, data + b"<!-- edited -->" if info.filename == "manifest.xml" else data)
    ours, java = assert_never_looser(taco, pki.root_pem, java_store)
    assert ours.returncode == 1 and not ours.says_load, ours.describe()
    if java is not None:
        assert not java.accepts, java.output


def test_a_child_that_hangs_is_killed_and_reported(tmp_path: Path, monkeypatch: object) -> None:
    import tests.differential as differential

    fifo = tmp_path / "hang.taco"
    os.mkfifo(fifo)
    setattr(differential, "WALL_LIMIT", 1.0)  # noqa: B010 - restored below
    try:
        run = run_bounded("verify", fifo, "--truststore", fifo)
    finally:
        setattr(differential, "WALL_LIMIT", WALL_LIMIT)  # noqa: B010
    # Either the tool refuses a FIFO at once (what it should do) or the harness stops it: never a hang.
    assert run.timed_out or run.returncode in (1, 2), run.describe()
