"""The plugin is a package of rooms, registered by pytest as one module (the pytest11 entry point): a hook a
room defines but the entry point does not gather is silently never called, so each one is checked here."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

import aoai_conformance.plugin as entry

ROOMS = ("options", "session", "fixture", "cases", "results")


@pytest.mark.parametrize("room", ROOMS)
def test_every_hook_of_a_room_is_gathered_by_the_entry_point(room):
    module = importlib.import_module(f"aoai_conformance.plugin.{room}")
    hooks = [n for n, f in vars(module).items() if n.startswith("pytest_") and inspect.isfunction(f)]
    for name in hooks:
        assert getattr(entry, name) is getattr(module, name), f"{room}.{name} is not the entry point's"


def test_the_fixture_and_the_composite_hooks_are_the_entry_points():
    assert entry.aoai is importlib.import_module("aoai_conformance.plugin.fixture").aoai
    for name in ("pytest_configure", "pytest_unconfigure"):  # two rooms each: one function calls both
        assert inspect.getmodule(getattr(entry, name)) is entry
    assert not any(
        n in ("pytest_configure", "pytest_unconfigure")
        for room in ROOMS
        for n in vars(importlib.import_module(f"aoai_conformance.plugin.{room}"))
    )


def test_each_room_is_under_600_lines():
    for path in sorted(Path(entry.__file__).parent.glob("*.py")):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 600, path.name
