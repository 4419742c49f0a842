"""What does each other SDK add to the offline replay? (issue 14)

    python bench/sdks.py [--rounds 1]

For Python and every SDK whose driver is built: the wall time of `aoai-conformance run --sdk python,<sdk>` (replay,
a fresh process, start-up included), its extra time over the Python replay alone, its driver's start-up alone
(process to hello line: the JVM for Java), and that SDK's cases. Prints a table and writes nothing else (reports go to a
temporary directory). An SDK that cannot run here is listed as "not run" with the reason.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aoai_conformance.sdks.driver import Driver, NotRun  # noqa: E402


def run_time(sdk: str) -> tuple[float, dict[str, int]]:
    with tempfile.TemporaryDirectory() as reports:
        start = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "aoai_conformance.cli",
                "run",
                "--sdk",
                sdk,
                "--reports-dir",
                reports,
                "-q",
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        wall = time.monotonic() - start
        cases = json.loads((Path(reports) / "results.json").read_text())["cases"]
    counts: dict[str, int] = {}
    for case in cases:
        if case.get("sdk", "python") == sdk.split(",")[-1]:
            counts[case["status"]] = counts.get(case["status"], 0) + 1
    return wall, counts


def hello_time(sdk: str) -> float | str:
    driver = Driver(sdk)
    try:
        start = time.monotonic()
        driver.start()
        return time.monotonic() - start
    except NotRun as exc:
        return f"not run: {exc}"
    finally:
        driver.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    python = statistics.median(run_time("python")[0] for _ in range(args.rounds))
    print(f"{'SDK':<8} {'run (s)':>8} {'extra (s)':>10} {'hello (s)':>10}  cases")
    print(f"{'python':<8} {python:>8.1f} {'':>10} {'':>10}")
    for sdk in ("node", "go", "java"):
        hello = hello_time(sdk)
        if isinstance(hello, str):
            print(f"{sdk:<8} {hello}")
            continue
        walls, counts = [], {}
        for _ in range(args.rounds):
            wall, counts = run_time(f"python,{sdk}")
            walls.append(wall)
        wall = statistics.median(walls)
        shown = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        print(f"{sdk:<8} {wall:>8.1f} {wall - python:>+10.1f} {hello:>10.2f}  {shown}")


if __name__ == "__main__":
    main()
