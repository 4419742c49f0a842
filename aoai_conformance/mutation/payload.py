"""The payload operators (a JSON body, or one stream event's data): the schema and semantic layers' mutations.

The official strict schema is the oracle of "the documentation forbids this": an operator changes the first
field, in sorted key order, whose change the strict schema reports as a deviation.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

from ..documented import registry

PROFILE = "azure"  # the stand-in cassettes are recorded under profile azure
MUTANT_TEXT = "aoai-mutant-value"


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
