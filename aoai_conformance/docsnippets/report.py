"""The report (JSON and Markdown, one row per block) and the verdict against ``known.toml``."""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .run import COMPILE_ERROR, FRAGMENT, INSTALL_FAILED, OK_OUTCOMES, RUNTIME_ERROR, Result, scrub

FAILURES = (COMPILE_ERROR, RUNTIME_ERROR, INSTALL_FAILED, FRAGMENT)
KNOWN = Path(__file__).with_name("known.toml")
KINDS = ("finding", "fragment")


class BadInput(Exception):
    """One line naming the fix."""


@dataclass(frozen=True)
class Known:
    block: str
    outcome: str
    kind: str
    summary: str
    evidence: str


def load_known(path: Path) -> dict[str, Known]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise BadInput(f"{path}: cannot read it ({e.strerror}); pass --known with a readable file") from None
    except tomllib.TOMLDecodeError as e:
        raise BadInput(f"{path}: not valid TOML ({e}); fix the file") from None
    out: dict[str, Known] = {}
    for n, entry in enumerate(data.get("known", []), 1):
        missing = [k for k in ("block", "outcome", "kind", "summary", "evidence") if not entry.get(k)]
        if missing:
            raise BadInput(
                f"{path}: [[known]] entry {n} lacks {', '.join(missing)}; give every entry all five"
            )
        if entry["kind"] not in KINDS or entry["outcome"] not in FAILURES:
            raise BadInput(
                f"{path}: [[known]] entry {n}: kind must be one of {KINDS} and outcome one of {FAILURES}"
            )
        out[entry["block"]] = Known(**{k: str(entry[k]) for k in Known.__dataclass_fields__})
    return out


@dataclass
class Verdict:
    findings: list[str]  # failing blocks known.toml lists
    new: list[str]  # failing blocks it does not
    stale: list[str]  # listed blocks that ran (or resolved) after all, or are no block at all

    @property
    def exit_code(self) -> int:
        return 1 if self.new or self.stale else 0


def judge(results: list[Result], known: dict[str, Known], selected_all: bool) -> Verdict:
    findings: list[str] = []
    new: list[str] = []
    stale: list[str] = []
    seen = {r.block.id: r for r in results}
    for r in results:
        entry = known.get(r.block.id)
        if r.outcome in FAILURES:
            (findings if entry is not None and entry.outcome == r.outcome else new).append(r.block.id)
        elif entry is not None and r.outcome in OK_OUTCOMES:
            stale.append(r.block.id)
    if selected_all:
        stale += [b for b in known if b not in seen]
    return Verdict(findings, new, stale)


def _version(args: list[str]) -> str:
    if shutil.which(args[0]) is None:
        return "not installed"
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return "does not run"
    lines = re.sub(r"\x1b\[[0-9;]*m", "", p.stdout + p.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def toolchains() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "node": _version(["node", "--version"]),
        "go": _version(["go", "version"]),
        "java": _version(["java", "-version"]),
        "mvn": _version(["mvn", "-v"]),
        "dotnet": _version(["dotnet", "--version"]),
    }


def to_json(results: list[Result], known: dict[str, Known], verdict: Verdict, seeds: dict[str, str]) -> dict:
    rows: list[dict[str, Any]] = []
    for r in results:
        b = r.block
        entry = known.get(b.id)
        rows.append(
            {
                "id": b.id,
                "seed": b.seed,
                "lines": f"{b.start}-{b.end}",
                "language": b.language,
                "section": b.section,
                "outcome": r.outcome,
                "detail": r.detail,
                "documentation_finding": b.id in verdict.findings
                and entry is not None
                and entry.kind == "finding",
                "listed_fragment": b.id in verdict.findings
                and entry is not None
                and entry.kind == "fragment",
                "known": None
                if entry is None
                else {"kind": entry.kind, "summary": entry.summary, "evidence": entry.evidence},
                "substitutions": r.substitutions,
                "requests": r.requests,
                "commands": r.commands,
                "same_as": r.same_as,
                "seconds": r.seconds,
            }
        )
    by_language: dict[str, dict[str, int]] = {}
    for r in results:
        counts = by_language.setdefault(r.block.language, {})
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    return {
        "generated_by": "python -m aoai_conformance.docsnippets",
        "seeds": seeds,
        "toolchains": toolchains(),
        "summary": {
            "blocks": len(results),
            "by_language": by_language,
            "documentation_findings": [r["id"] for r in rows if r["documentation_finding"]],
            "listed_fragments": [r["id"] for r in rows if r["listed_fragment"]],
            "new_failures": verdict.new,
            "stale_known": verdict.stale,
            "exit_code": verdict.exit_code,
        },
        "blocks": rows,
        "drift": drift(results),
    }


def drift(results: list[Result]) -> list[dict[str, Any]]:
    """The earlier revision of the Python page (002) against the current one (000), block by block: same
    section and tab, same code or not, and each one's outcome."""

    def by_section(prefix: str) -> dict[tuple[str, str, int], Result]:
        seen: dict[tuple[str, str], int] = {}
        out: dict[tuple[str, str, int], Result] = {}
        for r in results:
            if r.block.seed.startswith(prefix) and r.block.language != "output":
                key = (r.block.section, r.block.language)
                seen[key] = seen.get(key, 0) + 1
                out[(key[0], key[1], seen[key])] = r  # the n-th block of a section pairs with the n-th
        return out

    current = by_section("000")
    out = []
    for key, old in by_section("002").items():
        new = current.get(key)
        if new is None:
            continue
        if new.block.code == old.block.code and new.outcome == old.outcome:
            continue
        out.append(
            {
                "section": old.block.section,
                "earlier": old.block.id,
                "current": new.block.id,
                "code": "same" if new.block.code == old.block.code else "changed",
                "earlier_outcome": old.outcome,
                "current_outcome": new.outcome,
            }
        )
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: dict) -> str:
    s = report["summary"]
    out = [
        "# The documentation's own code, run as written",
        "",
        f"Generated by `{report['generated_by']}`. Seeds: "
        + ", ".join(f"`{v}`" for v in report["seeds"].values())
        + ". Toolchains: "
        + ", ".join(f"{k} {v}" for k, v in report["toolchains"].items())
        + ".",
        "",
        "Extraction, substitution and wrapping rules: `aoai_conformance/docsnippets/__init__.py`. Findings and "
        "listed fragments, with their evidence: `aoai_conformance/docsnippets/known.toml`.",
        "",
        f"{s['blocks']} blocks; documentation findings: {len(s['documentation_findings'])}; listed fragments: "
        f"{len(s['listed_fragments'])}; new failures: "
        f"{len(s['new_failures'])}; stale known entries: {len(s['stale_known'])}; exit code {s['exit_code']}.",
        "",
        "| language | " + " | ".join(sorted({o for c in s["by_language"].values() for o in c})) + " |",
    ]
    outcomes = sorted({o for c in s["by_language"].values() for o in c})
    out.append("|---" * (len(outcomes) + 1) + "|")
    for lang, counts in sorted(s["by_language"].items()):
        out.append(f"| {lang} | " + " | ".join(str(counts.get(o, "")) for o in outcomes) + " |")
    out += [
        "",
        "## Blocks",
        "",
        "| block | language | section | outcome | first line of the error / detail |",
    ]
    out.append("|---|---|---|---|---|")
    for row in report["blocks"]:
        outcome = row["outcome"] + (
            " (documentation finding)"
            if row["documentation_finding"]
            else " (listed)"
            if row["listed_fragment"]
            else ""
        )
        detail = row["detail"] + (f" (same lines as `{row['same_as']}`)" if row["same_as"] else "")
        out.append(
            f"| `{row['id']}` | {row['language']} | {_cell(row['section'])} | {outcome} | {_cell(detail)} |"
        )
    findings = [r for r in report["blocks"] if r["documentation_finding"] or r["listed_fragment"]]
    if findings:
        out += ["", "## Documentation findings and listed fragments (known.toml)", ""]
        for row in findings:
            k = row["known"]
            out += [
                f"### `{row['id']}` {row['section']}: {row['outcome']} ({k['kind']})",
                "",
                k["summary"],
                "",
            ]
            out += [f"- error: `{_cell(row['detail'])}`", f"- evidence: {k['evidence']}"]
            for c in row["commands"]:
                out.append(f"- `{c['command']}`: {c['outcome']}: `{_cell(c['detail'])}`")
                out += [f"  - `{_cell(e)}`" for e in c["evidence"]]
            out.append("")
    new = [r for r in report["blocks"] if r["id"] in s["new_failures"]]
    if new:
        out += ["", "## New failures (not in known.toml)", ""]
        out += [f"- `{r['id']}` {r['section']}: {r['outcome']}: `{_cell(r['detail'])}`" for r in new]
    if s["stale_known"]:
        out += ["", "## Stale known.toml entries (the block ran, or is no block)", ""]
        out += [f"- `{b}`" for b in s["stale_known"]]
    if report["drift"]:
        out += ["", "## Drift: the earlier revision (002) against the current page (000)", ""]
        out += [
            "| section | earlier | current | code | earlier outcome | current outcome |",
            "|---|---|---|---|---|---|",
        ]
        for d in report["drift"]:
            out.append(
                f"| {_cell(d['section'])} | `{d['earlier']}` | `{d['current']}` | {d['code']} | "
                f"{d['earlier_outcome']} | {d['current_outcome']} |"
            )
    out += ["", "## What was substituted, per block", ""]
    for row in report["blocks"]:
        if row["substitutions"] or row["requests"] or row["commands"]:
            out.append(
                f"- `{row['id']}` ({row['language']}): " + "; ".join(row["substitutions"] + row["requests"])
            )
            for c in row["commands"]:
                out.append(f"  - line {c['line']} `{c['command']}`: {c['outcome']}: {_cell(c['detail'])}")
    return "\n".join(out) + "\n"


def write(report: dict, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    j, m = folder / "docsnippets.json", folder / "docsnippets.md"
    j_text = scrub(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    m_text = scrub(to_markdown(report))
    # written next to the old ones first: a crash half-way never leaves a torn report
    for path, text in ((j, j_text), (m, m_text)):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return j, m
