"""Mutation operators: one deviation from the documented behaviour, applied to one recorded interaction.

Each operator looks at one interaction of a cassette (a recorded HTTP answer) and returns the changed answer
and a one-line description of what changed, or ``None`` where it does not apply. Which field an operator
touches is chosen the same way for every body: the first candidate in sorted key order for which the official
(strict) schema says the change is a deviation (a ``required`` / ``type`` / ``enum`` error). The stream
operators act on the middle data event, so no operator picks the spot where a check happens to look.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core import FAULT_HEADER, SSEParser
from ..documented import registry

PROFILE = "azure"  # the stand-in cassettes are recorded under profile azure
MUTANT_TEXT = "aoai-mutant-value"

# Retried answers are discarded by the SDK; these are the statuses it retries (documented list + 409 in the SDK).
STATUS_MESSAGES = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
}


# --- one interaction, parsed ------------------------------------------------------------------------------
@dataclass
class Event:
    """One SSE event block: its raw text, and its JSON data (None for [DONE] or non-JSON)."""

    text: str
    data: Any = None
    done: bool = False

    @classmethod
    def parse(cls, block: str) -> Event:
        """The block read by the suite's own SSE parser (core.sse); the raw text is kept for rewriting."""
        parsed = SSEParser().feed(block.encode() + b"\n\n", 0.0)
        if not parsed:  # comments only
            return cls(block, None)
        if parsed[0].done:
            return cls(block, None, True)
        return cls(block, parsed[0].json)

    def with_data(self, data: Any) -> Event:
        compact = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        lines = [ln for ln in self.text.split("\n") if not ln.startswith("data:")]
        if isinstance(data, dict) and isinstance(data.get("type"), str):  # keep event: in step with the type
            lines = [f"event: {data['type']}" if ln.startswith("event:") else ln for ln in lines]
        return Event("\n".join([*lines, f"data: {compact}"]), data)


@dataclass
class Answer:
    """A recorded response (the vcrpy ``response`` dict) with helpers to read and rewrite it."""

    raw: dict[str, Any]
    position: int = 0  # interaction index in the cassette
    count: int = 1  # interactions in the cassette

    @property
    def status(self) -> int:
        return int(self.raw["status"]["code"])

    def header(self, name: str) -> str | None:
        for k, v in self.raw["headers"].items():
            if k.lower() == name.lower():
                return v[0] if isinstance(v, list) and v else v
        return None

    @property
    def text(self) -> str:
        body = self.raw.get("body") or {}
        value = body.get("string") if isinstance(body, dict) else body
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return value or ""

    @property
    def is_fault(self) -> bool:
        return self.header(FAULT_HEADER) is not None

    @property
    def is_stream(self) -> bool:
        return "text/event-stream" in (self.header("content-type") or "")

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def events(self) -> list[Event]:
        return [Event.parse(b) for b in self.text.split("\n\n") if b.strip()]

    repeated: bool = False  # the next interaction is the same request again

    @property
    def retried(self) -> bool:
        """The SDK sent the same request again next: it retried this answer and discarded it."""
        return self.repeated

    # rewriting (each returns a new raw response dict)
    def _copy(self) -> dict[str, Any]:
        return copy.deepcopy(self.raw)

    def with_text(self, text: str, raw: dict[str, Any] | None = None) -> dict[str, Any]:
        out = raw if raw is not None else self._copy()
        out["body"] = {"string": text}
        for k in list(out["headers"]):
            if k.lower() == "content-length":
                out["headers"][k] = [str(len(text.encode("utf-8")))]
        return out

    def with_json(self, body: Any) -> dict[str, Any]:
        return self.with_text(json.dumps(body, ensure_ascii=False))

    def with_events(self, events: list[Event]) -> dict[str, Any]:
        return self.with_text("".join(e.text + "\n\n" for e in events))

    def with_header(self, name: str, value: str | None) -> dict[str, Any]:
        out = self._copy()
        for k in list(out["headers"]):
            if k.lower() == name.lower():
                del out["headers"][k]
        if value is not None:
            out["headers"][name] = [value]
        return out

    def with_status(self, code: int) -> dict[str, Any]:
        out = self._copy()
        out["status"] = {"code": code, "message": STATUS_MESSAGES.get(code, "")}
        return out


# --- the strict schema as the oracle of "the documentation forbids this" ---------------------------------
# A body's "object" -> the schema it is checked against, from the call registry.
OBJECT_SCHEMAS = {row.object: row.body_schema for row in registry.CALLS if row.object and row.body_schema}


def schema_name(payload: Any, *, event: bool = False) -> str | None:
    from .. import schemas

    if not isinstance(payload, dict):
        return None
    if event and isinstance(payload.get("type"), str):
        name = "event." + payload["type"]
        return name if name in schemas.names(PROFILE) else None
    obj = payload.get("object")
    if obj in OBJECT_SCHEMAS:
        return OBJECT_SCHEMAS[obj]
    if obj == "" and "prompt_filter_results" in payload:  # Azure's prompt-filter chunk: object ""
        return "chat.completion.chunk"
    if "error" in payload and len(payload) == 1:  # the error envelope: no call's object, every call's error
        return "error"
    return None


def _flat(errors: Any) -> Iterator[Any]:
    for err in errors:
        yield err
        yield from _flat(err.context or [])


def strict_errors(payload: Any, name: str) -> list[tuple[str, str]]:
    """(validator keyword, message) of every strict-schema error, nested anyOf/oneOf context included."""
    from .. import schemas

    validator = schemas._validator(PROFILE, name, "strict")  # read-only use of the compiled validator
    return sorted({(e.validator, e.message) for e in _flat(validator.iter_errors(payload))})


def _new_errors(before: Any, after: Any, name: str, keyword: str) -> bool:
    old = set(strict_errors(before, name))
    return any(kw == keyword for kw, _ in set(strict_errors(after, name)) - old)


# --- paths into JSON --------------------------------------------------------------------------------------
def _walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every (path, value) below ``node``, keys in sorted order, depth first (the node itself first)."""
    yield path, node
    if isinstance(node, dict):
        for k in sorted(node):
            yield from _walk(node[k], (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, (*path, i))


def _set(root: Any, path: tuple, value: Any) -> Any:
    out = copy.deepcopy(root)
    node = out
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return out


def _drop(root: Any, path: tuple) -> Any:
    out = copy.deepcopy(root)
    node = out
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]
    return out


def shown(path: tuple) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out or "$"


def _other_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(value)
    if isinstance(value, str):
        return 12345
    return None


# --- payload operators (a JSON body, or one stream event's data) -------------------------------------------
PayloadOp = Callable[[Any, str], "tuple[Any, str] | None"]


def drop_required(payload: Any, name: str) -> tuple[Any, str] | None:
    """Remove the first field (sorted, top level first, then nested) the official schema requires."""
    paths = [p for p, _ in _walk(payload) if p and not isinstance(p[-1], int)]
    paths.sort(key=lambda p: (len(p), p))
    for path in paths:
        mutated = _drop(payload, path)
        if _new_errors(payload, mutated, name, "required"):
            return mutated, f"dropped required field {shown(path)}"
    return None


def drop_optional(payload: Any, name: str) -> tuple[Any, str] | None:
    """Remove the first top-level field the official schema does not require (a control: equivalent)."""
    if name == "error":  # the error schema requires nothing at all: "optional" says nothing there
        return None
    for key in sorted(payload) if isinstance(payload, dict) else []:
        mutated = _drop(payload, (key,))
        if not set(strict_errors(mutated, name)) - set(strict_errors(payload, name)):
            return mutated, f"dropped optional field .{key}"
    return None


def change_type(payload: Any, name: str) -> tuple[Any, str] | None:
    """Give the first scalar field (sorted, shallowest first) a value of another JSON type."""
    paths = [(p, v) for p, v in _walk(payload) if p and not isinstance(v, (dict, list)) and v is not None]
    paths.sort(key=lambda pv: (len(pv[0]), pv[0]))
    for path, value in paths:
        other = _other_type(value)
        mutated = _set(payload, path, other)
        if _new_errors(payload, mutated, name, "type"):
            return (
                mutated,
                f"{shown(path)}: {json.dumps(value)[:40]} -> {json.dumps(other)[:40]} (type changed)",
            )
    return None


def out_of_enum(payload: Any, name: str) -> tuple[Any, str] | None:
    """Put an undocumented value in the first enum-typed string field (discriminators object/type excluded)."""
    paths = [
        (p, v) for p, v in _walk(payload) if p and isinstance(v, str) and p[-1] not in ("object", "type")
    ]
    paths.sort(key=lambda pv: (len(pv[0]), pv[0]))
    for path, value in paths:
        mutated = _set(payload, path, MUTANT_TEXT)
        if _new_errors(payload, mutated, name, "enum") or _new_errors(payload, mutated, name, "const"):
            return mutated, f"{shown(path)}: {value!r} -> {MUTANT_TEXT!r} (not in the documented enum)"
    return None


def _object_swaps() -> dict[str, str]:
    """The other object of the same call path (chat.completion <-> chat.completion.chunk), from the registry."""
    out: dict[str, str] = {}
    for rows in registry.calls_by_path().values():
        objects = list(dict.fromkeys(row.object for row in rows if row.object and row.body_schema))
        if len(objects) == 2:
            out[objects[0]], out[objects[1]] = objects[1], objects[0]
    return out


# The discriminator each one becomes: another object of the same call (registry), else a documented object or
# event type of the API that no documented call of this suite answers with (these are the operator's own).
DISCRIMINATORS = {
    **_object_swaps(),
    "response": "conversation",
    "list": "embedding",
    "response.output_text.delta": "response.refusal.delta",
    "response.output_text.done": "response.refusal.done",
}


def change_discriminator(payload: Any, name: str) -> tuple[Any, str] | None:
    """Change the top-level ``object`` (bodies, chat chunks) or ``type`` (Responses events) discriminator."""
    if not isinstance(payload, dict):
        return None
    key = "type" if name.startswith("event.") else "object"
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        return None
    other = DISCRIMINATORS.get(value, value + ".mutant")
    return _set(payload, (key,), other), f".{key}: {value!r} -> {other!r}"


def break_usage_sum(payload: Any, name: str) -> tuple[Any, str] | None:
    """usage.total_tokens no longer adds up (the first usage object found, sorted order)."""
    for path, value in _walk(payload):
        if (
            path
            and path[-1] == "usage"
            and isinstance(value, dict)
            and isinstance(value.get("total_tokens"), int)
        ):
            total = value["total_tokens"]
            return (
                _set(payload, (*path, "total_tokens"), total + 7),
                f"{shown(path)}.total_tokens: {total} -> {total + 7} (no longer the sum)",
            )
    return None


def reorder_keys(payload: Any, name: str) -> tuple[Any, str] | None:
    """Reverse the key order of every object (a control: JSON objects are unordered)."""

    def rev(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: rev(node[k]) for k in reversed(list(node))}
        if isinstance(node, list):
            return [rev(v) for v in node]
        return node

    if not isinstance(payload, dict) or len(payload) < 2:
        return None
    return rev(payload), "reversed the key order of every JSON object"


def drop_content_filter(payload: Any, name: str) -> tuple[Any, str] | None:
    """Remove Azure's content filter results (prompt_filter_results, choices[].content_filter_results,
    content_filters) wherever they carry results."""
    out = copy.deepcopy(payload)
    dropped: list[str] = []
    if not isinstance(out, dict):
        return None
    for key in ("prompt_filter_results", "content_filters"):
        if out.get(key):
            del out[key]
            dropped.append(key)
    for i, choice in enumerate(out.get("choices") or []):
        if isinstance(choice, dict) and choice.get("content_filter_results"):
            del choice["content_filter_results"]
            dropped.append(f"choices[{i}].content_filter_results")
    return (out, "dropped " + ", ".join(dropped)) if dropped else None


PAYLOAD_OPS: dict[str, PayloadOp] = {
    "drop-required-field": drop_required,
    "change-field-type": change_type,
    "out-of-enum": out_of_enum,
    "change-discriminator": change_discriminator,
    "break-usage-sum": break_usage_sum,
    "drop-content-filter": drop_content_filter,
    "drop-optional-field": drop_optional,
    "reorder-json-keys": reorder_keys,
}


# --- stream operators ------------------------------------------------------------------------------------
def _data_positions(events: list[Event]) -> list[int]:
    return [i for i, e in enumerate(events) if isinstance(e.data, dict)]


def _middle(events: list[Event]) -> int | None:
    pos = _data_positions(events)
    return pos[len(pos) // 2] if len(pos) >= 3 else None


def _label(e: Event) -> str:
    d = e.data if isinstance(e.data, dict) else {}
    return d.get("type") or d.get("object") or "event"


def reorder_events(ans: Answer) -> tuple[dict, str] | None:
    ev = ans.events
    pos = _data_positions(ev)
    if len(pos) < 4:
        return None
    k = len(pos) // 2
    a, b = pos[k - 1], pos[k]
    ev[a], ev[b] = ev[b], ev[a]
    return ans.with_events(ev), f"swapped data events {k - 1} and {k} ({_label(ev[b])} <-> {_label(ev[a])})"


def drop_event(ans: Answer) -> tuple[dict, str] | None:
    ev = ans.events
    m = _middle(ev)
    if m is None:
        return None
    gone = ev.pop(m)
    return ans.with_events(ev), f"dropped the middle data event ({_label(gone)})"


def duplicate_event(ans: Answer) -> tuple[dict, str] | None:
    ev = ans.events
    m = _middle(ev)
    if m is None:
        return None
    ev.insert(m, ev[m])
    return ans.with_events(ev), f"duplicated the middle data event ({_label(ev[m])})"


def break_sequence(ans: Answer) -> tuple[dict, str] | None:
    ev = ans.events
    pos = [i for i in _data_positions(ev) if isinstance(ev[i].data.get("sequence_number"), int)]
    if len(pos) < 4:
        return None
    k = len(pos) // 2
    a, b = pos[k - 1], pos[k]
    sa, sb = ev[a].data["sequence_number"], ev[b].data["sequence_number"]
    ev[a] = ev[a].with_data({**ev[a].data, "sequence_number": sb})
    ev[b] = ev[b].with_data({**ev[b].data, "sequence_number": sa})
    return ans.with_events(ev), f"swapped sequence_number {sa} and {sb} (events stay in place)"


def delta_disagrees(ans: Answer) -> tuple[dict, str] | None:
    """A text delta says something the final text does not (only streams that carry a final text)."""
    ev = ans.events
    deltas = [i for i in _data_positions(ev) if ev[i].data.get("type") == "response.output_text.delta"]
    if not deltas:
        return None
    i = deltas[len(deltas) // 2]
    old = ev[i].data.get("delta", "")
    ev[i] = ev[i].with_data({**ev[i].data, "delta": old + "~"})
    return ans.with_events(ev), f"output_text.delta {old!r} -> {old + '~'!r} (final text unchanged)"


def remove_done(ans: Answer) -> tuple[dict, str] | None:
    ev = ans.events
    if not any(e.done for e in ev):
        return None
    return ans.with_events([e for e in ev if not e.done]), "removed data: [DONE]"


def _stream_payload_op(op: PayloadOp) -> Callable[[Answer], tuple[dict, str] | None]:
    """Apply a payload operator to the stream: the middle data event (or, for usage and content filters, the
    events that carry them)."""

    def apply(ans: Answer) -> tuple[dict, str] | None:
        ev = ans.events
        if op is drop_content_filter:
            changed, notes = False, []
            out = []
            for e in ev:
                res = drop_content_filter(e.data, "") if isinstance(e.data, dict) else None
                if res is None:
                    out.append(e)
                    continue
                changed = True
                data = res[0]
                # Azure's prompt-filter-only prelude chunk is nothing but filter results: it goes entirely.
                if data.get("object") == "" and not data.get("choices"):
                    notes.append("the prompt_filter_results prelude chunk")
                    continue
                notes.append(res[1].removeprefix("dropped "))
                out.append(e.with_data(data))
            if not changed:
                return None
            return ans.with_events(out), "dropped " + "; ".join(dict.fromkeys(notes))
        candidates = _data_positions(ev)
        if op is break_usage_sum:  # the event that carries the usage
            candidates = [i for i in candidates if _has_usage(ev[i].data)][-1:]
        else:
            m = _middle(ev)
            candidates = [m] if m is not None else []
        for i in candidates:
            name = schema_name(ev[i].data, event=True)
            if name is None:
                continue
            res = op(ev[i].data, name)
            if res is None:
                continue
            ev[i] = ev[i].with_data(res[0])
            return ans.with_events(
                ev
            ), f"data event {_data_positions(ev).index(i)} ({_label(ev[i])}): {res[1]}"
        return None

    return apply


def _has_usage(data: Any) -> bool:
    return any(p and p[-1] == "usage" and isinstance(v, dict) and "total_tokens" in v for p, v in _walk(data))


# --- wire operators --------------------------------------------------------------------------------------
def change_content_type(ans: Answer) -> tuple[dict, str] | None:
    old = ans.header("content-type")
    if old is None:
        return None
    new = "application/json" if ans.is_stream else "text/plain; charset=utf-8"
    return ans.with_header("content-type", new), f"content-type: {old} -> {new}"


def strip_request_id(ans: Answer) -> tuple[dict, str] | None:
    if ans.header("x-request-id") is None:
        return None
    return ans.with_header("x-request-id", None), "removed the x-request-id header"


SWAPS = {401: 403, 403: 401, 404: 400, 400: 404}


def swap_status(ans: Answer) -> tuple[dict, str] | None:
    if ans.status not in SWAPS:
        return None
    return ans.with_status(SWAPS[ans.status]), f"HTTP {ans.status} -> {SWAPS[ans.status]}"


def status_400_to_500(ans: Answer) -> tuple[dict, str] | None:
    if ans.status != 400:
        return None
    return ans.with_status(500), "HTTP 400 -> 500"


_SUCCESS: dict[str, Any] = {}


def success_answer() -> dict[str, Any]:
    """A recorded chat.completion answer (200) from the bundled chat cassette."""
    if not _SUCCESS:
        from .. import paths

        data = json.loads((paths.cassettes() / "standin" / "chat" / "test_chat_completion.json").read_text())
        _SUCCESS.update(data["interactions"][0]["response"])
    return copy.deepcopy(_SUCCESS)


def accept_without_credentials(ans: Answer) -> tuple[dict, str] | None:
    if ans.status != 401:
        return None
    return success_answer(), "HTTP 401 -> 200 with a chat.completion body (a wrong credential accepted)"


# --- the table -------------------------------------------------------------------------------------------
@dataclass
class Operator:
    name: str
    doc: str
    apply: Callable[[Answer], tuple[dict, str] | None]
    streams: bool = True  # applies to stream answers
    bodies: bool = True  # applies to JSON answers
    control: bool = False  # a change the documentation allows (expected equivalent)


def _json_op(op: PayloadOp) -> Callable[[Answer], tuple[dict, str] | None]:
    def apply(ans: Answer) -> tuple[dict, str] | None:
        body = ans.json
        name = schema_name(body)
        if name is None:
            return None
        res = op(body, name)
        return (ans.with_json(res[0]), res[1]) if res else None

    return apply


def _by_kind(json_fn: Callable, stream_fn: Callable) -> Callable[[Answer], tuple[dict, str] | None]:
    return lambda ans: (stream_fn if ans.is_stream else json_fn)(ans)


OPERATORS: list[Operator] = [
    *[
        Operator(
            name,
            (op.__doc__ or "").strip().splitlines()[0],
            _by_kind(_json_op(op), _stream_payload_op(op)),
            control=name in ("drop-optional-field", "reorder-json-keys"),
        )
        for name, op in PAYLOAD_OPS.items()
    ],
    Operator("reorder-stream-events", "swap the two middle data events", reorder_events, bodies=False),
    Operator("drop-stream-event", "drop the middle data event", drop_event, bodies=False),
    Operator("duplicate-stream-event", "send the middle data event twice", duplicate_event, bodies=False),
    Operator(
        "break-sequence-number",
        "swap the sequence_number of the two middle events",
        break_sequence,
        bodies=False,
    ),
    Operator("delta-disagrees", "a text delta disagrees with the final text", delta_disagrees, bodies=False),
    Operator("remove-done", "remove data: [DONE]", remove_done, bodies=False),
    Operator(
        "change-content-type",
        "JSON declared text/plain; a stream declared application/json",
        change_content_type,
    ),
    Operator("swap-status", "401<->403, 404<->400", swap_status),
    Operator("status-400-to-500", "400 -> 500", status_400_to_500),
    Operator("strip-x-request-id", "remove the x-request-id header", strip_request_id),
    Operator(
        "accept-without-credentials",
        "a 401 for a wrong credential becomes a 200 answer",
        accept_without_credentials,
    ),
]
BY_NAME = {op.name: op for op in OPERATORS}


@dataclass
class Mutant:
    id: str
    operator: str
    suite: str
    test: str  # the pytest node id (key-sync-standin)
    cassette: str  # relative to the cassettes dir
    interaction: int
    status: int
    retried: bool
    stream: bool
    change: str
    response: dict = field(repr=False, default_factory=dict)
    dir: str = ""  # the cassettes dir holding this mutant's cassette (set by the runner)

    def meta(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "response"}


def mutants_for(
    cassette: dict[str, Any], *, suite: str, test: str, rel: str, operators: list[Operator] | None = None
) -> list[Mutant]:
    """One mutant per operator per interaction where the operator applies."""
    out: list[Mutant] = []
    interactions = cassette.get("interactions") or []
    for i, inter in enumerate(interactions):
        ans = Answer(inter["response"], i, len(interactions))
        ans.repeated = i + 1 < len(interactions) and _same_request(inter, interactions[i + 1])
        if ans.is_fault:  # a recorded connection fault has no HTTP answer to change
            continue
        for op in operators or OPERATORS:
            if (ans.is_stream and not op.streams) or (not ans.is_stream and not op.bodies):
                continue
            res = op.apply(ans)
            if res is None:
                continue
            response, change = res
            stem = rel.removesuffix(".json")
            out.append(
                Mutant(
                    f"{stem}#{i}/{op.name}",
                    op.name,
                    suite,
                    test,
                    rel,
                    i,
                    ans.status,
                    ans.retried,
                    ans.is_stream,
                    change,
                    response,
                )
            )
    return out


def _same_request(a: dict[str, Any], b: dict[str, Any]) -> bool:
    ra, rb = a["request"], b["request"]
    return (ra.get("method"), ra.get("uri"), ra.get("body")) == (
        rb.get("method"),
        rb.get("uri"),
        rb.get("body"),
    )


def write_mutant(cassette: dict[str, Any], mutant: Mutant) -> dict[str, Any]:
    out = copy.deepcopy(cassette)
    out["interactions"][mutant.interaction]["response"] = mutant.response
    return out
