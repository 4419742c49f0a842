"""POST /openai/v1/embeddings: deterministic unit-norm vectors seeded by the input text."""

from __future__ import annotations

import base64
import hashlib
import math
import random
import struct
from typing import Any

from ..documented import azure_errors
from . import common as c
from .reply import Reply, ReplyError, gateway_error, invalid_request, json_reply


def entra_refused() -> Reply:
    """The documented gap: embeddings refuse an Entra token (the text and its evidence: azure_errors)."""
    return gateway_error(401, azure_errors.ENTRA_REFUSED)


_INVALID_INPUT = (
    "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
)


def _inputs(body: dict) -> list[str]:
    if "input" not in body:
        raise ReplyError(
            invalid_request("Missing required parameter: 'input'.", "input", "missing_required_parameter")
        )
    raw = body["input"]
    if isinstance(raw, str):
        items: list[Any] = [raw]
    elif isinstance(raw, list) and raw and all(isinstance(x, int) for x in raw):
        items = [raw]  # one pre-tokenised input
    elif isinstance(raw, list):
        items = raw
    else:
        raise ReplyError(invalid_request(_INVALID_INPUT))
    if not items or len(items) > 2048:
        raise ReplyError(invalid_request(_INVALID_INPUT))
    out = []
    for x in items:
        if isinstance(x, str) and x:
            out.append(x)
        elif isinstance(x, list) and x and all(isinstance(t, int) and not isinstance(t, bool) for t in x):
            out.append(" ".join(str(t) for t in x))
        else:
            raise ReplyError(invalid_request(_INVALID_INPUT))
    return out


def vector(text: str, model: str, dims: int) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(f"{model}\0{text}".encode()).digest()[:8], "little")
    rng = random.Random(seed)
    v = [rng.gauss(0.0, 1.0) for _ in range(dims)]
    norm = math.sqrt(sum(x * x for x in v)) or 1.0
    # round-trip through float32 so float and base64 encodings carry the same numbers
    return list(struct.unpack(f"<{dims}f", struct.pack(f"<{dims}f", *(x / norm for x in v))))


def route(req: c.Request) -> Reply:
    """POST /embeddings; refused with an Entra token while the stand-in keeps the documented gap."""
    if req.who == "entra" and req.standin.embeddings_refuse_entra:
        return entra_refused()
    return handle(req.ctx, req.body)


def handle(ctx, body: dict) -> Reply:
    name, dep = c.resolve_deployment(ctx.deployments, body, c.EMBEDDINGS)
    texts = _inputs(body)
    fmt = body.get("encoding_format", "float")
    if fmt not in ("float", "base64"):
        raise ReplyError(
            invalid_request(
                f"Invalid value: '{fmt}'. Supported values are: 'float' and 'base64'.",
                "encoding_format",
                "invalid_value",
            )
        )
    dims = dep.dimensions
    if body.get("dimensions") is not None:
        d = body["dimensions"]
        if not dep.model.startswith("text-embedding-3"):
            raise ReplyError(
                invalid_request("This model does not support specifying dimensions.", "dimensions", None)
            )
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise ReplyError(
                invalid_request(
                    f"Invalid value for 'dimensions' = {d}. Must be a positive integer.", "dimensions", None
                )
            )
        if d > dep.dimensions:
            raise ReplyError(
                invalid_request(
                    f"This model's maximum dimensions is {dep.dimensions}, but {d} were requested.",
                    "dimensions",
                    None,
                )
            )
        dims = d
    data = []
    tokens = 0
    for i, t in enumerate(texts):
        vec = vector(t, dep.model, dims)
        tokens += c.count_tokens(t)
        emb: Any = vec
        if fmt == "base64":
            emb = base64.b64encode(struct.pack(f"<{dims}f", *vec)).decode("ascii")
        data.append({"object": "embedding", "index": i, "embedding": emb})
    return json_reply(
        {
            "object": "list",
            "data": data,
            "model": dep.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )
