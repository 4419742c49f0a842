"""Which documented call a recorded request was, on which API, judged under which profile.

By method and path: ``/openai/v1/...`` (Azure v1), the dated ``/openai/deployments/{d}/...?api-version=...``
and ``/openai/...?api-version=...`` (Azure before v1), and ``/v1/...`` (api.openai.com and compatible
servers). The profile follows the host (``azure`` for Azure's OpenAI hosts, ``openai`` otherwise) unless the
user names one. Anything else is "not checked", never dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..config import AZURE_RESOURCE_HOSTS, PLACEHOLDER_HOST
from ..documented.registry import CALLS

# An Azure resource's hosts (config's list, sovereign clouds included), and this project's own scrubbed cassettes.
AZURE_HOSTS = (*AZURE_RESOURCE_HOSTS, "." + PLACEHOLDER_HOST.split(".", 1)[1])

# (method, path after the API prefix) -> (documented call, kind); a row's {name} path parts match one segment
_OPERATIONS = {(row.method, row.http_path): (row.documented, row.kind) for row in CALLS if row.plain}
_TEMPLATES = [
    (
        row.method,
        re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(row.http_path)) + "$"),
        row.http_path,
    )
    for row in CALLS
    if row.plain and "{" in row.http_path
]
_DEPLOYMENT = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/(?P<op>.+?)/?$")


@dataclass(frozen=True)
class Call:
    """A recorded request, identified. ``kind`` is None for a call the suite does not check."""

    call: str  # documented call (the report's row), or "METHOD /path" when not checked
    kind: str | None  # chat, chat_stream, responses, responses_stream, embeddings, fine_tuning
    api: str  # azure-v1, azure-deployments api-version=..., azure-preview api-version=..., openai-v1, unknown
    profile: str  # azure or openai
    request: Any  # the request body as JSON (None: not recorded or not JSON)

    @property
    def dated(self) -> bool:
        """An Azure API version before v1: judged as what it is, not as v1."""
        return self.api.startswith(("azure-deployments", "azure-preview"))


def profile_for(host: str) -> str:
    host = host.lower().split(":")[0]
    return "azure" if host.endswith(AZURE_HOSTS) else "openai"


def _request_json(body: bytes | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def identify(
    method: str, url: str, request_body: bytes | None, *, response_type: str = "", profile: str | None = None
) -> Call:
    parts = urlsplit(url)
    path = parts.path
    version = (parse_qs(parts.query).get("api-version") or [""])[0]
    prof = profile or profile_for(parts.netloc)
    request = _request_json(request_body)
    op, api = None, "unknown"
    if path.startswith("/openai/v1/"):
        op, api = path[len("/openai/v1/") :], "azure-v1"
    elif (m := _DEPLOYMENT.match(path)) and version:
        op, api = m["op"], f"azure-deployments api-version={version}"
    elif path.startswith("/openai/") and version:
        op, api = path[len("/openai/") :], f"azure-preview api-version={version}"
    elif "/v1/" in path:
        op, api = path.split("/v1/", 1)[1], "openai-v1"
    op = (op or "").strip("/")
    key = (method.upper(), op)
    if key not in _OPERATIONS:
        key = next(((m, t) for m, p, t in _TEMPLATES if m == key[0] and p.match(op)), key)
    if key not in _OPERATIONS:
        return Call(f"{method} {path}", None, api, prof, request)
    call, kind = _OPERATIONS[key]
    streamed = (isinstance(request, dict) and request.get("stream") is True) or response_type.split(";")[
        0
    ].strip().lower() == "text/event-stream"
    if streamed and kind in ("chat", "responses"):
        kind += "_stream"
        call += " (stream)"
    return Call(call, kind, api, prof, request)
