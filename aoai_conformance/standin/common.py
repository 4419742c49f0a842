"""Shared pieces: deployments, deterministic ids, a crude tokenizer, Azure content-filter annotations."""

from __future__ import annotations

import random
import re
import string
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

from ..documented import azure_errors
from .reply import ReplyError, deployment_not_found, gateway_error, invalid_request


@dataclass(frozen=True)
class Request:
    """What a route's handler sees: the registry row that names it (``standin="module:function"``) is the one
    made by this method and path."""

    ctx: Any  # the stand-in's state: deployments, ids, the responses store
    method: str
    params: dict[str, str]  # the row's path template parts ({response_id})
    body: Any  # the parsed JSON body (a dict for a documented call's POST), else None or the raw text
    who: str  # the credential that was accepted: "key" or "entra"
    standin: Any  # the StandIn, for its switches (system_fingerprint, embeddings_refuse_entra, ...)


@dataclass(frozen=True)
class Deployment:
    """One deployment of the fake resource: ``model`` is what chat completions report (Azure reports the
    versioned model name, e.g. ``gpt-4o-2024-08-06`` for a deployment named ``gpt-4o``)."""

    model: str
    capabilities: frozenset = field(default_factory=frozenset)
    dimensions: int = 0  # embeddings only
    reasoning: bool = False


CHAT, RESPONSES, VISION, EMBEDDINGS, MCP = "chat", "responses", "vision", "embeddings", "mcp"

DEFAULT_DEPLOYMENTS: dict[str, Deployment] = {
    # documented chat / streaming / image examples: deployment "gpt-4o" reports "gpt-4o-2024-08-06"
    "gpt-4o": Deployment("gpt-4o-2024-08-06", frozenset({CHAT, RESPONSES, VISION})),
    # documented responses.create example: model "gpt-4.1-nano"
    "gpt-4.1-nano": Deployment("gpt-4.1-nano-2025-04-14", frozenset({CHAT, RESPONSES})),
    # .NET / JS / Go pages: reasoning effort on "o4-mini"
    "o4-mini": Deployment("o4-mini-2025-04-16", frozenset({CHAT, RESPONSES, MCP}), reasoning=True),
    # documented MCP example: model "gpt-5"
    "gpt-5": Deployment("gpt-5-2025-08-07", frozenset({CHAT, RESPONSES, MCP}), reasoning=True),
    "text-embedding-3-large": Deployment("text-embedding-3-large", frozenset({EMBEDDINGS}), dimensions=3072),
    "text-embedding-3-small": Deployment("text-embedding-3-small", frozenset({EMBEDDINGS}), dimensions=1536),
}

OPERATION_NAMES = {CHAT: "chatCompletion", RESPONSES: "responses", EMBEDDINGS: "embeddings"}


def normalise_deployments(deployments: Optional[dict]) -> dict[str, Deployment]:
    """Accept Deployment objects or plain dicts ({"model", "capabilities", "dimensions", "reasoning"})."""
    if deployments is None:
        return dict(DEFAULT_DEPLOYMENTS)
    out = {}
    for name, d in deployments.items():
        if isinstance(d, Deployment):
            out[name] = d
        else:
            d = dict(d)
            d["capabilities"] = frozenset(d.get("capabilities", ()))
            d.setdefault("model", name)
            out[name] = Deployment(**d)
    return out


def resolve_deployment(
    deployments: dict[str, Deployment], body: dict, capability: str
) -> tuple[str, Deployment]:
    name = body.get("model")
    if name is None:
        raise ReplyError(
            invalid_request("Missing required parameter: 'model'.", "model", "missing_required_parameter")
        )
    if not isinstance(name, str):
        raise ReplyError(
            invalid_request(
                f"Invalid type for 'model': expected a string, but got {type(name).__name__} instead.",
                "model",
                "invalid_type",
            )
        )
    dep = deployments.get(name)
    if dep is None:
        raise ReplyError(deployment_not_found())
    if capability not in dep.capabilities:
        # Azure's gateway answer when a deployment's model cannot serve the operation.
        op = OPERATION_NAMES.get(capability, capability)
        raise ReplyError(gateway_error(400, azure_errors.operation_not_supported(op, dep.model)))
    return name, dep


class Ids:
    """Deterministic ids and uuids from one seeded RNG (thread-safe)."""

    ALNUM = string.ascii_letters + string.digits

    def __init__(self, seed: int = 0):
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def uuid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def alnum(self, n: int) -> str:
        with self._lock:
            return "".join(self._rng.choice(self.ALNUM) for _ in range(n))

    def hex(self, n: int) -> str:
        with self._lock:
            return "".join(self._rng.choice("0123456789abcdef") for _ in range(n))

    def chatcmpl(self) -> str:  # "chatcmpl-AUhZ11g6aNb1Nnxjp4hFUNcszw3uf": 29 characters after the prefix
        return "chatcmpl-" + self.alnum(29)

    def item(self, prefix: str) -> str:  # "resp_088ffc6b5f37c64d0068e187d0ceac819499c9331c2a02e92e": 50 hex
        return prefix + "_" + self.hex(50)


# --- tokens -------------------------------------------------------------------------------------------
# Not tiktoken: words and punctuation each count one, which lands close to the documented numbers
# (the chat example's 22 prompt tokens come out exactly). Pieces keep their leading whitespace, so
# "".join(pieces) == text.strip() and streamed deltas concatenate to the final text.
_PIECE = re.compile(r"\s*(?:\w+|[^\w\s])")

IMAGE_TOKENS = 625  # high detail; with "What's in this image?" the documented example's 639 comes out
IMAGE_TOKENS_LOW = 85


def pieces(text: str) -> list[str]:
    return _PIECE.findall(text or "")


def count_tokens(text: str) -> int:
    return len(pieces(text))


# --- Azure content filter annotations (shapes from the documented chat example) ---------------------------
SAFE = {"filtered": False, "severity": "safe"}
NOT_DETECTED = {"filtered": False, "detected": False}
HARM_CATEGORIES = ("hate", "self_harm", "sexual", "violence")


def choice_filter_results() -> dict[str, Any]:
    return {c: dict(SAFE) for c in HARM_CATEGORIES}


def prompt_filter_results(n_prompts: int = 1) -> list[dict[str, Any]]:
    """The documented text example: one entry with the four harm categories plus jailbreak."""
    out = []
    for i in range(n_prompts):
        cfr = {c: dict(SAFE) for c in HARM_CATEGORIES}
        cfr["jailbreak"] = dict(NOT_DETECTED)
        out.append({"prompt_index": i, "content_filter_results": dict(sorted(cfr.items()))})
    return out


def image_prompt_filter_results() -> list[dict[str, Any]]:
    """The documented image example: index 0 carries jailbreak only, index 1 the harm categories."""
    return [
        {"prompt_index": 0, "content_filter_results": {"jailbreak": dict(NOT_DETECTED)}},
        {
            "prompt_index": 1,
            "content_filter_results": {c: dict(SAFE) for c in ("sexual", "violence", "hate", "self_harm")},
        },
    ]


def check_number(body: dict, name: str, lo: float, hi: float) -> None:
    """OpenAI's validation messages for numeric ranges (passed through by Azure)."""
    if name not in body or body[name] is None:
        return
    v = body[name]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ReplyError(
            invalid_request(
                f"Invalid type for '{name}': expected a decimal, but got {type(v).__name__} instead.",
                name,
                "invalid_type",
            )
        )
    if v > hi:
        raise ReplyError(
            invalid_request(
                f"Invalid '{name}': decimal above maximum value. Expected a value <= "
                f"{hi:g}, but got {v} instead.",
                name,
                "decimal_above_max_value",
            )
        )
    if v < lo:
        raise ReplyError(
            invalid_request(
                f"Invalid '{name}': decimal below minimum value. Expected a value >= "
                f"{lo:g}, but got {v} instead.",
                name,
                "decimal_below_min_value",
            )
        )


def check_int(body: dict, name: str, lo: int) -> Optional[int]:
    if name not in body or body[name] is None:
        return None
    v = body[name]
    if isinstance(v, bool) or not isinstance(v, int):
        raise ReplyError(
            invalid_request(
                f"Invalid type for '{name}': expected an integer, but got {type(v).__name__} instead.",
                name,
                "invalid_type",
            )
        )
    if v < lo:
        raise ReplyError(
            invalid_request(
                f"Invalid '{name}': integer below minimum value. Expected a value >= "
                f"{lo}, but got {v} instead.",
                name,
                "integer_below_min_value",
            )
        )
    return v


def unsupported_parameter(name: str, extra: str = "") -> ReplyError:
    return ReplyError(
        invalid_request(
            f"Unsupported parameter: '{name}' is not supported with this model.{extra}",
            name,
            "unsupported_parameter",
        )
    )


def echo_answer(text: str) -> str:
    """The documented responses example's answer, generalised: 'Hello! I see you've sent a message saying
    "This is a test." How can I assist you today?'"""
    quote = " ".join((text or "").split())
    if not quote:
        return "Hello! How can I assist you today?"
    if quote[-1] not in ".!?":
        quote += "."
    return f'Hello! I see you\'ve sent a message saying "{quote}" How can I assist you today?'
