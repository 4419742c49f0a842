"""The drift finder of :mod:`aoai_conformance.schemas`: fields present in a body that no applicable schema
declares at that location."""

from __future__ import annotations

from typing import Any

from .schema_compiler import TYPES, split_rules

__all__ = ["Drift"]


class Drift:
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
            hit = self._split[key] = split_rules(items)
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
        if t is not None and not any(TYPES[x](inst) for x in ([t] if isinstance(t, str) else t)):
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
