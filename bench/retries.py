"""Wall time of the offline replay of the retry suite (suites/test_retries.py, every auth mode, sync and async).

    python bench/retries.py [--runs 3]

Each run is a fresh ``python -m pytest suites/test_retries.py`` (replay, socket guard on), so the figure
includes interpreter start-up and collection, as a nightly job or a developer sees it. Prints every run and the
median; exits 1 if a run did not pass. Budget: 10 s. About 3.6 s of it are real waits the suite asks the SDK
for (its backoff, retry-after: 1, an HTTP-date retry-after, 2 ms retry-after-ms on every retry).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 10.0


def run_once(reports: Path) -> tuple[float, subprocess.CompletedProcess]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOAI_CONFORMANCE_")}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/test_retries.py", "--mode", "replay", "-q",
         "-p", "no:cacheprovider", "--reports-dir", str(reports)],
        cwd=ROOT, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, proc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    times = []
    with tempfile.TemporaryDirectory(prefix="bench-retries-") as tmp:
        for i in range(args.runs):
            wall, proc = run_once(Path(tmp) / str(i))
            summary = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
            print(f"run {i + 1}: {wall:.2f} s wall  ({summary})")
            if proc.returncode != 0:
                print(proc.stdout[-3000:], proc.stderr[-2000:], sep="\n", file=sys.stderr)
                return 1
            times.append(wall)
    median = statistics.median(times)
    print(f"retry suite replay: {median:.2f} s wall (median of {len(times)}, best {min(times):.2f} s; "
          f"budget {BUDGET:g} s; load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
