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
