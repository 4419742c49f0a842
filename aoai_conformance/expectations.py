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
    sdk: str = "*"  # only cases whose calls this SDK makes (python, node, go, java; wildcards allowed)
    versions: str = ""  # only these versions of that SDK: a range such as ">=6.0,<7" (empty: every version)

    def matches(self, test_id: str, target: str, sdk: str = "python", version: str | None = None) -> bool:
        return (
            _glob(self.test).fullmatch(test_id) is not None
            and _glob(self.target).fullmatch(target) is not None
            and _glob(self.sdk).fullmatch(sdk) is not None
            and in_range(version, self.versions)
        )


def in_range(version: str | None, versions: str) -> bool:
    """``version`` lies in ``versions`` (comma-separated ``>=``, ``>``, ``<=``, ``<``, ``==``, ``!=`` clauses;
    a Go ``v2.1.1`` is read as 2.1.1). An unknown version matches no range."""
    if not versions:
        return True
    if not version:
        return False
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version.lstrip("v")) in SpecifierSet(versions)
    except InvalidVersion:
        return False


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
        unknown = set(entry) - {"test", "reason", "link", "promise", "target", "kind", "sdk", "versions"}
        if unknown:
            raise ConfigError(
                f"{where} has unknown key {sorted(unknown)[0]!r}: allowed test, reason, link, promise, target, "
                "kind, sdk, versions"
            )
        versions = str(entry.get("versions", ""))
        if versions:
            from packaging.specifiers import InvalidSpecifier, SpecifierSet

            try:
                SpecifierSet(versions)
            except InvalidSpecifier:
                raise ConfigError(
                    f'{where} has versions = "{versions}", not a version range: write e.g. ">=6.0,<7"'
                ) from None
            if entry.get("sdk", "*") == "*":
                raise ConfigError(
                    f'{where} limits versions without naming the SDK: add sdk = "node" (or go, ...)'
                )
        out.append(
            Expectation(
                entry["test"],
                entry["reason"],
                entry.get("link", ""),
                entry.get("promise"),
                entry.get("target", "*"),
                entry.get("kind", "documented-gap"),
                str(entry.get("sdk", "*")),
                versions,
            )
        )
    return out


def find(
    expectations: list[Expectation],
    test_id: str,
    target: str,
    sdk: str = "python",
    version: str | None = None,
) -> Expectation | None:
    for e in expectations:
        if e.matches(test_id, target, sdk, version):
            return e
    return None
