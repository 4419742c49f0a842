"""Semantic invariants of every documented call, as one module: a facade over ``aoai_conformance.documented``.

The checks live with their call (``documented/chat.py``, ``documented/responses_stream.py``, ...); this module
re-exports the public functions and the merged promise registry, so ``layers``, the suites, ``recorded/judge``
and the own tests read ``invariants.chat_completion(...)`` and ``invariants.PROMISES`` as before.
"""

from __future__ import annotations

import importlib

from .documented import registry as _registry
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

# The modules whose promises these checks can break: each registry row's (documented/registry.py), then the
# two every call shares. A new call's module joins through its row; retries' promises are the retry suite's.
_MODULES = tuple(
    dict.fromkeys([*(row.module for row in _registry.CALLS if row.module), "errors", "request_ids"])
)

#: Every promise these checks can break (ids and texts as in each module), in the registry's order.
PROMISES: dict[str, str] = {
    pid: text
    for name in _MODULES
    for pid, text in importlib.import_module(f"{__package__}.documented.{name}").PROMISES.items()
}
