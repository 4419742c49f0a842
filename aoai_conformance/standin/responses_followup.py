"""The Responses follow-up routes on a stored response (``standin/responses.py``'s store): ``GET
/responses/{id}`` (the response as it was created), ``GET /responses/{id}/input_items`` (the items the response
was created from) and ``DELETE /responses/{id}`` (Azure's 200 ``{object: "response.deleted", id, deleted:
true}``).

The store keeps each stored response's request ``input`` as sent; the listing builds the items from it.
"""

from __future__ import annotations

from typing import Any

from . import common as c
from .reply import Reply, ReplyError, json_reply
from .responses import response_not_found


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


def retrieve_route(req: c.Request) -> Reply:
    """GET /responses/{response_id}: the stored response as it was created."""
    stored = req.ctx.store.get(req.params["response_id"])
    if stored is None:
        raise ReplyError(response_not_found(req.params["response_id"]))
    return json_reply(stored["response"])


def input_items_route(req: c.Request) -> Reply:
    """GET /responses/{response_id}/input_items: newest first (``order`` defaults to "desc")."""
    rid = req.params["response_id"]
    stored = req.ctx.store.get(rid)
    if stored is None:
        raise ReplyError(response_not_found(rid))
    data = list(reversed(_items(rid, stored.get("input"))))
    return json_reply(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": False,
        }
    )


def delete_route(req: c.Request) -> Reply:
    """DELETE /responses/{response_id}: Azure's response.deleted body; the response is gone afterwards."""
    rid = req.params["response_id"]
    if not req.ctx.store.delete(rid):
        raise ReplyError(response_not_found(rid))
    return json_reply({"id": rid, "object": "response.deleted", "deleted": True})
