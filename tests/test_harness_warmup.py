"""The harness's imports happen once collection has found a conformance test, before the first one runs
(plugin.fixture.prepare): each test's duration is its own work, and sessions without one stay light."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from conftest import SUITES, clean_env, run_pytest

HEAVY = ("vcr", "azure.identity", "aoai_conformance.calls")

# A plugin of the test's own that reports, from inside the session, which heavy modules are imported when the
# first test starts and when the session ends.
SPY = textwrap.dedent(
    f"""
    import sys
    import pytest

    HEAVY = {HEAVY!r}

    def loaded():
        return sorted(m for m in HEAVY if m in sys.modules)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(item):
        if not getattr(sys, "_spy_seen", False):
            sys._spy_seen = True
            print("SPY first-test", loaded())

    def pytest_sessionfinish(session):
        print("SPY finish", loaded())
    """
)


def spy(tmp_path: Path) -> Path:
    (tmp_path / "spy_plugin.py").write_text(SPY)
    return tmp_path


def lines(out: str) -> list[str]:
    # pytest's progress dots may share a line with the spy's output
    return re.findall(r"SPY (?:first-test|finish) \[[^\]]*\]", out)


def test_the_harness_is_imported_before_the_first_conformance_test(tmp_path):
    env_dir = spy(tmp_path)
    r = run_pytest(
        "-p",
        "spy_plugin",
        "-s",
        "-q",
        str(SUITES / "test_chat.py"),
        "-k",
        "test_chat_completion and key-sync",
        "--reports-dir",
        str(tmp_path / "reports"),
        env={**clean_env(), "PYTHONPATH": str(env_dir)},
    )
    assert r.code == 0, r.out
    assert lines(r.out)[0] == f"SPY first-test {sorted(HEAVY)}", r.out


def test_a_session_without_conformance_tests_imports_no_harness(tmp_path):
    env_dir = spy(tmp_path)
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    r = run_pytest(
        "-p",
        "spy_plugin",
        "-s",
        "-q",
        str(tmp_path / "test_plain.py"),
        env={**clean_env(), "PYTHONPATH": str(env_dir)},
    )
    assert r.code == 0, r.out
    assert lines(r.out) == ["SPY first-test []", "SPY finish []"], r.out


def test_collect_only_imports_no_harness(tmp_path):
    env_dir = spy(tmp_path)
    r = run_pytest(
        "-p",
        "spy_plugin",
        "-q",
        "--collect-only",
        str(SUITES / "test_chat.py"),
        env={**clean_env(), "PYTHONPATH": str(env_dir)},
    )
    assert r.code == 0, r.out
    assert lines(r.out) == ["SPY finish []"], r.out
