"""The Responses follow-up calls on a stored response: retrieve, input_items.list, delete.

Azure v1 spec ``[azure]``: ``GET /responses/{response_id}`` answers an AzureResponse, ``GET
/responses/{response_id}/input_items`` an OpenAI.ResponseItemList (object "list", data, has_more, first_id,
last_id, all required), ``DELETE /responses/{response_id}`` a 200 ``{object: "response.deleted", id, deleted:
true}``; a deleted response is gone (the SDK raises NotFoundError). The openai SDK's ``responses.delete``
returns None, ``responses.input_items.list`` a cursor page of ResponseItem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import openai

from .. import schemas, wire
from ..checks import expect
from ..core import Context, Exchange
from . import registry, request_ids, responses

__all__ = ["PROMISES", "ROWS", "check", "delete_body", "gone", "input_items_body", "retrieved_matches"]

ROWS = {
    kind: registry.by_kind(kind)
    for kind in ("responses_retrieve", "responses_input_items", "responses_delete")
}

PROMISES: dict[str, str] = {
    "responses.retrieve.same": "a retrieved response has the stored response's id, object, status and output",
    "responses.input-items.object": 'an input item list has object == "list" and a data array',
    "responses.input-items.ids": "every input item has a string id",
    "responses.input-items.first-last": "first_id and last_id are the ids of the first and last data items",
    "responses.input-items.has-more": "has_more is a boolean",
    "responses.input-items.sdk": "the SDK's page holds the listed items, in order",
    "responses.delete.body": 'a delete answers {object: "response.deleted", id: <the id>, deleted: true}',
    "responses.delete.gone": "a deleted response is gone: retrieving it answers 404 (NotFoundError)",
}

SAME_FIELDS = ("id", "object", "status", "output")


def retrieved_matches(body: Any, created: Mapping) -> None:
    """[azure] GET /responses/{response_id}: the stored response, as it was created."""
    for field in SAME_FIELDS:
        got = body.get(field) if isinstance(body, Mapping) else None
        expect(
            got == created.get(field),
            "responses.retrieve.same",
            f"retrieved response's {field} differs from the created one's",
            path=field,
            expected=created.get(field),
            received=got,
        )


def input_items_body(body: Any) -> list:
    """[azure] OpenAI.ResponseItemList: object "list", data, has_more, first_id, last_id."""
    data = body.get("data") if isinstance(body, Mapping) else None
    expect(
        isinstance(body, Mapping) and body.get("object") == "list" and isinstance(data, list),
        "responses.input-items.object",
        'an input item list is {"object": "list", "data": [...]}',
        received=body.get("object") if isinstance(body, Mapping) else type(body).__name__,
    )
    if not isinstance(body, Mapping) or not isinstance(data, list):  # the expect above raised
        return []
    ids = [item.get("id") if isinstance(item, Mapping) else None for item in data]
    for i, iid in enumerate(ids):
        expect(
            isinstance(iid, str) and iid != "",
            "responses.input-items.ids",
            f"data[{i}] has no id",
            received=iid,
        )
    if ids:
        for field, want in (("first_id", ids[0]), ("last_id", ids[-1])):
            expect(
                body.get(field) == want,
                "responses.input-items.first-last",
                f"{field} is not the id of the {field.split('_')[0]} data item",
                path=field,
                expected=want,
                received=body.get(field),
            )
    expect(
        isinstance(body.get("has_more"), bool),
        "responses.input-items.has-more",
        "has_more is not a boolean",
        received=body.get("has_more"),
    )
    return data


def delete_body(body: Any, response_id: str | None) -> None:
    """[azure] DELETE /responses/{response_id}: 200 {object: "response.deleted", id, deleted: true}."""
    ok = (
        isinstance(body, Mapping)
        and body.get("object") == "response.deleted"
        and body.get("deleted") is True
        and isinstance(body.get("id"), str)
        and (response_id is None or body.get("id") == response_id)
    )
    expect(
        ok,
        "responses.delete.body",
        "the delete answer is not the documented deleted object",
        expected={"object": "response.deleted", "id": response_id, "deleted": True},
        received=body,
    )


def gone(ex: Exchange) -> None:
    """A retrieve after delete: 404, raised by the SDK as NotFoundError."""
    status, error = getattr(ex, "status", None), getattr(ex, "error", None)
    expect(
        status == 404 and isinstance(error, openai.NotFoundError),
        "responses.delete.gone",
        f"a retrieve of a deleted response answered {status} ({type(error).__name__})",
        expected="404 NotFoundError",
        received=f"{status} {type(error).__name__}",
    )


def _sdk_items(ex: Exchange, data: list) -> None:
    page, error = getattr(ex, "sdk", None), getattr(ex, "sdk_error", None)
    got = [getattr(item, "id", None) for item in (getattr(page, "data", None) or [])]
    want = [item.get("id") if isinstance(item, Mapping) else None for item in data]
    expect(
        page is not None and got == want,
        "responses.input-items.sdk",
        f"the SDK's page holds other items than the body{f': {error!r}' if error else ''}",
        expected=want,
        received=got,
    )


def _request_ids(aoai: Context, ex: Exchange) -> None:
    """Neither a page nor None carries ``_request_id``: the headers are checked as for a stream."""
    if not ex.headers_recorded:
        wire.not_recorded("the request-id headers", ex.call)
        return
    request_ids.request_ids(ex.headers, ex.headers.get("x-request-id"), azure=aoai.azure, status=ex.status)


def check(
    aoai: Context,
    ex: Exchange,
    kind: str,
    *,
    created: Mapping | None = None,
    response_id: str | None = None,
    model: str | None = None,
) -> Any:
    """One follow-up answer (``kind``: a row of ROWS), all layers; returns the SDK's result."""
    if kind == "responses_retrieve":
        result = responses.check(aoai, ex, model=model)
        if created is not None:
            retrieved_matches(ex.body, created)
        return result
    row = ROWS[kind]
    wire.common(ex, aoai)
    if kind == "responses_input_items":
        schemas.check(ex.body, row.schemas[0], profile=aoai.profile)
        data = input_items_body(ex.body)
        _sdk_items(ex, data)
    else:
        delete_body(ex.body, response_id)
    _request_ids(aoai, ex)
    return ex.sdk
