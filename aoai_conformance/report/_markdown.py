"""compat.md: the same report as GitHub-flavoured Markdown (for PR comments, job summaries, chat).

Values from results.json are untrusted: ``_t`` backslash-escapes Markdown punctuation (``|`` included, so
table cells stay cells) and flattens newlines; code goes in fences longer than any backtick run inside.
"""

from __future__ import annotations

import re
from typing import Any

from . import _model as m
from . import _sdks
from ._diff import Diff

_PUNCT = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")


def _t(value: Any) -> str:
    s = m.text(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return _PUNCT.sub(r"\\\1", s)


def _code(value: Any, table: bool = False) -> str:
    """Inline code. In a table cell ``|`` still needs a backslash (GFM splits cells before code spans)."""
    s = m.text(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    if table:
        s = s.replace("|", "\\|")
    if not s:
        return ""
    longest = max((len(r) for r in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or longest else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _tcode(value: Any) -> str:
    return _code(value, table=True)


def _fenced(value: str) -> str:
    longest = max((len(r) for r in re.findall(r"`+", value)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{value}\n{fence}"


def _status(status: str, label: str | None = None) -> str:
    sym, name, _ = m.STATUS_INFO[status]
    return f"{sym} {_t(label if label is not None else name)}"


def render_markdown(results: dict, diff: Diff | None, previous: dict | None, v: m.View | None = None) -> str:
    v = v or m.view(results, previous)
    run, cases, matrix, evidence, drift, docsdk, unexpected = (
        v.run,
        v.cases,
        v.matrix,
        v.evidence,
        v.drift,
        v.docsdk,
        v.unexpected,
    )
    targets, names = v.targets, v.target_names

    out: list[str] = ["# Azure OpenAI conformance report", ""]
    lead = [f"target **{_t(names)}**"]
    if run.get("mode"):
        lead.append(f"mode **{_t(run.get('mode'))}**")
    heading, sdks = _sdks.label(results)
    lead.append(f"{heading} **{_t(sdks)}**")
    if m.run_date(results):
        lead.append(_t(m.run_date(results)))
    out += [" · ".join(lead), ""]
    found = m.counts(cases)
    if found:
        out.append(
            f"**{len(cases)} case{'s' if len(cases) != 1 else ''}:** "
            + " · ".join(f"{n} {_status(s)}" for s, n in found.items())
        )
    else:
        out.append("**No cases in this run.**")
    out.append("")
    if unexpected:
        n = len(unexpected)
        out += [
            f"> [!WARNING]\n> **‼ {n} unexpected pass{'es' if n != 1 else ''}: documentation may be out of "
            "date.** An expected failure from the expectations file now passes; check the docs and update the "
            "expectations.",
            "",
        ]

    for entry in m.as_list(run.get("not_checked")):
        out += [f"> [!CAUTION]\n> **{_t(m.as_dict(entry).get('headline'))}**", ""]
    if diff is not None:
        out += _diff(diff, previous or {})
    out += _run(run, targets, _sdks.label(results))
    out += _matrix(matrix)
    out += _evidence(evidence)
    out += _drift(drift, previous is not None)
    out += _docsdk(docsdk)
    out += [
        "---",
        f"Rendered from results.json (format `{m.FORMAT}` version {m.VERSION}); rebuild with "
        "`python -m aoai_conformance.report reports/results.json`.",
        "",
    ]
    return "\n".join(out)


def _ref(item: dict) -> str:
    p = m.params_text(item.get("params") or {})
    return _code(item["call"]) + (f" ({_t(p)})" if p else "")


def _diff(diff: Diff, previous: dict) -> list[str]:
    out = ["## Changes since the previous run", ""]
    if m.run_date(previous):
        out += [f"Compared with the run of {_t(m.run_date(previous))}.", ""]
    if diff.empty:
        out += ["No changes: same statuses, no new drift, same model versions.", ""]
    if diff.new_failures:
        out += [f"### New failures ({len(diff.new_failures)})", ""]
        for item in diff.new_failures:
            was = f"was {item['previous']}" if item["previous"] else "new case"
            why = f" — {_code(item['promise'])}" if item["promise"] else ""
            msg = f": {_t(m.shorten(item['message'], 240))}" if item["message"] else ""
            out.append(
                f"- {_status(item['status'])} [{_ref(item)}](#{m.anchor('ev', item['id'])}) ({_t(was)}){why}{msg}"
            )
        out.append("")
    if diff.fixed:
        out += [f"### Fixed ({len(diff.fixed)})", ""]
        out += [f"- {_status(i['status'])} {_ref(i)} (was {_t(i['previous'])})" for i in diff.fixed]
        out.append("")
    if diff.new_drift:
        out += [f"### New drift ({len(diff.new_drift)})", ""]
        out += [
            f"- {_code(i['path'] or '(no path)')} in {_code(i['call'])} ({_t(i['kind'])}): {_t(i['message'])}"
            for i in diff.new_drift
        ]
        out.append("")
    if diff.changed_models:
        out += [f"### Changed model versions ({len(diff.changed_models)})", ""]
        out += [
            f"- {_code(i['model'])}: {_t(', '.join(i['previous']) or 'none')} → {_t(', '.join(i['current']) or 'none')}"
            for i in diff.changed_models
        ]
        out.append("")
    for title, items in (("New cases", diff.new_cases), ("Removed cases", diff.removed_cases)):
        if items:
            out += [f"<details><summary>{title} ({len(items)})</summary>", ""]
            out += [f"- {_status(i['status'])} {_code(i['id'])}" for i in items]
            out += ["", "</details>", ""]
    return out


def _run(run: dict, targets: list[dict], sdks: tuple[str, str]) -> list[str]:
    out = ["## Run", "", "| | |", "|---|---|"]

    def row(label: str, value: str) -> None:
        out.append(f"| {label} | {value} |")

    for label, value in m.run_rows(
        run, targets, text=_t, code=_tcode, strong=lambda v: f"**{_t(v)}**", sdks=sdks
    ):
        row(label, value)
    tokens = m.as_dict(run.get("tokens"))
    out.append("")
    by_call = m.as_dict(tokens.get("by_call"))
    if by_call:
        out += ["| Call | prompt | completion | total |", "|---|---:|---:|---:|"]
        for call, u in sorted(by_call.items()):
            u = m.as_dict(u)
            out.append(
                f"| {_tcode(call)} | {_t(u.get('prompt'))} | {_t(u.get('completion'))} | {_t(u.get('total'))} |"
            )
        out.append("")
    return out


def _matrix(matrix: m.Matrix) -> list[str]:
    out = ["## Compatibility matrix", ""]
    note = (
        f"Rows: documented calls by documentation section. Columns: {' × '.join(m.dimension_names(matrix))}."
    )
    folded = [f"{d} {', '.join(v)}" for d, v in matrix.folded.items() if v and v != ["-"]]
    if folded:
        note += f" Folded into each cell: {'; '.join(folded)} (a cell lists who did what when they disagree)."
    out += [_t(note), ""]
    out += [
        "Legend: " + " · ".join(_status(s) for s in m.LEGEND),
        "",
    ]
    if not matrix.columns:
        return out + ["No cases to show.", ""]
    header = ["Call"] + [
        " · ".join(f"{_t(d)}: {_t(v)}" if d not in ("sdk", "lang") else _t(v) for d, v in col.parts)
        for col in matrix.columns
    ]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "---|" * len(header))
    for group in matrix.groups:
        out.append(f"| **{_t(group.name)}** |" + " |" * len(matrix.columns))
        for row in group.rows:
            cells = [_tcode(row.call)] + [_cell(c) for c in row.cells]
            out.append("| " + " | ".join(cells) + " |")
    out.append("")
    return out


def _cell(cell: m.Cell) -> str:
    text = _status(cell.status)
    if cell.evidence:
        text = f"[{text}](#{m.anchor('ev', cell.evidence[0]['id'])})"
        if len(cell.evidence) > 1:
            text += " " + " ".join(
                f"[#{i}](#{m.anchor('ev', c['id'])})" for i, c in enumerate(cell.evidence, start=1)
            )
    elif cell.status == "doc-sdk-difference":
        text = f"[{text}](#documentation--sdk-differences)"
    extra = []
    if cell.reason and cell.status in (
        "skipped",
        "not-applicable",
        "not-documented",
        "not-run",
        "expected-fail",
        "unexpected-pass",
        "doc-sdk-difference",
    ):
        extra.append(_t(m.shorten(cell.reason, 90)))
    if cell.breakdown:
        extra.append(" · ".join(f"{_t(who)} {_status(s)}" for who, s in cell.breakdown))
    if cell.repeat is not None:
        extra.append(_t(cell.repeat.label))
    return text + "".join(f"<br>{e}" for e in extra)


def _evidence(cases: list[dict]) -> list[str]:
    out = ["## Evidence", ""]
    if not cases:
        return out + ["No failures, errors or unexpected passes.", ""]
    for case in cases:
        status = m.status_of(case)
        failure = m.as_dict(case.get("failure"))
        title = m.text(case.get("title")) or m.text(case.get("test"))
        out.append(f'<a id="{m.anchor("ev", case["id"])}"></a>')
        out.append("")
        out.append(
            f"### {_status(status)}: {_code(m.case_call(case))}" + (f" — {_t(title)}" if title else "")
        )
        out.append("")
        if status == "unexpected-pass":
            out += [
                "**‼ UNEXPECTED PASS: documentation may be out of date.** This case is listed as an expected "
                "failure but it passed; check the documentation and update the expectations file.",
                "",
            ]
        out.append(f"- **Case:** {_code(case['id'])}")
        params = m.params_text({k: m.text(v) for k, v in m.case_params(case).items()})
        if case.get("sdk_version"):
            params = ", ".join(p for p in (params, f"sdk={m.text(case.get('sdk_version'))}") if p)
        if params:
            out.append(f"- **Parameters:** {_t(params)}")
        if failure.get("promise"):
            out.append(f"- **Broken promise:** {_code(failure.get('promise'))}")
        if failure.get("detail"):
            out.append(f"- **Why:** {_t(failure.get('detail'))}")
        if failure.get("path"):
            out.append(f"- **JSON path:** {_code(failure.get('path'))}")
        if failure.get("expected") is not None:
            out.append(f"- **Expected:** {_code(failure.get('expected'))}")
        if failure.get("received") is not None:
            out.append(f"- **Received:** {_code(failure.get('received'))}")
        if failure.get("message"):
            out.append(f"- **Message:** {_code(failure.get('message'))}")
        if case.get("reason"):
            out.append(
                f"- **{'Expectation' if status == 'unexpected-pass' else 'Reason'}:** {_t(case.get('reason'))}"
            )
        doc = _t(case.get("section")) or "not given"
        if case.get("doc"):
            doc += f" ({_code(case.get('doc'))})"
        out.append(f"- **Documentation:** {doc}")
        if case.get("models"):
            out.append(f"- **Models:** {_t(', '.join(m.text(x) for x in m.as_list(case.get('models'))))}")
        out.append(f"- **Rerun:** {_code(case.get('rerun')) if case.get('rerun') else 'not given'}")
        for n in m.notes_of(case):
            path = f" {_code(n.get('path'))}" if n.get("path") else ""
            out.append(f"- **Note ({_t(n.get('kind'))}){path}:** {_t(n.get('message'))}")
        out.append("")
        ev = m.as_dict(case.get("evidence"))
        if ev.get("request") is not None:
            out += ["Request (scrubbed):", "", _fenced(m.http_text(m.as_dict(ev["request"]), True)), ""]
        if ev.get("response") is not None:
            out += ["Response:", "", _fenced(m.http_text(m.as_dict(ev["response"]), False)), ""]
        if not ev and failure.get("evidence"):
            out += ["Evidence:", "", _fenced(m.shorten(m.text(failure.get("evidence")), m.BODY_LIMIT)), ""]
    return out


def _drift(entries: list[dict], compared: bool) -> list[str]:
    out = ["## Drift and spec deviations", ""]
    if not entries:
        return out + ["None noted: every response matched the schema strictly.", ""]
    out += [
        "| Field path | Call | Kind | First seen | What |",
        "|---|---|---|---|---|",
    ]
    for e in entries:
        new = " **new**" if compared and e.get("new") else ""
        out.append(
            f"| {_tcode(e['path'] or '(no path)')}{new} | {_tcode(e['call'])} | {_t(e['kind'])} | "
            f"{_t(e['first_seen'] or 'unknown')} | {_t(e['message'])} ({len(e['cases'])} case(s)) |"
        )
    out.append("")
    return out


def _docsdk(entries: list[dict]) -> list[str]:
    out = ["## Documentation / SDK differences", ""]
    if not entries:
        return out + ["None noted.", ""]
    for e in entries:
        sec = f" — {_t(e['section'])}" if e["section"] else ""
        out.append(
            f"- {_status('doc-sdk-difference')} {_code(e['call'])}: {_t(e['message'])} "
            f"({len(e['cases'])} case(s)){sec}"
        )
    out.append("")
    return out
