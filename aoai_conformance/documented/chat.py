"""The chat.completion body: the object, choices, finish reasons, usage, and Azure's prompt filter results.

Sources cited in the docstrings (``[seed]``, ``[oai]``, ``[azure]``): see ``documented/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import schemas, sdk, wire
from ..checks import expect
from ..core import Context, Exchange
from . import registry, request_ids
from ._shapes import _count, _detail_le, _is_int, _obj, _object_and_id

__all__ = [
    "PROMISES",
    "FINISH_REASONS",
    "FILTER_SEVERITIES",
    "ROW",
    "chat_completion",
    "check",
    "prompt_filter_results",
]

ROW = registry.by_kind("chat")  # its schema names and SDK type

PROMISES: dict[str, str] = {
    # Chat completions ([seed] chat examples, [oai] CreateChatCompletionResponse, CompletionUsage)
    "chat.object": 'a chat completion has object == "chat.completion"',
    "chat.id-prefix": 'a chat completion id starts with "chatcmpl-"',
    "chat.choices.index": "choices is non-empty and choice indexes are 0..n-1 in order",
    "chat.finish-reason-enum": "finish_reason is one of stop/length/tool_calls/content_filter/function_call",
    "chat.message.role": 'every choice message has role "assistant"',
    "chat.usage.sum": "usage.total_tokens == prompt_tokens + completion_tokens",
    "chat.usage.cached-le-prompt": "prompt_tokens_details.cached_tokens <= prompt_tokens",
    "chat.usage.reasoning-le-completion": "completion_tokens_details.reasoning_tokens <= completion_tokens",
    "chat.created": "created is a positive integer (unix seconds)",
    "chat.max-tokens": 'with finish_reason "length", completion_tokens <= the requested max_tokens',
    # Azure prompt filter results ([seed] chat examples, [azure] AzureContentFilterResultForPrompt)
    "chat.prompt-filter.entries": "a non-empty list of {prompt_index, content_filter_results}",
    "chat.prompt-filter.index": "prompt_index values are distinct and below the number of prompts",
    "chat.prompt-filter.category": "each filter category has a boolean filtered (and a documented severity)",
}

#: [oai] CreateChatCompletionResponse.choices[].finish_reason
FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})
#: [azure] AzureContentFilterSeverityResult.severity
FILTER_SEVERITIES = frozenset({"safe", "low", "medium", "high"})


def chat_completion(body: Any, *, max_tokens: int | None = None) -> None:
    """A chat completion body.

    Promises: ``chat.object``, ``chat.id-prefix``, ``chat.choices.index``, ``chat.finish-reason-enum``,
    ``chat.message.role``, ``chat.usage.sum``, ``chat.usage.cached-le-prompt``,
    ``chat.usage.reasoning-le-completion``, ``chat.created``, ``chat.max-tokens`` (only with ``max_tokens``).
    Sources: [seed] chat.completions.create() examples; [oai] CreateChatCompletionResponse, CompletionUsage.
    """
    _object_and_id(body, "chat.completion", "chatcmpl-", "chat")
    created = body.get("created")
    expect(
        _is_int(created) and created > 0,
        "chat.created",
        "created is not a positive integer",
        path="created",
        received=created,
    )
    choices = body.get("choices")
    expect(
        isinstance(choices, list) and choices,
        "chat.choices.index",
        "choices is empty or missing",
        path="choices",
        received=choices,
    )
    for i, choice in enumerate(choices):
        choice = _obj(choice, "chat.choices.index", "choice", f"choices[{i}]")
        expect(
            choice.get("index") == i and _is_int(choice.get("index")),
            "chat.choices.index",
            "choice index out of order",
            path=f"choices[{i}].index",
            expected=i,
            received=choice.get("index"),
        )
        fr = choice.get("finish_reason")
        expect(
            fr in FINISH_REASONS,
            "chat.finish-reason-enum",
            "finish_reason is not documented",
            path=f"choices[{i}].finish_reason",
            expected=sorted(FINISH_REASONS),
            received=fr,
        )
        message = choice.get("message")
        role = message.get("role") if isinstance(message, Mapping) else None
        expect(
            role == "assistant",
            "chat.message.role",
            'message role is not "assistant"',
            path=f"choices[{i}].message.role",
            expected="assistant",
            received=role,
        )

    usage = body.get("usage")
    if usage is None:
        return
    prompt, completion = _chat_usage(usage, "chat.usage.sum", "usage")
    _detail_le(
        usage,
        "prompt_tokens_details",
        "cached_tokens",
        prompt,
        "chat.usage.cached-le-prompt",
        "usage",
        "prompt_tokens",
    )
    _detail_le(
        usage,
        "completion_tokens_details",
        "reasoning_tokens",
        completion,
        "chat.usage.reasoning-le-completion",
        "usage",
        "completion_tokens",
    )
    if max_tokens is not None and any(
        isinstance(c, Mapping) and c.get("finish_reason") == "length" for c in choices
    ):
        expect(
            completion <= max_tokens,
            "chat.max-tokens",
            "completion_tokens exceed the requested max_tokens",
            path="usage.completion_tokens",
            expected=f"<= {max_tokens}",
            received=completion,
        )


def _chat_usage(usage: Any, promise: str, path: str) -> tuple[int, int]:
    usage = _obj(usage, promise, "usage", path)
    prompt = _count(usage, "prompt_tokens", promise, path)
    completion = _count(usage, "completion_tokens", promise, path)
    total = _count(usage, "total_tokens", promise, path)
    expect(
        total == prompt + completion,
        promise,
        "total_tokens != prompt_tokens + completion_tokens",
        path=f"{path}.total_tokens",
        expected=prompt + completion,
        received=total,
    )
    return prompt, completion


def prompt_filter_results(results: Any, *, n_prompts: int | None = None) -> None:
    """Azure's ``prompt_filter_results`` (on a chat completion body or the first stream chunk).

    Promises: ``chat.prompt-filter.entries``, ``chat.prompt-filter.index`` (distinct; below ``n_prompts`` when
    given), ``chat.prompt-filter.category`` (every category object but ``error`` has a boolean ``filtered``;
    ``severity`` in safe/low/medium/high and ``detected`` boolean when present).
    ``n_prompts`` counts prompts as the service does: the [seed] text example (system + user message) has one
    entry, index 0; the image example (one message, text + image parts) has indexes 0 and 1. So it is an upper
    bound on prompt_index, not the expected number of entries.
    Sources: [seed] chat.completions.create() examples; [azure] AzureContentFilterResultForPrompt,
    AzureContentFilterSeverityResult, AzureContentFilterDetectionResult.
    """
    P = "chat.prompt-filter."
    expect(
        isinstance(results, list) and results,
        P + "entries",
        "prompt_filter_results is missing or empty",
        path="prompt_filter_results",
        received=results,
    )
    seen: set[int] = set()
    for i, entry in enumerate(results):
        path = f"prompt_filter_results[{i}]"
        entry = _obj(entry, P + "entries", "prompt filter entry", path)
        idx: Any = entry.get("prompt_index")
        expect(
            _is_int(idx) and idx >= 0,
            P + "entries",
            "prompt_index is not a non-negative integer",
            path=f"{path}.prompt_index",
            received=idx,
        )
        expect(
            idx not in seen, P + "index", "prompt_index repeats", path=f"{path}.prompt_index", received=idx
        )
        seen.add(idx)
        if n_prompts is not None:
            expect(
                idx < n_prompts,
                P + "index",
                "prompt_index beyond the prompts sent",
                path=f"{path}.prompt_index",
                expected=f"< {n_prompts}",
                received=idx,
            )
        cfr = _obj(
            entry.get("content_filter_results"),
            P + "entries",
            "content_filter_results",
            f"{path}.content_filter_results",
        )
        for name, category in cfr.items():
            if name == "error" or not isinstance(category, Mapping):
                continue
            cpath = f"{path}.content_filter_results.{name}"
            expect(
                isinstance(category.get("filtered"), bool),
                P + "category",
                "filtered is not a boolean",
                path=f"{cpath}.filtered",
                received=category.get("filtered"),
            )
            if "severity" in category:
                expect(
                    category["severity"] in FILTER_SEVERITIES,
                    P + "category",
                    "severity is not documented",
                    path=f"{cpath}.severity",
                    expected=sorted(FILTER_SEVERITIES),
                    received=category["severity"],
                )
            if "detected" in category:
                expect(
                    isinstance(category["detected"], bool),
                    P + "category",
                    "detected is not a boolean",
                    path=f"{cpath}.detected",
                    received=category["detected"],
                )


# --- the check bundle: every layer of the call ------------------------------------------------------------
def check(aoai: Context, ex: Exchange, *, max_tokens: int | None = None) -> Any:
    """A chat.completion body, all layers; returns the SDK's ChatCompletion."""
    wire.common(ex, aoai)
    schemas.check(ex.body, ROW.schema, profile=aoai.profile)
    chat_completion(ex.body, max_tokens=max_tokens)
    if aoai.azure:
        for i, choice in enumerate(ex.body["choices"]):
            schemas.check(choice.get("content_filter_results"), ROW.azure_schemas[0], where=f"choices[{i}]")
        prompt_filter_results(ex.body.get("prompt_filter_results"))
    completion = sdk.parsed(ex, ROW.sdk_type)
    sdk.accessor(
        completion.choices[0].message.content,
        ex.body["choices"][0]["message"]["content"],
        "completion.choices[0].message.content",
    )
    request_ids.check(aoai, ex)
    return completion
