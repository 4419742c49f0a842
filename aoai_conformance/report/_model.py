"""Reading results.json and shaping it for the renderers (matrix, evidence, drift, doc/SDK differences).

Everything here is a pure function of the input dict and sorts what it returns, so the same results give the
same report bytes whatever order pytest (or xdist) finished the tests in.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .. import modes
from ._repeat import Repeat, repeat_of

FORMAT = "aoai-conformance/results"
VERSION = 1

# Case statuses, in the order the summary line lists them.
STATUSES = (
    "pass",
    "fail",
    "error",
    "expected-fail",
    "unexpected-pass",
    "skipped",
    "not-applicable",
    "doc-sdk-difference",
    "not-documented",
    "not-run",
)
LEGEND = tuple(s for s in STATUSES if s != "error")  # the matrices' legend: an error shows as a fail there

# Symbol (never colour alone), text label and a one-line meaning per status. "not-run" is also a matrix cell
# with no case at all. "not-documented" / "not-run": another SDK's case (--sdk) its section does not document /
# that SDK cannot run here; results written before them call both "skipped", with the same reason.
STATUS_INFO: dict[str, tuple[str, str, str]] = {
    "pass": ("\u2713", "pass", "every documented promise held"),
    "fail": ("\u2717", "fail", "a documented promise did not hold (see evidence)"),
    "error": ("\u26a0", "error", "the test itself crashed before reaching a verdict"),
    "expected-fail": ("\u2298", "expected fail", "fails as recorded in the expectations file"),
    "unexpected-pass": (
        "\u203c",
        "unexpected pass",
        "an expected failure passed: documentation may be out of date",
    ),
    "skipped": ("\u21b7", "skipped", "not run this time (reason given)"),
    "not-applicable": ("\u2205", "not applicable", "the promise does not apply to this target/profile"),
    "doc-sdk-difference": (
        "\u2260",
        "doc/SDK difference",
        "the service is fine; the SDK and the docs disagree",
    ),
    "not-documented": (
        "\u25cb",
        "not documented",
        "that SDK's section of the documentation does not document this (never meant to run)",
    ),
    "not-run": (
        "\u00b7",
        "not run",
        "not run here: that SDK cannot run on this machine (reason given), or no test for this combination",
    ),
}

# Statuses that need someone to look (a failing cell, evidence, "new failure" in the diff).
BAD = frozenset({"fail", "error", "unexpected-pass"})
EVIDENCE_STATUSES = BAD

# How the cases of one cell combine: the first status in this list that any case has wins.
_CELL_PRECEDENCE = (
    "fail",
    "unexpected-pass",
    "expected-fail",
    "doc-sdk-difference",
    "pass",
    "skipped",
    "not-run",
    "not-documented",
    "not-applicable",
)

DRIFT_KINDS = ("drift", "spec-deviation")


class ReportInputError(Exception):
    """results.json cannot be used; ``str(err)`` is one line naming the file and the fix."""


# --------------------------------------------------------------------------------------------------- loading


def load(path: str | Path) -> dict:
    """Read and sanity-check a results.json (format version 1). Raises ReportInputError (one line: which file,
    what is wrong, what to do) instead of a traceback."""
    p = Path(path)
    hint = "run `aoai-conformance run` to write reports/results.json, or pass the path of one"
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ReportInputError(f"{p}: results file not found; {hint}") from None
    except IsADirectoryError:
        raise ReportInputError(f"{p}: is a directory, not a results file; {hint}") from None
    except OSError as exc:
        raise ReportInputError(f"{p}: cannot read results file ({exc.strerror or exc}); {hint}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ReportInputError(f"{p}: not UTF-8 text, so not a results file; {hint}") from None
    except json.JSONDecodeError as exc:
        raise ReportInputError(
            f"{p}: invalid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            f"the run may have been interrupted while writing it; re-run `aoai-conformance run`"
        ) from None
    check(data, p)
    return data


def check(data: Any, source: str | Path = "results") -> None:
    """Raise ReportInputError unless ``data`` has the shape the renderer relies on."""
    fix = f"expected a {FORMAT!r} version {VERSION} file as written by `aoai-conformance run`"
    if not isinstance(data, dict):
        raise ReportInputError(f"{source}: top level is a JSON {_json_type(data)}, not an object; {fix}")
    if data.get("format") != FORMAT:
        raise ReportInputError(f"{source}: format is {data.get('format')!r}, not {FORMAT!r}; {fix}")
    version = data.get("version")
    if version != VERSION:
        if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
            raise ReportInputError(
                f"{source}: results format version {version} is newer than this renderer reads ({VERSION}); "
                f"upgrade aoai-conformance"
            )
        raise ReportInputError(f"{source}: format version is {version!r}, not {VERSION}; {fix}")
    if not isinstance(data.get("run"), dict):
        raise ReportInputError(f"{source}: 'run' is missing or not an object; {fix}")
    cases = data.get("cases")
    if not isinstance(cases, list):
        raise ReportInputError(f"{source}: 'cases' is missing or not a list; {fix}")
    seen: set[str] = set()
    for i, case in enumerate(cases):
        if not isinstance(case, dict):
            raise ReportInputError(f"{source}: cases[{i}] is a JSON {_json_type(case)}, not an object; {fix}")
        cid = case.get("id")
        if not isinstance(cid, str) or not cid:
            raise ReportInputError(f"{source}: cases[{i}] has no 'id' string; {fix}")
        if cid in seen:
            raise ReportInputError(f"{source}: case id {cid!r} appears twice; {fix}")
        seen.add(cid)
        status = case.get("status")
        if status not in STATUSES:
            raise ReportInputError(
                f"{source}: case {cid!r} has status {status!r}, not one of {', '.join(STATUSES)}; {fix}"
            )


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


# --------------------------------------------------------------------------------------------- small helpers


def text(value: Any) -> str:
    """Any JSON value as display text ('' for None); objects as canonical JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def shorten(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def anchor(prefix: str, key: str) -> str:
    """A stable HTML id for ``key`` (case ids contain brackets, colons, spaces...)."""
    return f"{prefix}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


def status_of(case: dict) -> str:
    status = case.get("status")
    return status if status in STATUSES else "error"


def case_call(case: dict) -> str:
    return text(case.get("call")) or text(case.get("test")) or "(unknown call)"


def case_params(case: dict) -> dict:
    return as_dict(case.get("params"))


def section_group(section: str) -> str:
    return section.split(" / ", 1)[0].strip() if section else ""


def notes_of(case: dict) -> list[dict]:
    return [n for n in as_list(case.get("notes")) if isinstance(n, dict)]


# ------------------------------------------------------------------------------------------------ cell status


def cell_status(cases: Iterable[dict]) -> str:
    """Combine the cases of one matrix cell (sync + async, several tests of one call) into one status.

    Any fail or error -> "fail"; then unexpected-pass (beats expected-fail: a known failure started passing),
    expected-fail, doc-sdk-difference, pass; skipped only when nothing ran, then not-run (that SDK could not run),
    not-documented, not-applicable only when nothing applied. No cases at all -> "not-run". Unknown statuses count as errors (so as "fail").
    """
    found = set()
    for case in cases:
        status = status_of(case) if isinstance(case, dict) else "error"
        found.add("fail" if status == "error" else status)
    if not found:
        return "not-run"
    for status in _CELL_PRECEDENCE:
        if status in found:
            return status
    return "fail"  # pragma: no cover - every status is in the precedence list


# ----------------------------------------------------------------------------------------------------- matrix


@dataclass
class Column:
    key: tuple[str, ...]
    parts: list[tuple[str, str]]  # (dimension, value) for the header

    @property
    def label(self) -> str:
        return " \u00b7 ".join(value for _, value in self.parts)


@dataclass
class Cell:
    status: str
    cases: list[dict]
    evidence: list[dict] = field(default_factory=list)  # cases with evidence, in id order
    reason: str = ""
    breakdown: list[tuple[str, str]] = field(default_factory=list)  # (who, status) when statuses are mixed
    repeat: Repeat | None = None  # --repeat K: how the K runs of each case went


@dataclass
class Row:
    call: str
    sections: list[str]
    cells: list[Cell]


@dataclass
class Group:
    name: str
    rows: list[Row]


@dataclass
class Matrix:
    columns: list[Column]
    groups: list[Group]
    dimensions: list[str]  # which parameters became columns
    folded: dict[str, list[str]]  # parameters folded into cells -> values seen


_AUTH_ORDER = {"entra": 0, "key": 1, "env": 2}


def _sort_key(dim: str, value: str) -> tuple:
    if dim == "auth":
        return (_AUTH_ORDER.get(value, 9), value)
    if dim == "sdk":
        return (tuple(int(p) if p.isdigit() else 0 for p in value.split(".")), value)
    return (0, value)


def _dims(case: dict) -> dict[str, str]:
    params = case_params(case)
    return {
        "auth": text(params.get("auth")) or "-",
        "target": text(params.get("target")) or "-",
        "client": text(params.get("client")) or "-",
        "lang": text(case.get("sdk")) or "python",  # which SDK (results.json's case.sdk)
        "sdk": text(case.get("sdk_version")) or "-",  # its version
    }


def build_matrix(cases: list[dict]) -> Matrix:
    """Rows: each documented call, grouped by documentation section; columns: auth x target (x SDK, x SDK
    version, each when several were run). The client (sync/async) is folded into the cell; a cell whose cases
    disagree shows who did what."""
    dims_of = {case["id"]: _dims(case) for case in cases}
    values: dict[str, set[str]] = {d: set() for d in ("auth", "target", "client", "lang", "sdk")}
    for dims in dims_of.values():
        for d, v in dims.items():
            values[d].add(v)
    column_dims = ["auth", "target"] + [d for d in ("lang", "sdk") if len(values[d]) > 1]
    folded = {d: sorted(values[d], key=functools.partial(_sort_key, d)) for d in ("client", "sdk")}
    if "sdk" in column_dims:
        del folded["sdk"]

    col_keys = sorted(
        {tuple(dims_of[c["id"]][d] for d in column_dims) for c in cases},
        key=lambda k: tuple(_sort_key(d, v) for d, v in zip(column_dims, k)),
    )
    columns = [
        Column(key=k, parts=[(d, _column_value(d, v)) for d, v in zip(column_dims, k)]) for k in col_keys
    ]

    by_row: dict[str, dict[tuple[str, ...], list[dict]]] = {}
    sections: dict[str, set[str]] = {}
    for case in cases:
        call = case_call(case)
        key = tuple(dims_of[case["id"]][d] for d in column_dims)
        by_row.setdefault(call, {}).setdefault(key, []).append(case)
        sec = text(case.get("section"))
        if sec:
            sections.setdefault(call, set()).add(sec)

    groups: dict[str, list[Row]] = {}
    for call in by_row:
        secs = sorted(sections.get(call, ()))
        group = section_group(secs[0]) if secs else "Other"
        cells = [
            _cell(sorted(by_row[call].get(col.key, []), key=lambda c: c["id"]), dims_of) for col in columns
        ]
        groups.setdefault(group or "Other", []).append(Row(call=call, sections=secs, cells=cells))
    ordered = [
        Group(name=name, rows=sorted(rows, key=lambda r: r.call))
        for name, rows in sorted(groups.items(), key=lambda kv: (kv[0] == "Other", kv[0].lower(), kv[0]))
    ]
    return Matrix(columns=columns, groups=ordered, dimensions=column_dims, folded=folded)


def dimension_names(matrix: Matrix) -> list[str]:
    """The column dimensions as a reader calls them (``lang`` is the SDK, ``sdk`` its version)."""
    return [{"lang": "SDK", "sdk": "SDK version"}.get(d, d) for d in matrix.dimensions]


def _column_value(dim: str, value: str) -> str:
    return {"sdk": "SDK " + value, "lang": value + " SDK"}.get(dim, value)


def _cell(cases: list[dict], dims_of: dict[str, dict[str, str]]) -> Cell:
    status = cell_status(cases)
    cell = Cell(status=status, cases=cases, repeat=repeat_of(cases))
    if cell.repeat is not None:  # a case run K times is one case in the breakdown, not K
        cases = [c for c in cases if int(c.get("repeat") or 1) == 1] or cases
    cell.evidence = [c for c in cases if status_of(c) in EVIDENCE_STATUSES]
    for c in cases:
        if cell_status([c]) == status:
            reason = text(c.get("reason"))
            if reason:
                cell.reason = reason
                break
    statuses = {status_of(c) for c in cases}
    if len(statuses) > 1:
        tests = {text(c.get("test")) for c in cases}
        client_order = {"sync": 0, "async": 1}
        ordered = sorted(
            cases,
            key=lambda c: (text(c.get("test")), client_order.get(dims_of[c["id"]]["client"], 2), c["id"]),
        )
        for c in ordered:
            who = dims_of[c["id"]]["client"]
            if len(tests) > 1:
                who = f"{text(c.get('test')) or c['id']} {who}".strip()
            cell.breakdown.append((who, status_of(c)))
    return cell


# ------------------------------------------------------------------------------------------ derived sections


def counts(cases: list[dict]) -> dict[str, int]:
    found = {s: 0 for s in STATUSES}
    for case in cases:
        found[status_of(case)] += 1
    return {s: n for s, n in found.items() if n}


def evidence_cases(cases: list[dict]) -> list[dict]:
    """Cases that need evidence: failures, errors, unexpected passes (unexpected passes last, then by id)."""
    order = {"fail": 0, "error": 1, "unexpected-pass": 2}
    chosen = [c for c in cases if status_of(c) in EVIDENCE_STATUSES]
    return sorted(chosen, key=lambda c: (order[status_of(c)], case_call(c), c["id"]))


def run_date(results: dict) -> str:
    run = as_dict(results.get("run"))
    return text(run.get("started")) or text(run.get("finished"))


def drift_entries(results: dict, previous: dict | None = None) -> list[dict]:
    """Drift and spec deviations, one entry per (kind, call, path): where, what, first seen, which cases.

    first seen: the earliest of a ``first_seen`` the note carries (optional field), the previous run's date
    when the previous run already had it, and this run's date.
    """
    now = run_date(results)
    before: dict[tuple[str, str, str], str] = {}
    if previous:
        prev_date = run_date(previous)
        for case in as_list(previous.get("cases")):
            if not isinstance(case, dict):
                continue
            for n in notes_of(case):
                if n.get("kind") in DRIFT_KINDS:
                    key = _drift_key(case, n)
                    seen = [d for d in (text(n.get("first_seen")), prev_date, before.get(key, "")) if d]
                    before[key] = min(seen) if seen else ""
    entries: dict[tuple[str, str, str], dict] = {}
    for case in as_list(results.get("cases")):
        for n in notes_of(case):
            if n.get("kind") not in DRIFT_KINDS:
                continue
            key = _drift_key(case, n)
            entry = entries.setdefault(
                key,
                {
                    "kind": key[0],
                    "call": key[1],
                    "path": text(n.get("path")),
                    "message": text(n.get("message")),
                    "first_seen": "",
                    "cases": [],
                },
            )
            entry["cases"].append(case["id"])
            dates = [
                d for d in (entry["first_seen"], text(n.get("first_seen")), before.get(key, ""), now) if d
            ]
            entry["first_seen"] = min(dates) if dates else ""
            entry["new"] = previous is not None and key not in before
    out = []
    for key in sorted(entries):
        entry = entries[key]
        entry["cases"] = sorted(set(entry["cases"]))
        entry.setdefault("new", False)
        out.append(entry)
    return out


def _drift_key(case: dict, note: dict) -> tuple[str, str, str]:
    return (text(note.get("kind")), case_call(case), text(note.get("path")) or text(note.get("message")))


def doc_sdk_entries(results: dict) -> list[dict]:
    """Documentation/SDK differences: from notes of that kind and from cases with that status."""
    entries: dict[tuple[str, str], dict] = {}
    for case in as_list(results.get("cases")):
        messages = [text(n.get("message")) for n in notes_of(case) if n.get("kind") == "doc-sdk-difference"]
        if status_of(case) == "doc-sdk-difference" and not messages:
            messages.append(text(case.get("reason")) or text(case.get("title")) or "(no description given)")
        for message in messages:
            key = (case_call(case), message)
            entry = entries.setdefault(
                key, {"call": key[0], "message": message, "section": text(case.get("section")), "cases": []}
            )
            entry["cases"].append(case["id"])
    return [dict(entries[k], cases=sorted(set(entries[k]["cases"]))) for k in sorted(entries)]


BODY_LIMIT = 4000  # characters of a request or response body shown as evidence


def http_text(part: dict, request: bool) -> str:
    """A scrubbed request or response as plain text (first line, headers, body), for either renderer to escape."""
    lines = []
    if request:
        lines.append(f"{text(part.get('method')) or '?'} {text(part.get('url'))}".rstrip())
    else:
        lines.append(f"HTTP {text(part.get('status')) or '?'}")
    for k, v in sorted(as_dict(part.get("headers")).items()):
        lines.append(f"{k}: {text(v)}")
    body = part.get("body")
    if body not in (None, ""):
        lines += ["", shorten(text(body), BODY_LIMIT)]
    return "\n".join(lines)


def run_rows(
    run: dict, targets: list[dict], *, text: Any, code: Any, strong: Any, sdks: tuple[str, str] | None = None
) -> list[tuple[str, str]]:
    """The run header as (label, value) rows, formatted by the caller's escapers (HTML or Markdown): one
    definition of what the header says, two renderings. ``sdks``: ``_sdks.label()``, the SDKs that made the calls."""
    rows: list[tuple[str, str]] = []
    for t in targets or [{}]:
        bits = [strong(t.get("name") or "unknown")]
        if t.get("kind"):
            bits.append(f"kind {text(t.get('kind'))}")
        if t.get("profile"):
            bits.append(f"profile {text(t.get('profile'))}")
        rows.append(("Target", ", ".join(bits)))
        rows.append(("Host", code(t.get("host")) if t.get("host") else "not given"))
        rows.append(("Region", text(t.get("region")) if t.get("region") else "unknown"))
        deps = as_dict(t.get("deployments"))
        if deps:
            rows.append(("Deployments", ", ".join(f"{text(k)}: {code(v)}" for k, v in sorted(deps.items()))))
    models = as_dict(run.get("models_seen"))
    rows.append(
        (
            "Model versions seen",
            ", ".join(
                f"{code(k)} \u2192 {text(', '.join(sorted(text_value(x) for x in as_list(v))) or 'none')}"
                for k, v in sorted(models.items())
            )
            or "none reported",
        )
    )
    heading, value = sdks or ("openai SDK", run.get("sdk_version") or "unknown")
    rows.append((heading, text(value)))
    rows.append(("Suite", text(run.get("suite_version")) or "unknown"))
    if run.get("python"):
        rows.append(("Python", text(run.get("python"))))
    rows.append(("Mode", text(run.get("mode")) or "unknown"))
    rows.append(("Started", text(run.get("started")) or "unknown"))
    if run.get("finished"):
        rows.append(("Finished", text(run.get("finished"))))
    if run.get("expectations_file"):
        rows.append(("Expectations", code(run.get("expectations_file"))))
    if run.get("command"):
        rows.append(("Command", code(run.get("command"))))
    tokens = as_dict(run.get("tokens"))
    total = tokens.get("total")
    # A run that reaches no server spends nothing: its numbers are what the recorded calls cost when recorded.
    mode = modes.by_name(text(run.get("mode")))
    label = (
        "Tokens (recorded in the cassettes)"
        if mode is not None and not mode.reaches_server
        else "Tokens used"
    )
    rows.append((label, text(total) if total is not None else "not reported"))
    by_repeat = as_dict(tokens.get("by_repeat"))
    if by_repeat:
        rows.append(("Tokens per repeat", ", ".join(f"#{text(k)}: {text(v)}" for k, v in by_repeat.items())))
    return rows


text_value = text  # the plain-text rendering of a value, before the caller's escaping


@dataclass
class View:
    """What both renderers show, computed once per run (the HTML and the Markdown are two renderings of it)."""

    run: dict
    cases: list[dict]
    matrix: Any
    evidence: list[dict]
    drift: list[dict]
    docsdk: list[dict]
    unexpected: list[dict]
    targets: list[dict]
    target_names: str


def view(results: dict, previous: dict | None) -> View:
    run = as_dict(results.get("run"))
    cases = [c for c in as_list(results.get("cases")) if isinstance(c, dict)]
    evidence = evidence_cases(cases)
    targets = [as_dict(t) for t in as_list(run.get("targets"))]
    return View(
        run=run,
        cases=cases,
        matrix=build_matrix(cases),
        evidence=evidence,
        drift=drift_entries(results, previous),
        docsdk=doc_sdk_entries(results),
        unexpected=[c for c in evidence if status_of(c) == "unexpected-pass"],
        targets=targets,
        target_names=", ".join(text(t.get("name")) for t in targets if t.get("name")) or "unknown target",
    )


def params_text(params: dict) -> str:
    """A case's parameters as 'auth=key, client=sync, target=standin'."""
    return ", ".join(f"{k}={v}" for k, v in sorted(params.items())) if params else ""
