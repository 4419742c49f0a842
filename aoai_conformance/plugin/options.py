"""Options, markers and parametrisation: what a run and a suite test ask for.

Each run option is also ``AOAI_CONFORMANCE_<OPTION>`` (declared once in config.RUN_OPTIONS, for the CLI too);
the markers choose a test's report row (``doc``), auth modes, clients and cassette; ``aoai`` is parametrised by
auth mode x client x target.
"""

from __future__ import annotations

import pytest

from ..config import RUN_OPTIONS
from .session import state_of


def documented(
    call: str, section: str, *, capability: str | None = None, doc: str = "000_618f909ca6807cc5.txt"
) -> pytest.MarkDecorator:
    """Ties a conformance test to the documented call and section it checks (the report's row)."""
    return pytest.mark.doc(call=call, section=section, capability=capability, doc=doc)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from .. import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup(
        "aoai-conformance", "Azure OpenAI v1 conformance (each option also AOAI_CONFORMANCE_<OPTION>)"
    )
    for name, metavar, help_text in RUN_OPTIONS:
        g.addoption(
            "--" + name.replace("_", "-"), dest="aoai_" + name, default=None, metavar=metavar, help=help_text
        )
    # Fleet options (issue 15), not in config.RUN_OPTIONS: no target or setting depends on them.
    g.addoption(
        "--repeat",
        dest="aoai_repeat",
        default=None,
        metavar="K",
        help="live runs: each case K times; the report gives pass^K and pass@K per cell (AOAI_CONFORMANCE_REPEAT)",
    )
    g.addoption(
        "--not-checked-threshold",
        dest="aoai_not_checked_threshold",
        default=None,
        metavar="FRACTION",
        help="live runs: a target whose skipped (throttled, not configured) share of cases exceeds this is "
        "'not checked' (default 0.5; AOAI_CONFORMANCE_NOT_CHECKED_THRESHOLD)",
    )
    parser.addini("aoai_conformance", "unused", default="")


def add_markers(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "doc(call, section, capability, doc): the documented call a test checks"
    )
    config.addinivalue_line("markers", "auth_modes(*modes): run this test only under these auth modes")
    config.addinivalue_line("markers", "clients(*clients): run this test only with these SDK clients")
    config.addinivalue_line("markers", "per_auth_cassette: the documented outcome differs by auth mode")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "aoai" not in metafunc.fixturenames:
        return
    settings = state_of(metafunc.config).need()
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
    repeat = repeat_count(metafunc.config)
    if repeat > 1:  # ids end in -r1 .. -rK (test_chat_completion[key-sync-standin-r2]); results.py reads it
        metafunc.fixturenames.append(REPEAT_PARAM)
        metafunc.parametrize(REPEAT_PARAM, range(1, repeat + 1), ids=[f"r{i}" for i in range(1, repeat + 1)])


REPEAT_PARAM = "aoai_repeat"


def repeat_count(config: pytest.Config) -> int:
    """--repeat K (or AOAI_CONFORMANCE_REPEAT): 1 unless given; a live run only (a cassette holds one answer)."""
    import os

    raw = config.getoption("aoai_repeat", None) or os.environ.get("AOAI_CONFORMANCE_REPEAT") or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise pytest.UsageError(f"--repeat {raw!r}: give a whole number of repeats, e.g. --repeat 5")
    count = int(raw)
    mode = state_of(config).need().mode_obj
    if count > 1 and (not mode.reaches_server or mode.records_cassettes):
        raise pytest.UsageError(
            f"--repeat {count} repeats live calls: use it with --mode live (a {mode.name} run has one answer per case)"
        )
    return count
