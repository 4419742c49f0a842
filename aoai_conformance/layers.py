"""Every layer for each documented call: a facade over the check bundles of ``aoai_conformance.documented``.

A suite that makes a call checks all of it through these: the wire (status, content type, Azure headers, the
credential sent), the schema, the invariants, and the SDK (typed object, accessors, ``_request_id``). Suites
add only what their documentation section promises beyond that. Keeping the layers together means a test that
makes a chat call for another reason (retries, request ids) still catches a broken chat completion.

Each bundle lives with its call (``documented.chat.check``, ``documented.responses_stream.check``, the error
bundles in ``documented.errors``); this module keeps the names suites and ``recorded/judge`` call.
"""

from __future__ import annotations

from .documented.chat import check as chat_completion
from .documented.chat_stream import check as chat_stream
from .documented.embeddings import check as embeddings
from .documented.errors import (
    EXCEPT_CHAIN,
    caught_by,
    connection_error,
    credential_sent,
    error_answer,
    every_error_answer,
    except_branch,
    status_error,
)
from .documented.errors import SDK_PROMISES as PROMISES
from .documented.request_ids import check as request_ids
from .documented.request_ids import check_stream as stream_request_id
from .documented.responses import check as response
from .documented.responses_stream import check as responses_stream

__all__ = [
    "EXCEPT_CHAIN",
    "PROMISES",
    "caught_by",
    "chat_completion",
    "chat_stream",
    "connection_error",
    "credential_sent",
    "embeddings",
    "error_answer",
    "every_error_answer",
    "except_branch",
    "request_ids",
    "response",
    "responses_stream",
    "status_error",
    "stream_request_id",
]
