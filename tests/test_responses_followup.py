"""The Responses follow-up calls (retrieve, input_items.list, delete): each promise of
documented/responses_followup has a failing case, the stand-in's routes answer as the Azure v1 spec says through
the real SDK, and `aoai-conformance check` identifies the calls by method and path."""

from __future__ import annotations

import copy

import httpx2
import openai
import pytest

from aoai_conformance.checks import ConformanceFailure
from aoai_conformance.core import Exchange
from aoai_conformance.documented import responses_followup as f
from aoai_conformance.recorded.identify import identify
from aoai_conformance.standin import StandIn

CREATED = {"id": "resp_1", "object": "response", "status": "completed", "output": [{"id": "msg_1"}]}
ITEMS = {
    "object": "list",
    "data": [{"id": "msg_2", "type": "message"}, {"id": "msg_1", "type": "message"}],
    "first_id": "msg_2",
    "last_id": "msg_1",
    "has_more": False,
}
DELETED = {"object": "response.deleted", "id": "resp_1", "deleted": True}


def _with(body: dict, **changes) -> dict:
    out = copy.deepcopy(body)
    out.update(changes)
    return out


class _Page:
    def __init__(self, ids):
        self.data = [type("Item", (), {"id": i})() for i in ids]


def _items_ex(body, sdk) -> Exchange:
    return Exchange("responses.input_items", 200, {}, b"", body, sdk=sdk)


def _gone_ex(status, error) -> Exchange:
    return Exchange("responses", status, {}, b"", None, error=error)


_404 = httpx2.Response(
    404, request=httpx2.Request("GET", "https://r.openai.azure.com/openai/v1/responses/resp_1")
)


def NotFoundError(message: str) -> openai.NotFoundError:
    return openai.NotFoundError(message, response=_404, body=None)


FAILING = [
    ("responses.retrieve.same", lambda: f.retrieved_matches(_with(CREATED, status="incomplete"), CREATED)),
    ("responses.retrieve.same", lambda: f.retrieved_matches(_with(CREATED, id="resp_2"), CREATED)),
    ("responses.retrieve.same", lambda: f.retrieved_matches(_with(CREATED, output=[]), CREATED)),
    ("responses.retrieve.same", lambda: f.retrieved_matches(_with(CREATED, object="list"), CREATED)),
    ("responses.input-items.object", lambda: f.input_items_body(_with(ITEMS, object="response"))),
    ("responses.input-items.object", lambda: f.input_items_body(_with(ITEMS, data=None))),
    ("responses.input-items.object", lambda: f.input_items_body([])),
    ("responses.input-items.ids", lambda: f.input_items_body(_with(ITEMS, data=[{"type": "message"}]))),
    ("responses.input-items.ids", lambda: f.input_items_body(_with(ITEMS, data=[{"id": ""}]))),
    ("responses.input-items.first-last", lambda: f.input_items_body(_with(ITEMS, first_id="msg_1"))),
    ("responses.input-items.first-last", lambda: f.input_items_body(_with(ITEMS, last_id=None))),
    ("responses.input-items.has-more", lambda: f.input_items_body(_with(ITEMS, has_more="false"))),
    (
        "responses.input-items.sdk",
        lambda: f._sdk_items(_items_ex(ITEMS, _Page(["msg_1", "msg_2"])), ITEMS["data"]),
    ),
    ("responses.input-items.sdk", lambda: f._sdk_items(_items_ex(ITEMS, None), [])),
    ("responses.delete.body", lambda: f.delete_body(_with(DELETED, object="response"), "resp_1")),
    ("responses.delete.body", lambda: f.delete_body(_with(DELETED, deleted="true"), "resp_1")),
    ("responses.delete.body", lambda: f.delete_body(_with(DELETED, id="resp_2"), "resp_1")),
    ("responses.delete.body", lambda: f.delete_body(_with(DELETED, id=None), None)),
    ("responses.delete.body", lambda: f.delete_body(None, None)),
    ("responses.delete.gone", lambda: f.gone(_gone_ex(200, None))),
    ("responses.delete.gone", lambda: f.gone(_gone_ex(404, RuntimeError("x")))),
    ("responses.delete.gone", lambda: f.gone(_gone_ex(404, type("NotFoundError", (Exception,), {})("x")))),
    ("responses.delete.gone", lambda: f.gone(_gone_ex(400, NotFoundError("x")))),
]


@pytest.mark.parametrize("promise,case", FAILING, ids=[f"{p}-{i}" for i, (p, _) in enumerate(FAILING)])
def test_each_promise_fails_its_broken_case(promise, case):
    with pytest.raises(ConformanceFailure) as info:
        case()
    assert info.value.promise == promise


def test_the_documented_answers_pass():
    f.retrieved_matches(copy.deepcopy(CREATED), CREATED)
    assert f.input_items_body(ITEMS) == ITEMS["data"]
    assert f.input_items_body(_with(ITEMS, data=[], first_id=None, last_id=None)) == []
    f._sdk_items(_items_ex(ITEMS, _Page(["msg_2", "msg_1"])), ITEMS["data"])
    f.delete_body(DELETED, "resp_1")
    f.delete_body(DELETED, None)
    f.gone(_gone_ex(404, NotFoundError("x")))


@pytest.mark.parametrize(
    "method,path,kind",
    [
        ("GET", "/openai/v1/responses/resp_abc", "responses_retrieve"),
        ("DELETE", "/openai/v1/responses/resp_abc", "responses_delete"),
        ("GET", "/openai/v1/responses/resp_abc/input_items?limit=5", "responses_input_items"),
        ("get", "/v1/responses/resp_abc/input_items", "responses_input_items"),
        ("POST", "/openai/v1/responses/resp_abc", None),
        ("GET", "/openai/v1/responses/resp_abc/other", None),
        ("GET", "/openai/v1/responses", None),
        ("PUT", "/openai/v1/responses/resp_abc", None),
    ],
)
def test_check_identifies_the_followup_calls_by_method_and_path(method, path, kind):
    got = identify(method, f"https://r.openai.azure.com{path}", None)
    assert got.kind == kind
    if kind is None:
        assert got.call.startswith(f"{method} /")


@pytest.fixture()
def client():
    with StandIn() as s:
        yield openai.OpenAI(api_key=s.api_key, base_url=s.base_url, max_retries=0), s


def test_standin_stores_lists_and_deletes_a_response_through_the_sdk(client):
    c, standin = client
    created = c.responses.create(model="gpt-4.1-nano", input="This is a test.", max_output_tokens=16)
    assert c.responses.retrieve(created.id).model_dump() == created.model_dump()
    page = c.responses.input_items.list(created.id)
    assert [(i.type, i.role, i.content[0].text) for i in page.data] == [
        ("message", "user", "This is a test.")
    ]
    raw = c.responses.input_items.with_raw_response.list(created.id).http_response.json()
    assert (raw["object"], raw["first_id"], raw["last_id"], raw["has_more"]) == (
        "list",
        page.data[0].id,
        page.data[-1].id,
        False,
    )
    deleted = c.responses.with_raw_response.delete(created.id)
    assert deleted.parse() is None
    assert deleted.http_response.json() == {"object": "response.deleted", "id": created.id, "deleted": True}
    for call in (c.responses.retrieve, c.responses.input_items.list, c.responses.delete):
        with pytest.raises(openai.NotFoundError):
            call(created.id)


def test_standin_keeps_no_input_items_of_an_unstored_response_and_its_store_is_per_instance(client):
    c, _ = client
    unstored = c.responses.create(model="gpt-4.1-nano", input="x", store=False, max_output_tokens=16)
    with pytest.raises(openai.NotFoundError):
        c.responses.input_items.list(unstored.id)
    stored = c.responses.create(
        model="gpt-4.1-nano", input=[{"role": "user", "content": "a"}], stream=True, max_output_tokens=16
    )
    rid = [e for e in stored if e.type in ("response.completed", "response.incomplete")][0].response.id
    assert [i.content[0].text for i in c.responses.input_items.list(rid).data] == ["a"]
    with StandIn() as other:
        fresh = openai.OpenAI(api_key=other.api_key, base_url=other.base_url, max_retries=0)
        with pytest.raises(openai.NotFoundError):
            fresh.responses.retrieve(rid)


# --- this call's part of tests/test_invariants.py's tables (SCENARIOS, MUTATIONS: a failing case per promise)
def _body(*path, value):
    def edit(kw: dict) -> None:
        target = kw["body"]
        for p in path[:-1]:
            target = target[p]
        target[path[-1]] = value

    return edit


_404 = httpx2.Response(
    404, request=httpx2.Request("GET", "https://r.openai.azure.com/openai/v1/responses/resp_1")
)

# The Responses follow-up calls (documented/responses_followup; more failing cases: tests/test_responses_f.py)
_STORED = {"id": "resp_1", "object": "response", "status": "completed", "output": [{"id": "msg_1"}]}
_ITEMS = {
    "object": "list",
    "data": [{"id": "msg_1"}],
    "first_id": "msg_1",
    "last_id": "msg_1",
    "has_more": False,
}
_PAGE = type("Page", (), {"data": [type("Item", (), {"id": "msg_1"})()]})
SCENARIOS = {
    "followup_retrieve": (
        lambda: {"body": copy.deepcopy(_STORED), "created": copy.deepcopy(_STORED)},
        f.retrieved_matches,
    ),
    "followup_items": (lambda: {"body": copy.deepcopy(_ITEMS)}, f.input_items_body),
    "followup_items_sdk": (
        lambda: {
            "ex": Exchange("responses.input_items", 200, {}, b"", _ITEMS, sdk=_PAGE()),
            "data": _ITEMS["data"],
        },
        f._sdk_items,
    ),
    "followup_delete": (
        lambda: {
            "body": {"object": "response.deleted", "id": "resp_1", "deleted": True},
            "response_id": "resp_1",
        },
        f.delete_body,
    ),
    "followup_gone": (
        lambda: {
            "ex": Exchange(
                "responses",
                404,
                {},
                b"",
                None,
                error=openai.NotFoundError("gone", response=_404, body=None),
            )
        },
        f.gone,
    ),
}
MUTATIONS = [
    ("responses.retrieve.same", "followup_retrieve", _body("output", value=[])),
    ("responses.input-items.object", "followup_items", _body("object", value="response")),
    ("responses.input-items.ids", "followup_items", _body("data", 0, "id", value=None)),
    ("responses.input-items.first-last", "followup_items", _body("last_id", value="msg_2")),
    ("responses.input-items.has-more", "followup_items", _body("has_more", value=None)),
    ("responses.input-items.sdk", "followup_items_sdk", lambda kw: setattr(kw["ex"], "sdk", None)),
    ("responses.delete.body", "followup_delete", _body("object", value="response")),
    ("responses.delete.gone", "followup_gone", lambda kw: setattr(kw["ex"], "status", 200)),
]


# --- this call's part of tests/test_schemas.py's tables (SCHEMA_VALID, SCHEMA_MUTANTS: every schema name has both)
# responses.input_items.list (the stand-in's answer, as recorded in cassettes/standin/responses_followup/)
ITEM_LIST = {
    "object": "list",
    "data": [
        {
            "id": "msg_34ec5dd57ea4be2f00",
            "type": "message",
            "role": "user",
            "status": "completed",
            "content": [{"type": "input_text", "text": "This is a test."}],
        }
    ],
    "first_id": "msg_34ec5dd57ea4be2f00",
    "last_id": "msg_34ec5dd57ea4be2f00",
    "has_more": False,
}
SCHEMA_VALID = {"response.item-list": [(("azure", "openai"), ITEM_LIST)]}
SCHEMA_MUTANTS = [
    (
        "response.item-list",
        ("azure", "openai"),
        {k: v for k, v in ITEM_LIST.items() if k != "has_more"},
        "$",
        ("'has_more'",),
    )
]
