"""OpenAPI (3.0 and 3.1) component schemas -> JSON Schema draft 2020-12.

The conversion is exact for the constructs these specs use, and refuses (raises) on constructs it does not
know, rather than passing them through silently:

* ``nullable: true`` (OpenAPI 3.0; still present 110 times in the "3.1" OpenAI spec): a schema with a plain
  ``type`` becomes ``type: [T, "null"]`` (and ``null`` joins its ``enum``); any other schema (``$ref``,
  ``allOf``...) becomes ``anyOf: [{"type": "null"}, <schema>]``.
* boolean ``exclusiveMinimum``/``exclusiveMaximum`` (3.0) become the numeric 2020-12 form.
* ``$recursiveRef: "#"`` (2019-09) becomes a ``$ref`` to the enclosing component (the only recursion target in
  these specs is the component itself, which carries ``$recursiveAnchor``).
* duplicate ``required`` entries are removed (2020-12 demands unique items), order kept.
* ``discriminator``:
  - on a *base* schema with a ``mapping`` whose children inherit it via ``allOf: [$ref base]`` (the Azure
    TypeSpec pattern): every reference to the base selects the child by the discriminator value
    (``if: {properties: {type: {const: v}}}`` / ``then: {$ref: child}``); the children inherit from
    ``<base>:base`` (the base without dispatch) so there is no cycle;
  - on a ``oneOf``/``anyOf`` (the OpenAI pattern, mapping implicit): the branch is selected by the const/enum
    value of its discriminator property, and a value no branch declares is rejected.
* ``allOf`` with a single ``$ref`` (OpenAPI 3.0's "$ref with siblings") becomes that ``$ref``.
* descriptions, examples and ``x-*`` extensions are dropped (the ``x-source`` of each file says where to read
  them); ``format`` is kept as an annotation (not asserted).
"""

from __future__ import annotations

import copy
from typing import Any

REF_PREFIX = "#/components/schemas/"
BASE_SUFFIX = ":base"

# Keywords copied as-is (values are not schemas).
_PLAIN = {
    "type",
    "enum",
    "const",
    "format",
    "minimum",
    "maximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "default",
    "readOnly",
    "writeOnly",
    "deprecated",
    "title",
}
# Keywords whose value is a schema.
_SUB = {"items", "not", "if", "then", "else", "contains", "propertyNames", "additionalItems"}
# Keywords whose value is a list of schemas.
_SUBLIST = {"allOf", "anyOf", "oneOf", "prefixItems"}
# Keywords whose value maps names to schemas.
_SUBMAP = {"properties", "patternProperties", "dependentSchemas"}
# Dropped: documentation and vendor extensions; handled elsewhere: nullable, discriminator, recursion.
_DROP = {"description", "example", "examples", "externalDocs", "xml", "$recursiveAnchor", "$comment"}

# Keywords the compatible verdict does not check (it keeps required fields, types, enum/const values and the
# structure that selects them); additionalProperties: false is dropped as well (unknown fields are drift).
COMPATIBLE_DROP = {
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "propertyNames",
}


class ConversionError(ValueError):
    pass


def ref_name(ref: str) -> str:
    if not ref.startswith(REF_PREFIX):
        raise ConversionError(f"unsupported $ref {ref!r} (only {REF_PREFIX}* is known)")
    return ref[len(REF_PREFIX) :]


def def_ref(name: str) -> dict[str, str]:
    return {"$ref": "#/$defs/" + name}


class Converter:
    """Converts components of one OpenAPI document (already overlaid) to a ``$defs`` map."""

    def __init__(self, components: dict[str, Any]) -> None:
        self.components = components
        # Bases with an explicit discriminator mapping (Azure pattern), name -> (property, {value: child}).
        self.bases: dict[str, tuple[str, dict[str, str]]] = {}
        for name, schema in components.items():
            disc = schema.get("discriminator") if isinstance(schema, dict) else None
            if disc and disc.get("mapping") and not any(k in schema for k in ("oneOf", "anyOf")):
                mapping = {v: ref_name(r) for v, r in disc["mapping"].items()}
                self.bases[name] = (disc["propertyName"], mapping)

    # -- closure ---------------------------------------------------------------------------------------------
    def closure(self, roots: list[str]) -> list[str]:
        """Components reachable from ``roots`` (plus discriminator children), sorted."""
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            if name not in self.components:
                raise ConversionError(f"component {name!r} does not exist")
            seen.add(name)
            todo.extend(self._refs(self.components[name]))
            if name in self.bases:
                todo.extend(self.bases[name][1].values())
        return sorted(seen)

    def _refs(self, node: Any) -> list[str]:
        out: list[str] = []
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref" and isinstance(v, str):
                    out.append(ref_name(v))
                elif k == "discriminator" and isinstance(v, dict):
                    out.extend(ref_name(r) for r in (v.get("mapping") or {}).values())
                elif k == "properties" and isinstance(v, dict):
                    for sub in v.values():
                        out.extend(self._refs(sub))
                else:
                    out.extend(self._refs(v))
        elif isinstance(node, list):
            for v in node:
                out.extend(self._refs(v))
        return out

    # -- conversion ------------------------------------------------------------------------------------------
    def defs(self, names: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            schema = self.components[name]
            if name in self.bases:
                base = self.convert(schema, name, top=True)
                out[name + BASE_SUFFIX] = base
                prop, mapping = self.bases[name]
                out[name] = {
                    "allOf": [def_ref(name + BASE_SUFFIX)]
                    + [self._when(prop, [value], def_ref(child)) for value, child in sorted(mapping.items())]
                }
            else:
                out[name] = self.convert(schema, name, top=True)
        return out

    @staticmethod
    def _when(prop: str, values: list[str], then: dict[str, Any]) -> dict[str, Any]:
        cond: dict[str, Any] = {"const": values[0]} if len(values) == 1 else {"enum": values}
        return {"if": {"properties": {prop: cond}, "required": [prop]}, "then": then}

    def convert(self, node: Any, component: str, top: bool = False) -> Any:
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            raise ConversionError(f"{component}: schema expected, got {node!r}")
        node = dict(node)
        nullable = node.pop("nullable", False)
        disc = node.pop("discriminator", None)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROP or key.startswith("x-"):
                continue
            if key == "$ref":
                out["$ref"] = "#/$defs/" + ref_name(value)
            elif key == "$recursiveRef":
                if value != "#" or "$recursiveAnchor" not in self.components[component]:
                    raise ConversionError(f"{component}: unsupported $recursiveRef {value!r}")
                out["$ref"] = "#/$defs/" + component
            elif key == "required":
                out["required"] = list(dict.fromkeys(value))
            elif key in ("exclusiveMinimum", "exclusiveMaximum"):
                if isinstance(value, bool):
                    bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                    if value:
                        if bound not in node:
                            raise ConversionError(f"{component}: {key}: true without {bound}")
                        out[key] = node[bound]
                else:
                    out[key] = value
            elif key in _PLAIN:
                out[key] = copy.deepcopy(value)
            elif key == "additionalProperties":
                out[key] = value if isinstance(value, bool) else self.convert(value, component)
            elif key in _SUB:
                out[key] = self.convert(value, component)
            elif key in _SUBLIST:
                subs = [self.convert(v, component) for v in value]
                if key == "allOf" and top:
                    subs = [self._inherit(s) for s in subs]
                out[key] = subs
            elif key in _SUBMAP:
                out[key] = {k: self.convert(v, component) for k, v in value.items()}
            else:
                raise ConversionError(f"{component}: unknown keyword {key!r}")
        # A boolean exclusive bound replaces the inclusive one it qualified.
        for key, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if node.get(key) is True:
                out.pop(bound, None)
        if disc is not None and (key := next((k for k in ("oneOf", "anyOf") if k in node), None)):
            out = self._dispatch(out, key, node[key], disc, component)
        out = self._collapse(out)
        if nullable:
            out = self._nullable(out)
        return out

    @staticmethod
    def _collapse(out: dict[str, Any]) -> dict[str, Any]:
        """``allOf: [{$ref: X}]`` (OpenAPI 3.0's way to put a description next to a $ref) is just ``$ref: X``
        in 2020-12, where $ref may have siblings; fewer indirections make validation faster, same verdicts."""
        all_of = out.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
            only = all_of[0]
            if list(only) == ["$ref"] and "$ref" not in out:
                out = {k: v for k, v in out.items() if k != "allOf"}
                out["$ref"] = only["$ref"]
            elif len(out) == 1:
                out = only
        return out

    def _inherit(self, sub: dict[str, Any]) -> dict[str, Any]:
        """``allOf: [$ref base]`` at a component's top level is inheritance: use the base without dispatch."""
        ref = sub.get("$ref", "")
        name = ref[len("#/$defs/") :]
        if len(sub) == 1 and name in self.bases:
            return def_ref(name + BASE_SUFFIX)
        return sub

    def _branch_values(self, branch: Any, prop: str, component: str, depth: int = 0) -> list[Any] | None:
        """The discriminator values a oneOf/anyOf branch (OpenAPI form) declares, or None if unknown."""
        if depth > 8 or not isinstance(branch, dict):
            return None
        if "$ref" in branch:
            return self._branch_values(self.components[ref_name(branch["$ref"])], prop, component, depth + 1)
        if "$recursiveRef" in branch:
            return self._branch_values(self.components[component], prop, component, depth + 1)
        p = (branch.get("properties") or {}).get(prop)
        if isinstance(p, dict):
            if "const" in p:
                return [p["const"]]
            if "enum" in p:
                return list(p["enum"])
            if "$ref" in p:
                target = self.components[ref_name(p["$ref"])]
                if "enum" in target:
                    return list(target["enum"])
        for sub in branch.get("allOf", []):
            vals = self._branch_values(sub, prop, component, depth + 1)
            if vals is not None:
                return vals
        return None

    def _dispatch(self, out: dict, key: str, branches: list, disc: dict, component: str) -> dict[str, Any]:
        prop = disc["propertyName"]
        by_value: dict[Any, list[int]] = {}
        mapping = disc.get("mapping") or {}
        for i, branch in enumerate(branches):
            vals: list[Any] | None
            if mapping:
                vals = [v for v, r in mapping.items() if branch.get("$ref") == r]
            else:
                vals = self._branch_values(branch, prop, component)
            if not vals:
                return out  # cannot key every branch: keep the combinator as published
            for v in vals:
                by_value.setdefault(v, []).append(i)
        converted = out.pop(key)
        rules = []
        for value in sorted(by_value, key=str):
            idx = by_value[value]
            then = converted[idx[0]] if len(idx) == 1 else {key: [converted[i] for i in idx]}
            rules.append(self._when(prop, [value], then))
        dispatch: dict[str, Any] = {
            "type": "object",
            "required": [prop],
            "properties": {prop: {"enum": sorted(by_value, key=str)}},
            "allOf": rules,
        }
        if out:
            dispatch = {"allOf": [out, dispatch]}
        return dispatch

    @staticmethod
    def _nullable(out: dict[str, Any]) -> dict[str, Any]:
        t = out.get("type")
        structural = any(k in out for k in ("$ref", "allOf", "anyOf", "oneOf", "not", "if"))
        if isinstance(t, str) and not structural:
            out = dict(out)
            out["type"] = [t, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = list(out["enum"]) + [None]
            if "const" in out:
                out["enum"] = [out.pop("const"), None]
            return out
        if isinstance(t, list) and not structural and "enum" not in out and "const" not in out:
            return {**out, "type": t if "null" in t else t + ["null"]}
        return {"anyOf": [{"type": "null"}, out]}


def compatible(node: Any) -> Any:
    """The compatible verdict's schema: types, required fields, enum/const values; nothing else."""
    if isinstance(node, list):
        return [compatible(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in COMPATIBLE_DROP:
            continue
        if key == "additionalProperties" and value is False:
            continue
        if key in ("properties", "patternProperties", "dependentSchemas", "$defs"):
            out[key] = {k: compatible(v) for k, v in value.items()}
        elif key == "oneOf":
            # relaxing branches may let two match: "exactly one" would then turn a pass into a failure
            out["anyOf"] = compatible(value)
        elif key in ("enum", "const", "default", "required", "type", "x-source", "$comment"):
            out[key] = value
        else:
            out[key] = compatible(value)
    return out
