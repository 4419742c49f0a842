"""compat.html: one self-contained page (inline CSS, no scripts, fonts, images or network), phone-readable.

Every value that comes from results.json is untrusted and goes through ``_e`` (html.escape, quotes too).
"""

from __future__ import annotations

import html
from typing import Any

from . import _model as m
from . import _sdks
from ._diff import Diff

_CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--link:#0550ae}
*{box-sizing:border-box}
body{margin:0;padding:12px;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:var(--fg);background:var(--bg);-webkit-text-size-adjust:100%}
main{max-width:72rem;margin:0 auto}
h1{font-size:1.45rem;margin:.2rem 0 .4rem;line-height:1.25}
h2{font-size:1.2rem;margin:1.6rem 0 .5rem;padding-bottom:.2rem;border-bottom:1px solid var(--line)}
h3{font-size:1.02rem;margin:0 0 .5rem}
a{color:var(--link)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.86em}
code{overflow-wrap:anywhere;word-break:break-word}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px;overflow-x:auto;
white-space:pre-wrap;word-break:break-word;margin:.3rem 0}
.lead{color:var(--muted);margin:.2rem 0}
.summary{font-weight:600;margin:.5rem 0}
.summary .badge{margin:2px 2px}
nav.toc{display:flex;flex-wrap:wrap;gap:6px;margin:.6rem 0}
nav.toc a{display:inline-block;min-height:44px;line-height:44px;padding:0 12px;border:1px solid var(--line);
border-radius:22px;text-decoration:none;background:var(--soft)}
.shout{border:3px solid #8250df;background:#fbefff;color:#512a97;padding:10px 12px;border-radius:8px;
font-weight:700;margin:.8rem 0}
.changes{border:1px solid var(--line);border-radius:8px;padding:4px 12px;margin:.6rem 0}
.changes h3{margin:.7rem 0 .3rem}
.changes ul{margin:.2rem 0 .6rem;padding-left:1.2rem}
.changes li{margin:.25rem 0}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:.4rem 0}
dl.run dt{font-weight:600;color:var(--muted)}
dl.run dd{margin:0;min-width:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:8px;max-width:100%}
table{border-collapse:collapse;width:max-content;min-width:100%}
th,td{border-bottom:1px solid var(--line);padding:0;text-align:left;vertical-align:top}
thead th{background:var(--soft);padding:6px 8px;font-size:.85rem;white-space:nowrap}
thead th span{display:block;font-weight:400;color:var(--muted)}
tbody th{position:sticky;left:0;background:var(--bg);padding:8px;font-weight:600;max-width:13rem;
overflow-wrap:anywhere;border-right:1px solid var(--line);z-index:1}
tbody th code{font-size:.82rem}
tr.group th{background:#eef1f5;color:var(--fg);font-size:.9rem;padding:6px 8px;position:sticky;left:0}
td .cell{display:block;min-height:44px;min-width:7.5rem;padding:6px 8px;text-decoration:none;color:inherit}
td a.cell{text-decoration:underline;text-underline-offset:3px}
.sym{font-size:1.1em;font-weight:700;margin-right:.25em}
.lbl{font-weight:600}
.sub{display:block;font-size:.78rem;color:var(--muted);max-width:14rem;overflow-wrap:anywhere}
.badge{display:inline-block;padding:1px 8px;border-radius:12px;font-weight:600;white-space:nowrap;
border:1px solid currentColor}
.st-pass{background:#dafbe1;color:#116329}
.st-fail,.st-error{background:#ffebe9;color:#a40e26}
.st-expected-fail{background:#fff8c5;color:#6c4a00}
.st-unexpected-pass{background:#fbefff;color:#6e2fc9}
.st-skipped{background:#f6f8fa;color:#424a53}
.st-not-applicable{background:#eaeef2;color:#424a53}
.st-doc-sdk-difference{background:#ddf4ff;color:#0a3069}
.st-not-documented{background:#fff;color:#57606a;border-style:dashed}
.st-not-run{background:#fff;color:#818b98}
td.st-fail,td.st-unexpected-pass{box-shadow:inset 4px 0 0 currentColor}
ul.legend{list-style:none;padding:0;margin:.4rem 0 .8rem;display:flex;flex-wrap:wrap;gap:6px 14px;font-size:.88rem}
article.ev{border:1px solid var(--line);border-left:6px solid currentColor;border-radius:8px;padding:10px 12px;
margin:.8rem 0;background:var(--bg)}
article.ev.st-fail,article.ev.st-error{color:#a40e26}
article.ev.st-unexpected-pass{color:#6e2fc9}
article.ev > *{color:var(--fg)}
article.ev dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:.3rem 0}
article.ev dt{font-weight:600;color:var(--muted)}
article.ev dd{margin:0;min-width:0;overflow-wrap:anywhere}
article.ev:target{outline:3px solid var(--link);outline-offset:2px}
details{margin:.3rem 0}
summary{cursor:pointer;min-height:44px;line-height:44px;font-weight:600}
table.plain{width:auto;min-width:0}
table.plain th,table.plain td{padding:5px 10px;border:1px solid var(--line);position:static}
table.plain thead th{background:var(--soft)}
.backlink{display:inline-block;min-height:44px;line-height:44px}
footer{margin:2rem 0 1rem;color:var(--muted);font-size:.85rem}
@media (max-width:600px){body{padding:8px;font-size:15px}dl.run,article.ev dl{grid-template-columns:1fr}
dl.run dd,article.ev dd{margin-bottom:4px}tbody th{max-width:9rem}}
"""


def _e(value: Any) -> str:
    return html.escape(m.text(value), quote=True)


def _badge(status: str, label: str | None = None) -> str:
    sym, name, _ = m.STATUS_INFO[status]
    return (
        f'<span class="badge st-{status}"><span class="sym" aria-hidden="true">{sym}</span>'
        f"{_e(label if label is not None else name)}</span>"
    )


def render_html(results: dict, diff: Diff | None, previous: dict | None, v: m.View | None = None) -> str:
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

    out: list[str] = []
    w = out.append
    targets, target_names = v.targets, v.target_names
    date = m.run_date(results)
    w('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    w('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    w('<meta name="color-scheme" content="light">\n')
    w(f"<title>Conformance: {_e(target_names)} \u2014 {_e(date or 'undated run')}</title>\n")
    w(f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n")
    w("<header>\n<h1>Azure OpenAI conformance report</h1>\n")
    lead = [f"target <strong>{_e(target_names)}</strong>"]
    if run.get("mode"):
        lead.append(f"mode <strong>{_e(run.get('mode'))}</strong>")
    heading, sdks = _sdks.label(results)
    lead.append(f"{heading} <strong>{_e(sdks)}</strong>")
    if date:
        lead.append(_e(date))
    sep = " \u00b7 "
    w(f'<p class="lead">{sep.join(lead)}</p>\n')
    w(_summary(cases))
    w('<nav class="toc" aria-label="Sections">')
    links = ([("#changes", "Changes")] if diff is not None else []) + [("#run", "Run"), ("#matrix", "Matrix")]
    links.append(("#evidence", f"Evidence ({len(evidence)})"))
    links.append(("#drift", f"Drift ({len(drift)})"))
    links.append(("#doc-sdk", f"Doc/SDK ({len(docsdk)})"))
    w("".join(f'<a href="{h}">{_e(t)}</a>' for h, t in links))
    w("</nav>\n</header>\n")

    if unexpected:
        n = len(unexpected)
        w(
            f'<p class="shout" role="alert">\u203c {n} unexpected pass{"es" if n != 1 else ""}: '
            f"documentation may be out of date. An expected failure from the expectations file now passes; "
            f'check the docs and update the expectations (<a href="#evidence">evidence</a>).</p>\n'
        )

    for entry in m.as_list(run.get("not_checked")):
        w(f'<p class="shout" role="alert">{_e(m.as_dict(entry).get("headline"))}</p>\n')
    if diff is not None:
        w(_diff_section(diff, previous or {}))

    w(_run_section(run, targets, _sdks.label(results)))
    w(_matrix_section(matrix))
    w(_evidence_section(evidence))
    w(_drift_section(drift, previous is not None))
    w(_docsdk_section(docsdk))
    w(
        f"<footer>Rendered from results.json (format {_e(m.FORMAT)} version {m.VERSION}). Rebuild with "
        f"<code>python -m aoai_conformance.report reports/results.json</code>.</footer>\n"
    )
    w("</main>\n</body>\n</html>\n")
    return "".join(out)


def _summary(cases: list[dict]) -> str:
    found = m.counts(cases)
    if not found:
        return '<p class="summary">No cases in this run.</p>\n'
    parts = " ".join(_badge(s, f"{n} {m.STATUS_INFO[s][1]}") for s, n in found.items())
    return f'<p class="summary">{len(cases)} case{"s" if len(cases) != 1 else ""}: {parts}</p>\n'


def _case_ref(item: dict) -> str:
    params = m.params_text(item.get("params") or {})
    return f"<code>{_e(item['call'])}</code>" + (f" ({_e(params)})" if params else "")


def _diff_section(diff: Diff, previous: dict) -> str:
    out = ['<section id="changes">\n<h2>Changes since the previous run</h2>\n<div class="changes">\n']
    prev_date = m.run_date(previous)
    if prev_date:
        out.append(f'<p class="lead">compared with the run of {_e(prev_date)}</p>\n')
    if diff.empty:
        out.append("<p>No changes: same statuses, no new drift, same model versions.</p>\n")
    if diff.new_failures:
        out.append(f"<h3>New failures ({len(diff.new_failures)})</h3>\n<ul>\n")
        for item in diff.new_failures:
            was = f"was {item['previous']}" if item["previous"] else "new case"
            why = f" \u2014 <code>{_e(item['promise'])}</code>" if item["promise"] else ""
            msg = f": {_e(m.shorten(item['message'], 240))}" if item["message"] else ""
            out.append(
                f'<li>{_badge(item["status"])} <a href="#{m.anchor("ev", item["id"])}">{_case_ref(item)}</a> '
                f"({_e(was)}){why}{msg}</li>\n"
            )
        out.append("</ul>\n")
    if diff.fixed:
        out.append(f"<h3>Fixed ({len(diff.fixed)})</h3>\n<ul>\n")
        for item in diff.fixed:
            out.append(f"<li>{_badge(item['status'])} {_case_ref(item)} (was {_e(item['previous'])})</li>\n")
        out.append("</ul>\n")
    if diff.new_drift:
        out.append(f"<h3>New drift ({len(diff.new_drift)})</h3>\n<ul>\n")
        for item in diff.new_drift:
            out.append(
                f"<li><code>{_e(item['path'] or '(no path)')}</code> in <code>{_e(item['call'])}</code> "
                f"({_e(item['kind'])}): {_e(item['message'])}</li>\n"
            )
        out.append("</ul>\n")
    if diff.changed_models:
        out.append(f"<h3>Changed model versions ({len(diff.changed_models)})</h3>\n<ul>\n")
        for item in diff.changed_models:
            out.append(
                f"<li><code>{_e(item['model'])}</code>: {_e(', '.join(item['previous']) or 'none')} "
                f"\u2192 {_e(', '.join(item['current']) or 'none')}</li>\n"
            )
        out.append("</ul>\n")
    for title, items in (("New cases", diff.new_cases), ("Removed cases", diff.removed_cases)):
        if items:
            out.append(f"<details><summary>{title} ({len(items)})</summary>\n<ul>\n")
            for item in items:
                out.append(f"<li>{_badge(item['status'])} <code>{_e(item['id'])}</code></li>\n")
            out.append("</ul>\n</details>\n")
    out.append("</div>\n</section>\n")
    return "".join(out)


def _run_section(run: dict, targets: list[dict], sdks: tuple[str, str]) -> str:
    out = ['<section id="run">\n<h2>Run</h2>\n<dl class="run">\n']

    def row(label: str, value_html: str) -> None:
        out.append(f"<dt>{_e(label)}</dt><dd>{value_html}</dd>\n")

    for label, value in m.run_rows(
        run,
        targets,
        text=_e,
        code=lambda v: f"<code>{_e(v)}</code>",
        strong=lambda v: f"<strong>{_e(v)}</strong>",
        sdks=sdks,
    ):
        row(label, value)
    tokens = m.as_dict(run.get("tokens"))
    out.append("</dl>\n")
    by_call = m.as_dict(tokens.get("by_call"))
    if by_call:
        out.append(
            '<div class="scroll"><table class="plain"><thead><tr><th>Call</th><th>prompt</th>'
            "<th>completion</th><th>total</th></tr></thead><tbody>\n"
        )
        for call, u in sorted(by_call.items()):
            u = m.as_dict(u)
            out.append(
                f"<tr><td><code>{_e(call)}</code></td><td>{_e(u.get('prompt'))}</td>"
                f"<td>{_e(u.get('completion'))}</td><td>{_e(u.get('total'))}</td></tr>\n"
            )
        out.append("</tbody></table></div>\n")
    out.append("</section>\n")
    return "".join(out)


def _matrix_section(matrix: m.Matrix) -> str:
    out = ['<section id="matrix">\n<h2>Compatibility matrix</h2>\n']
    folded = [f"{d} {', '.join(v)}" for d, v in matrix.folded.items() if v and v != ["-"]]
    dims = " \u00d7 ".join(m.dimension_names(matrix))
    note = f"Rows: documented calls by documentation section. Columns: {dims}."
    if folded:
        note += f" Folded into each cell: {'; '.join(folded)} (a cell lists who did what when they disagree)."
    out.append(f'<p class="lead">{_e(note)}</p>\n<ul class="legend">')
    for status in m.LEGEND:
        out.append(f'<li title="{_e(m.STATUS_INFO[status][2])}">{_badge(status)}</li>')
    out.append("</ul>\n")
    if not matrix.columns:
        out.append("<p>No cases to show.</p>\n</section>\n")
        return "".join(out)
    out.append('<div class="scroll" tabindex="0" role="region" aria-label="Compatibility matrix">\n')
    out.append('<table class="matrix" id="matrix-table">\n<thead><tr><th scope="col">Call</th>')
    for col in matrix.columns:
        parts = "".join(
            f"<span>{_e(d)}: {_e(v)}</span>" if d not in ("sdk", "lang") else f"<span>{_e(v)}</span>"
            for d, v in col.parts
        )
        out.append(f'<th scope="col">{parts}</th>')
    out.append("</tr></thead>\n<tbody>\n")
    span = len(matrix.columns) + 1
    for group in matrix.groups:
        out.append(f'<tr class="group"><th colspan="{span}" scope="colgroup">{_e(group.name)}</th></tr>\n')
        for row in group.rows:
            title = "; ".join(row.sections)
            out.append(f'<tr><th scope="row" title="{_e(title)}"><code>{_e(row.call)}</code></th>')
            for col, cell in zip(matrix.columns, row.cells):
                out.append(_cell_html(cell, col))
            out.append("</tr>\n")
    out.append("</tbody>\n</table>\n</div>\n</section>\n")
    return "".join(out)


def _cell_html(cell: m.Cell, col: m.Column) -> str:
    sym, label, meaning = m.STATUS_INFO[cell.status]
    inner = f'<span class="sym" aria-hidden="true">{sym}</span><span class="lbl">{_e(label)}</span>'
    tip = [f"{label} ({col.label}): {meaning}"]
    if cell.reason:
        tip.append(cell.reason)
    tip.extend(f"{c['id']}: {m.status_of(c)}" for c in cell.cases)
    subs = []
    if cell.reason and cell.status in (
        "skipped",
        "not-applicable",
        "not-documented",
        "not-run",
        "expected-fail",
        "unexpected-pass",
        "doc-sdk-difference",
    ):
        subs.append(_e(m.shorten(cell.reason, 90)))
    if cell.breakdown:
        subs.append(
            " \u00b7 ".join(
                f"{_e(who)} {m.STATUS_INFO[s][0]}\u00a0{_e(m.STATUS_INFO[s][1])}" for who, s in cell.breakdown
            )
        )
    if cell.repeat is not None:
        subs.append(_e(cell.repeat.label))
    if len(cell.evidence) > 1:
        more = " ".join(
            f'<a href="#{m.anchor("ev", c["id"])}">#{i}</a>' for i, c in enumerate(cell.evidence, start=1)
        )
        subs.append(f"evidence: {more}")
    sub = "".join(f'<span class="sub">{s}</span>' for s in subs)
    attrs = f'class="cell" title="{_e(chr(10).join(tip))}"'
    if cell.evidence:
        body = f'<a {attrs} href="#{m.anchor("ev", cell.evidence[0]["id"])}">{inner}{sub}</a>'
    elif cell.status == "doc-sdk-difference":
        body = f'<a {attrs} href="#doc-sdk">{inner}{sub}</a>'
    else:
        body = f"<span {attrs}>{inner}{sub}</span>"
    return f'<td class="st-{cell.status}">{body}</td>'


def _pre(value: Any) -> str:
    return f"<pre>{_e(m.shorten(m.text(value), m.BODY_LIMIT))}</pre>"


def _evidence_section(cases: list[dict]) -> str:
    out = ['<section id="evidence">\n<h2>Evidence</h2>\n']
    if not cases:
        out.append("<p>No failures, errors or unexpected passes.</p>\n</section>\n")
        return "".join(out)
    for case in cases:
        status = m.status_of(case)
        failure = m.as_dict(case.get("failure"))
        title = m.text(case.get("title")) or m.text(case.get("test"))
        out.append(f'<article class="ev st-{status}" id="{m.anchor("ev", case["id"])}">\n')
        out.append(f"<h3>{_badge(status)} <code>{_e(m.case_call(case))}</code>")
        out.append(f" \u2014 {_e(title)}</h3>\n" if title else "</h3>\n")
        if status == "unexpected-pass":
            out.append(
                '<p class="shout">UNEXPECTED PASS: documentation may be out of date. This case is listed as an '
                "expected failure but it passed; check the documentation and update the expectations file.</p>\n"
            )
        out.append("<dl>\n")

        def row(label: str, value_html: str) -> None:
            out.append(f"<dt>{_e(label)}</dt><dd>{value_html}</dd>\n")

        row("Case", f"<code>{_e(case['id'])}</code>")
        params = m.params_text({k: m.text(v) for k, v in m.case_params(case).items()})
        if params or case.get("sdk_version"):
            row(
                "Parameters",
                _e(
                    ", ".join(
                        p
                        for p in (
                            params,
                            f"sdk={m.text(case.get('sdk_version'))}" if case.get("sdk_version") else "",
                        )
                        if p
                    )
                ),
            )
        if failure.get("promise"):
            row("Broken promise", f"<code>{_e(failure.get('promise'))}</code>")
        if failure.get("detail"):
            row("Why", _e(failure.get("detail")))
        if failure.get("path"):
            row("JSON path", f"<code>{_e(failure.get('path'))}</code>")
        if failure.get("expected") is not None:
            row("Expected", f"<code>{_e(failure.get('expected'))}</code>")
        if failure.get("received") is not None:
            row("Received", f"<code>{_e(failure.get('received'))}</code>")
        if failure.get("message"):
            row("Message", f"<code>{_e(failure.get('message'))}</code>")
        if case.get("reason"):
            row("Expectation" if status == "unexpected-pass" else "Reason", _e(case.get("reason")))
        doc = _e(case.get("section")) or "not given"
        if case.get("doc"):
            doc += f" (<code>{_e(case.get('doc'))}</code>)"
        row("Documentation", doc)
        if case.get("models"):
            row("Models", _e(", ".join(m.text(x) for x in m.as_list(case.get("models")))))
        if case.get("duration") is not None:
            row("Duration", f"{_e(case.get('duration'))} s")
        row("Rerun", f"<code>{_e(case.get('rerun'))}</code>" if case.get("rerun") else "not given")
        out.append("</dl>\n")
        ev = m.as_dict(case.get("evidence"))
        if ev.get("request") is not None:
            out.append(
                f"<details open><summary>Request (scrubbed)</summary>{_pre(m.http_text(m.as_dict(ev['request']), True))}</details>\n"
            )
        if ev.get("response") is not None:
            out.append(
                f"<details open><summary>Response</summary>{_pre(m.http_text(m.as_dict(ev['response']), False))}</details>\n"
            )
        if not ev and failure.get("evidence"):
            out.append(
                f"<details open><summary>Evidence</summary>{_pre(failure.get('evidence'))}</details>\n"
            )
        notes = m.notes_of(case)
        if notes:
            out.append("<ul>")
            for n in notes:
                path = f" <code>{_e(n.get('path'))}</code>" if n.get("path") else ""
                out.append(f"<li>{_e(n.get('kind'))}{path}: {_e(n.get('message'))}</li>")
            out.append("</ul>\n")
        out.append('<a class="backlink" href="#matrix">\u2191 back to the matrix</a>\n</article>\n')
    out.append("</section>\n")
    return "".join(out)


def _drift_section(entries: list[dict], compared: bool) -> str:
    out = ['<section id="drift">\n<h2>Drift and spec deviations</h2>\n']
    if not entries:
        out.append("<p>None noted: every response matched the schema strictly.</p>\n</section>\n")
        return "".join(out)
    out.append(
        '<p class="lead">Observations that do not fail a test: fields the schema does not know (drift) and '
        "strict-schema deviations.</p>\n"
    )
    out.append(
        '<div class="scroll"><table class="plain"><thead><tr><th>Field path</th><th>Call</th><th>Kind</th>'
        "<th>First seen</th><th>What</th></tr></thead><tbody>\n"
    )
    for e in entries:
        new = ' <strong class="badge st-fail">new</strong>' if compared and e.get("new") else ""
        out.append(
            f"<tr><td><code>{_e(e['path'] or '(no path)')}</code>{new}</td><td><code>{_e(e['call'])}</code></td>"
            f"<td>{_e(e['kind'])}</td><td>{_e(e['first_seen'] or 'unknown')}</td>"
            f'<td>{_e(e["message"])} <span class="sub">{_e(len(e["cases"]))} case(s)</span></td></tr>\n'
        )
    out.append("</tbody></table></div>\n</section>\n")
    return "".join(out)


def _docsdk_section(entries: list[dict]) -> str:
    out = ['<section id="doc-sdk">\n<h2>Documentation / SDK differences</h2>\n']
    if not entries:
        out.append("<p>None noted.</p>\n</section>\n")
        return "".join(out)
    out.append(
        '<p class="lead">The service behaves as documented, but the openai SDK does something the documentation '
        "does not say (or the other way round).</p>\n<ul>\n"
    )
    for e in entries:
        sec = f' <span class="sub">{_e(e["section"])}</span>' if e["section"] else ""
        out.append(
            f"<li>{_badge('doc-sdk-difference', m.STATUS_INFO['doc-sdk-difference'][1])} "
            f"<code>{_e(e['call'])}</code>: {_e(e['message'])} ({_e(len(e['cases']))} case(s)){sec}</li>\n"
        )
    out.append("</ul>\n</section>\n")
    return "".join(out)
