"""What a documented call left behind, as every layer reads it: the answer raw and through the SDK, a stream's
events, and the attempt log.

Plain data, built by the harness (``calls.Aoai``) for a live or replayed call and by ``recorded.judge`` for a
recording. Headers are typed as a mapping; both builders pass the HTTP library's case-insensitive ``Headers``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for the annotation: the core imports the standard library alone
    import openai

__all__ = [
    "DONE",
    "FAULT_HEADER",
    "FAULT_STATUS",
    "Exchange",
    "NoRecordedAnswer",
    "SSEEvent",
    "Sent",
    "StreamExchange",
    "parse_json",
]

# A stream's last data line: ``data: [DONE]``.
DONE = "[DONE]"

# A connection fault has no HTTP answer: an attempt log entry and a cassette keep it as a synthetic 599 that
# carries this header (its value names the transport error).
FAULT_HEADER = "x-aoai-conformance-fault"
FAULT_STATUS = 599


class NoRecordedAnswer(BaseException):
    """A replay was asked for an answer its recording does not hold (more attempts, or another request body).

    The harness raises it (``cassettes.ReplayExhausted``, a pytest failure of one line); a layer that times
    attempts (the retries) catches it by this name, without importing the recording. A BaseException, as
    pytest's own outcomes are: the SDK's retry loop catches Exception and would retry it into a connection error.
    """


def parse_json(content: bytes) -> Any:
    """The body as JSON, or None when it is not JSON."""
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass
class Exchange:
    """One documented call, seen raw and through the SDK."""

    call: str
    status: int
    headers: Mapping[str, str]  # case-insensitive (the HTTP library's Headers)
    content: bytes
    body: Any  # parsed JSON, or None when the body is not JSON
    sdk: Any = None  # the SDK's typed object (None on error)
    request_id: str | None = None  # what the SDK exposes as _request_id / APIStatusError.request_id
    error: openai.APIError | None = None
    request_body: Any = None
    sdk_error: Exception | None = None  # the SDK could not parse a 2xx body
    headers_recorded: bool = True  # False: a recording that kept no response headers (checks say so)
    foreign: Any = None  # another SDK's call (sdk.ForeignResult): its driver's result, judged by its rules

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class SSEEvent:
    event: str | None
    data: str
    t: float  # seconds since the request started, when the event was complete on the client

    @property
    def json(self) -> Any:
        return parse_json(self.data.encode())

    @property
    def done(self) -> bool:
        return self.data.strip() == DONE


@dataclass
class StreamExchange:
    call: str
    status: int
    headers: Mapping[str, str]  # case-insensitive (the HTTP library's Headers)
    content: bytes
    events: list[SSEEvent]
    sdk_events: list[Any] = field(default_factory=list)
    sdk_error: Exception | None = None
    request_id: str | None = None
    request_body: Any = None
    headers_recorded: bool = True  # False: a recording that kept no response headers (checks say so)
    foreign: Any = None  # another SDK's call (sdk.ForeignResult)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def done_seen(self) -> bool:
        """The stream ended with ``data: [DONE]`` (and nothing after it)."""
        return bool(self.events) and self.events[-1].done

    @functools.cached_property
    def data(self) -> list[Any]:
        """Parsed JSON of every data event except ``[DONE]`` (unparseable data kept as the raw string).
        Parsed once: every layer reads it."""
        out = []
        for e in self.events:
            if e.done:
                continue
            parsed = e.json
            out.append(parsed if parsed is not None else e.data)
        return out


@dataclass
class Sent:
    """One attempt the SDK made (the attempt log: ``aoai.sent``), with what came back to it."""

    method: str
    url: str
    headers: dict[str, str]
    t: float  # time.monotonic() when the SDK sent it
    wall: float = 0.0  # time.time() then (HTTP-date retry-after is wall-clock)
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes | None = None  # error answers only (small; the SDK may retry and discard them)
    fault: str | None = None  # the transport error a connection fault raised (FAULT_HEADER's value)
