"""aoai_conformance.schemas: verdicts, drift, messages, dispatch, speed -- on realistic bodies and mutants.

Realistic bodies: the documented examples (tests/data/doc_examples, see its README) and, for what the
documentation shows no JSON of (stream events, chunks, MCP items, errors), bodies shaped like what Azure sends
for the documented calls (ids, values and field sets as in the doc examples).
"""

from __future__ import annotations

import copy
import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from jsonschema import Draft202012Validator

from aoai_conformance import checks, schemas
from aoai_conformance.checks import ConformanceFailure
from aoai_conformance.schemagen import MCP_ARGUMENT_EVENTS, REQUIRED_EVENTS
from conftest import own_tables

DOC = Path(__file__).parent / "data" / "doc_examples"
PROFILES = ("azure", "openai")
DELETE = object()


def doc(name: str) -> dict[str, Any]:
    return json.loads((DOC / name).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _clean_notes():
    checks.take_notes()
    yield
    checks.take_notes()


def mutate(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(body)
    node = out
    for p in path[:-1]:
        node = node[p]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


# -- realistic bodies ----------------------------------------------------------------------------------------
RESPONSE = doc("responses.create.response.json")
CHAT = doc("chat.completions.create.response.json")
CHAT_IMAGE = doc("chat.completions.create-image-input.response.json")
EMBEDDINGS = doc("embeddings.create.response.json")
RESP_ID = RESPONSE["id"]
MSG_ID = RESPONSE["output"][0]["id"]
TEXT = RESPONSE["output"][0]["content"][0]["text"]


def in_progress_response() -> dict[str, Any]:
    r = copy.deepcopy(RESPONSE)
    r.update(status="in_progress", output=[], usage=None)
    return r


MCP_TOOL = {
    "type": "mcp",
    "server_label": "microsoft_learn",
    "server_description": "Microsoft Learn MCP server for searching and fetching Microsoft documentation.",
    "server_url": "https://learn.microsoft.com/api/mcp",
    "require_approval": "never",
    "headers": None,
    "allowed_tools": None,
}
MCP_LIST_TOOLS = {
    "id": "mcpl_088ffc6b5f37c64d0068e187d0ceac8194",
    "type": "mcp_list_tools",
    "server_label": "microsoft_learn",
    "tools": [
        {
            "name": "microsoft_docs_search",
            "description": "Search official Microsoft/Azure documentation.",
            "input_schema": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
            "annotations": None,
        }
    ],
    "error": None,
}
MCP_CALL = {
    "id": "mcp_088ffc6b5f37c64d0068e187d15f8c8194",
    "type": "mcp_call",
    "server_label": "microsoft_learn",
    "name": "microsoft_docs_search",
    "arguments": '{"query":"Azure Functions"}',
    "output": '[{"title":"What is Azure Functions?","contentUrl":"https://learn.microsoft.com/..."}]',
    "error": None,
}
MCP_APPROVAL = {
    "id": "mcpr_088ffc6b5f37c64d0068e187d15f8c8194",
    "type": "mcp_approval_request",
    "server_label": "microsoft_learn",
    "name": "microsoft_docs_search",
    "arguments": '{"query":"Azure Functions"}',
}
MSG_IN_PROGRESS = {
    "id": MSG_ID,
    "type": "message",
    "status": "in_progress",
    "content": [],
    "role": "assistant",
}
PART_EMPTY = {"type": "output_text", "annotations": [], "text": "", "logprobs": []}
PART_DONE = {"type": "output_text", "annotations": [], "text": TEXT, "logprobs": []}
SUMMARY_PART = {"type": "summary_text", "text": ""}
RS_ID = "rs_088ffc6b5f37c64d0068e187d0ceac819499c9331c2a"


def events() -> dict[str, dict[str, Any]]:
    """One realistic event per required stream event type (field sets as Azure sends them)."""
    completed = copy.deepcopy(RESPONSE)
    failed = in_progress_response()
    failed.update(status="failed", error={"code": "server_error", "message": "The server had an error."})
    incomplete = copy.deepcopy(RESPONSE)
    incomplete.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    at = {"item_id": MSG_ID, "output_index": 0}
    mcp_at = {"item_id": MCP_CALL["id"], "output_index": 1}
    ev = {
        "response.created": {"response": in_progress_response()},
        "response.in_progress": {"response": in_progress_response()},
        "response.output_item.added": {"output_index": 0, "item": MSG_IN_PROGRESS},
        "response.content_part.added": {**at, "content_index": 0, "part": PART_EMPTY},
        "response.output_text.delta": {
            **at,
            "content_index": 0,
            "delta": "Hello",
            "logprobs": [],
            "obfuscation": "x8Rq1",
        },
        "response.output_text.done": {**at, "content_index": 0, "text": TEXT, "logprobs": []},
        "response.content_part.done": {**at, "content_index": 0, "part": PART_DONE},
        "response.output_item.done": {"output_index": 0, "item": RESPONSE["output"][0]},
        "response.completed": {"response": completed},
        "response.failed": {"response": failed},
        "response.incomplete": {"response": incomplete},
        "error": {"code": "server_error", "message": "The server had an error.", "param": None},
        "response.reasoning_summary_part.added": {
            "item_id": RS_ID,
            "output_index": 0,
            "summary_index": 0,
            "part": SUMMARY_PART,
        },
        "response.reasoning_summary_part.done": {
            "item_id": RS_ID,
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": "Thinking."},
        },
        "response.reasoning_summary_text.delta": {
            "item_id": RS_ID,
            "output_index": 0,
            "summary_index": 0,
            "delta": "Thinking",
            "obfuscation": "q9",
        },
        "response.reasoning_summary_text.done": {
            "item_id": RS_ID,
            "output_index": 0,
            "summary_index": 0,
            "text": "Thinking.",
        },
        "response.mcp_list_tools.in_progress": {"item_id": MCP_LIST_TOOLS["id"], "output_index": 0},
        "response.mcp_list_tools.completed": {"item_id": MCP_LIST_TOOLS["id"], "output_index": 0},
        "response.mcp_list_tools.failed": {"item_id": MCP_LIST_TOOLS["id"], "output_index": 0},
        "response.mcp_call.in_progress": dict(mcp_at),
        "response.mcp_call.completed": dict(mcp_at),
        "response.mcp_call.failed": dict(mcp_at),
    }
    args_delta = {**mcp_at, "delta": '{"query":', "obfuscation": "a1"}
    args_done = {**mcp_at, "arguments": MCP_CALL["arguments"]}
    for profile_names in MCP_ARGUMENT_EVENTS.values():
        for event_type in profile_names:
            ev[event_type] = args_delta if event_type.endswith("delta") else args_done
    return {
        t: {"type": t, "sequence_number": i, **copy.deepcopy(body)} for i, (t, body) in enumerate(ev.items())
    }


EVENTS = events()


def profile_events(profile: str) -> list[str]:
    return list(REQUIRED_EVENTS) + list(MCP_ARGUMENT_EVENTS[profile])


CFR_CHOICE = CHAT["choices"][0]["content_filter_results"]
CFR_PROMPT = CHAT["prompt_filter_results"][0]["content_filter_results"]
FIRST_CHUNK = {
    "choices": [],
    "created": 0,
    "id": "",
    "model": "",
    "object": "",
    "prompt_filter_results": copy.deepcopy(CHAT["prompt_filter_results"]),
}
CHUNK = {
    "id": CHAT["id"],
    "object": "chat.completion.chunk",
    "created": CHAT["created"],
    "model": CHAT["model"],
    "system_fingerprint": CHAT["system_fingerprint"],
    "choices": [
        {
            "index": 0,
            "delta": {"content": "Microsoft", "refusal": None},
            "logprobs": None,
            "finish_reason": None,
            "content_filter_results": copy.deepcopy(CFR_CHOICE),
        }
    ],
}
LAST_CHUNK = mutate(mutate(CHUNK, ("choices", 0, "finish_reason"), "stop"), ("choices", 0, "delta"), {})
USAGE_CHUNK = {**mutate(CHUNK, ("choices",), []), "usage": copy.deepcopy(CHAT["usage"])}
AZURE_ERROR = {
    "error": {
        "code": "DeploymentNotFound",
        "message": "The API deployment for this resource does "
        "not exist. If you created the deployment within the last 5 minutes, please wait a "
        "moment and try again.",
    }
}
AZURE_ERROR_INNER = {
    "error": {
        "code": "content_filter",
        "message": "The response was filtered.",
        "param": "prompt",
        "innererror": {"code": "ResponsibleAIPolicyViolation"},
    }
}
AZURE_ERROR_NULL_CODE = {"error": {"code": None, "message": "Bad request.", "inner_error": {"code": "x"}}}
OPENAI_ERROR = {
    "error": {
        "message": "Invalid value for 'model'.",
        "type": "invalid_request_error",
        "param": "model",
        "code": None,
    }
}

# name -> (profiles it is valid under, body)
VALID: dict[str, list[tuple[tuple[str, ...], Any]]] = {
    "response": [
        (PROFILES, RESPONSE),
        (PROFILES, in_progress_response()),
        (
            PROFILES,
            {**RESPONSE, "tools": [MCP_TOOL], "output": [MCP_LIST_TOOLS, MCP_CALL, RESPONSE["output"][0]]},
        ),
    ],
    "chat.completion": [(PROFILES, CHAT), (PROFILES, CHAT_IMAGE)],
    "chat.completion.chunk": [
        (("azure",), FIRST_CHUNK),
        (PROFILES, CHUNK),
        (PROFILES, LAST_CHUNK),
        (PROFILES, USAGE_CHUNK),
    ],
    "embeddings": [(PROFILES, EMBEDDINGS)],
    "error": [
        (("azure",), AZURE_ERROR),
        (("azure",), AZURE_ERROR_INNER),
        (("azure",), AZURE_ERROR_NULL_CODE),
        (("openai",), OPENAI_ERROR),
    ],
    "content-filter.prompt": [
        (("azure",), CFR_PROMPT),
        (("azure",), CHAT_IMAGE["prompt_filter_results"][1]["content_filter_results"]),
    ],
    "content-filter.prompt-entry": [(("azure",), e) for e in CHAT_IMAGE["prompt_filter_results"]],
    "content-filter.choice": [(("azure",), CFR_CHOICE)],
    "mcp.tool": [(PROFILES, MCP_TOOL)],
    "item": [(PROFILES, MCP_CALL), (PROFILES, MCP_LIST_TOOLS), (PROFILES, MCP_APPROVAL)],
    "item.mcp_list_tools": [(PROFILES, MCP_LIST_TOOLS)],
    "item.mcp_call": [(PROFILES, MCP_CALL)],
    "item.mcp_approval_request": [(PROFILES, MCP_APPROVAL)],
    "item.message": [(PROFILES, RESPONSE["output"][0])],
}

# (name, profiles, body, expected JSON path of the first compatible error, words the message must contain)
MUTANTS: list[tuple[str, tuple[str, ...], Any, str, tuple[str, ...]]] = [
    ("response", PROFILES, mutate(RESPONSE, ("created_at",), "yesterday"), "$.created_at", ("not of type",)),
    ("response", PROFILES, mutate(RESPONSE, ("id",), DELETE), "$", ("'id' is a required property",)),
    ("response", PROFILES, mutate(RESPONSE, ("status",), "done"), "$.status", ("'done'",)),
    ("response", PROFILES, mutate(RESPONSE, ("output", 0, "role"), 7), "$.output[0].role", ("7",)),
    (
        "response",
        PROFILES,
        {**RESPONSE, "output": [{**MCP_CALL, "server_label": 123}]},
        "$.output[0].server_label",
        ("123 is not of type 'string'",),
    ),
    (
        "response",
        PROFILES,
        mutate(RESPONSE, ("usage", "output_tokens"), "23"),
        "$.usage.output_tokens",
        ("not of type 'integer'",),
    ),
    (
        "chat.completion",
        PROFILES,
        mutate(CHAT, ("choices", 0, "finish_reason"), "done"),
        "$.choices[0].finish_reason",
        ("'done'",),
    ),
    ("chat.completion", PROFILES, mutate(CHAT, ("choices",), DELETE), "$", ("'choices' is a required",)),
    ("chat.completion", PROFILES, mutate(CHAT, ("created",), "1731880663"), "$.created", ("not of type",)),
    (
        "chat.completion",
        PROFILES,
        mutate(CHAT, ("object",), "chat.completion.chunk"),
        "$.object",
        ("is not one of",),
    ),
    (
        "chat.completion",
        ("azure",),
        mutate(CHAT, ("choices", 0, "content_filter_results", "hate", "severity"), "extreme"),
        "$.choices[0].content_filter_results.hate.severity",
        ("'extreme'",),
    ),
    (
        "chat.completion",
        ("azure",),
        mutate(CHAT, ("prompt_filter_results", 0, "content_filter_results", "jailbreak", "detected"), "no"),
        "$.prompt_filter_results[0].content_filter_results.jailbreak.detected",
        ("not of type 'boolean'",),
    ),
    (
        "chat.completion.chunk",
        PROFILES,
        mutate(CHUNK, ("object",), "chat.completion"),
        "$.object",
        ("is not one of",),
    ),
    (
        "chat.completion.chunk",
        PROFILES,
        mutate(CHUNK, ("choices", 0, "index"), DELETE),
        "$.choices[0]",
        ("'index' is a required",),
    ),
    (
        "chat.completion.chunk",
        ("azure",),
        mutate(FIRST_CHUNK, ("prompt_filter_results",), DELETE),
        "$",
        ("'prompt_filter_results' is a required",),
    ),
    ("chat.completion.chunk", ("openai",), FIRST_CHUNK, "$.object", ("''",)),
    (
        "embeddings",
        PROFILES,
        mutate(EMBEDDINGS, ("data", 0, "embedding", 3), "x"),
        "$.data[0].embedding[3]",
        ("not of type",),
    ),
    (
        "embeddings",
        PROFILES,
        mutate(EMBEDDINGS, ("object",), "embedding_list"),
        "$.object",
        ("is not one of",),
    ),
    ("embeddings", PROFILES, mutate(EMBEDDINGS, ("usage",), DELETE), "$", ("'usage' is a required",)),
    ("error", PROFILES, mutate(OPENAI_ERROR, ("error", "message"), 5), "$.error.message", ("not of type",)),
    # error.type is a free category string (overlay azure-error-openai-passthrough), so break its type.
    ("error", ("azure",), mutate(AZURE_ERROR, ("error", "type"), 7), "$.error.type", ("not of type",)),
    ("error", ("openai",), AZURE_ERROR, "$.error", ("is a required property",)),
    (
        "content-filter.prompt",
        ("azure",),
        mutate(CFR_PROMPT, ("hate", "severity"), "extreme"),
        "$.hate.severity",
        ("'extreme'",),
    ),
    (
        "content-filter.prompt-entry",
        ("azure",),
        mutate(CHAT["prompt_filter_results"][0], ("prompt_index",), "0"),
        "$.prompt_index",
        ("not of type 'integer'",),
    ),
    (
        "content-filter.choice",
        ("azure",),
        mutate(CFR_CHOICE, ("hate", "filtered"), DELETE),
        "$.hate",
        ("'filtered' is a required",),
    ),
    (
        "mcp.tool",
        PROFILES,
        mutate(MCP_TOOL, ("server_label",), DELETE),
        "$",
        ("'server_label' is a required",),
    ),
    (
        "mcp.tool",
        PROFILES,
        mutate(MCP_TOOL, ("require_approval",), "sometimes"),
        "$.require_approval",
        ("'sometimes'",),
    ),
    (
        "item.mcp_call",
        PROFILES,
        mutate(MCP_CALL, ("server_label",), 123),
        "$.server_label",
        ("123 is not of type 'string'",),
    ),
    ("item", PROFILES, mutate(MCP_CALL, ("server_label",), 123), "$.server_label", ("123 is not of type",)),
    ("item", PROFILES, mutate(MCP_CALL, ("type",), "mcp_calls"), "$.type", ("'mcp_calls'",)),
    (
        "item.mcp_list_tools",
        PROFILES,
        mutate(MCP_LIST_TOOLS, ("tools",), "none"),
        "$.tools",
        ("not of type",),
    ),
    (
        "item.mcp_list_tools",
        PROFILES,
        mutate(MCP_LIST_TOOLS, ("tools", 0, "name"), DELETE),
        "$.tools[0]",
        ("'name' is a required",),
    ),
    (
        "item.mcp_approval_request",
        PROFILES,
        mutate(MCP_APPROVAL, ("arguments",), DELETE),
        "$",
        ("'arguments' is a required",),
    ),
    (
        "item.message",
        PROFILES,
        mutate(RESPONSE["output"][0], ("content", 0, "type"), "output_txt"),
        "$.content[0].type",
        ("'output_txt'",),
    ),
]

# A call's own test module (tests/test_<module>.py, for the registry rows' modules) may hold its schemas' part
# of both tables, SCHEMA_VALID and SCHEMA_MUTANTS: a new call's bodies go there, this file stays as it is.
for _part in own_tables("SCHEMA_VALID"):
    VALID.update(_part)
for _part in own_tables("SCHEMA_MUTANTS"):
    MUTANTS += _part


def all_bodies() -> list[tuple[str, str, Any]]:
    out = []
    for name, cases in VALID.items():
        for profiles, body in cases:
            out += [(name, p, body) for p in profiles]
    for name, profiles, body, *_ in MUTANTS:
        out += [(name, p, body) for p in profiles]
    for p in PROFILES:
        for t in profile_events(p):
            out.append(("event." + t, p, EVENTS[t]))
            out.append(("event." + t, p, mutate(EVENTS[t], ("sequence_number",), "1")))
    return out


def _ids(cases: list[tuple[Any, ...]]) -> list[str]:
    return [f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(cases)]


# -- the documented example bodies ---------------------------------------------------------------------------
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    "fixture,name",
    [
        ("responses.create.response.json", "response"),
        ("chat.completions.create.response.json", "chat.completion"),
        ("chat.completions.create-image-input.response.json", "chat.completion"),
        ("embeddings.create.response.json", "embeddings"),
    ],
)
def test_documented_examples_pass_both_verdicts(fixture, name, profile):
    verdict = schemas.validate(doc(fixture), name, profile)
    assert verdict.compatible_errors == []
    assert verdict.strict_errors == []


def test_documented_examples_drift_is_reported_not_hidden():
    # Fields the Azure spec does not declare but the documented body has.
    assert schemas.validate(RESPONSE, "response").drift == [
        "$.conversation",
        "$.prompt_cache_key",
        "$.safety_identifier",
        "$.service_tier",
        "$.text.verbosity",
        "$.content_filters",
        "$.store",
    ]
    assert schemas.validate(CHAT, "chat.completion").drift == ["$.service_tier"]
    # Under the OpenAI spec the Azure-only fields are drift, not errors.
    assert schemas.validate(CHAT, "chat.completion", "openai").drift == [
        "$.choices[0].content_filter_results",
        "$.prompt_filter_results",
    ]


# -- every named schema: realistic bodies pass, mutants fail with a clear message ----------------------------
REQUIRED_NAMES = (
    "response",
    "response.stream-event",
    "chat.completion",
    "chat.completion.chunk",
    "embeddings",
    "error",
    "content-filter.prompt",
    "content-filter.choice",
    "mcp.tool",
    "item.mcp_list_tools",
    "item.mcp_call",
    "item.mcp_approval_request",
)


def test_required_names_exist():
    for name in REQUIRED_NAMES:
        assert name in schemas.names("azure")
        if not name.startswith("content-filter"):
            assert name in schemas.names("openai")
    for p in PROFILES:
        assert {"event." + t for t in profile_events(p)} <= set(schemas.names(p))


def test_every_name_has_a_passing_body_and_a_failing_mutant():
    for name in schemas.names("azure"):
        if name.startswith("event.") or name in (
            "response.stream-event",
            "response.usage",
            "chat.completion.usage",
            "response.openai-base",
        ):
            continue  # events: see the event tests; usages/base: inside the response tests
        assert name in VALID, name
        assert any(m[0] == name for m in MUTANTS), name


VALID_CASES = [(n, p, b) for n, cases in VALID.items() for ps, b in cases for p in ps]


@pytest.mark.parametrize("name,profile,body", VALID_CASES, ids=_ids(VALID_CASES))
def test_realistic_body_passes(name, profile, body):
    verdict = schemas.validate(body, name, profile)
    assert verdict.compatible_errors == [], [str(e) for e in verdict.compatible_errors]
    assert verdict.strict_errors == [], [str(e) for e in verdict.strict_errors]


MUTANT_CASES = [(n, p, b, path, words) for n, ps, b, path, words in MUTANTS for p in ps]


@pytest.mark.parametrize("name,profile,body,path,words", MUTANT_CASES, ids=_ids(MUTANT_CASES))
def test_mutant_fails_with_clear_message(name, profile, body, path, words):
    verdict = schemas.validate(body, name, profile)
    assert verdict.compatible_errors, "mutant accepted"
    assert verdict.strict_errors
    first = verdict.compatible_errors[0]
    assert first.path == path, [str(e) for e in verdict.compatible_errors]
    for w in words:
        assert w in first.message, first.message
    assert first.schema == name
    with pytest.raises(ConformanceFailure) as exc:
        schemas.check(body, name, profile)
    f = exc.value
    assert f.promise == "schema.compatible"
    assert f.path == path
    assert name in f.detail and profile in f.detail
    assert f.received is not None or first.keyword == "required"
    assert f.evidence and len(f.evidence) <= 1000 + 20


# -- discriminators: the child is selected by its type -------------------------------------------------------
@pytest.mark.parametrize("profile", PROFILES)
def test_mcp_call_with_numeric_server_label_rejected_everywhere_it_can_appear(profile):
    bad = mutate(MCP_CALL, ("server_label",), 123)
    for name, body in [
        ("item.mcp_call", bad),
        ("item", bad),
        ("response", {**RESPONSE, "output": [bad]}),
        ("event.response.output_item.done", {**EVENTS["response.output_item.done"], "item": bad}),
        ("response.stream-event", {**EVENTS["response.output_item.done"], "item": bad}),
    ]:
        errors = schemas.validate(body, name, profile).compatible_errors
        assert any(e.path.endswith("server_label") and "123" in e.message for e in errors), (name, errors)


def test_item_dispatch_uses_the_named_child_only():
    # An mcp_list_tools item must not be accepted by satisfying some other child's fields.
    body = {**MCP_CALL, "type": "mcp_list_tools"}
    errors = schemas.validate(body, "item", "azure").compatible_errors
    assert any("'tools' is a required property" in e.message for e in errors)


# -- stream events -------------------------------------------------------------------------------------------
EVENT_CASES = [(t, p) for p in PROFILES for t in profile_events(p)]


@pytest.mark.parametrize("etype,profile", EVENT_CASES, ids=[f"{t}-{p}" for t, p in EVENT_CASES])
def test_stream_event_passes_and_mutant_fails(etype, profile):
    event = EVENTS[etype]
    verdict = schemas.check_stream_event(event, profile)
    assert verdict.strict_errors == [] and verdict.compatible_errors == []
    assert schemas.validate(event, "response.stream-event", profile).compatible_errors == []
    with pytest.raises(ConformanceFailure) as exc:
        schemas.check_stream_event(mutate(event, ("sequence_number",), "1"), profile)
    assert exc.value.promise == "schema.compatible" and exc.value.path == "$.sequence_number"
    required = [
        r
        for r in schemas._defs(profile, "compatible")[schemas.names(profile)["event." + etype]].get(
            "required", []
        )
        if r not in ("type", "sequence_number")
    ]
    for field in required:
        with pytest.raises(ConformanceFailure, match=f"'{field}' is a required property"):
            schemas.check_stream_event(mutate(event, (field,), DELETE), profile)


def test_unknown_stream_event_type():
    with pytest.raises(ConformanceFailure) as exc:
        schemas.check_stream_event({"type": "response.telepathy.delta", "sequence_number": 1})
    assert exc.value.promise == "schema.unknown-event"
    assert exc.value.received == "response.telepathy.delta"
    with pytest.raises(ConformanceFailure, match="schema.unknown-event"):
        schemas.check_stream_event({"sequence_number": 1})


def test_response_created_allows_null_usage_but_not_a_wrong_usage():
    assert schemas.check_stream_event(EVENTS["response.created"]).ok
    bad = mutate(EVENTS["response.created"], ("response", "usage"), {"input_tokens": "11"})
    with pytest.raises(ConformanceFailure, match="schema.compatible"):
        schemas.check_stream_event(bad)


# -- chat chunks ---------------------------------------------------------------------------------------------
def test_azure_first_chunk_accepted_under_azure_only():
    assert schemas.check_chat_chunk(FIRST_CHUNK).ok
    with pytest.raises(ConformanceFailure, match="schema.compatible"):
        schemas.check_chat_chunk(FIRST_CHUNK, profile="openai")


def test_first_chunk_with_choices_is_a_strict_deviation_only():
    odd = {**FIRST_CHUNK, "choices": copy.deepcopy(CHUNK["choices"])}
    schemas.check_chat_chunk(odd)
    notes = checks.take_notes()
    assert any(n["kind"] == "spec-deviation" and n["path"] == "$.choices" for n in notes), notes


def test_chunk_content_filter_per_choice_is_declared():
    assert schemas.validate(CHUNK, "chat.completion.chunk").drift == []
    openai_drift = schemas.validate(CHUNK, "chat.completion.chunk", "openai").drift
    assert openai_drift == ["$.choices[0].content_filter_results"]


# -- compatible-only overlays (the verdict rule, schemas/README.md) ------------------------------------------
# Each case: the value real traffic sends (accepted by compatible, because every official SDK accepts it), a
# value a client would break on (still a compatible failure), and whether strict notes the spec's letter.
WS_CALL = {
    "id": "ws_0dcf1a118189f28100691daa56c6488194b41c751d5cb3b4c3",
    "type": "web_search_call",
    "status": "in_progress",
    "action": {"type": "search", "query": "news"},
}
ANNOTATION_ADDED = {  # vercel-ai.har _aoai.id 065 (Azure v1), shortened
    "type": "response.output_text.annotation.added",
    "sequence_number": 354,
    "item_id": "msg_0dcf1a118189f28100691daa5a28488194b14fd6fa1d2895be",
    "output_index": 1,
    "content_index": 0,
    "annotation_index": 0,
    "annotation": {
        "type": "url_citation",
        "end_index": 577,
        "start_index": 458,
        "title": "While You Were Sleeping",
        "url": "https://example.com/a",
    },
}
JSON_SCHEMA_FORMAT = {
    "type": "json_schema",
    "name": "answer",
    "schema": {"type": "object"},
    "strict": True,
    "description": "An answer.",
}
ARGUMENTS_DONE = {  # openai-openai-dotnet.har _aoai.id 106, with the spec's name
    "type": "response.function_call_arguments.done",
    "sequence_number": 7,
    "item_id": "fc_68d3a8a6bd1c8193",
    "output_index": 1,
    "arguments": '{"location":"Paris"}',
    "name": "get_weather",
}
CONTENT_FILTER_400 = {
    "error": {
        "code": "content_filter",
        "message": "The response was filtered.",
        "param": "prompt",
        "type": "error",
        "innererror": {"code": "ResponsibleAIPolicyViolation"},
    }
}
# (overlay, name, profiles, body, path, real value, breaking value, strict notes it under these profiles)
RELAXED = [
    (
        "chat-system-fingerprint-null",
        "chat.completion",
        PROFILES,
        CHAT,
        ("system_fingerprint",),
        None,
        5,
        PROFILES,
    ),
    (
        "chat-system-fingerprint-null",
        "chat.completion.chunk",
        PROFILES,
        CHUNK,
        ("system_fingerprint",),
        None,
        5,
        PROFILES,
    ),
    (
        "azure-reasoning-effort-sdk-values",
        "response",
        PROFILES,
        RESPONSE,
        ("reasoning", "effort"),
        "none",
        "ultra",
        ("azure",),
    ),
    (
        "azure-reasoning-effort-sdk-values",
        "response",
        ("azure",),
        RESPONSE,
        ("reasoning", "effort"),
        "xhigh",
        "ultra",
        ("azure",),
    ),
    (
        "azure-web-search-query-optional",
        "item",
        ("azure",),
        WS_CALL,
        ("action", "query"),
        DELETE,
        5,
        ("azure",),
    ),
    (
        "openai-mcp-server-description-null",
        "mcp.tool",
        ("openai",),
        MCP_TOOL,
        ("server_description",),
        None,
        5,
        ("openai",),
    ),
    (
        "text-format-description-null",
        "response",
        PROFILES,
        {**RESPONSE, "text": {"format": JSON_SCHEMA_FORMAT, "verbosity": "medium"}},
        ("text", "format", "description"),
        None,
        5,
        PROFILES,
    ),
    (
        "azure-error-type-null",
        "error",
        ("azure",),
        CONTENT_FILTER_400,
        ("error", "type"),
        None,
        5,
        ("azure",),
    ),
    (
        "chat-choice-logprobs-optional",
        "chat.completion",
        PROFILES,
        CHAT,
        ("choices", 0, "logprobs"),
        DELETE,
        "none",
        PROFILES,
    ),
    (
        "chat-message-refusal-optional",
        "chat.completion",
        PROFILES,
        CHAT,
        ("choices", 0, "message", "refusal"),
        DELETE,
        5,
        PROFILES,
    ),
    (
        "openai-function-call-arguments-done-name-optional",
        "event.response.function_call_arguments.done",
        ("openai",),
        ARGUMENTS_DONE,
        ("name",),
        DELETE,
        5,
        ("openai",),
    ),
]
RELAXED_CASES = [
    (o, n, p, b, path, real, bad, p in noted) for o, n, ps, b, path, real, bad, noted in RELAXED for p in ps
]


@pytest.mark.parametrize(
    "overlay,name,profile,body,path,real,bad,noted",
    RELAXED_CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}-{'missing' if c[5] is DELETE else repr(c[5])}" for c in RELAXED_CASES],
)
def test_compatible_accepts_what_every_sdk_accepts_and_still_rejects_a_breaking_value(
    overlay, name, profile, body, path, real, bad, noted
):
    source = json.loads((schemas.schema_dir() / profile / f"{name}.json").read_text())["x-source"]
    assert (overlay in source["compatible_only"]) == noted  # where the spec already agrees, no overlay
    assert schemas.validate(body, name, profile).strict_errors == []  # the base body is the spec's letter
    verdict = schemas.check(mutate(body, path, real), name, profile)  # no ConformanceFailure
    where = schemas.json_path(path[:-1] if real is DELETE else path)
    notes = [n for n in checks.take_notes() if n["kind"] == "spec-deviation"]
    if noted:
        assert [e.path for e in verdict.deviations] == [where], [str(e) for e in verdict.strict_errors]
        assert [n["path"] for n in notes] == [where]
    else:
        assert verdict.strict_errors == [] and notes == []
    with pytest.raises(ConformanceFailure) as exc:
        schemas.check(mutate(body, path, bad), name, profile)
    assert exc.value.promise == "schema.compatible" and exc.value.path == schemas.json_path(path)


def test_annotation_added_event_is_known_under_azure_compatible_and_noted_by_strict():
    verdict = schemas.check_stream_event(ANNOTATION_ADDED, "azure")
    assert [(e.path, e.keyword) for e in verdict.deviations] == [("$.type", "not")]
    assert [n["path"] for n in checks.take_notes() if n["kind"] == "spec-deviation"] == ["$.type"]
    assert schemas.validate(ANNOTATION_ADDED, "response.stream-event", "azure").compatible_errors == []
    assert schemas.check_stream_event(mutate(ANNOTATION_ADDED, ("annotation",), None), "azure").ok
    assert schemas.check_stream_event(ANNOTATION_ADDED, "openai").strict_errors == []  # OpenAI's spec has it
    for path, bad in [(("annotation_index",), "0"), (("item_id",), DELETE), (("annotation", "url"), DELETE)]:
        with pytest.raises(ConformanceFailure, match="schema.compatible|annotation"):
            schemas.check_stream_event(mutate(ANNOTATION_ADDED, path, bad), "azure")


def test_real_deviations_stay_compatible_failures():
    # Azure v1 image prompts: content_filter_result (singular) instead of content_filter_results
    # (mirascope-mirascope.har _aoai.id 042/043): Azure's documented content filter shape, no SDK relaxes it.
    entry = {"prompt_index": 0, "content_filter_result": copy.deepcopy(CFR_PROMPT)}
    with pytest.raises(ConformanceFailure) as exc:
        schemas.check({**CHAT, "prompt_filter_results": [entry]}, "chat.completion", "azure")
    assert exc.value.path == "$.prompt_filter_results[0]"
    # Stream events without sequence_number (openai-python and openai-java require it).
    with pytest.raises(ConformanceFailure, match="sequence_number"):
        schemas.check_stream_event(
            mutate(EVENTS["response.output_text.delta"], ("sequence_number",), DELETE), "openai"
        )
    # output_text.logprobs is required by openai-java's ResponseOutputText.validate() (getRequired).
    with pytest.raises(ConformanceFailure, match="logprobs"):
        schemas.check_stream_event(
            mutate(EVENTS["response.content_part.done"], ("part", "logprobs"), DELETE), "openai"
        )


# -- check(): notes for strict deviations and drift ----------------------------------------------------------
def test_check_notes_drift_with_paths():
    schemas.check({**CHAT, "brand_new": 1}, "chat.completion", where="chat")
    notes = checks.take_notes()
    drift = sorted(n["path"] for n in notes if n["kind"] == "drift")
    assert drift == ["$.brand_new", "$.service_tier"]
    assert all(n["message"].startswith("chat: ") for n in notes)


def test_strict_only_error_is_a_note_not_a_failure():
    body = mutate(RESPONSE, ("temperature",), 3.5)  # the spec says maximum 2: strict, not compatible
    verdict = schemas.check(body, "response")
    assert verdict.compatible_errors == []
    assert [e.path for e in verdict.strict_errors] == ["$.temperature"]
    notes = [n for n in checks.take_notes() if n["kind"] == "spec-deviation"]
    assert len(notes) == 1 and notes[0]["path"] == "$.temperature" and "3.5" in notes[0]["message"]


def test_additional_properties_false_is_strict_and_drift():
    tool = {
        **MCP_TOOL,
        "allowed_tools": {"tool_names": ["microsoft_docs_search"], "read_only": False, "colour": "blue"},
    }
    verdict = schemas.validate(tool, "mcp.tool", "openai")  # MCPToolFilter: additionalProperties: false
    assert verdict.compatible_errors == []
    assert any(e.keyword == "additionalProperties" for e in verdict.strict_errors)
    assert "$.allowed_tools.colour" in verdict.drift


def test_drift_follows_discriminated_children():
    body = copy.deepcopy(RESPONSE)
    body["output"][0]["content"][0]["sparkle"] = True
    body["output"].append({**MCP_CALL, "colour": "red"})
    drift = schemas.validate(body, "response").drift
    assert "$.output[0].content[0].sparkle" in drift and "$.output[1].colour" in drift
    assert not any(p.startswith("$.output[1].server_label") for p in drift)


def test_maps_and_free_objects_are_not_drift():
    body = {**RESPONSE, "metadata": {"anything": "goes"}}
    assert "$.metadata.anything" not in schemas.validate(body, "response").drift
    err = {"error": {**AZURE_ERROR["error"], "inner_error": {"whatever": {"deep": 1}}}}
    assert schemas.validate(err, "error").drift == []


def test_error_envelope_spellings():
    assert schemas.validate(AZURE_ERROR_INNER, "error").drift == []
    assert schemas.validate(AZURE_ERROR_NULL_CODE, "error").ok
    assert not schemas.validate(mutate(AZURE_ERROR, ("error", "code"), 404), "error").ok


def test_unknown_name_or_profile_is_a_usage_error():
    with pytest.raises(KeyError, match="no schema 'chat.completions'"):
        schemas.validate(CHAT, "chat.completions")
    with pytest.raises(KeyError, match="content-filter.choice"):
        schemas.validate(CFR_CHOICE, "content-filter.choice", "openai")
    with pytest.raises(KeyError, match="unknown profile"):
        schemas.validate(CHAT, "chat.completion", "anthropic")


def test_failure_evidence_is_trimmed_around_the_failing_path():
    body = mutate(EMBEDDINGS, ("usage", "prompt_tokens"), "seven")
    with pytest.raises(ConformanceFailure) as exc:
        schemas.check(body, "embeddings")
    assert exc.value.path == "$.usage.prompt_tokens"
    # the failing member and its siblings' names, not the 58-float vector
    assert json.loads(exc.value.evidence) == {"prompt_tokens": "seven", "...": "1 sibling keys: total_tokens"}
    assert exc.value.expected == "integer" and exc.value.received == "seven"
    assert "expected 'integer', received 'seven'" in str(exc.value)


# -- the fast path agrees with jsonschema --------------------------------------------------------------------
BODIES = all_bodies()


def test_fast_path_agrees_with_jsonschema_on_every_body():
    assert len(BODIES) > 150
    for name, profile, body in BODIES:
        for verdict in ("strict", "compatible"):
            fast: Callable[[Any], bool] | None = schemas._fast(profile, name, verdict)
            assert fast is not None, (name, profile, verdict)
            slow = schemas._validator(profile, name, verdict).is_valid(body)
            assert fast(body) == slow, (name, profile, verdict)


def test_fast_path_keyword_semantics():
    def rule(value: str, then: dict[str, Any]) -> dict[str, Any]:
        return {"if": {"properties": {"type": {"const": value}}, "required": ["type"]}, "then": then}

    c = schemas._Compiler({})
    cases = [
        ({"type": "integer"}, [1, 1.0, -3], [1.5, True, "1", None]),
        ({"type": "number"}, [1, 1.5], [True, "1"]),
        ({"enum": [1, "a", None]}, [1, 1.0, "a", None], [True, "b", 2]),
        ({"const": False}, [False], [0, None]),
        ({"const": {"a": [1]}}, [{"a": [1]}], [{"a": [True]}, {"a": [1], "b": 1}]),
        ({"type": ["string", "null"], "minLength": 2}, ["ab", None], ["a", 1]),
        ({"exclusiveMinimum": 0, "maximum": 2}, [0.1, 2, "x"], [0, 2.1]),
        (
            {"properties": {"a": {"type": "string"}}, "additionalProperties": False},
            [{}, {"a": "x"}, 3],
            [{"a": 1}, {"b": 1}],
        ),
        (
            {"patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": {"type": "string"}},
            [{"x-a": 1, "b": "c"}],
            [{"x-a": "1"}, {"b": 1}],
        ),
        (
            {"prefixItems": [{"type": "string"}], "items": {"type": "integer"}, "maxItems": 3},
            [["a", 1, 2]],
            [[1], ["a", "b"], ["a", 1, 2, 3]],
        ),
        ({"uniqueItems": True}, [[1, True], [[1], [2]]], [[1, 1.0], [{"a": 1}, {"a": 1}]]),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, [1.5], [1]),
        (
            {
                "if": {"properties": {"t": {"const": "a"}}, "required": ["t"]},
                "then": {"required": ["x"]},
                "else": {"required": ["y"]},
            },
            [{"t": "a", "x": 1}, {"y": 1}],
            [{"t": "a"}, {}],
        ),
        (
            {"not": {"type": "null"}, "propertyNames": {"maxLength": 2}, "minProperties": 1},
            [{"ab": 1}],
            [None, {}, {"abc": 1}],
        ),
        (
            {
                "allOf": [
                    {"required": ["type"]},
                    rule("a", {"required": ["x"]}),
                    rule("b", {"required": ["y"]}),
                ]
            },
            [{"type": "a", "x": 1}, {"type": "b", "y": 1}, {"type": "c"}, 5],
            [{"type": "a"}, {"type": "b", "x": 1}, {}],
        ),
    ]
    for schema, good, bad in cases:
        f = c.compile(schema)
        ref = Draft202012Validator(schema)
        for v in good:
            assert f(v) and ref.is_valid(v), (schema, v)
        for v in bad:
            assert not f(v) and not ref.is_valid(v), (schema, v)
    with pytest.raises(schemas._NotCompilable):
        c.compile({"contains": {"type": "string"}})


def test_validators_are_cached():
    schemas.validate(CHAT, "chat.completion")
    assert schemas._validator("azure", "chat.completion", "strict") is schemas._validator(
        "azure", "chat.completion", "strict"
    )
    fast = schemas._fast("azure", "chat.completion", "strict")
    assert fast is schemas._fast("azure", "chat.completion", "strict")


def test_schema_dir_prefers_repo_then_bundled(monkeypatch, tmp_path):
    real = schemas.schema_dir()
    try:
        monkeypatch.setattr(schemas, "SCHEMA_DIRS", (tmp_path / "absent", real))
        schemas.schema_dir.cache_clear()
        assert schemas.schema_dir() == real
        monkeypatch.setattr(schemas, "SCHEMA_DIRS", (tmp_path / "absent",))
        schemas.schema_dir.cache_clear()
        with pytest.raises(FileNotFoundError, match="schemagen"):
            schemas.schema_dir()
    finally:
        monkeypatch.undo()
        schemas.schema_dir.cache_clear()
    assert schemas.SCHEMA_DIRS[1].parts[-3:] == ("aoai_conformance", "_bundled", "schemas")


def test_validate_is_fast():
    body = copy.deepcopy(CHAT)
    for _ in range(200):
        schemas.validate(body, "chat.completion")
    runs = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(200):
            schemas.validate(body, "chat.completion")
        runs.append((time.perf_counter() - t) / 200)
    median = statistics.median(runs)
    print(f"validate(chat.completion): {median * 1e6:.0f} us")
    assert median < 1e-3  # typically ~60 us; the bound leaves room for slow CI machines


# -- the localised error search gives exactly jsonschema's errors ----------------------------------------------
def _real_bodies() -> list[tuple[dict, str, str]]:
    """Every body and stream event of the real-traffic corpus, with its schema name and profile."""
    from aoai_conformance.core import SSEParser
    from aoai_conformance.recorded.identify import identify
    from aoai_conformance.recorded.readers import Interaction, find, read

    out = []
    for path in find([str(Path(__file__).resolve().parent.parent / "corpus")]):
        for it in read(path):
            if not isinstance(it, Interaction):
                continue
            call = identify(
                it.method,
                it.url,
                it.request_body,
                response_type=(it.response_headers or {}).get("content-type", ""),
            )
            if call.kind is None:
                continue
            if it.status < 400 and call.kind.endswith("_stream"):
                parser = SSEParser()
                for e in parser.feed(it.content, 0) + parser.close(0):
                    d = e.json
                    if isinstance(d, dict) and call.kind == "chat_stream":
                        out.append((d, "chat.completion.chunk", call.profile))
                    elif isinstance(d, dict) and f"event.{d.get('type')}" in schemas.names(call.profile):
                        out.append((d, f"event.{d['type']}", call.profile))
                continue
            name = (
                "error"
                if it.status >= 400
                else {"chat": "chat.completion", "responses": "response", "embeddings": "embeddings"}.get(
                    call.kind
                )
            )
            body = json.loads(it.content) if it.content.strip()[:1] == b"{" else None
            if name and isinstance(body, dict):
                out.append((body, name, call.profile))
    return out


def _broken(body: dict) -> list[dict]:
    """A few ways to break a body deep down: a member dropped, a wrong type, in the first nested objects."""
    out = []
    for key, value in list(body.items())[:6]:
        out.append({**body, key: 12345})
        dropped = dict(body)
        del dropped[key]
        out.append(dropped)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            first = dict(value[0])
            first.pop(next(iter(first)), None)
            out.append({**body, key: [first, *value[1:]]})
    return out


def test_localised_errors_equal_jsonschemas_on_real_and_broken_bodies():
    compared = 0
    for body, name, profile in _real_bodies()[::3]:
        for candidate in [body, *_broken(body)]:
            for verdict in ("strict", "compatible"):
                full = schemas._errors(schemas._validator(profile, name, verdict), candidate, name)
                assert schemas._errors_local(profile, name, verdict, candidate) == full, (
                    name,
                    profile,
                    verdict,
                )
                compared += 1
    assert compared > 1000
