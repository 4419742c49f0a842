"""Case outcomes: each aoai test's case record (from collection), its phases' outcomes with expectations and
known findings applied, its notes, usage, models and scrubbed evidence, and one status per case at the end.

A broken promise is reported in one line; a failure expectations.toml lists is an expected fail, and its pass an
unexpected pass; a failure findings.toml lists is that known finding. Workers send each phase's report (its
``aoai`` attribute) to the controller, which files it here (pytest_runtest_logreport).
"""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from .. import checks, expectations
from ..scrub import Scrubber
from .session import CASE, HARNESS, OUTCOME, SCRUBBER, sdk_version, state_of


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = state_of(config)
    for item in items:
        if not isinstance(item, pytest.Function) or "aoai" not in item.fixturenames:
            continue
        # pytest_generate_tests parametrises aoai with (auth, client, target) names
        auth, client, target = cast("tuple[str, str, str]", item.callspec.params["aoai"])
        doc = item.get_closest_marker("doc")
        kw = doc.kwargs if doc else {}
        test_id = item.nodeid.split("::", 1)[-1]
        sdk = str(item.callspec.params.get("sdk", "python"))
        version = state.version_of(sdk) if any(e.versions for e in state.expectations) else None
        expectation = expectations.find(state.expectations, test_id, target, sdk, version)
        item.repr_failure = _conformance_repr(item)  # type: ignore[method-assign]  # on aoai items only, not the class: a broken promise in one line
        item.stash[CASE] = {
            "id": item.nodeid,
            "call": kw.get("call") or item.originalname,
            "section": kw.get("section") or item.module.__name__,
            "doc": kw.get("doc"),
            "capability": kw.get("capability"),
            "test": item.originalname,
            "title": _title(item),
            "params": {"auth": auth, "client": client, "target": target},
            # The SDK making the call (issue 15): a test parametrised by "sdk" names it, else the Python SDK,
            # whose version is known here (another SDK's comes from its driver: results.py fills it in).
            "sdk": sdk,
            "sdk_version": sdk_version() if sdk == "python" else state.version_of(sdk),
            **(
                {"repeat": item.callspec.params["aoai_repeat"]}
                if "aoai_repeat" in item.callspec.params
                else {}
            ),
            "expectation": expectation.__dict__ if expectation else None,
        }


def _conformance_repr(item: pytest.Function):
    """A broken promise is told in one line plus the suite line that checked it: the message names the promise,
    path, expected and received, and the report carries the evidence. Anything else (a bug in a suite or in
    the package) keeps pytest's full traceback."""
    original = item.repr_failure

    def repr_failure(excinfo, *args, **kwargs):
        exc = excinfo.value
        if not isinstance(exc, checks.ConformanceFailure):
            return original(excinfo, *args, **kwargs)
        file = item.nodeid.split("::")[0]
        where = next(
            (f"{file}:{e.lineno + 1}" for e in reversed(excinfo.traceback) if str(e.path) == str(item.path)),
            file,
        )
        return f"{where}: {exc}"

    return repr_failure


def _title(item: pytest.Function) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    first = (
        doc.strip().splitlines()[0]
        if doc.strip()
        else item.originalname.replace("test_", "").replace("_", " ")
    )
    return first.strip()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    case = item.stash.get(CASE, None)
    if case is None:
        return report
    info: dict[str, Any] = {"phase": report.when}
    exp = case.get("expectation")
    if report.when == "call" and exp:
        exc = call.excinfo.value if call.excinfo else None
        promise = getattr(exc, "promise", None)
        if report.failed and (exp.get("promise") in (None, promise)):
            report.outcome = "skipped"
            report.wasxfail = exp["reason"]
            info["status"] = "expected-fail"
            info["reason"] = f"{exp['reason']} {exp.get('link') or ''}".strip()
            info["failure"] = _failure(call)
        elif report.passed:
            report.outcome = "failed"
            report.longrepr = (
                f"unexpected pass: expectations.toml lists {case['test']} as failing "
                f"({exp['reason']}); documentation may be out of date, or the entry is stale: remove it"
            )
            info["status"] = "unexpected-pass"
            info["reason"] = "documentation may be out of date: " + exp["reason"]
    if report.when == "call" and report.failed and "status" not in info:
        _known_finding(item, call, case, report, info)
    if report.when == "call":
        item.stash[OUTCOME] = "xfailed" if info.get("status") == "expected-fail" else report.outcome
    harness = item.stash.get(HARNESS, None)
    if "status" not in info:
        if report.failed:
            info["status"] = "fail" if report.when == "call" else "error"
            info["failure"] = _failure(call)
        elif report.skipped:
            reason = _skip_reason(report)
            info["status"] = skip_status(reason)
            info["reason"] = reason
        elif report.when == "call":
            info["status"] = "pass"
    if report.when == "call" and harness is not None:
        info["answers"] = _target_answers(harness)  # collected per target on the controller, then dropped
    if report.when == "call" or (report.when == "setup" and not report.passed):
        notes = checks.take_notes()
        info["notes"] = notes
        if info.get("status") == "pass" and any(n["kind"] == "doc-sdk-difference" for n in notes):
            info["status"] = "doc-sdk-difference"
            info["reason"] = next(n["message"] for n in notes if n["kind"] == "doc-sdk-difference")
        if harness is not None:
            info["usage"] = dict(harness.usage) or None
            info["models"] = list(harness.models)
            if info.get("status") in ("fail", "error", "unexpected-pass", "expected-fail"):
                info["evidence"] = _scrubbed(item.stash[SCRUBBER], harness.last_evidence())
    report.aoai = {"case": case, "info": info}
    return report


def skip_status(reason: str) -> str:
    """A skipped case's status, by its reason: ``not-applicable`` (the promise does not apply here),
    ``not-documented`` (another SDK's section does not document it: never meant to run), ``not-run`` (that SDK
    cannot run here: meant to, and unchecked), else ``skipped``."""
    if reason.startswith(("not applicable", "unsupported")):
        return "not-applicable"
    if reason.startswith("not documented for "):
        return "not-documented"
    if reason.startswith("not run: "):
        return "not-run"
    return "skipped"


def _target_answers(harness: Any) -> list[int]:
    """HTTP statuses the target itself answered in this test: not the fault proxy (another port), not a fault
    replayed from a cassette, not a URL elsewhere (a closed port)."""
    base = _origin_and_path(harness.target.base_url)
    return [
        s.status
        for s in harness.sent
        if s.status is not None and s.fault is None and _under(_origin_and_path(s.url), base)
    ]


def _origin_and_path(url: str) -> tuple[str, str, int | None, str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        port = None
    return parts.scheme, (parts.hostname or ""), port, parts.path


def _under(url: tuple[str, str, int | None, str], base: tuple[str, str, int | None, str]) -> bool:
    return url[:3] == base[:3] and url[3].startswith(base[3].rstrip("/") + "/")


def _known_finding(
    item: pytest.Item,
    call: pytest.CallInfo,
    case: dict[str, Any],
    report: pytest.TestReport,
    info: dict[str, Any],
) -> None:
    """A failure that is a listed real deviation (findings.toml) is reported as that finding, not as new: a
    nightly run against a real resource must not cry wolf over what is known. (Unlike an expectation, a finding
    that stops showing is no failure: the service was fixed.)"""
    exc = call.excinfo.value if call.excinfo else None
    state = state_of(item.config)
    if not isinstance(exc, checks.ConformanceFailure) or state.findings is None:
        return
    api, service = state.api_service(case["params"]["target"])
    found = state.findings.match(exc.as_dict(), service=service, api=api, call=case["call"])
    if found is None:
        return
    report.outcome = "skipped"
    report.wasxfail = found.what
    info.update(
        status="expected-fail",
        reason=f"known finding {found.id}: {found.what}",
        failure=_failure(call),
        findings=[found.id],
    )


def _failure(call: pytest.CallInfo) -> dict[str, Any] | None:
    if not call.excinfo:
        return None
    exc = call.excinfo.value
    if isinstance(exc, checks.ConformanceFailure):
        return {**exc.as_dict(), "message": str(exc)}
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return {"promise": None, "detail": message, "message": f"{type(exc).__name__}: {message}"}


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


def _scrubbed(scrubber: Scrubber, evidence: Any) -> Any:
    if evidence is None:
        return None
    text = scrubber.text(json.dumps(evidence, default=str))
    data = json.loads(text)
    for part in ("request", "response"):
        headers = data.get(part, {}).get("headers")
        if isinstance(headers, dict):
            data[part]["headers"] = scrubber.headers(headers)
    return data


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    data = getattr(report, "aoai", None)
    config = _CONFIG.get("config")
    if not data or config is None:
        return
    case = state_of(config).cases.setdefault(report.nodeid, {**data["case"], "phases": {}, "duration": 0.0})
    info = dict(data["info"])
    if "answers" in info:
        case["answers"] = info.pop("answers")
    case["phases"][info["phase"]] = info
    case["duration"] = round(case["duration"] + (report.duration or 0.0), 4)


def finish_case(case: dict[str, Any]) -> dict[str, Any]:
    """One status per case from its phases: a broken setup or teardown is an error, else the call decides."""
    phases = case.pop("phases", {})
    setup, call, teardown = phases.get("setup", {}), phases.get("call"), phases.get("teardown", {})
    if setup.get("status") == "error":
        main = setup
    elif call is None:
        main = setup if setup.get("status") else {"status": "error", "reason": "did not run"}
    else:
        main = call
    if teardown.get("status") == "error" and main.get("status") != "error":
        main = {**main, "status": "error", "failure": teardown.get("failure")}
    if main.get("findings"):
        case["findings"] = main["findings"]
    case.update(
        {
            "status": main.get("status", "error"),
            "reason": main.get("reason"),
            "failure": main.get("failure"),
            "evidence": main.get("evidence"),
            "notes": main.get("notes", []),
            "models": main.get("models", []),
            "usage": main.get("usage"),
        }
    )
    return case


_CONFIG: dict[str, pytest.Config] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG["config"] = session.config
