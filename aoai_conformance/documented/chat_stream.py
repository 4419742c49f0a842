"""A chat.completions stream: chat.completion.chunk events, Azure's prelude, [DONE], finish reasons, usage.

Sources cited in the docstrings (``[seed]``, ``[oai]``, ``[azure]``): see ``documented/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import schemas, sdk, wire
from ..checks import expect, fail
from ..core import Context, StreamExchange
from . import registry, request_ids
from ._shapes import _list, _obj
from .chat import FINISH_REASONS, _chat_usage

__all__ = ["PROMISES", "ROW", "chat_stream", "chat_stream_text", "check"]

ROW = registry.by_kind("chat_stream")  # its schema names and SDK type

PROMISES: dict[str, str] = {
    # Chat streaming ([seed] streaming example, [oai] CreateChatCompletionStreamResponse, [azure] prelude)
    "chat.stream.azure-prelude": "Azure's prompt_filter_results-only chunk comes at most once, first",
    "chat.stream.no-prelude": "a non-Azure stream has no prompt_filter_results-only chunk",
    "chat.stream.object": 'every chunk has object == "chat.completion.chunk"',
    "chat.stream.id": 'all chunks share one id starting "chatcmpl-"',
    "chat.stream.created-model": "all chunks share the same created and model",
    "chat.stream.done-marker": "the stream ends with data: [DONE] and nothing follows it",
    "chat.stream.finish-reason": "exactly one finish_reason per choice, on or after its last content delta",
    "chat.stream.finish-reason-enum": "stream finish_reason values are in the documented enum",
    "chat.stream.content-filter": "[azure] every content chunk carries content_filter_results per choice",
    "chat.stream.role": 'the first delta of each choice carries role "assistant"',
    "chat.stream.usage.final-chunk": "with include_usage: exactly one usage chunk, last, with choices []",
    "chat.stream.usage.sum": "stream usage total_tokens == prompt_tokens + completion_tokens",
    "chat.stream.usage.absent": "without include_usage no chunk carries usage",
}


def _is_prelude(chunk: Any) -> bool:
    """Azure's first chunk: ``choices: []`` with only ``prompt_filter_results`` (id/object/model empty)."""
    return (
        isinstance(chunk, Mapping)
        and "prompt_filter_results" in chunk
        and chunk.get("choices") == []
        and chunk.get("usage") is None
    )


def _has_content(delta: Any) -> bool:
    if not isinstance(delta, Mapping):
        return False
    return any(
        delta.get(k) not in (None, "", []) for k in ("content", "tool_calls", "function_call", "refusal")
    )


def chat_stream(
    chunks: list[Any],
    *,
    done_seen: bool,
    include_usage: bool = False,
    azure: bool = True,
    max_tokens: int | None = None,
    after_done: int = 0,
) -> None:
    """A chat completion stream: parsed SSE ``data`` chunks in order, without the ``[DONE]`` line.

    ``done_seen`` says whether ``data: [DONE]`` ended the stream; ``after_done`` is how many data events the
    transport saw after it (0 when the caller stops reading at [DONE]).
    Promises: ``chat.stream.azure-prelude``, ``.no-prelude``, ``.object``, ``.id``, ``.created-model``,
    ``.done-marker``, ``.finish-reason``, ``.finish-reason-enum``, ``.role``, ``.usage.final-chunk``,
    ``.usage.sum``, ``.usage.absent``, and ``chat.max-tokens`` (with ``max_tokens`` and usage).
    Sources: [seed] chat.completions.create() - streaming; [oai] CreateChatCompletionStreamResponse
    (include_usage: last chunk with empty choices); [azure] the prompt_filter_results chunk.
    """
    P = "chat.stream."
    expect(
        done_seen and after_done == 0,
        P + "done-marker",
        "the stream did not end with data: [DONE]",
        expected="[DONE] last",
        received={"done_seen": done_seen, "after_done": after_done},
    )
    expect(isinstance(chunks, list), P + "object", "chunks is not a list", received=chunks)
    body: list[tuple[int, Mapping]] = []
    for i, chunk in enumerate(chunks):
        if _is_prelude(chunk):
            if azure:
                expect(
                    i == 0,
                    P + "azure-prelude",
                    "prompt_filter_results-only chunk is not the first chunk",
                    path=f"chunks[{i}]",
                    received=chunk,
                )
            else:
                fail(
                    P + "no-prelude",
                    "prompt_filter_results-only chunk in a non-Azure stream",
                    path=f"chunks[{i}]",
                    received=chunk,
                )
            continue
        _obj(chunk, P + "object", "chunk", f"chunks[{i}]")
        expect(
            chunk.get("object") == "chat.completion.chunk",
            P + "object",
            'object is not "chat.completion.chunk"',
            path=f"chunks[{i}].object",
            expected="chat.completion.chunk",
            received=chunk.get("object"),
        )
        body.append((i, chunk))
    expect(body, P + "object", "the stream has no chat.completion.chunk chunks", received=len(chunks))

    first = body[0][1]
    cid = first.get("id")
    for i, chunk in body:
        expect(
            isinstance(cid, str) and cid.startswith("chatcmpl-") and chunk.get("id") == cid,
            P + "id",
            'chunk ids differ or do not start with "chatcmpl-"',
            path=f"chunks[{i}].id",
            expected=cid,
            received=chunk.get("id"),
        )
        for key in ("created", "model"):
            expect(
                chunk.get(key) == first.get(key),
                P + "created-model",
                f"chunk {key} differs from the first chunk",
                path=f"chunks[{i}].{key}",
                expected=first.get(key),
                received=chunk.get(key),
            )

    usage_chunks = [(i, c) for i, c in body if c.get("usage") is not None]
    if include_usage:
        last_i = body[-1][0]
        ok = (
            len(usage_chunks) == 1
            and usage_chunks[0][0] == last_i
            and usage_chunks[0][1].get("choices") == []
        )
        expect(
            ok,
            P + "usage.final-chunk",
            "usage is not carried by exactly one last chunk with choices []",
            path="chunks[*].usage",
            expected=f"usage only on chunks[{last_i}]",
            received=[i for i, _ in usage_chunks],
        )
        _, completion = _chat_usage(usage_chunks[0][1]["usage"], P + "usage.sum", f"chunks[{last_i}].usage")
    else:
        expect(
            not usage_chunks,
            P + "usage.absent",
            "a chunk carries usage without include_usage",
            path=f"chunks[{usage_chunks[0][0]}].usage" if usage_chunks else None,
            received=usage_chunks[0][1].get("usage") if usage_chunks else None,
        )
        completion = None

    seen: dict[int, dict[str, Any]] = {}  # choice index -> {first, finish, last_content}
    for i, chunk in body:
        choices = _list(chunk.get("choices"), P + "object", "choices", f"chunks[{i}].choices")
        for j, choice in enumerate(choices):
            path = f"chunks[{i}].choices[{j}]"
            choice = _obj(choice, P + "finish-reason", "choice", path)
            idx: Any = choice.get("index")
            delta = choice.get("delta")
            if idx not in seen:
                role = delta.get("role") if isinstance(delta, Mapping) else None
                expect(
                    role == "assistant",
                    P + "role",
                    'the first delta of the choice has no role "assistant"',
                    path=f"{path}.delta.role",
                    expected="assistant",
                    received=role,
                )
                seen[idx] = {"finish": [], "last_content": None}
            state = seen[idx]
            if _has_content(delta):
                expect(
                    not state["finish"],
                    P + "finish-reason",
                    "content delta after the choice's finish_reason",
                    path=f"{path}.delta",
                    received=delta,
                )
                state["last_content"] = i
                if azure:
                    # Azure annotates streamed content per choice, like choices[].content_filter_results in
                    # the documented non-stream body (an asynchronous-filter deployment differs: list it in
                    # expectations.toml).
                    expect(
                        isinstance(choice.get("content_filter_results"), Mapping),
                        P + "content-filter",
                        "a content chunk carries no content_filter_results for its choice",
                        path=f"{path}.content_filter_results",
                        received=choice.get("content_filter_results"),
                    )
            fr = choice.get("finish_reason")
            if fr is not None:
                expect(
                    fr in FINISH_REASONS,
                    P + "finish-reason-enum",
                    "finish_reason is not documented",
                    path=f"{path}.finish_reason",
                    expected=sorted(FINISH_REASONS),
                    received=fr,
                )
                state["finish"].append(i)
    for idx, state in sorted(seen.items(), key=lambda kv: str(kv[0])):
        expect(
            len(state["finish"]) == 1,
            P + "finish-reason",
            "a choice does not have exactly one finish_reason",
            path=f"choices[index={idx}]",
            expected=1,
            received=state["finish"],
        )
    expect(seen, P + "finish-reason", "no choice ever appeared in the stream", received=len(body))

    if max_tokens is not None and completion is not None:
        finished_by_length = any(
            isinstance(ch, Mapping) and ch.get("finish_reason") == "length"
            for _, c in body
            for ch in (c.get("choices") or [])
        )
        if finished_by_length:
            expect(
                completion <= max_tokens,
                "chat.max-tokens",
                "completion_tokens exceed the requested max_tokens",
                path="usage.completion_tokens",
                expected=f"<= {max_tokens}",
                received=completion,
            )


def chat_stream_text(chunks: list[Any]) -> dict[int, str]:
    """Concatenated ``delta.content`` per choice index (prelude and usage chunks contribute nothing)."""
    texts: dict[Any, list[str]] = {}
    for chunk in chunks:
        if not isinstance(chunk, Mapping):
            continue
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, Mapping):
                continue
            delta = choice.get("delta")
            content = delta.get("content") if isinstance(delta, Mapping) else None
            bucket = texts.setdefault(choice.get("index"), [])
            if isinstance(content, str):
                bucket.append(content)
    return {idx: "".join(parts) for idx, parts in texts.items()}


# --- the check bundle: every layer of the call ------------------------------------------------------------
def check(
    aoai: Context, sx: StreamExchange, *, include_usage: bool = False, max_tokens: int | None = None
) -> list[Any]:
    """A chat.completion.chunk stream, all layers; returns the SDK's chunks."""
    wire.common_stream(sx, aoai)
    for chunk in sx.data:
        schemas.check_chat_chunk(chunk, profile=aoai.profile)
    chat_stream(
        sx.data, done_seen=sx.done_seen, include_usage=include_usage, azure=aoai.azure, max_tokens=max_tokens
    )
    if aoai.azure:
        for i, chunk in enumerate(sx.data):
            for j, choice in enumerate(chunk.get("choices") or []):
                if "content_filter_results" in choice:
                    schemas.check(
                        choice["content_filter_results"],
                        ROW.azure_schemas[0],
                        where=f"chunks[{i}].choices[{j}]",
                    )
    request_ids.check_stream(aoai, sx)
    chunks = sdk.stream_parsed(sx)
    # The docs' loop: `if chunk.choices and chunk.choices[0].delta.content is not None: print(...)`.
    printed = "".join(
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content is not None
    )
    sdk.accessor(printed, chat_stream_text(sx.data).get(0, ""), "the documented streaming loop's text")
    return chunks
