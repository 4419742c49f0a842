"""The check bundles live with their call (documented/<module>.check) and read the call registry; ``layers``
is a facade that keeps the names the suites and ``recorded/judge`` call."""

from __future__ import annotations

import importlib
import json

import pytest
from openai.types.chat import ChatCompletion

from aoai_conformance import layers
from aoai_conformance.checks import ConformanceFailure
from aoai_conformance.core import Exchange
from aoai_conformance.documented import (
    chat,
    chat_stream,
    embeddings,
    errors,
    registry,
    request_ids,
    responses,
    responses_stream,
)
from aoai_conformance.sdk import HTTP

FACADE = {
    "chat_completion": chat.check,
    "chat_stream": chat_stream.check,
    "response": responses.check,
    "responses_stream": responses_stream.check,
    "embeddings": embeddings.check,
    "request_ids": request_ids.check,
    "stream_request_id": request_ids.check_stream,
    "status_error": errors.status_error,
    "error_answer": errors.error_answer,
    "every_error_answer": errors.every_error_answer,
    "except_branch": errors.except_branch,
    "caught_by": errors.caught_by,
    "connection_error": errors.connection_error,
    "credential_sent": errors.credential_sent,
}


def test_the_facade_is_the_documented_bundles():
    assert {name: getattr(layers, name) for name in FACADE} == FACADE
    assert layers.PROMISES is errors.SDK_PROMISES
    assert layers.EXCEPT_CHAIN is errors.EXCEPT_CHAIN
    assert sorted(layers.__all__) == sorted([*FACADE, "PROMISES", "EXCEPT_CHAIN"])


@pytest.mark.parametrize("kind", [row.kind for row in registry.CALLS if row.module not in ("", "mcp")])
def test_every_row_with_a_module_has_its_bundle_there(kind):
    """mcp is checked as a response (responses.check) plus its own invariants; fine_tuning only as errors."""
    row = registry.by_kind(kind)
    module = importlib.import_module(f"aoai_conformance.documented.{row.module}")
    assert callable(module.check)


@pytest.mark.parametrize("module", [chat, chat_stream, responses, embeddings])
def test_a_bundle_reads_its_row(module):
    assert module.ROW is registry.by_kind(module.__name__.rsplit(".", 1)[1])


class _Ctx:
    profile = "openai"
    azure = False
    mode = "replay"
    checks_stream_timing = False
    sent = None
    built = None


def test_a_bundle_checks_against_its_rows_schema(monkeypatch):
    """The body is judged by the row's schema: a row naming another schema fails the same chat.completion."""
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    headers = HTTP.Headers({"content-type": "application/json", "x-request-id": "r1"})
    ex = Exchange(
        "chat.completions.create",
        200,
        headers,
        json.dumps(body).encode(),
        body,
        sdk=ChatCompletion.model_validate(body),
        request_id="r1",
    )
    assert chat.check(_Ctx(), ex).choices[0].message.content == "hi"
    monkeypatch.setattr(chat, "ROW", registry.by_kind("embeddings"))
    with pytest.raises(ConformanceFailure) as failure:
        chat.check(_Ctx(), ex)
    assert failure.value.promise == "schema.compatible" and "schema embeddings" in str(failure.value)
