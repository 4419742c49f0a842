"""The Responses event stream the stand-in sends for ``POST /responses`` with ``stream: true``: built from the
finished response body, so the streamed and the plain answer are the same response."""

from __future__ import annotations

import copy

from . import common as c


def stream_events(response: dict, ids: c.Ids) -> list[dict]:
    """OpenAI's Responses event sequence (sequence_number from 0), ending in response.completed (or
    response.incomplete when max_output_tokens cut the answer)."""
    events: list[dict] = []

    def emit(kind: str, **fields):
        events.append({"type": kind, "sequence_number": len(events), **fields})

    snapshot = copy.deepcopy(response)
    snapshot.update(status="in_progress", output=[], usage=None, incomplete_details=None)
    emit("response.created", response=copy.deepcopy(snapshot))
    emit("response.in_progress", response=copy.deepcopy(snapshot))
    for oi, item in enumerate(response["output"]):
        kind, iid = item["type"], item["id"]
        if kind == "message":
            emit(
                "response.output_item.added",
                output_index=oi,
                item={**item, "content": [], "status": "in_progress"},
            )
            for ci, part in enumerate(item["content"]):
                emit(
                    "response.content_part.added",
                    item_id=iid,
                    output_index=oi,
                    content_index=ci,
                    part={**part, "text": ""},
                )
                for piece in c.pieces(part["text"]):
                    emit(
                        "response.output_text.delta",
                        item_id=iid,
                        output_index=oi,
                        content_index=ci,
                        delta=piece,
                        logprobs=[],
                        obfuscation=ids.alnum(max(1, 12 - len(piece))),
                    )
                emit(
                    "response.output_text.done",
                    item_id=iid,
                    output_index=oi,
                    content_index=ci,
                    text=part["text"],
                    logprobs=[],
                )
                emit(
                    "response.content_part.done",
                    item_id=iid,
                    output_index=oi,
                    content_index=ci,
                    part=copy.deepcopy(part),
                )
        elif kind == "mcp_list_tools":
            emit("response.output_item.added", output_index=oi, item={**item, "tools": []})
            emit("response.mcp_list_tools.in_progress", item_id=iid, output_index=oi)
            emit("response.mcp_list_tools.completed", item_id=iid, output_index=oi)
        elif kind == "mcp_call":
            emit(
                "response.output_item.added",
                output_index=oi,
                item={**item, "arguments": "", "output": None, "status": "in_progress"},
            )
            emit("response.mcp_call.in_progress", item_id=iid, output_index=oi)
            emit(
                "response.mcp_call_arguments.delta",
                item_id=iid,
                output_index=oi,
                delta=item["arguments"],
                obfuscation=ids.alnum(8),
            )
            emit(
                "response.mcp_call_arguments.done", item_id=iid, output_index=oi, arguments=item["arguments"]
            )
            emit("response.mcp_call.completed", item_id=iid, output_index=oi)
        else:  # reasoning, mcp_approval_request
            emit("response.output_item.added", output_index=oi, item=copy.deepcopy(item))
        emit("response.output_item.done", output_index=oi, item=copy.deepcopy(item))
    final = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
    emit(final, response=copy.deepcopy(response))
    return events
