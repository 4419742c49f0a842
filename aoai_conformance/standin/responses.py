"""POST /openai/v1/responses, shaped like the documented response body
(000_*.txt, "responses.create()"), with reasoning items, max_output_tokens truncation, streaming events
(built by ``standin/responses_stream``) and a faked MCP server tool (``standin/mcp``)."""

from __future__ import annotations

import copy
import json
import threading
import time
from typing import Any, Optional

from . import common as c
from . import mcp, responses_stream
from .reply import Reply, ReplyError, invalid_request, json_reply, sse_reply

EFFORTS = ("minimal", "low", "medium", "high")
REASONING_TOKENS = {"minimal": 0, "low": 64, "medium": 192, "high": 448}
MCP_LIST_TOOL_TOKENS = 40  # tool definitions a listed MCP tool adds to the context


class Store:
    """Stored responses (``store`` defaults to true) plus their pending MCP approval requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, dict] = {}

    def put(
        self, rid: str, response: dict, approvals: dict, tools: list, query: str = "", inputs: Any = None
    ) -> None:
        """``inputs``: the request's ``input`` as sent (GET .../input_items lists it)."""
        with self._lock:
            self._items[rid] = {
                "response": copy.deepcopy(response),
                "approvals": approvals,
                "tools": tools,
                "query": query,
                "input": copy.deepcopy(inputs),
            }

    def get(self, rid: str) -> Optional[dict]:
        with self._lock:
            item = self._items.get(rid)
            return copy.deepcopy(item) if item else None

    def delete(self, rid: str) -> bool:
        with self._lock:
            return self._items.pop(rid, None) is not None


# --- request parsing ----------------------------------------------------------------------------------------
def _parse_input(body: dict) -> tuple[str, int, list[dict]]:
    """(last user text, input tokens of this request's own input, mcp_approval_response items)."""
    raw = body.get("input")
    tokens, text = 2, ""
    approvals: list[dict] = []
    if isinstance(body.get("instructions"), str):
        tokens += 4 + c.count_tokens(body["instructions"])
    if raw is None:
        return text, tokens, approvals
    if isinstance(raw, str):
        return raw, tokens + 4 + c.count_tokens(raw), approvals
    if not isinstance(raw, list):
        raise ReplyError(
            invalid_request(
                f"Invalid type for 'input': expected one of a string or array of input "
                f"items, but got {type(raw).__name__} instead.",
                "input",
                "invalid_type",
            )
        )
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ReplyError(
                invalid_request(
                    f"Invalid type for 'input[{i}]': expected an object, but got "
                    f"{type(item).__name__} instead.",
                    f"input[{i}]",
                    "invalid_type",
                )
            )
        kind = item.get("type", "message")
        if kind == "mcp_approval_response":
            if "approval_request_id" not in item or "approve" not in item:
                raise ReplyError(
                    invalid_request(
                        f"Missing required parameter: 'input[{i}].approval_request_id'.",
                        f"input[{i}].approval_request_id",
                        "missing_required_parameter",
                    )
                )
            approvals.append(item)
            tokens += 4
        elif kind == "message":
            role = item.get("role")
            if role not in ("user", "assistant", "system", "developer"):
                raise ReplyError(
                    invalid_request(
                        f"Invalid value: '{role}'. Supported values are: 'assistant', 'system', 'developer', and "
                        "'user'.",
                        f"input[{i}].role",
                        "invalid_value",
                    )
                )
            content = item.get("content")
            t = ""
            if isinstance(content, str):
                t = content
            elif isinstance(content, list):
                parts = []
                for part in content:
                    if not isinstance(part, dict):
                        continue
                    if part.get("type") in ("input_text", "output_text"):
                        parts.append(str(part.get("text", "")))
                    elif part.get("type") == "input_image":
                        tokens += c.IMAGE_TOKENS_LOW if part.get("detail") == "low" else c.IMAGE_TOKENS
                t = " ".join(parts)
            tokens += 4 + c.count_tokens(t)
            if role == "user":
                text = t
        else:
            tokens += 4 + c.count_tokens(json.dumps(item))
    return text, tokens, approvals


def _echo_tool(tool: dict) -> dict:
    if not isinstance(tool, dict):
        raise ReplyError(
            invalid_request("Invalid type for 'tools[]': expected an object.", "tools", "invalid_type")
        )
    if tool.get("type") != "mcp":
        return tool
    for key in ("server_label",):
        if not tool.get(key):
            raise ReplyError(
                invalid_request(
                    f"Missing required parameter: 'tools[0].{key}'.",
                    f"tools[0].{key}",
                    "missing_required_parameter",
                )
            )
    if not tool.get("server_url") and not tool.get("connector_id"):
        raise ReplyError(
            invalid_request(
                "Missing required parameter: 'tools[0].server_url'.",
                "tools[0].server_url",
                "missing_required_parameter",
            )
        )
    echoed = {
        "type": "mcp",
        "server_label": tool["server_label"],
        "allowed_tools": tool.get("allowed_tools"),
        "headers": None,  # never echoed back: they carry the caller's secrets
        "require_approval": tool.get("require_approval", "always"),
        "server_description": tool.get("server_description"),
        "server_url": tool.get("server_url"),
    }
    return echoed


# --- the handlers ------------------------------------------------------------------------------------------
def create_route(req: c.Request) -> Reply:
    """POST /responses (the responses, responses_stream and mcp rows)."""
    return create(req.ctx, req.body)


def response_not_found(rid: str) -> Reply:
    return invalid_request(f"Response with id '{rid}' not found.", None, None, status=404)


def create(ctx, body: dict) -> Reply:
    name, dep = c.resolve_deployment(ctx.deployments, body, c.RESPONSES)
    c.check_number(body, "temperature", 0, 2)
    c.check_number(body, "top_p", 0, 1)
    max_out = c.check_int(body, "max_output_tokens", 16)
    reasoning_req = body.get("reasoning") or {}
    if not isinstance(reasoning_req, dict):
        raise ReplyError(
            invalid_request("Invalid type for 'reasoning': expected an object.", "reasoning", "invalid_type")
        )
    effort = reasoning_req.get("effort")
    if effort is not None and effort not in EFFORTS:
        raise ReplyError(
            invalid_request(
                f"Invalid value: '{effort}'. Supported values are: 'minimal', 'low', 'medium', and 'high'.",
                "reasoning.effort",
                "invalid_value",
            )
        )
    if dep.reasoning:
        effort = effort or "medium"
        if body.get("temperature") not in (None, 1):
            raise c.unsupported_parameter("temperature")
        if body.get("top_p") not in (None, 1):
            raise c.unsupported_parameter("top_p")
    elif effort is not None:
        raise c.unsupported_parameter("reasoning.effort")

    prev = None
    if body.get("previous_response_id") is not None:
        prev = ctx.store.get(str(body["previous_response_id"]))
        if prev is None:
            raise ReplyError(
                invalid_request(
                    f"Previous response with id '{body['previous_response_id']}' not found.",
                    "previous_response_id",
                    "previous_response_not_found",
                )
            )
    elif body.get("input") is None:
        raise ReplyError(
            invalid_request("Missing required parameter: 'input'.", "input", "missing_required_parameter")
        )
    user_text, input_tokens, approval_items = _parse_input(body)
    if prev is not None:
        input_tokens += prev["response"]["usage"]["total_tokens"] if prev["response"].get("usage") else 0
        if not user_text:
            user_text = prev.get("query", "")
    tools_in = body.get("tools")
    if tools_in is None and prev is not None:
        tools_echo = prev["tools"]
    else:
        if tools_in is not None and not isinstance(tools_in, list):
            raise ReplyError(
                invalid_request("Invalid type for 'tools': expected an array.", "tools", "invalid_type")
            )
        tools_echo = [_echo_tool(t) for t in (tools_in or [])]
    if dep.capabilities.isdisjoint({c.MCP}) and any(t.get("type") == "mcp" for t in tools_echo):
        raise ReplyError(invalid_request("Tool type 'mcp' is not supported with this model.", "tools", None))

    ids = ctx.ids
    output: list[dict] = []
    pending: dict[str, dict] = {}
    answer: Optional[str] = None

    # MCP: approval responses to a previous response's requests first, then fresh calls
    if approval_items:
        for a in approval_items:
            req = (prev or {}).get("approvals", {}).get(a["approval_request_id"])
            if req is None:
                raise ReplyError(
                    invalid_request(
                        f"No MCP approval request found with id '{a['approval_request_id']}'.",
                        "input",
                        "invalid_value",
                    )
                )
            tool = req["tool"]
            if a.get("approve"):
                args = json.loads(req["arguments"])
                output.append(
                    {
                        "id": ids.item("mcp"),
                        "type": "mcp_call",
                        "approval_request_id": a["approval_request_id"],
                        "arguments": req["arguments"],
                        "error": None,
                        "name": req["name"],
                        "output": mcp.output(tool, req["name"], args),
                        "server_label": tool["server_label"],
                        "status": "completed",
                    }
                )
                answer = mcp.answer(tool, args.get("query", ""))
            else:
                answer = (
                    f"I wasn't able to run the {req['name']} tool because the request was not approved. "
                    "How else can I help?"
                )
    else:
        for tool in [t for t in tools_echo if t.get("type") == "mcp"]:
            listed = mcp.tools_for(tool)
            output.append(
                {
                    "id": ids.item("mcpl"),
                    "type": "mcp_list_tools",
                    "server_label": tool["server_label"],
                    "tools": listed,
                    "error": None,
                }
            )
            input_tokens += MCP_LIST_TOOL_TOKENS * len(listed)
            if not listed:
                continue
            first = listed[0]
            key = "url" if "url" in first["input_schema"]["properties"] else "query"
            arguments = json.dumps({key: user_text})
            if mcp.needs_approval(tool, first["name"]):
                aid = ids.item("mcpr")
                output.append(
                    {
                        "id": aid,
                        "type": "mcp_approval_request",
                        "arguments": arguments,
                        "name": first["name"],
                        "server_label": tool["server_label"],
                    }
                )
                pending[aid] = {"tool": tool, "name": first["name"], "arguments": arguments}
            else:
                output.append(
                    {
                        "id": ids.item("mcp"),
                        "type": "mcp_call",
                        "approval_request_id": None,
                        "arguments": arguments,
                        "error": None,
                        "name": first["name"],
                        "output": mcp.output(tool, first["name"], json.loads(arguments)),
                        "server_label": tool["server_label"],
                        "status": "completed",
                    }
                )
                answer = mcp.answer(tool, user_text)
            break  # one MCP call per turn is enough for a stand-in

    # reasoning, then the message (unless an approval is pending: the turn ends with the request)
    status, incomplete = "completed", None
    reasoning_tokens = REASONING_TOKENS[effort or "medium"] if dep.reasoning else 0
    budget = max_out if max_out is not None else None
    if dep.reasoning:
        item = {"id": ids.item("rs"), "type": "reasoning", "summary": []}
        if reasoning_req.get("summary") in ("auto", "concise", "detailed"):
            item["summary"] = [
                {
                    "type": "summary_text",
                    "text": "**Answering the request**\n\nI considered the question and chose a short, "
                    "direct answer.",
                }
            ]
        if "reasoning.encrypted_content" in (body.get("include") or []):
            item["encrypted_content"] = "gAAAAA" + ids.alnum(120)
        output.insert(0, item)
        if budget is not None and reasoning_tokens >= budget:
            reasoning_tokens = budget
            status, incomplete = "incomplete", {"reason": "max_output_tokens"}
        if budget is not None:
            budget -= reasoning_tokens
    text_tokens = 0
    if not pending and status == "completed":
        if answer is None:
            answer = c.echo_answer(user_text)
        toks = c.pieces(answer)
        msg_status = "completed"
        if budget is not None and len(toks) > budget:
            toks = toks[:budget]
            status, incomplete, msg_status = "incomplete", {"reason": "max_output_tokens"}, "incomplete"
        text_tokens = len(toks)
        output.append(
            {
                "id": ids.item("msg"),
                "content": [
                    {"annotations": [], "text": "".join(toks), "type": "output_text", "logprobs": []}
                ],
                "role": "assistant",
                "status": msg_status,
                "type": "message",
            }
        )

    rid = ids.item("resp")
    text_cfg = {"format": {"type": "text"}, "verbosity": "medium"}
    if isinstance(body.get("text"), dict):
        text_cfg.update(body["text"])
    output_tokens = text_tokens + reasoning_tokens
    response = {
        "id": rid,
        "created_at": int(time.time()),
        "error": None,
        "incomplete_details": incomplete,
        "instructions": body.get("instructions"),
        "metadata": body.get("metadata") or {},
        "model": name,  # the documented body reports the deployment's name ("gpt-4.1-nano")
        "object": "response",
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "temperature": float(body.get("temperature", 1.0)),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": tools_echo,
        "top_p": float(body.get("top_p", 1.0)),
        "background": bool(body.get("background", False)),
        "conversation": None,
        "max_output_tokens": max_out,
        "max_tool_calls": body.get("max_tool_calls"),
        "previous_response_id": body.get("previous_response_id"),
        "prompt": None,
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {"effort": effort, "generate_summary": None, "summary": reasoning_req.get("summary")},
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": "default",
        "status": status,
        "text": text_cfg,
        "top_logprobs": body.get("top_logprobs") or 0,
        "truncation": body.get("truncation") or "disabled",
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
            "total_tokens": input_tokens + output_tokens,
        },
        "user": body.get("user"),
        "content_filters": None,
        "store": body.get("store", True),
    }
    if response["store"]:
        # the query is kept so an approval follow-up can answer about it
        ctx.store.put(rid, response, pending, tools_echo, user_text, inputs=body.get("input"))
    if body.get("stream"):
        return sse_reply(responses_stream.stream_events(response, ids))
    return json_reply(response)
