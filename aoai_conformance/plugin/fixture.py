"""The ``aoai`` fixture: this test's client, its cassette (played, recorded or none, as the mode says), the
network guard, and the cassette saved after a recorded test that passed.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from .. import __version__, checks
from ..modes import RECORD
from ..scrub import Scrubber
from .session import CASE, HARNESS, OUTCOME, SCRUBBER, now, sdk_version, state_of


def _cassette_name(item: pytest.Function, aoai_id: str, auth: str) -> str:
    rest = item.callspec.id.replace(aoai_id, "").strip("-").replace("--", "-")
    parts = [p for p in (rest, auth if item.get_closest_marker("per_auth_cassette") else "") if p]
    return item.originalname + (f"[{'-'.join(parts)}]" if parts else "")


def _record_command(item: pytest.Function, target: str) -> str:
    return f"aoai-conformance run --mode {RECORD.name} --target {target} -k {item.originalname}"


_frozen = False


def _freeze_heap() -> None:
    """Once per process, before the first conformance test: what pytest collected and the harness imported
    lives until the process ends, so the garbage collector stops walking it (gc.freeze). A full collection
    walks ~120k such objects, ~60-90 ms that would land in whichever test it interrupts."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def prepare(session: pytest.Session) -> None:
    """Once collection has found conformance tests to run: import the harness (vcrpy, azure-identity and the
    SDK's HTTP layer, ~0.17 s) and freeze the heap now, so each test's duration is its own work, not the
    first test's share of the imports. A session without conformance tests imports nothing."""
    if session.config.option.collectonly:
        return
    if not any("aoai" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    from .. import calls  # noqa: F401 - imported for its cost, see above

    _freeze_heap()


@pytest.fixture
def aoai(request: pytest.FixtureRequest):
    """The harness: a client built as the docs build it for this auth mode, and this test's traffic."""
    from .. import calls, cassettes
    from ..auth import MissingCredential

    _freeze_heap()
    state = state_of(request.config)
    settings = state.need()
    auth, client_kind, target_name = request.param
    item = request.node
    case = item.stash.get(CASE, {})
    sdk = str(item.callspec.params.get("sdk", "python"))
    if sdk != "python":
        yield from _other_sdk(request, state, sdk)
        return
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
    item.stash[HARNESS] = harness
    item.stash[SCRUBBER] = scrubber
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
        and item.stash.get(OUTCOME, "") in ("passed", "xfailed")
    ):
        cassettes.save(
            traffic.cassette,
            {
                "target": target.name,
                "target_kind": target.kind,
                "profile": target.profile,
                "sdk_version": sdk_version(),
                "suite_version": __version__,
                "recorded_at": now()[:10],
                "recorded_with": {"auth": auth, "client": client_kind},
                "test": item.nodeid.split("[")[0],
            },
        )


def _other_sdk(request: pytest.FixtureRequest, state: Any, sdk: str):
    """Another SDK (--sdk): the same test, its calls through that SDK's driver (aoai_conformance.sdks)."""
    from .. import cassettes
    from ..sdks import coverage
    from ..sdks.harness import DriverAoai
    from .options import sdk_id

    settings = state.need()
    auth, client_kind, target_name = request.param
    item = request.node
    case = item.stash.get(CASE, {})
    cov = coverage.of(sdk)
    feature = coverage.feature(case.get("call") or item.originalname)
    if not cov.covers(feature):
        pytest.skip(cov.why_not(feature))
    if auth not in cov.auth:
        pytest.skip(cov.why_not_auth(auth))
    run = state.sdk_run(sdk)
    if run.not_run:
        pytest.skip(f"not run: {run.not_run}")
    target = state.target(target_name)
    if not target.claims(case.get("capability")):
        pytest.skip(f"unsupported: target {target.name} does not claim {case.get('capability')}")
    if auth != "entra" and not target.api_key:
        pytest.skip(f"not configured: auth mode {auth} needs an API key: set AZURE_OPENAI_API_KEY")
    module = Path(str(item.fspath)).stem.removeprefix("test_")
    # The cassette the Python test of the same auth mode opens (its id without the SDK).
    name = _cassette_name(item, sdk_id(auth, client_kind, target_name, sdk), auth)
    path = settings.cassettes_dir / target.name / module / (name + ".json")
    mode = settings.mode_obj
    harness = DriverAoai(
        run=run,
        auth=auth,
        client_kind=client_kind,
        target=target,
        mode=mode,
        cassette=path,
        record_command=_record_command(item, target.name),
    )
    scrubber = Scrubber(target.secrets(), target.base_url, target.host)
    if run.server is not None:
        scrubber.add_base_url(run.server.url)
    item.stash[HARNESS] = harness
    item.stash[SCRUBBER] = scrubber
    checks.take_notes()
    cassettes.guard(mode.guards_network)
    try:
        yield harness
    finally:
        cassettes.guard(False)
