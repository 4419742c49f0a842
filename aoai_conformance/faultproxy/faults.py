"""The faults a :class:`~aoai_conformance.faultproxy.FaultProxy` can be scripted with, and the Azure-shaped
error bodies it answers with."""

from __future__ import annotations

import email.utils
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from ..documented import azure_errors


# --------------------------------------------------------------------------------------------------- faults
@dataclass(frozen=True)
class Fault:
    """One scripted fault. Build it with the factory functions (:func:`status`, :func:`drop`, ...)."""

    kind: str  # "status" | "drop" | "stall" | "cut_stream" | "delay" | "passthrough"
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    seconds: float | None = None
    events: int | None = None
    reset: bool = False

    def describe(self) -> str:
        if self.kind == "status":
            extra = "".join(f" {k}={v}" for k, v in self.headers)
            return f"status {self.status}{extra}"
        if self.kind == "drop":
            return "drop (reset)" if self.reset else "drop"
        if self.kind in ("stall", "delay"):
            return f"{self.kind} {self.seconds:g}s"
        if self.kind == "cut_stream":
            return f"cut_stream after {self.events} events"
        return self.kind


def _header_items(
    headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    items = headers.items() if isinstance(headers, Mapping) else headers
    return tuple((str(k), str(v)) for k, v in items)


def status(code: int, headers: Mapping[str, Any] | None = None, body: Any = None) -> Fault:
    """Answer with ``code``. ``body``: None (an Azure-shaped error for ``code``), bytes, str, or JSON-able."""
    if not 100 <= int(code) <= 599:
        raise ValueError(f"status code out of range: {code}")
    if body is not None and not isinstance(body, bytes):
        body = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return Fault("status", status=int(code), headers=_header_items(headers), body=body)


def drop(reset: bool = False) -> Fault:
    """Read the request, then close the connection without any response (``reset``: abortive close, RST)."""
    return Fault("drop", reset=reset)


def stall(seconds: float) -> Fault:
    """Read the request, send nothing for ``seconds``, then close. Pair with a shorter client timeout."""
    return Fault("stall", seconds=float(seconds))


def cut_stream(after_events: int) -> Fault:
    """Pass the upstream response through, but close after ``after_events`` SSE events (no chunked end)."""
    if after_events < 0:
        raise ValueError("after_events must be >= 0")
    return Fault("cut_stream", events=int(after_events))


def delay(seconds: float) -> Fault:
    """Wait ``seconds`` after reading the request, then pass it through."""
    return Fault("delay", seconds=float(seconds))


def passthrough() -> Fault:
    """A script slot that does nothing: the request goes through untouched."""
    return Fault("passthrough")


def retry_after_ms(ms: float) -> dict[str, str]:
    """``retry-after-ms`` header (the SDK reads it before ``retry-after``)."""
    return {"retry-after-ms": _num(ms)}


def retry_after(seconds: float) -> dict[str, str]:
    """``retry-after`` header in seconds (the SDK accepts floats)."""
    return {"retry-after": _num(seconds)}


def retry_after_date(when: datetime) -> dict[str, str]:
    """``retry-after`` header as an HTTP date (naive datetimes are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return {"retry-after": email.utils.format_datetime(when.astimezone(timezone.utc), usegmt=True)}


def x_should_retry(value: bool) -> dict[str, str]:
    """``x-should-retry: true|false``: the SDK obeys it over its status-code rules."""
    return {"x-should-retry": "true" if value else "false"}


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def fault_from_json(obj: Mapping[str, Any]) -> Fault:
    """One script entry from JSON: ``{"status": 429, "headers": {...}, "body": ...}``, ``{"drop": true}``,
    ``{"drop": "reset"}``, ``{"stall": 2}``, ``{"cut_stream": 2}``, ``{"delay": 0.5}``,
    ``{"passthrough": true}``.
    """
    if "status" in obj:
        return status(int(obj["status"]), obj.get("headers"), obj.get("body"))
    if obj.get("drop"):
        return drop(reset=obj["drop"] == "reset")
    if "stall" in obj:
        return stall(float(obj["stall"]))
    if "cut_stream" in obj:
        return cut_stream(int(obj["cut_stream"]))
    if "delay" in obj:
        return delay(float(obj["delay"]))
    if obj.get("passthrough"):
        return passthrough()
    raise ValueError(f"unknown fault: {json.dumps(obj)}")


# ------------------------------------------------------------------------------------- Azure-shaped errors
def azure_error_body(code: int, path: str = "/openai/v1/chat/completions") -> dict[str, Any]:
    """An error body shaped like Azure OpenAI's (``{"error": {"code", "message"}}``) for ``code`` on a request
    to ``path`` (the 429 text names its operation). The texts are written once, in
    :mod:`aoai_conformance.documented.azure_errors`, and the stand-in answers with the same ones."""
    return azure_errors.by_status(code, path).body()
