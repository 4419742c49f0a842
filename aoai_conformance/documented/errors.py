"""Errors: the envelope of every error answer, and the docs' "Error codes" table (written once, here).

``layers`` (the exception class a status error raises) and ``retries`` (the exception after the last attempt)
both read :data:`ERROR_TABLE` through :func:`table_class`.

Sources cited in the docstrings: ``[seed]`` the Azure OpenAI Python support page
(``shared/seeds/000_618f909ca6807cc5.txt``); ``[oai]`` the OpenAI OpenAPI spec
(``shared/specs/openai/openapi.json``, component named after the colon); ``[azure]`` the Azure v1 spec
(``shared/specs/azure/azure-v1-v1-generated.TRIMMED.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import openai

from ..checks import expect
from ._shapes import _is_int

__all__ = ["ERROR_TABLE", "PROMISES", "error_body", "table_class"]

PROMISES: dict[str, str] = {
    # Errors ([seed] error codes table, [oai] ErrorResponse, [azure] AzureErrorResponse)
    "error.status": "an error envelope comes with an HTTP status >= 400",
    "error.envelope": 'an error body is {"error": {...}}',
    "error.message": "error.message is a non-empty string",
    "error.code": "error.code is a string or null",
    "error.inner-error": "innererror / inner_error, when present, is an object",
}


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
