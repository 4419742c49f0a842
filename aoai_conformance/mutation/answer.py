"""One recorded interaction, parsed: the answer (status, headers, a JSON body or SSE events) an operator reads,
and the rewrites that give the mutated answer back in vcrpy's ``response`` shape."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from ..core import FAULT_HEADER, SSEParser

# Retried answers are discarded by the SDK; these are the statuses it retries (documented list + 409 in the SDK).
STATUS_MESSAGES = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
}


@dataclass
class Event:
    """One SSE event block: its raw text, and its JSON data (None for [DONE] or non-JSON)."""

    text: str
    data: Any = None
    done: bool = False

    @classmethod
    def parse(cls, block: str) -> Event:
        """The block read by the suite's own SSE parser (core.sse); the raw text is kept for rewriting."""
        parsed = SSEParser().feed(block.encode() + b"\n\n", 0.0)
        if not parsed:  # comments only
            return cls(block, None)
        if parsed[0].done:
            return cls(block, None, True)
        return cls(block, parsed[0].json)

    def with_data(self, data: Any) -> Event:
        compact = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        lines = [ln for ln in self.text.split("\n") if not ln.startswith("data:")]
        if isinstance(data, dict) and isinstance(data.get("type"), str):  # keep event: in step with the type
            lines = [f"event: {data['type']}" if ln.startswith("event:") else ln for ln in lines]
        return Event("\n".join([*lines, f"data: {compact}"]), data)


@dataclass
class Answer:
    """A recorded response (the vcrpy ``response`` dict) with helpers to read and rewrite it."""

    raw: dict[str, Any]
    position: int = 0  # interaction index in the cassette
    count: int = 1  # interactions in the cassette

    @property
    def status(self) -> int:
        return int(self.raw["status"]["code"])

    def header(self, name: str) -> str | None:
        for k, v in self.raw["headers"].items():
            if k.lower() == name.lower():
                return v[0] if isinstance(v, list) and v else v
        return None

    @property
    def text(self) -> str:
        body = self.raw.get("body") or {}
        value = body.get("string") if isinstance(body, dict) else body
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return value or ""

    @property
    def is_fault(self) -> bool:
        return self.header(FAULT_HEADER) is not None

    @property
    def is_stream(self) -> bool:
        return "text/event-stream" in (self.header("content-type") or "")

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def events(self) -> list[Event]:
        return [Event.parse(b) for b in self.text.split("\n\n") if b.strip()]

    repeated: bool = False  # the next interaction is the same request again

    @property
    def retried(self) -> bool:
        """The SDK sent the same request again next: it retried this answer and discarded it."""
        return self.repeated

    # rewriting (each returns a new raw response dict)
    def _copy(self) -> dict[str, Any]:
        return copy.deepcopy(self.raw)

    def with_text(self, text: str, raw: dict[str, Any] | None = None) -> dict[str, Any]:
        out = raw if raw is not None else self._copy()
        out["body"] = {"string": text}
        for k in list(out["headers"]):
            if k.lower() == "content-length":
                out["headers"][k] = [str(len(text.encode("utf-8")))]
        return out

    def with_json(self, body: Any) -> dict[str, Any]:
        return self.with_text(json.dumps(body, ensure_ascii=False))

    def with_events(self, events: list[Event]) -> dict[str, Any]:
        return self.with_text("".join(e.text + "\n\n" for e in events))

    def with_header(self, name: str, value: str | None) -> dict[str, Any]:
        out = self._copy()
        for k in list(out["headers"]):
            if k.lower() == name.lower():
                del out["headers"][k]
        if value is not None:
            out["headers"][name] = [value]
        return out

    def with_status(self, code: int) -> dict[str, Any]:
        out = self._copy()
        out["status"] = {"code": code, "message": STATUS_MESSAGES.get(code, "")}
        return out
