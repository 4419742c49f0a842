"""The call registry: one row per documented call, the facts every part of the project needs about it.

A row says how the call is made (``call``, the first argument of ``aoai.create`` / ``aoai.stream``, and whether
it streams), how the report names it (``documented``, as in the suites' ``@documented(...)``), what its answer
is checked against (the JSON Schema names of ``aoai_conformance.schemas``, the body's ``object``, the openai
SDK type ``layers`` and ``recorded/judge`` parse it into), which deployment capability runs it (as in
``@documented(..., capability=...)``), which stand-in route answers it (``standin.server.route_name``) and which
module of ``aoai_conformance.documented`` holds its promises.

Read by ``recorded/judge.py`` (the SDK type per kind) and ``recorded/identify.py`` (path -> call). Still
keeping their own table, to move here: the stand-in router, schemagen, mutation/operators.py, config.py's
capabilities and the suite hygiene rules.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CALLS", "DocumentedCall", "by_kind"]


@dataclass(frozen=True)
class DocumentedCall:
    """One documented call."""

    kind: str  # the row's name, as recorded/identify names calls: chat, chat_stream, responses, ...
    call: str  # call path: aoai.create("chat.completions", ...), aoai.stream(...)
    documented: str  # the report's call name, as in the suites' @documented(...)
    stream: bool  # answered as server-sent events
    schemas: tuple[str, ...]  # JSON Schema names it is checked against, under both profiles
    object: str | None  # the body's "object" (a stream: its chunks', or its terminal response's)
    sdk_type: str  # the openai SDK type its answer parses into (a stream: each event's)
    sdk_module: str  # where the SDK type lives
    capability: str  # the deployment capability that runs it (@documented(..., capability=...))
    route: str  # the stand-in route that answers it (standin.server.route_name)
    module: str  # aoai_conformance.documented.<module> holds its promises ("" when only its errors are)
    azure_schemas: tuple[str, ...] = ()  # schema names checked only under the azure profile
    tool: str | None = None  # a tool the request carries that makes it a call of its own (MCP)

    @property
    def http_path(self) -> str:
        """The path after the API prefix (``/openai/v1/``, ``/v1/``): ``chat/completions``."""
        return self.call.replace(".", "/")

    @property
    def plain(self) -> bool:
        """The call as its method and path identify it: not streamed, no tool that makes it a call of its own."""
        return not self.stream and self.tool is None


# The events of the documented text stream, in the order they come (each has its event.<type> schema).
_TEXT_STREAM_EVENTS = tuple(
    f"event.response.{t}"
    for t in (
        "created",
        "in_progress",
        "output_item.added",
        "content_part.added",
        "output_text.delta",
        "output_text.done",
        "content_part.done",
        "output_item.done",
        "completed",
    )
)

CALLS: tuple[DocumentedCall, ...] = (
    DocumentedCall(
        kind="chat",
        call="chat.completions",
        documented="chat.completions.create",
        stream=False,
        schemas=("chat.completion",),
        azure_schemas=("content-filter.choice", "content-filter.prompt-entry"),
        object="chat.completion",
        sdk_type="ChatCompletion",
        sdk_module="openai.types.chat",
        capability="chat",
        route="chat.completions",
        module="chat",
    ),
    DocumentedCall(
        kind="chat_stream",
        call="chat.completions",
        documented="chat.completions.create (stream)",
        stream=True,
        schemas=("chat.completion.chunk",),
        azure_schemas=("content-filter.choice",),
        object="chat.completion.chunk",
        sdk_type="ChatCompletionChunk",
        sdk_module="openai.types.chat",
        capability="chat",
        route="chat.completions",
        module="chat_stream",
    ),
    DocumentedCall(
        kind="responses",
        call="responses",
        documented="responses.create",
        stream=False,
        schemas=("response",),
        object="response",
        sdk_type="Response",
        sdk_module="openai.types.responses",
        capability="responses",
        route="responses",
        module="responses",
    ),
    DocumentedCall(
        kind="responses_stream",
        call="responses",
        documented="responses.create (stream)",
        stream=True,
        schemas=_TEXT_STREAM_EVENTS + ("response",),
        object="response",
        sdk_type="ResponseStreamEvent",
        sdk_module="openai.types.responses",
        capability="responses",
        route="responses",
        module="responses_stream",
    ),
    DocumentedCall(
        kind="mcp",
        call="responses",
        documented="responses.create (MCP tool)",
        stream=False,
        schemas=("response", "item.mcp_list_tools", "item.mcp_call", "item.mcp_approval_request", "mcp.tool"),
        object="response",
        sdk_type="Response",
        sdk_module="openai.types.responses",
        capability="mcp",
        route="responses",
        module="mcp",
        tool="mcp",
    ),
    DocumentedCall(
        kind="embeddings",
        call="embeddings",
        documented="embeddings.create",
        stream=False,
        schemas=("embeddings",),
        object="list",
        sdk_type="CreateEmbeddingResponse",
        sdk_module="openai.types",
        capability="embeddings",
        route="embeddings",
        module="embeddings",
    ),
    DocumentedCall(
        # documented by its error example only ("Error handling"): its answers are checked as errors
        kind="fine_tuning",
        call="fine_tuning.jobs",
        documented="fine_tuning.jobs.create",
        stream=False,
        schemas=("error",),
        object="fine_tuning.job",
        sdk_type="FineTuningJob",
        sdk_module="openai.types.fine_tuning",
        capability="fine_tuning",
        route="fine_tuning.jobs",
        module="",
    ),
)


def by_kind(kind: str) -> DocumentedCall:
    """The row named ``kind`` (KeyError when there is none)."""
    for row in CALLS:
        if row.kind == kind:
            return row
    raise KeyError(kind)
