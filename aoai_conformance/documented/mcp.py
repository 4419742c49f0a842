"""responses.create with an MCP server tool: the tool listing, calls, and the approval turn.

Sources cited in the docstrings (``[seed]``, ``[oai]``, ``[azure]``): see ``documented/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..checks import expect
from ._shapes import _json_object

__all__ = ["PROMISES", "mcp_approval_followup", "mcp_output"]

PROMISES: dict[str, str] = {
    # MCP tool ([seed] MCP example, [oai] MCPListTools, MCPToolCall, MCPApprovalRequest)
    "mcp.list-tools": "an mcp_list_tools item for the server_label lists tools with name and input_schema",
    "mcp.call.server-label": "an mcp_call carries the requested server_label",
    "mcp.call.tool-listed": "an mcp_call names a tool listed by mcp_list_tools",
    "mcp.call.arguments-json": "mcp_call.arguments is a JSON object (as a string)",
    "mcp.call.result": "an mcp_call carries an output or an error",
    "mcp.approval.request": "approval required: an mcp_approval_request (id, server_label, name, JSON args)",
    "mcp.approval.not-requested": 'with require_approval "never", no mcp_approval_request appears',
    "mcp.approval.no-call-before": 'with require_approval "always", no mcp_call runs before approval',
    "mcp.approval.previous-response": "the follow-up's previous_response_id is the first response's id",
    "mcp.approval.call-matches": "the follow-up mcp_call is the approved request (name, server_label, id)",
}


def _items(body: Any, itype: str) -> list[tuple[int, Mapping]]:
    output = body.get("output") if isinstance(body, Mapping) else None
    output = output if isinstance(output, list) else []
    return [(i, it) for i, it in enumerate(output) if isinstance(it, Mapping) and it.get("type") == itype]


def _items_any(body: Any) -> list[tuple[int, Mapping]]:
    output = body.get("output") if isinstance(body, Mapping) else None
    return [
        (i, it) for i, it in enumerate(output if isinstance(output, list) else []) if isinstance(it, Mapping)
    ]


def _listed_tools(body: Mapping, server_label: str) -> set[str]:
    """Names from the body's mcp_list_tools item(s) for ``server_label`` (promise ``mcp.list-tools``)."""
    lists = [(i, it) for i, it in _items(body, "mcp_list_tools") if it.get("server_label") == server_label]
    expect(
        lists,
        "mcp.list-tools",
        f"no mcp_list_tools item for server_label {server_label!r}",
        path="output",
        expected=server_label,
        received=[it.get("server_label") for _, it in _items(body, "mcp_list_tools")],
    )
    names: set[str] = set()
    for i, it in lists:
        tools: Any = it.get("tools")
        expect(
            isinstance(tools, list) and tools,
            "mcp.list-tools",
            "mcp_list_tools has no tools",
            path=f"output[{i}].tools",
            received=it.get("error") or tools,
        )
        for k, tool in enumerate(tools):
            ok = (
                isinstance(tool, Mapping)
                and isinstance(tool.get("name"), str)
                and tool["name"]
                and isinstance(tool.get("input_schema"), Mapping)
            )
            expect(
                ok,
                "mcp.list-tools",
                "listed tool lacks a name or an input_schema object",
                path=f"output[{i}].tools[{k}]",
                received=tool,
            )
            names.add(tool["name"])
    return names


def _tool_reference(
    item: Mapping, path: str, server_label: str, listed: set[str], what: str, promises: tuple[str, str, str]
) -> None:
    """An item that refers to an MCP tool (a call, an approval request): the tool's server_label, a tool name
    mcp_list_tools listed, and arguments that parse as a JSON object. ``promises``: label, name, arguments."""
    label_p, name_p, args_p = promises
    expect(
        item.get("server_label") == server_label,
        label_p,
        f"{what} has another server_label",
        path=f"{path}.server_label",
        expected=server_label,
        received=item.get("server_label"),
    )
    expect(
        item.get("name") in listed,
        name_p,
        f"{what} names a tool mcp_list_tools did not list",
        path=f"{path}.name",
        expected=sorted(listed),
        received=item.get("name"),
    )
    _json_object(item.get("arguments"), args_p, f"{what}.arguments", f"{path}.arguments")


def _mcp_call(item: Mapping, path: str, server_label: str, listed: set[str]) -> None:
    _tool_reference(
        item,
        path,
        server_label,
        listed,
        "mcp_call",
        ("mcp.call.server-label", "mcp.call.tool-listed", "mcp.call.arguments-json"),
    )
    expect(
        item.get("output") is not None or item.get("error") is not None,
        "mcp.call.result",
        "mcp_call has neither output nor error",
        path=path,
        received=item,
    )


def mcp_output(body: Mapping, *, server_label: str, require_approval: Any = "never") -> None:
    """The output of a Responses call with an MCP tool.

    Promises: ``mcp.list-tools``, ``mcp.call.server-label``, ``mcp.call.tool-listed``,
    ``mcp.call.arguments-json``,
    ``mcp.call.result``, and by ``require_approval``: ``"never"`` -> ``mcp.approval.not-requested``;
    ``"always"`` -> ``mcp.approval.request`` and ``mcp.approval.no-call-before``; a filter object -> whatever
    approval requests appear are well-formed (``mcp.approval.request``).
    Sources: [seed] responses.create() with MCP server tool; [oai] MCPListTools, MCPToolCall,
    MCPApprovalRequest.
    """
    listed = _listed_tools(body, server_label)
    calls = _items(body, "mcp_call")
    requests = _items(body, "mcp_approval_request")
    if require_approval == "never":
        expect(
            not requests,
            "mcp.approval.not-requested",
            'approval requested although require_approval is "never"',
            path=f"output[{requests[0][0]}]" if requests else None,
        )
    else:
        if require_approval == "always":
            expect(
                requests,
                "mcp.approval.request",
                "no mcp_approval_request although approval is required",
                path="output",
                received=[it.get("type") for _, it in _items_any(body)],
            )
            expect(
                not calls,
                "mcp.approval.no-call-before",
                "mcp_call ran before approval",
                path=f"output[{calls[0][0]}]" if calls else None,
            )
        for i, req in requests:
            _approval_request(req, f"output[{i}]", server_label, listed)
    for i, call in calls:
        _mcp_call(call, f"output[{i}]", server_label, listed)


def _approval_request(req: Mapping, path: str, server_label: str, listed: set[str]) -> None:
    P = "mcp.approval.request"
    expect(
        isinstance(req.get("id"), str) and req["id"],
        P,
        "approval request has no id",
        path=f"{path}.id",
        received=req.get("id"),
    )
    _tool_reference(req, path, server_label, listed, "approval request", (P, P, P))


def mcp_approval_followup(first_body: Mapping, second_body: Mapping, approval_request_id: str) -> None:
    """The response to an ``mcp_approval_response`` (approve=True) sent with previous_response_id=first.id.

    Promises: ``mcp.approval.request`` (the approved id is a request of the first body),
    ``mcp.approval.previous-response``, ``mcp.approval.call-matches``, and the ``mcp.call.*`` shape promises
    for
    the executed call (tools listed in the first body: the follow-up need not list them again).
    Sources: [oai] MCPApprovalRequest, MCPToolCall.approval_request_id (absent in [azure]; checked when sent).
    """
    req: Any = next(
        (it for _, it in _items(first_body, "mcp_approval_request") if it.get("id") == approval_request_id),
        None,
    )
    expect(
        req is not None,
        "mcp.approval.request",
        "the approved id is not an approval request of the first body",
        path="output",
        expected=approval_request_id,
        received=[it.get("id") for _, it in _items(first_body, "mcp_approval_request")],
    )
    first_id = first_body.get("id") if isinstance(first_body, Mapping) else None
    prev = second_body.get("previous_response_id") if isinstance(second_body, Mapping) else None
    expect(
        prev == first_id and prev is not None,
        "mcp.approval.previous-response",
        "previous_response_id is not the first response's id",
        path="previous_response_id",
        expected=first_id,
        received=prev,
    )
    calls = _items(second_body, "mcp_call")
    expect(
        calls,
        "mcp.approval.call-matches",
        "the follow-up has no mcp_call",
        path="output",
        received=[it.get("type") for _, it in _items_any(second_body)],
    )
    i, call = next(
        ((i, c) for i, c in calls if c.get("approval_request_id") == approval_request_id), calls[0]
    )
    for key in ("name", "server_label"):
        expect(
            call.get(key) == req.get(key),
            "mcp.approval.call-matches",
            f"mcp_call {key} differs from the request",
            path=f"output[{i}].{key}",
            expected=req.get(key),
            received=call.get(key),
        )
    arid = call.get("approval_request_id")
    expect(
        arid is None or arid == approval_request_id,
        "mcp.approval.call-matches",
        "mcp_call.approval_request_id is not the approved request",
        path=f"output[{i}].approval_request_id",
        expected=approval_request_id,
        received=arid,
    )
    label = req.get("server_label")
    listed: set[Any] = {
        t.get("name")
        for _, it in _items(first_body, "mcp_list_tools")
        if it.get("server_label") == label
        for t in it.get("tools") or []
        if isinstance(t, Mapping)
    }
    listed |= {
        t.get("name")
        for _, it in _items(second_body, "mcp_list_tools")
        if it.get("server_label") == label
        for t in it.get("tools") or []
        if isinstance(t, Mapping)
    }
    _mcp_call(call, f"output[{i}]", label, listed)
