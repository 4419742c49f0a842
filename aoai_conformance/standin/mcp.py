"""The faked MCP servers behind responses.create's MCP tool (never contacted: the stand-in has no network): the
tools each server advertises, the approval policy, a call's output and the answer built from it."""

from __future__ import annotations

import copy
import json

_SCHEMA_QUERY = {
    "type": "object",
    "properties": {"query": {"type": "string", "description": "The search query."}},
    "required": ["query"],
    "additionalProperties": False,
}
_SCHEMA_URL = {
    "type": "object",
    "properties": {"url": {"type": "string", "description": "The URL to fetch."}},
    "required": ["url"],
    "additionalProperties": False,
}
FAKE_MCP_TOOLS = {
    # the tools the Microsoft Learn MCP server (the documented example's server) advertises
    "microsoft_learn": [
        {
            "name": "microsoft_docs_search",
            "description": "Search official Microsoft/Azure documentation to find the most relevant and trustworthy "
            "content for a user's query.",
            "input_schema": _SCHEMA_QUERY,
            "annotations": {"readOnlyHint": True},
        },
        {
            "name": "microsoft_code_sample_search",
            "description": "Search for code snippets and examples in official Microsoft Learn documentation.",
            "input_schema": _SCHEMA_QUERY,
            "annotations": {"readOnlyHint": True},
        },
        {
            "name": "microsoft_docs_fetch",
            "description": "Fetch and convert a Microsoft Learn documentation page to markdown format.",
            "input_schema": _SCHEMA_URL,
            "annotations": {"readOnlyHint": True},
        },
    ],
}
GENERIC_MCP_TOOLS = [
    {
        "name": "search",
        "description": "Search the server's content.",
        "input_schema": _SCHEMA_QUERY,
        "annotations": {"readOnlyHint": True},
    },
    {
        "name": "fetch",
        "description": "Fetch one document by URL.",
        "input_schema": _SCHEMA_URL,
        "annotations": {"readOnlyHint": True},
    },
]

AZURE_FUNCTIONS_SUMMARY = (
    "Here is a summary of Azure Functions based on official Microsoft documentation:\n\n"
    "## What is Azure Functions?\n"
    "Azure Functions is a serverless compute service that enables you to run event-driven code without "
    "managing infrastructure. You pay only for the compute time you consume.\n\n"
    "- **Official overview:** [What is Azure Functions?]"
    "(https://learn.microsoft.com/en-us/azure/azure-functions/functions-overview)\n\n"
    "Let me know if you're looking for step-by-step tutorials, specific language samples, or deeper technical "
    "details!"
)


def tools_for(tool: dict) -> list[dict]:
    tools = copy.deepcopy(FAKE_MCP_TOOLS.get(str(tool.get("server_label", "")).lower(), GENERIC_MCP_TOOLS))
    allowed = tool.get("allowed_tools")
    if isinstance(allowed, dict):
        allowed = allowed.get("tool_names")
    if isinstance(allowed, list):
        tools = [t for t in tools if t["name"] in allowed]
    return tools


def needs_approval(tool: dict, name: str) -> bool:
    policy = tool.get("require_approval", "always")  # OpenAI's default is "always"
    if policy == "never":
        return False
    if isinstance(policy, dict):
        never = (policy.get("never") or {}).get("tool_names") or []
        always = (policy.get("always") or {}).get("tool_names")
        if name in never:
            return False
        if always is not None:
            return name in always
    return True


def output(tool: dict, name: str, args: dict) -> str:
    query = args.get("query") or args.get("url") or ""
    url = tool.get("server_url") or "https://example.invalid/mcp"
    return json.dumps(
        [
            {
                "title": f"Results for {query}",
                "content": f"Stand-in result from the {tool.get('server_label')} "
                f"MCP server's {name} tool for '{query}'.",
                "contentUrl": url,
            }
        ]
    )


def answer(tool: dict, query: str) -> str:
    if "azure functions" in query.lower():
        return AZURE_FUNCTIONS_SUMMARY
    return (
        f'Here is what the {tool.get("server_label")} MCP server returned for "{query}": a stand-in result. '
        "Let me know if you need more detail!"
    )
