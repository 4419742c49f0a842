"""What a conformance check says when a promise is broken, and what it notes when none is.

Every check in the package raises :class:`ConformanceFailure` naming the promise it guards, so a report (and
the mutation run) can tell "the service broke promise X" apart from "the test crashed". Observations that must
not fail a test (strict-schema deviations, unknown fields, documentation/SDK differences) are *noted* instead
and end up in the report.

Part of the core (standard library only). Suites and tests import it as ``aoai_conformance.checks``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["ConformanceFailure", "UNSET", "fail", "expect", "note", "take_notes", "trim"]


class _Unset:
    """The default of ``expected=`` / ``received=``: "not given", unlike an explicit ``None`` (JSON null)."""

    _instance: "_Unset | None" = None

    def __new__(cls) -> "_Unset":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"

    def __reduce__(self) -> str:  # pickles (xdist, mutation workers) to the same singleton
        return "UNSET"


UNSET: Any = _Unset()


class ConformanceFailure(AssertionError):
    """A documented promise does not hold.

    ``promise`` is a short stable id such as ``chat.stream.done-marker``: reports group by it and the mutation
    run uses it to decide that a mutant was caught for the right reason.
    """

    def __init__(
        self,
        promise: str,
        detail: str,
        *,
        path: str | None = None,
        expected: Any = UNSET,
        received: Any = UNSET,
        evidence: Any = None,
    ) -> None:
        self.promise = promise
        self.detail = detail
        self.path = path
        # Which of the two were given: an explicit None is a value (null) and is shown; an unset one is not.
        # The attributes read None when unset, so callers comparing them need not know the sentinel.
        self.has_expected = expected is not UNSET
        self.has_received = received is not UNSET
        self.expected = expected if self.has_expected else None
        self.received = received if self.has_received else None
        self.evidence = evidence
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [f"[{self.promise}] {self.detail}"]
        if self.path is not None:
            parts.append(f"at {self.path}")
        given = []
        if self.has_expected:
            given.append(f"expected {trim(self.expected)}")
        if self.has_received:
            given.append(f"received {trim(self.received)}")
        if given:
            parts.append(", ".join(given))
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """Every key always present; ``expected`` / ``received`` are null when not given, "null" when given None."""
        return {
            "promise": self.promise,
            "detail": self.detail,
            "path": self.path,
            "expected": trim(self.expected) if self.has_expected else None,
            "received": trim(self.received) if self.has_received else None,
            "evidence": trim(self.evidence, 2000) if self.evidence is not None else None,
        }


def fail(promise: str, detail: str, **kw: Any) -> None:
    __tracebackhide__ = True  # the report shows the suite's line, not this helper's
    raise ConformanceFailure(promise, detail, **kw)


def expect(condition: Any, promise: str, detail: str, **kw: Any) -> None:
    """Raise ConformanceFailure unless ``condition`` holds (a plain ``assert`` names no promise)."""
    __tracebackhide__ = True
    if not condition:
        raise ConformanceFailure(promise, detail, **kw)


# Notes are per test: the plugin calls take_notes() after each test and files them in the results.
_notes: list[dict[str, Any]] = []


def note(kind: str, message: str, **data: Any) -> None:
    """Record an observation for the report without failing the test.

    kinds: ``spec-deviation`` (strict schema verdict), ``drift`` (field the schema does not know),
    ``doc-sdk-difference``, ``not-applicable``, ``info``.
    """
    entry = {"kind": kind, "message": message}
    entry.update({k: v for k, v in data.items() if v is not None})
    if entry not in _notes:
        _notes.append(entry)


def take_notes() -> list[dict[str, Any]]:
    taken = list(_notes)
    _notes.clear()
    return taken


def trim(value: Any, limit: int = 300) -> str:
    """A short, readable rendering of a value for a failure message."""
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 15] + f"... (+{len(text) - limit + 15} chars)"
