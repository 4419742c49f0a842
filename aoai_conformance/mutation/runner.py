"""The mutation run: mutate the bundled cassettes one change at a time, replay the test that reads each, and
count how many changes the suite catches *for the right reason* (a ConformanceFailure naming a promise).

1. Copy ``cassettes/standin`` to a private temp dir and replay the selected suites against it unmutated
   (``--auth key --client sync``): every test must pass (no false alarm), and the run says which cassette each
   test reads.
2. For each such cassette, every operator makes at most one mutant per interaction (operators.py).
3. Mutants are replayed in parallel: N pytest processes, each replaying its share of (test, mutant) pairs
   through the ``swap`` plugin (one process replays many mutants: pytest and the SDK start once).
4. Each process writes one results.json (one case per mutant). Caught: ``status == "fail"`` with a non-null
   ``failure.promise``. Anything else (pass, an error, a fail without a promise such as a cassette miss) survived.
5. Equivalent mutants (``equivalent.toml``) are shown but kept out of the score's denominator.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .. import paths
from . import operators as ops

HERE = Path(__file__).resolve().parent
EQUIVALENT_FILE = HERE / "equivalent.toml"
PASSING = ("pass", "doc-sdk-difference", "expected-fail")


def caught(status: str, promise: str | None) -> bool:
    """A mutant is caught only by a failing check that names the promise it broke: a crash, a cassette miss
    or a failure without a promise says nothing about the suite's checks."""
    return status == "fail" and promise is not None


FORMAT = "aoai-conformance/mutation"
BATCH_TIMEOUT = 480.0


@dataclass
class Options:
    jobs: int = os.cpu_count() or 1
    suites: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()  # fnmatch patterns on the node id
    reports_dir: Path = Path("reports") / "mutation"
    bench: Path | None = None
    floor: float | None = None  # None: keep the committed bench's floor
    keep: bool = False
    quiet: bool = False


def _log(opts: Options, msg: str) -> None:
    if not opts.quiet:
        print(msg, file=sys.stderr, flush=True)


# --- equivalents -----------------------------------------------------------------------------------------
def load_equivalents(path: Path = EQUIVALENT_FILE) -> list[dict[str, Any]]:
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    entries = data.get("equivalent", [])
    for e in entries:
        if not e.get("reason"):
            raise ValueError(f"{path.name}: every [[equivalent]] needs a reason ({e})")
    return entries


def equivalent_reason(meta: dict[str, Any], entries: list[dict[str, Any]]) -> str | None:
    """The reason of the first entry matching the mutant (operator, mutant id / test / change globs, retried,
    stream)."""
    for e in entries:
        ops_ = e.get("operators") or ([e["operator"]] if e.get("operator") else ["*"])
        if not any(fnmatch.fnmatchcase(meta["operator"], o) for o in ops_):
            continue
        if "mutant" in e and not fnmatch.fnmatchcase(meta["id"], e["mutant"]):
            continue
        if any(fnmatch.fnmatchcase(meta["id"], x) for x in e.get("except", [])):
            continue
        if any(fnmatch.fnmatchcase(meta.get("change", ""), x) for x in e.get("except_changes", [])):
            continue
        if "test" in e and not fnmatch.fnmatchcase(meta["test"], e["test"]):
            continue
        if "retried" in e and bool(e["retried"]) != bool(meta["retried"]):
            continue
        if "stream" in e and bool(e["stream"]) != bool(meta["stream"]):
            continue
        return e["reason"]
    return None


# --- running pytest --------------------------------------------------------------------------------------
def _pytest(
    files: list[str],
    plan: dict[str, Any],
    cassettes_dir: Path,
    reports_dir: Path,
    work: Path,
    k: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> tuple[dict[str, Any], str]:
    work.mkdir(parents=True, exist_ok=True)
    plan_path = work / "plan.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *files,
        "--mode",
        "replay",
        "--auth",
        "key",
        "--client",
        "sync",
        "--target",
        "standin",
        "--cassettes-dir",
        str(cassettes_dir),
        "--reports-dir",
        str(reports_dir),
        "-q",
        "-p",
        "aoai_conformance.mutation.swap",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
    ]
    if k:
        cmd += ["-k", k]
    env = {k_: v for k_, v in os.environ.items() if not k_.startswith("AOAI_CONFORMANCE_")}
    env.update({"AOAI_MUTATION_PLAN": str(plan_path), **(extra_env or {})})
    try:
        proc = subprocess.run(
            cmd,
            cwd=paths.suites().parent,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=BATCH_TIMEOUT,
        )
        output = proc.stdout[-4000:] + proc.stderr[-4000:]
    except subprocess.TimeoutExpired as exc:
        output = f"timed out after {BATCH_TIMEOUT:g} s: {exc}"
    results = reports_dir / "results.json"
    data = json.loads(results.read_text(encoding="utf-8")) if results.is_file() else {"cases": []}
    return data, output


def _suite_files(names: tuple[str, ...]) -> list[str]:
    root = paths.suites()
    files = sorted(root.glob("test_*.py"))
    if names:
        wanted = {n.removeprefix("test_").removesuffix(".py") for n in names}
        files = [f for f in files if f.stem.removeprefix("test_") in wanted]
    return [str(f.relative_to(root.parent)) for f in files]


def _balance(items: list[tuple[float, Any]], n: int) -> list[list[Any]]:
    """Longest processing time first: each item to the lightest bin."""
    bins: list[tuple[float, list[Any]]] = [(0.0, []) for _ in range(max(1, n))]
    for cost, item in sorted(items, key=lambda ci: -ci[0]):
        i = min(range(len(bins)), key=lambda j: bins[j][0])
        bins[i] = (bins[i][0] + cost, bins[i][1] + [item])
    return [b for _, b in bins if b]


# --- the run ---------------------------------------------------------------------------------------------
def run(opts: Options) -> dict[str, Any]:
    started = time.monotonic()
    files = _suite_files(opts.suites)
    if not files:
        raise SystemExit(f"no suite matches {', '.join(opts.suites)}")
    tmp = Path(tempfile.mkdtemp(prefix="aoai-mutation-"))
    try:
        return _run(opts, files, tmp, started)
    finally:
        if opts.keep:
            _log(opts, f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(opts: Options, files: list[str], tmp: Path, started: float) -> dict[str, Any]:
    base = tmp / "base"
    shutil.copytree(paths.cassettes() / "standin", base / "standin")
    # 1. the unmutated run: must pass, and tells which cassette each test reads
    _log(opts, f"baseline: replaying {', '.join(files)} unmutated")
    mapping_file = tmp / "cassettes.json"
    baseline, output = _pytest(
        files,
        {"baseline": True},
        base,
        tmp / "reports-baseline",
        tmp / "w-baseline",
        extra_env={"AOAI_MUTATION_CASSETTES": str(mapping_file)},
    )
    mapping = json.loads(mapping_file.read_text()) if mapping_file.is_file() else {}
    base_cases = {c["id"]: c for c in baseline["cases"]}
    false_alarms = [
        {"test": i, "status": c["status"], "failure": c.get("failure")}
        for i, c in base_cases.items()
        if c["status"] not in PASSING
    ]
    if not base_cases:
        raise SystemExit("the unmutated replay produced no results:\n" + output)
    selected = {
        t: rel
        for t, rel in mapping.items()
        if not opts.tests or any(fnmatch.fnmatchcase(t, p) for p in opts.tests)
    }
    # 2. mutants
    chosen = [ops.BY_NAME[n] for n in opts.operators] if opts.operators else ops.OPERATORS
    mutants: list[ops.Mutant] = []
    for test, rel in sorted(selected.items()):
        if base_cases.get(test, {}).get("status") not in PASSING:
            continue  # a test that fails unmutated measures nothing
        cassette = json.loads((base / rel).read_text(encoding="utf-8"))
        suite = Path(test.split("::")[0]).stem.removeprefix("test_")
        for m in ops.mutants_for(
            cassette, suite=suite, test=test, rel=rel.removeprefix("standin/"), operators=chosen
        ):
            m_dir = tmp / "m" / str(len(mutants))
            target = m_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(ops.write_mutant(cassette, m), indent=1), encoding="utf-8")
            m.dir = str(m_dir)
            mutants.append(m)
    _log(opts, f"{len(mutants)} mutants of {len(selected)} tests; {opts.jobs} parallel pytest processes")
    # 3. replay in parallel batches (cost: the test's unmutated duration plus a little per-run overhead)
    cost = {t: float(base_cases.get(t, {}).get("duration") or 0.05) + 0.02 for t in selected}
    batches = _balance([(cost[m.test], m) for m in mutants], opts.jobs)

    def one(n: int, batch: list[ops.Mutant]) -> tuple[list[ops.Mutant], dict[str, Any], str]:
        runs: dict[str, list[dict[str, str]]] = defaultdict(list)
        for m in batch:
            runs[m.test].append({"mutant": m.id, "dir": m.dir})
        names = sorted({t.split("::")[1].split("[")[0] for t in runs})
        bfiles = sorted({t.split("::")[0] for t in runs})
        data, out = _pytest(
            bfiles, {"runs": runs}, base, tmp / f"reports-{n}", tmp / f"w-{n}", k=" or ".join(names)
        )
        return batch, data, out

    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        done = list(pool.map(lambda nb: one(*nb), enumerate(batches)))
    # 4. classify
    equivalents = load_equivalents()
    rows: list[dict[str, Any]] = []
    for batch, data, out in done:
        by_mutant = {c.get("mutant"): c for c in data.get("cases", [])}
        for m in batch:
            case = by_mutant.get(m.id)
            row = m.meta()
            if case is None:
                row.update(status="not-run", promise=None, message=out.strip().splitlines()[-1:] or None)
            else:
                failure = case.get("failure") or {}
                row.update(
                    status=case["status"],
                    promise=failure.get("promise"),
                    message=(failure.get("message") or case.get("reason") or "")[:300] or None,
                )
            row["caught"] = caught(row["status"], row["promise"])
            row["equivalent"] = equivalent_reason(row, equivalents)
            rows.append(row)
    rows.sort(key=lambda r: r["id"])
    result = summarize(rows, false_alarms, base_cases, time.monotonic() - started, opts)
    write_reports(result, opts)
    return result


def _tally(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        t = out.setdefault(r[key], {"total": 0, "equivalent": 0, "scored": 0, "caught": 0, "survived": 0})
        t["total"] += 1
        if r["equivalent"]:
            t["equivalent"] += 1
            continue
        t["scored"] += 1
        t["caught" if r["caught"] else "survived"] += 1
    for t in out.values():
        t["score"] = round(t["caught"] / t["scored"], 4) if t["scored"] else None
    return dict(sorted(out.items()))


def summarize(
    rows: list[dict[str, Any]],
    false_alarms: list[dict[str, Any]],
    base_cases: dict[str, Any],
    wall: float,
    opts: Options,
) -> dict[str, Any]:
    import openai

    scored = [r for r in rows if not r["equivalent"]]
    caught = sum(r["caught"] for r in scored)
    previous = opts.floor if opts.floor is not None else _previous_floor(opts.bench)
    return {
        "format": FORMAT,
        "version": 1,
        "score": round(caught / len(scored), 4) if scored else None,
        "floor": previous,
        "target": TARGET,
        "caught": caught,
        "scored": len(scored),
        "total": len(rows),
        "equivalent": len(rows) - len(scored),
        "unmutated": {
            "tests": len(base_cases),
            "passed": len(base_cases) - len(false_alarms),
            "false_alarms": false_alarms,
        },
        "run": {
            "wall_seconds": round(wall, 1),
            "jobs": opts.jobs,
            "suites": list(opts.suites) or "all",
            "operators": [o.name for o in ops.OPERATORS],
            "auth": "key",
            "client": "sync",
            "sdk_version": openai.__version__,
            "python": sys.version.split()[0],
            "command": "python -m aoai_conformance.mutation",
        },
        "by_operator": _tally(rows, "operator"),
        "by_suite": _tally(rows, "suite"),
        "survivors": [r for r in scored if not r["caught"]],
        "equivalent_caught": [r for r in rows if r["equivalent"] and r["caught"]],
        "mutants": rows,
    }


TARGET = 0.95  # the project's goal: 95 % of non-equivalent mutants caught
DEFAULT_FLOOR = 0.0  # without a committed bench there is no floor yet


def _previous_floor(bench: Path | None) -> float:
    path = bench or (paths.suites().parent / "bench" / "mutation.json")
    try:
        return float(json.loads(path.read_text(encoding="utf-8")).get("floor") or DEFAULT_FLOOR)
    except (OSError, ValueError):
        return DEFAULT_FLOOR


# --- reports ---------------------------------------------------------------------------------------------
def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def markdown(result: dict[str, Any]) -> str:
    lines = ["# Mutation run: how much the suite catches", ""]
    lines.append(
        f"**Score: {_pct(result['score'])}** ({result['caught']} of {result['scored']} non-equivalent "
        f"mutants caught by a check naming the broken promise; floor {_pct(result['floor'])}, "
        f"target {_pct(result['target'])}). "
        f"{result['equivalent']} equivalent mutants shown but not scored; {result['total']} in all."
    )
    u = result["unmutated"]
    lines.append(
        f"Unmutated replay: {u['passed']} of {u['tests']} tests pass"
        + (" (no false alarm)." if not u["false_alarms"] else f"; FALSE ALARMS: {u['false_alarms']}")
    )
    r = result["run"]
    lines += [
        (
            f"Wall time {r['wall_seconds']} s with {r['jobs']} processes (openai {r['sdk_version']}, "
            f"auth {r['auth']}, client {r['client']})."
        ),
        "",
    ]
    for title, key in (("Per operator", "by_operator"), ("Per suite", "by_suite")):
        lines += [
            f"## {title}",
            "",
            "| | caught | scored | score | equivalent | total |",
            "|---|---|---|---|---|---|",
        ]
        for name, t in result[key].items():
            lines.append(
                f"| {name} | {t['caught']} | {t['scored']} | {_pct(t['score'])} | {t['equivalent']} | "
                f"{t['total']} |"
            )
        lines.append("")
    lines += ["## Surviving mutants", ""]
    if not result["survivors"]:
        lines.append("None.")
    for s in result["survivors"]:
        lines.append(
            f"- `{s['id']}` ({s['test']}): {s['change']} -> {s['status']}"
            + (f" [{s['promise']}]" if s["promise"] else "")
            + (f": {s['message']}" if s["message"] else "")
        )
    lines += ["", "## Equivalent mutants (not scored)", ""]
    for m in [m for m in result["mutants"] if m["equivalent"]]:
        flag = " **caught: a check rejects a change the documentation allows**" if m["caught"] else ""
        lines.append(
            f"- `{m['id']}`: {m['change']} -> {m['status']}{flag}. Why equivalent: {m['equivalent']}"
        )
    return "\n".join(lines) + "\n"


def write_reports(result: dict[str, Any], opts: Options) -> None:
    opts.reports_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    (opts.reports_dir / "mutation.json").write_text(text, encoding="utf-8")
    (opts.reports_dir / "mutation.md").write_text(markdown(result), encoding="utf-8")
    if opts.bench is not None:
        opts.bench.parent.mkdir(parents=True, exist_ok=True)
        opts.bench.write_text(text, encoding="utf-8")
