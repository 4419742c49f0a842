"""The small core every other room builds on; it imports the standard library only.

- :mod:`.failure`: :class:`ConformanceFailure` (a broken promise) and :func:`note` (an observation);
- :mod:`.exchange`: what a call left behind (:class:`Exchange`, :class:`StreamExchange`, :class:`SSEEvent`)
  and the attempt log's entry (:class:`Sent`);
- :mod:`.sse`: the one text/event-stream parser;
- :mod:`.context`: :class:`Context`, what a layer reads of the context a call was made in.

The import rule (``tests/test_import_rule.py``): core imports nothing else of the package; the layers import
core and each other, never the engine (calls, cassettes, plugin, the servers, vcrpy, pytest).
"""

from .context import Context, Credentials, TokenCounter
from .exchange import (
    DONE,
    FAULT_HEADER,
    FAULT_STATUS,
    Exchange,
    NoRecordedAnswer,
    Sent,
    SSEEvent,
    StreamExchange,
    parse_json,
)
from .failure import UNSET, ConformanceFailure, expect, fail, note, take_notes, trim
from .sse import LineSplitter, SSEParser

__all__ = [
    "DONE",
    "FAULT_HEADER",
    "FAULT_STATUS",
    "UNSET",
    "ConformanceFailure",
    "Context",
    "Credentials",
    "Exchange",
    "LineSplitter",
    "NoRecordedAnswer",
    "SSEEvent",
    "SSEParser",
    "Sent",
    "StreamExchange",
    "TokenCounter",
    "expect",
    "fail",
    "note",
    "parse_json",
    "take_notes",
    "trim",
]
