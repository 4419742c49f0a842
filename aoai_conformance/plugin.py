"""The pytest plugin: options, the ``aoai`` fixture, parametrisation by auth mode x client x target, cassettes per
test, expectations, and the results every report is built from.

It stays inert for tests that do not use the ``aoai`` fixture, so the project's own tests run beside it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import secrets
from pathlib import Path
from typing import Any, cast

import pytest

# Only light modules here: pytest loads this plugin in every session where the package is installed, so the
# SDK, vcrpy and azure-identity (~1.2 s of imports) are imported when a conformance test first needs them.
from . import __version__, checks, expectations, paths
from .config import OPTIONS, RUN_OPTIONS, ConfigError, Settings, Target, resolve
from .files import write_json_atomic
from .scrub import Scrubber

_STATE = pytest.StashKey["_State"]()
_CASE = pytest.StashKey[dict]()
_HARNESS = pytest.StashKey[Any]()  # calls.Aoai
_OUTCOME = pytest.StashKey[str]()
_SCRUBBER = pytest.StashKey[Scrubber]()  # this test's secrets and host, for its evidence in results.json


def _sdk_version() -> str:
    import openai

    return openai.__version__


RESULTS_FORMAT = "aoai-conformance/results"


def documented(
    call: str, section: str, *, capability: str | None = None, doc: str = "000_618f909ca6807cc5.txt"
) -> pytest.MarkDecorator:
    """Ties a conformance test to the documented call and section it checks (the report's row)."""
    return pytest.mark.doc(call=call, section=section, capability=capability, doc=doc)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


# --- options -------------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup(
        "aoai-conformance", "Azure OpenAI v1 conformance (each option also AOAI_CONFORMANCE_<OPTION>)"
    )
    for name, metavar, help_text in RUN_OPTIONS:
        g.addoption(
            "--" + name.replace("_", "-"), dest="aoai_" + name, default=None, metavar=metavar, help=help_text
        )
    parser.addini("aoai_conformance", "unused", default="")


class _State:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.error: str | None = None
        self.expectations_path: Path = paths.expectations()
        self.settings: Settings | None = None
        self.expectations: list[expectations.Expectation] = []
        self.findings: Any = None  # recorded.findings.Findings: real deviations, reported as known findings
        # (auth, client, target, constructor arguments) -> BuiltClient
        self.clients: dict[tuple[str, str, str, tuple[tuple[str, Any], ...]], Any] = {}
        self.standins: dict[str, Any] = {}
        self.proxies: dict[str, Any] = {}
        self.live_targets: dict[str, Target] = {}
        self.cases: dict[str, dict[str, Any]] = {}
        self.started = _now()
        self.written: list[Path] = []
        # Set at session finish (controller only): for the terminal summary and the last line of the run.
        self.final_cases: list[dict[str, Any]] = []
        self.hints: list[str] = []
        self.render_error: str | None = None
        opts = {name: config.getoption("aoai_" + name) for name in OPTIONS}
        explicit = (
            any(v is not None for v in opts.values()) or config.getoption("aoai_expectations") is not None
        )
        try:
            self.settings = resolve(**opts, default_cassettes=paths.cassettes())
            self.expectations_path = Path(
                config.getoption("aoai_expectations")
                or os.environ.get("AOAI_CONFORMANCE_EXPECTATIONS")
                or paths.expectations()
            )
            if config.getoption("aoai_expectations") and not self.expectations_path.is_file():
                raise ConfigError(f"expectations file {self.expectations_path} not found: fix the path")
            self.expectations = expectations.load(self.expectations_path)
            self.findings = _findings()
        except ConfigError as exc:
            self.error = str(exc)
            if explicit:
                raise pytest.UsageError(self.error) from None

    def api_service(self, target: str) -> tuple[str, str | None]:
        """(API, real service) of a target, for its known findings: every run target speaks v1."""
        from .recorded.findings import service_of

        t = next(t for t in self.need().targets if t.name == target)
        return ("azure-v1" if t.profile == "azure" else "openai-v1"), service_of(t.profile, t.host)

    def need(self) -> Settings:
        if self.settings is None:
            raise pytest.UsageError(self.error or "aoai-conformance is not configured")
        return self.settings

    def target(self, name: str) -> Target:
        settings = self.need()
        base = next(t for t in settings.targets if t.name == name)
        if base.kind != "standin" or not settings.mode_obj.reaches_server:
            return base  # replay: the stand-in target is its recordings
        if name not in self.live_targets:
            from .standin import StandIn  # started only when a live/record run asks for it

            key, token = "standin-key-" + secrets.token_hex(8), "standin-token-" + secrets.token_hex(12)
            server = StandIn(api_key=key, tokens=(token,))
            server.start()
            self.config.hook.pytest_aoai_standin_started(standin=server)
            self.standins[name] = server
            from dataclasses import replace

            self.live_targets[name] = replace(base, base_url=server.base_url, api_key=key, ad_token=token)
        return self.live_targets[name]

    def client(self, auth: str, client: str, target: Target, **client_kwargs: Any):
        key = (auth, client, target.name, tuple(sorted(client_kwargs.items())))
        if key not in self.clients:
            if not self.need().mode_obj.reaches_server:
                from . import cassettes

                cassettes.share_tls_context()
            # Building a client costs ~25 ms (TLS context); one per auth x client x target per process.
            from .auth import build_client

            self.clients[key] = build_client(auth, target, client == "async", **client_kwargs)
        built = self.clients[key]
        if built.provider is not None:  # counts are per test
            built.provider.calls = 0
            built.provider.tokens.clear()
        return built

    def proxied(
        self,
        auth: str,
        client: str,
        target: Target,
        faults: list[Any],
        scrubber: Scrubber,
        **client_kwargs: Any,
    ):
        """A client for this auth mode that talks to the target through the session's fault proxy."""
        from dataclasses import replace

        from .faultproxy import FaultProxy

        if target.name not in self.proxies:
            proxy = FaultProxy(upstream=target.base_url)
            proxy.start()
            self.proxies[target.name] = proxy
        proxy = self.proxies[target.name]
        proxy.reset()
        proxy.script(faults)
        scrubber.add_base_url(proxy.base_url)
        via = replace(target, name=target.name + "+faults", base_url=proxy.base_url)
        return self.client(auth, client, via, **client_kwargs)

    def close(self) -> None:
        for server in [*self.proxies.values(), *self.standins.values()]:
            try:
                server.stop()
            except Exception:
                pass


def _findings() -> Any:
    """The listed real deviations (findings.toml; AOAI_CONFORMANCE_FINDINGS=PATH or none)."""
    from .recorded.findings import FindingsError, load

    chosen = os.environ.get("AOAI_CONFORMANCE_FINDINGS")
    try:
        return load(None if chosen == "none" else Path(chosen) if chosen else paths.findings())
    except FindingsError as exc:
        raise ConfigError(str(exc)) from None


def _state(config: pytest.Config) -> _State:
    return config.stash[_STATE]


def _is_conformance_run(config: pytest.Config) -> bool:
    suites = str(paths.suites().resolve())
    for arg in config.args or []:
        path = Path(str(arg).split("::")[0]).resolve()
        if str(path).startswith(suites) or path.name == "suites" or "suites" in path.parts:
            return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "doc(call, section, capability, doc): the documented call a test checks"
    )
    config.addinivalue_line("markers", "auth_modes(*modes): run this test only under these auth modes")
    config.addinivalue_line("markers", "clients(*clients): run this test only with these SDK clients")
    config.addinivalue_line("markers", "per_auth_cassette: the documented outcome differs by auth mode")
    config.stash[_STATE] = _State(config)
    state = _state(config)
    if state.settings and _is_conformance_run(config) and not hasattr(config, "workerinput"):
        if not config.option.xmlpath:
            from _pytest.junitxml import LogXML

            path = state.settings.reports_dir / "junit.xml"
            path.parent.mkdir(parents=True, exist_ok=True)
            xml = LogXML(str(path), None, suite_name="aoai-conformance", family="xunit2")
            config.pluginmanager.register(xml, "aoai-junitxml")
            state.written.append(path)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _STATE in config.stash:
        state = _state(config)
        state.close()
        # The last line of the run, after pytest's list of failures: a wrong base URL fails every case, and the
        # one line that says so must not be buried above a hundred FAILED lines.
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        for hint in state.hints:
            if reporter is not None:
                reporter.write_line(f"aoai-conformance: {hint}", yellow=True, bold=True)


# --- parametrisation -----------------------------------------------------------------------------------
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "aoai" not in metafunc.fixturenames:
        return
    settings = _state(metafunc.config).need()
    auths = list(settings.auth)
    clients = list(settings.clients)
    mark = metafunc.definition.get_closest_marker("auth_modes")
    if mark:
        auths = [a for a in auths if a in mark.args] or [mark.args[0]]
    mark = metafunc.definition.get_closest_marker("clients")
    if mark:
        clients = [c for c in clients if c in mark.args] or [mark.args[0]]
    # Fixed order in ids: auth, client, target (e.g. test_chat_completion[key-sync-standin]).
    params = [(a, c, t.name) for t in settings.targets for a in auths for c in clients]
    metafunc.parametrize("aoai", params, ids=["-".join(p) for p in params], indirect=True)


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = _state(config)
    for item in items:
        if not isinstance(item, pytest.Function) or "aoai" not in item.fixturenames:
            continue
        # pytest_generate_tests parametrises aoai with (auth, client, target) names
        auth, client, target = cast("tuple[str, str, str]", item.callspec.params["aoai"])
        doc = item.get_closest_marker("doc")
        kw = doc.kwargs if doc else {}
        test_id = item.nodeid.split("::", 1)[-1]
        expectation = expectations.find(state.expectations, test_id, target)
        item.repr_failure = _conformance_repr(item)  # type: ignore[method-assign]  # on aoai items only, not the class: a broken promise in one line
        item.stash[_CASE] = {
            "id": item.nodeid,
            "call": kw.get("call") or item.originalname,
            "section": kw.get("section") or item.module.__name__,
            "doc": kw.get("doc"),
            "capability": kw.get("capability"),
            "test": item.originalname,
            "title": _title(item),
            "params": {"auth": auth, "client": client, "target": target},
            "sdk_version": _sdk_version(),
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


# --- the fixture ---------------------------------------------------------------------------------------
def _cassette_name(item: pytest.Function, aoai_id: str, auth: str) -> str:
    rest = item.callspec.id.replace(aoai_id, "").strip("-").replace("--", "-")
    parts = [p for p in (rest, auth if item.get_closest_marker("per_auth_cassette") else "") if p]
    return item.originalname + (f"[{'-'.join(parts)}]" if parts else "")


def _record_command(item: pytest.Function, target: str) -> str:
    return f"aoai-conformance run --mode record --target {target} -k {item.originalname}"


@pytest.fixture
def aoai(request: pytest.FixtureRequest):
    """The harness: a client built as the docs build it for this auth mode, and this test's traffic."""
    from . import calls, cassettes
    from .auth import MissingCredential

    state = _state(request.config)
    settings = state.need()
    auth, client_kind, target_name = request.param
    item = request.node
    case = item.stash.get(_CASE, {})
    target = state.target(target_name)
    if not target.claims(case.get("capability")):
        pytest.skip(f"unsupported: target {target.name} does not claim {case.get('capability')}")
    try:
        built = state.client(auth, client_kind, target)
    except MissingCredential as exc:
        pytest.skip(f"not configured: {exc}")
    module = Path(str(item.fspath)).stem.removeprefix("test_")
    path = (
        settings.cassettes_dir
        / target.name
        / module
        / (_cassette_name(item, "-".join(request.param), auth) + ".json")
    )
    command = _record_command(item, target.name)
    mode = settings.mode_obj
    traffic = cassettes.Traffic(mode=mode, cassette_path=path, record_command=command)
    scrubber = Scrubber(target.secrets(), target.base_url, target.host)
    if mode.plays_cassettes:
        try:
            traffic.cassette = cassettes.open_replay(path, command)
        except cassettes.CassetteProblem as exc:
            traffic.problem = str(exc)
    elif mode.records_cassettes:
        traffic.cassette = cassettes.open_record(path, scrubber.vcr_request, scrubber.vcr_response)

    def factory(faults: list[Any] | None, client_kwargs: dict[str, Any]):
        if faults is None:
            return state.client(auth, client_kind, target, **client_kwargs)
        return state.proxied(auth, client_kind, target, faults, scrubber, **client_kwargs)

    harness = calls.Aoai(built=built, target=target, mode=mode, traffic=traffic, factory=factory)
    item.stash[_HARNESS] = harness
    item.stash[_SCRUBBER] = scrubber
    checks.take_notes()
    cassettes.activate(traffic)
    cassettes.guard(mode.guards_network)
    try:
        yield harness
    finally:
        cassettes.guard(False)
        cassettes.activate(None)
    if (
        mode.records_cassettes
        and traffic.cassette is not None
        and item.stash.get(_OUTCOME, "") in ("passed", "xfailed")
    ):
        cassettes.save(
            traffic.cassette,
            {
                "target": target.name,
                "target_kind": target.kind,
                "profile": target.profile,
                "sdk_version": _sdk_version(),
                "suite_version": __version__,
                "recorded_at": _now()[:10],
                "recorded_with": {"auth": auth, "client": client_kind},
                "test": item.nodeid.split("[")[0],
            },
        )


# --- outcomes, expectations, results -------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    case = item.stash.get(_CASE, None)
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
        item.stash[_OUTCOME] = "xfailed" if info.get("status") == "expected-fail" else report.outcome
    harness = item.stash.get(_HARNESS, None)
    if "status" not in info:
        if report.failed:
            info["status"] = "fail" if report.when == "call" else "error"
            info["failure"] = _failure(call)
        elif report.skipped:
            reason = _skip_reason(report)
            info["status"] = (
                "not-applicable" if reason.startswith(("not applicable", "unsupported")) else "skipped"
            )
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
                info["evidence"] = _scrubbed(item.stash[_SCRUBBER], harness.last_evidence())
    report.aoai = {"case": case, "info": info}
    return report


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
    state = _state(item.config)
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
    case = _state(config).cases.setdefault(report.nodeid, {**data["case"], "phases": {}, "duration": 0.0})
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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        return
    state = _state(config)
    if not state.cases or state.settings is None:
        return
    results = build_results(state, config)
    state.final_cases = results["cases"]
    state.hints = results["run"].get("hints", [])
    reports_dir = state.settings.reports_dir
    from . import report as report_mod

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


def build_results(state: _State, config: pytest.Config) -> dict[str, Any]:
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
    for case in cases:
        case.pop("answers", None)
    targets = []
    for t in settings.targets:
        live = state.live_targets.get(t.name, t)
        targets.append(
            {
                "name": t.name,
                "kind": t.kind,
                "host": live.display_host,
                "profile": t.profile,
                "region": t.region,
                "deployments": dict(t.deployments),
            }
        )
    return {
        "format": RESULTS_FORMAT,
        "version": 1,
        "run": {
            "started": state.started,
            "finished": _now(),
            "mode": settings.mode,
            "suite_version": __version__,
            "sdk_version": _sdk_version(),
            "python": platform.python_version(),
            "command": _command(config),
            "targets": targets,
            "models_seen": models,
            "tokens": tokens,
            "expectations_file": str(state.expectations_path.name),
            **({"hints": hints} if hints else {}),
        },
        "cases": cases,
    }


PASSING = ("pass", "doc-sdk-difference", "unexpected-pass")


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
    if hasattr(config, "workerinput") or _STATE not in config.stash:
        return
    state = _state(config)
    if not state.cases:
        return
    counts: dict[str, int] = {}
    for case in state.final_cases:
        counts[case["status"]] = counts.get(case["status"], 0) + 1
    terminalreporter.write_sep("-", "aoai-conformance")
    terminalreporter.write_line("cases: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    err = state.render_error
    if err:
        terminalreporter.write_line(
            f"report rendering failed ({err}); results.json is intact: "
            "rebuild with python -m aoai_conformance.report"
        )
    for path in sorted(set(state.written), key=str):
        terminalreporter.write_line(f"report: {path}")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
