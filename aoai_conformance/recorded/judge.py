"""A recorded interaction through the same layers a live call goes through (``aoai_conformance.layers``).

The layers take the context a call was made in; for a recording that is :class:`Recorded`: the profile, and
no attempt log (so the credential checks say "not recorded"). What the recording did not keep (response
headers, the request, a stream's framing) is noted as ``not-recorded`` by the checks that need it, never
failed. The SDK layer is the installed openai SDK's own parse of the recorded bytes: the same function a
client runs on a 2xx body, its own error class for a 4xx/5xx, and its own ``Stream`` over an event stream.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, Callable, Mapping

import openai

from .. import checks, invariants, layers
from ..core import Credentials, Exchange, SSEEvent, SSEParser, StreamExchange, parse_json
from ..documented.registry import CALLS
from ..sdk import HTTP
from .identify import Call
from .readers import Interaction

__all__ = ["BadRecording", "Recorded", "judge"]


class BadRecording(ValueError):
    """The recording itself is broken (a stream cut mid-event): bad input, not a verdict on the service."""


_TYPES = {row.kind: (row.sdk_module, row.sdk_type) for row in CALLS}  # kind -> the SDK type it parses


class Recorded:
    """What ``aoai`` is to a live test, for a recording: the profile, and what was not recorded."""

    mode = "check"
    live = False
    checks_stream_timing = False  # recorders buffer streams: no arrival times
    sent = None  # no attempt log: wire.credentials says "not recorded"

    def __init__(self, profile: str) -> None:
        self.profile = profile

    @property
    def azure(self) -> bool:
        return self.profile == "azure"

    @property
    def built(self) -> Credentials:
        """core.Context's: the layers read it only when ``sent`` is not None, and a recording has neither."""
        raise AttributeError("a recording has no client: how it was built is not recorded")


@functools.cache
def _client() -> openai.OpenAI:
    # Never sends anything: it only lends the SDK's parse and its error classes to recorded bytes.
    return openai.OpenAI(api_key="recorded", base_url="https://recorded.invalid/v1/", max_retries=0)


def _type(kind: str) -> Any:
    module, name = _TYPES[kind]
    return getattr(__import__(module, fromlist=[name]), name)


def _response(it: Interaction, headers: Any) -> Any:
    return HTTP.Response(
        it.status,
        headers=headers,
        content=it.content,
        request=HTTP.Request(it.method, it.url or "https://recorded.invalid/"),
    )


def _caveat(it: Interaction, *words: str) -> bool:
    """The recording's provenance says it left something out (the corpus's caveats, written by whoever
    collected it): the checks that need that part say "not recorded" instead of failing."""
    return any(all(w in str(c) for w in words) for c in it.provenance.get("caveats") or [])


def exchange(it: Interaction, call: Call) -> Exchange | StreamExchange:
    """The recording as the exchange a live call would have produced, with the SDK's own parse of it."""
    recorded = it.response_headers is not None and it.provenance.get("headers_recorded", True) is not False
    if recorded and _caveat(it, "x-request-id") and "x-request-id" not in (it.response_headers or {}):
        # a recorder that drops x-* headers: the request-id checks have nothing to judge
        recorded = False
    headers = HTTP.Headers(it.response_headers or {})
    if call.kind and call.kind.endswith("_stream") and it.status < 400:
        parser = SSEParser()
        events = parser.feed(it.content, 0.0)  # recorders buffer streams: no timing
        tail = parser.close(0.0)
        if tail and tail[-1].data.strip() != "[DONE]" and parse_json(tail[-1].data.encode()) is None:
            raise BadRecording(
                f"the stream is cut inside an event (after {len(events)} complete events): "
                "a truncated recording; record it again"
            )
        events += tail
        if _caveat(it, "framing") and not (events and events[-1].data.strip() == "[DONE]"):
            checks.note(
                "not-recorded",
                "the recording rebuilt this stream's SSE framing without its [DONE] "
                "line: the done marker is not checked",
            )
            events.append(SSEEvent(None, "[DONE]", 0.0))
        sx = StreamExchange(
            call.call,
            it.status,
            headers,
            it.content,
            events,
            request_id=headers.get("x-request-id"),
            request_body=call.request,
            headers_recorded=recorded,
        )
        try:
            sx.sdk_events = list(
                openai.Stream(cast_to=_type(call.kind), response=_response(it, headers), client=_client())
            )
        except Exception as exc:  # the SDK layer reports it; the raw layers still judge the events
            sx.sdk_error = exc
        return sx
    body = parse_json(it.content)
    ex = Exchange(
        call.call, it.status, headers, it.content, body, request_body=call.request, headers_recorded=recorded
    )
    if it.status >= 400:
        ex.error = _client()._make_status_error_from_response(_response(it, headers))
        ex.request_id = ex.error.request_id
        return ex
    if call.kind is None:  # a call the suite does not check: no SDK type to parse it as
        return ex
    try:
        # the client's own step from JSON to its type (the response object is used only to report an error)
        ex.sdk = _client()._process_response_data(
            data=body, cast_to=_type(call.kind), response=_response(it, headers)
        )
        openai._models.add_request_id(ex.sdk, headers.get("x-request-id"))
        ex.request_id = getattr(ex.sdk, "_request_id", None)
    except Exception as exc:  # e.g. a body that is not JSON: the raw layers say why
        ex.sdk_error = exc
    return ex


def judge(it: Interaction, call: Call) -> None:
    """Every layer that applies; raises ConformanceFailure on the first broken promise, notes the rest."""
    ctx = Recorded(call.profile)
    ex = exchange(it, call)
    request = call.request if isinstance(call.request, Mapping) else None
    if request is None:
        checks.note(
            "not-recorded",
            "the recording has no request body: checks that compare the answer with "
            "the request (max_tokens, inputs, echoes) are not made",
        )
    # a stream that answered is judged as its row says: exchange() reads an error answer as JSON
    if it.status >= 400 and not isinstance(ex, StreamExchange):
        layers.status_error(ctx, ex, it.status)
        return
    judged = _JUDGES.get(call.kind or "")
    if judged is None:
        checks.note("info", f"{call.call} answered {it.status}: only its errors are documented")
        return
    judged(ctx, ex, call.kind)


def _function(ref: str) -> Callable[..., Any]:
    """A registry row's ``recorded`` ("module:function" in aoai_conformance) as the function it names."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(f"aoai_conformance.{module}"), name)


def _request(ex: Exchange | StreamExchange) -> Mapping:
    return ex.request_body if isinstance(ex.request_body, Mapping) else {}


# --- the judges the existing rows name (a new call's row names one in its own module) ------------------------
# Each is fn(ctx, exchange, kind); the request, when recorded, is the exchange's request_body.
def chat(ctx: Recorded, ex: Exchange, kind: str) -> None:
    layers.chat_completion(ctx, ex, max_tokens=_request(ex).get("max_tokens"))


def chat_stream(ctx: Recorded, sx: StreamExchange, kind: str) -> None:
    req = _request(sx)
    usage = (req.get("stream_options") or {}).get("include_usage")
    if usage is None and not isinstance(sx.request_body, Mapping):
        usage = any(isinstance(c, Mapping) and c.get("usage") for c in sx.data)
    layers.chat_stream(ctx, sx, include_usage=bool(usage), max_tokens=req.get("max_tokens"))


def responses(ctx: Recorded, ex: Exchange, kind: str) -> None:
    layers.response(ctx, ex)
    _responses_request(ex.body, _request(ex))


def responses_stream(ctx: Recorded, sx: StreamExchange, kind: str) -> None:
    _, final = layers.responses_stream(ctx, sx)
    _responses_request(final, _request(sx))


def embeddings(ctx: Recorded, ex: Exchange, kind: str) -> None:
    req = _request(ex)
    data = ex.body.get("data") if isinstance(ex.body, Mapping) else None
    layers.embeddings(ctx, ex, n_inputs=_inputs(req.get("input"), data), dimensions=req.get("dimensions"))


def _inputs(value: Any, data: Any) -> int:
    if isinstance(value, str) or (isinstance(value, list) and value and isinstance(value[0], int)):
        return 1
    if isinstance(value, list):
        return len(value)
    return len(data) if isinstance(data, list) else 1  # request not recorded: the count is not checked


def _responses_request(body: Any, req: Mapping) -> None:
    """What the request asked for comes back: instructions, reasoning effort, the MCP tool's output."""
    if not isinstance(body, Mapping) or body.get("status") != "completed":
        return
    effort = (req.get("reasoning") or {}).get("effort") if isinstance(req.get("reasoning"), Mapping) else None
    instructions = req.get("instructions") if isinstance(req.get("instructions"), str) else None
    invariants.response_echoes(body, instructions=instructions, effort=effort)
    carried = isinstance(req.get("input"), list) and any(
        isinstance(i, Mapping) and i.get("type") == "mcp_list_tools" for i in req["input"]
    )
    if carried or req.get("previous_response_id"):
        # a later turn: the tool list came with the conversation, so the server need not list it again
        checks.note("info", "a follow-up turn of an MCP conversation: the tool listing is not checked")
        return
    for tool in req.get("tools") or []:
        if isinstance(tool, Mapping) and tool.get("type") == "mcp" and tool.get("server_label"):
            invariants.mcp_output(
                body,
                server_label=tool["server_label"],
                require_approval=tool.get("require_approval", "never"),
            )


# kind -> its judge, as the registry rows name them (tests/test_registry.py: each row has what this needs)
_JUDGES: dict[str, Callable[..., Any]] = {row.kind: _function(row.recorded) for row in CALLS if row.recorded}
