"""The run's results: results.json (the format every report is built from), JUnit XML, the reports, the
base-URL hints and the terminal summary. Written by the controller at session finish, from the cases filed.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import pytest

from .. import __version__, paths
from ..config import Settings, Target
from ..files import write_json_atomic
from .cases import finish_case
from .session import STATE, State, now, sdk_version, state_of

RESULTS_FORMAT = "aoai-conformance/results"


def _is_conformance_run(config: pytest.Config) -> bool:
    suites = str(paths.suites().resolve())
    for arg in config.args or []:
        path = Path(str(arg).split("::")[0]).resolve()
        if str(path).startswith(suites) or path.name == "suites" or "suites" in path.parts:
            return True
    return False


def configure_junit(config: pytest.Config) -> None:
    """JUnit XML beside results.json for a conformance run, unless pytest was given --junitxml. The options
    this room reads (--repeat, --not-checked-threshold) are checked here too: one line before any test runs."""
    state = state_of(config)
    if state.settings is not None:
        from .options import repeat_count

        repeat_count(config)
        not_checked_threshold(config)
    if state.settings and _is_conformance_run(config) and not hasattr(config, "workerinput"):
        if not config.option.xmlpath:
            from _pytest.junitxml import LogXML

            path = state.settings.reports_dir / "junit.xml"
            path.parent.mkdir(parents=True, exist_ok=True)
            xml = LogXML(str(path), None, suite_name="aoai-conformance", family="xunit2")
            config.pluginmanager.register(xml, "aoai-junitxml")
            state.written.append(path)


def last_lines(config: pytest.Config) -> None:
    """The last line of the run, after pytest's list of failures: a wrong base URL fails every case, and the
    one line that says so must not be buried above a hundred FAILED lines."""
    if STATE not in config.stash:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    for hint in state_of(config).hints:
        if reporter is not None:
            reporter.write_line(f"aoai-conformance: {hint}", yellow=True, bold=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        return
    state = state_of(config)
    if not state.cases or state.settings is None:
        return
    results = build_results(state, config)
    state.final_cases = results["cases"]
    state.hints = results["run"].get("hints", [])
    reports_dir = state.settings.reports_dir
    from .. import report as report_mod

    previous = None
    compare = config.getoption("aoai_compare_to") or os.environ.get("AOAI_CONFORMANCE_COMPARE_TO")
    try:
        if compare:
            previous = report_mod.load(Path(compare))
    except report_mod.ReportInputError as exc:
        state.render_error = f"--compare-to: {exc}"
    carry_first_seen(results, previous)
    path = write_json_atomic(reports_dir / "results.json", results)
    state.written.append(path)
    try:
        state.written.extend(report_mod.render(results, reports_dir, previous).values())
    except Exception as exc:  # the results file is written; a rendering problem must not hide it
        state.render_error = f"{type(exc).__name__}: {exc}"


def carry_first_seen(results: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """Drift and spec deviations keep the date they were first seen, night after night."""
    seen: dict[tuple[str, str, str], str] = {}
    if previous is not None:
        for case in previous.get("cases", []):
            for n in case.get("notes") or []:
                if n.get("kind") in ("drift", "spec-deviation"):
                    key = (case.get("call", ""), n.get("kind", ""), n.get("path") or n.get("message", ""))
                    seen.setdefault(key, n.get("first_seen") or previous["run"].get("started", ""))
    for case in results["cases"]:
        for n in case.get("notes") or []:
            if n.get("kind") in ("drift", "spec-deviation"):
                key = (case["call"], n["kind"], n.get("path") or n.get("message", ""))
                n["first_seen"] = seen.get(key, results["run"]["started"])


def build_results(state: State, config: pytest.Config) -> dict[str, Any]:
    settings = state.need()
    cases = [finish_case(dict(state.cases[k])) for k in sorted(state.cases)]
    for case in cases:
        case.pop("capability", None)
        case.pop("expectation", None)
        p = case["params"]
        test = case["id"].split("::", 1)[-1]
        case["rerun"] = (
            f"aoai-conformance run --mode {settings.mode} --target {p['target']} "
            f"--auth {p['auth']} --client {p['client']} '{Path(case['id'].split('::')[0]).name}::{test}'"
        )
    tokens: dict[str, Any] = {"total": 0, "by_call": {}}
    models: dict[str, list[str]] = {}
    for case in cases:
        usage = case.get("usage") or {}
        if usage:
            by = tokens["by_call"].setdefault(case["call"], {"prompt": 0, "completion": 0, "total": 0})
            for k in ("prompt", "completion", "total"):
                by[k] += usage.get(k, 0)
            tokens["total"] += usage.get("total", 0)
        for m in case.get("models") or []:
            models.setdefault(case["call"], [])
            if m not in models[case["call"]]:
                models[case["call"]].append(m)
    hints = wrong_base_url_hints(cases, settings)
    versions: dict[str, str | None] = {}
    for case in cases:
        case.pop("answers", None)
        if case.get("sdk_version") is None:  # another SDK's: as its driver's build pinned it, when built
            sdk = str(case.get("sdk"))
            if sdk not in versions:
                from ..sdks.driver import installed_version

                versions[sdk] = installed_version(sdk)
            if versions[sdk]:
                case["sdk_version"] = versions[sdk]
            else:
                case.pop("sdk_version", None)
    unchecked = not_checked(cases, settings, not_checked_threshold(config))
    hints += [entry["headline"] for entry in unchecked]
    repeat = max((int(c.get("repeat") or 1) for c in cases), default=1)
    if repeat > 1:  # tokens per repeat: the K-th pass over the suite costs what the first did, give or take
        by_repeat: dict[str, int] = {}
        for case in cases:
            n = str(case.get("repeat") or 1)
            by_repeat[n] = by_repeat.get(n, 0) + int((case.get("usage") or {}).get("total", 0))
        tokens["by_repeat"] = dict(sorted(by_repeat.items(), key=lambda kv: int(kv[0])))
    targets = []
    for t in settings.targets:
        live = state.live_targets.get(t.name, t)
        seen = sorted(
            {m for c in cases if c["params"].get("target") == t.name for m in c.get("models") or []}
        )
        targets.append(
            {
                "name": t.name,
                "kind": t.kind,
                "host": live.display_host,
                "profile": t.profile,
                "region": t.region,
                "deployments": dict(t.deployments),
                "model_versions": seen,
                "checked": not any(e["target"] == t.name for e in unchecked),
            }
        )
    return {
        "format": RESULTS_FORMAT,
        "version": 1,
        "run": {
            "started": state.started,
            "finished": now(),
            "mode": settings.mode,
            "suite_version": __version__,
            "sdk_version": sdk_version(),
            "python": platform.python_version(),
            "command": _command(config),
            "targets": targets,
            "models_seen": models,
            "tokens": tokens,
            "expectations_file": str(state.expectations_path.name),
            **({"repeat": repeat} if repeat > 1 else {}),
            **({"not_checked": unchecked} if unchecked else {}),
            **({"hints": hints} if hints else {}),
        },
        "cases": cases,
    }


PASSING = ("pass", "doc-sdk-difference", "unexpected-pass")
NOT_CHECKED_THRESHOLD = 0.5  # "most cases": more than half skipped
NEVER_MEANT = ("not-applicable", "not-documented")  # left out of the share: they were never meant to run
UNCHECKED = ("skipped", "not-run")  # meant to run, and did not


def not_checked_threshold(config: pytest.Config) -> float:
    """--not-checked-threshold (or AOAI_CONFORMANCE_NOT_CHECKED_THRESHOLD): a fraction in [0, 1)."""
    raw = config.getoption("aoai_not_checked_threshold", None) or os.environ.get(
        "AOAI_CONFORMANCE_NOT_CHECKED_THRESHOLD"
    )
    if raw in (None, ""):
        return NOT_CHECKED_THRESHOLD
    try:
        value = float(str(raw))
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise pytest.UsageError(
            f"--not-checked-threshold {raw!r}: give a fraction from 0 to below 1, e.g. 0.5 (more than half skipped)"
        )
    return value


def not_checked(cases: list[dict[str, Any]], settings: Settings, threshold: float) -> list[dict[str, Any]]:
    """Targets of a live/record run whose cases were mostly skipped (throttled, not configured, their SDK not
    run): nothing checked is not a pass. Not-applicable and not-documented cases (never meant to run) do not count
    either way; the CLI exits with its own code for these."""
    if not settings.mode_obj.reaches_server:
        return []
    out = []
    for t in settings.targets:
        mine = [c for c in cases if c["params"].get("target") == t.name and c["status"] not in NEVER_MEANT]
        skipped = [c for c in mine if c["status"] in UNCHECKED]
        if not mine or len(skipped) / len(mine) <= threshold:
            continue
        throttled = sum(1 for c in skipped if str(c.get("reason") or "").startswith("throttled"))
        why = f"{throttled} throttled: HTTP 429 after retries" if throttled else "none throttled"
        out.append(
            {
                "target": t.name,
                "skipped": len(skipped),
                "cases": len(mine),
                "throttled": throttled,
                "threshold": threshold,
                "headline": f"NOT CHECKED: {t.name}: {len(skipped)} of {len(mine)} cases skipped ({why}); "
                f"nothing checked is not a pass (threshold {threshold:g}, --not-checked-threshold)",
            }
        )
    return out


def wrong_base_url_hints(cases: list[dict[str, Any]], settings: Settings) -> list[str]:
    """One line per live/record target whose every answer was a 404 while no case that reached it passed: the
    calls went to a path the server does not serve, which is the base URL's fault, not a conformance finding."""
    if not settings.mode_obj.reaches_server:
        return []
    hints = []
    for t in settings.targets:
        reached = [c for c in cases if c["params"].get("target") == t.name and c.get("answers")]
        answers = [a for c in reached for a in c["answers"]]
        if not answers or set(answers) != {404} or any(c["status"] in PASSING for c in reached):
            continue
        hints.append(
            f"all {len(answers)} calls to {t.name} ({_shown_base_url(t)}) answered HTTP 404: the base URL "
            "is probably wrong (for a server at its root, give its full path, e.g. http://host:port/v1; "
            "an Azure resource is https://RESOURCE.openai.azure.com)"
        )
    return hints


def _shown_base_url(t: Target) -> str:
    """The base URL as configured, with a real resource name scrubbed (as reports show the host)."""
    from urllib.parse import urlsplit

    parts = urlsplit(t.base_url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{t.display_host}{port}{parts.path}"


def _command(config: pytest.Config) -> str:
    args = [a for a in config.invocation_params.args]
    return "pytest " + " ".join(args) if args else "pytest"


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or STATE not in config.stash:
        return
    state = state_of(config)
    if not state.cases:
        return
    counts: dict[str, int] = {}
    for case in state.final_cases:
        counts[case["status"]] = counts.get(case["status"], 0) + 1
    terminalreporter.write_sep("-", "aoai-conformance")
    terminalreporter.write_line("cases: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    for hint in state.hints:  # the headline of a not-checked run comes first (and last: last_lines)
        if hint.startswith("NOT CHECKED"):
            terminalreporter.write_line(f"aoai-conformance: {hint}", red=True, bold=True)
    err = state.render_error
    if err:
        terminalreporter.write_line(
            f"report rendering failed ({err}); results.json is intact: "
            "rebuild with python -m aoai_conformance.report"
        )
    for path in sorted(set(state.written), key=str):
        terminalreporter.write_line(f"report: {path}")
