"""The call registry: one row per documented call, the facts every part of the project needs about it.

A row says how the call is made (``call``, the first argument of ``aoai.create`` / ``aoai.stream``, and whether
it streams), how the report names it (``documented``, as in the suites' ``@documented(...)``), what its answer
is checked against (the JSON Schema names of ``aoai_conformance.schemas``, the body's ``object``, the openai
SDK type ``layers`` and ``recorded/judge`` parse it into), which deployment capability runs it (as in
``@documented(..., capability=...)``), which stand-in route answers it (``standin.server.route_name``) and which
module of ``aoai_conformance.documented`` holds its promises.

Read by ``recorded/judge.py`` (the SDK type per kind, the function that judges each), ``recorded/identify.py``
(path -> call), the stand-in router (route names, which routes take a JSON body, the handler per method and
path), schemagen (the schema names it must generate, the stream
events it requires), ``mutation/operators.py`` (object -> schema, the object swaps within a call path),
``config.CAPABILITIES``, the suite hygiene rules (which request parameters cap a call's output) and the check
bundles (``documented.<module>.check``: schema names, SDK types). What stays in those places is theirs: the
spec's component names (schemagen), the deployment environment variables (config), the stand-in's handlers
and the judge's functions themselves (a row names them, ``"module:function"``, so a new call's go in its own
new modules and neither dispatcher is edited).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = [
    "CALLS",
    "EVENT_PREFIX",
    "DocumentedCall",
    "by_kind",
    "calls_by_path",
    "match",
    "routes",
    "schema_names",
]


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
    body_schema: str | None  # the schema of a body whose "object" is ``object`` (None: not checked as one)
    azure_schemas: tuple[str, ...] = ()  # schema names checked only under the azure profile
    tool: str | None = None  # a tool the request carries that makes it a call of its own (MCP)
    output_caps: tuple[
        str, ...
    ] = ()  # request parameters that cap its generated tokens (none: generates none)
    method: str = "POST"  # the HTTP method that makes it
    # its path after the API prefix when it is not the call path's ("responses/{response_id}")
    path: str | None = None
    # The stand-in's handler for the row's method and path, "module:function" in aoai_conformance.standin,
    # called with a standin.common.Request; rows made by the same method and path name the same one.
    standin: str = ""
    # What judges a recorded answer of this row (aoai-conformance check), "module:function" in
    # aoai_conformance, called as fn(ctx, exchange, kind); "" when only its errors are documented.
    recorded: str = ""

    @property
    def http_path(self) -> str:
        """The path after the API prefix (``/openai/v1/``, ``/v1/``): ``chat/completions``, or the row's
        ``path`` (a template whose ``{name}`` parts stand for one path segment each)."""
        return self.path if self.path is not None else self.call.replace(".", "/")

    @property
    def sdk_method(self) -> str:
        """The SDK method that makes it, the last word of its documented name (create, retrieve, list, ...):
        ``aoai.create(call, method=...)``."""
        return self.documented.split()[0].rsplit(".", 1)[1]

    @property
    def pattern(self) -> re.Pattern[str]:
        """``http_path`` as a regular expression: each ``{name}`` part matches one path segment, as a group."""
        return _pattern(self.http_path)

    @property
    def schema(self) -> str:
        """``body_schema``, for a row that has one (a check bundle reads it): LookupError otherwise."""
        if self.body_schema is None:
            raise LookupError(f"{self.kind}: no body schema")
        return self.body_schema

    @property
    def plain(self) -> bool:
        """The call as its method and path identify it: not streamed, no tool that makes it a call of its own."""
        return not self.stream and self.tool is None


EVENT_PREFIX = "event."  # a Responses stream event's schema name: event.<type>

# The events of the documented text stream, in the order they come (each has its event.<type> schema).
_TEXT_STREAM_EVENTS = tuple(
    f"{EVENT_PREFIX}response.{t}"
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
        body_schema="chat.completion",
        output_caps=("max_tokens", "max_completion_tokens"),
        sdk_type="ChatCompletion",
        sdk_module="openai.types.chat",
        capability="chat",
        route="chat.completions",
        module="chat",
        standin="chat:route",
        recorded="recorded.judge:chat",
    ),
    DocumentedCall(
        kind="chat_stream",
        call="chat.completions",
        documented="chat.completions.create (stream)",
        stream=True,
        schemas=("chat.completion.chunk",),
        azure_schemas=("content-filter.choice",),
        object="chat.completion.chunk",
        body_schema="chat.completion.chunk",
        output_caps=("max_tokens", "max_completion_tokens"),
        sdk_type="ChatCompletionChunk",
        sdk_module="openai.types.chat",
        capability="chat",
        route="chat.completions",
        module="chat_stream",
        standin="chat:route",
        recorded="recorded.judge:chat_stream",
    ),
    DocumentedCall(
        kind="responses",
        call="responses",
        documented="responses.create",
        stream=False,
        schemas=("response",),
        object="response",
        body_schema="response",
        output_caps=("max_output_tokens",),
        sdk_type="Response",
        sdk_module="openai.types.responses",
        capability="responses",
        route="responses",
        module="responses",
        standin="responses:create_route",
        recorded="recorded.judge:responses",
    ),
    DocumentedCall(
        kind="responses_stream",
        call="responses",
        documented="responses.create (stream)",
        stream=True,
        schemas=_TEXT_STREAM_EVENTS + ("response",),
        object="response",
        body_schema="response",
        output_caps=("max_output_tokens",),
        sdk_type="ResponseStreamEvent",
        sdk_module="openai.types.responses",
        capability="responses",
        route="responses",
        module="responses_stream",
        standin="responses:create_route",
        recorded="recorded.judge:responses_stream",
    ),
    DocumentedCall(
        kind="mcp",
        call="responses",
        documented="responses.create (MCP tool)",
        stream=False,
        schemas=("response", "item.mcp_list_tools", "item.mcp_call", "item.mcp_approval_request", "mcp.tool"),
        object="response",
        body_schema="response",
        output_caps=("max_output_tokens",),
        sdk_type="Response",
        sdk_module="openai.types.responses",
        capability="mcp",
        route="responses",
        module="mcp",
        standin="responses:create_route",
        recorded="recorded.judge:responses",
        tool="mcp",
    ),
    DocumentedCall(
        kind="embeddings",
        call="embeddings",
        documented="embeddings.create",
        stream=False,
        schemas=("embeddings",),
        object="list",
        body_schema="embeddings",
        sdk_type="CreateEmbeddingResponse",
        sdk_module="openai.types",
        capability="embeddings",
        route="embeddings",
        module="embeddings",
        standin="embeddings:route",
        recorded="recorded.judge:embeddings",
    ),
    DocumentedCall(
        # documented by its error example only ("Error handling"): its answers are checked as errors
        kind="fine_tuning",
        call="fine_tuning.jobs",
        documented="fine_tuning.jobs.create",
        stream=False,
        schemas=("error",),
        object="fine_tuning.job",
        body_schema=None,
        sdk_type="FineTuningJob",
        sdk_module="openai.types.fine_tuning",
        capability="fine_tuning",
        route="fine_tuning.jobs",
        module="",
        standin="misc:fine_tuning_jobs_route",
    ),
    # The Responses follow-up calls on a stored response (Azure v1 spec: /responses/{response_id} GET and
    # DELETE, /responses/{response_id}/input_items GET); their promises are in documented/responses_followup.
    DocumentedCall(
        kind="responses_retrieve",
        call="responses",
        documented="responses.retrieve",
        method="GET",
        path="responses/{response_id}",
        stream=False,
        schemas=("response",),
        object="response",
        body_schema="response",
        sdk_type="Response",
        sdk_module="openai.types.responses",
        capability="responses",
        route="responses",
        module="responses_followup",
        standin="responses_followup:retrieve_route",
        recorded="documented.responses_followup:check",
    ),
    DocumentedCall(
        kind="responses_input_items",
        call="responses.input_items",
        documented="responses.input_items.list",
        method="GET",
        path="responses/{response_id}/input_items",
        stream=False,
        schemas=("response.item-list",),
        object="list",
        # None: "list" -> schema stays the embeddings row's (the mutation operators map object -> schema);
        # documented/responses_followup checks the list against schemas[0]
        body_schema=None,
        sdk_type="ResponseItemList",
        sdk_module="openai.types.responses",
        capability="responses",
        route="responses",
        module="responses_followup",
        standin="responses_followup:input_items_route",
        recorded="documented.responses_followup:check",
    ),
    DocumentedCall(
        # Azure's 200 body is an inline schema ({object: "response.deleted", id, deleted: true}; OpenAI's spec
        # declares none), no component to generate: the module's invariants check it, the schema its errors (a
        # retrieve after the delete answers 404). The SDK returns None.
        kind="responses_delete",
        call="responses",
        documented="responses.delete",
        method="DELETE",
        path="responses/{response_id}",
        stream=False,
        schemas=("error",),
        object="response.deleted",
        body_schema=None,
        sdk_type="NoneType",
        sdk_module="types",
        capability="responses",
        route="responses",
        module="responses_followup",
        standin="responses_followup:delete_route",
        recorded="documented.responses_followup:check",
    ),
)


def by_kind(kind: str) -> DocumentedCall:
    """The row named ``kind`` (KeyError when there is none)."""
    for row in CALLS:
        if row.kind == kind:
            return row
    raise KeyError(kind)


def calls_by_path() -> dict[str, tuple[DocumentedCall, ...]]:
    """call path -> its rows, in registry order (``chat.completions`` -> chat, chat_stream)."""
    out: dict[str, tuple[DocumentedCall, ...]] = {}
    for row in CALLS:
        out[row.call] = out.get(row.call, ()) + (row,)
    return out


def routes() -> dict[str, str]:
    """stand-in route name -> the HTTP path (after the API prefix) it answers, in registry order (a route's
    first row: a follow-up call's path lies under its route's)."""
    out: dict[str, str] = {}
    for row in CALLS:
        out.setdefault(row.route, row.http_path)
    return out


def schema_names(profile: str) -> tuple[str, ...]:
    """Every schema name a documented call is checked against under ``profile``, in registry order, once."""
    names: dict[str, None] = {}
    for row in CALLS:
        for name in row.schemas + (row.azure_schemas if profile == "azure" else ()):
            names[name] = None
    return tuple(names)


@functools.cache
def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")


def match(method: str, path: str) -> tuple[DocumentedCall, dict[str, str]] | None:
    """The first row made by ``method`` on ``path`` (after the API prefix, no slashes around it) and the
    values of its template's ``{name}`` parts; None when no documented call is made that way."""
    for row in CALLS:
        if row.method == method and (m := row.pattern.match(path)) is not None:
            return row, m.groupdict()
    return None
