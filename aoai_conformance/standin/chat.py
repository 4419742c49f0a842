"""POST /openai/v1/chat/completions, shaped like the documented Azure examples (000_*.txt, "Chat")."""

from __future__ import annotations

import time
from typing import Any

from . import common as c
from .reply import DONE, Reply, ReplyError, invalid_request, json_reply, sse_reply

ROLES = ("system", "assistant", "user", "function", "tool", "developer")
# Azure v1 chat (gpt-5-mini, recorded for real: ../shared/realtraffic, issue 12) sends "system_fingerprint": null
# in every chat.completion and every chunk; the documented example shows DOCUMENTED_SYSTEM_FINGERPRINT. The
# stand-in sends StandIn.system_fingerprint, this by default.
SYSTEM_FINGERPRINT = None
DOCUMENTED_SYSTEM_FINGERPRINT = "fp_04751d0b65"

# Canned answers: the documented ones where the documented question is asked, an echo otherwise.
MICROSOFT_ANSWER = (
    "Microsoft was founded on April 4, 1975, by Bill Gates and Paul Allen in Albuquerque, New Mexico."
)
IMAGE_ANSWER = (
    "This image is a watercolor painting of a city skyline, featuring a prominent tower that "
    "resembles the Space Needle, which is located in Seattle. The painting uses a blend of colors "
    "to depict the cityscape and sky."
)


def _text_of(content: Any) -> tuple[str, int]:
    """Text of a message's content and the number of image tokens in it."""
    if content is None:
        return "", 0
    if isinstance(content, str):
        return content, 0
    texts, image_tokens = [], 0
    if isinstance(content, list):
        for i, part in enumerate(content):
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if kind == "text":
                texts.append(str(part.get("text", "")))
            elif kind == "image_url":
                image_tokens += _image_tokens(part.get("image_url"), i)
            elif kind == "refusal":
                texts.append(str(part.get("refusal", "")))
    return " ".join(texts), image_tokens


def _image_tokens(image_url: Any, index: int) -> int:
    """Accept http(s) and base64 data URLs; never fetch anything (there is no network)."""
    url = image_url.get("url") if isinstance(image_url, dict) else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://", "data:image/")):
        raise ReplyError(
            invalid_request(
                "Invalid image URL. The URL must be a valid HTTP or HTTPS URL, or a data URL with base64 encoding.",
                f"messages.[].content.[{index}].image_url.url",
                "invalid_image_url",
            )
        )
    if url.startswith("data:") and ";base64," not in url:
        raise ReplyError(
            invalid_request(
                "Invalid image data URL: expected base64 encoding.",
                f"messages.[].content.[{index}].image_url.url",
                "invalid_image_url",
            )
        )
    detail = image_url.get("detail", "auto")
    return c.IMAGE_TOKENS_LOW if detail == "low" else c.IMAGE_TOKENS


def validate(body: dict) -> list[dict]:
    if "messages" not in body:
        raise ReplyError(
            invalid_request(
                "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"
            )
        )
    messages = body["messages"]
    if not isinstance(messages, list):
        raise ReplyError(
            invalid_request(
                f"Invalid type for 'messages': expected an array of objects, but got "
                f"{type(messages).__name__} instead.",
                "messages",
                "invalid_type",
            )
        )
    if not messages:
        raise ReplyError(
            invalid_request(
                "Invalid 'messages': empty array. Expected an array with minimum length "
                "1, but got an empty array instead.",
                "messages",
                "empty_array",
            )
        )
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise ReplyError(
                invalid_request(
                    f"Invalid type for 'messages[{i}]': expected an object, but got "
                    f"{type(m).__name__} instead.",
                    f"messages[{i}]",
                    "invalid_type",
                )
            )
        if "role" not in m:
            raise ReplyError(
                invalid_request(
                    f"Missing required parameter: 'messages[{i}].role'.",
                    f"messages[{i}].role",
                    "missing_required_parameter",
                )
            )
        if m["role"] not in ROLES:
            raise ReplyError(
                invalid_request(
                    f"Invalid value: '{m['role']}'. Supported values are: 'system', 'assistant', 'user', "
                    "'function', 'tool', and 'developer'.",
                    f"messages[{i}].role",
                    "invalid_value",
                )
            )
    c.check_number(body, "temperature", 0, 2)
    c.check_number(body, "top_p", 0, 1)
    c.check_number(body, "presence_penalty", -2, 2)
    c.check_number(body, "frequency_penalty", -2, 2)
    c.check_int(body, "max_tokens", 1)
    c.check_int(body, "max_completion_tokens", 1)
    n = c.check_int(body, "n", 1)
    if n is not None and n > 128:
        raise ReplyError(
            invalid_request(
                f"Invalid 'n': integer above maximum value. Expected a value <= 128, but got {n} instead.",
                "n",
                "integer_above_max_value",
            )
        )
    so = body.get("stream_options")
    if so is not None and not body.get("stream"):
        raise ReplyError(
            invalid_request(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                "stream_options",
                None,
            )
        )
    return messages


def answer_for(messages: list[dict]) -> tuple[str, int, bool]:
    """(answer text, prompt tokens, has image)."""
    prompt_tokens, has_image, last_user = 3, False, ""
    for m in messages:
        text, image_tokens = _text_of(m.get("content"))
        prompt_tokens += 4 + c.count_tokens(text) + image_tokens
        has_image = has_image or image_tokens > 0
        if m["role"] == "user":
            last_user = text
    low = last_user.lower()
    if has_image:
        answer = IMAGE_ANSWER
    elif "microsoft" in low and "founded" in low:
        answer = MICROSOFT_ANSWER
    elif last_user.strip():
        answer = c.echo_answer(last_user)
    else:
        answer = "Hello! How can I assist you today?"
    return answer, prompt_tokens, has_image


def route(req: c.Request) -> Reply:
    """POST /chat/completions (the chat and chat_stream rows)."""
    return handle(req.ctx, req.body, system_fingerprint=req.standin.system_fingerprint)


def handle(ctx, body: dict, *, system_fingerprint: str | None = SYSTEM_FINGERPRINT) -> Reply:
    name, dep = c.resolve_deployment(ctx.deployments, body, c.CHAT)
    messages = validate(body)
    if dep.reasoning:
        if body.get("max_tokens") is not None:
            raise c.unsupported_parameter("max_tokens", " Use 'max_completion_tokens' instead.")
        if body.get("temperature") not in (None, 1):
            raise c.unsupported_parameter("temperature")
    elif body.get("reasoning_effort") is not None:
        raise c.unsupported_parameter("reasoning_effort")
    answer, prompt_tokens, has_image = answer_for(messages)
    if has_image and c.VISION not in dep.capabilities:
        raise ReplyError(
            invalid_request(
                "Invalid content type. image_url is only supported by certain models.",
                "messages.[0].content.[1].type",
                "invalid_type",
            )
        )
    reasoning_tokens = 0
    if dep.reasoning:
        reasoning_tokens = REASONING_TOKENS.get(body.get("reasoning_effort") or "medium", 192)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    toks = c.pieces(answer)
    finish = "stop"
    if limit is not None:
        budget = limit - reasoning_tokens
        if budget < len(toks):
            reasoning_tokens = min(reasoning_tokens, limit)
            toks = toks[: max(budget, 0)]
            finish = "length"
    text = "".join(toks)
    completion_tokens = len(toks) + reasoning_tokens
    usage: dict[str, Any] = {
        "completion_tokens": completion_tokens,
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens_details": None,
        "prompt_tokens_details": None,
    }
    if dep.reasoning:  # reasoning models report the breakdown (o-series on Azure do)
        usage["completion_tokens_details"] = {
            "accepted_prediction_tokens": 0,
            "audio_tokens": 0,
            "reasoning_tokens": reasoning_tokens,
            "rejected_prediction_tokens": 0,
        }
        usage["prompt_tokens_details"] = {"audio_tokens": 0, "cached_tokens": 0}
    pfr = c.image_prompt_filter_results() if has_image else c.prompt_filter_results()
    n = body.get("n") or 1
    cid, created = ctx.ids.chatcmpl(), int(time.time())
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return sse_reply(
            _stream_events(
                cid, created, dep.model, toks, finish, n, pfr, usage, include_usage, system_fingerprint
            )
        )
    if n > 1:
        usage["completion_tokens"] = completion_tokens * n
        usage["total_tokens"] = prompt_tokens + completion_tokens * n
    return json_reply(
        {
            "id": cid,
            "choices": [
                {
                    "finish_reason": finish,
                    "index": i,
                    "logprobs": None,
                    "message": {
                        "content": text,
                        "refusal": None,
                        "role": "assistant",
                        "function_call": None,
                        "tool_calls": None,
                    },
                    "content_filter_results": c.choice_filter_results(),
                }
                for i in range(n)
            ],
            "created": created,
            "model": dep.model,
            "object": "chat.completion",
            "service_tier": None,
            "system_fingerprint": system_fingerprint,
            "usage": usage,
            "prompt_filter_results": pfr,
        }
    )


REASONING_TOKENS = {"minimal": 0, "low": 64, "medium": 192, "high": 448}


def _stream_events(
    cid, created, model, toks, finish, n, pfr, usage, include_usage, system_fingerprint=SYSTEM_FINGERPRINT
) -> list:
    """Azure's chat stream: a first chunk carrying only prompt_filter_results (id "", object "", created 0,
    model "", choices []), a role chunk, content chunks, a finish chunk, the usage chunk if asked, [DONE]."""
    events: list = [
        {"choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": pfr}
    ]

    def chunk(index, delta, finish_reason=None, cfr=None):
        ev = {
            "choices": [
                {
                    "content_filter_results": cfr if cfr is not None else {},
                    "delta": delta,
                    "finish_reason": finish_reason,
                    "index": index,
                    "logprobs": None,
                }
            ],
            "created": created,
            "id": cid,
            "model": model,
            "object": "chat.completion.chunk",
            "system_fingerprint": system_fingerprint,
        }
        if include_usage:
            ev["usage"] = None
        return ev

    for i in range(n):
        events.append(chunk(i, {"content": "", "refusal": None, "role": "assistant"}))
        for piece in toks:
            events.append(chunk(i, {"content": piece}, cfr=c.choice_filter_results()))
        events.append(chunk(i, {}, finish_reason=finish))
    if include_usage:
        u = dict(usage)
        if n > 1:
            u["completion_tokens"] = usage["completion_tokens"] * n
            u["total_tokens"] = usage["prompt_tokens"] + u["completion_tokens"]
        events.append(
            {
                "choices": [],
                "created": created,
                "id": cid,
                "model": model,
                "object": "chat.completion.chunk",
                "system_fingerprint": system_fingerprint,
                "usage": u,
            }
        )
    events.append(DONE)
    return events
