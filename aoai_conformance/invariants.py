"""Semantic invariants: what must hold in a body or a stream beyond its schema.

Pure functions over plain JSON data (dicts and lists exactly as parsed off the wire). They look at shapes,
sums, ordering and documented behaviour, never at what the model's words say. Every broken promise raises
:class:`~aoai_conformance.checks.ConformanceFailure` naming a stable promise id from :data:`PROMISES`;
observations that must not fail a test (an event type the spec does not list, a dated model snapshot) are
noted through :func:`~aoai_conformance.checks.note`.

Sources cited in the docstrings:

* ``[seed]``  the Azure OpenAI Python support page (``shared/seeds/000_618f909ca6807cc5.txt``):
  documented calls and example bodies (responses.create, MCP tool, chat, chat streaming, embeddings,
  errors, request ids).
* ``[oai]``   OpenAI OpenAPI spec (``shared/specs/openai/openapi.json``), component named after the colon.
* ``[azure]`` Azure v1 spec (``shared/specs/azure/azure-v1-v1-generated.TRIMMED.json``).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import struct
from collections.abc import Iterable, Mapping
from typing import Any

from . import checks
from .checks import expect, fail

__all__ = [
    "PROMISES",
    "chat_completion",
    "chat_stream",
    "chat_stream_text",
    "decode_base64_embedding",
    "embedding_base64_matches",
    "embeddings",
    "error_body",
    "mcp_approval_followup",
    "mcp_output",
    "output_text",
    "prompt_filter_results",
    "request_ids",
    "response_body",
    "response_echoes",
    "response_output_text_matches_sdk",
    "responses_stream",
    "terminal_response",
]

PROMISES: dict[str, str] = {
    # Responses API body ([seed] responses.create example, [oai] Response, ResponseUsage, OutputItem)
    "responses.object": 'a response body has object == "response"',
    "responses.id-prefix": 'a response id starts with "resp_"',
    "responses.status-enum": "status is one of completed/failed/in_progress/cancelled/queued/incomplete",
    "responses.created-at": "created_at is a positive number (unix seconds)",
    "responses.model": "model echoes the requested model/deployment (or a dated snapshot of it)",
    "responses.item.type-known": "every output item has a documented item type",
    "responses.instructions.echo": "a response echoes the request's instructions",
    "responses.reasoning.effort": "a reasoning response reports the reasoning effort that was requested",
    "responses.item.message-id-prefix": 'message output items have ids starting "msg_"',
    "responses.item.reasoning-id-prefix": 'reasoning output items have ids starting "rs_"',
    "responses.item.status-enum": "an output item's status (when present) is in its documented enum",
    "responses.usage.present": "a completed response carries usage",
    "responses.usage.sum": "usage.total_tokens == input_tokens + output_tokens",
    "responses.usage.reasoning-le-output": "output_tokens_details.reasoning_tokens <= output_tokens",
    "responses.usage.cached-le-input": "input_tokens_details.cached_tokens <= input_tokens",
    "responses.incomplete-details": 'status is "incomplete" iff incomplete_details carries a reason',
    "responses.output-text.sdk": "the SDK's response.output_text equals the concatenated output_text parts",
    # Responses streaming ([oai] ResponseStreamEvent and its members)
    "responses.stream.sequence-number": "events carry sequence_number 0, 1, 2, ... (contiguous, increasing)",
    "responses.stream.first-created": "the first event is response.created",
    "responses.stream.terminal": "exactly one terminal event (completed/failed/incomplete), and it is last",
    "responses.stream.terminal-status": "the terminal event's response.status matches the event type",
    "responses.stream.in-progress": "response.in_progress comes before any output event",
    "responses.stream.response-id": "created, in_progress and terminal events carry the same response id",
    "responses.stream.item-pairing": "each output_item.added has a later output_item.done (same index, id)",
    "responses.stream.output-index-order": "output_item.added events have output_index 0, 1, 2, ... in order",
    "responses.stream.part-pairing": "each content_part.added has its .done, within the item's added/done",
    "responses.stream.delta-target": "output_text.delta refers to an added, not yet done item and part",
    "responses.stream.text.output-text-done": "concatenated deltas == response.output_text.done text",
    "responses.stream.text.content-part-done": "concatenated deltas == the part text in content_part.done",
    "responses.stream.text.output-item-done": "concatenated deltas == the part text in output_item.done",
    "responses.stream.text.terminal-response": "concatenated deltas == the part text in the terminal event",
    "responses.stream.final-body": "the stream's output text equals that of the final (retrieved) body",
    "responses.stream.mcp-item": "MCP stream events reference an output item that was added before",
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
    # Embeddings ([seed] embeddings example, [oai] CreateEmbeddingResponse, Embedding)
    "embeddings.object": 'an embeddings body has object == "list"',
    "embeddings.count": "one embedding per input",
    "embeddings.index-order": "data[i].index == i (input order)",
    "embeddings.item-object": 'every data item has object == "embedding"',
    "embeddings.vector-length": "all vectors in a body have the same length",
    "embeddings.dimensions": "with dimensions=N requested, every vector has length N",
    "embeddings.finite": "vector values are finite numbers",
    "embeddings.usage": "usage.prompt_tokens == usage.total_tokens > 0",
    "embeddings.base64.decodes": "a base64 embedding decodes to little-endian float32 values",
    "embeddings.base64.matches": "base64 vectors decode to the float vectors of the same input",
    # MCP tool ([seed] MCP example, [oai] MCPListTools, MCPToolCall, MCPApprovalRequest)
    "mcp.list-tools": "an mcp_list_tools item for the server_label lists tools with name and input_schema",
    "mcp.call.server-label": "an mcp_call carries the requested server_label",
    "mcp.call.tool-listed": "an mcp_call names a tool listed by mcp_list_tools",
    "mcp.call.arguments-json": "mcp_call.arguments is a JSON object (as a string)",
    "mcp.call.result": "an mcp_call carries an output or an error",
    "mcp.approval.request": "approval required: an mcp_approval_request (id, server_label, name, JSON args)",
    "mcp.approval.not-requested": 'with require_approval "never", no mcp_approval_request appears',
    "mcp.approval.no-call-before": 'with require_approval "always", no mcp_call runs before approval',
    "mcp.approval.previous-response": "the follow-up's previous_response_id is the first response's id",
    "mcp.approval.call-matches": "the follow-up mcp_call is the approved request (name, server_label, id)",
    # Errors ([seed] error codes table, [oai] ErrorResponse, [azure] AzureErrorResponse)
    "error.status": "an error envelope comes with an HTTP status >= 400",
    "error.envelope": 'an error body is {"error": {...}}',
    "error.message": "error.message is a non-empty string",
    "error.code": "error.code is a string or null",
    "error.inner-error": "innererror / inner_error, when present, is an object",
    # Request ids ([seed] Request IDs, [azure] apim-request-id response header)
    "request-id.x-request-id": "success answers carry a non-empty x-request-id header (error answers may omit it)",
    "request-id.sdk": "the SDK's _request_id equals the x-request-id header (None when an error answer has none)",
    "request-id.apim": "Azure responses carry a non-empty apim-request-id header",
}

# ------------------------------------------------------------------------------------------ enums

#: [oai] Response.status, [azure] OpenAI.Response.status
RESPONSE_STATUSES = frozenset({"completed", "failed", "in_progress", "cancelled", "queued", "incomplete"})
#: [oai] Response.incomplete_details.reason (others are noted, not failed)
INCOMPLETE_REASONS = frozenset({"max_output_tokens", "content_filter"})
# fmt: off
#: [oai] OutputItem discriminator values (incl. the *_output resources) and [azure] OpenAI.ItemType
OUTPUT_ITEM_TYPES = frozenset(
    {
        "message", "file_search_call", "function_call", "function_call_output", "web_search_call",
        "computer_call", "computer_call_output", "reasoning", "program", "program_output",
        "tool_search_call", "tool_search_output", "additional_tools", "compaction", "image_generation_call",
        "code_interpreter_call", "local_shell_call", "local_shell_call_output", "shell_call",
        "shell_call_output", "apply_patch_call", "apply_patch_call_output", "mcp_call", "mcp_list_tools",
        "mcp_approval_request", "mcp_approval_response", "custom_tool_call", "custom_tool_call_output",
        "item_reference",
    }
)
# fmt: on
#: [oai] OutputMessage.status, ReasoningItem.status, FunctionToolCall.status, ...
ITEM_STATUSES = frozenset({"in_progress", "completed", "incomplete"})
#: [oai] MCPToolCallStatus
MCP_CALL_STATUSES = frozenset({"in_progress", "completed", "incomplete", "calling", "failed"})
_ITEM_STATUS_ENUMS = {
    "message": ITEM_STATUSES,
    "reasoning": ITEM_STATUSES,
    "function_call": ITEM_STATUSES,
    "function_call_output": ITEM_STATUSES,
    "computer_call_output": ITEM_STATUSES,
    "mcp_call": MCP_CALL_STATUSES,
}
#: [oai] CreateChatCompletionResponse.choices[].finish_reason
FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})
#: [azure] AzureContentFilterSeverityResult.severity
FILTER_SEVERITIES = frozenset({"safe", "low", "medium", "high"})
#: terminal Responses stream events and the response.status each implies
TERMINAL_EVENTS = {
    "response.completed": "completed",
    "response.failed": "failed",
    "response.incomplete": "incomplete",
}
# fmt: off
#: [oai] ResponseStreamEvent members plus the [azure] OpenAI.ResponseStreamEventType spellings
STREAM_EVENT_TYPES = frozenset(
    {
        "error", "response.audio.delta", "response.audio.done", "response.audio.transcript.delta",
        "response.audio.transcript.done", "response.audio_transcript.delta",
        "response.audio_transcript.done", "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call_code.done", "response.code_interpreter_call.completed",
        "response.code_interpreter_call.in_progress", "response.code_interpreter_call.interpreting",
        "response.completed", "response.content_part.added", "response.content_part.done",
        "response.created", "response.file_search_call.completed", "response.file_search_call.in_progress",
        "response.file_search_call.searching", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.shell_call_command.added",
        "response.shell_call_command.delta", "response.shell_call_command.done",
        "response.shell_call_output_content.delta", "response.shell_call_output_content.done",
        "response.in_progress", "response.failed", "response.incomplete", "response.output_item.added",
        "response.output_item.done", "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done", "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done", "response.reasoning_text.delta",
        "response.reasoning_text.done", "response.refusal.delta", "response.refusal.done",
        "response.output_text.delta", "response.output_text.done", "response.web_search_call.completed",
        "response.web_search_call.in_progress", "response.web_search_call.searching",
        "response.image_generation_call.completed", "response.image_generation_call.generating",
        "response.image_generation_call.in_progress", "response.image_generation_call.partial_image",
        "response.mcp_call_arguments.delta", "response.mcp_call_arguments.done",
        "response.mcp_call.arguments_delta", "response.mcp_call.arguments_done",
        "response.mcp_call.completed", "response.mcp_call.failed", "response.mcp_call.in_progress",
        "response.mcp_list_tools.completed", "response.mcp_list_tools.failed",
        "response.mcp_list_tools.in_progress", "response.output_text.annotation.added", "response.queued",
        "response.custom_tool_call_input.delta", "response.custom_tool_call_input.done",
        "response.reasoning.delta", "response.reasoning.done", "response.reasoning_summary.delta",
        "response.reasoning_summary.done",
    }
)
# fmt: on
# Events that come before any output in a Responses stream.
_PRELUDE_EVENTS = frozenset({"response.created", "response.queued", "response.in_progress"})

# ------------------------------------------------------------------------------------------ helpers


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(container: Any, key: str, promise: str, path: str) -> int:
    """A non-negative integer token count, or a failure of ``promise``."""
    value = container.get(key) if isinstance(container, Mapping) else None
    expect(
        _is_int(value) and value >= 0,
        promise,
        f"{key} is not a non-negative integer",
        path=f"{path}.{key}",
        received=value,
    )
    return value


def _obj(value: Any, promise: str, what: str, path: str) -> Mapping:
    expect(isinstance(value, Mapping), promise, f"{what} is not an object", path=path, received=value)
    return value


def _list(value: Any, promise: str, what: str, path: str) -> list:
    expect(isinstance(value, list), promise, f"{what} is not a list", path=path, received=value)
    return value


def _detail_le(
    usage: Mapping, details_key: str, part_key: str, whole: int, promise: str, path: str, whole_name: str
) -> None:
    """``usage[details_key][part_key] <= whole`` when the details object is present (it may be null)."""
    details = usage.get(details_key)
    if details is None:
        return
    details = _obj(details, promise, details_key, f"{path}.{details_key}")
    if details.get(part_key) is None:
        return
    part = _count(details, part_key, promise, f"{path}.{details_key}")
    expect(
        part <= whole,
        promise,
        f"{part_key} exceeds {whole_name}",
        path=f"{path}.{details_key}.{part_key}",
        expected=f"<= {whole}",
        received=part,
    )


def _json_object(text: Any, promise: str, what: str, path: str) -> dict:
    expect(isinstance(text, str), promise, f"{what} is not a JSON string", path=path, received=text)
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        fail(promise, f"{what} is not valid JSON ({exc})", path=path, received=text)
    expect(isinstance(parsed, dict), promise, f"{what} is not a JSON object", path=path, received=text)
    return parsed


# ------------------------------------------------------------------------------------------ responses


# Output item type -> the prefix of its id ([seed] msg_…; [oai] reasoning items rs_…).
_ITEM_ID_PREFIXES = {"message": "msg_", "reasoning": "rs_"}


def _object_and_id(body: Any, obj: str, id_prefix: str, promises: str) -> None:
    """``object`` names the body's type and ``id`` carries its prefix (``<promises>.object`` / ``.id-prefix``)."""
    expect(
        isinstance(body, Mapping) and body.get("object") == obj,
        f"{promises}.object",
        f'object is not "{obj}"',
        path="object",
        expected=obj,
        received=body.get("object") if isinstance(body, Mapping) else body,
    )
    rid = body.get("id")
    expect(
        isinstance(rid, str) and rid.startswith(id_prefix),
        f"{promises}.id-prefix",
        f'id does not start with "{id_prefix}"',
        path="id",
        received=rid,
    )


def response_echoes(body: Any, *, instructions: str | None = None, effort: str | None = None) -> None:
    """What the request asked for comes back in the response ([oai] Response.instructions, Response.reasoning).

    Promises: ``responses.instructions.echo`` (with ``instructions``), ``responses.reasoning.effort``
    (with ``effort``).
    """
    body = body if isinstance(body, Mapping) else {}
    if instructions is not None:
        expect(
            body.get("instructions") == instructions,
            "responses.instructions.echo",
            "the response does not echo the request's instructions",
            path="$.instructions",
            expected=instructions,
            received=body.get("instructions"),
        )
    if effort is not None:
        reasoning = body.get("reasoning")
        got = reasoning.get("effort") if isinstance(reasoning, Mapping) else None
        expect(
            got == effort,
            "responses.reasoning.effort",
            "the response does not report the requested reasoning effort",
            path="$.reasoning.effort",
            expected=effort,
            received=got,
        )


def response_body(body: Any, *, expect_model: str | None = None) -> None:
    """A Responses API body (create, retrieve, or the ``response`` of a stream event).

    Promises: ``responses.object``, ``responses.id-prefix``, ``responses.status-enum``,
    ``responses.created-at``, ``responses.model`` (only with ``expect_model``), ``responses.item.type-known``,
    ``responses.item.message-id-prefix``, ``responses.item.reasoning-id-prefix``,
    ``responses.item.status-enum``,
    ``responses.usage.present``, ``responses.usage.sum``, ``responses.usage.reasoning-le-output``,
    ``responses.usage.cached-le-input``, ``responses.incomplete-details``.
    Sources: [seed] responses.create() example body; [oai] Response, OutputItem, ResponseUsage.
    """
    _object_and_id(body, "response", "resp_", "responses")
    status = body.get("status")
    expect(
        status in RESPONSE_STATUSES,
        "responses.status-enum",
        "status is not a documented response status",
        path="status",
        expected=sorted(RESPONSE_STATUSES),
        received=status,
    )
    created = body.get("created_at")
    expect(
        _is_num(created) and math.isfinite(created) and created > 0,
        "responses.created-at",
        "created_at is not a positive number",
        path="created_at",
        received=created,
    )
    if expect_model is not None:
        _model_matches(body.get("model"), expect_model, "responses.model")

    output = _list(body.get("output"), "responses.item.type-known", "output", "output")
    for i, item in enumerate(output):
        path = f"output[{i}]"
        item = _obj(item, "responses.item.type-known", "output item", path)
        itype = item.get("type")
        expect(
            itype in OUTPUT_ITEM_TYPES,
            "responses.item.type-known",
            "output item type is not documented",
            path=f"{path}.type",
            received=itype,
        )
        iid = item.get("id")
        if itype in _ITEM_ID_PREFIXES:
            prefix = _ITEM_ID_PREFIXES[itype]
            expect(
                isinstance(iid, str) and iid.startswith(prefix),
                f"responses.item.{itype}-id-prefix",
                f'{itype} item id does not start with "{prefix}"',
                path=f"{path}.id",
                received=iid,
            )
        enum = _ITEM_STATUS_ENUMS.get(itype)
        if enum is not None and item.get("status") is not None:
            expect(
                item["status"] in enum,
                "responses.item.status-enum",
                f"{itype} item status is not documented",
                path=f"{path}.status",
                expected=sorted(enum),
                received=item["status"],
            )

    usage = body.get("usage")
    if usage is None:
        expect(
            status != "completed", "responses.usage.present", "completed response has no usage", path="usage"
        )
    else:
        usage = _obj(usage, "responses.usage.sum", "usage", "usage")
        inp = _count(usage, "input_tokens", "responses.usage.sum", "usage")
        out = _count(usage, "output_tokens", "responses.usage.sum", "usage")
        total = _count(usage, "total_tokens", "responses.usage.sum", "usage")
        expect(
            total == inp + out,
            "responses.usage.sum",
            "total_tokens != input_tokens + output_tokens",
            path="usage.total_tokens",
            expected=inp + out,
            received=total,
        )
        _detail_le(
            usage,
            "output_tokens_details",
            "reasoning_tokens",
            out,
            "responses.usage.reasoning-le-output",
            "usage",
            "output_tokens",
        )
        _detail_le(
            usage,
            "input_tokens_details",
            "cached_tokens",
            inp,
            "responses.usage.cached-le-input",
            "usage",
            "input_tokens",
        )

    details = body.get("incomplete_details")
    reason = details.get("reason") if isinstance(details, Mapping) else None
    has_reason = isinstance(reason, str) and reason != ""
    if status == "incomplete":
        expect(
            has_reason,
            "responses.incomplete-details",
            "incomplete response without incomplete_details.reason",
            path="incomplete_details",
            received=details,
        )
        if reason not in INCOMPLETE_REASONS:
            checks.note(
                "drift",
                f"undocumented incomplete_details.reason {reason!r}",
                promise="responses.incomplete-details",
            )
    else:
        expect(
            details is None,
            "responses.incomplete-details",
            f'incomplete_details present on a response with status "{status}"',
            path="incomplete_details",
            expected=None,
            received=details,
        )


def _model_matches(model: Any, expected: str, promise: str) -> None:
    ok = isinstance(model, str) and (model == expected or model.startswith(expected + "-"))
    expect(
        ok,
        promise,
        "model does not match the requested model",
        path="model",
        expected=expected,
        received=model,
    )
    if model != expected:
        checks.note("info", f"model {model!r} is a snapshot of requested {expected!r}", promise=promise)


def output_text(body: Mapping) -> str:
    """What the SDK's ``Response.output_text`` returns: all ``output_text`` parts of message items, joined.

    Mirrors openai-python ``Response.output_text`` (``""`` when there is none). Not a check; see
    :func:`response_output_text_matches_sdk`.
    """
    texts: list[str] = []
    output = body.get("output") if isinstance(body, Mapping) else None
    for item in output if isinstance(output, list) else []:
        if isinstance(item, Mapping) and item.get("type") == "message":
            for part in item.get("content") or []:
                if (
                    isinstance(part, Mapping)
                    and part.get("type") == "output_text"
                    and isinstance(part.get("text"), str)
                ):
                    texts.append(part["text"])
    return "".join(texts)


def response_output_text_matches_sdk(body: Mapping, sdk_text: Any) -> None:
    """Promise ``responses.output-text.sdk``: ``response.output_text`` ([seed] MCP example prints it) is the
    concatenation of the body's output_text parts."""
    wire = output_text(body)
    expect(
        sdk_text == wire,
        "responses.output-text.sdk",
        "SDK output_text differs from the body's output_text parts",
        path="output[*].content[*].text",
        expected=wire,
        received=sdk_text,
    )


# ------------------------------------------------------------------------------------------ responses stream


def terminal_response(events: list[Mapping]) -> Mapping | None:
    """The ``response`` object of the last terminal event of a Responses stream (None if there is none).

    Suites feed it to :func:`response_body`; :func:`responses_stream` checks the stream's own invariants.
    """
    for event in reversed(events):
        if isinstance(event, Mapping) and event.get("type") in TERMINAL_EVENTS:
            return event.get("response")
    return None


def responses_stream(events: list[Any], *, final_body: Mapping | None = None) -> None:
    """A Responses API event stream (parsed SSE ``data`` objects, in order).

    Promises: ``responses.stream.sequence-number``, ``.first-created``, ``.terminal``, ``.terminal-status``,
    ``.in-progress``, ``.response-id``, ``.item-pairing``, ``.output-index-order``, ``.part-pairing``,
    ``.delta-target``, ``.text.output-text-done``, ``.text.content-part-done``, ``.text.output-item-done``,
    ``.text.terminal-response``, ``.final-body`` (only with ``final_body``), ``.mcp-item``.
    Sources: [oai] ResponseStreamEvent members (sequence_number, item_id/output_index/content_index fields),
    ResponseCompletedEvent/FailedEvent/IncompleteEvent. Unknown event types are noted (``drift``).
    """
    P = "responses.stream."
    expect(
        isinstance(events, list) and events, P + "first-created", "the stream has no events", received=events
    )
    for i, event in enumerate(events):
        _obj(event, P + "sequence-number", "event", f"events[{i}]")
        seq = event.get("sequence_number")
        expect(
            _is_int(seq) and seq == i,
            P + "sequence-number",
            "sequence_number is missing or not contiguous from 0",
            path=f"events[{i}].sequence_number",
            expected=i,
            received=seq,
        )
        etype = event.get("type")
        if etype not in STREAM_EVENT_TYPES:
            checks.note("drift", f"undocumented Responses stream event type {etype!r}", path=f"events[{i}]")

    types = [e.get("type") for e in events]
    expect(
        types[0] == "response.created",
        P + "first-created",
        "the first event is not response.created",
        path="events[0].type",
        expected="response.created",
        received=types[0],
    )
    terminals = [i for i, t in enumerate(types) if t in TERMINAL_EVENTS]
    expect(
        len(terminals) == 1 and terminals[0] == len(events) - 1,
        P + "terminal",
        "the stream does not end with exactly one terminal event",
        path="events[*].type",
        expected=f"one of {sorted(TERMINAL_EVENTS)} exactly once, last",
        received=[(i, types[i]) for i in terminals] or types[-1],
    )
    last = events[-1]
    final = _obj(
        last.get("response"), P + "terminal-status", "terminal event response", f"events[{len(events) - 1}]"
    )
    expect(
        final.get("status") == TERMINAL_EVENTS[types[-1]],
        P + "terminal-status",
        f"{types[-1]} carries a response with another status",
        path=f"events[{len(events) - 1}].response.status",
        expected=TERMINAL_EVENTS[types[-1]],
        received=final.get("status"),
    )

    first_output = next(
        (i for i, t in enumerate(types) if t not in _PRELUDE_EVENTS and t not in TERMINAL_EVENTS), None
    )
    in_progress = [i for i, t in enumerate(types) if t == "response.in_progress"]
    if first_output is not None:
        expect(
            in_progress and in_progress[0] < first_output,
            P + "in-progress",
            "response.in_progress does not come before the first output event",
            path=f"events[{first_output}]",
            expected="response.in_progress first",
            received=types[first_output],
        )

    created = events[0].get("response")
    rid = created.get("id") if isinstance(created, Mapping) else None
    for i in [*in_progress, len(events) - 1]:
        other = events[i].get("response")
        other_id = other.get("id") if isinstance(other, Mapping) else None
        expect(
            isinstance(rid, str) and other_id == rid,
            P + "response-id",
            "response id differs between stream lifecycle events",
            path=f"events[{i}].response.id",
            expected=rid,
            received=other_id,
        )

    _stream_items(events, final, final_body)


def _stream_items(events: list[Mapping], final: Mapping, final_body: Mapping | None) -> None:
    P = "responses.stream."
    items: dict[int, dict[str, Any]] = {}  # output_index -> {id, added, done, item}
    parts: dict[tuple[str, int], dict[str, Any]] = {}  # (item_id, content_index) -> {added, done, ...}
    ids: dict[str, int] = {}  # item id -> output_index
    deltas: dict[tuple[str, int], list[str]] = {}
    text_done: dict[tuple[str, int], Any] = {}
    next_index = 0

    for i, event in enumerate(events):
        etype = event.get("type")
        path = f"events[{i}]"
        if etype == "response.output_item.added":
            item = event.get("item") if isinstance(event.get("item"), Mapping) else {}
            idx = event.get("output_index")
            expect(
                idx == next_index,
                P + "output-index-order",
                "output_item.added out of output_index order",
                path=f"{path}.output_index",
                expected=next_index,
                received=idx,
            )
            next_index += 1
            items[idx] = {"id": item.get("id"), "added": i, "done": None, "type": item.get("type")}
            if isinstance(item.get("id"), str):
                ids[item["id"]] = idx
        elif etype == "response.output_item.done":
            idx = event.get("output_index")
            item = event.get("item") if isinstance(event.get("item"), Mapping) else {}
            entry = items.get(idx)
            expect(
                entry is not None and entry["done"] is None,
                P + "item-pairing",
                "output_item.done without a pending output_item.added",
                path=f"{path}.output_index",
                received=idx,
            )
            expect(
                item.get("id") == entry["id"],
                P + "item-pairing",
                "output_item.done item id differs from .added",
                path=f"{path}.item.id",
                expected=entry["id"],
                received=item.get("id"),
            )
            entry["done"] = i
            entry["item"] = item
        elif etype in ("response.content_part.added", "response.content_part.done"):
            key = (event.get("item_id"), event.get("content_index"))
            entry = items.get(event.get("output_index"))
            open_item = entry is not None and entry["id"] == key[0] and entry["done"] is None
            expect(
                open_item,
                P + "part-pairing",
                f"{etype} outside its item's added/done window",
                path=path,
                received={"item_id": key[0], "output_index": event.get("output_index")},
            )
            part = event.get("part") if isinstance(event.get("part"), Mapping) else {}
            if etype.endswith(".added"):
                expect(
                    key not in parts, P + "part-pairing", "content part added twice", path=path, received=key
                )
                parts[key] = {
                    "added": i,
                    "done": None,
                    "type": part.get("type"),
                    "output_index": event.get("output_index"),
                }
            else:
                pentry = parts.get(key)
                expect(
                    pentry is not None
                    and pentry["done"] is None
                    and pentry["output_index"] == event.get("output_index"),
                    P + "part-pairing",
                    "content_part.done without a matching pending content_part.added",
                    path=path,
                    received=key,
                )
                pentry["done"] = i
                pentry["part"] = part
        elif etype in ("response.output_text.delta", "response.output_text.done"):
            key = (event.get("item_id"), event.get("content_index"))
            entry = items.get(event.get("output_index"))
            pentry = parts.get(key)
            ok = (
                entry is not None
                and entry["id"] == key[0]
                and entry["done"] is None
                and pentry is not None
                and pentry["done"] is None
            )
            expect(
                ok,
                P + "delta-target",
                f"{etype} refers to an item/part that is not open",
                path=path,
                received={
                    "item_id": key[0],
                    "output_index": event.get("output_index"),
                    "content_index": key[1],
                },
            )
            if etype.endswith(".delta"):
                delta = event.get("delta")
                expect(
                    isinstance(delta, str),
                    P + "delta-target",
                    "delta is not a string",
                    path=f"{path}.delta",
                    received=delta,
                )
                deltas.setdefault(key, []).append(delta)
            else:
                text_done[key] = event.get("text")
        elif isinstance(etype, str) and (etype.startswith(("response.mcp_call", "response.mcp_list_tools"))):
            item_id = event.get("item_id")
            expect(
                item_id in ids and items[ids[item_id]]["added"] < i,
                P + "mcp-item",
                f"{etype} refers to an item that was not added",
                path=f"{path}.item_id",
                received=item_id,
            )

    for idx, entry in sorted(items.items()):
        expect(
            entry["done"] is not None,
            P + "item-pairing",
            "output_item.added never done",
            path=f"events[{entry['added']}]",
            received={"output_index": idx, "id": entry["id"]},
        )
    for key, pentry in parts.items():
        expect(
            pentry["done"] is not None,
            P + "part-pairing",
            "content_part.added never done",
            path=f"events[{pentry['added']}]",
            received=key,
        )

    final_items = {it.get("id"): it for it in final.get("output") or [] if isinstance(it, Mapping)}
    text_keys = sorted(
        {k for k, p in parts.items() if p["type"] == "output_text"} | set(deltas) | set(text_done),
        key=lambda k: (ids.get(k[0], -1), k[1] if _is_int(k[1]) else -1),
    )
    stream_text: list[str] = []
    for key in text_keys:
        item_id, ci = key
        text = "".join(deltas.get(key, []))
        where = f"item {item_id} content_index {ci}"
        expect(
            text_done.get(key) == text,
            P + "text.output-text-done",
            f"output_text.done text differs from the concatenated deltas ({where})",
            expected=text,
            received=text_done.get(key),
        )
        part = (parts.get(key) or {}).get("part") or {}
        expect(
            part.get("text") == text,
            P + "text.content-part-done",
            f"content_part.done text differs from the concatenated deltas ({where})",
            expected=text,
            received=part.get("text"),
        )
        item = items[ids[item_id]].get("item") or {}
        expect(
            _part_text(item, ci) == text,
            P + "text.output-item-done",
            f"output_item.done text differs from the concatenated deltas ({where})",
            expected=text,
            received=_part_text(item, ci),
        )
        expect(
            _part_text(final_items.get(item_id) or {}, ci) == text,
            P + "text.terminal-response",
            f"terminal response text differs from the concatenated deltas ({where})",
            expected=text,
            received=_part_text(final_items.get(item_id) or {}, ci),
        )
        if items[ids[item_id]].get("type") == "message":
            stream_text.append(text)

    if final_body is not None:
        got = output_text(final_body)
        expect(
            got == "".join(stream_text),
            P + "final-body",
            "the final body's output text differs from the stream's",
            path="output[*].content[*].text",
            expected="".join(stream_text),
            received=got,
        )


def _part_text(item: Mapping, content_index: Any) -> Any:
    content = item.get("content")
    if not isinstance(content, list) or not _is_int(content_index) or not 0 <= content_index < len(content):
        return None
    part = content[content_index]
    return part.get("text") if isinstance(part, Mapping) else None


# ------------------------------------------------------------------------------------------ chat


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
        idx = entry.get("prompt_index")
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
            idx = choice.get("index")
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
    texts: dict[int, list[str]] = {}
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


# ------------------------------------------------------------------------------------------ embeddings


def decode_base64_embedding(s: str) -> list[float]:
    """Decode an ``encoding_format="base64"`` embedding: little-endian float32 values (as the SDK does).

    Raises ConformanceFailure ``embeddings.base64.decodes`` if it is not base64 of a whole number of float32s.
    """
    expect(isinstance(s, str), "embeddings.base64.decodes", "base64 embedding is not a string", received=s)
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as exc:
        fail("embeddings.base64.decodes", f"embedding is not valid base64 ({exc})", received=s)
    expect(
        len(raw) % 4 == 0,
        "embeddings.base64.decodes",
        "decoded length is not a multiple of 4 bytes (float32)",
        received=len(raw),
    )
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def embeddings(body: Any, *, n_inputs: int, dimensions: int | None = None) -> None:
    """An embeddings body (float vectors; base64 strings are decoded first).

    Promises: ``embeddings.object``, ``.count``, ``.index-order``, ``.item-object``, ``.vector-length``,
    ``.dimensions`` (only with ``dimensions``), ``.finite``, ``.usage``.
    Sources: [seed] embeddings.create() example; [oai] CreateEmbeddingResponse, Embedding.
    """
    expect(
        isinstance(body, Mapping) and body.get("object") == "list",
        "embeddings.object",
        'object is not "list"',
        path="object",
        expected="list",
        received=body.get("object") if isinstance(body, Mapping) else body,
    )
    data = body.get("data")
    expect(
        isinstance(data, list) and len(data) == n_inputs,
        "embeddings.count",
        "not one embedding per input",
        path="data",
        expected=n_inputs,
        received=len(data) if isinstance(data, list) else data,
    )
    length = None
    for i, item in enumerate(data):
        path = f"data[{i}]"
        item = _obj(item, "embeddings.item-object", "data item", path)
        expect(
            item.get("index") == i and _is_int(item.get("index")),
            "embeddings.index-order",
            "data is not in input order",
            path=f"{path}.index",
            expected=i,
            received=item.get("index"),
        )
        expect(
            item.get("object") == "embedding",
            "embeddings.item-object",
            'object is not "embedding"',
            path=f"{path}.object",
            expected="embedding",
            received=item.get("object"),
        )
        vector = item.get("embedding")
        if isinstance(vector, str):
            vector = decode_base64_embedding(vector)
        expect(
            isinstance(vector, list) and vector,
            "embeddings.finite",
            "embedding is not a non-empty list",
            path=f"{path}.embedding",
            received=vector,
        )
        # Thousands of values per vector: find the first bad one only if there is one.
        bad = next((k for k, v in enumerate(vector) if not (_is_num(v) and math.isfinite(v))), None)
        expect(
            bad is None,
            "embeddings.finite",
            "embedding value is not a finite number",
            path=f"{path}.embedding[{bad}]",
            received=vector[bad] if bad is not None else None,
        )
        if length is None:
            length = len(vector)
        expect(
            len(vector) == length,
            "embeddings.vector-length",
            "vectors have different lengths",
            path=f"{path}.embedding",
            expected=length,
            received=len(vector),
        )
        if dimensions is not None:
            expect(
                len(vector) == dimensions,
                "embeddings.dimensions",
                "vector length differs from dimensions",
                path=f"{path}.embedding",
                expected=dimensions,
                received=len(vector),
            )
    usage = _obj(body.get("usage"), "embeddings.usage", "usage", "usage")
    prompt = _count(usage, "prompt_tokens", "embeddings.usage", "usage")
    total = _count(usage, "total_tokens", "embeddings.usage", "usage")
    expect(
        prompt == total and total > 0,
        "embeddings.usage",
        "usage is not prompt_tokens == total_tokens > 0",
        path="usage",
        received=usage,
    )


def embedding_base64_matches(b64_body: Mapping, float_body: Mapping, *, tol: float = 1e-6) -> None:
    """Promises ``embeddings.base64.decodes`` and ``embeddings.base64.matches``: the same inputs requested
    with
    ``encoding_format="base64"`` and ``"float"`` give the same vectors (float32 rounding within ``tol``)."""
    b64_data = b64_body.get("data") if isinstance(b64_body, Mapping) else None
    float_data = float_body.get("data") if isinstance(float_body, Mapping) else None
    expect(
        isinstance(b64_data, list) and isinstance(float_data, list),
        "embeddings.base64.matches",
        "a body has no data list",
        path="data",
        received=[type(b64_data).__name__, type(float_data).__name__],
    )
    expect(
        len(b64_data) == len(float_data),
        "embeddings.base64.matches",
        "different number of embeddings",
        path="data",
        expected=len(float_data),
        received=len(b64_data),
    )
    for i, (b, f) in enumerate(zip(b64_data, float_data)):
        raw = b.get("embedding") if isinstance(b, Mapping) else None
        vec = decode_base64_embedding(raw)
        ref = f.get("embedding") if isinstance(f, Mapping) else None
        expect(
            isinstance(ref, list) and len(vec) == len(ref),
            "embeddings.base64.matches",
            "decoded vector length differs from the float vector",
            path=f"data[{i}].embedding",
            expected=len(ref) if isinstance(ref, list) else ref,
            received=len(vec),
        )
        for k, (x, y) in enumerate(zip(vec, ref)):
            expect(
                _is_num(y) and abs(x - y) <= tol,
                "embeddings.base64.matches",
                "decoded value differs from the float value",
                path=f"data[{i}].embedding[{k}]",
                expected=y,
                received=x,
            )


# ------------------------------------------------------------------------------------------ MCP


def _items(body: Any, itype: str) -> list[tuple[int, Mapping]]:
    output = body.get("output") if isinstance(body, Mapping) else None
    output = output if isinstance(output, list) else []
    return [(i, it) for i, it in enumerate(output) if isinstance(it, Mapping) and it.get("type") == itype]


def _items_any(body: Any) -> list[tuple[int, Mapping]]:
    output = body.get("output") if isinstance(body, Mapping) else None
    return [
        (i, it) for i, it in enumerate(output if isinstance(output, list) else []) if isinstance(it, Mapping)
    ]


def _listed_tools(body: Mapping, server_label: str) -> set[str]:
    """Names from the body's mcp_list_tools item(s) for ``server_label`` (promise ``mcp.list-tools``)."""
    lists = [(i, it) for i, it in _items(body, "mcp_list_tools") if it.get("server_label") == server_label]
    expect(
        lists,
        "mcp.list-tools",
        f"no mcp_list_tools item for server_label {server_label!r}",
        path="output",
        expected=server_label,
        received=[it.get("server_label") for _, it in _items(body, "mcp_list_tools")],
    )
    names: set[str] = set()
    for i, it in lists:
        tools = it.get("tools")
        expect(
            isinstance(tools, list) and tools,
            "mcp.list-tools",
            "mcp_list_tools has no tools",
            path=f"output[{i}].tools",
            received=it.get("error") or tools,
        )
        for k, tool in enumerate(tools):
            ok = (
                isinstance(tool, Mapping)
                and isinstance(tool.get("name"), str)
                and tool["name"]
                and isinstance(tool.get("input_schema"), Mapping)
            )
            expect(
                ok,
                "mcp.list-tools",
                "listed tool lacks a name or an input_schema object",
                path=f"output[{i}].tools[{k}]",
                received=tool,
            )
            names.add(tool["name"])
    return names


def _tool_reference(
    item: Mapping, path: str, server_label: str, listed: set[str], what: str, promises: tuple[str, str, str]
) -> None:
    """An item that refers to an MCP tool (a call, an approval request): the tool's server_label, a tool name
    mcp_list_tools listed, and arguments that parse as a JSON object. ``promises``: label, name, arguments."""
    label_p, name_p, args_p = promises
    expect(
        item.get("server_label") == server_label,
        label_p,
        f"{what} has another server_label",
        path=f"{path}.server_label",
        expected=server_label,
        received=item.get("server_label"),
    )
    expect(
        item.get("name") in listed,
        name_p,
        f"{what} names a tool mcp_list_tools did not list",
        path=f"{path}.name",
        expected=sorted(listed),
        received=item.get("name"),
    )
    _json_object(item.get("arguments"), args_p, f"{what}.arguments", f"{path}.arguments")


def _mcp_call(item: Mapping, path: str, server_label: str, listed: set[str]) -> None:
    _tool_reference(
        item,
        path,
        server_label,
        listed,
        "mcp_call",
        ("mcp.call.server-label", "mcp.call.tool-listed", "mcp.call.arguments-json"),
    )
    expect(
        item.get("output") is not None or item.get("error") is not None,
        "mcp.call.result",
        "mcp_call has neither output nor error",
        path=path,
        received=item,
    )


def mcp_output(body: Mapping, *, server_label: str, require_approval: Any = "never") -> None:
    """The output of a Responses call with an MCP tool.

    Promises: ``mcp.list-tools``, ``mcp.call.server-label``, ``mcp.call.tool-listed``,
    ``mcp.call.arguments-json``,
    ``mcp.call.result``, and by ``require_approval``: ``"never"`` -> ``mcp.approval.not-requested``;
    ``"always"`` -> ``mcp.approval.request`` and ``mcp.approval.no-call-before``; a filter object -> whatever
    approval requests appear are well-formed (``mcp.approval.request``).
    Sources: [seed] responses.create() with MCP server tool; [oai] MCPListTools, MCPToolCall,
    MCPApprovalRequest.
    """
    listed = _listed_tools(body, server_label)
    calls = _items(body, "mcp_call")
    requests = _items(body, "mcp_approval_request")
    if require_approval == "never":
        expect(
            not requests,
            "mcp.approval.not-requested",
            'approval requested although require_approval is "never"',
            path=f"output[{requests[0][0]}]" if requests else None,
        )
    else:
        if require_approval == "always":
            expect(
                requests,
                "mcp.approval.request",
                "no mcp_approval_request although approval is required",
                path="output",
                received=[it.get("type") for _, it in _items_any(body)],
            )
            expect(
                not calls,
                "mcp.approval.no-call-before",
                "mcp_call ran before approval",
                path=f"output[{calls[0][0]}]" if calls else None,
            )
        for i, req in requests:
            _approval_request(req, f"output[{i}]", server_label, listed)
    for i, call in calls:
        _mcp_call(call, f"output[{i}]", server_label, listed)


def _approval_request(req: Mapping, path: str, server_label: str, listed: set[str]) -> None:
    P = "mcp.approval.request"
    expect(
        isinstance(req.get("id"), str) and req["id"],
        P,
        "approval request has no id",
        path=f"{path}.id",
        received=req.get("id"),
    )
    _tool_reference(req, path, server_label, listed, "approval request", (P, P, P))


def mcp_approval_followup(first_body: Mapping, second_body: Mapping, approval_request_id: str) -> None:
    """The response to an ``mcp_approval_response`` (approve=True) sent with previous_response_id=first.id.

    Promises: ``mcp.approval.request`` (the approved id is a request of the first body),
    ``mcp.approval.previous-response``, ``mcp.approval.call-matches``, and the ``mcp.call.*`` shape promises
    for
    the executed call (tools listed in the first body: the follow-up need not list them again).
    Sources: [oai] MCPApprovalRequest, MCPToolCall.approval_request_id (absent in [azure]; checked when sent).
    """
    req = next(
        (it for _, it in _items(first_body, "mcp_approval_request") if it.get("id") == approval_request_id),
        None,
    )
    expect(
        req is not None,
        "mcp.approval.request",
        "the approved id is not an approval request of the first body",
        path="output",
        expected=approval_request_id,
        received=[it.get("id") for _, it in _items(first_body, "mcp_approval_request")],
    )
    first_id = first_body.get("id") if isinstance(first_body, Mapping) else None
    prev = second_body.get("previous_response_id") if isinstance(second_body, Mapping) else None
    expect(
        prev == first_id and prev is not None,
        "mcp.approval.previous-response",
        "previous_response_id is not the first response's id",
        path="previous_response_id",
        expected=first_id,
        received=prev,
    )
    calls = _items(second_body, "mcp_call")
    expect(
        calls,
        "mcp.approval.call-matches",
        "the follow-up has no mcp_call",
        path="output",
        received=[it.get("type") for _, it in _items_any(second_body)],
    )
    i, call = next(
        ((i, c) for i, c in calls if c.get("approval_request_id") == approval_request_id), calls[0]
    )
    for key in ("name", "server_label"):
        expect(
            call.get(key) == req.get(key),
            "mcp.approval.call-matches",
            f"mcp_call {key} differs from the request",
            path=f"output[{i}].{key}",
            expected=req.get(key),
            received=call.get(key),
        )
    arid = call.get("approval_request_id")
    expect(
        arid is None or arid == approval_request_id,
        "mcp.approval.call-matches",
        "mcp_call.approval_request_id is not the approved request",
        path=f"output[{i}].approval_request_id",
        expected=approval_request_id,
        received=arid,
    )
    label = req.get("server_label")
    listed = {
        t.get("name")
        for _, it in _items(first_body, "mcp_list_tools")
        if it.get("server_label") == label
        for t in it.get("tools") or []
        if isinstance(t, Mapping)
    }
    listed |= {
        t.get("name")
        for _, it in _items(second_body, "mcp_list_tools")
        if it.get("server_label") == label
        for t in it.get("tools") or []
        if isinstance(t, Mapping)
    }
    _mcp_call(call, f"output[{i}]", label, listed)


# ------------------------------------------------------------------------------------------ errors, ids


def error_body(body: Any, status: int) -> None:
    """An error response: HTTP status >= 400 with ``{"error": {...}}``.

    Promises: ``error.status``, ``error.envelope``, ``error.message``, ``error.code`` (string or null; Azure
    sends null or numeric strings such as ``"401"``), ``error.inner-error`` (``innererror``/``inner_error``
    an object).
    Sources: [seed] Error codes table; [oai] ErrorResponse/Error; [azure] AzureErrorResponse.
    """
    expect(
        _is_int(status) and status >= 400,
        "error.status",
        "error envelope with a non-error HTTP status",
        expected=">= 400",
        received=status,
    )
    err = body.get("error") if isinstance(body, Mapping) else None
    expect(
        isinstance(err, Mapping),
        "error.envelope",
        'body is not {"error": {...}}',
        path="error",
        received=body,
    )
    message = err.get("message")
    expect(
        isinstance(message, str) and message.strip(),
        "error.message",
        "error.message is not a non-empty string",
        path="error.message",
        received=message,
    )
    code = err.get("code")
    expect(
        code is None or isinstance(code, str),
        "error.code",
        "error.code is neither a string nor null",
        path="error.code",
        received=code,
    )
    for key in ("innererror", "inner_error"):
        if key in err and err[key] is not None:
            expect(
                isinstance(err[key], Mapping),
                "error.inner-error",
                f"error.{key} is not an object",
                path=f"error.{key}",
                received=err[key],
            )


def _header(headers: Any, name: str) -> str | None:
    """Case-insensitive header lookup in a mapping (values may be lists, as in cassettes) or in pairs."""
    if isinstance(headers, Mapping) or hasattr(headers, "items"):
        pairs: Iterable = headers.items()
    elif isinstance(headers, (list, tuple)):
        pairs = [p for p in headers if isinstance(p, (list, tuple)) and len(p) == 2]
    else:
        pairs = ()
    for key, value in pairs:
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if str(key).lower() == name:
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            return value
    return None


def request_ids(headers: Any, sdk_request_id: Any, *, azure: bool = True, status: int | None = None) -> None:
    """Request-id headers.

    Promises: ``request-id.x-request-id`` (present, non-empty), ``request-id.sdk`` (the SDK's ``_request_id``
    equals it; [seed] Request IDs), ``request-id.apim`` (under Azure; [azure] declares ``apim-request-id``).

    ``status`` is the answer's HTTP status. An error answer (>= 400) may leave x-request-id out: the docs promise
    ``_request_id`` on returned objects only, and real Azure v1 400/401/404 answers carry apim-request-id but no
    x-request-id (issue 12). The SDK must then invent nothing (its request id is None); an x-request-id that is
    present must still be non-empty and equal the SDK's. Success answers (status None or < 400) always need it.
    """
    xid = _header(headers, "x-request-id")
    if not (xid is None and status is not None and status >= 400):
        expect(
            isinstance(xid, str) and xid.strip(),
            "request-id.x-request-id",
            "no x-request-id header",
            path="headers.x-request-id",
            received=xid,
        )
    expect(
        sdk_request_id == xid,
        "request-id.sdk",
        "SDK _request_id differs from the x-request-id header",
        path="_request_id",
        expected=xid,
        received=sdk_request_id,
    )
    if azure:
        apim = _header(headers, "apim-request-id")
        expect(
            isinstance(apim, str) and apim.strip(),
            "request-id.apim",
            "no apim-request-id header",
            path="headers.apim-request-id",
            received=apim,
        )
