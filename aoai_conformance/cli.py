"""``aoai-conformance``: the suite for people and CI.

    aoai-conformance run [--mode M] [--target T] [--auth A] [--fail-on any|new --compare-to PREV] [TESTS...]
    aoai-conformance report RESULTS.json [--out DIR] [--compare-to PREV]
    aoai-conformance report --merge A.json B.json ... [--expect-targets a,b] [--out DIR]
    aoai-conformance report --history DIR [--nights 14] [--fail-on new] [--out DIR]
    aoai-conformance check PATH... [--profile azure|openai] [--reports-dir DIR] [--findings FILE]
    aoai-conformance standin [--host H] [--port P]

Exit codes: 0 everything as expected, 1 conformance failures (with --fail-on new: new ones only), 2 usage or
configuration error, 3 nothing checked: no failure, but a live target had most of its cases skipped (throttled,
not configured; --not-checked-threshold), or in --history the last night had a target not checked or not run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from . import paths
from .config import RUN_OPTIONS

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_NOT_CHECKED = 0, 1, 2, 3
FAILING = ("fail", "error", "unexpected-pass")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, no usage dump
        sys.stderr.write(f"aoai-conformance: {message} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="aoai-conformance",
        description="Azure OpenAI v1 conformance suite",
        epilog="exit codes: 0 as expected, 1 conformance failures (--fail-on new: new ones only), 2 usage or "
        "configuration error, 3 nothing checked (a live target mostly skipped: throttled or not configured)",
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run the conformance suites (default: offline replay) and write reports")
    for name, metavar, help_text in RUN_OPTIONS:  # the plugin's own options: checked there, one line on error
        run.add_argument("--" + name.replace("_", "-"), dest=name, metavar=metavar, help=help_text)
    run.add_argument(
        "--fail-on",
        choices=("any", "new"),
        default="any",
        help="new: exit 1 only for failures the --compare-to run did not have",
    )
    run.add_argument(
        "--sdk",
        metavar="python,node,go,java,dotnet",
        help="SDKs that make the calls (default: python; the others through drivers/; AOAI_CONFORMANCE_SDK)",
    )
    run.add_argument(
        "--repeat",
        metavar="K",
        help="live: run each case K times; the report gives pass^K and pass@K per cell (AOAI_CONFORMANCE_REPEAT)",
    )
    run.add_argument(
        "--not-checked-threshold",
        metavar="FRACTION",
        help="live: a target with more than this share of its cases skipped (throttled, not configured) is "
        "'not checked' and the run exits 3 (default 0.5; AOAI_CONFORMANCE_NOT_CHECKED_THRESHOLD)",
    )
    run.add_argument("-n", "--workers", help="parallel workers (pytest-xdist), e.g. auto")
    run.add_argument("-k", dest="keyword", help="only tests matching this pytest -k expression")
    run.add_argument("-q", "--quiet", action="store_true")
    run.add_argument("tests", nargs="*", help="test files or ids, relative to the suites folder")
    rep = sub.add_parser(
        "report",
        help="rebuild reports from a results.json without re-running tests; merge a fleet's; a trend of nights",
    )
    rep.add_argument("results", nargs="?", help="a results.json (without --merge / --history)")
    rep.add_argument("--out", help="where the reports go (default: next to RESULTS; reports/ for the fleet)")
    rep.add_argument("--compare-to")
    rep.add_argument(
        "--merge",
        nargs="*",
        metavar="RESULTS",
        help="several targets' results.json (or 'not run' stubs) -> fleet.{html,md,json}: targets as columns",
    )
    rep.add_argument(
        "--expect-targets",
        metavar="NAME[,NAME]",
        help="--merge: targets that should be there; one without results is a 'not run' column",
    )
    rep.add_argument("--history", metavar="DIR", help="nights' fleet.json files -> trend.{html,md}")
    rep.add_argument("--nights", type=int, default=14, help="--history: how many last nights (default 14)")
    rep.add_argument(
        "--fail-on",
        choices=("new",),
        help="--history: exit 1 for new failures only (known flaky cells are ignored, and said so); 3 when "
        "nothing is new but the last night left a target not checked or not run",
    )
    chk = sub.add_parser(
        "check",
        help="check recordings you already have (HAR, VCR cassettes, test-proxy "
        "JSON) with the same layers, and write the same reports",
    )
    chk.add_argument("paths", nargs="+", metavar="PATH", help="recording files, or directories of them")
    chk.add_argument(
        "--profile",
        choices=("azure", "openai"),
        help="judge every interaction under this profile (default: by host)",
    )
    chk.add_argument("--reports-dir", default="reports", help="where reports go (default: reports)")
    chk.add_argument(
        "--findings",
        help="listed real-server deviations (default: the bundled findings.toml; 'none' for none)",
    )
    chk.add_argument("-q", "--quiet", action="store_true", help="only the summary lines")
    st = sub.add_parser("standin", help="run the local stand-in for an Azure OpenAI v1 resource")
    st.add_argument("args", nargs=argparse.REMAINDER)
    return p


def _pytest_args(ns: argparse.Namespace) -> list[str]:
    suites = paths.suites()
    targets = []
    for t in ns.tests or []:
        candidate = suites / t
        targets.append(str(candidate) if (suites / t.split("::")[0]).exists() else t)
    args = targets or [str(suites)]
    args += ["-p", "no:cacheprovider", "--rootdir", str(suites.parent)]
    for name, _, _ in RUN_OPTIONS:
        value = getattr(ns, name)
        if value:
            args += ["--" + name.replace("_", "-"), value]
    if ns.workers:
        args += ["-n", ns.workers]
    if ns.keyword:
        args += ["-k", ns.keyword]
    if ns.quiet:
        args.append("-q")
    if ns.repeat:
        args += ["--repeat", ns.repeat]
    if ns.sdk:
        args += ["--sdk", ns.sdk]
    if ns.not_checked_threshold:
        args += ["--not-checked-threshold", ns.not_checked_threshold]
    return args


def _new_failures(results: dict, previous: dict) -> list[str]:
    before = {c["id"] for c in previous.get("cases", []) if c.get("status") in FAILING}
    return [c["id"] for c in results.get("cases", []) if c.get("status") in FAILING and c["id"] not in before]


def cmd_run(ns: argparse.Namespace) -> int:
    import pytest

    from .config import option

    if ns.fail_on == "new" and not ns.compare_to:
        sys.stderr.write("aoai-conformance: --fail-on new needs --compare-to PREVIOUS/results.json\n")
        return EXIT_USAGE
    previous = None
    if ns.compare_to:
        from .report import ReportInputError, load

        try:
            previous = load(Path(ns.compare_to))
        except ReportInputError as exc:
            sys.stderr.write(f"aoai-conformance: {exc}\n")
            return EXIT_USAGE
    code = pytest.main(_pytest_args(ns))
    if code in (
        pytest.ExitCode.USAGE_ERROR,
        pytest.ExitCode.INTERNAL_ERROR,
        pytest.ExitCode.NO_TESTS_COLLECTED,
        pytest.ExitCode.INTERRUPTED,
    ):
        return EXIT_USAGE
    reports = Path(option(ns.reports_dir, "reports_dir", "reports", dict(os.environ)))
    try:
        results = json.loads((reports / "results.json").read_text())
    except (OSError, ValueError):
        results = None
    # Nothing checked is not a pass: without a failure to report, a mostly skipped target has its own code.
    unchecked = ((results or {}).get("run") or {}).get("not_checked") or []
    quiet = EXIT_NOT_CHECKED if unchecked else EXIT_OK
    if code == pytest.ExitCode.OK:
        return quiet
    if ns.fail_on == "new" and previous is not None:
        if results is None:
            return EXIT_FAILURES
        new = _new_failures(results, previous)
        print(
            f"aoai-conformance: {len(new)} new failure(s) since {ns.compare_to}"
            + ("" if new else f"; exit {quiet} (--fail-on new)")
        )
        return EXIT_FAILURES if new else quiet
    return EXIT_FAILURES


def cmd_report(ns: argparse.Namespace) -> int:
    from .report import ReportInputError, load, render
    from .report.__main__ import history_command, merge_command

    if ns.merge is not None:
        return merge_command(ns.merge, Path(ns.out or "reports"), ns.expect_targets)
    if ns.history:
        return history_command(Path(ns.history), ns.nights, Path(ns.out or ns.history), ns.fail_on)
    if not ns.results:
        sys.stderr.write("aoai-conformance: report needs RESULTS.json, --merge FILES... or --history DIR\n")
        return EXIT_USAGE
    try:
        results = load(Path(ns.results))
        previous = load(Path(ns.compare_to)) if ns.compare_to else None
    except ReportInputError as exc:
        sys.stderr.write(f"aoai-conformance: {exc}\n")
        return EXIT_USAGE
    out = Path(ns.out) if ns.out else Path(ns.results).parent
    for path in render(results, out, previous).values():
        print(f"report: {path}")
    return EXIT_OK


def cmd_check(ns: argparse.Namespace) -> int:
    from . import paths
    from .recorded import check
    from .recorded.findings import FindingsError

    findings = None if ns.findings == "none" else Path(ns.findings) if ns.findings else paths.findings()
    try:
        out = check(
            ns.paths,
            profile=ns.profile,
            findings_file=findings,
            reports_dir=Path(ns.reports_dir),
            command="aoai-conformance check " + " ".join(sys.argv[2:] or ns.paths),
        )
    except FindingsError as exc:
        sys.stderr.write(f"aoai-conformance: {exc}\n")
        return EXIT_USAGE
    for bad in out.bad + out.unknown:
        sys.stderr.write(f"aoai-conformance: {bad}\n")
    if not ns.quiet:
        for case in out.cases:
            if case["status"] in FAILING:
                print(f"{case['status'].upper()} {case['id']}: {(case.get('failure') or {}).get('message')}")
    counts: dict[str, int] = {}
    for case in out.cases:
        counts[case["status"]] = counts.get(case["status"], 0) + 1
    print("interactions: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"))
    for path in out.written:
        print(f"report: {path}")
    if any(c["status"] in FAILING for c in out.cases):
        return EXIT_FAILURES
    return EXIT_USAGE if out.bad else EXIT_OK


def cmd_standin(ns: argparse.Namespace) -> int:
    from .standin.__main__ import main as standin_main

    return standin_main(ns.args) or 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["standin"]:  # its options are the stand-in's own: hand them over untouched
        return cmd_standin(argparse.Namespace(args=argv[1:]))
    ns = _parser().parse_args(argv)
    try:
        return {"run": cmd_run, "report": cmd_report, "check": cmd_check, "standin": cmd_standin}[ns.command](
            ns
        )
    except KeyboardInterrupt:
        sys.stderr.write("aoai-conformance: interrupted\n")
        return EXIT_USAGE
    except BrokenPipeError:  # `aoai-conformance check ... | head`: the reader left; the reports are written
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
