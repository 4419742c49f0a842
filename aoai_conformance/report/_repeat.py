"""--repeat K in the reports: a cell's K runs of each case as pass^K and pass@K."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Repeat:
    """A cell's cases run K times each (``--repeat K``): pass^K counts the cases that passed all K times,
    pass@K those that passed at least once, out of ``cases`` (each counted once, not K times)."""

    k: int
    cases: int
    all_passed: int  # pass^K
    any_passed: int  # pass@K

    @property
    def label(self) -> str:
        return f"pass^{self.k} {self.all_passed}/{self.cases} \u00b7 pass@{self.k} {self.any_passed}/{self.cases}"


_REPEAT_ID = re.compile(r"-r\d+\]$")
PASSED = ("pass", "doc-sdk-difference")


def repeat_of(cases: list[dict]) -> Repeat | None:
    """pass^K and pass@K of a cell whose cases carry ``repeat`` (1..K); None for a run without --repeat."""
    if not any(isinstance(c.get("repeat"), int) and c["repeat"] > 1 for c in cases):
        return None
    runs: dict[str, list[str]] = {}
    for c in cases:
        runs.setdefault(_REPEAT_ID.sub("]", c["id"]), []).append(str(c.get("status")))
    k = max(len(v) for v in runs.values())
    return Repeat(
        k=k,
        cases=len(runs),
        all_passed=sum(1 for v in runs.values() if len(v) == k and all(s in PASSED for s in v)),
        any_passed=sum(1 for v in runs.values() if any(s in PASSED for s in v)),
    )
