"""aoai_conformance.invariants: every promise passes on a realistic body and is caught, by id, when broken.

The valid inputs are JSON fixtures in tests/data/invariants/ (documented example bodies from the Azure OpenAI
Python page, plus streams and MCP bodies shaped like the service's). MUTATIONS holds, for every promise in
PROMISES, at least one edit of a valid input that breaks exactly that promise; the test asserts the check
raises ConformanceFailure whose ``.promise`` is that id (a failure for another reason does not count). A call's
own test module adds its scenarios and mutations to both tables (conftest.own_tables, from the registry).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aoai_conformance import checks
from aoai_conformance import invariants as inv
from aoai_conformance.checks import ConformanceFailure
from conftest import own_tables

DATA = Path(__file__).parent / "data" / "invariants"


@functools.cache
def _read(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def load(name: str) -> Any:
    return copy.deepcopy(_read(name))


def _error(name: str) -> dict[str, Any]:
    case = load("errors.json")[name]
    return {"body": case["body"], "status": case["status"]}


# Scenario name -> (valid keyword arguments, function under test). Mutations edit the kwargs in place.
SCENARIOS: dict[str, tuple[Callable[[], dict[str, Any]], Callable[..., Any]]] = {
    "response": (
        lambda: {"body": load("response_body.json"), "expect_model": "gpt-4.1-nano"},
        inv.response_body,
    ),
    "response_reasoning": (
        lambda: {"body": load("response_reasoning.json"), "expect_model": "gpt-5-mini"},
        inv.response_body,
    ),
    "echoes": (
        lambda: {
            "body": {
                **load("response_reasoning.json"),
                "instructions": "Be brief.",
                "reasoning": {"effort": "low", "summary": None},
            },
            "instructions": "Be brief.",
            "effort": "low",
        },
        inv.response_echoes,
    ),
    "output_text_sdk": (
        lambda: {
            "body": load("response_body.json"),
            "sdk_text": _read("response_body.json")["output"][0]["content"][0]["text"],
        },
        inv.response_output_text_matches_sdk,
    ),
    "stream": (
        lambda: {"events": load("responses_stream.json"), "final_body": load("response_reasoning.json")},
        inv.responses_stream,
    ),
    "stream_mcp": (
        lambda: {"events": load("responses_stream_mcp.json"), "final_body": load("mcp_body.json")},
        inv.responses_stream,
    ),
    "chat": (lambda: {"body": load("chat_completion.json"), "max_tokens": 300}, inv.chat_completion),
    "prompt_filter": (
        lambda: {"results": load("chat_completion.json")["prompt_filter_results"], "n_prompts": 2},
        inv.prompt_filter_results,
    ),
    "prompt_filter_image": (
        lambda: {"results": load("prompt_filter_image.json"), "n_prompts": 2},
        inv.prompt_filter_results,
    ),
    "chat_stream_azure": (
        lambda: {
            "chunks": load("chat_stream.json"),
            "done_seen": True,
            "include_usage": True,
            "max_tokens": 300,
        },
        inv.chat_stream,
    ),
    "chat_stream_azure_no_usage": (
        lambda: {"chunks": load("chat_stream.json")[:-1], "done_seen": True},
        inv.chat_stream,
    ),
    "chat_stream_openai": (
        lambda: {"chunks": load("chat_stream.json")[1:-1], "done_seen": True, "azure": False},
        inv.chat_stream,
    ),
    "embeddings": (
        lambda: {"body": load("embeddings_float.json"), "n_inputs": 2, "dimensions": 8},
        inv.embeddings,
    ),
    "embeddings_b64": (
        lambda: {"body": load("embeddings_base64.json"), "n_inputs": 2, "dimensions": 8},
        inv.embeddings,
    ),
    "b64_match": (
        lambda: {"b64_body": load("embeddings_base64.json"), "float_body": load("embeddings_float.json")},
        inv.embedding_base64_matches,
    ),
    "mcp": (lambda: {"body": load("mcp_body.json"), "server_label": "microsoft_learn"}, inv.mcp_output),
    "mcp_approval": (
        lambda: {
            "body": load("mcp_approval_first.json"),
            "server_label": "microsoft_learn",
            "require_approval": "always",
        },
        inv.mcp_output,
    ),
    "mcp_followup": (
        lambda: {
            "first_body": load("mcp_approval_first.json"),
            "second_body": load("mcp_approval_second.json"),
            "approval_request_id": _read("mcp_approval_first.json")["output"][2]["id"],
        },
        inv.mcp_approval_followup,
    ),
    "error_openai": (lambda: _error("openai_invalid_request"), inv.error_body),
    "error_azure_401": (lambda: _error("azure_auth_401"), inv.error_body),
    "error_azure_filter": (lambda: _error("azure_content_filter_400"), inv.error_body),
    "error_500_null_code": (lambda: _error("server_error_500"), inv.error_body),
    "request_ids": (
        lambda: {
            "headers": {
                "X-Request-Id": "b7f2c0a4-5d9e-4c1a-9e53-0c6b2a7f1d11",
                "apim-request-id": "3c9a1e2b-7f44-4d0e-8a61-5b2f9c0d7e88",
                "content-type": "application/json",
            },
            "sdk_request_id": "b7f2c0a4-5d9e-4c1a-9e53-0c6b2a7f1d11",
        },
        inv.request_ids,
    ),
    # An Azure v1 404 as recorded for real (issue 12): apim-request-id, no x-request-id, so e.request_id None.
    "request_ids_error": (
        lambda: {
            "headers": {
                "apim-request-id": "3c9a1e2b-7f44-4d0e-8a61-5b2f9c0d7e88",
                "content-type": "application/json",
            },
            "sdk_request_id": None,
            "status": 404,
        },
        inv.request_ids,
    ),
}


# ------------------------------------------------------------------------------------------ mutation helpers


def renumber(events: list[dict]) -> None:
    for i, event in enumerate(events):
        event["sequence_number"] = i


def find(events: list[dict], etype: str, nth: int = 0) -> int:
    return [i for i, e in enumerate(events) if e.get("type") == etype][nth]


def stream_edit(fn: Callable[[list[dict]], None]) -> Callable[[dict], None]:
    """Edit the event list, then renumber sequence_number (so only the intended promise breaks)."""

    def mutate(kw: dict) -> None:
        fn(kw["events"])
        renumber(kw["events"])

    return mutate


def move(events: list[dict], src: int, dst: int) -> None:
    events.insert(dst, events.pop(src))


def s_set(etype: str, path: tuple, value: Any, nth: int = 0) -> Callable[[dict], None]:
    """Set events[<nth etype>][path...] = value."""

    def fn(events: list[dict]) -> None:
        target = events[find(events, etype, nth)]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return stream_edit(fn)


_DELETE = object()


def body_set(*path: Any, value: Any, key: str = "body") -> Callable[[dict], None]:
    def mutate(kw: dict) -> None:
        target = kw[key]
        for p in path[:-1]:
            target = target[p]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


def chunks_edit(fn: Callable[[list[dict]], None]) -> Callable[[dict], None]:
    return lambda kw: fn(kw["chunks"])


def _finish_chunk(chunks: list[dict]) -> dict:
    return next(c for c in chunks if c.get("choices") and c["choices"][0].get("finish_reason"))


def _set_chat_length(kw: dict) -> None:
    body = kw["body"]
    body["choices"][0]["finish_reason"] = "length"
    body["usage"].update(completion_tokens=301, total_tokens=323)


def _stream_length(kw: dict) -> None:
    _finish_chunk(kw["chunks"])["choices"][0]["finish_reason"] = "length"
    kw["max_tokens"] = 10


def _embedding_truncate_all(kw: dict) -> None:
    for item in kw["body"]["data"]:
        item["embedding"].pop()


def _b64_truncate(kw: dict) -> None:
    item = kw["b64_body"]["data"][1]
    values = struct.unpack("<8f", base64.b64decode(item["embedding"]))
    item["embedding"] = base64.b64encode(struct.pack("<7f", *values[:7])).decode()


def _add_output(item: dict) -> Callable[[dict], None]:
    def mutate(kw: dict) -> None:
        kw["body"]["output"].append(copy.deepcopy(item))

    return mutate


_APPROVAL_REQUEST = {
    "id": "mcpr_0b1c2d3e",
    "type": "mcp_approval_request",
    "server_label": "microsoft_learn",
    "name": "microsoft_docs_fetch",
    "arguments": '{"url":"https://learn.microsoft.com/"}',
}


def _add_call_to_first(kw: dict) -> None:
    call = copy.deepcopy(_read("mcp_body.json")["output"][2])
    kw["body"]["output"].append(call)


def _drop(events: list[dict], etype: str, nth: int = 0) -> None:
    del events[find(events, etype, nth)]


def _duplicate_terminal(events: list[dict]) -> None:
    events.insert(len(events) - 1, copy.deepcopy(events[-1]))


def _swap_first_two(events: list[dict]) -> None:
    events[0], events[1] = events[1], events[0]


def _shift_sequence(kw: dict) -> None:
    for e in kw["events"]:
        e["sequence_number"] += 1


def _part_done_after_item_done(events: list[dict]) -> None:
    src = find(events, "response.content_part.done")
    dst = find(events, "response.output_item.done", 1)
    move(events, src, dst)


def _delta_before_part(events: list[dict]) -> None:
    move(events, find(events, "response.output_text.delta"), find(events, "response.content_part.added"))


def _in_progress_after_output(events: list[dict]) -> None:
    move(events, find(events, "response.in_progress"), find(events, "response.output_item.added"))


def _usage_chunk_not_last(chunks: list[dict]) -> None:
    move(chunks, len(chunks) - 1, len(chunks) - 2)


def _usage_twice(chunks: list[dict]) -> None:
    chunks[2]["usage"] = copy.deepcopy(chunks[-1]["usage"])


def _finish_early(chunks: list[dict]) -> None:
    chunks[3]["choices"][0]["finish_reason"] = "stop"


def _no_finish(chunks: list[dict]) -> None:
    _finish_chunk(chunks)["choices"][0]["finish_reason"] = None


def _prelude_second(chunks: list[dict]) -> None:
    move(chunks, 0, 1)


def _prelude_twice(chunks: list[dict]) -> None:
    chunks.insert(1, copy.deepcopy(chunks[0]))


def _prelude_in_openai(chunks: list[dict]) -> None:
    chunks.insert(0, copy.deepcopy(_read("chat_stream.json")[0]))


def _usage_without_include(chunks: list[dict]) -> None:
    _finish_chunk(chunks)["usage"] = {"completion_tokens": 18, "prompt_tokens": 22, "total_tokens": 40}


# (promise id, scenario, mutation). Every PROMISES key appears at least once (see test_mutations_cover_...).
MUTATIONS: list[tuple[str, str, Callable[[dict], None]]] = [
    # response body
    ("responses.object", "response", body_set("object", value="chat.completion")),
    ("responses.id-prefix", "response", body_set("id", value="chatcmpl-088ffc6b5f37c64d")),
    ("responses.status-enum", "response", body_set("status", value="succeeded")),
    ("responses.created-at", "response", body_set("created_at", value=0)),
    ("responses.created-at", "response", body_set("created_at", value="1759610832")),
    ("responses.model", "response", body_set("model", value="gpt-4o-mini")),
    ("responses.item.type-known", "response", body_set("output", 0, "type", value="assistant_message")),
    ("responses.item.message-id-prefix", "response", body_set("output", 0, "id", value="item_088ffc6b")),
    (
        "responses.item.reasoning-id-prefix",
        "response_reasoning",
        body_set("output", 0, "id", value="msg_0a1b"),
    ),
    ("responses.item.status-enum", "response", body_set("output", 0, "status", value="done")),
    ("responses.usage.present", "response", body_set("usage", value=None)),
    ("responses.instructions.echo", "echoes", body_set("instructions", value=None)),
    ("responses.reasoning.effort", "echoes", body_set("reasoning", "effort", value="high")),
    ("responses.usage.sum", "response", body_set("usage", "total_tokens", value=35)),
    (
        "responses.usage.reasoning-le-output",
        "response_reasoning",
        body_set("usage", "output_tokens_details", "reasoning_tokens", value=87),
    ),
    (
        "responses.usage.cached-le-input",
        "response",
        body_set("usage", "input_tokens_details", "cached_tokens", value=12),
    ),
    (
        "responses.incomplete-details",
        "response",
        body_set("incomplete_details", value={"reason": "max_output_tokens"}),
    ),
    ("responses.incomplete-details", "response", body_set("status", value="incomplete")),
    ("responses.output-text.sdk", "output_text_sdk", lambda kw: kw.__setitem__("sdk_text", "")),
    ("responses.output-text.sdk", "output_text_sdk", lambda kw: kw.__setitem__("sdk_text", None)),
    # responses stream
    ("responses.stream.sequence-number", "stream", _shift_sequence),
    (
        "responses.stream.sequence-number",
        "stream",
        lambda kw: kw["events"][4].__setitem__("sequence_number", 3),
    ),
    ("responses.stream.sequence-number", "stream", lambda kw: kw["events"][2].pop("sequence_number")),
    ("responses.stream.first-created", "stream", stream_edit(_swap_first_two)),
    ("responses.stream.terminal", "stream", stream_edit(lambda ev: ev.pop())),
    ("responses.stream.terminal", "stream", stream_edit(_duplicate_terminal)),
    (
        "responses.stream.terminal-status",
        "stream",
        s_set("response.completed", ("response", "status"), "incomplete"),
    ),
    ("responses.stream.in-progress", "stream", stream_edit(lambda ev: _drop(ev, "response.in_progress"))),
    ("responses.stream.in-progress", "stream", stream_edit(_in_progress_after_output)),
    ("responses.stream.response-id", "stream", s_set("response.completed", ("response", "id"), "resp_other")),
    (
        "responses.stream.response-id",
        "stream",
        s_set("response.in_progress", ("response", "id"), "resp_other"),
    ),
    (
        "responses.stream.item-pairing",
        "stream",
        stream_edit(lambda ev: _drop(ev, "response.output_item.done")),
    ),
    (
        "responses.stream.item-pairing",
        "stream",
        s_set("response.output_item.done", ("item", "id"), "rs_other", 0),
    ),
    (
        "responses.stream.output-index-order",
        "stream",
        s_set("response.output_item.added", ("output_index",), 2, 1),
    ),
    (
        "responses.stream.part-pairing",
        "stream",
        stream_edit(lambda ev: _drop(ev, "response.content_part.done")),
    ),
    ("responses.stream.part-pairing", "stream", stream_edit(_part_done_after_item_done)),
    ("responses.stream.delta-target", "stream", stream_edit(_delta_before_part)),
    (
        "responses.stream.delta-target",
        "stream",
        s_set("response.output_text.delta", ("item_id",), "msg_unknown", 2),
    ),
    (
        "responses.stream.text.output-text-done",
        "stream",
        s_set("response.output_text.delta", ("delta",), "Apple ", 0),
    ),
    (
        "responses.stream.text.content-part-done",
        "stream",
        s_set("response.content_part.done", ("part", "text"), "x"),
    ),
    (
        "responses.stream.text.output-item-done",
        "stream",
        s_set("response.output_item.done", ("item", "content", 0, "text"), "x", 1),
    ),
    (
        "responses.stream.text.terminal-response",
        "stream",
        s_set("response.completed", ("response", "output", 1, "content", 0, "text"), "x"),
    ),
    (
        "responses.stream.final-body",
        "stream",
        body_set("output", 1, "content", 0, "text", value="x", key="final_body"),
    ),
    (
        "responses.stream.mcp-item",
        "stream_mcp",
        s_set("response.mcp_call.in_progress", ("item_id",), "mcp_unknown"),
    ),
    (
        "responses.stream.mcp-item",
        "stream_mcp",
        s_set("response.mcp_list_tools.completed", ("item_id",), "mcpl_unknown"),
    ),
    # chat completion
    ("chat.object", "chat", body_set("object", value="chat.completion.chunk")),
    ("chat.id-prefix", "chat", body_set("id", value="cmpl-AUhZ11g6aNb1Nnxjp4hFUNcszw3uf")),
    ("chat.choices.index", "chat", body_set("choices", value=[])),
    ("chat.choices.index", "chat", body_set("choices", 0, "index", value=1)),
    ("chat.finish-reason-enum", "chat", body_set("choices", 0, "finish_reason", value="end_turn")),
    ("chat.finish-reason-enum", "chat", body_set("choices", 0, "finish_reason", value=None)),
    ("chat.message.role", "chat", body_set("choices", 0, "message", "role", value="user")),
    ("chat.usage.sum", "chat", body_set("usage", "total_tokens", value=47)),
    (
        "chat.usage.cached-le-prompt",
        "chat",
        body_set("usage", "prompt_tokens_details", value={"cached_tokens": 23}),
    ),
    (
        "chat.usage.reasoning-le-completion",
        "chat",
        body_set("usage", "completion_tokens_details", value={"reasoning_tokens": 25}),
    ),
    ("chat.created", "chat", body_set("created", value=0)),
    ("chat.created", "chat", body_set("created", value="1731880663")),
    ("chat.max-tokens", "chat", _set_chat_length),
    ("chat.max-tokens", "chat_stream_azure", _stream_length),
    # prompt filter results (Azure)
    ("chat.prompt-filter.entries", "prompt_filter", lambda kw: kw.__setitem__("results", [])),
    (
        "chat.prompt-filter.entries",
        "prompt_filter",
        body_set(0, "prompt_index", value=_DELETE, key="results"),
    ),
    (
        "chat.prompt-filter.entries",
        "prompt_filter",
        body_set(0, "content_filter_results", value=None, key="results"),
    ),
    ("chat.prompt-filter.index", "prompt_filter_image", body_set(1, "prompt_index", value=0, key="results")),
    ("chat.prompt-filter.index", "prompt_filter_image", lambda kw: kw.__setitem__("n_prompts", 1)),
    (
        "chat.prompt-filter.category",
        "prompt_filter",
        body_set(0, "content_filter_results", "hate", "filtered", value="false", key="results"),
    ),
    (
        "chat.prompt-filter.category",
        "prompt_filter",
        body_set(0, "content_filter_results", "sexual", "severity", value="none", key="results"),
    ),
    (
        "chat.prompt-filter.category",
        "prompt_filter_image",
        body_set(0, "content_filter_results", "jailbreak", "detected", value=None, key="results"),
    ),
    # chat stream
    ("chat.stream.azure-prelude", "chat_stream_azure", chunks_edit(_prelude_second)),
    ("chat.stream.azure-prelude", "chat_stream_azure", chunks_edit(_prelude_twice)),
    ("chat.stream.no-prelude", "chat_stream_openai", chunks_edit(_prelude_in_openai)),
    (
        "chat.stream.object",
        "chat_stream_azure",
        chunks_edit(lambda c: c[2].__setitem__("object", "chat.completion")),
    ),
    ("chat.stream.id", "chat_stream_azure", chunks_edit(lambda c: c[3].__setitem__("id", "chatcmpl-other"))),
    (
        "chat.stream.id",
        "chat_stream_openai",
        chunks_edit(lambda c: [ch.__setitem__("id", "cmpl-AUhZx1kLm2") for ch in c]),
    ),
    (
        "chat.stream.created-model",
        "chat_stream_azure",
        chunks_edit(lambda c: c[3].__setitem__("created", 1731880701)),
    ),
    (
        "chat.stream.created-model",
        "chat_stream_azure",
        chunks_edit(lambda c: c[4].__setitem__("model", "gpt-4o")),
    ),
    ("chat.stream.done-marker", "chat_stream_azure", lambda kw: kw.__setitem__("done_seen", False)),
    ("chat.stream.done-marker", "chat_stream_azure", lambda kw: kw.__setitem__("after_done", 1)),
    ("chat.stream.finish-reason", "chat_stream_azure", chunks_edit(_no_finish)),
    ("chat.stream.finish-reason", "chat_stream_azure", chunks_edit(_finish_early)),
    (
        "chat.stream.finish-reason-enum",
        "chat_stream_azure",
        chunks_edit(lambda c: _finish_chunk(c)["choices"][0].__setitem__("finish_reason", "eos")),
    ),
    ("chat.stream.role", "chat_stream_azure", chunks_edit(lambda c: c[1]["choices"][0]["delta"].pop("role"))),
    (
        "chat.stream.content-filter",
        "chat_stream_azure",
        chunks_edit(
            lambda c: next(ch for ch in c[1:] if ch["choices"] and ch["choices"][0]["delta"].get("content"))[
                "choices"
            ][0].pop("content_filter_results")
        ),
    ),
    (
        "chat.stream.role",
        "chat_stream_openai",
        chunks_edit(lambda c: c[0]["choices"][0]["delta"].__setitem__("role", "user")),
    ),
    ("chat.stream.usage.final-chunk", "chat_stream_azure", chunks_edit(_usage_chunk_not_last)),
    ("chat.stream.usage.final-chunk", "chat_stream_azure", chunks_edit(_usage_twice)),
    (
        "chat.stream.usage.final-chunk",
        "chat_stream_azure_no_usage",
        lambda kw: kw.__setitem__("include_usage", True),
    ),
    (
        "chat.stream.usage.sum",
        "chat_stream_azure",
        chunks_edit(lambda c: c[-1]["usage"].__setitem__("total_tokens", 41)),
    ),
    ("chat.stream.usage.absent", "chat_stream_azure_no_usage", chunks_edit(_usage_without_include)),
    # embeddings
    ("embeddings.object", "embeddings", body_set("object", value="embedding_list")),
    ("embeddings.count", "embeddings", lambda kw: kw["body"]["data"].pop()),
    (
        "embeddings.index-order",
        "embeddings",
        lambda kw: (
            kw["body"]["data"][0].__setitem__("index", 1),
            kw["body"]["data"][1].__setitem__("index", 0),
        ),
    ),
    ("embeddings.item-object", "embeddings", body_set("data", 1, "object", value="vector")),
    ("embeddings.vector-length", "embeddings", lambda kw: kw["body"]["data"][1]["embedding"].pop()),
    ("embeddings.dimensions", "embeddings", _embedding_truncate_all),
    ("embeddings.finite", "embeddings", body_set("data", 0, "embedding", 3, value=float("nan"))),
    ("embeddings.finite", "embeddings", body_set("data", 1, "embedding", 0, value="0.2121194")),
    ("embeddings.finite", "embeddings", body_set("data", 1, "embedding", 0, value=float("inf"))),
    ("embeddings.usage", "embeddings", body_set("usage", "total_tokens", value=12)),
    ("embeddings.usage", "embeddings", body_set("usage", value={"prompt_tokens": 0, "total_tokens": 0})),
    ("embeddings.base64.decodes", "embeddings_b64", body_set("data", 0, "embedding", value="not base64!")),
    (
        "embeddings.base64.decodes",
        "b64_match",
        body_set("data", 1, "embedding", value="AAAAAAAA", key="b64_body"),
    ),
    (
        "embeddings.base64.matches",
        "b64_match",
        body_set("data", 0, "embedding", 2, value=-0.28269424, key="float_body"),
    ),
    ("embeddings.base64.matches", "b64_match", _b64_truncate),
    # MCP
    ("mcp.list-tools", "mcp", lambda kw: kw["body"]["output"].pop(0)),
    ("mcp.list-tools", "mcp", body_set("output", 0, "tools", value=[])),
    ("mcp.list-tools", "mcp", lambda kw: kw["body"]["output"][0]["tools"][1].pop("input_schema")),
    ("mcp.list-tools", "mcp", body_set("output", 0, "server_label", value="github")),
    ("mcp.call.server-label", "mcp", body_set("output", 2, "server_label", value="github")),
    ("mcp.call.tool-listed", "mcp", body_set("output", 2, "name", value="microsoft_docs_delete")),
    ("mcp.call.arguments-json", "mcp", body_set("output", 2, "arguments", value="query=Azure Functions")),
    ("mcp.call.arguments-json", "mcp", body_set("output", 2, "arguments", value='["Azure Functions"]')),
    ("mcp.call.result", "mcp", body_set("output", 2, "output", value=None)),
    ("mcp.approval.request", "mcp_approval", lambda kw: kw["body"]["output"].pop(2)),
    ("mcp.approval.request", "mcp_approval", body_set("output", 2, "arguments", value="{query}")),
    ("mcp.approval.request", "mcp_approval", body_set("output", 2, "id", value="")),
    (
        "mcp.approval.request",
        "mcp_followup",
        lambda kw: kw.__setitem__("approval_request_id", "mcpr_unknown"),
    ),
    ("mcp.approval.not-requested", "mcp", _add_output(_APPROVAL_REQUEST)),
    ("mcp.approval.no-call-before", "mcp_approval", _add_call_to_first),
    (
        "mcp.approval.previous-response",
        "mcp_followup",
        body_set("previous_response_id", value=None, key="second_body"),
    ),
    (
        "mcp.approval.previous-response",
        "mcp_followup",
        body_set("previous_response_id", value="resp_68e1901a2b3c", key="second_body"),
    ),
    (
        "mcp.approval.call-matches",
        "mcp_followup",
        body_set("output", 0, "name", value="microsoft_docs_fetch", key="second_body"),
    ),
    (
        "mcp.approval.call-matches",
        "mcp_followup",
        body_set("output", 0, "approval_request_id", value="mcpr_other", key="second_body"),
    ),
    ("mcp.approval.call-matches", "mcp_followup", lambda kw: kw["second_body"]["output"].pop(0)),
    # errors
    ("error.status", "error_openai", lambda kw: kw.__setitem__("status", 200)),
    ("error.envelope", "error_openai", lambda kw: kw.__setitem__("body", kw["body"]["error"])),
    ("error.envelope", "error_azure_401", body_set("error", value="Access denied")),
    ("error.message", "error_openai", body_set("error", "message", value="")),
    ("error.message", "error_azure_401", body_set("error", "message", value=_DELETE)),
    ("error.code", "error_azure_401", body_set("error", "code", value=401)),
    (
        "error.inner-error",
        "error_azure_filter",
        body_set("error", "innererror", value="ResponsibleAIPolicyViolation"),
    ),
    (
        "error.inner-error",
        "error_azure_filter",
        lambda kw: kw["body"]["error"].__setitem__("inner_error", [1]),
    ),
    # request ids
    ("request-id.x-request-id", "request_ids", body_set("X-Request-Id", value=_DELETE, key="headers")),
    ("request-id.x-request-id", "request_ids", body_set("X-Request-Id", value="", key="headers")),
    ("request-id.sdk", "request_ids", lambda kw: kw.__setitem__("sdk_request_id", None)),
    ("request-id.sdk", "request_ids", lambda kw: kw.__setitem__("sdk_request_id", "3c9a1e2b-7f44-4d0e-8a61")),
    ("request-id.apim", "request_ids", body_set("apim-request-id", value=_DELETE, key="headers")),
    # an error answer may omit x-request-id, but nothing else about request ids is relaxed
    (
        "request-id.x-request-id",
        "request_ids_error",
        lambda kw: kw.__setitem__("status", 200),
    ),  # a 2xx without
    (
        "request-id.x-request-id",
        "request_ids_error",
        lambda kw: kw.__setitem__("status", None),
    ),  # a stream without
    ("request-id.x-request-id", "request_ids_error", body_set("x-request-id", value=" ", key="headers")),
    (
        "request-id.sdk",
        "request_ids_error",
        lambda kw: kw.__setitem__("sdk_request_id", "invented-by-the-sdk"),
    ),
    (
        "request-id.sdk",
        "request_ids_error",
        body_set("x-request-id", value="b7f2c0a4", key="headers"),
    ),  # mismatch
    ("request-id.apim", "request_ids_error", body_set("apim-request-id", value=_DELETE, key="headers")),
]

# A call's own test module (tests/test_<module>.py, for the registry rows' modules) may hold its part of both
# tables, SCENARIOS and MUTATIONS alike: a new call's cases go there, this file stays as it is.
for _part in own_tables("SCENARIOS"):
    SCENARIOS.update(_part)
for _part in own_tables("MUTATIONS"):
    MUTATIONS += _part


def _call(scenario: str, mutate: Callable[[dict], None] | None = None) -> None:
    build, fn = SCENARIOS[scenario]
    kw = build()
    if mutate is not None:
        mutate(kw)
    fn(**kw)


def _id(case: tuple[str, str, Callable]) -> str:
    return f"{case[0]}@{case[1]}"


@pytest.fixture(autouse=True)
def _no_leftover_notes():
    checks.take_notes()
    yield
    checks.take_notes()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_valid_input_passes(scenario: str) -> None:
    _call(scenario)


@pytest.mark.parametrize("case", MUTATIONS, ids=[_id(c) for c in MUTATIONS])
def test_mutation_breaks_exactly_its_promise(case: tuple[str, str, Callable[[dict], None]]) -> None:
    promise, scenario, mutate = case
    with pytest.raises(ConformanceFailure) as info:
        _call(scenario, mutate)
    assert info.value.promise == promise, str(info.value)
    assert info.value.detail


def test_mutations_cover_every_promise() -> None:
    covered = {promise for promise, _, _ in MUTATIONS}
    assert covered == set(inv.PROMISES), {
        "missing": sorted(set(inv.PROMISES) - covered),
        "unknown": sorted(covered - set(inv.PROMISES)),
    }


def test_promise_ids_are_dotted_and_described() -> None:
    for pid, text in inv.PROMISES.items():
        assert pid == pid.strip().lower() and "." in pid and " " not in pid, pid
        assert text and "\n" not in text, pid


@pytest.mark.parametrize("name", sorted(_read("errors.json")))
def test_every_error_fixture_is_a_valid_envelope(name: str) -> None:
    inv.error_body(**_error(name))


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("garbage", [None, [], {}, "text", 7])
def test_garbage_first_argument_fails_with_a_promise(scenario: str, garbage: Any) -> None:
    """Whatever arrives on the wire, a check says which promise broke; it never crashes with a TypeError."""
    build, fn = SCENARIOS[scenario]
    kw = build()
    first = next(iter(kw))
    kw[first] = garbage
    with pytest.raises(ConformanceFailure) as info:
        fn(**kw)
    assert info.value.promise in inv.PROMISES


# ------------------------------------------------------------------------------------------ helpers and notes


def test_output_text_concatenates_message_output_text_parts_only() -> None:
    body = load("mcp_body.json")
    body["output"][3]["content"].append({"type": "refusal", "refusal": "no"})
    body["output"][3]["content"].append({"type": "output_text", "text": " More.", "annotations": []})
    expected = _read("mcp_body.json")["output"][3]["content"][0]["text"] + " More."
    assert inv.output_text(body) == expected
    assert inv.output_text({"output": []}) == ""


def test_output_text_agrees_with_the_sdk_accessor() -> None:
    construct_type = pytest.importorskip("openai._models").construct_type
    from openai.types.responses import Response

    for name in (
        "response_body.json",
        "response_reasoning.json",
        "mcp_body.json",
        "mcp_approval_second.json",
    ):
        body = load(name)
        inv.response_output_text_matches_sdk(body, construct_type(type_=Response, value=body).output_text)


def test_chat_stream_text_per_choice() -> None:
    chunks = load("chat_stream.json")
    assert inv.chat_stream_text(chunks) == {
        0: "Microsoft was founded on April 4, 1975, by Bill Gates and Paul Allen."
    }
    second = copy.deepcopy(chunks[2])
    second["choices"][0].update(index=1, delta={"role": "assistant", "content": "Other"})
    assert inv.chat_stream_text([*chunks[:3], second])[1] == "Other"


def test_two_choice_stream_passes() -> None:
    chunks = load("chat_stream.json")[:-1]
    body = [c for c in chunks[1:]]
    twin = copy.deepcopy(body)
    for c in twin:
        c["choices"][0]["index"] = 1
    interleaved = [chunks[0]] + [c for pair in zip(body, twin) for c in pair]
    inv.chat_stream(interleaved, done_seen=True)
    assert set(inv.chat_stream_text(interleaved)) == {0, 1}


def test_decode_base64_embedding_matches_float_fixture() -> None:
    b64 = _read("embeddings_base64.json")["data"][0]["embedding"]
    floats = _read("embeddings_float.json")["data"][0]["embedding"]
    decoded = inv.decode_base64_embedding(b64)
    assert len(decoded) == 8
    assert all(abs(a - b) < 1e-7 for a, b in zip(decoded, floats))


def test_terminal_response_and_response_body_on_stream() -> None:
    events = load("responses_stream.json")
    final = inv.terminal_response(events)
    assert final is not None and final["status"] == "completed"
    inv.response_body(final, expect_model="gpt-5-mini")
    inv.response_body(events[0]["response"])  # the in_progress snapshot has no usage yet: allowed
    assert inv.terminal_response(events[:-1]) is None


def test_unknown_stream_event_type_is_noted_not_failed() -> None:
    events = load("responses_stream.json")
    events.insert(2, {"type": "response.future_feature.delta", "delta": "x"})
    renumber(events)
    inv.responses_stream(events)
    notes = checks.take_notes()
    assert any(n["kind"] == "drift" and "response.future_feature.delta" in n["message"] for n in notes)


def test_dated_model_snapshot_is_accepted_and_noted() -> None:
    body = load("response_body.json")
    body["model"] = "gpt-4.1-nano-2025-04-14"
    inv.response_body(body, expect_model="gpt-4.1-nano")
    assert any(n["kind"] == "info" for n in checks.take_notes())


def test_incomplete_response_with_reason_passes() -> None:
    body = load("response_body.json")
    body.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    body["output"][0]["status"] = "incomplete"
    inv.response_body(body)


def test_error_answer_may_omit_x_request_id_but_not_contradict_it() -> None:
    inv.request_ids({"apim-request-id": "a"}, None, status=400)  # Azure's 400/401/404 as recorded
    inv.request_ids({"apim-request-id": "a"}, None, status=503)
    inv.request_ids({"x-request-id": "r", "apim-request-id": "a"}, "r", status=404)  # sent: must match
    inv.request_ids({}, None, azure=False, status=401)  # profile openai: no apim-request-id either
    with pytest.raises(ConformanceFailure) as info:
        inv.request_ids({"x-request-id": "r", "apim-request-id": "a"}, "other", status=404)
    assert info.value.promise == "request-id.sdk"
    for status in (None, 200, 399):
        with pytest.raises(ConformanceFailure) as info:
            inv.request_ids({"apim-request-id": "a"}, None, status=status)
        assert info.value.promise == "request-id.x-request-id"


def test_request_id_headers_case_insensitive_lists_and_pairs() -> None:
    inv.request_ids({"x-request-id": ["abc"], "APIM-Request-Id": ["def"]}, "abc")
    inv.request_ids([(b"X-Request-ID", b"abc")], "abc", azure=False)
    with pytest.raises(ConformanceFailure) as info:
        inv.request_ids([("x-request-id", "abc")], "abc")
    assert info.value.promise == "request-id.apim"


def test_failure_message_names_promise_and_path() -> None:
    body = load("chat_completion.json")
    body["usage"]["total_tokens"] = 47
    with pytest.raises(ConformanceFailure) as info:
        inv.chat_completion(body)
    assert info.value.path == "usage.total_tokens"
    assert (info.value.expected, info.value.received) == (46, 47)
    assert str(info.value).startswith("[chat.usage.sum]")
