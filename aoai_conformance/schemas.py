"""Validate bodies and stream events against the generated JSON Schemas (``schemas/``).

Two verdicts per body, plus drift:

* **compatible** -- required fields, types and enum/const values (the structure that selects them included:
  discriminators, nullability). Unknown fields are allowed. A compatible error *fails* the test
  (``ConformanceFailure("schema.compatible", ...)``).
* **strict** -- the spec as published (plus the overlays in ``aoai_conformance/schemagen/overlays``): formats
  are annotations only, but numeric bounds, lengths, item counts, ``oneOf`` exclusivity and
  ``additionalProperties: false`` (only where the spec itself says so) are checked. Strict-only errors are
  *noted* as ``spec-deviation``.
* **drift** -- fields present in the body that no applicable schema declares at that location (where the
  schema lists properties and has no ``additionalProperties`` schema), as JSON paths like
  ``$.choices[0].foo``; each is noted as ``drift``.

Both verdicts are generated files (``schemas/<profile>/components.{strict,compatible}.json``; each named
file's root is strict and its ``$defs.compatible`` the compatible one), so what is checked can be read.
Validators are compiled once per (profile, name, verdict) and cached; strict validity implies compatible
validity (the compatible schema only drops constraints and turns ``oneOf`` into ``anyOf``), so a body that
passes strict is validated once.

Names (``profile="azure"`` uses the Azure spec's components, ``"openai"`` the OpenAI spec's; see
``schemas/index.json``): ``response``, ``response.stream-event``, ``event.<type>`` (one per stream event
type), ``chat.completion``, ``chat.completion.chunk``, ``embeddings``, ``error``, ``content-filter.prompt``
(the category map at ``prompt_filter_results[i].content_filter_results``), ``content-filter.prompt-entry``
(the ``{prompt_index, content_filter_results}`` entry), ``content-filter.choice``
(``choices[i].content_filter_results``), ``mcp.tool``, ``item``, ``item.mcp_list_tools``, ``item.mcp_call``,
``item.mcp_approval_request``, ``item.message``, ``response.usage``, ``chat.completion.usage``.
Content-filter names exist only under azure.

Rooms: this module is the public API, the loading and the readable errors; the compiled fast path is
:mod:`aoai_conformance.schema_compiler`, the drift finder :mod:`aoai_conformance.schema_drift`.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from . import checks
from .schema_compiler import ANNOTATIONS as _ANNOTATIONS
from .schema_compiler import Compiler as _Compiler
from .schema_compiler import NotCompilable as _NotCompilable
from .schema_drift import Drift as _Drift

__all__ = [
    "Verdict",
    "SchemaError",
    "validate",
    "check",
    "check_stream_event",
    "check_chat_chunk",
    "names",
    "schema_dir",
    "json_path",
]

_HERE = Path(__file__).resolve().parent
SCHEMA_DIRS = (_HERE.parent / "schemas", _HERE / "_bundled" / "schemas")
BASE_URI = "https://aoai-conformance.invalid/schemas/"
EVENT_PREFIX = "event."


@dataclass(frozen=True)
class SchemaError:
    """One readable schema error: where, what, expected vs received."""

    path: str
    message: str
    keyword: str
    expected: Any = None
    received: Any = None
    schema: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.keyword}; schema {self.schema}]"


@dataclass
class Verdict:
    name: str
    profile: str
    compatible_errors: list[SchemaError] = field(default_factory=list)
    strict_errors: list[SchemaError] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.compatible_errors

    @property
    def deviations(self) -> list[SchemaError]:
        """Strict errors that are not also compatible errors."""
        compat = {(e.path, e.message) for e in self.compatible_errors}
        return [e for e in self.strict_errors if (e.path, e.message) not in compat]


# -- loading -------------------------------------------------------------------------------------------------
@functools.cache
def schema_dir() -> Path:
    for d in SCHEMA_DIRS:
        if (d / "index.json").is_file():
            return d
    raise FileNotFoundError(
        f"no generated schemas in {' or '.join(map(str, SCHEMA_DIRS))}; "
        "run python -m aoai_conformance.schemagen"
    )


@functools.cache
def _index() -> dict[str, Any]:
    return json.loads((schema_dir() / "index.json").read_text(encoding="utf-8"))


def names(profile: str = "azure") -> dict[str, str]:
    """name -> spec component, for a profile."""
    try:
        return dict(_index()["profiles"][profile])
    except KeyError:
        raise KeyError(f"unknown profile {profile!r} (known: {sorted(_index()['profiles'])})") from None


@functools.cache
def _components(profile: str, verdict: str) -> dict[str, Any]:
    path = schema_dir() / profile / f"components.{verdict}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _registry(profile: str, verdict: str) -> Registry:
    # Every validator refers into one components file, whose refs stay inside it: a registry of that file
    # alone (~6 ms to crawl) instead of every schema file (~35 ms), paid by the first body that fails.
    doc = _components(profile, verdict)
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    return Registry().with_resources([(doc["$id"], resource)]).crawl()


def _defs(profile: str, verdict: str) -> dict[str, Any]:
    # The compiled fast path needs only the components file's $defs, never the registry.
    return _components(profile, verdict)["$defs"]


def _component(profile: str, name: str) -> str:
    table = names(profile)
    if name not in table:
        raise KeyError(f"no schema {name!r} under profile {profile!r} (known: {', '.join(sorted(table))})")
    return table[name]


@functools.cache
def _validator(profile: str, name: str, verdict: str) -> Draft202012Validator:
    comp = _component(profile, name)
    uri = f"{BASE_URI}{profile}/components.{verdict}.json#/$defs/{comp}"
    return Draft202012Validator({"$ref": uri}, registry=_registry(profile, verdict))


# -- fast path (the compiler is schema_compiler.py) ----------------------------------------------------------
@functools.cache
def _compiler(profile: str, verdict: str) -> _Compiler:
    return _Compiler(_defs(profile, verdict))


@functools.cache
def _fast(profile: str, name: str, verdict: str) -> Any:
    """A compiled is-valid function, or None when the schema uses a keyword the compiler does not know."""
    try:
        return _compiler(profile, verdict).ref("#/$defs/" + _component(profile, name))
    except _NotCompilable:
        return None


# -- errors --------------------------------------------------------------------------------------------------
def json_path(parts: Any) -> str:
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, str) and p.isidentifier():
            out += "." + p
        else:
            out += "[" + json.dumps(p) + "]"
    return out


def _refine(err: ValidationError) -> ValidationError:
    return best_match([err]) if err.context else err


def _error(err: ValidationError, name: str, prefix: tuple[Any, ...] = ()) -> SchemaError:
    err = _refine(err)
    path = prefix + tuple(err.absolute_path)
    expected: Any = err.validator_value
    if err.validator == "required":
        missing = [r for r in err.validator_value if isinstance(err.instance, dict) and r not in err.instance]
        expected = missing or err.validator_value
        received = sorted(err.instance) if isinstance(err.instance, dict) else err.instance
    else:
        received = err.instance
    if err.validator in ("$ref", "allOf", "anyOf", "oneOf", "if", "then", "else"):
        expected = f"a {name} value"
    return SchemaError(json_path(path), err.message, str(err.validator), expected, received, name)


def _errors(validator: Draft202012Validator, body: Any, name: str) -> list[SchemaError]:
    errs = sorted(validator.iter_errors(body), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [_error(e, name) for e in errs]


# Real answers often break only the strict verdict, in one leaf (Azure's "system_fingerprint": null): jsonschema
# over the whole body then costs ~0.5 ms. The same errors are found by descending, with the compiled checks,
# only into the members that fail, and asking jsonschema about those alone (tests cross-check both ways).
_PLAIN_OBJECT = frozenset({"type", "required", "properties"})
_CONDITIONAL = frozenset({"if", "then", "else"})
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")


@functools.cache
def _at(profile: str, verdict: str, pointer: str) -> tuple[Any, Any, Draft202012Validator]:
    """The schema at a JSON pointer into the components file, its compiled check (None: not compilable),
    and a jsonschema validator for it."""
    node: Any = {"$defs": _defs(profile, verdict)}
    for part in pointer.strip("/").split("/"):
        node = node[part]
    try:
        fast = _compiler(profile, verdict).compile(node)
    except _NotCompilable:
        fast = None
    uri = f"{BASE_URI}{profile}/components.{verdict}.json#{pointer}"
    return node, fast, Draft202012Validator({"$ref": uri}, registry=_registry(profile, verdict))


@functools.cache
def _shallow(keys: tuple[tuple[str, str], ...]) -> Draft202012Validator:
    # keyed by the keywords themselves (JSON text): equal keywords share one validator
    return Draft202012Validator({k: json.loads(v) for k, v in keys})


def _local(profile: str, verdict: str, pointer: str, body: Any, prefix: tuple[Any, ...], out: list) -> None:
    node, _, validator = _at(profile, verdict, pointer)
    while (
        isinstance(node, dict)
        and set(node) - _ANNOTATIONS == {"$ref"}
        and node["$ref"].startswith("#/$defs/")
    ):
        pointer = node["$ref"][1:]
        node, _, validator = _at(profile, verdict, pointer)
    keys = set(node) - _ANNOTATIONS if isinstance(node, dict) else {None}
    if "if" in keys and keys <= _CONDITIONAL:
        # jsonschema's if: the branch the condition picks reports its errors as they are (Azure's chunk
        # root picks the prompt-filter chunk or the spec's), so descend into that branch alone.
        cond = _at(profile, verdict, pointer + "/if")[1]
        if cond is not None:
            branch = "then" if cond(body) else "else"
            if branch in keys:
                _local(profile, verdict, f"{pointer}/{branch}", body, prefix, out)
            return
    if (
        isinstance(body, dict)
        and "properties" in keys
        and keys <= _PLAIN_OBJECT
        and all(_SAFE_KEY.match(k) for k in body if k in node["properties"])
    ):
        shallow = tuple((k, json.dumps(node[k])) for k in ("type", "required") if k in node)
        if shallow:
            out.extend((prefix, e) for e in _shallow(shallow).iter_errors(body))
        for k, v in body.items():
            if k in node["properties"]:
                sub = f"{pointer}/properties/{k}"
                fast = _at(profile, verdict, sub)[1]
                if fast is None or not fast(v):
                    _local(profile, verdict, sub, v, prefix + (k,), out)
        return
    if isinstance(body, list) and keys <= {"type", "items"} and isinstance(node.get("items"), dict):
        if "type" in keys:
            out.extend((prefix, e) for e in _shallow((("type", json.dumps(node["type"])),)).iter_errors(body))
        sub = f"{pointer}/items"
        fast = _at(profile, verdict, sub)[1]
        for i, x in enumerate(body):
            if fast is None or not fast(x):
                _local(profile, verdict, sub, x, prefix + (i,), out)
        return
    if body is None or isinstance(body, (bool, int, float)):
        out.extend((prefix, e) for e in _scalar_errors(profile, verdict, pointer, body))
        return
    out.extend((prefix, e) for e in validator.iter_errors(body))


@functools.lru_cache(maxsize=1024, typed=True)
def _scalar_errors(profile: str, verdict: str, pointer: str, value: Any) -> tuple[ValidationError, ...]:
    # A scalar's errors at a location depend on nothing else: Azure's "system_fingerprint": null fails the
    # same way in every chunk of every stream. typed: True, 1 and 1.0 are cached apart. Errors are only read.
    return tuple(_at(profile, verdict, pointer)[2].iter_errors(value))


def _errors_local(profile: str, name: str, verdict: str, body: Any) -> list[SchemaError]:
    found: list[tuple[tuple[Any, ...], ValidationError]] = []
    _local(profile, verdict, "/$defs/" + _component(profile, name), body, (), found)
    found.sort(key=lambda pe: (list(map(str, pe[0] + tuple(pe[1].absolute_path))), pe[1].message))
    return [_error(e, name, prefix) for prefix, e in found]


# -- drift (the finder is schema_drift.py) -------------------------------------------------------------------
@functools.cache
def _drift_finder(profile: str) -> _Drift:
    return _Drift(_defs(profile, "compatible"))


def _drift(body: Any, name: str, profile: str) -> list[str]:
    out: list[tuple[Any, ...]] = []
    if isinstance(body, (dict, list)):
        _drift_finder(profile).walk(body, _root(profile, name), (), out)
    return list(dict.fromkeys(json_path(p) for p in out))


@functools.cache
def _root(profile: str, name: str) -> dict[str, str]:
    return {"$ref": "#/$defs/" + _component(profile, name)}


# -- public API ----------------------------------------------------------------------------------------------
def validate(body: Any, name: str, profile: str = "azure") -> Verdict:
    """Both verdicts and the drift of ``body`` against schema ``name`` of ``profile``."""
    _component(profile, name)  # a clear KeyError for an unknown profile or name
    verdict = Verdict(name, profile)
    fast = _fast(profile, name, "strict")
    if fast is None or not fast(body):
        verdict.strict_errors = _errors_local(profile, name, "strict", body)
    if verdict.strict_errors:
        compat = _fast(profile, name, "compatible")
        if compat is None or not compat(body):
            verdict.compatible_errors = _errors_local(profile, name, "compatible", body)
    verdict.drift = _drift(body, name, profile)
    return verdict


def _around(body: Any, path: list[Any]) -> Any:
    """The body trimmed to what a reader needs: the failing member with its siblings' names only."""
    node, parent, last = body, None, None
    for p in path:
        try:
            parent, node, last = node, node[p], p
        except (KeyError, IndexError, TypeError):
            break
    if isinstance(parent, dict):
        others = [k for k in parent if k != last]
        out = {last: node}
        if others:
            out["..."] = (
                f"{len(others)} sibling keys: "
                + ", ".join(map(str, others[:12]))
                + (", ..." if len(others) > 12 else "")
            )
        return out
    if isinstance(parent, list):
        return {f"[{last}] of {len(parent)} items": node}
    return node


def _parts(path: str) -> list[Any]:
    out: list[Any] = []
    for m in re.finditer(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[(\"(?:[^\"\\]|\\.)*\")\]", path):
        out.append(m.group(1) if m.group(1) else int(m.group(2)) if m.group(2) else json.loads(m.group(3)))
    return out


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 20]}... (+{len(text) - limit + 20} chars)"


def check(body: Any, name: str, profile: str = "azure", where: str = "") -> Verdict:
    """Validate; note drift and spec deviations; raise ConformanceFailure on a compatible error."""
    verdict = validate(body, name, profile)
    prefix = f"{where}: " if where else ""
    for path in verdict.drift:
        checks.note(
            "drift",
            f"{prefix}field not declared by schema {name} ({profile})",
            path=path,
            schema=name,
            profile=profile,
        )
    for err in verdict.deviations:
        checks.note("spec-deviation", f"{prefix}{err}", path=err.path, schema=name, profile=profile)
    if verdict.compatible_errors:
        first = verdict.compatible_errors[0]
        more = len(verdict.compatible_errors) - 1
        # jsonschema quotes the whole instance in its message (a base64 vector is 16 kB): keep it readable.
        detail = f"{prefix}body does not match schema {name} ({profile}): {_shorten(first.message, 400)}"
        if more:
            detail += (
                f" (+{more} more: "
                + "; ".join(_shorten(str(e), 200) for e in verdict.compatible_errors[1:4])
                + ")"
            )
        raise checks.ConformanceFailure(
            "schema.compatible",
            detail,
            path=first.path,
            expected=first.expected,
            received=first.received,
            evidence=checks.trim(_around(body, _parts(first.path)), 1000),
        )
    return verdict


def check_stream_event(event: dict[str, Any], profile: str = "azure") -> Verdict:
    """Check one Responses stream event against the schema its ``type`` selects."""
    etype = event.get("type") if isinstance(event, dict) else None
    if not isinstance(etype, str) or EVENT_PREFIX + etype not in names(profile):
        known = sorted(n[len(EVENT_PREFIX) :] for n in names(profile) if n.startswith(EVENT_PREFIX))
        raise checks.ConformanceFailure(
            "schema.unknown-event",
            f"stream event type {etype!r} is not defined by the {profile} spec",
            path="$.type",
            expected=known,
            received=etype,
            evidence=checks.trim(event, 1000),
        )
    return check(event, EVENT_PREFIX + etype, profile, where=f"stream event {etype}")


def check_chat_chunk(chunk: dict[str, Any], profile: str = "azure") -> Verdict:
    """Check one chat.completion.chunk (Azure's prompt-filter-only first chunk is valid under azure)."""
    return check(chunk, "chat.completion.chunk", profile, where="chat.completion.chunk")
