"""python -m aoai_conformance.mutation [--jobs N] [--suites chat errors ...]: the suite tests itself.

Exit code: 0 when the unmutated replay passes and the score is at least the floor; 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import operators, runner


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m aoai_conformance.mutation", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="parallel pytest processes")
    ap.add_argument(
        "--suites", nargs="*", default=[], metavar="SUITE", help="e.g. chat errors (default: all)"
    )
    ap.add_argument(
        "--operators",
        nargs="*",
        default=[],
        metavar="OP",
        choices=sorted(operators.BY_NAME),
        help="only these operators (default: all)",
    )
    ap.add_argument("--tests", nargs="*", default=[], metavar="GLOB", help="node id patterns (default: all)")
    ap.add_argument("--reports-dir", type=Path, default=Path("reports") / "mutation")
    ap.add_argument(
        "--bench",
        nargs="?",
        type=Path,
        const=Path("bench") / "mutation.json",
        default=None,
        help="also write the JSON here (default bench/mutation.json), the copy the own tests read",
    )
    ap.add_argument(
        "--floor",
        type=float,
        default=None,
        help="the score the own tests hold the suite to (default: the committed bench's floor)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temp dir with the mutated cassettes")
    ap.add_argument("--quiet", "-q", action="store_true")
    args = ap.parse_args(argv)
    opts = runner.Options(
        jobs=max(1, args.jobs),
        suites=tuple(args.suites),
        operators=tuple(args.operators),
        tests=tuple(args.tests),
        reports_dir=args.reports_dir,
        bench=args.bench,
        floor=args.floor,
        keep=args.keep,
        quiet=args.quiet,
    )
    result = runner.run(opts)
    print(
        f"mutation score {runner._pct(result['score'])}: {result['caught']}/{result['scored']} non-equivalent "
        f"mutants caught ({result['equivalent']} equivalent, {result['total']} in all), floor "
        f"{runner._pct(result['floor'])}; unmutated: {result['unmutated']['passed']}/"
        f"{result['unmutated']['tests']} pass; {result['run']['wall_seconds']} s"
    )
    for name, t in result["by_operator"].items():
        print(
            f"  {name:28} {t['caught']:4}/{t['scored']:<4} {runner._pct(t['score']):>8}  (+{t['equivalent']} equivalent)"
        )
    print(f"report: {opts.reports_dir / 'mutation.md'}")
    ok = not result["unmutated"]["false_alarms"] and (result["score"] or 0) >= result["floor"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
