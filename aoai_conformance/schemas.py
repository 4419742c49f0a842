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
def _registry() -> Registry:
    resources = []
    for path in sorted(schema_dir().rglob("*.json")):
        if path.name == "index.json":
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        resources.append((doc["$id"], Resource.from_contents(doc, default_specification=DRAFT202012)))
    return Registry().with_resources(resources).crawl()


@functools.cache
def _defs(profile: str, verdict: str) -> dict[str, Any]:
    # Read the one components file directly: the compiled fast path needs nothing else, and crawling the
    # whole registry (~0.16 s) is left to the first body that fails and needs jsonschema's messages.
    path = schema_dir() / profile / f"components.{verdict}.json"
    return json.loads(path.read_text(encoding="utf-8"))["$defs"]


def _component(profile: str, name: str) -> str:
    table = names(profile)
    if name not in table:
        raise KeyError(f"no schema {name!r} under profile {profile!r} (known: {', '.join(sorted(table))})")
    return table[name]


@functools.cache
def _validator(profile: str, name: str, verdict: str) -> Draft202012Validator:
    comp = _component(profile, name)
    uri = f"{BASE_URI}{profile}/components.{verdict}.json#/$defs/{comp}"
    return Draft202012Validator({"$ref": uri}, registry=_registry())


# -- fast path -----------------------------------------------------------------------------------------------
# jsonschema costs ~5 us per (sub-schema, value) pair, ~0.45 ms for a chat completion. Most bodies are valid,
# so a valid/invalid answer is computed first by closures compiled from the generated schemas (the keyword
# subset the generator emits, with jsonschema's semantics: bool is not a number, 1.0 is an integer, enum/const
# compare without bool/int confusion); only an invalid body goes to jsonschema for readable errors. A keyword
# the compiler does not know makes it give up (jsonschema then does all the work); tests cross-check both.
class _NotCompilable(Exception):
    pass


def _rule(schema: Any) -> tuple[str, str, Any] | None:
    """(property, value, then) if ``schema`` is a generated discriminator rule
    ``{"if": {"properties": {p: {"const": v}}, "required": [p]}, "then": T}`` with a string v, else None."""
    if not isinstance(schema, dict) or set(schema) != {"if", "then"}:
        return None
    cond = schema["if"]
    if not isinstance(cond, dict) or set(cond) != {"properties", "required"} or len(cond["properties"]) != 1:
        return None
    ((prop, test),) = cond["properties"].items()
    if cond["required"] != [prop] or not isinstance(test, dict) or set(test) != {"const"}:
        return None
    if not isinstance(test["const"], str):
        return None
    return prop, test["const"], schema["then"]


def _split_rules(items: list[Any]) -> tuple[list[Any], str | None, dict[str, Any]]:
    """An allOf's plain members, and its discriminator rules as a lookup table (all on one property)."""
    plain, table, prop = [], {}, None
    for item in items:
        rule = _rule(item)
        if rule is None or (prop is not None and rule[0] != prop) or rule[1] in table:
            plain.append(item)
            continue
        prop = rule[0]
        table[rule[1]] = rule[2]
    return plain, prop, table


_ANNOTATIONS = {
    "format",
    "default",
    "readOnly",
    "writeOnly",
    "deprecated",
    "title",
    "description",
    "$comment",
    "$schema",
    "$id",
    "$defs",
    "x-source",
    "examples",
}


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return a == b


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class _Compiler:
    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.compiled: dict[str, Any] = {}

    def ref(self, ref: str) -> Any:
        if not ref.startswith("#/$defs/") and "#/$defs/" not in ref:
            raise _NotCompilable(ref)
        name = ref.rsplit("/", 1)[1]
        if name not in self.compiled:
            cell: list[Any] = []
            self.compiled[name] = lambda v: cell[0](v)  # recursion: resolved once compiled
            cell.append(self.compile(self.defs[name]))
            self.compiled[name] = cell[0]
        return self.compiled[name]

    def compile(self, schema: Any) -> Any:  # noqa: C901 - one branch per keyword
        if schema is True or schema == {}:
            return lambda v: True
        if schema is False:
            return lambda v: False
        checks_: list[Any] = []
        add = checks_.append
        for key, val in schema.items():
            if key in _ANNOTATIONS:
                continue
            if key == "$ref":
                add(self.ref(val))
            elif key == "type":
                names_ = [val] if isinstance(val, str) else list(val)
                add(_type_test(tuple(names_)))
            elif key == "enum":
                add(lambda v, e=val: any(_equal(v, x) for x in e))
            elif key == "const":
                add(lambda v, c=val: _equal(v, c))
            elif key == "required":
                add(lambda v, r=tuple(val): not isinstance(v, dict) or all(k in v for k in r))
            elif key in ("properties", "patternProperties", "additionalProperties"):
                if key != "properties" and "properties" in schema:
                    continue
                add(self._object(schema))
            elif key in ("items", "prefixItems"):
                if key == "items" and "prefixItems" in schema:
                    continue
                add(self._array(schema))
            elif key == "allOf":
                plain, prop, table = _split_rules(val)
                subs = [self.compile(s) for s in plain]
                if subs:
                    add(lambda v, ss=subs: all(f(v) for f in ss))
                if table:
                    compiled = {k: self.compile(t) for k, t in table.items()}

                    def dispatch(v: Any, p: str | None = prop, t: dict[str, Any] = compiled) -> bool:
                        if not isinstance(v, dict):
                            return True
                        value = v.get(p)
                        f = t.get(value) if isinstance(value, str) else None
                        return f is None or f(v)

                    add(dispatch)
            elif key == "anyOf":
                subs = [self.compile(s) for s in val]
                add(lambda v, ss=subs: any(f(v) for f in ss))
            elif key == "oneOf":
                subs = [self.compile(s) for s in val]
                add(lambda v, ss=subs: sum(1 for f in ss if f(v)) == 1)
            elif key == "not":
                sub = self.compile(val)
                add(lambda v, f=sub: not f(v))
            elif key == "if":
                c = self.compile(val)
                t = self.compile(schema.get("then", True))
                e = self.compile(schema.get("else", True))
                add(lambda v, c=c, t=t, e=e: t(v) if c(v) else e(v))
            elif key in ("then", "else"):
                continue
            elif key == "minimum":
                add(lambda v, m=val: not _is_num(v) or v >= m)
            elif key == "maximum":
                add(lambda v, m=val: not _is_num(v) or v <= m)
            elif key == "exclusiveMinimum":
                add(lambda v, m=val: not _is_num(v) or v > m)
            elif key == "exclusiveMaximum":
                add(lambda v, m=val: not _is_num(v) or v < m)
            elif key == "minLength":
                add(lambda v, m=val: not isinstance(v, str) or len(v) >= m)
            elif key == "maxLength":
                add(lambda v, m=val: not isinstance(v, str) or len(v) <= m)
            elif key == "pattern":
                rx = re.compile(val)
                add(lambda v, rx=rx: not isinstance(v, str) or rx.search(v) is not None)
            elif key == "minItems":
                add(lambda v, m=val: not isinstance(v, list) or len(v) >= m)
            elif key == "maxItems":
                add(lambda v, m=val: not isinstance(v, list) or len(v) <= m)
            elif key == "uniqueItems":
                if val:
                    add(
                        lambda v: (
                            not isinstance(v, list)
                            or all(
                                not _equal(v[i], v[j]) for i in range(len(v)) for j in range(i + 1, len(v))
                            )
                        )
                    )
            elif key == "propertyNames":
                sub = self.compile(val)
                add(lambda v, f=sub: not isinstance(v, dict) or all(f(k) for k in v))
            elif key == "minProperties":
                add(lambda v, m=val: not isinstance(v, dict) or len(v) >= m)
            elif key == "maxProperties":
                add(lambda v, m=val: not isinstance(v, dict) or len(v) <= m)
            else:
                raise _NotCompilable(key)
        if not checks_:
            return lambda v: True
        if len(checks_) == 1:
            return checks_[0]
        return lambda v, cs=tuple(checks_): all(f(v) for f in cs)

    def _object(self, schema: dict[str, Any]) -> Any:
        props = {k: self.compile(s) for k, s in schema.get("properties", {}).items()}
        pats = [(re.compile(p), self.compile(s)) for p, s in schema.get("patternProperties", {}).items()]
        ap = schema.get("additionalProperties", True)
        extra = None if ap is True or ap == {} else self.compile(ap)

        def check_object(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for k, x in v.items():
                f = props.get(k)
                if f is not None:
                    if not f(x):
                        return False
                    continue
                matched = False
                for rx, g in pats:
                    if rx.search(k):
                        matched = True
                        if not g(x):
                            return False
                if not matched and extra is not None and not extra(x):
                    return False
            return True

        return check_object

    def _array(self, schema: dict[str, Any]) -> Any:
        prefix = [self.compile(s) for s in schema.get("prefixItems", [])]
        rest = self.compile(schema["items"]) if "items" in schema else None

        def check_array(v: Any) -> bool:
            if not isinstance(v, list):
                return True
            for i, x in enumerate(v):
                f = prefix[i] if i < len(prefix) else rest
                if f is not None and not f(x):
                    return False
            return True

        return check_array


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
    return node, fast, Draft202012Validator({"$ref": uri}, registry=_registry())


@functools.cache
def _shallow(node_id: int, keys: tuple[tuple[str, str], ...]) -> Draft202012Validator:
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
    if (
        isinstance(body, dict)
        and "properties" in keys
        and keys <= _PLAIN_OBJECT
        and all(_SAFE_KEY.match(k) for k in body if k in node["properties"])
    ):
        shallow = tuple((k, json.dumps(node[k])) for k in ("type", "required") if k in node)
        if shallow:
            out.extend((prefix, e) for e in _shallow(id(node), shallow).iter_errors(body))
        for k, v in body.items():
            if k in node["properties"]:
                sub = f"{pointer}/properties/{k}"
                fast = _at(profile, verdict, sub)[1]
                if fast is None or not fast(v):
                    _local(profile, verdict, sub, v, prefix + (k,), out)
        return
    if isinstance(body, list) and keys <= {"type", "items"} and isinstance(node.get("items"), dict):
        if "type" in keys:
            out.extend(
                (prefix, e)
                for e in _shallow(id(node), (("type", json.dumps(node["type"])),)).iter_errors(body)
            )
        sub = f"{pointer}/items"
        fast = _at(profile, verdict, sub)[1]
        for i, x in enumerate(body):
            if fast is None or not fast(x):
                _local(profile, verdict, sub, x, prefix + (i,), out)
        return
    out.extend((prefix, e) for e in validator.iter_errors(body))


def _errors_local(profile: str, name: str, verdict: str, body: Any) -> list[SchemaError]:
    found: list[tuple[tuple[Any, ...], ValidationError]] = []
    _local(profile, verdict, "/$defs/" + _component(profile, name), body, (), found)
    found.sort(key=lambda pe: (list(map(str, pe[0] + tuple(pe[1].absolute_path))), pe[1].message))
    return [_error(e, name, prefix) for prefix, e in found]


# -- drift ---------------------------------------------------------------------------------------------------
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


@functools.cache
def _type_test(names: tuple[str, ...]) -> Any:
    """One function for a type list: embedding vectors put thousands of numbers through it per body."""
    if len(names) == 1:
        return _TYPES[names[0]]
    if set(names) <= {"number", "null"}:  # nullable numbers: the common multi-type
        return lambda v: (
            v is None or (v.__class__ is float or (isinstance(v, (int, float)) and not isinstance(v, bool)))
        )
    tests = tuple(_TYPES[n] for n in names)
    return lambda v: any(f(v) for f in tests)


class _Drift:
    """Finds fields no applicable schema declares. Branches (anyOf/oneOf/if) are chosen by a quick
    structural match (type, required, const/enum of direct properties), which is exact for the generated
    discriminators."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self._static: dict[int, Any] = {}  # id(schema) -> shape, for locations that need no branch choice
        self._split: dict[int, Any] = {}  # id(allOf list) -> (plain members, property, value -> then)

    def _rules(self, items: list[Any]) -> tuple[list[Any], str | None, dict[str, Any]]:
        key = id(items)
        hit = self._split.get(key)
        if hit is None:
            hit = self._split[key] = _split_rules(items)
        return hit

    def resolve(self, schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema and len(schema) == 1:
            schema = self.defs[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def quick(self, inst: Any, schema: Any, depth: int = 0) -> bool:
        if schema is True or schema == {} or depth > 12:
            return True
        if schema is False:
            return False
        if "$ref" in schema and not self.quick(inst, self.defs[schema["$ref"].rsplit("/", 1)[1]], depth + 1):
            return False
        t = schema.get("type")
        if t is not None and not any(_TYPES[x](inst) for x in ([t] if isinstance(t, str) else t)):
            return False
        if "const" in schema and inst != schema["const"]:
            return False
        if "enum" in schema and inst not in schema["enum"]:
            return False
        if isinstance(inst, dict):
            if any(r not in inst for r in schema.get("required", ())):
                return False
            for k, sub in schema.get("properties", {}).items():
                if k in inst and isinstance(sub, dict) and ("const" in sub or "enum" in sub or "type" in sub):
                    if not self.quick(inst[k], {x: sub[x] for x in ("const", "enum", "type") if x in sub}):
                        return False
        if not all(self.quick(inst, s, depth + 1) for s in schema.get("allOf", ())):
            return False
        for key in ("anyOf", "oneOf"):
            if key in schema and not any(self.quick(inst, s, depth + 1) for s in schema[key]):
                return False
        return True

    def applicable(self, inst: Any, schema: Any, acc: list[dict[str, Any]], depth: int = 0) -> bool:
        """Collect the schemas that apply to ``inst`` at this location; True if a branch was chosen (so the
        result depends on the instance and must not be cached)."""
        if not isinstance(schema, dict) or depth > 40:
            return False
        acc.append(schema)
        dynamic = False
        if "$ref" in schema:
            dynamic |= self.applicable(inst, self.defs[schema["$ref"].rsplit("/", 1)[1]], acc, depth + 1)
        if "allOf" in schema:
            plain, prop, table = self._rules(schema["allOf"])
            for s in plain:
                dynamic |= self.applicable(inst, s, acc, depth + 1)
            if table:
                dynamic = True
                value = inst.get(prop) if isinstance(inst, dict) else None
                if isinstance(value, str) and value in table:
                    self.applicable(inst, table[value], acc, depth + 1)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                dynamic = True
                chosen = [s for s in schema[key] if self.quick(inst, s)] or schema[key]
                for s in chosen:
                    self.applicable(inst, s, acc, depth + 1)
        if "if" in schema:
            dynamic = True
            branch = schema.get("then") if self.quick(inst, schema["if"]) else schema.get("else")
            if branch is not None:
                self.applicable(inst, branch, acc, depth + 1)
        return dynamic

    def shape(self, inst: Any, schema: Any) -> tuple[dict[str, list[Any]], list[Any], bool, list[Any]]:
        """(declared properties -> their schemas, additional-property schemas, lists properties?, items)."""
        key = id(schema)
        hit = self._static.get(key)
        if hit is not None:
            return hit
        acc: list[dict[str, Any]] = []
        dynamic = self.applicable(inst, schema, acc)
        props: dict[str, list[Any]] = {}
        extra: list[Any] = []
        described = False
        items: list[Any] = []
        for s in acc:
            if "properties" in s:
                described = True
                for k, sub in s["properties"].items():
                    props.setdefault(k, []).append(sub)
            ap = s.get("additionalProperties")
            if isinstance(ap, dict) or ap is True or "patternProperties" in s:
                extra.append(ap if isinstance(ap, dict) else {})
            if isinstance(s.get("items"), dict):
                items.append(s["items"])
        result = (props, extra, described, items)
        if not dynamic:
            self._static[key] = result
        return result

    def walk(self, inst: Any, schema: Any, path: tuple[Any, ...], out: list[tuple[Any, ...]]) -> None:
        props, extra, described, items = self.shape(inst, schema)
        if isinstance(inst, dict):
            for k, v in inst.items():
                subs = props.get(k)
                if subs is None:
                    if extra:
                        subs = extra
                    elif described:
                        out.append(path + (k,))
                        continue
                    else:
                        continue
                if isinstance(v, (dict, list)):
                    for sub in subs:
                        self.walk(v, sub, path + (k,), out)
        else:
            for i, v in enumerate(inst):
                if isinstance(v, (dict, list)):
                    for sub in items:
                        self.walk(v, sub, path + (i,), out)


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
