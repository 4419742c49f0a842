"""Cassettes: vcrpy driven by hand, patched once per session.

pytest-recording cannot load vcrpy 9 cassettes that carry metadata, and per-test patching costs ~1.5 ms, so the
SDK's transports are patched once and every test points the patch at its own cassette (or none, in live mode).

The HTTP library is whichever the installed ``openai`` uses (:data:`HTTP`): ``httpx2`` for openai 3.x, ``httpx``
for 1.x and 2.x (the SDK matrix replays the same cassettes through all of them). vcrpy's stubs take that module
as a parameter, so both go through the same code.

The patched transport, outermost first:
1. logs what the SDK sent (headers included) so suites can check credentials and retry counts;
2. in record/replay, hands the request to vcrpy's own httpx/httpx2 stub with the test's cassette;
3. turns *fault entries* back into the transport errors they were: a connection fault has no HTTP response to
   record, so it is stored as a synthetic 599 carrying ``x-aoai-conformance-fault``, and a stream cut mid-way
   keeps its partial body plus that header.
"""

from __future__ import annotations

from ..core import FAULT_HEADER, Sent
from ..sdk import HTTP
from .guard import guard, one_line_failure
from .store import (
    FORMAT,
    MATCH_ON,
    CassetteProblem,
    match_body,
    match_method,
    match_path,
    open_record,
    open_replay,
    save,
    shown,
)
from .transport import (
    ReplayExhausted,
    Traffic,
    _patched_async,
    _patched_sync,
    activate,
    current,
    install,
    share_tls_context,
)

__all__ = [
    "FAULT_HEADER",
    "FORMAT",
    "HTTP",
    "MATCH_ON",
    "CassetteProblem",
    "ReplayExhausted",
    "Sent",
    "Traffic",
    "_patched_async",
    "_patched_sync",
    "activate",
    "current",
    "guard",
    "install",
    "match_body",
    "match_method",
    "match_path",
    "one_line_failure",
    "open_record",
    "open_replay",
    "save",
    "share_tls_context",
    "shown",
]
