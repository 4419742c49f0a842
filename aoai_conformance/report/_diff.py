"""Run-to-run diff: what changed between the previous results.json and this one.

Cases are matched by id (``suites/test_chat.py::test_chat_completion[key-sync-replay]``), which carries the
parameters, so "newly failing" means this test under this auth/client/target did not fail last time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ._model import BAD, as_dict, as_list, case_call, case_params, drift_entries, status_of, text

# A previously failing case only counts as fixed when it now ran and held: a skip proves nothing.
_FIXED_BY = frozenset({"pass", "expected-fail", "doc-sdk-difference"})


@dataclass
class Diff:
    """Each field is a list of small dicts, sorted so the same inputs give the same diff."""

    new_failures: list[dict] = field(
        default_factory=list
    )  # id, call, params, status, previous, promise, message
    fixed: list[dict] = field(default_factory=list)  # id, call, params, status, previous
    new_drift: list[dict] = field(default_factory=list)  # kind, call, path, message, cases
    changed_models: list[dict] = field(default_factory=list)  # model, previous, current
    new_cases: list[dict] = field(default_factory=list)  # id, call, status
    removed_cases: list[dict] = field(default_factory=list)  # id, call, status (previous)

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.new_failures,
                self.fixed,
                self.new_drift,
                self.changed_models,
                self.new_cases,
                self.removed_cases,
            )
        )

    def as_dict(self) -> dict:
        return asdict(self)


def _index(results: dict) -> dict[str, dict]:
    return {
        c["id"]: c
        for c in as_list(results.get("cases"))
        if isinstance(c, dict) and isinstance(c.get("id"), str)
    }


def _params(case: dict) -> dict:
    return {k: text(v) for k, v in sorted(case_params(case).items())}


def diff(previous: dict, current: dict) -> Diff:
    """What changed from ``previous`` to ``current`` (both results.json dicts)."""
    before, now = _index(previous), _index(current)
    out = Diff()
    for cid in sorted(now):
        case = now[cid]
        status = status_of(case)
        old = before.get(cid)
        old_status = status_of(old) if old is not None else None
        if status in BAD and old_status not in BAD:
            failure = as_dict(case.get("failure"))
            out.new_failures.append(
                {
                    "id": cid,
                    "call": case_call(case),
                    "params": _params(case),
                    "status": status,
                    "previous": old_status,
                    "promise": text(failure.get("promise")),
                    "message": text(failure.get("message"))
                    or text(failure.get("detail"))
                    or text(case.get("reason")),
                }
            )
        elif old_status in BAD and status in _FIXED_BY:
            out.fixed.append(
                {
                    "id": cid,
                    "call": case_call(case),
                    "params": _params(case),
                    "status": status,
                    "previous": old_status,
                }
            )
        if old is None:
            out.new_cases.append({"id": cid, "call": case_call(case), "status": status})
    for cid in sorted(set(before) - set(now)):
        out.removed_cases.append(
            {"id": cid, "call": case_call(before[cid]), "status": status_of(before[cid])}
        )

    out.new_drift = [
        {k: e[k] for k in ("kind", "call", "path", "message", "cases")}
        for e in drift_entries(current, previous)
        if e["new"]
    ]

    old_models = _models(previous)
    new_models = _models(current)
    for model in sorted(set(old_models) | set(new_models)):
        a, b = old_models.get(model, []), new_models.get(model, [])
        if a != b:
            out.changed_models.append({"model": model, "previous": a, "current": b})

    # New failures first by severity of the surprise (fail/error before unexpected pass), then by call.
    rank = {"fail": 0, "error": 1, "unexpected-pass": 2}
    out.new_failures.sort(key=lambda d: (rank.get(d["status"], 3), d["call"], d["id"]))
    out.fixed.sort(key=lambda d: (d["call"], d["id"]))
    return out


def _models(results: dict) -> dict[str, list[str]]:
    seen = as_dict(as_dict(results.get("run")).get("models_seen"))
    return {text(k): sorted({text(v) for v in as_list(vs)}) for k, vs in seen.items()}
