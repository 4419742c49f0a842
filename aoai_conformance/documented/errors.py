"""The error envelope of every error answer.

Sources cited in the docstrings: ``[seed]`` the Azure OpenAI Python support page
(``shared/seeds/000_618f909ca6807cc5.txt``); ``[oai]`` the OpenAI OpenAPI spec
(``shared/specs/openai/openapi.json``, component named after the colon); ``[azure]`` the Azure v1 spec
(``shared/specs/azure/azure-v1-v1-generated.TRIMMED.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..checks import expect
from ._shapes import _is_int

__all__ = ["PROMISES", "error_body"]

PROMISES: dict[str, str] = {
    # Errors ([seed] error codes table, [oai] ErrorResponse, [azure] AzureErrorResponse)
    "error.status": "an error envelope comes with an HTTP status >= 400",
    "error.envelope": 'an error body is {"error": {...}}',
    "error.message": "error.message is a non-empty string",
    "error.code": "error.code is a string or null",
    "error.inner-error": "innererror / inner_error, when present, is an object",
}


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
    err = body.get("error") if isinstance(body, Mapping) else None
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
