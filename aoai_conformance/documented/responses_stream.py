"""A Responses event stream: sequence numbers, lifecycle events, item and part pairing, deltas == final text.

Sources cited in the docstrings (``[seed]``, ``[oai]``, ``[azure]``): see ``documented/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from .. import checks, schemas, sdk, wire
from ..checks import expect
from ..core import Context, StreamExchange
from . import request_ids
from ._shapes import _is_int, _obj
from .responses import output_text, response_body

__all__ = [
    "PROMISES",
    "TERMINAL_EVENTS",
    "STREAM_EVENT_TYPES",
    "check",
    "responses_stream",
    "terminal_response",
]

PROMISES: dict[str, str] = {
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
}

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
    # Indexes and ids as the events carry them (Any: off the wire, not yet checked).
    items: dict[Any, dict[str, Any]] = {}  # output_index -> {id, added, done, item}
    parts: dict[tuple[Any, Any], dict[str, Any]] = {}  # (item_id, content_index) -> {added, done, ...}
    ids: dict[Any, Any] = {}  # item id -> output_index
    deltas: dict[tuple[Any, Any], list[Any]] = {}
    text_done: dict[tuple[Any, Any], Any] = {}
    item: Any
    entry: Any
    pentry: Any
    part: Any
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


# --- the check bundle: every layer of the call ------------------------------------------------------------
def check(
    aoai: Context, sx: StreamExchange, *, model: str | None = None
) -> tuple[list[Any], Mapping[str, Any]]:
    """A Responses event stream, all layers; returns the SDK's events and the terminal response."""
    wire.common_stream(sx, aoai)
    for event in sx.data:
        schemas.check_stream_event(event, profile=aoai.profile)
    responses_stream(sx.data)
    final = terminal_response(sx.data)
    response_body(final, expect_model=model)
    final = cast("Mapping[str, Any]", final)  # response_body failed above if the stream had none
    request_ids.check_stream(aoai, sx)
    events = sdk.stream_parsed(sx)
    # The JS docs' loop: `if (event.type === 'response.output_text.delta' && event.delta) write(event.delta)`.
    printed = "".join(e.delta for e in events if e.type == "response.output_text.delta" and e.delta)
    sdk.accessor(printed, output_text(final), "the documented streaming loop's text")
    return events, final
