"""Every promise of the wire, SDK and error-table layers fails on an answer that breaks it (and only then).

Exchanges are built by hand (no server): one valid answer passes every check, and each mutation in the table
below breaks exactly one promise, which must be the one named.
"""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace
from typing import Any, Callable

import openai
import pytest

from aoai_conformance import checks, layers, modes, sdk, wire
from aoai_conformance.cassettes import Sent, Traffic
from aoai_conformance.checks import ConformanceFailure
from aoai_conformance.core import Exchange, SSEEvent, StreamExchange
from aoai_conformance.sdk import HTTP

KEY = "test-key"
BODY = {"id": "chatcmpl-x", "object": "chat.completion"}
HEADERS = {"content-type": "application/json", "x-request-id": "rid-1", "apim-request-id": "rid-1"}


class Parsed(SimpleNamespace):
    pass


def harness(*, auth="key", mode="replay", profile="azure", sent=None, provider_calls=None, tokens=("tok",)):
    provider = None
    if auth == "entra":
        provider = SimpleNamespace(
            calls=len(sent or [1]) if provider_calls is None else provider_calls, tokens=list(tokens)
        )
    built = SimpleNamespace(auth=auth, provider=provider, expected_credential=None if provider else KEY)
    credential = tokens[0] if provider else KEY
    traffic = Traffic(
        sent=sent if sent is not None else [Sent("POST", "u", {"authorization": f"Bearer {credential}"}, 0.0)]
    )
    return SimpleNamespace(
        built=built,
        auth=auth,
        mode=mode,
        checks_stream_timing=modes.parse(mode).checks_stream_timing,
        azure=profile == "azure",
        profile=profile,
        sent=traffic.sent,
    )


def exchange(headers=None, body="default", content=None, request_id="rid-1", sdk_obj="default", status=200):
    headers = HTTP.Headers(HEADERS if headers is None else headers)
    body = copy.deepcopy(BODY) if body == "default" else body
    content = json.dumps(body).encode() if content is None else content
    obj = Parsed(choices=[]) if sdk_obj == "default" else sdk_obj
    if obj is not None:
        type(obj).__name__ = "ChatCompletion"
    return Exchange("chat.completions", status, headers, content, body, sdk=obj, request_id=request_id)


def stream(events=None, headers=None, times=None):
    events = events if events is not None else ['{"a": 1}', '{"a": 2}', '{"a": 3}', "[DONE]"]
    times = times or [0.1 * (i + 1) for i in range(len(events))]
    headers = HTTP.Headers(
        headers or {"content-type": "text/event-stream", "x-request-id": "r", "apim-request-id": "r"}
    )
    return StreamExchange(
        "chat.completions", 200, headers, b"", [SSEEvent(None, e, t) for e, t in zip(events, times)]
    )


# promise -> a check that must fail with it (every other promise of these layers holds in that case)
CASES: dict[str, list[Callable[[], Any]]] = {
    "http.status": [lambda: wire.status(exchange(status=500), 200)],
    "http.content-type": [
        lambda: wire.json_body(exchange(headers={**HEADERS, "content-type": "text/html"})),
        lambda: wire.json_body(exchange(content=b"<html>", body=None)),
        lambda: wire.event_stream(stream(headers={"content-type": "application/json"}), harness()),
    ],
    "http.stream-events": [lambda: wire.event_stream(stream(events=[]), harness())],
    "http.stream-incremental": [
        lambda: wire.event_stream(stream(times=[0.5, 0.5, 0.5, 0.5]), harness(mode="live")),
    ],
    "http.azure-headers": [
        lambda: wire.azure_headers(
            exchange(headers={"content-type": "application/json", "x-request-id": "r"}), harness()
        ),
    ],
    "auth.credential-sent": [
        lambda: wire.credentials(harness(sent=[])),
        lambda: wire.credentials(harness(sent=[Sent("POST", "u", {}, 0.0)])),
        lambda: wire.credentials(
            harness(sent=[Sent("POST", "u", {"authorization": "Bearer other-key"}, 0.0)])
        ),
        lambda: wire.credentials(
            harness(auth="entra", sent=[Sent("POST", "u", {"authorization": "Bearer forged"}, 0.0)])
        ),
    ],
    "auth.provider-per-attempt": [
        lambda: wire.credentials(
            harness(
                auth="entra",
                provider_calls=1,
                sent=[
                    Sent("POST", "u", {"authorization": "Bearer tok"}, 0.0),
                    Sent("POST", "u", {"authorization": "Bearer tok"}, 0.5),
                ],
            )
        ),
    ],
    "sdk.parse": [
        lambda: sdk.parsed(exchange(sdk_obj=None), "ChatCompletion"),
        lambda: sdk.stream_parsed(stream()),  # three data events, no SDK events
    ],
    "sdk.accessor": [lambda: sdk.accessor("text the SDK gave", "text on the wire", "message.content")],
    "sdk.request-id": [
        lambda: sdk.request_id(exchange(headers={"content-type": "application/json"}, request_id=None)),
        lambda: sdk.request_id(exchange(request_id="another-id")),
        # an error answer without x-request-id: the SDK must not invent one
        lambda: sdk.request_id(exchange(headers=AZURE_ERROR_HEADERS, request_id="invented", status=404)),
    ],
}


def status_error(
    status: int,
    raised: type[openai.APIStatusError],
    *,
    response_status: int | None = None,
    code: int | None = None,
    headers: dict | None = None,
    request_id: Any = "default",
):
    """An error Exchange as calls.py builds it; ``request_id`` defaults to what the SDK reads (x-request-id)."""
    request = HTTP.Request("POST", "https://x.invalid/openai/v1/chat/completions")
    response = HTTP.Response(
        response_status or status,
        request=request,
        json={"error": {"message": "m", "code": "c"}},
        headers={"x-request-id": "r", "apim-request-id": "r"} if headers is None else headers,
    )
    err = raised("m", response=response, body=None)
    if code is not None:
        err.status_code = code
    rid = err.request_id if request_id == "default" else request_id
    ex = Exchange(
        "chat.completions",
        status,
        response.headers,
        response.content,
        response.json(),
        error=err,
        request_id=rid,
    )
    return ex


# Azure v1's 400/401/404 as recorded for real (issue 12): apim-request-id, no x-request-id.
AZURE_ERROR_HEADERS = {"apim-request-id": "apim-1", "content-type": "application/json"}


def connection_error(cause: BaseException | None = None, cls=openai.APIConnectionError):
    err = (
        cls(request=HTTP.Request("POST", "https://x.invalid/"))
        if cls is openai.APIConnectionError
        else cls("m")
    )
    err.__cause__ = cause
    return err


CASES.update(
    {
        "errors.except-chain": [
            lambda: layers.caught_by(status_error(429, openai.RateLimitError).error, "APIStatusError"),
            lambda: layers.caught_by(status_error(500, openai.InternalServerError).error, "RateLimitError"),
        ],
        "errors.connection-cause": [lambda: layers.connection_error(connection_error(cause=None))],
        "errors.wrong-credential-sent": [lambda: layers.credential_sent(harness(), "wrong-key")],
        "errors.table": [
            lambda: layers.status_error(harness(), status_error(404, openai.BadRequestError), 404)
        ],
        "errors.exception-class": [
            lambda: layers.status_error(harness(), status_error(403, openai.PermissionDeniedError), 401),
            lambda: layers.connection_error(connection_error(cls=openai.APITimeoutError)),
        ],
        "errors.status-code": [
            lambda: layers.status_error(harness(), status_error(404, openai.NotFoundError, code=418), 404)
        ],
        "errors.response": [
            lambda: layers.status_error(
                harness(), status_error(404, openai.NotFoundError, response_status=410, code=404), 404
            ),
        ],
    }
)


def sent_error(status: int, headers: dict) -> Sent:
    """One attempt the SDK made and (for a retried status) discarded, as the transport logs it."""
    return Sent(
        "POST",
        "u",
        {"authorization": f"Bearer {KEY}"},
        0.0,
        status=status,
        response_headers={"content-type": "application/json", **headers},
        response_body=json.dumps({"error": {"message": "m", "code": "c"}}).encode(),
    )


# Error answers: x-request-id may be absent (noted), but a wrong e.request_id, a missing apim-request-id under
# Azure and a success answer without x-request-id still fail.
ERROR_ANSWER_CASES = {
    "mismatching e.request_id (4xx)": (
        lambda: layers.status_error(
            harness(), status_error(404, openai.NotFoundError, request_id="other"), 404
        ),
        "sdk.request-id",
    ),
    "e.request_id without the header (4xx)": (
        lambda: layers.status_error(
            harness(),
            status_error(404, openai.NotFoundError, headers=AZURE_ERROR_HEADERS, request_id="made-up"),
            404,
        ),
        "sdk.request-id",
    ),
    "empty x-request-id (4xx)": (
        lambda: layers.status_error(
            harness(),
            status_error(400, openai.BadRequestError, headers={**AZURE_ERROR_HEADERS, "x-request-id": ""}),
            400,
        ),
        "request-id.x-request-id",
    ),
    "no apim-request-id under azure (4xx)": (
        lambda: layers.status_error(
            harness(), status_error(401, openai.AuthenticationError, headers={}), 401
        ),
        "http.azure-headers",
    ),
    "no apim-request-id under azure (retried attempt)": (
        lambda: layers.every_error_answer(harness(sent=[sent_error(429, {})])),
        "http.azure-headers",
    ),
    "no x-request-id on a 2xx": (
        lambda: sdk.request_id(exchange(headers=AZURE_ERROR_HEADERS, request_id=None, status=200)),
        "sdk.request-id",
    ),
    "no x-request-id on a stream": (
        lambda: layers.stream_request_id(
            harness(), stream(headers={"content-type": "text/event-stream", "apim-request-id": "a"})
        ),
        "request-id.x-request-id",
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_ANSWER_CASES))
def test_error_answer_request_id_rules_still_fail(case):
    check, promise = ERROR_ANSWER_CASES[case]
    with pytest.raises(ConformanceFailure) as exc:
        check()
    assert exc.value.promise == promise, str(exc.value)


@pytest.mark.parametrize(
    "status, raised",
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (404, openai.NotFoundError),
        (503, openai.InternalServerError),
    ],
)
def test_error_answer_without_x_request_id_passes_with_a_note(status, raised):
    checks.take_notes()
    ex = status_error(status, raised, headers=AZURE_ERROR_HEADERS)
    assert ex.request_id is None  # the SDK invents nothing
    layers.status_error(harness(), ex, status)
    notes = checks.take_notes()
    assert [n["kind"] for n in notes] == ["info"], notes
    assert notes[0]["message"] == (
        "the error answer carries apim-request-id=apim-1 but no x-request-id, so "
        "e.request_id is None; the docs promise _request_id on returned objects only"
    )
    # with the header, e.request_id is checked against it and nothing is noted
    layers.status_error(harness(), status_error(status, raised), status)
    assert checks.take_notes() == []


def test_retried_error_answers_without_x_request_id_pass():
    layers.every_error_answer(
        harness(
            sent=[
                sent_error(429, {"apim-request-id": "a"}),
                sent_error(500, {"apim-request-id": "b", "x-request-id": "b"}),
            ]
        )
    )
    layers.every_error_answer(harness(profile="openai", sent=[sent_error(503, {})]), body_profile="azure")
    checks.take_notes()


def test_every_promise_of_these_layers_has_a_failing_case():
    assert set(CASES) == set(wire.PROMISES) | set(sdk.PROMISES) | set(layers.PROMISES)


@pytest.mark.parametrize("promise, i", [(p, i) for p, fs in CASES.items() for i in range(len(fs))])
def test_broken_answer_fails_naming_the_promise(promise, i):
    with pytest.raises(ConformanceFailure) as exc:
        CASES[promise][i]()
    assert exc.value.promise == promise, str(exc.value)


def test_valid_answers_pass_every_check():
    h = harness()
    ex = exchange()
    wire.common(ex, h)
    wire.common_stream(stream(), h)
    wire.event_stream(stream(), harness(mode="live"))
    wire.credentials(harness(auth="entra"))
    sdk.parsed(ex, "ChatCompletion")
    sdk.request_id(ex)
    layers.status_error(h, status_error(404, openai.NotFoundError), 404)
    layers.status_error(
        h, status_error(409, openai.ConflictError), 409
    )  # not in the table: any APIStatusError
    layers.caught_by(status_error(429, openai.RateLimitError).error, "RateLimitError")
    layers.caught_by(status_error(500, openai.InternalServerError).error, "APIStatusError")
    layers.connection_error(connection_error(cause=ConnectionRefusedError(111, "refused")))
    layers.credential_sent(harness(), KEY)


def test_profile_openai_does_not_require_azure_headers():
    wire.azure_headers(
        exchange(headers={"content-type": "application/json", "x-request-id": "r"}), harness(profile="openai")
    )
