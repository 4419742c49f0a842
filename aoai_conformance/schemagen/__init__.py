"""Generate ``schemas/`` from the official API specs plus the documented overlays.

``python -m aoai_conformance.schemagen [--check] [--specs DIR] [--out DIR]``

Inputs: ``../shared/specs`` (relative to the repo root; env ``AOAI_CONFORMANCE_SPECS_DIR`` overrides), read as
JSON: ``azure/azure-v1-v1-generated.TRIMMED.json`` (profile ``azure``) and ``openai/openapi.json`` (profile
``openai``); the commits come from ``SOURCES.txt``. Overlays: ``overlays/*.json``, applied in file-name order
to the spec components *before* conversion (see ``overlays.py``), per verdict: the strict components read
the overlays for both verdicts, the compatible ones those plus the compatible-only overlays.

Output, per profile: ``schemas/<profile>/components.strict.json`` and ``components.compatible.json`` (the
``$defs`` of every component the named schemas reach) and one ``schemas/<profile>/<name>.json`` per name,
whose root is the strict verdict and whose ``$defs.compatible`` is the compatible one. Output is
reproducible: sorted keys, indent 1, ``\\n`` line ends and a trailing newline; nothing time-dependent.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from ..documented import registry
from .convert import Converter, compatible
from .overlays import VERDICTS, apply_overlays, for_verdict, load_overlays

REPO_ROOT = Path(__file__).resolve().parents[2]
BASE_URI = "https://aoai-conformance.invalid/schemas/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

SPEC_FILES = {
    "azure": "azure/azure-v1-v1-generated.TRIMMED.json",
    "openai": "openai/openapi.json",
}
# The repository each spec comes from, as SOURCES.txt names it (the commit follows it there).
SPEC_REPOS = {
    "azure": "github.com/Azure/azure-rest-api-specs",
    "openai": "github.com/openai/openai-openapi",
}
UPSTREAM_PATHS = {
    "azure": "specification/ai/data-plane/OpenAI.v1/azure-v1-v1-generated.yaml (TRIMMED copy, JSON twin)",
    "openai": "openapi.json",
}

# name -> component, per profile. Stream events are added from the spec's own event list (see _event_targets).
# The names the documented calls are checked against are the registry's (documented/registry.py; generate()
# fails when one has no component here); the component each name reads is the spec's fact, so it stays here,
# with the helper schemas no call row names (usage, item, the stream-event union, the openai base response).
TARGETS: dict[str, dict[str, str]] = {
    "azure": {
        "response": "AzureResponse",
        "response.openai-base": "OpenAI.Response",
        "response.usage": "OpenAI.ResponseUsage",
        "response.stream-event": "OpenAI.ResponseStreamEvent",
        "item": "OpenAI.ItemResource",
        "chat.completion": "AzureCreateChatCompletionResponse",
        "chat.completion.chunk": "AzureCreateChatCompletionStreamResponse",
        "chat.completion.usage": "OpenAI.CompletionUsage",
        "embeddings": "OpenAI.CreateEmbeddingResponse",
        "error": "AzureErrorResponse",
        "content-filter.prompt": "AzurePromptContentFilterResults",
        "content-filter.prompt-entry": "AzureContentFilterResultForPrompt",
        "content-filter.choice": "AzureContentFilterResultForChoice",
        "mcp.tool": "OpenAI.MCPTool",
        "item.mcp_list_tools": "OpenAI.MCPListToolsItemResource",
        "item.mcp_call": "OpenAI.MCPCallItemResource",
        "item.mcp_approval_request": "OpenAI.MCPApprovalRequestItemResource",
        "item.message": "OpenAI.ResponsesMessageItemResource",
        "response.item-list": "OpenAI.ResponseItemList",
    },
    "openai": {
        "response": "Response",
        "response.usage": "ResponseUsage",
        "response.stream-event": "ResponseStreamEvent",
        "item": "OutputItem",
        "chat.completion": "CreateChatCompletionResponse",
        "chat.completion.chunk": "CreateChatCompletionStreamResponse",
        "chat.completion.usage": "CompletionUsage",
        "embeddings": "CreateEmbeddingResponse",
        "error": "ErrorResponse",
        "mcp.tool": "MCPTool",
        "item.mcp_list_tools": "MCPListTools",
        "item.mcp_call": "MCPToolCall",
        "item.mcp_approval_request": "MCPApprovalRequest",
        "item.message": "OutputMessage",
        "response.item-list": "ResponseItemList",
    },
}
EVENT_PREFIX = registry.EVENT_PREFIX
# The strict verdict's stand-in for a component only a compatible-only overlay declares.
NOT_IN_SPEC = {
    "$comment": "not declared by the spec; a compatible-only overlay declares it (x-source compatible_only)",
    "properties": {"type": {"not": {}}},
}

# Events the documented calls produce; the generator fails if a spec lacks one of them: the registry's stream
# events (the documented text stream, in order), then those of the other outcomes and tools.
REQUIRED_EVENTS = tuple(
    name[len(EVENT_PREFIX) :] for name in registry.schema_names("azure") if name.startswith(EVENT_PREFIX)
) + (
    "response.failed",
    "response.incomplete",
    "error",
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_part.done",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.mcp_list_tools.in_progress",
    "response.mcp_list_tools.completed",
    "response.mcp_list_tools.failed",
    "response.mcp_call.in_progress",
    "response.mcp_call.completed",
    "response.mcp_call.failed",
)
# The MCP call-arguments events are spelled differently by the two specs (Azure's TypeSpec keeps an older
# name; overlay 12 adds the OpenAI/SDK spelling to the Azure profile).
MCP_ARGUMENT_EVENTS = {
    "azure": (
        "response.mcp_call.arguments_delta",
        "response.mcp_call.arguments_done",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
    ),
    "openai": ("response.mcp_call_arguments.delta", "response.mcp_call_arguments.done"),
}


def specs_dir() -> Path:
    env = os.environ.get("AOAI_CONFORMANCE_SPECS_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "specs"


def read_sources(spec_dir: Path) -> dict[str, str]:
    """profile -> commit, from SOURCES.txt (the first ``commit:`` after the profile's repository line)."""
    text = (spec_dir / "SOURCES.txt").read_text(encoding="utf-8")
    commits = {}
    for profile, repo in SPEC_REPOS.items():
        at = text.find(repo)
        m = re.compile(r"commit:\s*([0-9a-f]{40})").search(text, at) if at >= 0 else None
        if not m:
            raise ValueError(f"SOURCES.txt names no commit for {repo}")
        commits[profile] = m.group(1)
    return commits


def dumps(doc: Any) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _event_targets(
    profile: str, components: dict[str, Any], converter: Converter, required: tuple[str, ...] | None = None
) -> dict[str, str]:
    """event type -> component, read from the spec's stream-event union (mapping, or the union's branches)."""
    root = components[TARGETS[profile]["response.stream-event"]]
    out: dict[str, str] = {}
    mapping = (root.get("discriminator") or {}).get("mapping")
    if mapping:
        out = {v: r.rsplit("/", 1)[1] for v, r in mapping.items()}
    else:
        for branch in root.get("anyOf") or root.get("oneOf") or []:
            name = branch["$ref"].rsplit("/", 1)[1]
            for value in converter._branch_values(branch, "type", name) or []:
                out[value] = name
    required = REQUIRED_EVENTS + MCP_ARGUMENT_EVENTS[profile] if required is None else required
    missing = [e for e in required if e not in out]
    if missing:
        raise ValueError(f"{profile}: the spec defines no stream event {missing}")
    return out


def generate(spec_dir: Path | None = None) -> dict[str, str]:
    """Relative path under schemas/ -> file text, for every generated file."""
    spec_dir = spec_dir or specs_dir()
    commits = read_sources(spec_dir)
    overlays = load_overlays()
    files: dict[str, str] = {}
    for profile, rel in SPEC_FILES.items():
        raw = (spec_dir / rel).read_bytes()
        spec = json.loads(raw)
        # Each verdict reads the spec plus the overlays that patch it (compatible-only overlays relax the
        # compatible verdict alone, so the strict verdict keeps the spec's letter and notes the deviation).
        patched = {
            v: apply_overlays(spec["components"]["schemas"], for_verdict(overlays, v), profile)
            for v in VERDICTS
        }
        converters = {v: Converter(patched[v]) for v in VERDICTS}
        targets = dict(TARGETS[profile])
        unnamed = [
            n for n in registry.schema_names(profile) if n not in targets and not n.startswith(EVENT_PREFIX)
        ]
        if unnamed:
            raise ValueError(f"{profile}: the registry's schemas {unnamed} have no component in TARGETS")
        for etype, comp in _event_targets(profile, patched["compatible"], converters["compatible"]).items():
            targets[EVENT_PREFIX + etype] = comp
        # The spec's own events are there (an overlay for both verdicts or compatible only may add more).
        _event_targets(profile, patched["strict"], converters["strict"], REQUIRED_EVENTS)
        wanted = sorted(set(targets.values()))
        bodies = {}
        for verdict in VERDICTS:
            conv = converters[verdict]
            known = [c for c in wanted if c in patched[verdict]]
            defs = conv.defs(conv.closure(known))
            for comp in wanted:
                if comp not in patched[verdict]:
                    # A component only a compatible-only overlay declares (a stream event the spec lacks):
                    # the strict verdict names the unknown type instead of a missing reference.
                    defs[comp] = dict(NOT_IN_SPEC)
            bodies[verdict] = defs if verdict == "strict" else compatible(defs)
        source = {
            "spec": rel,
            "upstream": SPEC_REPOS[profile] + " " + UPSTREAM_PATHS[profile],
            "commit": commits[profile],
            "sha256": hashlib.sha256(raw).hexdigest(),
            "openapi": spec.get("openapi"),
            "overlays": [o["id"] for o in overlays if profile in o["ops"]],
            "compatible_only": [
                o["id"] for o in overlays if profile in o["ops"] and "strict" not in o["verdicts"]
            ],
        }
        for verdict, body in bodies.items():
            files[f"{profile}/components.{verdict}.json"] = dumps(
                {
                    "$schema": DIALECT,
                    "$id": f"{BASE_URI}{profile}/components.{verdict}.json",
                    "$comment": f"GENERATED by python -m aoai_conformance.schemagen ({verdict} verdict); "
                    "do not edit",
                    "x-source": source,
                    "$defs": dict(sorted(body.items())),
                }
            )
        for name, comp in sorted(targets.items()):
            files[f"{profile}/{name}.json"] = dumps(
                {
                    "$schema": DIALECT,
                    "$id": f"{BASE_URI}{profile}/{name}.json",
                    "$comment": "GENERATED by python -m aoai_conformance.schemagen; do not edit. "
                    "Root: strict verdict; $defs.compatible: compatible verdict.",
                    "x-source": {**source, "component": comp},
                    "$ref": f"components.strict.json#/$defs/{comp}",
                    "$defs": {"compatible": {"$ref": f"components.compatible.json#/$defs/{comp}"}},
                }
            )
    files["index.json"] = dumps(
        {
            "$comment": "GENERATED: name -> component per profile (event.<type> for Responses stream events)",
            "profiles": {
                p: {
                    n.split("/", 1)[1][:-5]: json.loads(t)["x-source"]["component"]
                    for n, t in files.items()
                    if n.startswith(p + "/") and "/components." not in n
                }
                for p in SPEC_FILES
            },
            "sources": {p: {"spec": SPEC_FILES[p], "commit": read_sources(spec_dir)[p]} for p in SPEC_FILES},
        }
    )
    return files


def write(files: dict[str, str], out_dir: Path) -> list[str]:
    """Write ``files`` under ``out_dir`` (removing stale generated .json files); returns changed paths."""
    changed = []
    for rel, text in files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            changed.append(rel)
    for path in sorted(out_dir.rglob("*.json")):
        rel = path.relative_to(out_dir).as_posix()
        if rel not in files:
            path.unlink()
            changed.append(rel + " (removed)")
    return changed


def diff(files: dict[str, str], out_dir: Path) -> list[str]:
    """Paths whose committed content differs from ``files`` (missing, changed or stale)."""
    bad = [
        rel
        for rel, text in files.items()
        if not (out_dir / rel).exists() or (out_dir / rel).read_text(encoding="utf-8") != text
    ]
    bad += [
        p.relative_to(out_dir).as_posix() + " (stale)"
        for p in out_dir.rglob("*.json")
        if p.relative_to(out_dir).as_posix() not in files
    ]
    return sorted(bad)
