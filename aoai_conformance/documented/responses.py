"""The Response body (create, retrieve, a stream's terminal response): status, items, usage, echoes, output_text.

Sources cited in the docstrings (``[seed]``, ``[oai]``, ``[azure]``): see ``documented/__init__.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .. import checks, schemas, sdk, wire
from ..checks import expect
from ..core import Context, Exchange
from . import registry, request_ids
from ._shapes import _count, _detail_le, _is_num, _list, _obj, _object_and_id

__all__ = [
    "PROMISES",
    "ROW",
    "RESPONSE_STATUSES",
    "INCOMPLETE_REASONS",
    "OUTPUT_ITEM_TYPES",
    "ITEM_STATUSES",
    "MCP_CALL_STATUSES",
    "check",
    "output_text",
    "response_body",
    "response_echoes",
    "response_output_text_matches_sdk",
]

ROW = registry.by_kind("responses")  # its schema names and SDK type

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
    "responses.max-output-tokens": (
        'incomplete for "max_output_tokens": output_tokens (reasoning included) <= the requested max_output_tokens'
    ),
    "responses.output-text.sdk": "the SDK's response.output_text equals the concatenated output_text parts",
}

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

# Output item type -> the prefix of its id ([seed] msg_…; [oai] reasoning items rs_…).
_ITEM_ID_PREFIXES = {"message": "msg_", "reasoning": "rs_"}


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


def response_body(
    body: Any, *, expect_model: str | None = None, max_output_tokens: int | None = None
) -> None:
    """A Responses API body (create, retrieve, or the ``response`` of a stream event).

    Promises: ``responses.object``, ``responses.id-prefix``, ``responses.status-enum``,
    ``responses.created-at``, ``responses.model`` (only with ``expect_model``), ``responses.item.type-known``,
    ``responses.item.message-id-prefix``, ``responses.item.reasoning-id-prefix``,
    ``responses.item.status-enum``,
    ``responses.usage.present``, ``responses.usage.sum``, ``responses.usage.reasoning-le-output``,
    ``responses.usage.cached-le-input``, ``responses.incomplete-details``, ``responses.max-output-tokens``
    (only with ``max_output_tokens``: the cap counts reasoning tokens too, [oai] max_output_tokens; Azure and
    OpenAI stop at exactly the cap, corpus/mirascope-mirascope.har #28, corpus/openai-openai-dotnet.har #13).
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
        itype: Any = item.get("type")
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
        out_tokens = usage.get("output_tokens") if isinstance(usage, Mapping) else None
        if max_output_tokens is not None and reason == "max_output_tokens" and out_tokens is not None:
            expect(
                out_tokens <= max_output_tokens,
                "responses.max-output-tokens",
                "output_tokens exceed the requested max_output_tokens",
                path="usage.output_tokens",
                expected=f"<= {max_output_tokens}",
                received=out_tokens,
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


# --- the check bundle: every layer of the call ------------------------------------------------------------
def check(
    aoai: Context, ex: Exchange, *, model: str | None = None, max_output_tokens: int | None = None
) -> Any:
    """A Responses body, all layers; returns the SDK's Response."""
    wire.common(ex, aoai)
    schemas.check(ex.body, ROW.schema, profile=aoai.profile)
    response_body(ex.body, expect_model=model, max_output_tokens=max_output_tokens)
    result = sdk.parsed(ex, ROW.sdk_type)
    response_output_text_matches_sdk(ex.body, result.output_text)  # the docs print it
    request_ids.check(aoai, ex)
    return result
