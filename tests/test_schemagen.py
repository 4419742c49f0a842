"""aoai_conformance.schemagen: exact conversion, documented overlays, reproducible committed output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from aoai_conformance import schemagen
from aoai_conformance.schemagen import convert, overlays
from aoai_conformance.schemagen.convert import ConversionError, Converter

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"
SPECS = schemagen.specs_dir()
needs_specs = pytest.mark.skipif(
    not (SPECS / "SOURCES.txt").is_file(),
    reason=f"official specs not found at {SPECS} (set AOAI_CONFORMANCE_SPECS_DIR to regenerate/compare)",
)


@pytest.fixture(scope="module")
def fresh() -> dict[str, str]:
    if not (SPECS / "SOURCES.txt").is_file():
        pytest.skip(f"official specs not found at {SPECS}")
    return schemagen.generate(SPECS)


def spec(profile: str) -> dict[str, Any]:
    return json.loads((SPECS / schemagen.SPEC_FILES[profile]).read_text(encoding="utf-8"))


def defs_validator(defs: dict[str, Any], name: str) -> Draft202012Validator:
    doc = {"$id": "urn:test", "$defs": defs}
    reg = Registry().with_resource("urn:test", Resource.from_contents(doc, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"urn:test#/$defs/{name}"}, registry=reg)


def convert_components(components: dict[str, Any], root: str) -> Draft202012Validator:
    conv = Converter(components)
    return defs_validator(conv.defs(conv.closure([root])), root)


# -- committed output ----------------------------------------------------------------------------------------
@needs_specs
def test_committed_schemas_match_a_fresh_generation(fresh):
    assert schemagen.diff(fresh, SCHEMAS) == [], "run: python -m aoai_conformance.schemagen"


@needs_specs
def test_generation_is_reproducible_and_canonical(fresh):
    again = schemagen.generate(SPECS)
    assert again == fresh
    for rel, text in fresh.items():
        assert text.endswith("}\n") and "\r" not in text, rel
        assert schemagen.dumps(json.loads(text)) == text, rel  # sorted keys, indent 1


@needs_specs
def test_every_file_records_source_commit_and_component(fresh):
    commits = schemagen.read_sources(SPECS)
    assert commits == {
        "azure": "31c65e1b80195ae589bc7f4b3d9a0c850c668b3c",
        "openai": "f85dbe223d40e1a31cba812ab2d755c7e98a92a3",
    }
    for rel, text in fresh.items():
        if rel == "index.json":
            continue
        doc = json.loads(text)
        profile = rel.split("/")[0]
        src = doc["x-source"]
        assert src["commit"] == commits[profile] and src["spec"] == schemagen.SPEC_FILES[profile]
        assert "GENERATED" in doc["$comment"]
        if "/components." not in rel:
            comp = src["component"]
            assert comp in json.loads(fresh[f"{profile}/components.strict.json"])["$defs"]
            assert doc["$ref"].endswith("#/$defs/" + comp)


@needs_specs
def test_every_file_is_valid_draft_2020_12(fresh):
    for rel, text in fresh.items():
        if rel != "index.json":
            doc = json.loads(text)
            assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
            Draft202012Validator.check_schema(doc)


def _walk(node: Any, path: str = ""):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            if k in ("properties", "$defs", "patternProperties"):
                for name, sub in v.items():
                    yield from _walk(sub, f"{path}/{k}/{name}")
            elif k not in ("enum", "const", "default", "x-source", "required"):
                yield from _walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}/{i}")


@needs_specs
def test_no_openapi_constructs_survive(fresh):
    raw = {p: json.dumps(spec(p)["components"]) for p in schemagen.SPEC_FILES}
    assert raw["openai"].count('"nullable"') == 110  # the traps are really there in the input
    assert '"$recursiveRef"' in raw["openai"]
    for profile in schemagen.SPEC_FILES:
        for verdict in ("strict", "compatible"):
            doc = json.loads(fresh[f"{profile}/components.{verdict}.json"])
            for path, node in _walk(doc["$defs"]):
                for bad in (
                    "nullable",
                    "discriminator",
                    "$recursiveRef",
                    "$recursiveAnchor",
                    "example",
                    "description",
                ):
                    assert bad not in node, (profile, path, bad)
                assert not any(k.startswith("x-") for k in node), (profile, path)
                for key in ("exclusiveMinimum", "exclusiveMaximum"):
                    assert not isinstance(node.get(key), bool), (profile, path)
                req = node.get("required")
                if isinstance(req, list):
                    assert len(req) == len(set(req)), (profile, path)


@needs_specs
def test_required_components_and_events_are_generated(fresh):
    index = json.loads(fresh["index.json"])["profiles"]
    assert index["azure"]["response"] == "AzureResponse"
    assert index["azure"]["chat.completion"] == "AzureCreateChatCompletionResponse"
    assert index["azure"]["error"] == "AzureErrorResponse"
    assert index["openai"]["response"] == "Response"
    for profile in ("azure", "openai"):
        for event in schemagen.REQUIRED_EVENTS + schemagen.MCP_ARGUMENT_EVENTS[profile]:
            assert "event." + event in index[profile], (profile, event)


# -- the measured traps in the real specs --------------------------------------------------------------------
@needs_specs
def test_azure_allof_children_selected_by_discriminator(fresh):
    defs = json.loads(fresh["azure/components.strict.json"])["$defs"]
    bad = {"type": "mcp_call", "id": "mcp_1", "server_label": 123, "name": "n", "arguments": "{}"}
    # What a plain OpenAPI validator checks for a $ref to the base: only the base -- it accepts the item.
    assert defs_validator(defs, "OpenAI.ItemResource:base").is_valid(bad)
    # The generated base dispatches on type to OpenAI.MCPCallItemResource and rejects it.
    errors = list(defs_validator(defs, "OpenAI.ItemResource").iter_errors(bad))
    assert [e.message for e in errors] == ["123 is not of type 'string'"]
    assert defs_validator(defs, "OpenAI.ItemResource").is_valid({**bad, "server_label": "learn"})


@needs_specs
def test_openai_recursive_compound_filter(fresh):
    defs = json.loads(fresh["openai/components.strict.json"])["$defs"]
    v = defs_validator(defs, "CompoundFilter")
    leaf = {"type": "eq", "key": "region", "value": "eu"}
    nested = {"type": "and", "filters": [leaf, {"type": "or", "filters": [leaf, leaf]}]}
    assert v.is_valid(nested)
    assert not v.is_valid({"type": "and", "filters": [leaf, {"type": "or", "filters": [{"type": "eq"}]}]})
    assert not v.is_valid({"type": "and", "filters": [{"type": "nand", "filters": []}]})


@needs_specs
def test_openai_duplicate_required_and_boolean_exclusive_minimum(fresh):
    raw = spec("openai")["components"]["schemas"]
    assert len(raw["ContainerResource"]["required"]) == 9
    defs = json.loads(fresh["openai/components.strict.json"])["$defs"]
    # ContainerResource is not reachable from the suites' schemas: convert it directly.
    conv = Converter(raw)
    out = conv.convert(raw["ContainerResource"], "ContainerResource", top=True)
    assert out["required"] == ["id", "object", "name", "created_at", "status"]
    hp = conv.convert(raw["FineTuneDPOHyperparameters"], "FineTuneDPOHyperparameters", top=True)
    beta = [b for b in hp["properties"]["beta"]["oneOf"] if b.get("type") == "number"][0]
    assert beta.get("exclusiveMinimum") == 0 and "minimum" not in beta
    assert defs  # the committed file loads


# -- converter units (synthetic components) ------------------------------------------------------------------
def test_nullable_forms():
    comps = {
        "T": {
            "type": "object",
            "properties": {
                "s": {"type": "string", "nullable": True},
                "e": {"type": "string", "enum": ["a", "b"], "nullable": True},
                "r": {"$ref": "#/components/schemas/U", "nullable": True},
                "o": {"type": "object", "allOf": [{"$ref": "#/components/schemas/U"}], "nullable": True},
                "n": {"type": "integer"},
            },
        },
        "U": {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}},
    }
    v = convert_components(comps, "T")
    oks = ({"s": None}, {"e": None}, {"e": "a"}, {"r": None}, {"r": {"x": 1}}, {"o": None}, {"o": {"x": 1}})
    for ok in oks:
        assert v.is_valid(ok), ok
    for bad in ({"e": "c"}, {"r": {}}, {"o": {"x": "1"}}, {"n": None}, {"s": 1}):
        assert not v.is_valid(bad), bad


def test_exclusive_bounds_and_duplicate_required():
    comps = {
        "T": {
            "type": "object",
            "required": ["a", "a"],
            "properties": {
                "a": {
                    "type": "number",
                    "minimum": 0,
                    "exclusiveMinimum": True,
                    "maximum": 1,
                    "exclusiveMaximum": False,
                }
            },
        }
    }
    v = convert_components(comps, "T")
    assert v.is_valid({"a": 1}) and v.is_valid({"a": 0.5})
    assert not v.is_valid({"a": 0}) and not v.is_valid({"a": 1.1}) and not v.is_valid({})
    with pytest.raises(ConversionError, match="exclusiveMinimum: true without minimum"):
        convert_components({"T": {"type": "number", "exclusiveMinimum": True}}, "T")


def test_recursive_ref():
    comps = {
        "Tree": {
            "$recursiveAnchor": True,
            "type": "object",
            "required": ["v"],
            "properties": {
                "v": {"type": "integer"},
                "kids": {"type": "array", "items": {"$recursiveRef": "#"}},
            },
        }
    }
    v = convert_components(comps, "Tree")
    assert v.is_valid({"v": 1, "kids": [{"v": 2, "kids": [{"v": 3}]}]})
    assert not v.is_valid({"v": 1, "kids": [{"v": 2, "kids": [{"v": "3"}]}]})


BASE_COMPONENTS = {
    "Item": {
        "type": "object",
        "required": ["type", "id"],
        "properties": {"type": {"type": "string"}, "id": {"type": "string"}},
        "discriminator": {
            "propertyName": "type",
            "mapping": {"call": "#/components/schemas/Call", "list": "#/components/schemas/List"},
        },
    },
    "Call": {
        "type": "object",
        "required": ["type", "label"],
        "properties": {"type": {"type": "string", "enum": ["call"]}, "label": {"type": "string"}},
        "allOf": [{"$ref": "#/components/schemas/Item"}],
    },
    "List": {
        "type": "object",
        "required": ["type", "tools"],
        "properties": {"type": {"type": "string", "enum": ["list"]}, "tools": {"type": "array"}},
        "allOf": [{"$ref": "#/components/schemas/Item"}],
    },
    "Holder": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}},
    },
}


def test_base_with_mapping_dispatches_to_child_without_cycle():
    v = convert_components(BASE_COMPONENTS, "Holder")
    assert v.is_valid(
        {"items": [{"type": "call", "id": "1", "label": "x"}, {"type": "list", "id": "2", "tools": []}]}
    )
    assert not v.is_valid({"items": [{"type": "call", "id": "1", "label": 123}]})
    assert not v.is_valid({"items": [{"type": "list", "id": "1", "label": "x"}]})  # needs tools
    assert not v.is_valid({"items": [{"type": "call", "label": "x"}]})  # base's required id still applies
    assert v.is_valid({"items": [{"type": "other", "id": "1"}]})  # no child: the base alone (open type)
    child = Converter(BASE_COMPONENTS).defs(["Call", "Item", "List"])["Call"]
    assert child["$ref"] == "#/$defs/Item:base"  # inheritance skips the dispatch


def test_oneof_with_implicit_discriminator_selects_by_const():
    comps = {
        "A": {
            "type": "object",
            "required": ["type", "a"],
            "properties": {"type": {"type": "string", "enum": ["a"]}, "a": {"type": "string"}},
        },
        "B": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "const": "b"}, "a": {"type": "integer"}},
        },
        "U": {
            "oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
            "discriminator": {"propertyName": "type"},
        },
    }
    v = convert_components(comps, "U")
    assert v.is_valid({"type": "a", "a": "x"}) and v.is_valid({"type": "b", "a": 1})
    errors = list(v.iter_errors({"type": "b", "a": "x"}))
    assert [e.message for e in errors] == ["'x' is not of type 'integer'"]  # B's message, not a oneOf blur
    assert not v.is_valid({"type": "c"})


def test_single_allof_ref_collapses_and_unknown_keywords_refuse():
    conv = Converter({"U": {"type": "string"}})
    assert conv.convert({"allOf": [{"$ref": "#/components/schemas/U"}], "description": "d"}, "X") == {
        "$ref": "#/$defs/U"
    }
    with pytest.raises(ConversionError, match="unknown keyword 'unevaluatedProperties'"):
        conv.convert({"type": "object", "unevaluatedProperties": False}, "X")
    with pytest.raises(ConversionError, match="unsupported \\$ref"):
        conv.convert({"$ref": "other.json#/X"}, "X")


def test_compatible_drops_constraints_but_keeps_types_required_enums():
    strict = {
        "type": "object",
        "required": ["a"],
        "additionalProperties": False,
        "properties": {
            "a": {"type": "string", "maxLength": 2, "enum": ["ab", "cd"], "format": "uri"},
            "b": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "number"}]},
            "m": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    compat = convert.compatible(strict)
    assert compat == {
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"type": "string", "enum": ["ab", "cd"]},
            "b": {"anyOf": [{"type": "integer"}, {"type": "number"}]},
            "m": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }


# -- overlays ------------------------------------------------------------------------------------------------
def test_overlay_files_are_documented():
    loaded = overlays.load_overlays()
    assert len(loaded) >= 9
    ids = [o["id"] for o in loaded]
    assert len(ids) == len(set(ids))
    for o in loaded:
        assert o["spec_says"] and (o.get("azure_sends") or o.get("sends")), o["file"]
        assert o["evidence"] and o["ops"], o["file"]
        assert set(o["ops"]) <= {"azure", "openai"}, o["file"]


def test_overlay_ops_refuse_stale_or_missing_targets():
    comps = {"T": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}}

    def one(op):
        return overlays.apply_overlays(comps, [{"file": "x.json", "ops": {"azure": [op]}}], "azure")

    with pytest.raises(overlays.OverlayError, match="stale"):
        one({"op": "test", "path": "/T/properties/a/type", "value": "integer"})
    with pytest.raises(overlays.OverlayError, match="stale"):
        one({"op": "remove-required", "path": "/T", "names": ["b"]})
    with pytest.raises(overlays.OverlayError, match="not found"):
        one({"op": "set", "path": "/T/properties/zzz/nullable", "value": True})
    with pytest.raises(overlays.OverlayError, match="exists"):
        one({"op": "add-component", "name": "T", "value": {}})
    with pytest.raises(overlays.OverlayError, match="unknown op"):
        one({"op": "delete-everything"})
    out = one(
        {
            "op": "wrap-component",
            "name": "T",
            "spec_name": "T.spec",
            "value": {"$ref": "#/components/schemas/T.spec"},
        }
    )
    assert out["T"] == {"$ref": "#/components/schemas/T.spec"} and "required" in out["T.spec"]
    assert comps["T"]["required"] == ["a"]  # the input is not modified


def test_overlay_verdicts_default_to_both_and_are_checked(tmp_path):
    base = {
        "id": "x",
        "title": "t",
        "spec_says": "s",
        "sends": "r",
        "evidence": ["e"],
        "ops": {"azure": [{"op": "test", "path": "/T/type", "value": "object"}]},
    }
    (tmp_path / "01-x.json").write_text(json.dumps(base))
    (loaded,) = overlays.load_overlays(tmp_path)
    assert loaded["verdicts"] == ["strict", "compatible"]  # 'sends' is accepted for 'azure_sends'
    for bad in ([], ["lenient"], "compatible"):
        (tmp_path / "01-x.json").write_text(json.dumps({**base, "verdicts": bad}))
        with pytest.raises(overlays.OverlayError, match="verdicts"):
            overlays.load_overlays(tmp_path)
    (tmp_path / "01-x.json").write_text(json.dumps({k: v for k, v in base.items() if k != "sends"}))
    with pytest.raises(overlays.OverlayError, match="azure_sends"):
        overlays.load_overlays(tmp_path)
    both = {"verdicts": ["strict", "compatible"]}
    only = {"verdicts": ["compatible"]}
    assert overlays.for_verdict([both, only], "strict") == [both]
    assert overlays.for_verdict([both, only], "compatible") == [both, only]


def test_compatible_only_overlays_are_documented_relaxations():
    for o in overlays.load_overlays():
        if o["verdicts"] == ["compatible"]:
            assert "compatible verdict only" in o["title"], o["file"]
            assert any("openai-python" in e for e in o["evidence"]), o["file"]  # the SDK type it relies on
            assert any(e.startswith("corpus ") for e in o["evidence"]), o["file"]  # the real traffic
            for ops in o["ops"].values():  # relax only: nothing the strict verdict accepts is refused
                kinds = {op["op"] for op in ops}
                assert kinds <= {"test", "set", "remove-required", "add-component"}, o["file"]


def test_readme_lists_every_overlay_with_its_verdicts():
    text = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    loaded = overlays.load_overlays()
    only = [o for o in loaded if o["verdicts"] == ["compatible"]]
    n, c = len(loaded), len(only)
    count = f"{n} overlays ({n - c} for both verdicts, {c} compatible-only)"
    assert count in text
    assert "## The verdict rule" in text
    for o in loaded:
        verdicts = "compatible" if o in only else "both"
        assert f"| {o['file'][:2]} {o['id']} | {verdicts} |" in text, o["file"]


@needs_specs
def test_compatible_only_overlays_leave_the_strict_verdict_at_the_spec_letter(monkeypatch, fresh):
    everything = overlays.load_overlays()
    both = [o for o in everything if "strict" in o["verdicts"]]
    assert len(both) < len(everything)
    monkeypatch.setattr(schemagen, "load_overlays", lambda: both)
    without = schemagen.generate(SPECS)
    for profile in schemagen.SPEC_FILES:
        rel = f"{profile}/components.strict.json"
        strict_now, strict_before = json.loads(fresh[rel]), json.loads(without[rel])
        added = set(strict_now["$defs"]) - set(strict_before["$defs"])
        assert all(strict_now["$defs"][c] == schemagen.NOT_IN_SPEC for c in added), added
        assert {k: v for k, v in strict_now["$defs"].items() if k not in added} == strict_before["$defs"]
        comp = f"{profile}/components.compatible.json"
        assert json.loads(fresh[comp])["$defs"] != json.loads(without[comp])["$defs"]


@needs_specs
def test_every_overlay_changes_the_output(monkeypatch, fresh):
    everything = overlays.load_overlays()
    for overlay in everything:
        rest = [o for o in everything if o is not overlay]
        monkeypatch.setattr(schemagen, "load_overlays", lambda rest=rest: rest)
        try:
            without = schemagen.generate(SPECS)
        except (overlays.OverlayError, convert.ConversionError, ValueError):
            continue  # another overlay or a required event builds on this one: removing it breaks generation
        changed = [r for r in fresh if "/components." in r and without.get(r) != fresh[r]]
        assert changed, f"overlay {overlay['file']} has no effect"


# -- command line --------------------------------------------------------------------------------------------
def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "aoai_conformance.schemagen", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


@needs_specs
def test_cli_check_passes_on_the_committed_tree():
    proc = run_cli("--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@needs_specs
def test_cli_writes_and_check_detects_edits_and_stale_files(tmp_path):
    out = tmp_path / "schemas"
    assert run_cli("--out", str(out)).returncode == 0
    assert run_cli("--out", str(out), "--check").returncode == 0
    target = out / "azure" / "chat.completion.json"
    target.write_text(target.read_text() + " ")
    (out / "azure" / "leftover.json").write_text("{}")
    proc = run_cli("--out", str(out), "--check")
    assert proc.returncode == 1
    assert "azure/chat.completion.json" in proc.stdout and "azure/leftover.json (stale)" in proc.stdout
    assert run_cli("--out", str(out)).returncode == 0  # rewrite repairs and removes the stale file
    assert not (out / "azure" / "leftover.json").exists()
    assert run_cli("--out", str(out), "--check").returncode == 0


def test_cli_without_specs_says_where_it_looked(tmp_path):
    proc = run_cli("--check", env={"AOAI_CONFORMANCE_SPECS_DIR": str(tmp_path / "nowhere")})
    assert proc.returncode == 2
    assert "AOAI_CONFORMANCE_SPECS_DIR" in proc.stderr and "nowhere" in proc.stderr
