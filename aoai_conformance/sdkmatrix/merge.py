"""The SDK matrix: the bundled cassettes replayed through several ``openai`` versions, merged into one table.

    python -m aoai_conformance.sdkmatrix                     # default versions, reports/sdk_matrix/
    python -m aoai_conformance.sdkmatrix --versions 1.109.1,3.54.0 -- -k chat
    python -m aoai_conformance.sdkmatrix --merge-only        # rebuild the table from existing results

For each version: a venv cached under ``~/.cache/aoai-conformance/sdk-matrix/<version>`` (``AOAI_SDK_MATRIX_CACHE``
moves it) with this project installed editable and that ``openai`` pinned, then
``aoai-conformance run --mode replay --reports-dir reports/sdk_matrix/<version>``. A venv that is already
installed for the same requirements is reused as is, so the matrix runs offline once packages are installed.

The merge reads each ``results.json`` and writes ``matrix.md``, ``matrix.html`` and ``matrix.json``: one row per
documented call and test, one column per SDK version, and for every row whose cells differ, what differs
(parse failures, renamed fields, retry rules, exception types, calls not in that SDK).

This module needs only the standard library: the merge runs anywhere, whichever ``openai`` is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import subprocess
import sys
import venv
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import write_atomic
from .modes import REPLAY

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Oldest first. 1.55.3: the oldest 1.x that works with today's httpx 0.28 (older 1.x pass `proxies=` to
# httpx.Client, which 0.28 removed), and older than client.responses (1.66.0) and callable api_key (the
# documented Entra ID tab, 1.106.0), so the matrix shows what a long-lived pin misses. Then the newest 1.x,
# 2.x and 3.x.
DEFAULT_VERSIONS = ("1.55.3", "1.109.1", "2.54.0", "3.54.0")
ROOT = Path(__file__).resolve().parent.parent
NOT_IN_SDK = (
    "not in this SDK"  # the skip reason calls.not_in_sdk() gives (kept in step with calls.NOT_IN_SDK)
)

# What a difference is, from the failing promise or message: the matrix's "what differs" column.
KINDS = (
    ("not in this SDK", lambda p, m: m.startswith(NOT_IN_SDK)),
    ("parse failure", lambda p, m: p.startswith("sdk.parse") or "ValidationError" in m),
    (
        "renamed or missing field",
        lambda p, m: p.startswith("sdk.accessor") or "AttributeError" in m or "has no attribute" in m,
    ),
    ("retry rules", lambda p, m: p.startswith(("retries", "retry"))),
    # A cassette miss: this SDK sent another request body (new defaults) or another number of attempts.
    ("request differs", lambda p, m: "no recorded interaction" in m),
    ("exception type", lambda p, m: p.startswith("errors") or "isinstance" in m or "exception" in m.lower()),
    ("request id", lambda p, m: p.startswith("sdk.request-id")),
    ("auth", lambda p, m: p.startswith("auth.")),
    ("wire", lambda p, m: p.startswith(("http.", "wire."))),
)


def cache_dir() -> Path:
    base = os.environ.get("AOAI_SDK_MATRIX_CACHE")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "aoai-conformance" / "sdk-matrix"


def requirements(version: str, root: Path = ROOT) -> list[str]:
    """The project's dependencies with ``openai`` pinned to ``version``.

    httpx2 is added for 1.x/2.x too: suites may import it, and openai <3 never uses it (the engine patches the
    library ``openai._base_client`` imports), so its presence changes nothing for those SDKs.
    """
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    deps = [d for d in data["project"]["dependencies"] if _name(d) not in ("openai", "nox")]
    return sorted({*deps, f"openai=={version}", "httpx2"})


def _name(requirement: str) -> str:
    for i, ch in enumerate(requirement):
        if ch in "<>=!~[; ":
            return requirement[:i].strip().lower()
    return requirement.strip().lower()


def _bin(env: Path, name: str) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin") / (name + (".exe" if os.name == "nt" else ""))


@dataclass
class Run:
    version: str
    reports: Path
    code: int | None = None  # aoai-conformance's exit code (0 ok, 1 failures, 2 usage); None: not run
    problem: str | None = None  # why this column has no results (install or run failure), one line
    log: list[str] = field(default_factory=list)


def ensure_venv(version: str, cache: Path, root: Path = ROOT, log: list[str] | None = None) -> Path:
    """A venv with this project (editable, no deps) and its dependencies with openai==version; reused when the
    same requirements are already installed there (no network then)."""
    env = cache / version
    reqs = requirements(version, root)
    stamp = hashlib.sha256(json.dumps([str(root), sys.version_info[:2], reqs]).encode()).hexdigest()[:16]
    marker = env / ".aoai-sdk-matrix"
    if marker.is_file() and marker.read_text().strip() == stamp and _bin(env, "aoai-conformance").exists():
        return env
    if not _bin(env, "python").exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(env)
    py = str(_bin(env, "python"))
    pip = [py, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    for cmd in ([*pip, *reqs], [*pip, "--no-deps", "-e", str(root)]):
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if log is not None:
            log.append(" ".join(cmd))
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
            raise RuntimeError(f"pip install failed for openai=={version}: {tail[0]}")
    marker.write_text(stamp + "\n")
    return env


def run_version(version: str, out: Path, cache: Path, extra: list[str], root: Path = ROOT) -> Run:
    reports = out / version
    result = Run(version, reports)
    try:
        env = ensure_venv(version, cache, root, result.log)
    except (RuntimeError, OSError) as exc:
        result.problem = str(exc)
        return result
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AOAI_CONFORMANCE_", "VIRTUAL_ENV"))}
    cmd = [
        str(_bin(env, "aoai-conformance")),
        "run",
        "--mode",
        REPLAY.name,
        "--reports-dir",
        str(reports),
        "-q",
        *extra,
    ]
    result.log.append(" ".join(cmd))
    reports.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=root, env=environ, check=False)
    (reports / "run.log").write_text(done.stdout + "\n--- stderr ---\n" + done.stderr, encoding="utf-8")
    result.code = done.returncode
    if not (reports / "results.json").is_file():
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["(no output)"]
        result.problem = f"no results.json (exit {done.returncode}): {tail[0]}"
    return result


# --- the merge (pure: unit-tested on fabricated results) ------------------------------------------------
def _version_key(v: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in v.replace("-", ".").split("."))


def classify(status: str, failure: dict | None, reason: str | None) -> str:
    """What kind of difference one case shows: 'pass', 'not in this SDK', or a KINDS label, or the status."""
    if status in ("pass", "doc-sdk-difference", "expected-fail", "not-applicable"):
        return status
    promise = str((failure or {}).get("promise") or "")
    message = str((failure or {}).get("message") or reason or "")
    for kind, test in KINDS:
        if test(promise, message):
            return kind
    return f"{status}: {promise}" if promise else status


@dataclass
class Cell:
    status: str  # pass | not in this SDK | fail | skipped | mixed | no run
    text: str
    details: list[str] = field(default_factory=list)  # one line per distinct problem, with where it happened
    kinds: list[str] = field(default_factory=list)


def _cell(cases: list[dict]) -> Cell:
    if not cases:
        return Cell("absent", "—")
    by_kind: dict[str, list[str]] = {}
    firsts: dict[str, str] = {}
    for c in cases:
        kind = classify(c.get("status", "error"), c.get("failure"), c.get("reason"))
        p = c.get("params") or {}
        by_kind.setdefault(kind, []).append(f"{p.get('auth', '?')}-{p.get('client', '?')}")
        f = c.get("failure") or {}
        firsts.setdefault(
            kind,
            (f.get("message") or c.get("reason") or "").strip().splitlines()[0][:300]
            if (f.get("message") or c.get("reason"))
            else "",
        )
    ok = {"pass", "doc-sdk-difference", "expected-fail", "not-applicable"}
    kinds = sorted(by_kind)
    if set(kinds) <= ok:
        status = "pass"
        text = "pass" if kinds == ["pass"] else ", ".join(kinds)
        return Cell(status, text, [], kinds)
    if kinds == [NOT_IN_SDK]:
        return Cell(NOT_IN_SDK, NOT_IN_SDK, [firsts[NOT_IN_SDK]], kinds)
    bad = [k for k in kinds if k not in ok]
    passed = sum(len(by_kind[k]) for k in kinds if k in ok)
    status = "skipped" if all(k == "skipped" for k in bad) else "fail"
    text = f"{passed}/{len(cases)} pass; " + "; ".join(bad)
    details = [f"{k} ({', '.join(sorted(set(by_kind[k])))}): {firsts[k]}" for k in bad]
    return Cell(status, text, details, kinds)


def merge(results: dict[str, dict | None], problems: dict[str, str] | None = None) -> dict[str, Any]:
    """{version: results.json or None} -> the matrix: rows (call, test) x versions, with what differs."""
    problems = problems or {}
    versions = sorted(results, key=_version_key)
    rows: dict[tuple[str, str], dict[str, list[dict]]] = {}
    titles: dict[tuple[str, str], str] = {}
    for v in versions:
        for c in (results[v] or {}).get("cases", []):
            key = (c.get("call") or "?", c.get("test") or c.get("id", "?"))
            rows.setdefault(key, {}).setdefault(v, []).append(c)
            titles.setdefault(key, c.get("title") or "")
    out_rows: list[dict[str, Any]] = []
    for key in sorted(rows):
        cells = {}
        for v in versions:
            if results[v] is None:
                cells[v] = Cell("no run", "no run", [problems.get(v, "no results")])
            else:
                cells[v] = _cell(rows[key].get(v, []))
        texts = {cells[v].text for v in versions}
        out_rows.append(
            {
                "call": key[0],
                "test": key[1],
                "title": titles[key],
                "cells": {v: cells[v].__dict__ for v in versions},
                "differs": len(texts) > 1,
            }
        )
    summary = {}
    for v in versions:
        counts: dict[str, int] = {}
        for r in out_rows:
            s = r["cells"][v]["status"]
            counts[s] = counts.get(s, 0) + 1
        run = (results[v] or {}).get("run", {})
        summary[v] = {
            "counts": counts,
            "sdk_version": run.get("sdk_version", v),
            "problem": problems.get(v),
            "http_library": "httpx2" if _version_key(v)[0] >= 3 else "httpx",
        }
    return {
        "format": "aoai-conformance/sdk-matrix",
        "version": 1,
        "versions": versions,
        "summary": summary,
        "rows": out_rows,
    }


def render_markdown(matrix: dict[str, Any]) -> str:
    versions = matrix["versions"]

    def esc(s: Any) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    lines = ["# SDK matrix: the bundled cassettes through each openai version", ""]
    lines.append("| openai | HTTP library | rows pass | not in this SDK | fail | other |")
    lines.append("|---|---|---|---|---|---|")
    for v in versions:
        s = matrix["summary"][v]
        c = s["counts"]
        other = sum(n for k, n in c.items() if k not in ("pass", NOT_IN_SDK, "fail"))
        note = f" ({esc(s['problem'])})" if s.get("problem") else ""
        lines.append(
            f"| {v}{note} | {s['http_library']} | {c.get('pass', 0)} | {c.get(NOT_IN_SDK, 0)} | "
            f"{c.get('fail', 0)} | {other} |"
        )
    lines += ["", "## Documented call x SDK version", ""]
    lines.append("| documented call | test | " + " | ".join(versions) + " |")
    lines.append("|---|---|" + "---|" * len(versions))
    for r in matrix["rows"]:
        mark = " **≠**" if r["differs"] else ""
        lines.append(
            f"| {esc(r['call'])}{mark} | {esc(r['test'])} | "
            + " | ".join(esc(r["cells"][v]["text"]) for v in versions)
            + " |"
        )
    diffs = [r for r in matrix["rows"] if r["differs"]]
    lines += ["", f"## What differs ({len(diffs)} rows)", ""]
    if not diffs:
        lines.append("Every row has the same outcome under every version.")
    for r in diffs:
        lines.append(f"### {r['call']} / {r['test']}")
        lines.append("")
        for v in versions:
            cell = r["cells"][v]
            lines.append(f"- **{v}**: {cell['text']}")
            for d in cell["details"]:
                lines.append(f"  - {d}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


_CSS = (
    "body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
    "padding:4px 8px;vertical-align:top}.pass{background:#e6f4ea}.fail{background:#fce8e6}"
    ".notin{background:#eef}.skipped,.other{background:#fff8e1}details{font-size:12px}"
)


def render_html(matrix: dict[str, Any]) -> str:
    versions = matrix["versions"]
    e = html.escape
    css = {"pass": "pass", "fail": "fail", NOT_IN_SDK: "notin"}
    out = [
        "<!doctype html><html><head><meta charset='utf-8'><title>SDK matrix</title>",
        f"<style>{_CSS}</style></head><body><h1>SDK matrix: the bundled cassettes through each openai version</h1>",
        "<table><tr><th>openai</th><th>HTTP library</th><th>rows</th></tr>",
    ]
    for v in versions:
        s = matrix["summary"][v]
        counts = ", ".join(f"{n} {k}" for k, n in sorted(s["counts"].items()))
        problem = f" <em>{e(s['problem'])}</em>" if s.get("problem") else ""
        out.append(f"<tr><td>{e(v)}{problem}</td><td>{e(s['http_library'])}</td><td>{e(counts)}</td></tr>")
    out.append(
        "</table><h2>Documented call x SDK version</h2><table><tr><th>documented call</th><th>test</th>"
        + "".join(f"<th>{e(v)}</th>" for v in versions)
        + "</tr>"
    )
    for r in matrix["rows"]:
        tds = []
        for v in versions:
            cell = r["cells"][v]
            cls = css.get(cell["status"], "other")
            more = (
                (
                    "<details><summary>why</summary><ul>"
                    + "".join(f"<li>{e(d)}</li>" for d in cell["details"])
                    + "</ul></details>"
                )
                if cell["details"]
                else ""
            )
            tds.append(f"<td class='{cls}'>{e(cell['text'])}{more}</td>")
        mark = " ≠" if r["differs"] else ""
        out.append(
            f"<tr><td>{e(r['call'])}{mark}</td><td title='{e(r['title'])}'>{e(r['test'])}</td>{''.join(tds)}</tr>"
        )
    out.append("</table></body></html>\n")
    return "\n".join(out)


def load_results(out: Path, versions: Iterable[str]) -> dict[str, dict | None]:
    found: dict[str, dict | None] = {}
    for v in versions:
        path = out / v / "results.json"
        try:
            found[v] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found[v] = None
    return found


def write(matrix: dict[str, Any], out: Path) -> dict[str, Path]:
    return {
        "md": write_atomic(out / "matrix.md", render_markdown(matrix)),
        "html": write_atomic(out / "matrix.html", render_html(matrix)),
        "json": write_atomic(out / "matrix.json", json.dumps(matrix, indent=1, sort_keys=True) + "\n"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m aoai_conformance.sdkmatrix", description=__doc__.splitlines()[0]
    )
    p.add_argument(
        "--versions",
        default=os.environ.get("AOAI_SDK_MATRIX_VERSIONS", ",".join(DEFAULT_VERSIONS)),
        help="comma-separated openai versions (default: %(default)s)",
    )
    p.add_argument("--out", default="reports/sdk_matrix", help="where per-version reports and the matrix go")
    p.add_argument(
        "--cache", default=None, help="where the venvs live (default: ~/.cache/aoai-conformance/sdk-matrix)"
    )
    p.add_argument("--jobs", type=int, default=4, help="versions installed and replayed at once")
    p.add_argument("--merge-only", action="store_true", help="only merge existing per-version results")
    p.add_argument("extra", nargs="*", help="after --: passed to aoai-conformance run (e.g. -k chat)")
    ns = p.parse_args(argv)
    versions = [v.strip() for v in ns.versions.split(",") if v.strip()]
    out = Path(ns.out).resolve()
    problems: dict[str, str] = {}
    if not ns.merge_only:
        cache = Path(ns.cache) if ns.cache else cache_dir()
        with ThreadPoolExecutor(max_workers=max(1, ns.jobs)) as pool:
            runs = list(pool.map(lambda v: run_version(v, out, cache, ns.extra), versions))
        for r in runs:
            state = f"exit {r.code}" if r.code is not None else "not run"
            print(f"openai {r.version}: {state}" + (f" - {r.problem}" if r.problem else ""), flush=True)
            if r.problem:
                problems[r.version] = r.problem
    results = load_results(out, versions)
    if all(r is None for r in results.values()):
        sys.stderr.write(f"sdk matrix: no results.json under {out}/<version>: run without --merge-only\n")
        return 2
    matrix = merge(results, problems)
    for path in write(matrix, out).values():
        print(f"matrix: {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
