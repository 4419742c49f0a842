"""House rules for the suites, read from their source: every test cites its documentation section and has a
title, every generating call caps its output tokens (the nightly runs against a paid resource), and no suite
builds a client or parses SSE by hand. And the package's own: no module over 600 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from aoai_conformance.documented import registry
from conftest import SUITES

SUITE_FILES = sorted(SUITES.glob("test_*.py"))


def _output_caps() -> dict[tuple[str, str], tuple[str, ...]]:
    """(call path, SDK method) -> the request parameters that cap its output, from the registry (absent: it
    generates none, like embeddings or a follow-up call on what a create generated)."""
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for row in registry.CALLS:
        key = (row.call, row.sdk_method)
        caps = tuple(dict.fromkeys(out.get(key, ()) + row.output_caps))
        if caps:
            out[key] = caps
    return out


MADE = {(row.call, row.sdk_method) for row in registry.CALLS}  # the calls the registry has a row for


GENERATING = _output_caps()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _marker_names(fn: ast.FunctionDef) -> set[str]:
    names = set()
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Attribute):
            names.add(target.attr)
    return names


def _documented(fn: ast.FunctionDef, module: ast.Module) -> bool:
    """@documented(...) on the test, or a decorator defined in the module that wraps documented()."""
    names = _marker_names(fn)
    if names & {"documented", "doc"}:
        return True
    wrappers = {
        f.name for f in module.body if isinstance(f, ast.FunctionDef) and "documented(" in ast.unparse(f)
    }
    wrappers |= {
        t.id
        for a in module.body
        if isinstance(a, ast.Assign) and "documented" in ast.unparse(a.value)
        for t in a.targets
        if isinstance(t, ast.Name)
    }
    return bool(names & wrappers)


@pytest.mark.parametrize("path", SUITE_FILES, ids=[p.name for p in SUITE_FILES])
def test_every_test_cites_its_doc_section_and_has_a_title(path):
    module = _tree(path)
    for fn in [n for n in module.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]:
        assert _documented(fn, module), f"{path.name}::{fn.name} has no @documented(call, section)"
        assert ast.get_docstring(fn), f"{path.name}::{fn.name} has no one-line docstring (the report's title)"


@pytest.mark.parametrize("path", SUITE_FILES, ids=[p.name for p in SUITE_FILES])
def test_every_generating_call_caps_its_output_tokens(path):
    uncapped, unknown = [], []
    for node in ast.walk(_tree(path)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("create", "stream")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "aoai"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            continue
        given = next((k.value for k in node.keywords if k.arg == "method"), None)
        if given is not None and not isinstance(given, ast.Constant):
            continue  # the caller names the method
        key = (node.args[0].value, given.value if given is not None else "create")
        if key not in MADE:
            unknown.append(f"{path.name}:{node.lineno} {key[0]} ({key[1]})")
            continue
        caps = GENERATING.get(key)
        if caps is None:
            continue  # embeddings, fine-tuning, the Responses follow-ups: nothing generated
        keywords = {k.arg for k in node.keywords}
        if None in keywords:  # **kwargs: the caller passes the cap
            continue
        if not keywords & set(caps):
            uncapped.append(f"{path.name}:{node.lineno} {node.args[0].value}")
    assert not uncapped, f"calls without an output cap: {uncapped}"
    assert not unknown, f"calls the registry (documented/registry.py) has no row for: {unknown}"


def test_the_token_cap_table_is_the_registrys():
    assert GENERATING == {
        ("chat.completions", "create"): ("max_tokens", "max_completion_tokens"),
        ("responses", "create"): ("max_output_tokens",),
    }
    assert ("responses", "retrieve") in MADE and ("responses.input_items", "list") in MADE


@pytest.mark.parametrize("path", SUITE_FILES, ids=[p.name for p in SUITE_FILES])
def test_suites_never_build_clients_or_parse_sse(path):
    forbidden_calls = {
        "OpenAI",
        "AsyncOpenAI",
        "get_bearer_token_provider",
        "iter_lines",
        "iter_bytes",
        "DefaultAzureCredential",
    }
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            assert name not in forbidden_calls, (
                f"{path.name}:{node.lineno} calls {name}: that belongs in aoai_conformance"
            )
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            assert not any(m.split(".")[0] in ("httpx", "httpx2", "azure") for m in modules), (
                f"{path.name}:{node.lineno} imports an HTTP or credential library: use aoai_conformance"
            )


def _raised_promises() -> set[str]:
    """Every promise id the package and suites can raise: PROMISES tables and literal ids in expect/fail."""
    root = SUITES.parent
    files = [
        p for p in (root / "aoai_conformance").rglob("*.py") if not {"mutation", "thirdparty"} & set(p.parts)
    ]
    ids: set[str] = set()
    for path in files + sorted(SUITES.glob("*.py")):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Call):
                name = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                at = {"expect": 1, "fail": 0, "ConformanceFailure": 0}.get(name)
                if at is not None and len(node.args) > at and isinstance(node.args[at], ast.Constant):
                    ids.add(node.args[at].value)
            table = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            if isinstance(table, ast.Dict) and any(getattr(t, "id", "") == "PROMISES" for t in targets):
                ids |= {k.value for k in table.keys if isinstance(k, ast.Constant)}
    return ids


def test_every_promise_has_an_own_test_that_names_it():
    """A check that cannot fail is a defect: each promise id must appear in an own test (its failing case)."""
    tests = "".join(
        p.read_text(encoding="utf-8")
        for p in (SUITES.parent / "tests").glob("*.py")
        if p.name != "test_suite_hygiene.py"
    )
    ids = _raised_promises()
    assert len(ids) > 100, "the scan found too few promises: it is broken"
    missing = sorted(i for i in ids if i not in tests)
    assert not missing, f"promises with no own test naming them: {missing}"


def test_no_module_of_the_package_is_over_600_lines():
    """A module past 600 lines does several jobs: split it along its seams (ARCHITECTURE.md names the rooms)."""
    package = SUITES.parent / "aoai_conformance"
    sizes = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in package.rglob("*.py")}
    assert len(sizes) > 50, "the walk found too few modules: it is broken"
    assert {str(p.relative_to(package)): n for p, n in sizes.items() if n > 600} == {}
