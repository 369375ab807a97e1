#!/usr/bin/env python3
"""Measure connector-packager against its speed and memory targets.

Run from anywhere with the interpreter that has connector-packager installed:

    python benchmarks/run.py [--runs 9]

It prints each target next to the measured figure. Every figure is a whole
process (start-up included), as a user or CI job would run it. ``package`` is
measured twice: cold, with the verdict cache off (every file validated by
xmlschema, as on a first run), and warm, re-packaging unchanged files with a
primed cache (the common case while developing). The batch figure is cold.
"""

from __future__ import annotations

import argparse
import os
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


def timed(args: list[str], cwd: Path, cache: Path | None = None) -> tuple[float, int]:
    """Wall time of one run (verdict cache in ``cache``, or off), and the peak resident memory of the largest
    child so far (KiB)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_PACKAGER_")}
    env.update({"CONNECTOR_PACKAGER_CACHE_DIR": str(cache)} if cache else {"CONNECTOR_PACKAGER_NO_CACHE": "1"})
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark run failed ({proc.returncode}): {' '.join(args)}\n{proc.stderr}")
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per single-process measurement (median taken)")
    args = parser.parse_args()
    python = sys.executable
    rows: list[tuple[str, str, str, bool]] = []
    with tempfile.TemporaryDirectory(prefix="cp-bench-") as tmp:
        work = Path(tmp)
        peak = 0
        for sample in SAMPLES:
            command = [python, "-m", "connector_packager.package", str(sample), "-d", str(work / "out"), "-l",
                       str(work)]
            cache = work / f"cache-{sample.name}"
            timed(command, work, cache)  # primes the cache
            for label, where in (("cold, no cache", None), ("warm cache", cache)):
                times = []
                for _ in range(args.runs):
                    elapsed, peak = timed(command, work, where)
                    times.append(elapsed)
                median = statistics.median(times)
                rows.append((f"package {sample.name}, {label} (median of {args.runs})", "< 0.35 s",
                             f"{median:.3f} s", median < 0.35))
        help_times = [timed([python, "-m", "connector_packager.package", "--help"], work)[0]
                      for _ in range(args.runs)]
        median = statistics.median(help_times)
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
        rows.append((f"validate {count} connectors and .trex files, one process", "< 30 ms each",
                     f"{per:.1f} ms each ({elapsed:.2f} s)", per < 30))
        rows.append(("peak memory of any run", "< 100 MB", f"{peak / 1024:.1f} MB", peak / 1024 < 100))

    width = max(len(r[0]) for r in rows)
    print(f"connector-packager benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'measurement':<{width}}  {'target':<14}  measured")
    for name, target, measured, ok in rows:
        print(f"{name:<{width}}  {target:<14}  {measured}  {'meets' if ok else 'MISSES'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
