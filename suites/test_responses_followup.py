"""Responses API follow-up calls on a stored response: the Azure OpenAI v1 spec's paths
``GET /responses/{response_id}``, ``GET /responses/{response_id}/input_items`` and
``DELETE /responses/{response_id}`` (azure-v1-v1-generated.json), made as the openai SDK documents them:
``client.responses.retrieve(id)``, ``client.responses.input_items.list(id)``, ``client.responses.delete(id)``.

Each test first creates a stored response (``store`` defaults to true; the cap keeps it cheap), then makes the
follow-up call and checks it in layers: wire, schema, the follow-up's invariants and the SDK's result.
"""

from aoai_conformance import layers
from aoai_conformance.documented import responses_followup
from aoai_conformance.plugin import documented

SPEC = "azure-v1-v1-generated.json"
MAX_OUTPUT_TOKENS = 16  # Azure's minimum: the follow-up calls generate nothing, the stored response little
INPUT = "This is a test."


def _stored(aoai):
    model = aoai.deployment("responses")
    ex = aoai.create("responses", model=model, input=INPUT, store=True, max_output_tokens=MAX_OUTPUT_TOKENS)
    layers.response(aoai, ex, model=model)
    return ex.body, model


@documented("responses.retrieve", "GET /responses/{response_id}", capability="responses", doc=SPEC)
def test_responses_retrieve(aoai):
    """responses.retrieve(id) returns the stored response as it was created"""
    created, model = _stored(aoai)
    ex = aoai.create("responses", method="retrieve", response_id=created["id"])
    responses_followup.check(aoai, ex, "responses_retrieve", created=created, model=model)


@documented(
    "responses.input_items.list",
    "GET /responses/{response_id}/input_items",
    capability="responses",
    doc=SPEC,
)
def test_responses_input_items_list(aoai):
    """responses.input_items.list(id) lists the stored response's input items with ids"""
    created, _ = _stored(aoai)
    ex = aoai.create("responses.input_items", method="list", response_id=created["id"])
    responses_followup.check(aoai, ex, "responses_input_items")


@documented("responses.delete", "DELETE /responses/{response_id}", capability="responses", doc=SPEC)
def test_responses_delete(aoai):
    """responses.delete(id) deletes the stored response: a retrieve then answers 404 NotFoundError"""
    created, _ = _stored(aoai)
    ex = aoai.create("responses", method="delete", response_id=created["id"])
    responses_followup.check(aoai, ex, "responses_delete", response_id=created["id"])
    after = aoai.create("responses", method="retrieve", response_id=created["id"], expect_error=True)
    layers.status_error(aoai, after, 404)
    responses_followup.gone(after)
