#!/usr/bin/env python3
"""Measure connector-packager against its speed and memory targets.

Run from anywhere with the interpreter that has connector-packager installed:

    python benchmarks/run.py [--runs 9]

It prints each target next to the measured figure. Every figure is a whole
process (start-up included), as a user or CI job would run it. Besides the
targets it measures, for information, packaging a connector with a schema
violation: the one case that imports xmlschema (for its verdict and messages),
so it shows what that import costs on the machine at hand.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (REPO / "samples").iterdir() if (p / "manifest.xml").is_file())
GENERATED = 100


def timed(args: list[str], cwd: Path, expect: int = 0) -> tuple[float, int]:
    """Wall time of one run that must exit with ``expect``, and the peak resident memory of the largest
    child so far (KiB)."""
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != expect:
        sys.exit(f"benchmark run ended with {proc.returncode}, not {expect}: {' '.join(args)}\n{proc.stderr}")
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def median_of(runs: int, args: list[str], cwd: Path, expect: int = 0) -> float:
    return statistics.median(timed(args, cwd, expect)[0] for _ in range(runs))


def generate(folder: Path) -> None:
    """GENERATED connectors: copies of the samples, each with its own class name."""
    for i in range(GENERATED):
        source = SAMPLES[i % len(SAMPLES)]
        target = folder / f"{source.name}_{i:03d}"
        shutil.copytree(source, target)
        old = source.name if source.name != "acme_oauth" else "acme_cloud"
        for path in target.iterdir():
            if path.suffix in (".xml", ".tcd", ".tdr", ".tdd"):
                path.write_text(path.read_text(encoding="utf-8").replace(old, f"{old}_{i:03d}"), encoding="utf-8")


def instructions(args: list[str], cwd: Path) -> int | None:
    """Instructions one run executes, counted by valgrind's callgrind (None without valgrind). Unlike seconds, the
    count does not depend on what else the machine is doing, so it compares two versions on a busy machine."""
    if shutil.which("valgrind") is None:
        return None
    subprocess.run(args, cwd=cwd, capture_output=True)  # bytecode cached first, as on a user's second run
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    return int(found.group(1)) if found else None


def instruction_rows(python: str, work: Path) -> list[tuple[str, str, str, bool | None]]:
    """--instructions: the counts for start-up, --help and package of each sample, in millions."""
    runs = [
        ("python -c pass (the interpreter alone)", [python, "-c", "pass"]),
        ("--help", [python, "-m", "connector_packager", "--help"]),
    ]
    runs += [
        (
            f"package {sample.name}",
            [python, "-m", "connector_packager.package", "-d", str(work / "out"), "-l", str(work), str(sample)],
        )
        for sample in SAMPLES
    ]
    rows: list[tuple[str, str, str, bool | None]] = []
    for name, args in runs:
        count = instructions(args, work)
        rows.append(
            (
                f"instructions: {name}",
                "(information)",
                "valgrind not found" if count is None else f"{count / 1e6:.0f} M",
                None,
            )
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per single-process measurement (median taken)")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count the instructions of start-up and package runs with valgrind (slow)",
    )
    args = parser.parse_args()
    python = sys.executable
    rows: list[tuple[str, str, str, bool | None]] = []
    with tempfile.TemporaryDirectory(prefix="cp-bench-") as tmp:
        work = Path(tmp)
        package = [python, "-m", "connector_packager.package", "-d", str(work / "out"), "-l", str(work)]
        for sample in SAMPLES:
            median = median_of(args.runs, [*package, str(sample)], work)
            rows.append(
                (f"package {sample.name} (median of {args.runs})", "< 0.35 s", f"{median:.3f} s", median < 0.35)
            )
        broken = work / "schema-violation"
        shutil.copytree(SAMPLES[0], broken)
        manifest = broken / "manifest.xml"
        manifest.write_text(
            manifest.read_text(encoding="utf-8").replace("<vendor-information>", '<vendor-information bogus="1">', 1),
            encoding="utf-8",
        )
        median = median_of(args.runs, [*package, str(broken)], work, expect=1)
        rows.append(
            (
                f"package a connector with a schema violation (median of {args.runs})",
                "(information)",
                f"{median:.3f} s",
                None,
            )
        )
        median = median_of(args.runs, [python, "-m", "connector_packager.package", "--help"], work)
        rows.append(("--help start-up (median)", "< 0.2 s", f"{median:.3f} s", median < 0.2))

        batch = work / "batch"
        batch.mkdir()
        generate(batch)
        for sample in SAMPLES:
            shutil.copytree(sample, batch / f"sample-{sample.name}")
        for trex in (REPO / "samples").rglob("*.trex"):
            shutil.copy(trex, batch / trex.name)
        count = GENERATED + len(SAMPLES) + len(list((REPO / "samples").rglob("*.trex")))
        elapsed, peak = timed([python, "-m", "connector_packager", "validate", "--recursive", str(batch)], work)
        per = elapsed / count * 1000
        rows.append(
            (
                f"validate {count} connectors and .trex files, one process",
                "< 30 ms each",
                f"{per:.1f} ms each ({elapsed:.2f} s)",
                per < 30,
            )
        )
        rows.append(("peak memory of any run", "< 100 MB", f"{peak / 1024:.1f} MB", peak / 1024 < 100))
        if args.instructions:
            rows += instruction_rows(python, work)

    width = max(len(r[0]) for r in rows)
    print(f"connector-packager benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'measurement':<{width}}  {'target':<14}  measured")
    for name, target, measured, ok in rows:
        verdict = "" if ok is None else "meets" if ok else "MISSES"
        print(f"{name:<{width}}  {target:<14}  {measured}  {verdict}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
