"""The package's import rule (issue 13): core <- layers <- calls <- harness.

Every module of ``aoai_conformance`` is parsed with ``ast`` (nothing is imported) and each import, relative ones
resolved, is held against :data:`RULES`. An import under ``if TYPE_CHECKING:`` is no dependency at run time and
is exempt where a rule says so; an import inside a function (a lazy one) counts like any other.

What still breaks a rule is listed in :data:`KNOWN`, each with its reason and what removes it. A listed
exception that no import needs any more fails too: the table shrinks as the code is fixed.
"""

from __future__ import annotations

import ast
import fnmatch
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "aoai_conformance"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

# The rooms, by the first name under the package (a third-party module by its top-level name).
CORE = ("core",)
LAYERS = (
    "checks",
    "wire",
    "sdk",
    "schemas",
    "schema_compiler",
    "schema_drift",
    "invariants",
    "retries",
    "documented",
    "layers",
)
ENGINE = (
    "calls",
    "cassettes",
    "plugin",
    "auth",
    "faultproxy",
    "standin",
    "vcr",
    "vcrpy",
    "pytest",
    "_pytest",
)
RECORDING_AND_SERVERS = ("cassettes", "standin", "faultproxy")
HARNESS = (
    "plugin",
    "calls",
    "auth",
    "serving",
    "cli",
    "sdkmatrix",
    "thirdparty",
    "mutation",
    "bench",
    "sdks",
    "docsnippets",
)


@dataclass(frozen=True)
class Rule:
    name: str
    importers: tuple[str, ...]  # rooms the rule binds ("*": every room of the package)
    forbidden: tuple[
        str, ...
    ]  # rooms they may not import ("package": all of it; "third-party": outside stdlib)
    allowed: tuple[str, ...] = ()  # rooms they may import all the same
    exempt: tuple[str, ...] = ()  # rooms the rule does not bind
    typing_too: bool = False  # True: an import under TYPE_CHECKING breaks the rule as well


RULES = (
    Rule("core imports nothing else of the package", CORE, ("package",), allowed=CORE, typing_too=True),
    Rule("core imports the standard library only", CORE, ("third-party",)),
    Rule("the layers do not import the engine", LAYERS, ENGINE),
    Rule(
        "recording and the servers are imported by the harness only",
        ("*",),
        RECORDING_AND_SERVERS,
        exempt=HARNESS,
    ),
)

# (importing module, imported module) as fnmatch patterns -> why it is still allowed, and what removes it.
KNOWN: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    imported: str  # dotted module name, relative imports resolved
    line: int
    typing_only: bool


def module_name(rel: str) -> tuple[str, bool]:
    """``core/sse.py`` -> (``aoai_conformance.core.sse``, False); ``core/__init__.py`` -> (..core, True)."""
    parts = rel[: -len(".py")].split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join([PACKAGE, *parts]), is_package


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(rel: str, source: str) -> list[Import]:
    name, is_package = module_name(rel)
    package = name if is_package else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, typing_only)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(name, alias.name, node.lineno, typing_only))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if node.module:
                found.append(Import(name, module, node.lineno, typing_only))
            else:  # from . import a, b: each name is a module of that package
                for alias in node.names:
                    found.append(Import(name, f"{module}.{alias.name}", node.lineno, typing_only))
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only)

    visit(ast.parse(source, filename=rel), False)
    return found


def room(module: str) -> str:
    """The room a module belongs to: its first name under the package, else its top-level name."""
    parts = module.split(".")
    if parts[0] == PACKAGE:
        return parts[1] if len(parts) > 1 else ""
    return parts[0]


def _in(rooms: tuple[str, ...], module: str) -> bool:
    return "*" in rooms or room(module) in rooms


def _forbids(rule: Rule, imported: str) -> bool:
    inside = imported.split(".")[0] == PACKAGE
    if inside and room(imported) in rule.allowed:
        return False
    if "package" in rule.forbidden and inside:
        return True
    if "third-party" in rule.forbidden and not inside:
        return imported.split(".")[0] not in sys.stdlib_module_names and imported != "__future__"
    return room(imported) in rule.forbidden


def check(
    sources: dict[str, str], known: dict[tuple[str, str], str] = KNOWN
) -> tuple[list[str], list[tuple[str, str]]]:
    """Violations not listed in ``known`` (one line each), and the ``known`` rows no import needs."""
    violations: list[str] = []
    used: set[tuple[str, str]] = set()
    for rel, source in sorted(sources.items()):
        for imp in imports_of(rel, source):
            for rule in RULES:
                if not _in(rule.importers, imp.importer) or room(imp.importer) in rule.exempt:
                    continue
                if imp.typing_only and not rule.typing_too:
                    continue
                if room(imp.imported) == room(imp.importer) and "package" not in rule.forbidden:
                    continue  # a room's own modules (standin.server imports standin.reply)
                if not _forbids(rule, imp.imported):
                    continue
                listed = [
                    k
                    for k in known
                    if fnmatch.fnmatchcase(imp.importer, k[0]) and fnmatch.fnmatchcase(imp.imported, k[1])
                ]
                if listed:
                    used.update(listed)
                    continue
                violations.append(f"{rel}:{imp.line}: imports {imp.imported}, but {rule.name}")
    return violations, [k for k in known if k not in used]


def package_sources() -> dict[str, str]:
    return {
        p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(ROOT.rglob("*.py"))
        if "__pycache__" not in p.parts and "_bundled" not in p.parts
    }


def test_the_package_keeps_the_import_rule():
    sources = package_sources()
    assert "core/__init__.py" in sources and "layers.py" in sources  # the walk found the package
    violations, stale = check(sources)
    assert violations == [], "import rule broken (fix the import, or list it in KNOWN with its reason):\n" + (
        "\n".join(violations)
    )
    assert stale == [], f"KNOWN lists exceptions no import needs any more; remove them: {stale}"
    short = [key for key, reason in KNOWN.items() if len(reason.split()) < 8]
    assert short == [], "each KNOWN row says why it is still allowed and what removes it"


# A synthetic package: the rule must fail on each kind of violation, and only on those.
SYNTHETIC = {
    "core/__init__.py": "from .exchange import Exchange\n",
    "core/exchange.py": (
        "import json\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import openai\n"
        "def f():\n    from .. import checks\n"  # core may not import the package, not even lazily
    ),
    "core/sse.py": "import httpx\n",  # third-party at run time
    "wire.py": (
        "from .core import Exchange\nfrom typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .calls import Aoai\n"  # typing only: allowed
        "from .cassettes import Sent\n"  # the engine, at run time
    ),
    "documented/chat.py": "from ..core import expect\nimport pytest\n",
    "sdk.py": "import openai\nfrom .core import expect\n",  # a third-party SDK is no engine
    "recorded/judge.py": "from .. import layers\nfrom ..standin import StandIn\n",  # a server, outside the harness
    "plugin.py": "from . import calls, cassettes\nfrom .faultproxy import FaultProxy\n",  # the harness may
    "standin/server.py": "from . import chat\nfrom .reply import Reply\n",  # its own room
}


def test_a_synthetic_package_with_violations_fails():
    violations, stale = check(SYNTHETIC, known={})
    assert violations == [
        "core/exchange.py:6: imports aoai_conformance.checks, but core imports nothing else of the package",
        "core/sse.py:1: imports httpx, but core imports the standard library only",
        "documented/chat.py:2: imports pytest, but the layers do not import the engine",
        "recorded/judge.py:2: imports aoai_conformance.standin, but recording and the servers are imported by "
        "the harness only",
        "wire.py:5: imports aoai_conformance.cassettes, but the layers do not import the engine",
        "wire.py:5: imports aoai_conformance.cassettes, but recording and the servers are imported by the "
        "harness only",
    ]
    assert stale == []


def test_a_typing_import_of_the_engine_in_core_fails_too():
    violations, _ = check(
        {
            "core/context.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from ..calls import Aoai\n"
        },
        known={},
    )
    assert violations == [
        "core/context.py:3: imports aoai_conformance.calls, but core imports nothing else of the package"
    ]


def test_a_listed_exception_passes_and_a_stale_one_is_reported():
    known = {
        ("aoai_conformance.wire", "aoai_conformance.cassettes"): "listed",
        ("aoai_conformance.sdk", "aoai_conformance.calls"): "no longer needed",
    }
    violations, stale = check({"wire.py": "from .cassettes import Sent\n", "sdk.py": "import json\n"}, known)
    assert violations == []
    assert stale == [("aoai_conformance.sdk", "aoai_conformance.calls")]


@pytest.mark.parametrize(
    ("rel", "source", "imported"),
    [
        ("layers.py", "from . import checks, wire", ["aoai_conformance.checks", "aoai_conformance.wire"]),
        ("recorded/judge.py", "from ..calls import HTTP", ["aoai_conformance.calls"]),
        ("standin/__init__.py", "from .server import StandIn", ["aoai_conformance.standin.server"]),
        ("core/sse.py", "from .exchange import SSEEvent", ["aoai_conformance.core.exchange"]),
        ("cassettes.py", "from vcr.cassette import Cassette", ["vcr.cassette"]),
    ],
)
def test_relative_imports_resolve(rel, source, imported):
    assert [i.imported for i in imports_of(rel, source)] == imported
