"""Another SDK's cases that were never meant to run ("not documented for <sdk>: ...") and those that could not run
("not run: ...") have their own statuses in results.json, render apart from a plain skip, and only the second
counts as unchecked (tests/test_fleet_history.py holds the threshold and the fleet/trend pages)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
from test_report import make_case

from aoai_conformance import report
from aoai_conformance.plugin.cases import skip_status
from aoai_conformance.report import _model

ROOT = Path(__file__).resolve().parents[1]


def test_a_skip_reason_gives_its_status():
    assert skip_status("not documented for node: embeddings.create (not in the JavaScript section)") == (
        "not-documented"
    )
    assert (
        skip_status("not documented for go: auth mode env (the Go section shows entra, key)")
        == "not-documented"
    )
    assert skip_status("not run: no .NET driver: NuGet is not reachable") == "not-run"
    assert skip_status("not applicable: apim-request-id is Azure-only") == "not-applicable"
    assert skip_status("unsupported: target t does not claim mcp") == "not-applicable"
    assert skip_status("throttled: 429 after retries") == "skipped"
    assert skip_status("not replayable through openai-go v2.1.1: ...") == "skipped"


def _results(*cases: dict) -> dict:
    return {
        "format": "aoai-conformance/results",
        "version": 1,
        "run": {"started": "2026-11-30T03:00:00Z", "mode": "replay", "targets": [{"name": "replay"}]},
        "cases": list(cases),
    }


def _sdk_case(test: str, status: str, reason: str, call: str) -> dict:
    c = dict(make_case(test, status=status, reason=reason), sdk="dotnet", sdk_version=None, call=call)
    c["id"] += "-dotnet"
    return c


def test_compat_pages_show_not_documented_and_not_run_apart(tmp_path):
    gap = _sdk_case(
        "test_e", "not-documented", "not documented for dotnet: auth mode env", "embeddings.create"
    )
    idle = _sdk_case("test_c", "not-run", "not run: no .NET driver", "chat.completions.create")
    plain = _sdk_case("test_r", "skipped", "throttled: 429 after retries", "responses.create")
    data = _results(make_case("test_c"), gap, idle, plain)
    report.check(data)
    validator = jsonschema.Draft202012Validator(json.loads(report.schema_path().read_text()))
    assert not list(validator.iter_errors(data))
    assert _model.counts(data["cases"]) == {"pass": 1, "not-documented": 1, "not-run": 1, "skipped": 1}
    report.render(data, tmp_path)
    md = (tmp_path / "compat.md").read_text()
    html = (tmp_path / "compat.html").read_text()
    for status in ("not-documented", "not-run", "skipped"):
        sym, label, _ = _model.STATUS_INFO[status]
        assert f"{sym} {label}" in md, status
        assert f"st-{status}" in html, status
    assert "not documented for dotnet: auth mode env" in md and "not run: no .NET driver" in md


def test_a_cell_of_both_is_not_run_and_one_that_ran_wins():
    gap = {"status": "not-documented"}
    idle = {"status": "not-run"}
    assert report.cell_status([gap, idle]) == "not-run"
    assert report.cell_status([gap, {"status": "not-applicable"}]) == "not-documented"
    assert report.cell_status([gap, idle, {"status": "skipped"}]) == "skipped"
    assert report.cell_status([gap, {"status": "pass"}]) == "pass"


def test_a_dotnet_replay_reports_both_statuses(tmp_path):
    """--sdk dotnet (no driver here): the calls its section documents are not-run, the rest not-documented;
    a replay reaches no server, so nothing is 'not checked' and it exits 0."""
    env = {**os.environ, "AOAI_CONFORMANCE_SDK": "dotnet"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "aoai_conformance.cli",
            "run",
            "--reports-dir",
            str(tmp_path),
            "-q",
            "test_chat.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    cases = json.loads((tmp_path / "results.json").read_text())["cases"]
    by_status: dict[str, set[str]] = {}
    for c in cases:
        by_status.setdefault(c["status"], set()).add(c["reason"].split(":")[0])
    assert by_status == {"not-run": {"not run"}, "not-documented": {"not documented for dotnet"}}
    md = (tmp_path / "compat.md").read_text()
    assert "\u25cb not documented" in md and "\u00b7 not run" in md
