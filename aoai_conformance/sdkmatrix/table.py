"""The SDK matrix's table (the merge): each column's ``results.json`` -> one table of documented call x SDK version.

Pure (standard library only, no SDK imported): unit-tested on fabricated results, and runs whichever ``openai``
is installed. A column is named ``"<sdk> <version>"`` (``python 3.54.0``, ``node 6.49.0``, ``go v3.99.0``);
a bare version is a Python column (the matrix before it covered the other SDKs).
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..files import write_atomic

SDKS = ("python", "node", "go", "java")
NOT_IN_SDK = (
    "not in this SDK"  # the skip reason calls.not_in_sdk() gives (kept in step with calls.NOT_IN_SDK)
)
NOT_DOCUMENTED = "not documented"  # sdks.coverage: "not documented for <sdk>: <what> (not in its section)"
OK = ("pass", "doc-sdk-difference", "expected-fail", "not-applicable")
NEUTRAL = (NOT_IN_SDK, NOT_DOCUMENTED)  # the call is absent from that SDK or its section: no failure
FAILING = ("fail", "error", "unexpected-pass")
# How an SDK reaches HTTP, for the summary (the Python SDK's library changes with its major).
HTTP = {"node": "fetch", "go": "net/http", "java": "OkHttp"}

# What a difference is, from the failing promise or message: the matrix's "what differs" column.
KINDS = (
    (NOT_IN_SDK, lambda p, m: m.startswith(NOT_IN_SDK)),
    (NOT_DOCUMENTED, lambda p, m: m.startswith(NOT_DOCUMENTED + " for ")),
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


def column(sdk: str, version: str) -> str:
    return f"{sdk} {version}"


def split(name: str) -> tuple[str, str]:
    """``"node 6.49.0"`` -> (``node``, ``6.49.0``); a bare version is Python's."""
    sdk, _, version = name.partition(" ")
    return (sdk, version) if version else ("python", sdk)


def folder(name: str) -> str:
    """Where a column's reports go under the matrix's folder: ``node-6.49.0``."""
    return "-".join(split(name))


def version_key(v: str) -> tuple:
    parts = v.lstrip("v").replace("-", ".").split(".")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def column_key(name: str) -> tuple:
    sdk, version = split(name)
    return (SDKS.index(sdk) if sdk in SDKS else len(SDKS), sdk, version_key(version))


def http_library(name: str) -> str:
    sdk, version = split(name)
    if sdk == "python":
        return "httpx2" if version_key(version)[0][1] >= 3 else "httpx"
    return HTTP.get(sdk, "?")


def classify(status: str, failure: dict | None, reason: str | None) -> str:
    """What kind of difference one case shows: an OK status, 'not in this SDK', 'not documented', a KINDS label,
    or the status."""
    if status in OK:
        return status
    promise = str((failure or {}).get("promise") or "")
    message = str((failure or {}).get("message") or reason or "")
    for kind, test in KINDS:
        if test(promise, message):
            return kind
    return f"{status}: {promise}" if promise else status


def case_counts(results: dict | None) -> dict[str, int]:
    """One column's cases: pass / doc-SDK difference / expected fail / not documented / skipped / failed."""
    counts = dict.fromkeys(
        ("pass", "doc-sdk-difference", "expected-fail", NOT_DOCUMENTED, "skipped", "failed"), 0
    )
    for c in (results or {}).get("cases", []):
        status = c.get("status", "error")
        kind = classify(status, c.get("failure"), c.get("reason"))
        if status in FAILING:
            counts["failed"] += 1
        elif kind in NEUTRAL:
            counts[NOT_DOCUMENTED] += 1  # not in that SDK version, or not in that SDK's section
        elif status in counts:
            counts[status] += 1
        else:
            counts["skipped"] += 1  # skipped for another reason, not-applicable
    return counts


@dataclass
class Cell:
    status: str  # pass | not in this SDK | not documented | fail | skipped | no run | absent
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
        message = (c.get("failure") or {}).get("message") or c.get("reason") or ""
        firsts.setdefault(kind, message.strip().splitlines()[0][:300] if message.strip() else "")
    kinds = sorted(by_kind)

    def detail(k: str) -> str:
        return f"{k} ({', '.join(sorted(set(by_kind[k])))}): {firsts[k]}"

    neutral = [k for k in kinds if k in NEUTRAL]
    if set(kinds) <= set(OK) | set(NEUTRAL):
        if not set(kinds) - set(NEUTRAL):  # nothing ran: the call is not in this SDK (version) or its section
            status = NOT_IN_SDK if kinds == [NOT_IN_SDK] else NOT_DOCUMENTED
            return Cell(status, status, [firsts[k] for k in kinds], kinds)
        text = "pass" if kinds == ["pass"] else ", ".join(kinds)
        return Cell("pass", text, [detail(k) for k in neutral], kinds)
    bad = [k for k in kinds if k not in OK and k not in NEUTRAL]
    passed = sum(len(by_kind[k]) for k in kinds if k in OK)
    ran = sum(len(by_kind[k]) for k in kinds if k not in NEUTRAL)
    status = "skipped" if all(k == "skipped" for k in bad) else "fail"
    text = f"{passed}/{ran} pass; " + "; ".join(bad)
    return Cell(status, text, [detail(k) for k in bad + neutral], kinds)


def _installed(results: dict | None, name: str) -> str:
    """The version that answered: each case's ``sdk_version`` (a driver's hello), else the run's."""
    seen = Counter(c.get("sdk_version") for c in (results or {}).get("cases", []) if c.get("sdk_version"))
    if seen:
        return str(seen.most_common(1)[0][0])
    return str((results or {}).get("run", {}).get("sdk_version") or split(name)[1])


def merge(results: dict[str, dict | None], problems: dict[str, str] | None = None) -> dict[str, Any]:
    """{column: results.json or None} -> the matrix: rows (call, test) x columns, with what differs between the
    versions of one SDK."""
    problems = problems or {}
    columns = sorted(results, key=column_key)
    rows: dict[tuple[str, str], dict[str, list[dict]]] = {}
    titles: dict[tuple[str, str], str] = {}
    for v in columns:
        for c in (results[v] or {}).get("cases", []):
            key = (c.get("call") or "?", c.get("test") or c.get("id", "?"))
            rows.setdefault(key, {}).setdefault(v, []).append(c)
            titles.setdefault(key, c.get("title") or "")
    out_rows: list[dict[str, Any]] = []
    for key in sorted(rows):
        cells = {}
        for v in columns:
            if results[v] is None:
                cells[v] = Cell("no run", "not run", [problems.get(v, "no results")])
            else:
                cells[v] = _cell(rows[key].get(v, []))
        by_sdk: dict[str, set[str]] = {}
        for v in columns:
            if results[v] is not None:  # a column that did not run has nothing to compare
                by_sdk.setdefault(split(v)[0], set()).add(cells[v].text)
        out_rows.append(
            {
                "call": key[0],
                "test": key[1],
                "title": titles[key],
                "cells": {v: cells[v].__dict__ for v in columns},
                "differs": any(len(texts) > 1 for texts in by_sdk.values()),
                "differs_in": [sdk for sdk, texts in by_sdk.items() if len(texts) > 1],
            }
        )
    summary = {}
    for v in columns:
        counts: dict[str, int] = {}
        for r in out_rows:
            s = r["cells"][v]["status"]
            counts[s] = counts.get(s, 0) + 1
        sdk, version = split(v)
        summary[v] = {
            "sdk": sdk,
            "version": version,
            "counts": counts,
            "cases": case_counts(results[v]) if results[v] is not None else None,
            "sdk_version": _installed(results[v], v),
            "problem": problems.get(v) or (None if results[v] is not None else "no results"),
            "http_library": http_library(v),
        }
    return {
        "format": "aoai-conformance/sdk-matrix",
        "version": 2,
        "columns": columns,
        "versions": columns,  # version 1's name for the columns
        "summary": summary,
        "rows": out_rows,
    }


TITLE = "SDK matrix: the bundled cassettes through each SDK version"
CASE_COLUMNS = (
    ("pass", "pass"),
    ("doc-sdk-difference", "doc/SDK difference"),
    ("expected-fail", "expected fail"),
    (NOT_DOCUMENTED, "not documented / not in SDK"),
    ("skipped", "skipped"),
    ("failed", "failed"),
)


def summary_line(name: str, s: dict[str, Any]) -> str:
    """One column in one line (the command's output)."""
    if s.get("cases") is None:
        return f"{name}: not run: {s.get('problem')}"
    counts = ", ".join(f"{s['cases'][k]} {label}" for k, label in CASE_COLUMNS)
    installed = (
        f" (answered as {s['sdk_version']})"
        if s["sdk_version"].lstrip("v") != s["version"].lstrip("v")
        else ""
    )
    return f"{name}{installed}: {counts}"


def render_markdown(matrix: dict[str, Any]) -> str:
    columns = matrix["columns"]

    def esc(s: Any) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    lines = [f"# {TITLE}", "", "Cases per column (each auth mode and client of each test is one case).", ""]
    lines.append(
        "| SDK version | HTTP library | "
        + " | ".join(label for _, label in CASE_COLUMNS)
        + " | documented-call rows passing |"
    )
    lines.append("|---|---|" + "---|" * (len(CASE_COLUMNS) + 1))
    for v in columns:
        s = matrix["summary"][v]
        if s.get("cases") is None:
            lines.append(
                f"| {esc(v)} | {s['http_library']} | not run: {esc(s['problem'])} |"
                + " |" * len(CASE_COLUMNS)
            )
            continue
        c, rows = s["cases"], s["counts"]
        ran = sum(n for k, n in rows.items() if k not in (NOT_IN_SDK, NOT_DOCUMENTED, "absent"))
        note = f" ({esc(s['problem'])})" if s.get("problem") else ""
        lines.append(
            f"| {esc(v)}{note} | {s['http_library']} | "
            + " | ".join(str(c[k]) for k, _ in CASE_COLUMNS)
            + f" | {rows.get('pass', 0)} / {ran} |"
        )
    lines += ["", "## Documented call x SDK version", ""]
    lines.append("| documented call | test | " + " | ".join(columns) + " |")
    lines.append("|---|---|" + "---|" * len(columns))
    for r in matrix["rows"]:
        mark = " **≠**" if r["differs"] else ""
        lines.append(
            f"| {esc(r['call'])}{mark} | {esc(r['test'])} | "
            + " | ".join(esc(r["cells"][v]["text"]) for v in columns)
            + " |"
        )
    diffs = [r for r in matrix["rows"] if r["differs"]]
    lines += ["", f"## What differs between versions of one SDK ({len(diffs)} rows)", ""]
    if not diffs:
        lines.append("Every row has the same outcome under every version of each SDK.")
    for r in diffs:
        lines.append(f"### {r['call']} / {r['test']}")
        lines.append("")
        for v in columns:
            if split(v)[0] not in r.get("differs_in", SDKS):
                continue  # the SDKs whose versions agree on this row are in the table above
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
    columns = matrix["columns"]
    e = html.escape
    css = {"pass": "pass", "fail": "fail", NOT_IN_SDK: "notin", NOT_DOCUMENTED: "notin"}
    out = [
        "<!doctype html><html><head><meta charset='utf-8'><title>SDK matrix</title>",
        f"<style>{_CSS}</style></head><body><h1>{e(TITLE)}</h1>",
        "<table><tr><th>SDK version</th><th>HTTP library</th>"
        + "".join(f"<th>{e(label)}</th>" for _, label in CASE_COLUMNS)
        + "</tr>",
    ]
    for v in columns:
        s = matrix["summary"][v]
        if s.get("cases") is None:
            summary = f"<td colspan='{len(CASE_COLUMNS)}' class='other'>not run: {e(str(s['problem']))}</td>"
        else:
            summary = "".join(f"<td>{s['cases'][k]}</td>" for k, _ in CASE_COLUMNS)
        out.append(f"<tr><td>{e(v)}</td><td>{e(s['http_library'])}</td>{summary}</tr>")
    out.append(
        "</table><h2>Documented call x SDK version</h2><table><tr><th>documented call</th><th>test</th>"
        + "".join(f"<th>{e(v)}</th>" for v in columns)
        + "</tr>"
    )
    for r in matrix["rows"]:
        tds = []
        for v in columns:
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


def load_results(out: Path, columns: Iterable[str]) -> dict[str, dict | None]:
    found: dict[str, dict | None] = {}
    for v in columns:
        path = out / folder(v) / "results.json"
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
