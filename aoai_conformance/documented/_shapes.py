"""Shape helpers every documented call's checks share: typed reads that fail a named promise.

Each takes the promise id to fail and the JSON path to report, so a broken shape is reported under the promise
of the check that read it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..checks import expect, fail


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(container: Any, key: str, promise: str, path: str) -> int:
    """A non-negative integer token count, or a failure of ``promise``."""
    value: Any = container.get(key) if isinstance(container, Mapping) else None
    expect(
        _is_int(value) and value >= 0,
        promise,
        f"{key} is not a non-negative integer",
        path=f"{path}.{key}",
        received=value,
    )
    return value


def _obj(value: Any, promise: str, what: str, path: str) -> Mapping:
    expect(isinstance(value, Mapping), promise, f"{what} is not an object", path=path, received=value)
    return value


def _list(value: Any, promise: str, what: str, path: str) -> list:
    expect(isinstance(value, list), promise, f"{what} is not a list", path=path, received=value)
    return value


def _detail_le(
    usage: Mapping, details_key: str, part_key: str, whole: int, promise: str, path: str, whole_name: str
) -> None:
    """``usage[details_key][part_key] <= whole`` when the details object is present (it may be null)."""
    details = usage.get(details_key)
    if details is None:
        return
    details = _obj(details, promise, details_key, f"{path}.{details_key}")
    if details.get(part_key) is None:
        return
    part = _count(details, part_key, promise, f"{path}.{details_key}")
    expect(
        part <= whole,
        promise,
        f"{part_key} exceeds {whole_name}",
        path=f"{path}.{details_key}.{part_key}",
        expected=f"<= {whole}",
        received=part,
    )


def _json_object(text: Any, promise: str, what: str, path: str) -> dict:
    expect(isinstance(text, str), promise, f"{what} is not a JSON string", path=path, received=text)
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        fail(promise, f"{what} is not valid JSON ({exc})", path=path, received=text)
    expect(isinstance(parsed, dict), promise, f"{what} is not a JSON object", path=path, received=text)
    return parsed


def _object_and_id(body: Any, obj: str, id_prefix: str, promises: str) -> None:
    """``object`` names the body's type and ``id`` carries its prefix (``<promises>.object`` / ``.id-prefix``)."""
    expect(
        isinstance(body, Mapping) and body.get("object") == obj,
        f"{promises}.object",
        f'object is not "{obj}"',
        path="object",
        expected=obj,
        received=body.get("object") if isinstance(body, Mapping) else body,
    )
    rid = body.get("id")
    expect(
        isinstance(rid, str) and rid.startswith(id_prefix),
        f"{promises}.id-prefix",
        f'id does not start with "{id_prefix}"',
        path="id",
        received=rid,
    )
