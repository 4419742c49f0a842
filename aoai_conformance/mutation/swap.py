"""A pytest plugin (``-p aoai_conformance.mutation.swap``) that replays one test against several cassette dirs
in one process: starting pytest and importing the SDK costs ~4 s, replaying one test ~50 ms.

The plan (a JSON file named by ``AOAI_MUTATION_PLAN``) maps node ids to runs ``[{"mutant": id, "dir": path}]``.
Items without runs are deselected. Each run points the session's cassettes dir at its own copy, runs the item's
full protocol (setup, call, teardown, reports logged as usual) and files the case the aoai plugin built under
``<node id>#<mutant id>``, so the one ``results.json`` of the process carries one case per mutant, with the
plugin's own status and ``failure.promise``.

Without runs for an item (``"baseline": true`` in the plan) the plugin only records which cassette each test
read (``cassettes`` in results.json's run section is not touched: it writes ``cassettes.json`` beside it).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

from .. import plugin as aoai_plugin

PLAN_ENV = "AOAI_MUTATION_PLAN"


def _plan() -> dict[str, Any] | None:
    path = os.environ.get(PLAN_ENV)
    return json.loads(Path(path).read_text(encoding="utf-8")) if path else None


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    plan = _plan()
    if plan is None or plan.get("baseline"):
        return
    runs = plan["runs"]
    keep = [it for it in items if it.nodeid in runs]
    gone = [it for it in items if it.nodeid not in runs]
    if gone:
        config.hook.pytest_deselected(items=gone)
    items[:] = keep


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session):
    plan = _plan()
    if plan is None or session.testsfailed or session.config.option.collectonly:
        return None
    state = session.config.stash[aoai_plugin._STATE]
    cassettes: dict[str, str] = {}
    if plan.get("baseline"):
        schedule = [(it, None, None) for it in session.items]
    else:
        schedule = [(it, r["mutant"], r["dir"]) for it in session.items for r in plan["runs"][it.nodeid]]
    filed: dict[str, dict[str, Any]] = {}
    base = state.need()  # set: the plan's tests are aoai tests, parametrised from these settings
    for n, (item, mutant, directory) in enumerate(schedule):
        nextitem = schedule[n + 1][0] if n + 1 < len(schedule) else None
        if nextitem is item:  # tear the function down (not its module): the same item runs again next
            nextitem = item.parent  # type: ignore[assignment]  # teardown goes to the common ancestor: any node
        state.settings = dataclasses.replace(base, cassettes_dir=Path(directory)) if directory else base
        runtestprotocol(item, nextitem=nextitem, log=True)
        harness = item.stash.get(aoai_plugin._HARNESS, None)
        if harness is not None and harness.traffic.cassette_path is not None:
            try:
                rel = Path(harness.traffic.cassette_path).relative_to(state.settings.cassettes_dir)
                cassettes[item.nodeid] = str(rel)
            except ValueError:
                pass
        case = state.cases.pop(item.nodeid, None)
        if case is not None:
            key = f"{item.nodeid}#{mutant}" if mutant else item.nodeid
            filed[key] = {**case, "id": key, "mutant": mutant}
        item._initrequest()  # type: ignore[attr-defined]  # pytest.Function's, private: fresh fixtures for the next run of the same item
        if session.shouldstop:
            break
    state.settings = base
    state.cases = filed
    out = os.environ.get("AOAI_MUTATION_CASSETTES")
    if out:
        Path(out).write_text(json.dumps(cassettes, indent=1, sort_keys=True), encoding="utf-8")
    return True
