"""python -m aoai_conformance.report RESULTS.json [--out DIR] [--compare-to PREVIOUS.json]

Rebuilds compat.html and compat.md from a results.json without re-running any test. Exit 0 when the reports
were written, 2 when an input cannot be used (one line on stderr, never a traceback). Whether the run itself
passed is the CLI's business (`aoai-conformance run`), not this tool's.

The fleet (issue 15; the same as `aoai-conformance report ...`):

    --merge A.json B.json ... [--expect-targets a,b] [--out DIR]   -> DIR/fleet.{json,md,html}
    --history DIR [--nights 14] [--fail-on new] [--out DIR]         -> trend.{md,html}; exit 1 new, 3 not checked
    --list-targets [targets.toml]                                   -> the nightly's matrix as JSON
    --not-run-stub NAME --reason TEXT --out DIR                     -> DIR/results.json saying NAME was not run
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..files import write_atomic, write_json_atomic
from . import ReportInputError, diff, load, render
from ._model import counts


def _fail(message: str) -> int:
    print(f"aoai-conformance report: {message}", file=sys.stderr)
    return 2


def merge_command(paths: list[str], out: Path, expect: str | None) -> int:
    """report --merge: one night of a fleet -> fleet.json, fleet.md, fleet.html. Exit 0, or 2 on bad input."""
    from ._fleet import merge
    from ._fleet_render import broken, fleet_html, fleet_markdown

    try:
        fleet = merge([Path(p) for p in paths], [n.strip() for n in (expect or "").split(",") if n.strip()])
        out.mkdir(parents=True, exist_ok=True)
        written = [
            write_json_atomic(out / "fleet.json", fleet),
            write_atomic(out / "fleet.md", fleet_markdown(fleet)),
            write_atomic(out / "fleet.html", fleet_html(fleet)),
        ]
    except ReportInputError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(
            f"{out}: cannot write the fleet report there ({exc.strerror or exc}); pass a writable --out"
        )
    for t in fleet["targets"]:
        print(f"{t['name']}: {t['state']}" + (f" ({t['reason']})" if t["reason"] else ""))
    print(f"{len(broken(fleet))} broken cell(s)")
    for path in written:
        print(f"report: {path}")
    return 0


def history_command(directory: Path, nights: int, out: Path, fail_on: str | None) -> int:
    """report --history: the last N nights -> trend.md, trend.html; with --fail-on new exit 1 for new failures
    only (known flakes ignored, and said), 3 when nothing is new but the last night left a target unchecked."""
    from ._fleet_render import trend_html, trend_markdown
    from ._history import fail_on_new, load_nights, trend

    try:
        t = trend(load_nights(directory, nights), window=nights)
        out.mkdir(parents=True, exist_ok=True)
        written = [
            write_atomic(out / "trend.md", trend_markdown(t)),
            write_atomic(out / "trend.html", trend_html(t)),
        ]
    except ReportInputError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"{out}: cannot write the trend there ({exc.strerror or exc}); pass a writable --out")
    print(
        f"{len(t.nights)} night(s), {len(t.strips)} cells: {len(t.by('new'))} new, {len(t.by('flaky'))} flaky, "
        f"{len(t.by('known'))} known, {len(t.by('fixed'))} fixed"
    )
    for path in written:
        print(f"report: {path}")
    if fail_on != "new":
        return 0
    code, lines = fail_on_new(t)
    for line in lines:
        print(f"aoai-conformance: {line}")
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aoai_conformance.report",
        description="Rebuild compat.html and compat.md from a results.json (no tests are run); merge a fleet's "
        "results; the trend of the last nights.",
    )
    parser.add_argument(
        "results", type=Path, nargs="?", help="results.json written by `aoai-conformance run`"
    )
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: next to RESULTS)")
    parser.add_argument(
        "--compare-to",
        type=Path,
        default=None,
        metavar="PREVIOUS",
        help="an earlier results.json to diff against",
    )
    parser.add_argument("--merge", nargs="*", metavar="RESULTS", help="targets' results.json -> fleet.*")
    parser.add_argument(
        "--expect-targets", metavar="NAME[,NAME]", help="--merge: targets that should be there"
    )
    parser.add_argument("--history", type=Path, metavar="DIR", help="nights' fleet.json -> trend.*")
    parser.add_argument("--nights", type=int, default=14, help="--history: last N nights (default 14)")
    parser.add_argument("--fail-on", choices=("new",), help="--history: exit 1 for new failures only")
    parser.add_argument(
        "--list-targets",
        nargs="?",
        const="",
        metavar="TARGETS.toml",
        help="print the nightly's matrix (JSON) from a targets file, or the endpoint target from the environment",
    )
    parser.add_argument("--not-run-stub", metavar="NAME", help="write a results.json saying NAME was not run")
    parser.add_argument("--reason", default="not run", help="--not-run-stub: why")
    parser.add_argument("--region", help="--not-run-stub: the target's region")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list_targets is not None:
        from ._fleet import list_targets

        try:
            entries = list_targets(Path(args.list_targets) if args.list_targets else None)
        except ReportInputError as exc:
            return _fail(str(exc))
        print(json.dumps({"include": entries}, separators=(",", ":")))
        return 0
    if args.not_run_stub:
        from ._fleet import not_run_stub

        out = args.out or Path("reports")
        out.mkdir(parents=True, exist_ok=True)
        print(
            write_json_atomic(
                out / "results.json", not_run_stub(args.not_run_stub, args.reason, region=args.region)
            )
        )
        return 0
    if args.merge is not None:
        return merge_command(args.merge, args.out or Path("reports"), args.expect_targets)
    if args.history:
        return history_command(args.history, args.nights, args.out or args.history, args.fail_on)
    if args.results is None:
        return _fail("give RESULTS.json, --merge FILES..., --history DIR or --list-targets")
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
        return _fail(str(exc))

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
