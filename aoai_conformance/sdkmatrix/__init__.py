"""The SDK matrix: the bundled cassettes replayed through several versions of each SDK, merged into one table.

    python -m aoai_conformance.sdkmatrix                                  # every SDK, default versions
    python -m aoai_conformance.sdkmatrix --sdk node,go                    # only these SDKs
    python -m aoai_conformance.sdkmatrix --versions node=6.49.0,6.25.0,go=v3.99.0 -- -k chat
    python -m aoai_conformance.sdkmatrix --merge-only                     # the table from existing results

Each column is one SDK version (:mod:`.columns`): Python's in a venv cached under
``~/.cache/aoai-conformance/sdk-matrix/<version>`` (``AOAI_SDK_MATRIX_CACHE`` moves it); Node's, Go's and Java's
through ``drivers/<sdk>/build`` with ``AOAI_CONFORMANCE_<SDK>_OPENAI=<version>``. Then ``aoai-conformance run
--mode replay [--sdk <sdk>] --reports-dir reports/sdk_matrix/<sdk>-<version>``. Installed venvs and built
drivers are reused, so the matrix runs offline once they are there.

The merge (:mod:`.table`) reads each ``results.json`` and writes ``matrix.md``, ``matrix.html`` and
``matrix.json``: per column the cases that pass, show a doc/SDK difference, fail as expected, are not documented
for that SDK, or fail; one row per documented call and test, one column per SDK version ("not run: <reason>"
where a toolchain, build or version is missing); and for every row whose cells differ between versions of one
SDK, what differs (parse failures, renamed fields, retry rules, exception types, calls not in that SDK).
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .columns import (
    DEFAULT_VERSIONS,
    DEFAULTS,
    NOT_SERVED,
    Run,
    cache_dir,
    ensure_venv,
    execute,
    new_run,
    normalise,
    pinned,
    prepare,
    requirements,
)
from .table import (
    NOT_IN_SDK,
    SDKS,
    Cell,
    case_counts,
    classify,
    column,
    load_results,
    merge,
    render_html,
    render_markdown,
    summary_line,
    write,
)

__all__ = [
    "DEFAULTS",
    "DEFAULT_VERSIONS",
    "NOT_IN_SDK",
    "NOT_SERVED",
    "SDKS",
    "Cell",
    "Run",
    "cache_dir",
    "case_counts",
    "classify",
    "column",
    "ensure_venv",
    "load_results",
    "main",
    "merge",
    "pinned",
    "plan",
    "render_html",
    "render_markdown",
    "requirements",
    "write",
]


class Usage(ValueError):
    """Bad --sdk or --versions; the message names the fix."""


def plan(sdks: str | None, versions: list[str]) -> dict[str, list[str]]:
    """--sdk and --versions -> {sdk: versions}. ``--versions`` items are ``sdk=v1,v2`` (a bare version belongs to
    the SDK named before it, Python at first). Without --sdk: the SDKs --versions names, or all of them."""
    chosen: dict[str, list[str]] = {}
    current = "python"
    for item in (part.strip() for spec in versions for part in spec.split(",")):
        if not item:
            continue
        if "=" in item:
            current, _, item = (s.strip() for s in item.partition("="))
            if current not in SDKS:
                raise Usage(
                    f"--versions: unknown SDK {current!r}: use one of {', '.join(SDKS)} (node=6.49.0)"
                )
        if item:
            chosen.setdefault(current, []).append(normalise(current, item))
    if sdks:
        names = [s.strip() for s in sdks.split(",") if s.strip()]
        unknown = [s for s in names if s not in SDKS]
        if unknown:
            raise Usage(f"--sdk: unknown SDK {unknown[0]!r}: use a comma-separated list of {','.join(SDKS)}")
    else:
        names = list(chosen) or list(SDKS)
    return {s: list(dict.fromkeys(chosen.get(s) or DEFAULTS[s])) for s in SDKS if s in names}


def run_all(runs: list[Run], cache: Path, extra: list[str], jobs: int, build: bool) -> None:
    """Install or build first (one SDK's builds one after another: they share its folder), then replay."""
    by_sdk: dict[str, list[Run]] = {}
    for r in runs:
        by_sdk.setdefault(r.sdk, []).append(r)
    tasks = [[r] for r in by_sdk.pop("python", [])] + list(by_sdk.values())

    def prepare_all(group: list[Run]) -> None:
        for r in group:
            prepare(r, cache, build)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(prepare_all, tasks))
        list(pool.map(lambda r: execute(r, cache, extra), runs))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m aoai_conformance.sdkmatrix", description=__doc__.splitlines()[0]
    )
    p.add_argument(
        "--sdk",
        default=os.environ.get("AOAI_SDK_MATRIX_SDKS"),
        metavar=",".join(SDKS),
        help="the SDKs to cover (default: those --versions names, else all)",
    )
    p.add_argument(
        "--versions",
        action="append",
        default=[v for v in [os.environ.get("AOAI_SDK_MATRIX_VERSIONS")] if v],
        help="versions per SDK, e.g. node=6.49.0,6.25.0,go=v2.7.1 (a bare version is Python's); defaults: "
        + "; ".join(f"{s} {','.join(v)}" for s, v in DEFAULTS.items()),
    )
    p.add_argument("--out", default="reports/sdk_matrix", help="where per-column reports and the matrix go")
    p.add_argument(
        "--cache",
        default=None,
        help="where the Python venvs live (default: ~/.cache/aoai-conformance/sdk-matrix)",
    )
    p.add_argument("--jobs", type=int, default=2, help="columns installed, built and replayed at once")
    p.add_argument(
        "--no-build", action="store_true", help="use the drivers as built (a missing one: not run)"
    )
    p.add_argument("--merge-only", action="store_true", help="only merge existing per-column results")
    p.add_argument("extra", nargs="*", help="after --: passed to aoai-conformance run (e.g. -k chat)")
    ns = p.parse_args(argv)
    try:
        chosen = plan(ns.sdk, ns.versions)
    except Usage as exc:
        sys.stderr.write(f"sdk matrix: {exc}\n")
        return 2
    out = Path(ns.out).resolve()
    runs = [new_run(sdk, v, out) for sdk, versions in chosen.items() for v in versions]
    problems = {r.name: NOT_SERVED[(r.sdk, r.version)] for r in runs if (r.sdk, r.version) in NOT_SERVED}
    if not ns.merge_only:
        cache = Path(ns.cache) if ns.cache else cache_dir()
        run_all(runs, cache, ns.extra, ns.jobs, not ns.no_build)
        problems = {r.name: r.problem for r in runs if r.problem}
    results = load_results(out, [r.name for r in runs])
    if all(r is None for r in results.values()) and ns.merge_only:
        sys.stderr.write(
            f"sdk matrix: no results.json under {out}/<sdk>-<version>: run without --merge-only\n"
        )
        return 2
    matrix = merge(results, problems)
    for name in matrix["columns"]:
        print(summary_line(name, matrix["summary"][name]), flush=True)
    for path in write(matrix, out).values():
        print(f"matrix: {path}")
    return 0
