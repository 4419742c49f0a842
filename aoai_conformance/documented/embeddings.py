"""The embeddings list: one vector per input, in order, of one length, finite; base64 vectors decode to floats.

Sources cited in the docstrings (``[seed]``, ``[oai]``, ``[azure]``): see ``documented/__init__.py``.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
from collections.abc import Mapping
from typing import Any

from .. import schemas, sdk, wire
from ..checks import expect, fail
from ..core import Context, Exchange
from . import registry, request_ids
from ._shapes import _count, _is_int, _is_num, _obj

__all__ = [
    "PROMISES",
    "ROW",
    "check",
    "decode_base64_embedding",
    "embedding_base64_matches",
    "embeddings",
]

ROW = registry.by_kind("embeddings")  # its schema names and SDK type

PROMISES: dict[str, str] = {
    # Embeddings ([seed] embeddings example, [oai] CreateEmbeddingResponse, Embedding)
    "embeddings.object": 'an embeddings body has object == "list"',
    "embeddings.count": "one embedding per input",
    "embeddings.index-order": "data[i].index == i (input order)",
    "embeddings.item-object": 'every data item has object == "embedding"',
    "embeddings.vector-length": "all vectors in a body have the same length",
    "embeddings.dimensions": "with dimensions=N requested, every vector has length N",
    "embeddings.finite": "vector values are finite numbers",
    "embeddings.usage": "usage.prompt_tokens == usage.total_tokens > 0",
    "embeddings.base64.decodes": "a base64 embedding decodes to little-endian float32 values",
    "embeddings.base64.matches": "base64 vectors decode to the float vectors of the same input",
}


def decode_base64_embedding(s: str) -> list[float]:
    """Decode an ``encoding_format="base64"`` embedding: little-endian float32 values (as the SDK does).

    Raises ConformanceFailure ``embeddings.base64.decodes`` if it is not base64 of a whole number of float32s.
    """
    expect(isinstance(s, str), "embeddings.base64.decodes", "base64 embedding is not a string", received=s)
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as exc:
        fail("embeddings.base64.decodes", f"embedding is not valid base64 ({exc})", received=s)
    expect(
        len(raw) % 4 == 0,
        "embeddings.base64.decodes",
        "decoded length is not a multiple of 4 bytes (float32)",
        received=len(raw),
    )
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def embeddings(body: Any, *, n_inputs: int, dimensions: int | None = None) -> None:
    """An embeddings body (float vectors; base64 strings are decoded first).

    Promises: ``embeddings.object``, ``.count``, ``.index-order``, ``.item-object``, ``.vector-length``,
    ``.dimensions`` (only with ``dimensions``), ``.finite``, ``.usage``.
    Sources: [seed] embeddings.create() example; [oai] CreateEmbeddingResponse, Embedding.
    """
    expect(
        isinstance(body, Mapping) and body.get("object") == "list",
        "embeddings.object",
        'object is not "list"',
        path="object",
        expected="list",
        received=body.get("object") if isinstance(body, Mapping) else body,
    )
    data = body.get("data")
    expect(
        isinstance(data, list) and len(data) == n_inputs,
        "embeddings.count",
        "not one embedding per input",
        path="data",
        expected=n_inputs,
        received=len(data) if isinstance(data, list) else data,
    )
    length = None
    for i, item in enumerate(data):
        path = f"data[{i}]"
        item = _obj(item, "embeddings.item-object", "data item", path)
        expect(
            item.get("index") == i and _is_int(item.get("index")),
            "embeddings.index-order",
            "data is not in input order",
            path=f"{path}.index",
            expected=i,
            received=item.get("index"),
        )
        expect(
            item.get("object") == "embedding",
            "embeddings.item-object",
            'object is not "embedding"',
            path=f"{path}.object",
            expected="embedding",
            received=item.get("object"),
        )
        vector: Any = item.get("embedding")
        if isinstance(vector, str):
            vector = decode_base64_embedding(vector)
        expect(
            isinstance(vector, list) and vector,
            "embeddings.finite",
            "embedding is not a non-empty list",
            path=f"{path}.embedding",
            received=vector,
        )
        # Thousands of values per vector: find the first bad one only if there is one.
        bad = next((k for k, v in enumerate(vector) if not (_is_num(v) and math.isfinite(v))), None)
        expect(
            bad is None,
            "embeddings.finite",
            "embedding value is not a finite number",
            path=f"{path}.embedding[{bad}]",
            received=vector[bad] if bad is not None else None,
        )
        if length is None:
            length = len(vector)
        expect(
            len(vector) == length,
            "embeddings.vector-length",
            "vectors have different lengths",
            path=f"{path}.embedding",
            expected=length,
            received=len(vector),
        )
        if dimensions is not None:
            expect(
                len(vector) == dimensions,
                "embeddings.dimensions",
                "vector length differs from dimensions",
                path=f"{path}.embedding",
                expected=dimensions,
                received=len(vector),
            )
    usage = _obj(body.get("usage"), "embeddings.usage", "usage", "usage")
    prompt = _count(usage, "prompt_tokens", "embeddings.usage", "usage")
    total = _count(usage, "total_tokens", "embeddings.usage", "usage")
    expect(
        prompt == total and total > 0,
        "embeddings.usage",
        "usage is not prompt_tokens == total_tokens > 0",
        path="usage",
        received=usage,
    )


def embedding_base64_matches(b64_body: Mapping, float_body: Mapping, *, tol: float = 1e-6) -> None:
    """Promises ``embeddings.base64.decodes`` and ``embeddings.base64.matches``: the same inputs requested
    with
    ``encoding_format="base64"`` and ``"float"`` give the same vectors (float32 rounding within ``tol``)."""
    b64_data: Any = b64_body.get("data") if isinstance(b64_body, Mapping) else None
    float_data: Any = float_body.get("data") if isinstance(float_body, Mapping) else None
    expect(
        isinstance(b64_data, list) and isinstance(float_data, list),
        "embeddings.base64.matches",
        "a body has no data list",
        path="data",
        received=[type(b64_data).__name__, type(float_data).__name__],
    )
    expect(
        len(b64_data) == len(float_data),
        "embeddings.base64.matches",
        "different number of embeddings",
        path="data",
        expected=len(float_data),
        received=len(b64_data),
    )
    for i, (b, f) in enumerate(zip(b64_data, float_data)):
        raw: Any = b.get("embedding") if isinstance(b, Mapping) else None
        vec = decode_base64_embedding(raw)
        ref: Any = f.get("embedding") if isinstance(f, Mapping) else None
        expect(
            isinstance(ref, list) and len(vec) == len(ref),
            "embeddings.base64.matches",
            "decoded vector length differs from the float vector",
            path=f"data[{i}].embedding",
            expected=len(ref) if isinstance(ref, list) else ref,
            received=len(vec),
        )
        for k, (x, y) in enumerate(zip(vec, ref)):
            expect(
                _is_num(y) and abs(x - y) <= tol,
                "embeddings.base64.matches",
                "decoded value differs from the float value",
                path=f"data[{i}].embedding[{k}]",
                expected=y,
                received=x,
            )


# --- the check bundle: every layer of the call ------------------------------------------------------------
def check(aoai: Context, ex: Exchange, *, n_inputs: int, dimensions: int | None = None) -> Any:
    """An embeddings list, all layers; returns the SDK's CreateEmbeddingResponse."""
    wire.common(ex, aoai)
    schemas.check(ex.body, ROW.schema, profile=aoai.profile)
    embeddings(ex.body, n_inputs=n_inputs, dimensions=dimensions)
    result = sdk.parsed(ex, ROW.sdk_type)
    request_ids.check(aoai, ex)
    return result
