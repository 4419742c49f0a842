"""aoai_conformance.documented.registry: every row names things that exist, and promise ids are unique.

A row that names a schema, an SDK type, a capability or a stand-in route that is not there would send a
consumer (the judge, identify, later the stand-in router and schemagen) to nothing; these tests read each
fact against its owner, not against a copy.
"""

from __future__ import annotations

import ast
import collections
import dataclasses
import importlib
import inspect
import re
import typing
from pathlib import Path

import openai
import pytest

from aoai_conformance import config, invariants, schemas
from aoai_conformance.documented import registry
from aoai_conformance.recorded.identify import identify
from aoai_conformance.standin.server import PREFIX, route_name

DOCUMENTED = Path(registry.__file__).parent
SUITES = Path(__file__).resolve().parents[1] / "suites"
ROWS = {row.kind: row for row in registry.CALLS}


def test_kinds_are_unique():
    assert len(ROWS) == len(registry.CALLS)
    assert registry.by_kind("chat") is ROWS["chat"]
    with pytest.raises(KeyError):
        registry.by_kind("files")


@pytest.mark.parametrize("profile", ["azure", "openai"])
@pytest.mark.parametrize("kind", sorted(ROWS))
def test_schema_names_exist_under_both_profiles(kind, profile):
    row = ROWS[kind]
    assert row.schemas, "a documented call is checked against at least one schema"
    missing = [name for name in row.schemas if name not in schemas.names(profile)]
    assert not missing, f"{kind}: no schema {missing} under profile {profile}"
    if profile == "azure":
        assert [n for n in row.azure_schemas if n not in schemas.names("azure")] == []


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_sdk_type_exists_in_the_installed_openai(kind):
    row = ROWS[kind]
    sdk_type = getattr(importlib.import_module(row.sdk_module), row.sdk_type, None)
    assert sdk_type is not None, f"{kind}: openai has no {row.sdk_module}.{row.sdk_type}"
    fields = getattr(sdk_type, "model_fields", None)
    if fields and "object" in fields:  # a model (not a union of events): its object literal is the row's
        assert typing.get_args(fields["object"].annotation) == (row.object,)


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_capability_route_and_module_exist(kind):
    row = ROWS[kind]
    assert row.capability in config.CAPABILITIES
    assert route_name("POST", f"{PREFIX}/{row.http_path}") == row.route
    if row.module:
        module = importlib.import_module(f"aoai_conformance.documented.{row.module}")
        assert module.PROMISES


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_recorded_requests_are_identified_as_the_row(kind):
    row = ROWS[kind]
    if row.tool:  # identified as the call it is made with; the tool only selects the checks
        return
    body = b'{"stream": true}' if row.stream else b"{}"
    path = _filled(row)
    got = identify(row.method, f"https://r.openai.azure.com/openai/v1/{path}", body)
    assert (got.call, got.kind) == (row.documented, row.kind)


def _filled(row: registry.DocumentedCall) -> str:
    """The row's path with each template part filled (a part stands for one segment)."""
    return re.sub(r"\{\w+\}", "x_1", row.http_path)


def _lacks(row: registry.DocumentedCall) -> list[str]:
    """What the two dispatchers (the stand-in's, recorded/judge's) would miss for ``row``."""
    from aoai_conformance.recorded import judge
    from aoai_conformance.standin import server

    missing = []
    try:
        handler = server.handler(row.standin)
    except (ValueError, ImportError, AttributeError):
        missing.append(f"standin={row.standin!r} names no function of aoai_conformance.standin")
    else:
        if len(inspect.signature(handler).parameters) != 1:
            missing.append(f"{row.standin} does not take the one Request argument")
    found = registry.match(row.method, _filled(row))
    if found is None or found[0].standin != row.standin:
        missing.append(f"{row.method} {row.http_path} reaches another handler: rows made alike name the same")
    if row.module and not row.recorded:
        missing.append("a row with promises names the function that judges its recordings")
    if row.recorded:
        try:
            fn = judge._function(row.recorded)
        except (ValueError, ImportError, AttributeError):
            missing.append(f"recorded={row.recorded!r} names no function of aoai_conformance")
        else:
            if len([p for p in inspect.signature(fn).parameters.values() if p.default is p.empty]) != 3:
                missing.append(f"{row.recorded} is not called as fn(ctx, exchange, kind)")
    return missing


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_rows_name_what_the_dispatchers_call(kind):
    """The stand-in answers a row's method and path with the handler the row names, and `check` judges its
    recordings with the row's function: neither dispatcher keeps a table of its own."""
    from aoai_conformance.recorded import judge
    from aoai_conformance.standin import server

    row = ROWS[kind]
    assert _lacks(row) == []
    assert server.HANDLERS[row.standin] is server.handler(row.standin)
    if row.recorded:
        assert judge._JUDGES[kind] is judge._function(row.recorded)


def test_a_row_without_its_handlers_is_caught():
    row = ROWS["responses_retrieve"]
    assert len(_lacks(dataclasses.replace(row, standin="", recorded=""))) == 3
    assert _lacks(dataclasses.replace(row, standin="responses:no_such_route")) != []
    assert _lacks(dataclasses.replace(row, standin="chat:route")) != []  # GET responses/{id} goes elsewhere
    assert _lacks(dataclasses.replace(row, recorded="recorded.judge:no_such_judge")) != []


def test_suites_name_the_documented_calls():
    text = "".join(p.read_text(encoding="utf-8") for p in SUITES.glob("test_*.py"))
    assert [row.documented for row in registry.CALLS if f'"{row.documented}' not in text] == []


def _promise_ids(path: Path) -> list[str]:
    """The keys of a module's PROMISES literal, as written (a repeated key would be lost by the dict)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign):
            target = node.targets[0]
        if getattr(target, "id", None) == "PROMISES" and isinstance(node.value, ast.Dict):
            return [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
    return []


def test_promise_ids_are_unique_across_the_documented_modules():
    where: dict[str, list[str]] = collections.defaultdict(list)
    for path in sorted(DOCUMENTED.glob("*.py")):
        for pid in _promise_ids(path):
            where[pid].append(path.name)
    assert len(where) > 90, "the scan found too few promises: it is broken"
    assert {pid: files for pid, files in where.items() if len(files) > 1} == {}
    # the facade's merged registry holds every body and stream promise, none lost in the merge
    assert set(invariants.PROMISES) == set(where) - {p for p in where if p.startswith("retries.")}


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_body_schema_is_one_of_the_rows_schemas(kind):
    row = ROWS[kind]
    if row.body_schema is not None:
        assert row.body_schema in row.schemas
        assert row.object, f"{kind}: a body schema is for the body whose object is the row's"


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_output_caps_are_parameters_of_the_sdk_method(kind):
    row = ROWS[kind]
    method = openai.OpenAI(api_key="x", base_url="http://127.0.0.1:9")
    for attr in row.call.split("."):
        method = getattr(method, attr)
    params = inspect.signature(getattr(method, row.sdk_method)).parameters
    assert [cap for cap in row.output_caps if cap not in params] == []


def test_helpers_read_the_rows():
    assert registry.calls_by_path()["chat.completions"] == (ROWS["chat"], ROWS["chat_stream"])
    assert registry.routes()["fine_tuning.jobs"] == "fine_tuning/jobs"
    assert "content-filter.choice" in registry.schema_names("azure")
    assert "content-filter.choice" not in registry.schema_names("openai")
    assert len(set(registry.schema_names("azure"))) == len(registry.schema_names("azure"))


def test_the_tables_read_the_registry():
    """Who reads the rows: each consumer's table is built from them, not a copy that could drift."""
    from aoai_conformance import schemagen
    from aoai_conformance.mutation import operators
    from aoai_conformance.standin import server

    events = [
        n[len(registry.EVENT_PREFIX) :] for n in ROWS["responses_stream"].schemas if n.startswith("event.")
    ]
    assert list(schemagen.REQUIRED_EVENTS[: len(events)]) == events
    for profile in ("azure", "openai"):
        names = [n for n in registry.schema_names(profile) if not n.startswith(registry.EVENT_PREFIX)]
        assert [n for n in names if n not in schemagen.TARGETS[profile]] == []
    assert operators.OBJECT_SCHEMAS == {
        "chat.completion": "chat.completion",
        "chat.completion.chunk": "chat.completion.chunk",
        "response": "response",
        "list": "embeddings",
    }
    assert operators.DISCRIMINATORS["chat.completion"] == "chat.completion.chunk"
    assert set(server.JSON_BODY_ROUTES) == {row.route for row in registry.CALLS}
    assert server.RAI_ROUTES == {"chat.completions", "responses"}  # the generating calls' routes
    assert server.NAMED_EVENT_ROUTES == {"responses"}  # event: lines on the Responses stream only
    assert [c for c in {row.capability for row in registry.CALLS} if c not in config.CAPABILITIES] == []
    assert config.CAPABILITIES[-2:] == ("errors", "retries")
    modules = [row.module for row in registry.CALLS if row.module]
    assert list(invariants._MODULES) == [*dict.fromkeys(modules), "errors", "request_ids"]


def test_schemagen_fails_when_a_registry_schema_has_no_component(monkeypatch):
    from aoai_conformance import schemagen

    if not (schemagen.specs_dir() / "SOURCES.txt").is_file():
        pytest.skip("official specs not found")

    monkeypatch.setitem(
        schemagen.TARGETS,
        "openai",
        {k: v for k, v in schemagen.TARGETS["openai"].items() if k != "embeddings"},
    )
    with pytest.raises(ValueError, match="embeddings"):
        schemagen.generate()
