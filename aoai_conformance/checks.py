"""The failure type and ``note``, as suites and tests import them: ``from aoai_conformance import checks``.

They live in the core (:mod:`aoai_conformance.core.failure`); this module is its stable name.
"""

from __future__ import annotations

from .core.failure import UNSET, ConformanceFailure, expect, fail, note, take_notes, trim

__all__ = ["ConformanceFailure", "UNSET", "fail", "expect", "note", "take_notes", "trim"]
