"""Every layer for each documented call, written once.

A suite that makes a call checks all of it through these: the wire (status, content type, Azure headers, the
credential sent), the schema, the invariants, and the SDK (typed object, accessors, ``_request_id``). Suites
add only what their documentation section promises beyond that. Keeping the layers here means a test that
makes a chat call for another reason (retries, request ids) still catches a broken chat completion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import openai

from . import checks, invariants, schemas, sdk, wire
from .core import Context, Exchange, StreamExchange, expect, parse_json
from .documented.errors import ERROR_TABLE, table_class  # the docs' "Error codes" table, written once
from .sdk import HTTP

PROMISES = {
    "errors.table": "the SDK raises the Error codes table's class for the HTTP status it received",
    "errors.exception-class": "the documented trigger raises the documented exception class (status)",
    "errors.status-code": "e.status_code is the HTTP status of the answer",
    "errors.response": "e.response is the HTTP response (same status)",
    "errors.except-chain": "the documented except chain catches the error in the documented branch",
    "errors.connection-cause": "APIConnectionError carries the underlying exception in __cause__",
    "errors.wrong-credential-sent": "the wrong credential under test is what went over the wire",
}

# The docs' "Error handling" example, in its order: the first clause that matches catches the error.
EXCEPT_CHAIN = (openai.APIConnectionError, openai.RateLimitError, openai.APIStatusError)


def chat_completion(aoai: Context, ex: Exchange, *, max_tokens: int | None = None) -> Any:
    """A chat.completion body, all layers; returns the SDK's ChatCompletion."""
    wire.common(ex, aoai)
    schemas.check(ex.body, "chat.completion", profile=aoai.profile)
    invariants.chat_completion(ex.body, max_tokens=max_tokens)
    if aoai.azure:
        for i, choice in enumerate(ex.body["choices"]):
            schemas.check(
                choice.get("content_filter_results"), "content-filter.choice", where=f"choices[{i}]"
            )
        invariants.prompt_filter_results(ex.body.get("prompt_filter_results"))
    completion = sdk.parsed(ex, "ChatCompletion")
    sdk.accessor(
        completion.choices[0].message.content,
        ex.body["choices"][0]["message"]["content"],
        "completion.choices[0].message.content",
    )
    request_ids(aoai, ex)
    return completion


def chat_stream(
    aoai: Context, sx: StreamExchange, *, include_usage: bool = False, max_tokens: int | None = None
) -> list[Any]:
    """A chat.completion.chunk stream, all layers; returns the SDK's chunks."""
    wire.common_stream(sx, aoai)
    for chunk in sx.data:
        schemas.check_chat_chunk(chunk, profile=aoai.profile)
    invariants.chat_stream(
        sx.data, done_seen=sx.done_seen, include_usage=include_usage, azure=aoai.azure, max_tokens=max_tokens
    )
    if aoai.azure:
        for i, chunk in enumerate(sx.data):
            for j, choice in enumerate(chunk.get("choices") or []):
                if "content_filter_results" in choice:
                    schemas.check(
                        choice["content_filter_results"],
                        "content-filter.choice",
                        where=f"chunks[{i}].choices[{j}]",
                    )
    stream_request_id(aoai, sx)
    chunks = sdk.stream_parsed(sx)
    # The docs' loop: `if chunk.choices and chunk.choices[0].delta.content is not None: print(...)`.
    printed = "".join(
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content is not None
    )
    sdk.accessor(
        printed, invariants.chat_stream_text(sx.data).get(0, ""), "the documented streaming loop's text"
    )
    return chunks


def stream_request_id(aoai: Context, sx: StreamExchange) -> None:
    """A stream's answer carries x-request-id (the documented request id) and, on Azure, apim-request-id."""
    if not sx.headers_recorded:
        wire.not_recorded("the request-id headers", sx.call)
        return
    invariants.request_ids(sx.headers, sx.headers.get("x-request-id"), azure=aoai.azure)


def request_ids(aoai: Context, ex: Exchange) -> None:
    """_request_id is the x-request-id header; on Azure, apim-request-id is there too."""
    if not ex.headers_recorded:
        wire.not_recorded("the request-id headers", ex.call)
        return
    sdk.request_id(ex)
    invariants.request_ids(ex.headers, ex.request_id, azure=aoai.azure, status=ex.status)


def response(aoai: Context, ex: Exchange, *, model: str | None = None) -> Any:
    """A Responses body, all layers; returns the SDK's Response."""
    wire.common(ex, aoai)
    schemas.check(ex.body, "response", profile=aoai.profile)
    invariants.response_body(ex.body, expect_model=model)
    result = sdk.parsed(ex, "Response")
    invariants.response_output_text_matches_sdk(ex.body, result.output_text)  # the docs print it
    request_ids(aoai, ex)
    return result


def responses_stream(
    aoai: Context, sx: StreamExchange, *, model: str | None = None
) -> tuple[list[Any], Mapping[str, Any]]:
    """A Responses event stream, all layers; returns the SDK's events and the terminal response."""
    wire.common_stream(sx, aoai)
    for event in sx.data:
        schemas.check_stream_event(event, profile=aoai.profile)
    invariants.responses_stream(sx.data)
    final = invariants.terminal_response(sx.data)
    invariants.response_body(final, expect_model=model)
    final = cast("Mapping[str, Any]", final)  # response_body failed above if the stream had none
    stream_request_id(aoai, sx)
    events = sdk.stream_parsed(sx)
    # The JS docs' loop: `if (event.type === 'response.output_text.delta' && event.delta) write(event.delta)`.
    printed = "".join(e.delta for e in events if e.type == "response.output_text.delta" and e.delta)
    sdk.accessor(printed, invariants.output_text(final), "the documented streaming loop's text")
    return events, final


def embeddings(aoai: Context, ex: Exchange, *, n_inputs: int, dimensions: int | None = None) -> Any:
    """An embeddings list, all layers; returns the SDK's CreateEmbeddingResponse."""
    wire.common(ex, aoai)
    schemas.check(ex.body, "embeddings", profile=aoai.profile)
    invariants.embeddings(ex.body, n_inputs=n_inputs, dimensions=dimensions)
    result = sdk.parsed(ex, "CreateEmbeddingResponse")
    request_ids(aoai, ex)
    return result


def status_error(aoai: Context, ex: Exchange, expected: int, *, body_profile: str | None = None) -> Any:
    """An APIStatusError, all layers: the table's class and status, the raw answer, the body, the request id."""
    err = ex.error
    documented_row = err is not None and (
        getattr(err, "status_code", 0) >= 500 or getattr(err, "status_code", 0) in ERROR_TABLE
    )
    if isinstance(err, openai.APIStatusError) and documented_row:
        # The table names one class per row; statuses it does not list (409...) may be any APIStatusError.
        got = table_class(err.status_code)
        expect(
            type(err) is got,
            "errors.table",
            f"the SDK raised {type(err).__name__} for HTTP {err.status_code}",
            expected=got.__name__,
            received=type(err).__name__,
        )
    want = table_class(expected)
    expect(
        isinstance(err, want),
        "errors.exception-class",
        f"{ex.call} raised {type(err).__name__} (HTTP {ex.status or 'none'}); the Error codes table gives "
        f"{want.__name__} for the documented {expected}",
        expected=f"{want.__name__} ({expected})",
        received=f"{type(err).__name__} ({ex.status or 'no response'})",
        evidence=checks.trim(ex.body),
    )
    err = cast(openai.APIStatusError, err)  # the check above failed unless it is one
    expect(
        err.status_code == ex.status == expected,
        "errors.status-code",
        f"e.status_code is {err.status_code} for an HTTP {ex.status} answer",
        expected=expected,
        received=err.status_code,
    )
    expect(
        isinstance(err.response, HTTP.Response) and err.response.status_code == err.status_code,
        "errors.response",
        "e.response is not the HTTP response",
        received=repr(err.response),
    )
    error_answer(aoai, ex, body_profile=body_profile)
    return err


def error_answer(aoai: Context, ex: Exchange, *, body_profile: str | None = None) -> None:
    """The raw error answer: JSON, Azure headers, the error envelope, and its request id.

    An error answer may leave x-request-id out (the docs promise ``_request_id`` on returned objects only; real
    Azure 400/401/404 answers carry apim-request-id alone): then ``e.request_id`` must be None, and it is noted."""
    wire.json_body(ex)
    wire.azure_headers(ex, aoai)
    invariants.error_body(ex.body, ex.status)
    schemas.check(ex.body, "error", profile=body_profile or aoai.profile)
    request_ids(aoai, ex)
    if ex.headers_recorded and ex.headers.get("x-request-id") is None:
        apim = ex.headers.get("apim-request-id")
        carries = f"carries apim-request-id={apim} but" if apim else "carries"
        checks.note(
            "info",
            f"the error answer {carries} no x-request-id, so e.request_id is None; the docs "
            "promise _request_id on returned objects only",
            call=ex.call,
            status=ex.status,
        )


def every_error_answer(aoai: Context, *, body_profile: str | None = None) -> None:
    """Every error answer of this test, including those the SDK retried past and discarded: JSON error
    envelope, schema, request ids (x-request-id may be absent from an error answer, apim-request-id may not
    under Azure). (The transport keeps each attempt's error body in ``aoai.sent``.)"""
    if aoai.sent is None:  # a recording keeps no attempt log
        wire.not_recorded("the attempts' error answers", "every attempt")
        return
    for i, sent in enumerate(aoai.sent):
        if sent.status is None or sent.status < 400 or sent.response_body is None or sent.fault:
            continue
        headers = HTTP.Headers(sent.response_headers)
        ex = Exchange(
            f"attempt {i + 1}",
            sent.status,
            headers,
            sent.response_body,
            parse_json(sent.response_body),
            request_id=headers.get("x-request-id"),
        )
        wire.json_body(ex)
        wire.azure_headers(ex, aoai)
        invariants.error_body(ex.body, ex.status)
        schemas.check(ex.body, "error", profile=body_profile or aoai.profile, where=f"attempt {i + 1}")
        invariants.request_ids(ex.headers, ex.request_id, azure=aoai.azure, status=ex.status)


def except_branch(exc: BaseException | None) -> str | None:
    """Which clause of the documented ``try/except`` chain catches ``exc`` (None: none does)."""
    for cls in EXCEPT_CHAIN:
        if isinstance(exc, cls):
            return cls.__name__
    return None


def caught_by(err: BaseException | None, branch: str) -> None:
    """The documented except chain catches ``err`` in ``branch`` (what the docs print depends on it)."""
    got = except_branch(err)
    expect(
        got == branch,
        "errors.except-chain",
        f"the documented except chain catches {type(err).__name__} in the {got} branch, not in "
        f"'except openai.{branch}'",
        expected=branch,
        received=got,
        evidence=repr(err),
    )


def connection_error(err: BaseException | None) -> None:
    """A connection failure is the table's N/A row: APIConnectionError with the cause the docs print."""
    expect(
        type(err) is openai.APIConnectionError,
        "errors.exception-class",
        f"a refused connection raised {type(err).__name__}; the table gives APIConnectionError",
        expected="APIConnectionError",
        received=type(err).__name__,
    )
    caught_by(err, "APIConnectionError")
    err = cast(openai.APIConnectionError, err)  # the first check failed unless it is one
    # The docs print e.__cause__: "an underlying Exception, likely raised within httpx".
    expect(
        isinstance(err.__cause__, Exception),
        "errors.connection-cause",
        "APIConnectionError.__cause__ is not the underlying exception",
        received=repr(err.__cause__),
    )


def credential_sent(aoai: Context, sent: str) -> None:
    """The credential a test overrode (``with_options(api_key=...)``) is what the last attempt carried."""
    expect(
        aoai.sent and aoai.sent[-1].headers.get("authorization") == f"Bearer {sent}",
        "errors.wrong-credential-sent",
        f"with_options(api_key=...) did not send the credential under test (auth mode {aoai.built.auth})",
    )
