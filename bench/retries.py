"""Wall time of the offline replay of the retry suite (suites/test_retries.py, all auth modes, both clients).

    python bench/retries.py [--runs 3]

Each run is a fresh ``python -m pytest suites/test_retries.py`` (replay, socket guard on), so the figure
includes interpreter start-up and collection, as a nightly job or a developer sees it. Prints every run, the
median wall time and the child's CPU seconds (a busy machine inflates wall time, not CPU); exits 1 if a run
did not pass. Budget: 10 s wall. About 4 s of it are real waits the suite makes the SDK do (its backoff twice,
retry-after: 1, an HTTP-date retry-after, 50 ms retry-after-ms, 2 ms on every other retry).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 10.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(reports: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the child, the process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOAI_CONFORMANCE_")}
    cpu, start = _children_cpu(), time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites/test_retries.py",
            "--mode",
            "replay",
            "-q",
            "-p",
            "no:cacheprovider",
            "--reports-dir",
            str(reports),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start, _children_cpu() - cpu, proc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    times, cpus = [], []
    with tempfile.TemporaryDirectory(prefix="bench-retries-") as tmp:
        for i in range(args.runs):
            wall, cpu, proc = run_once(Path(tmp) / str(i))
            summary = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
            print(f"run {i + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU  ({summary})")
            if proc.returncode != 0:
                print(proc.stdout[-3000:], proc.stderr[-2000:], sep="\n", file=sys.stderr)
                return 1
            times.append(wall)
            cpus.append(cpu)
    median = statistics.median(times)
    # On a busy machine wall time is mostly waiting for a CPU: the CPU figure and the load say how busy.
    print(
        f"retry suite replay: {median:.2f} s wall (median of {len(times)}, best {min(times):.2f} s; "
        f"{statistics.median(cpus):.2f} s CPU; budget {BUDGET:g} s wall; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
