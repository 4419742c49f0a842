"""Shared helpers for the project's own tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SUITES = REPO / "suites"
CASSETTES = REPO / "cassettes"


@dataclass
class Run:
    code: int
    out: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that would point a run at a real resource."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZURE_", "OPENAI_", "AOAI_CONFORMANCE_", "PYTEST_XDIST"))
    }
    env.update(extra)
    return env


def run(args: list[str], *, cwd: Path = REPO, env: dict[str, str] | None = None, timeout: float = 300) -> Run:
    proc = subprocess.run(
        args,
        cwd=cwd,
        env=env or clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout)


def run_pytest(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO, timeout: float = 300) -> Run:
    return run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd, env=env, timeout=timeout
    )


def cli_run(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO, timeout: float = 300) -> Run:
    return run([sys.executable, "-m", "aoai_conformance.cli", *args], cwd=cwd, env=env, timeout=timeout)


@pytest.fixture
def cassette_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled cassettes, so a test may record or break them."""
    dest = tmp_path / "cassettes"
    shutil.copytree(CASSETTES, dest)
    return dest


def own_tables(name: str) -> list:
    """The tables named ``name`` that the documented calls' own test modules hold (tests/test_<module>.py, one
    per module the registry's rows name): a new call's cases live in its new module, and the coverage tests
    (test_invariants, test_schemas) gather them instead of being edited."""
    import importlib

    from aoai_conformance.documented import registry

    found = []
    for module in dict.fromkeys(row.module for row in registry.CALLS if row.module):
        if (REPO / "tests" / f"test_{module}.py").is_file():
            table = getattr(importlib.import_module(f"test_{module}"), name, None)
            if table is not None:
                found.append(table)
    return found
