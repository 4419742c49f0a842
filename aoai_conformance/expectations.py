"""expectations.toml: documented gaps and known failures, each with its reason and link.

A listed case that fails (on the listed promise, when one is given) is an expected failure. A listed case that
passes fails the run: either the documentation is out of date or the entry is stale and must be removed.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .config import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Expectation:
    test: str  # pattern over the test id without its file (* and ? wildcards), e.g. "test_embeddings_*[entra-*]"
    reason: str
    link: str = ""
    promise: str | None = None  # only a failure of this promise is expected
    target: str = "*"
    kind: str = "documented-gap"  # documented-gap | known-failure

    def matches(self, test_id: str, target: str) -> bool:
        return (
            _glob(self.test).fullmatch(test_id) is not None
            and _glob(self.target).fullmatch(target) is not None
        )


def _glob(pattern: str) -> re.Pattern[str]:
    """``*`` and ``?`` are wildcards; everything else is literal (test ids are full of ``[`` and ``]``,
    which fnmatch would read as character classes)."""
    return re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."))


def load(path: Path) -> list[Expectation]:
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"expectations file {path} cannot be read ({exc}): fix it or remove it") from None
    out = []
    for i, entry in enumerate(data.get("expected_failure", [])):
        where = f"{path}: [[expected_failure]] #{i + 1}"
        if not isinstance(entry, dict) or not entry.get("test") or not entry.get("reason"):
            raise ConfigError(f'{where} needs at least test = "..." and reason = "..."')
        unknown = set(entry) - {"test", "reason", "link", "promise", "target", "kind"}
        if unknown:
            raise ConfigError(
                f"{where} has unknown key {sorted(unknown)[0]!r}: allowed test, reason, link, promise, target, kind"
            )
        out.append(
            Expectation(
                entry["test"],
                entry["reason"],
                entry.get("link", ""),
                entry.get("promise"),
                entry.get("target", "*"),
                entry.get("kind", "documented-gap"),
            )
        )
    return out


def find(expectations: list[Expectation], test_id: str, target: str) -> Expectation | None:
    for e in expectations:
        if e.matches(test_id, target):
            return e
    return None
