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
    g.addoption(
        "--sdk",
        dest="aoai_sdk",
        default=None,
        metavar="python,node,go,java,dotnet",
        help="SDKs that make the documented calls (default: python; others through drivers/, see "
        "drivers/PROTOCOL.md; AOAI_CONFORMANCE_SDK)",
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
    run_auths = list(auths)
    if mark:
        auths = [a for a in auths if a in mark.args] or [mark.args[0]]
    mark = metafunc.definition.get_closest_marker("clients")
    if mark:
        clients = [c for c in clients if c in mark.args] or [mark.args[0]]
    # Fixed order in ids: auth, client, target (e.g. test_chat_completion[key-sync-standin]).
    params = [(a, c, t.name) for t in settings.targets for a in auths for c in clients]
    sdks = chosen_sdks(metafunc.config)
    if sdks == ("python",):  # the ids and params of a Python run stay exactly as they were
        metafunc.parametrize("aoai", params, ids=["-".join(p) for p in params], indirect=True)
    else:
        _parametrize_sdks(metafunc, sdks, auths, run_auths, clients, settings.targets)
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


SDK_PARAM = "sdk"  # results.py reads callspec.params.get("sdk", "python")


def chosen_sdks(config: pytest.Config) -> tuple[str, ...]:
    """--sdk (or AOAI_CONFORMANCE_SDK): the SDKs in the order named; a bad name is one line naming the fix."""
    import os

    from ..sdks.coverage import NAMES

    raw = config.getoption("aoai_sdk", None) or os.environ.get("AOAI_CONFORMANCE_SDK") or "python"
    names = tuple(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in NAMES]
    if unknown or not names:
        raise pytest.UsageError(
            f"--sdk {raw!r}: unknown SDK {unknown[0] if unknown else ''!r}; use {','.join(NAMES)}"
        )
    return names


def sdk_id(auth: str, client: str, target: str, sdk: str) -> str:
    """A case's id: Python's as ever (key-sync-standin); another SDK's names it in the client's place, and the
    client only when it is not the SDK's first (key-node-standin, key-java-async-standin)."""
    if sdk == "python":
        return f"{auth}-{client}-{target}"
    from ..sdks.coverage import of

    return f"{auth}-{sdk}-{target}" if client == of(sdk).clients[0] else f"{auth}-{sdk}-{client}-{target}"


def _parametrize_sdks(metafunc: pytest.Metafunc, sdks, auths, run_auths, clients, targets) -> None:
    from ..sdks.coverage import of

    values, ids = [], []
    for t in targets:
        for a in dict.fromkeys([*auths, *run_auths]):
            for sdk in sdks:
                if sdk == "python" and a not in auths:
                    continue
                if sdk != "python" and a not in auths:
                    # auth_modes limits a test that measures waits to one mode; another SDK that does not
                    # document that mode runs it under the first run mode it documents instead
                    documented = [m for m in run_auths if m in of(sdk).auth]
                    if any(m in of(sdk).auth for m in auths) or not documented or a != documented[0]:
                        continue
                own = clients if sdk == "python" else [c for c in of(sdk).clients if c in clients]
                for c in own or [of(sdk).clients[0]]:
                    values.append(((a, c, t.name), sdk))
                    ids.append(sdk_id(a, c, t.name, sdk))
    metafunc.fixturenames.append(SDK_PARAM)
    metafunc.parametrize(("aoai", SDK_PARAM), values, ids=ids, indirect=["aoai"])
