"""Errors: the envelope of every error answer, and the docs' "Error codes" table (written once, here).

:func:`status_error` (the exception class a status error raises) and ``retries`` (the exception after the
last attempt) both read :data:`ERROR_TABLE` through :func:`table_class`. The error bundles (``status_error``,
``error_answer``, ``every_error_answer``, the documented except chain) are here too; ``layers`` re-exports them.

Sources cited in the docstrings (``[seed]``, ``[oai]``, ``[azure]``): see ``documented/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import openai

from .. import checks, schemas, sdk, wire
from ..checks import expect
from ..core import Context, Exchange, parse_json
from ..sdk import HTTP
from . import request_ids
from ._shapes import _is_int

__all__ = [
    "ERROR_TABLE",
    "EXCEPT_CHAIN",
    "PROMISES",
    "SDK_PROMISES",
    "caught_by",
    "connection_error",
    "credential_sent",
    "error_answer",
    "error_body",
    "every_error_answer",
    "except_branch",
    "status_error",
    "table_class",
]

PROMISES: dict[str, str] = {
    # Errors ([seed] error codes table, [oai] ErrorResponse, [azure] AzureErrorResponse)
    "error.status": "an error envelope comes with an HTTP status >= 400",
    "error.envelope": 'an error body is {"error": {...}}',
    "error.message": "error.message is a non-empty string",
    "error.code": "error.code is a string or null",
    "error.inner-error": "innererror / inner_error, when present, is an object",
}


# What the SDK's exceptions promise (the docs' "Error handling" section): the error bundles below.
SDK_PROMISES: dict[str, str] = {
    "errors.table": "the SDK raises the Error codes table's class for the HTTP status it received",
    "errors.exception-class": "the documented trigger raises the documented exception class (status)",
    "errors.status-code": "e.status_code is the HTTP status of the answer",
    "errors.response": "e.response is the HTTP response (same status)",
    "errors.except-chain": "the documented except chain catches the error in the documented branch",
    "errors.connection-cause": "APIConnectionError carries the underlying exception in __cause__",
    "errors.wrong-credential-sent": "the wrong credential under test is what went over the wire",
}

# The schema of the error envelope every call answers with (the registry's rows name it per call; here it is
# the error bundles' own, whatever the call).
ERROR_SCHEMA = "error"

# The docs' "Error handling" example, in its order: the first clause that matches catches the error.
EXCEPT_CHAIN = (openai.APIConnectionError, openai.RateLimitError, openai.APIStatusError)

# The docs' "Error codes" table, row by row: the HTTP status and the exception class the SDK raises for it
# (">=500" is InternalServerError; "N/A", no HTTP answer at all, is APIConnectionError, see
# ``retries.documented_error_type``; a status the table does not list is a plain APIStatusError).
ERROR_TABLE: dict[int, type[openai.APIStatusError]] = {
    400: openai.BadRequestError,
    401: openai.AuthenticationError,
    403: openai.PermissionDeniedError,
    404: openai.NotFoundError,
    422: openai.UnprocessableEntityError,
    429: openai.RateLimitError,
}


def table_class(status: int) -> type[openai.APIStatusError]:
    """The exception class the "Error codes" table names for an HTTP status."""
    return openai.InternalServerError if status >= 500 else ERROR_TABLE.get(status, openai.APIStatusError)


def error_body(body: Any, status: int) -> None:
    """An error response: HTTP status >= 400 with ``{"error": {...}}``.

    Promises: ``error.status``, ``error.envelope``, ``error.message``, ``error.code`` (string or null; Azure
    sends null or numeric strings such as ``"401"``), ``error.inner-error`` (``innererror``/``inner_error``
    an object).
    Sources: [seed] Error codes table; [oai] ErrorResponse/Error; [azure] AzureErrorResponse.
    """
    expect(
        _is_int(status) and status >= 400,
        "error.status",
        "error envelope with a non-error HTTP status",
        expected=">= 400",
        received=status,
    )
    err: Any = body.get("error") if isinstance(body, Mapping) else None
    expect(
        isinstance(err, Mapping),
        "error.envelope",
        'body is not {"error": {...}}',
        path="error",
        received=body,
    )
    message = err.get("message")
    expect(
        isinstance(message, str) and message.strip(),
        "error.message",
        "error.message is not a non-empty string",
        path="error.message",
        received=message,
    )
    code = err.get("code")
    expect(
        code is None or isinstance(code, str),
        "error.code",
        "error.code is neither a string nor null",
        path="error.code",
        received=code,
    )
    for key in ("innererror", "inner_error"):
        if key in err and err[key] is not None:
            expect(
                isinstance(err[key], Mapping),
                "error.inner-error",
                f"error.{key} is not an object",
                path=f"error.{key}",
                received=err[key],
            )


# --- the check bundles: every layer of an error answer, and the documented except chain ---------------------
def status_error(aoai: Context, ex: Exchange, expected: int, *, body_profile: str | None = None) -> Any:
    """An APIStatusError, all layers: the table's class and status, the raw answer, the body, the request id."""
    if ex.foreign is not None:  # another SDK: its own class per status (sdk.foreign_status_error)
        sdk.foreign_status_error(ex, expected)
        error_answer(aoai, ex, body_profile=body_profile)
        return ex.error
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
    error_body(ex.body, ex.status)
    schemas.check(ex.body, ERROR_SCHEMA, profile=body_profile or aoai.profile)
    request_ids.check(aoai, ex)
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
        error_body(ex.body, ex.status)
        schemas.check(ex.body, ERROR_SCHEMA, profile=body_profile or aoai.profile, where=f"attempt {i + 1}")
        request_ids.request_ids(ex.headers, ex.request_id, azure=aoai.azure, status=ex.status)


def except_branch(exc: BaseException | None) -> str | None:
    """Which clause of the documented ``try/except`` chain catches ``exc`` (None: none does)."""
    for cls in EXCEPT_CHAIN:
        if isinstance(exc, cls):
            return cls.__name__
    return None


def caught_by(err: BaseException | None, branch: str) -> None:
    """The documented except chain catches ``err`` in ``branch`` (what the docs print depends on it)."""
    if isinstance(err, sdk.ForeignError):  # the except chain is Python's; status_error judged the class
        return
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
    if isinstance(err, sdk.ForeignError):  # another SDK: its own connection error class
        from .retries import exception

        exception(err, None)
        return
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
