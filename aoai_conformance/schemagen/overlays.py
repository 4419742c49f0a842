"""Overlays: Azure's measured behaviour, as small documented patches to the spec components.

Each ``overlays/*.json`` file describes ONE deviation between a published spec and what the service (or the
documented SDK output) really sends::

    {
      "id": "chat-message-null-tool-calls",
      "title": "...",
      "spec_says": "what the published spec declares",
      "azure_sends": "what is observed instead",        # or "sends" (not Azure-specific)
      "evidence": ["quote / document + section / recording that shows it"],
      "verdicts": ["compatible"],                        # optional; default ["strict", "compatible"]
      "ops": {"azure": [op, ...], "openai": [op, ...]}   # per profile; a profile left out is not patched
    }

``verdicts`` says which generated verdict the overlay patches. Left out, both: the spec itself is wrong
about the structure (strict and compatible read the patched component). ``["compatible"]``: a relaxation for
real traffic that every official SDK accepts (the verdict rule, ``schemas/README.md``); the strict verdict
keeps the spec's letter, so a body that needs the relaxation still has its strict error noted as a
``spec-deviation``. A compatible-only overlay may only *relax* (drop a required name, widen a type or enum,
add a component): the compatible verdict must accept everything the strict one does, as
``schemas.validate`` relies on. A component such an overlay adds (a stream event the spec does not know)
is declared in the strict components as ``{"properties": {"type": {"not": {}}}}``, so the strict verdict
rejects its type (``$.type``) and a run notes it.

Ops work on the (copied) ``components.schemas`` map of the profile's spec, in OpenAPI form, *before*
conversion, so ``nullable``/``$ref`` etc. are converted exactly like the spec's own. Paths are JSON Pointers
relative to ``components/schemas`` (``/AzureErrorResponse/properties/error``). Every op fails loudly when its
target is missing, and ``test`` ops pin what the spec says today, so an overlay that the spec has made
unnecessary (or that no longer fits) stops the generator instead of silently rotting:

* ``{"op": "test", "path": P, "value": V}``                 the spec has V at P (else: overlay is stale)
* ``{"op": "set", "path": P, "value": V}``                  set P (its parent must exist)
* ``{"op": "merge", "path": P, "value": {...}}``            add/replace keys of the object at P
* ``{"op": "remove-required", "path": P, "names": [...]}``  drop names from P's ``required`` (must be there)
* ``{"op": "add-component", "name": N, "value": S}``        new component N (must not exist)
* ``{"op": "copy-component", "from": P, "name": N}``        new component N = deep copy of the schema at P
* ``{"op": "wrap-component", "name": N, "spec_name": M, "value": S}``  move component N to M and put S
  (which may ``$ref`` M) in its place.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

OVERLAY_DIR = Path(__file__).with_name("overlays")
_FIELDS = ("id", "title", "spec_says", "evidence", "ops")
VERDICTS = ("strict", "compatible")


class OverlayError(ValueError):
    pass


def load_overlays(directory: Path = OVERLAY_DIR) -> list[dict[str, Any]]:
    out = []
    for path in sorted(directory.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        missing = [f for f in _FIELDS if not doc.get(f)]
        if not (doc.get("azure_sends") or doc.get("sends")):
            missing.append("azure_sends (or sends)")
        if missing:
            raise OverlayError(f"{path.name}: missing {missing}")
        verdicts = doc.setdefault("verdicts", list(VERDICTS))
        if not verdicts or not isinstance(verdicts, list) or any(v not in VERDICTS for v in verdicts):
            raise OverlayError(
                f"{path.name}: verdicts must be a non-empty list of {list(VERDICTS)}, not {verdicts!r}"
            )
        if doc["id"] != path.stem.split("-", 1)[1]:
            raise OverlayError(f"{path.name}: id {doc['id']!r} must match the file name after the NN- prefix")
        doc["file"] = path.name
        out.append(doc)
    return out


def _split(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise OverlayError(f"bad pointer {pointer!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def _get(doc: Any, pointer: str) -> Any:
    node = doc
    for part in _split(pointer):
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise OverlayError(f"{pointer}: {part!r} not found")
    return node


def for_verdict(overlays: list[dict[str, Any]], verdict: str) -> list[dict[str, Any]]:
    """The overlays that patch ``verdict`` (``strict`` or ``compatible``)."""
    if verdict not in VERDICTS:
        raise OverlayError(f"unknown verdict {verdict!r}")
    return [o for o in overlays if verdict in o.get("verdicts", VERDICTS)]


def apply_overlays(
    components: dict[str, Any], overlays: list[dict[str, Any]], profile: str
) -> dict[str, Any]:
    comps = copy.deepcopy(components)
    for overlay in overlays:
        for op in overlay["ops"].get(profile, []):
            try:
                _apply(comps, op)
            except (OverlayError, KeyError, IndexError, ValueError) as exc:
                raise OverlayError(f"overlay {overlay['file']} ({profile}) op {op}: {exc}") from None
    return comps


def _apply(comps: dict[str, Any], op: dict[str, Any]) -> None:
    kind = op["op"]
    if kind == "test":
        have = _get(comps, op["path"])
        if have != op["value"]:
            raise OverlayError(f"stale: spec has {have!r}, overlay expects {op['value']!r}")
    elif kind == "set":
        *parent, last = _split(op["path"])
        node = _get(comps, "/" + "/".join(parent)) if parent else comps
        if isinstance(node, list):
            node[int(last)] = copy.deepcopy(op["value"])
        else:
            node[last] = copy.deepcopy(op["value"])
    elif kind == "merge":
        node = _get(comps, op["path"])
        if not isinstance(node, dict):
            raise OverlayError("merge target is not an object")
        node.update(copy.deepcopy(op["value"]))
    elif kind == "remove-required":
        node = _get(comps, op["path"])
        req = node.get("required", [])
        for name in op["names"]:
            if name not in req:
                raise OverlayError(f"stale: {name!r} is not required")
        node["required"] = [r for r in req if r not in op["names"]]
    elif kind == "add-component":
        if op["name"] in comps:
            raise OverlayError(f"component {op['name']} exists")
        comps[op["name"]] = copy.deepcopy(op["value"])
    elif kind == "copy-component":
        if op["name"] in comps:
            raise OverlayError(f"component {op['name']} exists")
        comps[op["name"]] = copy.deepcopy(_get(comps, op["from"]))
    elif kind == "wrap-component":
        if op["spec_name"] in comps:
            raise OverlayError(f"component {op['spec_name']} exists")
        comps[op["spec_name"]] = comps.pop(op["name"])
        comps[op["name"]] = copy.deepcopy(op["value"])
    else:
        raise OverlayError(f"unknown op {kind!r}")
