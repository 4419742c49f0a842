"""fleet.{md,html} (one night, targets as columns) and trend.{md,html} (the last N nights, one strip per cell).

Every value is untrusted: Markdown goes through _markdown's escapers, HTML through html.escape (as compat.*).
"""

from __future__ import annotations

from . import _model as m
from ._history import Strip, Trend
from ._html import _CSS, _badge, _e
from ._markdown import _status, _t, _tcode

# A night of a strip: symbol (never colour alone) and words.
NIGHT_INFO = {
    "pass": ("\u2713", "pass"),
    "fail": ("\u2717", "fail"),
    "skipped": ("\u21b7", "skipped"),
    "not-applicable": ("\u2205", "not applicable"),
    "not-documented": ("\u25cb", "not documented for that SDK"),
    "not-checked": ("?", "not checked (most cases skipped)"),
    "not-run": ("\u00b7", "not run"),
}
STATE_TEXT = {"checked": "checked", "not-checked": "NOT CHECKED", "not-run": "NOT RUN"}


def _columns(fleet: dict) -> tuple[list[dict], list[tuple[str, str]]]:
    targets = [t for t in fleet["targets"] if isinstance(t, dict)]
    sdks = sorted({m.text(c.get("sdk")) or "python" for c in fleet["cells"]}) or ["python"]
    cols = [(m.text(t.get("name")), sdk) for t in targets for sdk in (sdks if len(sdks) > 1 else sdks[:1])]
    return targets, cols


def _rows(fleet: dict) -> dict[str, dict[tuple[str, str], dict]]:
    rows: dict[str, dict[tuple[str, str], dict]] = {}
    for c in fleet["cells"]:
        rows.setdefault(m.text(c.get("call")), {})[
            (m.text(c.get("target")), m.text(c.get("sdk")) or "python")
        ] = c
    return dict(sorted(rows.items()))


def broken(fleet: dict) -> list[dict]:
    return [c for c in fleet["cells"] if c.get("status") in m.BAD]


def _where(cell: dict) -> str:
    versions = ", ".join(m.text(v) for v in m.as_list(cell.get("model_versions"))) or "model unknown"
    return f"{m.text(cell.get('region')) or 'region unknown'} \u00b7 {versions}"


def _repeat(cell: dict) -> str:
    r = m.as_dict(cell.get("repeat"))
    if not r:
        return ""
    return f"pass^{r['k']} {r['all']}/{r['cases']} \u00b7 pass@{r['k']} {r['any']}/{r['cases']}"


def _summary(fleet: dict) -> str:
    targets = [t for t in fleet["targets"] if isinstance(t, dict)]
    states = [m.text(t.get("state")) for t in targets]
    return (
        f"{len(targets)} target{'s' if len(targets) != 1 else ''}: {states.count('checked')} checked, "
        f"{states.count('not-checked')} not checked, {states.count('not-run')} not run; "
        f"{len(broken(fleet))} broken cell{'s' if len(broken(fleet)) != 1 else ''}"
    )


# ------------------------------------------------------------------------------------------------ fleet.md


def fleet_markdown(fleet: dict) -> str:
    targets, cols = _columns(fleet)
    multi = len({sdk for _, sdk in cols}) > 1
    out = [
        "# Azure OpenAI conformance: the fleet",
        "",
        f"night **{_t(fleet.get('night') or 'undated')}**",
        "",
    ]
    out += [f"**{_t(_summary(fleet))}**", ""]
    for t in targets:
        if t.get("state") != "checked":
            out += [
                f"> [!CAUTION]\n> **{STATE_TEXT[t['state']]}: {_t(t['name'])}**: {_t(t.get('reason'))}",
                "",
            ]
    out += [
        "## Matrix",
        "",
        "Rows: documented calls. Columns: targets" + (" × SDK" if multi else "") + ". "
        "Each cell: status, region and model versions (every auth mode and client folded in).",
        "",
    ]
    by_name = {m.text(t.get("name")): t for t in targets}
    header = ["Call"] + [
        f"{_t(name)}{' · ' + _t(sdk) + ' SDK' if multi else ''}<br>{_t(by_name[name].get('region') or 'region unknown')}"
        + ("" if by_name[name].get("state") == "checked" else f"<br>**{STATE_TEXT[by_name[name]['state']]}**")
        for name, sdk in cols
    ]
    out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for call, cells in _rows(fleet).items():
        row = [_tcode(call)]
        for name, sdk in cols:
            cell = cells.get((name, sdk))
            if cell is None:
                state = m.text(by_name[name].get("state"))
                row.append(_status("not-run", "not run" if state == "checked" else STATE_TEXT[state].lower()))
                continue
            extra = [_t(_where(cell))] + ([_t(_repeat(cell))] if cell.get("repeat") else [])
            row.append(
                _status(m.text(cell["status"]) if cell["status"] in m.STATUS_INFO else "fail")
                + "".join(f"<br>{e}" for e in extra)
            )
        out.append("| " + " | ".join(row) + " |")
    out += ["", "## Broken cells", ""]
    for cell in broken(fleet) or []:
        out.append(
            f"- {_tcode(cell['call'])} on **{_t(cell['target'])}**"
            + (f" ({_t(cell['sdk'])} SDK)" if multi else "")
            + f", region {_t(cell.get('region') or 'unknown')}, model "
            f"{_t(', '.join(cell.get('model_versions') or []) or 'unknown')}: {_status(cell['status'])}; "
            f"promise {', '.join(_tcode(p) for p in cell.get('promises') or []) or 'unknown'}; "
            f"{len(cell.get('failing') or [])} failing case(s)"
        )
    if not broken(fleet):
        out.append("None.")
    out += [
        "",
        "## Targets",
        "",
        "| target | state | region | model versions | cases | tokens |",
        "|---|---|---|---|---|---|",
    ]
    for t in targets:
        counts = ", ".join(f"{n} {s}" for s, n in m.as_dict(t.get("counts")).items()) or "none"
        reason = f" ({_t(t.get('reason'))})" if t.get("reason") else ""
        out.append(
            f"| {_t(t['name'])} | {STATE_TEXT.get(m.text(t.get('state')), _t(t.get('state')))}{reason} | "
            f"{_t(t.get('region') or 'unknown')} | {_t(', '.join(t.get('model_versions') or []) or 'none seen')} | "
            f"{_t(counts)} | {_t(t.get('tokens'))} |"
        )
    out += [
        "",
        "---",
        "Merged by `aoai-conformance report --merge`; the trend of the nights: `report --history DIR`.",
        "",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- fleet.html


def _page(title: str, body: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}.strip td{{text-align:center;min-width:1.6rem;padding:4px}}"
        ".strip td.fail{background:#ffebe9;color:#a40e26;font-weight:700}.strip td.not-checked{background:#fff8c5}"
        f"</style>\n</head>\n<body>\n<main>\n{''.join(body)}</main>\n</body>\n</html>\n"
    )


def fleet_html(fleet: dict) -> str:
    targets, cols = _columns(fleet)
    multi = len({sdk for _, sdk in cols}) > 1
    by_name = {m.text(t.get("name")): t for t in targets}
    w = [
        f'<h1>Azure OpenAI conformance: the fleet</h1>\n<p class="lead">night {_e(fleet.get("night") or "undated")}</p>\n'
    ]
    w.append(f'<p class="summary">{_e(_summary(fleet))}</p>\n')
    for t in targets:
        if t.get("state") != "checked":
            w.append(
                f'<p class="shout" role="alert">{STATE_TEXT[t["state"]]}: {_e(t["name"])}: {_e(t.get("reason"))}</p>\n'
            )
    w.append(
        '<section id="matrix"><h2>Matrix</h2>\n<div class="scroll" tabindex="0"><table><thead><tr><th>Call</th>'
    )
    for name, sdk in cols:
        t = by_name[name]
        sub = [m.text(t.get("region")) or "region unknown"] + ([f"{sdk} SDK"] if multi else [])
        if t.get("state") != "checked":
            sub.append(STATE_TEXT[t["state"]])
        w.append(f"<th>{_e(name)}{''.join(f'<span>{_e(s)}</span>' for s in sub)}</th>")
    w.append("</tr></thead><tbody>\n")
    for call, cells in _rows(fleet).items():
        w.append(f'<tr><th scope="row"><code>{_e(call)}</code></th>')
        for name, sdk in cols:
            cell = cells.get((name, sdk))
            if cell is None:
                w.append(f'<td class="st-not-run"><span class="cell">{_badge("not-run")}</span></td>')
                continue
            status = cell["status"] if cell["status"] in m.STATUS_INFO else "fail"
            subs = [_where(cell)] + ([_repeat(cell)] if cell.get("repeat") else [])
            w.append(
                f'<td class="st-{status}"><span class="cell">{_badge(status)}'
                + "".join(f'<span class="sub">{_e(s)}</span>' for s in subs)
                + "</span></td>"
            )
        w.append("</tr>\n")
    w.append("</tbody></table></div></section>\n<section><h2>Broken cells</h2>\n<ul>")
    for cell in broken(fleet):
        w.append(
            f"<li><code>{_e(cell['call'])}</code> on <strong>{_e(cell['target'])}</strong>"
            f"{' (' + _e(cell['sdk']) + ' SDK)' if multi else ''}, {_e(_where(cell))}: {_badge(cell['status'])} "
            f"promise {_e(', '.join(cell.get('promises') or []) or 'unknown')}</li>"
        )
    w.append("</ul>" + ("" if broken(fleet) else "<p>None.</p>") + "</section>\n")
    return _page(f"Fleet conformance \u2014 {fleet.get('night') or 'undated'}", w)


# ------------------------------------------------------------------------------------------------ trend.*


def _strip_text(s: Strip) -> str:
    return "".join(NIGHT_INFO.get(x, ("?", x))[0] for x in s.statuses)


def _headline(t: Trend) -> list[str]:
    last = t.nights[-1].label if t.nights else "no night"
    lines = [
        f"Last night ({last}) against the night before: {len(t.since_last)} cell(s) newly failing "
        f"({sum(1 for s in t.since_last if s.verdict == 'flaky')} of them known flakes), {len(t.fixed_since_last)} passing again.",
        f"Over {len(t.nights)} night(s): {len(t.by('new'))} new, {len(t.by('flaky'))} flaky, {len(t.by('known'))} known, "
        f"{len(t.by('fixed'))} fixed, {len(t.by('ok'))} ok.",
    ]
    for name, state in sorted(t.last_states.items()):
        if state != "checked":
            lines.append(f"{STATE_TEXT[state]}: {name} on the last night (nothing checked is not a pass).")
    return lines


def trend_markdown(t: Trend) -> str:
    out = ["# Azure OpenAI conformance: the trend", ""]
    out += [f"**{_t(line)}**\n" for line in _headline(t)]
    out += ["Legend: " + " · ".join(f"`{sym}` {words}" for sym, words in NIGHT_INFO.values()), ""]
    out += [
        "Nights, oldest first: " + ", ".join(f"{i}. {_t(n.label)}" for i, n in enumerate(t.nights, 1)),
        "",
    ]
    for verdict in ("new", "flaky", "known", "fixed"):
        chosen = t.by(verdict)
        if chosen:
            out += [f"## {verdict.capitalize()} ({len(chosen)})", ""]
            out += [
                f"- **{_t(s.name)}** ({_t(s.where)}): {_t(s.verdict_text)}; first seen {_t(s.first_seen)}; "
                f"promise {', '.join(_tcode(p) for p in s.promises) or 'unknown'}"
                for s in chosen
            ]
            out.append("")
    out += [
        "## Strips",
        "",
        "| cell | region · model | nights | verdict | first failed |",
        "|---|---|---|---|---|",
    ]
    for s in t.strips:
        out.append(
            f"| {_tcode(s.name)} | {_t(s.where)} | `{_strip_text(s)}` | {_t(s.verdict_text)} | {_t(s.first_seen or '-')} |"
        )
    out += [
        "",
        "---",
        "`aoai-conformance report --history DIR [--nights N] [--fail-on new]`; how to read it: docs/NIGHTLY.md.",
        "",
    ]
    return "\n".join(out)


def trend_html(t: Trend) -> str:
    w = ["<h1>Azure OpenAI conformance: the trend</h1>\n"]
    w += [f'<p class="summary">{_e(line)}</p>\n' for line in _headline(t)]
    w.append(
        '<ul class="legend">'
        + "".join(f"<li><strong>{_e(sym)}</strong> {_e(words)}</li>" for sym, words in NIGHT_INFO.values())
        + "</ul>\n"
    )
    for verdict in ("new", "flaky", "known", "fixed"):
        chosen = t.by(verdict)
        if chosen:
            w.append(f'<section id="{verdict}"><h2>{verdict.capitalize()} ({len(chosen)})</h2><ul>')
            w += [
                f"<li><strong>{_e(s.name)}</strong> ({_e(s.where)}): {_e(s.verdict_text)}; first seen "
                f"{_e(s.first_seen)}; promise {_e(', '.join(s.promises) or 'unknown')}</li>"
                for s in chosen
            ]
            w.append("</ul></section>\n")
    w.append(
        '<section id="strips"><h2>Strips</h2><div class="scroll" tabindex="0"><table class="strip"><thead><tr><th>cell</th>'
    )
    w += [f'<th title="{_e(n.label)}">{i}</th>' for i, n in enumerate(t.nights, 1)]
    w.append("<th>verdict</th><th>first failed</th></tr></thead><tbody>\n")
    for s in t.strips:
        w.append(f'<tr><th scope="row" title="{_e(s.where)}"><code>{_e(s.name)}</code></th>')
        for night, x in zip(t.nights, s.statuses):
            sym, words = NIGHT_INFO.get(x, ("?", x))
            w.append(f'<td class="{_e(x)}" title="{_e(night.label)}: {_e(words)}">{_e(sym)}</td>')
        w.append(f"<td>{_e(s.verdict_text)}</td><td>{_e(s.first_seen or '-')}</td></tr>\n")
    w.append("</tbody></table></div></section>\n")
    return _page("Conformance trend", w)
