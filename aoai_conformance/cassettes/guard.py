"""The network guard: while on (a replay of the conformance suites), every socket connection and name lookup
fails the test at once, in one line."""

from __future__ import annotations

import socket
from typing import Any, Callable

import pytest


def one_line_failure(message: str) -> BaseException:
    """pytest's own failure: a BaseException, so the SDK's retry loop (which catches Exception) lets it through
    and the test fails at once with this one line instead of retrying into a connection error."""
    return pytest.fail.Exception(message, pytrace=False)


_guard_on = False
_ORIG_CONNECT = socket.socket.connect
_ORIG_CONNECT_EX = socket.socket.connect_ex
_ORIG_GETADDRINFO = socket.getaddrinfo
_guard_installed = False


def _blocked(*args: Any, **kwargs: Any):
    raise one_line_failure(
        "replay mode blocks the network: this test tried to open a connection; "
        "replay must be served from cassettes (re-record with --mode record)"
    )


def _guarded(orig: Callable) -> Callable:
    def wrapper(*args: Any, **kwargs: Any):
        if _guard_on:
            _blocked()
        return orig(*args, **kwargs)

    return wrapper


def guard(on: bool) -> None:
    """Block every socket connection and name lookup while ``on`` (replay of the conformance suites)."""
    global _guard_on, _guard_installed
    if on and not _guard_installed:
        socket.socket.connect = _guarded(_ORIG_CONNECT)  # type: ignore[method-assign]
        socket.socket.connect_ex = _guarded(_ORIG_CONNECT_EX)  # type: ignore[method-assign]
        socket.getaddrinfo = _guarded(_ORIG_GETADDRINFO)
        _guard_installed = True
    _guard_on = on
