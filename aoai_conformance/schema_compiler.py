"""The compiled fast path of :mod:`aoai_conformance.schemas`: is-valid closures built from the schemas.

jsonschema costs ~5 us per (sub-schema, value) pair, ~0.45 ms for a chat completion. Most bodies are valid,
so a valid/invalid answer is computed first by closures compiled from the generated schemas (the keyword
subset the generator emits, with jsonschema's semantics: bool is not a number, 1.0 is an integer, enum/const
compare without bool/int confusion); only an invalid body goes to jsonschema for readable errors. A keyword
the compiler does not know makes it give up (jsonschema then does all the work); tests cross-check both.
"""

from __future__ import annotations

import functools
import re
from typing import Any

__all__ = ["ANNOTATIONS", "TYPES", "Compiler", "NotCompilable", "split_rules", "type_test"]


class NotCompilable(Exception):
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


def split_rules(items: list[Any]) -> tuple[list[Any], str | None, dict[str, Any]]:
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


ANNOTATIONS = {
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


def _all(checks: list[Any]) -> Any:
    """All of these checks, by a plain loop: a generator inside all() costs twice as much per value, and the
    compiled checks run on every member of every body."""
    fs = tuple(checks)
    if len(fs) == 1:
        return fs[0]
    if len(fs) == 2:
        first, second = fs
        return lambda v: bool(first(v) and second(v))

    def all_of(v: Any) -> bool:
        for f in fs:
            if not f(v):
                return False
        return True

    return all_of


def _any(checks: list[Any]) -> Any:
    fs = tuple(checks)

    def any_of(v: Any) -> bool:
        for f in fs:
            if f(v):
                return True
        return False

    return any_of


def _required(names: tuple[str, ...]) -> Any:
    def required(v: Any) -> bool:
        if isinstance(v, dict):
            for k in names:
                if k not in v:
                    return False
        return True

    return required


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class Compiler:
    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.compiled: dict[str, Any] = {}

    def ref(self, ref: str) -> Any:
        if not ref.startswith("#/$defs/") and "#/$defs/" not in ref:
            raise NotCompilable(ref)
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
            if key in ANNOTATIONS:
                continue
            if key == "$ref":
                add(self.ref(val))
            elif key == "type":
                names_ = [val] if isinstance(val, str) else list(val)
                add(type_test(tuple(names_)))
            elif key == "enum":
                if val and all(x.__class__ is str for x in val):
                    # a string enum (nearly all of them): a set lookup, as _equal finds no other value equal
                    add(lambda v, a=frozenset(val): isinstance(v, str) and v in a)
                else:
                    add(lambda v, e=val: any(_equal(v, x) for x in e))
            elif key == "const":
                if val.__class__ is str:
                    add(lambda v, c=val: isinstance(v, str) and v == c)
                else:
                    add(lambda v, c=val: _equal(v, c))
            elif key == "required":
                add(_required(tuple(val)))
            elif key in ("properties", "patternProperties", "additionalProperties"):
                if key != "properties" and "properties" in schema:
                    continue
                add(self._object(schema))
            elif key in ("items", "prefixItems"):
                if key == "items" and "prefixItems" in schema:
                    continue
                add(self._array(schema))
            elif key == "allOf":
                plain, prop, table = split_rules(val)
                subs = [self.compile(s) for s in plain]
                if subs:
                    add(_all(subs))
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
                add(_any(subs))
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
                raise NotCompilable(key)
        if not checks_:
            return lambda v: True
        if len(checks_) == 1:
            return checks_[0]
        return _all(checks_)

    def _object(self, schema: dict[str, Any]) -> Any:
        props = {k: self.compile(s) for k, s in schema.get("properties", {}).items()}
        pats = [(re.compile(p), self.compile(s)) for p, s in schema.get("patternProperties", {}).items()]
        ap = schema.get("additionalProperties", True)
        extra = None if ap is True or ap == {} else self.compile(ap)
        if not pats and extra is None:  # the common object: its declared members checked, others allowed
            get = props.get

            def check_members(v: Any) -> bool:
                if isinstance(v, dict):
                    for k, x in v.items():
                        f = get(k)
                        if f is not None and not f(x):
                            return False
                return True

            return check_members

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
        if not prefix and rest is not None:
            each = rest
            # embedding vectors put thousands of floats through here: a float is a number, no call needed
            floats_pass = each is TYPES["number"]

            def check_items(v: Any) -> bool:
                if isinstance(v, list):
                    for x in v:
                        if not (floats_pass and x.__class__ is float) and not each(x):
                            return False
                return True

            return check_items

        def check_array(v: Any) -> bool:
            if not isinstance(v, list):
                return True
            for i, x in enumerate(v):
                f = prefix[i] if i < len(prefix) else rest
                if f is not None and not f(x):
                    return False
            return True

        return check_array


TYPES = {
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
def type_test(names: tuple[str, ...]) -> Any:
    """One function for a type list: embedding vectors put thousands of numbers through it per body."""
    if len(names) == 1:
        return TYPES[names[0]]
    if set(names) <= {"number", "null"}:  # nullable numbers: the common multi-type
        return lambda v: (
            v is None or (v.__class__ is float or (isinstance(v, (int, float)) and not isinstance(v, bool)))
        )
    tests = tuple(TYPES[n] for n in names)
    return lambda v: any(f(v) for f in tests)
