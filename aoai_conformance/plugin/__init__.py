"""The pytest plugin (the ``pytest11`` entry point): a room per job, their hooks gathered here.

- :mod:`.options`: the run options, the markers, parametrisation by auth mode x client x target;
- :mod:`.session`: settings, targets, clients, the stand-in's and the fault proxy's lifecycle;
- :mod:`.fixture`: the ``aoai`` fixture (a test's client, cassette and network guard, as the mode says);
- :mod:`.cases`: each test's case, its outcome with expectations and known findings applied;
- :mod:`.results`: results.json, JUnit XML, the reports and the terminal summary.

pytest registers this module alone (``-p no:aoai_conformance`` turns all of it off), so every hook and the
fixture is imported into its namespace; a hook two rooms need is one function here that calls both. It stays
inert for tests that do not use the ``aoai`` fixture, so the project's own tests run beside it, and it imports
only light modules (the SDK, vcrpy and azure-identity wait until collection has found a conformance test).
"""

from __future__ import annotations

import pytest

from . import fixture, options, results, session
from .cases import (
    finish_case,
    pytest_collection_modifyitems,
    pytest_runtest_logreport,
    pytest_runtest_makereport,
    pytest_sessionstart,
)
from .fixture import aoai
from .options import documented, pytest_addhooks, pytest_addoption, pytest_generate_tests
from .results import (
    PASSING,
    RESULTS_FORMAT,
    build_results,
    carry_first_seen,
    pytest_sessionfinish,
    pytest_terminal_summary,
    wrong_base_url_hints,
)
from .session import HARNESS as _HARNESS  # the names other plugins read (mutation.swap)
from .session import STATE as _STATE

__all__ = [
    "PASSING",
    "RESULTS_FORMAT",
    "aoai",
    "build_results",
    "carry_first_seen",
    "documented",
    "finish_case",
    "pytest_addhooks",
    "pytest_addoption",
    "pytest_collection_finish",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_runtest_logreport",
    "pytest_runtest_makereport",
    "pytest_sessionfinish",
    "pytest_sessionstart",
    "pytest_terminal_summary",
    "pytest_unconfigure",
    "wrong_base_url_hints",
    "_HARNESS",
    "_STATE",
]


def pytest_configure(config: pytest.Config) -> None:
    options.add_markers(config)
    session.configure(config)
    results.configure_junit(config)


def pytest_collection_finish(session: pytest.Session) -> None:
    fixture.prepare(session)


def pytest_unconfigure(config: pytest.Config) -> None:
    session.unconfigure(config)  # the servers stop first
    results.last_lines(config)
