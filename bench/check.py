"""How fast is `aoai-conformance check`, and how much memory does a large recording take?

    python bench/check.py [--entries 10000] [--rounds 3]

1. The whole corpus (`corpus/`): wall time of the command, as a user runs it (start-up included).
2. A generated HAR of N entries (default 10,000), cycled from the corpus's real Azure v1 answers (non-stream
   and stream kept apart), checked in a fresh process: time per interaction after start-up (the first entry
   of each kind is left out, and a small file is checked first so that loading the SDK, the layers and the
   schemas is not counted), and the peak resident memory beyond that start-up, against the file's size. Reports are written too (into a temporary directory), as a run does.
Prints a table and writes nothing else. Target (issue 12): under 1 ms per non-stream interaction after
start-up; a 10,000-entry file must not be held in memory several times over.
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
CORPUS = REPO / "corpus"

# Runs in a fresh process: peak RSS then belongs to this check alone.
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from aoai_conformance.recorded import check
from aoai_conformance import paths
check([sys.argv[3]], findings_file=paths.findings())  # start-up: the SDK, the layers and the schemas load
base_kb = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1])
t0 = time.perf_counter()
out = check([sys.argv[1]], reports_dir=Path(sys.argv[2]), findings_file=paths.findings())
wall = time.perf_counter() - t0
per = {}
for c in out.cases:
    kind = "stream" if c["call"].endswith("(stream)") else "plain"
    per.setdefault(kind, []).append(c.get("duration") or 0.0)
print(json.dumps({"wall": wall, "per": per, "statuses": sorted({c["status"] for c in out.cases}),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "base_kb": base_kb}))
"""


def real_entries() -> tuple[list[dict], list[dict]]:
    """Azure v1 answers from the corpus that pass (with headers), split into plain and stream."""
    plain, stream = [], []
    for f in sorted(CORPUS.glob("*.har")):
        for e in json.loads(f.read_text())["log"]["entries"]:
            meta = e.get("_aoai", {})
            if (
                meta.get("api") == "azure-v1"
                and meta.get("headers_recorded")
                and e["response"]["status"] == 200
            ):
                (stream if meta["kind"].endswith("_stream") else plain).append(e)
    return plain, stream


def generate(path: Path, n: int, entries: list[dict]) -> None:
    """Written entry by entry: the generator itself never holds the whole file either."""
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '{"log": {"version": "1.2", "creator": {"name": "bench/check.py", "version": "1"}, "entries": ['
        )
        for i in range(n):
            out.write(("," if i else "") + json.dumps(entries[i % len(entries)]))
        out.write("]}}")


def child(path: Path) -> dict:
    with tempfile.TemporaryDirectory() as reports:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), reports, str(CORPUS / "azure-azure-sdk-assets.har")],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
    if proc.returncode != 0:
        raise SystemExit(f"bench/check.py: the check failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entries", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    walls = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as reports:
            proc = subprocess.run(
                [
                    str(Path(sys.executable).with_name("aoai-conformance")),
                    "check",
                    str(CORPUS),
                    "--reports-dir",
                    reports,
                    "-q",
                ],
                capture_output=True,
                text=True,
            )
        walls.append(time.perf_counter() - start)
    corpus_n = sum(len(json.loads(f.read_text())["log"]["entries"]) for f in CORPUS.glob("*.har"))
    print(
        f"corpus: {corpus_n} interactions in {statistics.median(walls):.2f} s wall, start-up and reports "
        f"included (median of {args.rounds}; exit {proc.returncode})"
    )

    plain, stream = real_entries()
    with tempfile.TemporaryDirectory() as tmp:
        for name, pool in (("plain", plain), ("stream", stream)):
            path = Path(tmp) / f"{name}.har"
            generate(path, args.entries, pool)
            size = path.stat().st_size
            rounds = [child(path) for _ in range(args.rounds)]
            best = min(rounds, key=lambda r: r["wall"])
            durations = best["per"][name][1:]  # the first entry pays for loading the SDK, layers and schemas
            ms = 1000 * statistics.mean(durations)
            print(
                f"{args.entries} {name} entries ({size / 1e6:.1f} MB, {len(pool)} distinct real answers): "
                f"{ms:.3f} ms per interaction after start-up (median {1000 * statistics.median(durations):.3f}), "
                f"{args.entries / best['wall']:.0f} interactions/s overall, whole run {best['wall']:.1f} s; "
                f"peak RSS {best['maxrss_kb'] / 1024:.0f} MB, of which {best['base_kb'] / 1024:.0f} MB before the "
                f"file (SDK, schemas): +{(best['maxrss_kb'] - best['base_kb']) * 1024 / size:.1f}x the file; "
                f"statuses {best['statuses']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
