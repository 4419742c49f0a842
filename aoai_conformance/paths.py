"""Where the product's data lives: the repository checkout, or inside the installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent


def _pick(name: str) -> Path:
    repo = _REPO / name
    if (_REPO / "pyproject.toml").is_file() and repo.exists():
        return repo
    return _PACKAGE / "_bundled" / name


def suites() -> Path:
    return _pick("suites")


def cassettes() -> Path:
    return _pick("cassettes")


def schemas() -> Path:
    return _pick("schemas")


def expectations() -> Path:
    return _pick("expectations.toml")


def findings() -> Path:
    return _pick("findings.toml")


def drivers() -> Path:
    """The other SDKs' drivers (drivers/PROTOCOL.md): only in a checkout, where their builds live."""
    return _REPO / "drivers"
