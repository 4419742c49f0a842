"""python -m aoai_conformance.report RESULTS.json [--out DIR] [--compare-to PREVIOUS.json]

Rebuilds compat.html and compat.md from a results.json without re-running any test. Exit 0 when the reports
were written, 2 when an input cannot be used (one line on stderr, never a traceback). Whether the run itself
passed is the CLI's business (`aoai-conformance run`), not this tool's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import ReportInputError, diff, load, render
from ._model import counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aoai_conformance.report",
        description="Rebuild compat.html and compat.md from a results.json (no tests are run).",
    )
    parser.add_argument("results", type=Path, help="results.json written by `aoai-conformance run`")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: next to RESULTS)")
    parser.add_argument(
        "--compare-to",
        type=Path,
        default=None,
        metavar="PREVIOUS",
        help="an earlier results.json to diff against",
    )
    args = parser.parse_args(argv)
    try:
        results = load(args.results)
        previous = load(args.compare_to) if args.compare_to is not None else None
        out_dir = args.out if args.out is not None else args.results.parent
        try:
            paths = render(results, out_dir, previous=previous)
        except OSError as exc:
            raise ReportInputError(
                f"{out_dir}: cannot write the reports there ({exc.strerror or exc}); pass a writable --out DIR"
            ) from None
    except ReportInputError as exc:
        print(f"aoai-conformance report: {exc}", file=sys.stderr)
        return 2

    found = counts([c for c in results["cases"]])
    summary = ", ".join(f"{n} {s}" for s, n in found.items()) or "no cases"
    print(f"{len(results['cases'])} cases: {summary}")
    if previous is not None:
        changes = diff(previous, results)
        print(
            f"since previous run: {len(changes.new_failures)} new failures, {len(changes.fixed)} fixed, "
            f"{len(changes.new_drift)} new drift, {len(changes.changed_models)} changed models"
        )
    print(paths["html"])
    print(paths["md"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
