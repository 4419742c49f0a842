"""The Responses follow-up routes on a stored response: ``GET /responses/{id}/input_items`` (the items the
response was created from) and ``DELETE /responses/{id}`` (Azure's 200 ``{object: "response.deleted", id,
deleted: true}``). ``GET /responses/{id}`` stays with ``standin/responses.py`` (the store it reads).

The input items are kept per stand-in instance, keyed by the response id, when a stored response is created.
"""

from __future__ import annotations

from typing import Any, Optional

from . import responses
from .reply import Reply, ReplyError, json_reply


class Inputs:
    """response id -> its input items (as ``GET .../input_items`` lists them, oldest first)."""

    def __init__(self) -> None:
        self._items: dict[str, list[dict]] = {}

    def remember(self, body: Any, reply: Reply) -> None:
        """After ``POST /responses``: keep a stored response's input items."""
        response = reply.body
        if reply.events:  # a stream: the terminal event carries the response
            last = reply.events[-1]
            response = last.get("response") if isinstance(last, dict) else None
        if reply.status != 200 or not isinstance(body, dict) or not isinstance(response, dict):
            return
        if not response.get("store") or not isinstance(response.get("id"), str):
            return
        self._items[response["id"]] = _items(response["id"], body.get("input"))

    def get(self, rid: str) -> list[dict]:
        return self._items.get(rid, [])

    def forget(self, rid: str) -> None:
        self._items.pop(rid, None)


def _items(rid: str, value: Any) -> list[dict]:
    given = [{"role": "user", "content": value}] if isinstance(value, str) else value
    out = []
    for i, item in enumerate(given if isinstance(given, list) else []):
        if not isinstance(item, dict):
            continue
        item = dict(item)
        if item.get("type", "message") == "message":
            content = item.get("content")
            if isinstance(content, str):
                content = [{"type": "input_text", "text": content}]
            item.update(type="message", status="completed", content=content)
        item.setdefault("id", f"msg_{rid.removeprefix('resp_')}{i:02d}")
        out.append(item)
    return out


def handle(ctx, inputs: Inputs, method: str, rest: str) -> Optional[Reply]:
    """``rest`` is the path after /openai/v1/responses; None: not a follow-up route of this module."""
    parts = rest.strip("/").split("/")
    if method == "GET" and len(parts) == 2 and parts[1] == "input_items":
        if ctx.store.get(parts[0]) is None:
            raise ReplyError(responses._response_not_found(parts[0]))
        data = list(reversed(inputs.get(parts[0])))  # order defaults to "desc"
        return json_reply(
            {
                "object": "list",
                "data": data,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
                "has_more": False,
            }
        )
    if method == "DELETE" and len(parts) == 1 and parts[0]:
        if not ctx.store.delete(parts[0]):
            raise ReplyError(responses._response_not_found(parts[0]))
        inputs.forget(parts[0])
        return json_reply({"id": parts[0], "object": "response.deleted", "deleted": True})
    return None
