"""Mutation operators: one deviation from the documented behaviour, applied to one recorded interaction.

Each operator looks at one interaction of a cassette (a recorded HTTP answer) and returns the changed answer
and a one-line description of what changed, or ``None`` where it does not apply. Which field an operator
touches is chosen the same way for every body: the first candidate in sorted key order for which the official
(strict) schema says the change is a deviation (a ``required`` / ``type`` / ``enum`` error). The stream
operators act on the middle data event, so no operator picks the spot where a check happens to look.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .answer import Answer, Event
from .payload import (
    DISCRIMINATORS,
    OBJECT_SCHEMAS,
    PAYLOAD_OPS,
    PROFILE,
    PayloadOp,
    schema_name,
    strict_errors,
)
from .stream import (
    _stream_payload_op,
    break_sequence,
    delta_disagrees,
    drop_event,
    duplicate_event,
    remove_done,
    reorder_events,
)
from .wire import (
    accept_without_credentials,
    change_content_type,
    status_400_to_500,
    strip_request_id,
    swap_status,
)

__all__ = [
    "BY_NAME",
    "DISCRIMINATORS",
    "OBJECT_SCHEMAS",
    "OPERATORS",
    "PROFILE",
    "Answer",
    "Event",
    "Mutant",
    "Operator",
    "mutants_for",
    "schema_name",
    "strict_errors",
    "write_mutant",
]


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
