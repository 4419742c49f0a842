"""Semantic invariants of every documented call, as one module: a facade over ``aoai_conformance.documented``.

The checks live with their call (``documented/chat.py``, ``documented/responses_stream.py``, ...); this module
re-exports the public functions and the merged promise registry, so ``layers``, the suites, ``recorded/judge``
and the own tests read ``invariants.chat_completion(...)`` and ``invariants.PROMISES`` as before.
"""

from __future__ import annotations

from .documented import chat as _chat
from .documented import chat_stream as _chat_stream
from .documented import embeddings as _embeddings
from .documented import errors as _errors
from .documented import mcp as _mcp
from .documented import request_ids as _request_ids
from .documented import responses as _responses
from .documented import responses_stream as _responses_stream
from .documented.chat import chat_completion, prompt_filter_results
from .documented.chat_stream import chat_stream, chat_stream_text
from .documented.embeddings import decode_base64_embedding, embedding_base64_matches, embeddings
from .documented.errors import error_body
from .documented.mcp import mcp_approval_followup, mcp_output
from .documented.request_ids import request_ids
from .documented.responses import (
    output_text,
    response_body,
    response_echoes,
    response_output_text_matches_sdk,
)
from .documented.responses_stream import responses_stream, terminal_response

__all__ = [
    "PROMISES",
    "chat_completion",
    "chat_stream",
    "chat_stream_text",
    "decode_base64_embedding",
    "embedding_base64_matches",
    "embeddings",
    "error_body",
    "mcp_approval_followup",
    "mcp_output",
    "output_text",
    "prompt_filter_results",
    "request_ids",
    "response_body",
    "response_echoes",
    "response_output_text_matches_sdk",
    "responses_stream",
    "terminal_response",
]

#: Every promise these checks can break, in the order the calls are documented (ids and texts as in each module).
PROMISES: dict[str, str] = {
    **_responses.PROMISES,
    **_responses_stream.PROMISES,
    **_chat.PROMISES,
    **_chat_stream.PROMISES,
    **_embeddings.PROMISES,
    **_mcp.PROMISES,
    **_errors.PROMISES,
    **_request_ids.PROMISES,
}
