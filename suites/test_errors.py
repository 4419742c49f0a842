"""Error handling: 000_618f909ca6807cc5.txt, sections "Fine-tuning", "Error handling" and "Error codes".

The documented example (``client.fine_tuning.jobs.create(model="gpt-4o", training_file="file-test")``
inside an ``except APIConnectionError / RateLimitError / APIStatusError`` chain) is made as written. Each row
of the Error codes table is then triggered for real where a service can be made to give it (an invalid
parameter, a wrong credential, an unknown deployment, a port where nothing listens) and by fault injection
where it cannot (403, 422, 429, >=500). Every error is checked in layers: the exception class the table names
and its ``status_code`` / ``response``, the raw answer (JSON, Azure headers), the error body (invariants and
schema), and ``e.request_id`` against the ``x-request-id`` header (Azure error answers carry request ids too).
"""

import pytest

from aoai_conformance import faultproxy, layers, wire
from aoai_conformance.auth import wrong_credential
from aoai_conformance.checks import expect
from aoai_conformance.plugin import documented

SECTION = "Error handling / Error codes"
MESSAGES = [{"role": "user", "content": "When was Microsoft founded?"}]
MAX_TOKENS = 16  # a call that unexpectedly succeeds must stay cheap
NO_RETRIES = {"max_retries": 0}  # one attempt per error: retries would multiply answers and time
UNKNOWN_DEPLOYMENT = "aoai-conformance-no-such-deployment"


def failing_chat(aoai, *, model: str | None = None, options: dict = NO_RETRIES, **kwargs):
    """A small chat call expected to fail (one attempt: retries would multiply answers and time)."""
    return aoai.create(
        "chat.completions",
        model=model or aoai.deployment("chat"),
        messages=MESSAGES,
        max_tokens=MAX_TOKENS,
        options=options,
        expect_error=True,
        **kwargs,
    )


def injected(aoai, code: int) -> None:
    """One chat call meeting an injected ``code``; the fault proxy writes an Azure-shaped body for it."""
    aoai.inject([faultproxy.status(code)])
    ex = failing_chat(aoai)
    # The body is the proxy's Azure-shaped one whatever the target, so it is checked as Azure's.
    layers.status_error(aoai, ex, code, body_profile="azure")
    wire.credentials(aoai)


# --- the documented example -----------------------------------------------------------------------------
@documented("fine_tuning.jobs.create (error example)", "Error handling", capability="fine_tuning")
def test_fine_tuning_job_error_example(aoai):
    """the documented fine-tuning call with training_file="file-test" raises an APIStatusError"""
    ex = aoai.create("fine_tuning.jobs", model="gpt-4o", training_file="file-test", expect_error=True)
    err = ex.error
    if ex.status == 429 and aoai.live:
        pytest.skip("throttled: 429 on the fine-tuning example")
    layers.caught_by(err, "APIStatusError")
    # The branch prints e.status_code and e.response.
    expect(
        isinstance(err.status_code, int) and err.status_code >= 400,
        "errors.status-code",
        "e.status_code is not an HTTP error status",
        received=err.status_code,
    )
    layers.status_error(aoai, ex, err.status_code)
    wire.credentials(aoai)


# --- the Error codes table, triggered for real ------------------------------------------------------------
@documented("error code 400 BadRequestError", SECTION, capability="errors")
def test_invalid_parameter_raises_bad_request_error(aoai):
    """an invalid parameter (temperature=5) raises BadRequestError with status_code 400"""
    ex = failing_chat(aoai, temperature=5)
    layers.status_error(aoai, ex, 400)
    wire.credentials(aoai)


@documented("error code 401 AuthenticationError", SECTION, capability="errors")
def test_wrong_credential_raises_authentication_error(aoai):
    """a wrong API key (or Entra token provider) raises AuthenticationError with status_code 401"""
    api_key, sent = wrong_credential(aoai.auth, aoai.is_async, aoai.target.token_scope)
    ex = failing_chat(aoai, options={**NO_RETRIES, "api_key": api_key})
    layers.credential_sent(aoai, sent)
    layers.status_error(aoai, ex, 401)


@documented("error code 404 NotFoundError", SECTION, capability="errors")
def test_unknown_deployment_raises_not_found_error(aoai):
    """an unknown deployment name as model raises NotFoundError with status_code 404"""
    ex = failing_chat(aoai, model=UNKNOWN_DEPLOYMENT)
    layers.status_error(aoai, ex, 404)
    wire.credentials(aoai)


@documented("error code N/A APIConnectionError", SECTION, capability="errors")
def test_connection_refused_raises_api_connection_error(aoai):
    """a base_url where nothing listens raises APIConnectionError, with the cause in __cause__"""
    ex = failing_chat(aoai, options={**NO_RETRIES, "base_url": faultproxy.closed_port_url()})
    layers.connection_error(ex.error)


# --- the Error codes table, by fault injection ------------------------------------------------------------
@documented("error code 403 PermissionDeniedError", SECTION, capability="errors")
def test_status_403_raises_permission_denied_error(aoai):
    """an HTTP 403 answer raises PermissionDeniedError with status_code 403"""
    injected(aoai, 403)


@documented("error code 422 UnprocessableEntityError", SECTION, capability="errors")
def test_status_422_raises_unprocessable_entity_error(aoai):
    """an HTTP 422 answer raises UnprocessableEntityError with status_code 422"""
    injected(aoai, 422)


@documented("error code 429 RateLimitError", SECTION, capability="errors")
def test_status_429_raises_rate_limit_error(aoai):
    """an HTTP 429 answer raises RateLimitError, caught by the documented 'except openai.RateLimitError'"""
    injected(aoai, 429)
    layers.caught_by(aoai.exchanges[-1].error, "RateLimitError")


@documented("error code >=500 InternalServerError", SECTION, capability="errors")
@pytest.mark.parametrize("code", [500, 502, 503])
def test_status_5xx_raises_internal_server_error(aoai, code):
    """HTTP 500, 502 and 503 answers raise InternalServerError with their status_code"""
    injected(aoai, code)
