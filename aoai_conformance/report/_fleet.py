"""A fleet of targets in one report: several results.json (one per target, as the nightly's matrix jobs write
them) merged into one document, fleet.json, with targets as columns and calls as rows (issue 15).

A target that could not run is a column saying so, never a missing column: its results.json is absent (the job
timed out or crashed before writing it), partial (cut off mid-write), or a "not run" stub the job wrote
(:func:`not_run_stub`). A target whose cases were mostly skipped (results.json's ``run.not_checked``) is a column
marked "not checked". Everything here is a pure function of its input and sorts what it returns.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..config import tomllib
from . import _model as m

FLEET_FORMAT = "aoai-conformance/fleet"
FLEET_VERSION = 1
# A fleet cell's history status (the trend's strip): the case statuses folded into what a night says.
NIGHT_STATUS = {
    "fail": "fail",
    "error": "fail",
    "unexpected-pass": "fail",
    "pass": "pass",
    "doc-sdk-difference": "pass",
    "expected-fail": "pass",  # a listed gap or known finding: no alarm, night after night
    "skipped": "skipped",
    "not-applicable": "not-applicable",
    "not-documented": "not-documented",
    "not-run": "not-run",
}
NO_RESULTS = "no results.json: the job failed, timed out or was cancelled before writing it"


def now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def not_run_stub(target: str, reason: str, *, region: str | None = None, started: str | None = None) -> dict:
    """A results.json (format version 1, no cases) saying this target was not run, and why. The nightly's
    matrix job writes it when the suite could not write its own (no credentials, a crash, a timeout)."""
    when = started or now()
    return {
        "format": m.FORMAT,
        "version": m.VERSION,
        "run": {
            "started": when,
            "finished": when,
            "mode": "live",
            "targets": [{"name": target, "region": region, "deployments": {}}],
            "models_seen": {},
            "tokens": {"total": 0, "by_call": {}},
            "not_run": reason,
        },
        "cases": [],
    }


def read_source(path: Path) -> tuple[dict | None, str | None]:
    """(results, None), or (None, why it is not there) for an absent or partial file. Any other bad input
    raises ReportInputError: a file that is something else is a mistake to fix, not a target that did not run."""
    if not path.exists():
        return None, NO_RESULTS
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise m.ReportInputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not raw.strip():
        return None, "empty results.json: the run was cut off before writing it"
    try:
        json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "partial results.json (not valid JSON): the run was cut off while writing it"
    return m.load(path), None


def _target_name(path: Path, results: dict | None) -> str:
    if results is not None:
        names = [
            m.text(m.as_dict(t).get("name")) for t in m.as_list(m.as_dict(results.get("run")).get("targets"))
        ]
        names = [n for n in names if n]
        if names:
            return names[0]
    # reports/<target>/results.json or results-<target>/results.json, as the workflow lays them out
    parent = path.parent.name
    return parent.removeprefix("results-") if parent and parent not in (".", "reports") else path.stem


def merge(paths: list[Path], expect: list[str] | None = None) -> dict:
    """The fleet document of these results files (one night). ``expect``: target names that should be there;
    one with no file is a "not run" column. A file holding several targets gives one column per target."""
    targets: dict[str, dict[str, Any]] = {}
    cases_of: dict[str, list[dict]] = {}
    started: list[str] = []
    for path in paths:
        results, missing = read_source(Path(path))
        if results is None:
            name = _once(_target_name(Path(path), None), targets, path)
            targets[name] = _target_entry(name, {}, str(path), state="not-run", reason=missing)
            continue
        run = m.as_dict(results.get("run"))
        if m.text(run.get("started")):
            started.append(m.text(run.get("started")))
        unchecked = {
            m.text(e.get("target")): e for e in m.as_list(run.get("not_checked")) if isinstance(e, dict)
        }
        listed = [m.as_dict(t) for t in m.as_list(run.get("targets"))]
        seen = {m.text(m.case_params(c).get("target")) for c in results["cases"]} - {""}
        for name in sorted({m.text(t.get("name")) for t in listed} | seen):
            if not name:
                continue
            _once(name, targets, path)
            meta = next((t for t in listed if m.text(t.get("name")) == name), {})
            mine = [c for c in results["cases"] if m.text(m.case_params(c).get("target")) == name]
            if run.get("not_run"):
                state, reason = "not-run", m.text(run.get("not_run"))
            elif name in unchecked:
                state, reason = "not-checked", m.text(unchecked[name].get("headline"))
            elif not mine:
                state, reason = "not-run", "results.json holds no case for this target"
            else:
                state, reason = "checked", ""
            targets[name] = _target_entry(name, meta, str(path), state=state, reason=reason, cases=mine)
            cases_of[name] = mine
    for name in expect or []:
        if name not in targets:
            targets[name] = _target_entry(name, {}, "", state="not-run", reason=NO_RESULTS)
    return {
        "format": FLEET_FORMAT,
        "version": FLEET_VERSION,
        "night": min(started) if started else "",
        "targets": [targets[n] for n in sorted(targets)],
        "cells": _cells(cases_of, targets),
    }


def _once(name: str, targets: dict[str, dict], path: Path | str) -> str:
    if name in targets:
        raise m.ReportInputError(
            f"{path}: target {name!r} is also in {targets[name]['source'] or 'another input'}; "
            "merge one results.json per target (one night)"
        )
    return name


def _target_entry(
    name: str,
    meta: dict,
    source: str,
    *,
    state: str,
    reason: str | None,
    cases: list[dict] | None = None,
) -> dict:
    cases = cases or []
    versions = m.as_list(meta.get("model_versions")) or sorted(
        {v for c in cases for v in m.as_list(c.get("models"))}
    )
    return {
        "name": name,
        "state": state,  # checked | not-checked | not-run
        "reason": reason or "",
        "region": m.text(meta.get("region")) or None,
        "kind": m.text(meta.get("kind")) or None,
        "host": m.text(meta.get("host")) or None,
        "model_versions": sorted(m.text(v) for v in versions),
        "counts": m.counts(cases),
        "tokens": sum(int(m.as_dict(c.get("usage")).get("total") or 0) for c in cases),  # every repeat's
        "sdks": sorted({m.text(c.get("sdk")) or "python" for c in cases}),
        "source": source,
    }


def _cells(cases_of: dict[str, list[dict]], targets: dict[str, dict]) -> list[dict]:
    cells: dict[tuple[str, str, str], list[dict]] = {}
    for name, cases in cases_of.items():
        for c in cases:
            cells.setdefault((m.case_call(c), name, m.text(c.get("sdk")) or "python"), []).append(c)
    out = []
    for (call, target, sdk), cases in sorted(cells.items()):
        status = m.cell_status(cases)
        bad = sorted(cases, key=lambda c: c["id"])
        promises = sorted(
            {
                m.text(m.as_dict(c.get("failure")).get("promise")) or m.text(c.get("status"))
                for c in bad
                if m.status_of(c) in m.BAD
            }
        )
        repeat = m.repeat_of(cases)
        sections = sorted({m.text(c.get("section")) for c in cases} - {""})
        out.append(
            {
                "call": call,
                "section": sections[0] if sections else "",
                "target": target,
                "sdk": sdk,
                "sdk_versions": sorted({m.text(c.get("sdk_version")) for c in cases} - {""}),
                "status": status,
                "night": NIGHT_STATUS.get(status, "fail"),
                "region": targets[target].get("region"),
                "model_versions": sorted({m.text(v) for c in cases for v in m.as_list(c.get("models"))}),
                "promises": promises,
                "cases": [c["id"] for c in bad],
                "failing": [c["id"] for c in bad if m.status_of(c) in m.BAD],
                **(
                    {
                        "repeat": {
                            "k": repeat.k,
                            "cases": repeat.cases,
                            "all": repeat.all_passed,
                            "any": repeat.any_passed,
                        }
                    }
                    if repeat
                    else {}
                ),
            }
        )
    return out


def check_fleet(data: Any, source: str | Path) -> dict:
    fix = f"expected a {FLEET_FORMAT!r} file as `aoai-conformance report --merge` writes it (fleet.json)"
    if not isinstance(data, dict) or data.get("format") != FLEET_FORMAT:
        raise m.ReportInputError(f"{source}: not a fleet file; {fix}")
    if data.get("version") != FLEET_VERSION:
        raise m.ReportInputError(
            f"{source}: fleet version {data.get('version')!r}, not {FLEET_VERSION}; {fix}"
        )
    if not isinstance(data.get("targets"), list) or not isinstance(data.get("cells"), list):
        raise m.ReportInputError(f"{source}: 'targets' or 'cells' is missing; {fix}")
    return data


def load_fleet(path: Path) -> dict:
    try:
        return check_fleet(json.loads(path.read_text(encoding="utf-8")), path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise m.ReportInputError(
            f"{path}: cannot read this fleet file ({exc}); re-run report --merge"
        ) from None


def list_targets(path: Path | None, env: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The nightly's matrix: one entry per target of targets.toml (its name and the names of the variables and
    secrets it reads; never their values), or the ``endpoint`` target when there is no file and
    AZURE_OPENAI_ENDPOINT is set, or nothing."""
    env = dict(os.environ) if env is None else env
    if path is None:
        return [_matrix_entry("endpoint", {})] if env.get("AZURE_OPENAI_ENDPOINT") else []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise m.ReportInputError(
            f"{path}: targets file not found; create it (see targets.example.toml)"
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise m.ReportInputError(f"{path}: not a readable targets file ({exc}); fix it") from None
    tables = data.get("targets")
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise m.ReportInputError(f"{path}: no [targets.NAME] tables; add one (see targets.example.toml)")
    return [_matrix_entry(name, tables[name]) for name in sorted(tables)]


def _matrix_entry(name: str, table: dict) -> dict[str, str]:
    return {
        "target": name,
        "base_url_env": m.text(table.get("base_url_env")),
        "api_key_env": m.text(table.get("api_key_env")),
        "ad_token_env": m.text(table.get("ad_token_env")),
        "region": m.text(table.get("region")),
    }
